"""Run a Python module under a sampling profiler that counts CPU time, not wall-clock time.

    python bench/cpu_profile.py OUT.txt [--now] -m MODULE [ARGS...]

From SIGUSR1 until SIGUSR2 (or from the start, with ``--now``), every millisecond of the process's CPU time (``ITIMER_PROF``: user and kernel time both
count, time spent waiting does not) the main thread's Python stack is recorded; OUT.txt gets
collapsed stacks (``frame;frame;... count``, py-spy's ``--format raw``), written at SIGUSR2,
every 2000 samples and at exit, and OUT.txt.gc.json the time spent in the garbage collector
over the same span and the event loop's scheduled timers at its end. A wall-clock sampler (py-spy) charges a call like ``sendto`` with the
time the process spent preempted after waking the receiver; this one does not. Time in a C
call is charged to the Python line that made it (the signal is handled when it returns).
Only the main thread is walked (the servers measured run one event loop).

``janus_vs_builtin.py --cpu-profile DIR`` starts the built-in server this way.
"""

from __future__ import annotations

import atexit
import collections
import gc
import json
import os
import runpy
import signal
import sys
import time

INTERVAL = 0.001  # seconds of CPU time between samples
WRITE_EVERY = 2000

_counts: collections.Counter[str] = collections.Counter()
_out = ""
_gc = {"seconds": 0.0, "collections": [0, 0, 0], "started": None, "on": False}


def _gc_timer(phase: str, info: dict) -> None:
    if not _gc["on"]:
        return
    if phase == "start":
        _gc["started"] = time.perf_counter()
    elif _gc["started"] is not None:
        _gc["seconds"] += time.perf_counter() - _gc["started"]
        _gc["collections"][info["generation"]] += 1
        _gc["started"] = None


def _write() -> None:
    with open(_out, "w") as f:
        for stack, count in _counts.most_common():
            f.write(f"{stack} {count}\n")
    with open(_out + ".gc.json", "w") as f:  # the garbage collector's share of the samples
        json.dump({"gc_seconds": round(_gc["seconds"], 3), "collections_by_generation": _gc["collections"],
                   "timers_at_stop": _gc.get("timers")}, f)


def _sample(signum, frame) -> None:  # noqa: ANN001 - a signal handler
    stack = []
    while frame is not None:
        code = frame.f_code
        stack.append(f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})")
        frame = frame.f_back
    _counts[";".join(reversed(stack))] += 1
    if sum(_counts.values()) % WRITE_EVERY == 0:
        _write()


def _start(*_) -> None:
    _gc["on"] = True
    signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)


def _timers() -> dict:
    """What the running event loop has scheduled, by callback (a crowded timer heap costs every
    loop turn)."""
    import asyncio

    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.BaseEventLoop) and o.is_running()]
    scheduled = [h for loop in loops for h in loop._scheduled]
    kinds = collections.Counter(getattr(h._callback, "__qualname__", repr(h._callback))[:80] for h in scheduled)
    return {"scheduled": len(scheduled), "cancelled": sum(1 for h in scheduled if h._cancelled),
            "by_callback": dict(kinds.most_common(12))}


def _stop(*_) -> None:
    if _gc["on"]:  # the end of the sampled span (not exit, after it)
        try:
            _gc["timers"] = _timers()
        except Exception as exc:  # noqa: BLE001 - a figure, never a failure
            _gc["timers"] = repr(exc)
    _gc["on"] = False
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    _write()


def main() -> None:
    global _out
    args = sys.argv[1:]
    now = "--now" in args[1:2]
    if now:
        del args[1]
    if len(args) < 3 or args[1] != "-m":
        sys.exit(__doc__.split("\n\n")[1])
    _out, module = args[0], args[2]
    sys.argv = [module, *args[3:]]
    sys.path[0] = os.getcwd()  # as ``python -m`` has it, not this script's directory
    atexit.register(_stop)
    gc.callbacks.append(_gc_timer)
    signal.signal(signal.SIGPROF, _sample)
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    if now:
        _start()
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
