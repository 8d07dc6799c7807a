"""The built-in forwarding unit beside Janus VideoRoom, on the same clients and the same load.

    python bench/janus_vs_builtin.py [--loads 4,15,mesh8] [--duration 20] [--size 320x180] [--fps 15] [--rounds 1]

For each load and each backend, it starts ``parley-server`` (``--media builtin``, or ``--media
janus`` against a throwaway loopback Janus, ``janus_local.LocalJanus``) and creates a meeting.
A load N is one publisher to N receivers: one publishing bot (synthetic camera and microphone,
stamped pictures), then N receiving bots (no camera, no microphone): two of them decode
(glass-to-glass latency from the stamps, first decoded picture), the rest count frames without
decoding (``--light``). A load ``meshN`` is N bots that each publish a camera and a microphone and
receive all the others: N - 2 ``--light`` bots first (they replay a pre-encoded clip and count
what they receive without decoding), then two that encode a live stamped camera and decode all
they receive; the two measure the latency of each other's pictures and the first decoded picture
of the light bots already in (see ``mesh.py``). Over a window in the middle of the run it reads the CPU time of
the process that forwards (parley-server for the built-in unit; janus for Janus, with
parley-server's control-plane CPU beside it) from /proc, and the machine's load. Backends
alternate within a round, so both see the same machine; the ratios are within one run.

It prints figures, never pass/fail: a table, then one JSON line. Everything it starts is stopped
by PID in a ``finally`` block; every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from harness import LISTENING, REPO, Api, bot_command, bot_env, cpu_seconds, fmt, log, rnd, stop_process
from janus_local import JANUS, LocalJanus
from janus_loads import Load, fanout_figures, mesh_figures, parse_loads


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--loads", default="4,15", help="comma separated: N (one publisher, N receivers) or meshN "
                   "(N bots each publishing and receiving all others); default 4,15")
    p.add_argument("--duration", type=float, default=20.0, help="seconds measured, once everyone is in (default 20)")
    p.add_argument("--settle", type=float, default=3.0, help="seconds after the last join before measuring")
    p.add_argument("--size", default="320x180")
    p.add_argument("--fps", type=int, default=15)
    p.add_argument("--join-timeout", type=float, default=60.0, help="bound on the joins (seconds)")
    p.add_argument("--rounds", type=int, default=1, help="repeat every load and backend this often")
    p.add_argument("--backends", default="builtin,janus", help="which to run, comma separated (default both)")
    p.add_argument("--profile", metavar="DIR", help="record the built-in server with py-spy over each window "
                   "(DIR/builtin-N-ROUND.txt, raw collapsed stacks; needs py-spy and ptrace rights)")
    p.add_argument("--cpu-profile", metavar="DIR", help="run the built-in server under bench/cpu_profile.py and "
                   "sample its CPU time over each window (DIR/builtin-N-ROUND.cpu.txt, collapsed stacks)")
    p.add_argument("--stalls", metavar="DIR", help="run the built-in server under bench/cpu_profile.py --now "
                   "--stalls 10: every event-loop callback of 10 ms or more from its start to the window's end, with "
                   "the CPU samples inside them (DIR/builtin-N-ROUND.cpu.txt.stalls.json and .stalls.txt; the bots' "
                   "start times in DIR/builtin-N-ROUND.joins.json)")
    p.add_argument("--stalls-ms", type=float, default=10.0, metavar="MS",
                   help="with --stalls: list the callbacks of MS ms or more (0: every callback, with a count and "
                        "the CPU time of each kind of callback in the summary; default 10)")
    p.add_argument("--forwarder-nice", type=int, default=0, metavar="N",
                   help="run the process that forwards (parley-server for the built-in unit, janus for Janus) at "
                        "nice N (negative needs CAP_SYS_NICE; Janus: its main thread and the threads it starts later): is latency under foreign load a matter of the "
                        "forwarder's share of the CPU? (default 0)")
    p.add_argument("--foreign-load", type=int, default=0, metavar="N",
                   help="N busy processes (a Python loop each, normal priority) from the publisher's join until "
                        "the window ends: latency under foreign CPU load (default 0)")
    return p.parse_args(argv)


def start_parley(tmp: Path, key: str, extra: list[str], timeout: float = 30.0,
                 profile: Path | None = None, stalls: float | None = None,
                 nice: int = 0) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, PARLEY_API_KEY=key)
    sampler = [str(REPO / "bench" / "cpu_profile.py"), str(profile)] if profile is not None else []
    if sampler and stalls is not None:
        sampler += ["--now", "--stalls", f"{stalls:g}"]
    proc = subprocess.Popen(
        [sys.executable, *sampler, "-m", "server", "--port", "0", "--data-dir", str(tmp / "data"),
         "--ice-address", "127.0.0.1", *extra],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=(tmp / "server.stderr").open("wb"), text=True)
    if nice:
        os.setpriority(os.PRIO_PROCESS, proc.pid, nice)  # (before it listens: before any media)
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError(f"parley-server exited ({proc.wait(5)}): see {tmp / 'server.stderr'}")
        match = LISTENING.search(line)
        if match:
            return proc, match.group(1)
    stop_process(proc, "parley-server", 5.0)
    raise RuntimeError("parley-server did not report its address in time")


def wait_for(api: Api, meeting_id: str, done, timeout: float) -> bool:
    """Poll the roster until ``done(roster)`` (bounded); whether it happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        roster = api.participants(meeting_id)
        if roster is not None and done(roster):
            return True
        time.sleep(0.1)
    return False


