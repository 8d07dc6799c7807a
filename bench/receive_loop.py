"""How much of receiving N videos runs on the event loop, and what that does to its lag.

    python bench/receive_loop.py [--bots 15] [--size 320x180] [--fps 15] [--duration 20]

Starts a server and N light bots (pre-encoded video, a tone), then joins them in this process
with a receiving ``MeetingSession`` (decoding every video through Parley's video receive path,
playing the voices into the jitter buffers) and measures for ``--duration`` seconds: the CPU time
of the event loop's thread (aiortc's packet handling: SRTP, RTP parsing, NACK and REMB
bookkeeping, our frame assembly, the pumps), the CPU time of the whole process (decoder threads
included), and the loop's lag (p50/p99/max, a wake-up every 50 ms). The loop's share of the
receiving cost decides whether the media needs its own loop in a worker thread (DESIGN.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import psutil

from harness import REPO, meeting_of_bots

sys.path.insert(0, str(REPO))

from desktop.session.meeting_session import MeetingSession  # noqa: E402
from desktop.signalling.tls import MemoryTrustStore  # noqa: E402


async def receive(url: str, bots: int, duration: float) -> dict:
    session = MeetingSession(url, name="Receiver", trust=MemoryTrustStore(), camera_on=False, muted=True)
    await session.join()
    remote = session.remote
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            tracks = remote.connection.video_tracks if remote.connection else {}
            if sum(1 for t in tracks.values() if t.frames_decoded > 0) >= bots:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)
        process = psutil.Process()
        loop_cpu0, cpu0, wall0 = time.thread_time(), sum(process.cpu_times()[:2]), time.monotonic()
        lag_before = len(remote.loop_lag._all)
        await asyncio.sleep(duration)
        loop_cpu1, cpu1, wall1 = time.thread_time(), sum(process.cpu_times()[:2]), time.monotonic()
        samples = list(remote.loop_lag._all)[lag_before:]
        totals = remote.video_totals()
    finally:
        await session.leave()
    wall = wall1 - wall0
    decoded = sum(t.frames_decoded for t in totals.values())
    ordered = sorted(samples)

    def q(x: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(x * len(ordered)))], 1) if ordered else 0.0

    return {"loop_thread_pct_of_core": round(100 * (loop_cpu1 - loop_cpu0) / wall, 1),
            "process_pct_of_core": round(100 * (cpu1 - cpu0) / wall, 1),
            "decode_ms_per_frame": round(1000 * sum(t.decode_seconds for t in totals.values()) / decoded, 2)
            if decoded else None,
            "frames_decoded_per_s": round(decoded / wall, 1) if wall else None,
            "loop_lag_ms": {"p50": q(0.5), "p99": q(0.99), "max": round(max(ordered, default=0.0), 1)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=15)
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args(argv)
    options = ("--light", "--mic", "synthetic", "--size", args.size, "--fps", str(args.fps),
               "--duration", str(args.duration + 120))
    with meeting_of_bots("parley-bench-loop-", args.bots, options, pause=0.15) as (api, meeting, _processes):
        url = api.add_attendee(meeting, "receiver", "Receiver")[1]
        figures = asyncio.run(receive(url, args.bots, args.duration))
    figures = {"bench": "receive_loop", "bots": args.bots, "size": args.size, "fps": args.fps, **figures,
               "load_average": [round(x, 1) for x in psutil.getloadavg()]}
    print(f"receiving {args.bots} videos at {args.size} {args.fps} fps: the loop's thread "
          f"{figures['loop_thread_pct_of_core']} % of a core, the whole process {figures['process_pct_of_core']} %; "
          f"decode {figures['decode_ms_per_frame']} ms a frame; loop lag {figures['loop_lag_ms']}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
