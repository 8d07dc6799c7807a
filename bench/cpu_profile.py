"""Run a Python module under a sampling profiler that counts CPU time, not wall-clock time.

    python bench/cpu_profile.py OUT.txt [--now] [--stalls MS] -m MODULE [ARGS...]

From SIGUSR1 until SIGUSR2 (or from the start, with ``--now``), every millisecond of the process's CPU time (``ITIMER_PROF``: user and kernel time both
count, time spent waiting does not) the main thread's Python stack is recorded; OUT.txt gets
collapsed stacks (``frame;frame;... count``, py-spy's ``--format raw``), written at SIGUSR2,
every 2000 samples and at exit, and OUT.txt.gc.json the time spent in the garbage collector
over the same span and the event loop's scheduled timers at its end. A wall-clock sampler (py-spy) charges a call like ``sendto`` with the
time the process spent preempted after waking the receiver; this one does not. Time in a C
call is charged to the Python line that made it (the signal is handled when it returns).
Only the main thread is walked (the servers measured run one event loop).

With ``--stalls MS``, every event-loop callback that holds the loop MS milliseconds or more
(wall clock) over the same span is listed in OUT.txt.stalls.json: when (``time.time()``), how
long in wall and in the thread's CPU time (a long wall time with little CPU is the process
waiting for a core; a long CPU time is work that stopped forwarding), and what it was (a
task's coroutine, a transport's protocol, a timer's function), with a summary by what; the
samples taken inside those callbacks go to OUT.txt.stalls.txt (collapsed stacks), so the code
that held the loop can be read there.

``janus_vs_builtin.py --cpu-profile DIR`` starts the built-in server this way; ``--stalls DIR``
too, with ``--now --stalls 10`` (from the start: the joins are what it looks at).
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
#: --stalls: the threshold (seconds, None: off), the stacks sampled inside the callback running
#: now, the long callbacks seen, the stacks sampled inside them, and every callback's count and time
_stalls: dict = {"threshold": None, "inside": None, "seen": [], "stacks": collections.Counter(),
                 "callbacks": 0, "callback_seconds": 0.0}


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
    if _stalls["threshold"] is not None:
        _write_stalls()


def _describe(handle) -> str:  # noqa: ANN001 - an asyncio.Handle
    """What a loop callback is: a task's coroutine, a transport's protocol, or the function."""
    import asyncio

    callback = handle._callback
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return "task " + getattr(coro, "__qualname__", type(coro).__name__)
    protocol = getattr(owner, "_protocol", None)
    name = getattr(callback, "__qualname__", type(callback).__name__)
    if protocol is not None:
        return f"{name} -> {type(protocol).__qualname__}"
    if isinstance(callback, __import__("functools").partial):
        return "partial " + getattr(callback.func, "__qualname__", repr(callback.func))
    return name


def _watch_callbacks(threshold: float) -> None:
    """Time every event-loop callback (``asyncio.Handle._run``; timers and transports' reads
    are handles too); keep those of ``threshold`` seconds or more while sampling is on."""
    import asyncio.events

    _stalls["threshold"] = threshold
    run = asyncio.events.Handle._run

    def timed(handle) -> None:  # noqa: ANN001 - an asyncio.Handle
        if not _gc["on"]:
            return run(handle)
        inside = _stalls["inside"] = []
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        try:
            return run(handle)
        finally:
            wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
            _stalls["inside"] = None
            _stalls["callbacks"] += 1
            _stalls["callback_seconds"] += wall
            if wall >= threshold:
                _stalls["seen"].append((round(time.time(), 3), round(1000 * wall, 1), round(1000 * cpu, 1),
                                        _describe(handle)))
                for collapsed in inside:
                    _stalls["stacks"][collapsed] += 1

    asyncio.events.Handle._run = timed


def _write_stalls() -> None:
    by_what: dict[str, list] = {}
    for _, wall, cpu, what in _stalls["seen"]:
        row = by_what.setdefault(what, [0, 0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += wall
        row[2] += cpu
        row[3] = max(row[3], wall)
    summary = sorted(({"what": what, "count": n, "wall_ms": round(w, 1), "cpu_ms": round(c, 1), "max_ms": m}
                      for what, (n, w, c, m) in by_what.items()), key=lambda r: -r["wall_ms"])
    with open(_out + ".stalls.json", "w") as f:
        json.dump({"threshold_ms": 1000 * _stalls["threshold"], "callbacks": _stalls["callbacks"],
                   "callback_seconds": round(_stalls["callback_seconds"], 3),
                   "stall_wall_ms": round(sum(s[1] for s in _stalls["seen"]), 1),
                   "by_what": summary, "stalls": _stalls["seen"]}, f, indent=0)
    with open(_out + ".stalls.txt", "w") as f:
        for stack, count in _stalls["stacks"].most_common():
            f.write(f"{stack} {count}\n")


def _sample(signum, frame) -> None:  # noqa: ANN001 - a signal handler
    stack = []
    while frame is not None:
        code = frame.f_code
        stack.append(f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})")
        frame = frame.f_back
    collapsed = ";".join(reversed(stack))
    _counts[collapsed] += 1
    if _stalls["inside"] is not None:
        _stalls["inside"].append(collapsed)
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
    stalls = None
    if args[1:2] == ["--stalls"]:
        stalls = float(args[2]) / 1000
        del args[1:3]
    if len(args) < 3 or args[1] != "-m":
        sys.exit(__doc__.split("\n\n")[1])
    _out, module = args[0], args[2]
    sys.argv = [module, *args[3:]]
    sys.path[0] = os.getcwd()  # as ``python -m`` has it, not this script's directory
    atexit.register(_stop)
    if stalls is not None:
        _watch_callbacks(stalls)
    gc.callbacks.append(_gc_timer)
    signal.signal(signal.SIGPROF, _sample)
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    if now:
        _start()
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