def kernel_seconds(proc: psutil.Process) -> float | None:
    """The part of ``cpu_seconds`` spent in the kernel (sending and receiving, mostly)."""
    try:
        return proc.cpu_times().system
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def bots_seconds(bots: list[tuple[str, subprocess.Popen, Path, float]]) -> float:
    """The CPU time of every bot still running, added up (their own load on the machine)."""
    total = 0.0
    for _, proc, _, _ in bots:
        try:
            total += cpu_seconds(psutil.Process(proc.pid)) or 0.0
        except psutil.Error:
            pass
    return total


def start_profile(pid: int, out: Path, seconds: float) -> subprocess.Popen | None:
    """py-spy recording ``pid`` for ``seconds`` into ``out`` (collapsed stacks), or None without py-spy."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        log("py-spy not found: no profile")
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                             "--format", "raw", "--nonblocking", "-o", str(out)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def one_run(backend: str, load: Load, args: argparse.Namespace, round_: int = 0) -> dict:
    key = secrets.token_urlsafe(24)
    tmp = Path(tempfile.mkdtemp(prefix=f"parley-bench-{backend}-"))
    janus: LocalJanus | None = None
    keep = False
    server: subprocess.Popen | None = None
    bots: list[tuple[str, subprocess.Popen, Path, float]] = []
    busy: list[subprocess.Popen] = []  # --foreign-load
    try:
        extra: list[str] = []
        if backend == "janus":
            janus = LocalJanus(tmp / "janus").start()
            extra = ["--media", "janus", "--janus-url", janus.url]
        cpu_profile = None
        profile_dir = args.cpu_profile or args.stalls
        if profile_dir and backend == "builtin":
            Path(profile_dir).mkdir(parents=True, exist_ok=True)
            cpu_profile = Path(profile_dir).resolve() / f"builtin-{load.tag}-{round_}.cpu.txt"
        server, base_url = start_parley(tmp, key, extra, profile=cpu_profile, stalls=args.stalls_ms if args.stalls else None,
                                        nice=args.forwarder_nice if janus is None else 0)
        if janus is not None and janus.proc is not None and args.forwarder_nice:
            os.setpriority(os.PRIO_PROCESS, janus.proc.pid, args.forwarder_nice)
        api = Api(base_url, key)
        meeting_id = api.create_meeting()
        forwarder = psutil.Process(janus.proc.pid if janus is not None and janus.proc else server.pid)
        control = psutil.Process(server.pid)

        def start_bot(i: int, *options: str, stay: float = args.duration) -> str:
            attendee_id, url = api.add_attendee(meeting_id, f"bench-{i}", f"Bot {i}")
            out = tmp / f"bot{i}.json"
            cmd = bot_command(url, "--json", "--duration", str(stay), "--size", args.size,
                              "--fps", str(args.fps), "--name", f"Bot {i}", *options)
            proc = subprocess.Popen(cmd, cwd=REPO, env=bot_env(), stdin=subprocess.DEVNULL,
                                    stdout=out.open("wb"), stderr=(tmp / f"bot{i}.stderr").open("wb"))
            bots.append((attendee_id, proc, out, time.monotonic()))
            started_at.append((i, round(time.time(), 3)))
            return attendee_id

        started_at: list[tuple[int, float]] = []  # (bot, time.time()) for --stalls

        def cameras_in(ids: list[str]) -> bool:  # bounded: these attendees are in with their cameras
            return wait_for(api, meeting_id, lambda roster: set(ids) <= {p.get("attendee_id") for p in roster
                                                                          if p.get("video")}, args.join_timeout)

        # the first bot (1 -> N: the publisher) stays until the others are done (their joins may
        # take long on a busy machine), and is in with its camera before they come
        attendees = [start_bot(0, *load.options(0), stay=args.duration + 3 * args.join_timeout)]
        cameras_in(attendees)
        for _ in range(args.foreign_load):  # the machine is busy with something else too
            busy.append(subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL))
        for i in range(1, load.bots):
            if load.mesh and i == load.light:  # the decoding bots come once every light camera is in
                cameras_in(attendees)
            attendees.append(start_bot(i, *load.options(i), stay=args.duration + 2 * args.join_timeout))
            time.sleep(0.2)
        all_in = wait_for(api, meeting_id, lambda roster: len(roster) >= load.bots, args.join_timeout)
        if load.mesh:
            all_in = all_in and cameras_in(attendees)
        time.sleep(args.settle)
        window_start, window_wall = time.monotonic(), time.time()
        cpu0, control0 = cpu_seconds(forwarder), cpu_seconds(control)
        bots0 = bots_seconds(bots)
        kernel0 = kernel_seconds(forwarder)
        psutil.cpu_percent(None)
        if cpu_profile is not None and not args.stalls:
            server.send_signal(signal.SIGUSR1)  # bench/cpu_profile.py: sample from now
        spy = None
        if args.profile and backend == "builtin":
            spy = start_profile(server.pid, Path(args.profile) / f"builtin-{load.tag}-{round_}.txt", args.duration)
        time.sleep(args.duration)  # everyone stays until told to leave (below)
        cpu1, control1 = cpu_seconds(forwarder), cpu_seconds(control)
        bots1 = bots_seconds(bots)
        kernel1 = kernel_seconds(forwarder)
        if cpu_profile is not None:
            server.send_signal(signal.SIGUSR2)  # ... until now, and write the stacks
            if args.stalls:
                cpu_profile.with_name(f"builtin-{load.tag}-{round_}.joins.json").write_text(json.dumps(
                    {"bots_started": started_at, "window": [round(window_wall, 3), round(time.time(), 3)]}))
        machine = psutil.cpu_percent(None)
        window = time.monotonic() - window_start
        for proc in busy:
            stop_process(proc, "busy loop", 3.0)
        load1 = os.getloadavg()[0]
        if spy is not None:
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop_process(spy, "py-spy", 5.0)
        leaving = bots if load.mesh else bots[1:]  # (1 -> N: the publisher goes last)
        for _, proc, _, _ in leaving:  # leave (SIGTERM: the bot leaves and writes its report)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc, _, _ in leaving:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop_process(proc, "bot", 5.0)
        stop_process(bots[0][1], "first bot", 5.0)
        reports = []
        for _, _, out, _ in bots:
            try:
                reports.append(json.loads(out.read_text().strip().splitlines()[-1]))
            except (ValueError, IndexError, OSError):
                reports.append(None)
        figures = (mesh_figures if load.mesh else fanout_figures)(load, reports, attendees)
        if figures["receivers_with_video"] < load.n:
            keep = True
            log(f"WARNING: {backend} {load.label}: {figures['receivers_with_video']} of {load.n} bots got all video; "
                f"logs kept in {tmp}")
        return {
            "backend": backend, "load": load.tag, "receivers": load.n, "window_s": round(window, 1),
            "utc": time.strftime("%H:%M:%S", time.gmtime(window_wall)),  # the window's start
            "cpu_pct": rnd(100 * (cpu1 - cpu0) / window) if cpu0 is not None and cpu1 is not None else None,
            "bots_cpu_pct": rnd(100 * (bots1 - bots0) / window),  # every bot's, added up (of one core)
            "kernel_cpu_pct": rnd(100 * (kernel1 - kernel0) / window) if kernel0 is not None and kernel1 is not None else None,
            "control_cpu_pct": rnd(100 * (control1 - control0) / window) if backend == "janus" and control0 is not None and control1 is not None else None,
            "rss_mb": rnd(forwarder.memory_info().rss / 2**20) if forwarder.is_running() else None,
            **figures, "foreign_load": args.foreign_load, "forwarder_nice": args.forwarder_nice, "all_joined": all_in, "machine_cpu_pct": rnd(machine), "loadavg_1m": rnd(load1, 2),
        }
    finally:
        for proc in busy:
            if proc.poll() is None:
                stop_process(proc, "busy loop", 3.0)
        for _, proc, _, _ in bots:
            if proc.poll() is None:
                stop_process(proc, "bot", 3.0)
        if server is not None:
            stop_process(server, "parley-server", 10.0)
        if janus is not None:
            janus.stop()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: the finally blocks still stop what we started
    if JANUS is None and "janus" in args.backends.split(","):
        log("janus is not installed (apt-get install janus): nothing to compare with")
        return 2
    try:
        loads = parse_loads(args.loads)
    except ValueError as exc:
        log(f"--loads: {exc}")
        return 2
    runs = []
    for round_ in range(args.rounds):
        for load in loads:
            order = [b for b in ("builtin", "janus") if b in args.backends.split(",")]
            for backend in order if round_ % 2 == 0 else order[::-1]:
                result = one_run(backend, load, args, round_)
                log(json.dumps(result))
                runs.append(result)
    log("")
    log("| load | builtin CPU / Janus CPU | g2g p50 builtin / Janus | g2g p95 builtin / Janus | "
        "first decoded frame builtin / Janus | forwarder RSS builtin / Janus | machine load (1 min) |")
    log("|---|---|---|---|---|---|---|")
    summary = []
    for load in loads:
        b = [r for r in runs if r["backend"] == "builtin" and r["load"] == load.tag]
        j = [r for r in runs if r["backend"] == "janus" and r["load"] == load.tag]

        def med(rows: list[dict], key: str) -> float | None:
            values = [r[key] for r in rows if r.get(key) is not None]
            return rnd(statistics.median(values)) if values else None

        bc, jc = med(b, "cpu_pct"), med(j, "cpu_pct")
        ratio = rnd(bc / jc, 2) if bc is not None and jc else None
        row = {"load": load.tag, "cpu_ratio": ratio, "builtin_cpu_pct": bc, "janus_cpu_pct": jc,
               "janus_control_cpu_pct": med(j, "control_cpu_pct"),
               "g2g_p50_ms": [med(b, "g2g_p50_ms"), med(j, "g2g_p50_ms")],
               "g2g_p95_ms": [med(b, "g2g_p95_ms"), med(j, "g2g_p95_ms")],
               "first_frame_ms": [med(b, "first_frame_ms"), med(j, "first_frame_ms")],
               "rss_mb": [med(b, "rss_mb"), med(j, "rss_mb")],
               "loadavg_1m": med(b + j, "loadavg_1m")}
        summary.append(row)
        log(f"| {load.label} | {fmt(ratio, '×')} ({fmt(bc, '%')} / {fmt(jc, '%')}) | "
            + " | ".join(f"{fmt(row[key][0])} / {fmt(row[key][1])} {unit}" for key, unit in
                         (("g2g_p50_ms", "ms"), ("g2g_p95_ms", "ms"), ("first_frame_ms", "ms"), ("rss_mb", "MB")))
            + f" | {fmt(row['loadavg_1m'])} |")
    log(json.dumps({"runs": runs, "summary": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
