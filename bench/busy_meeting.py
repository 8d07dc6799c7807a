"""The app's downlink estimate in a real meeting on a busy computer: kernel vs event-loop times.

    python bench/busy_meeting.py [--bots 5] [--size 640x360] [--duration 40] [--hogs 0] [--loop-times]

Starts a server and N full bots (live synthetic camera encoded by aiortc, a tone, decoding what
they receive: the busy 2-core machine of docs/screenshot-connection.png), then joins them in this
process with a receiving ``MeetingSession`` (the app's own receive path, decoding every video).
Every second it prints what arrives, the downlink estimate the server gets (the sum of aiortc's
REMB over the video sections, taken with the kernel's receive times since rtcseam.arrival),
the same estimators fed the event loop's times for the very same packets (what the estimate was
before), and how many videos the server has paused for bandwidth. ``--loop-times`` turns the
kernel's times off in this process (the app as it was: the server then acts on the loop-time
estimate). ``--hogs N`` runs N processes that only spin (a busier computer still) while it
measures. The last line is JSON with every figure and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

from harness import REPO, meeting_of_bots

sys.path.insert(0, str(REPO))

from desktop.session.events import RemoteVideoChanged  # noqa: E402
from desktop.session.meeting_session import MeetingSession  # noqa: E402
from desktop.signalling.tls import MemoryTrustStore  # noqa: E402
from rtcseam import arrival  # noqa: E402
from tests.busy_link import Watch  # noqa: E402


def kbit(value: float | None) -> str:
    return "    -" if value is None else f"{value / 1000:5.0f}"


async def receive(url: str, bots: int, duration: float) -> dict:
    session = MeetingSession(url, name="Receiver", trust=MemoryTrustStore(), camera_on=False, muted=True)
    paused: dict[str, bool] = {}
    session.on(RemoteVideoChanged, lambda event: paused.__setitem__(event.attendee_id, event.paused))
    await session.join()
    remote = session.remote
    watches: dict[int, Watch] = {}
    rows = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            tracks = remote.connection.video_tracks if remote.connection else {}
            if sum(1 for t in tracks.values() if t.frames_decoded > 0) >= bots:
                break
            await asyncio.sleep(0.5)
        print("   s  arriving  estimate  loop-times  paused (kbit/s)")
        start = time.monotonic()
        received0 = 0
        while time.monotonic() - start < duration:
            await asyncio.sleep(1.0)
            for transceiver in remote.connection.pc.getTransceivers():
                if transceiver.kind == "video" and id(transceiver.receiver) not in watches:
                    watches[id(transceiver.receiver)] = Watch(transceiver.receiver)
            received = sum(w.bytes for w in watches.values())
            kernel = [w.aiortc for w in watches.values() if w.aiortc is not None]
            loop = [w.loop_times for w in watches.values() if w.loop_times is not None]
            row = {"at": round(time.monotonic() - start), "arriving": (received - received0) * 8,
                   "estimate": sum(kernel) if kernel else None, "loop_times": sum(loop) if loop else None,
                   "paused": sum(paused.values())}
            received0 = received
            rows.append(row)
            print(f"  {row['at']:2d}   {kbit(row['arriving'])}     {kbit(row['estimate'])}      "
                  f"{kbit(row['loop_times'])}      {row['paused']}")
        arrivals = remote.connection.arrivals
        lag = remote.loop_lag.summary()
    finally:
        await session.leave()
    settled = [r for r in rows if r["at"] >= 8]  # aiortc's estimators start 3 s after the first packet

    def figures(key: str) -> dict:
        values = [r[key] for r in settled if r[key] is not None]
        ratio = [r[key] / r["arriving"] for r in settled if r[key] is not None and r["arriving"]]
        return {"median_kbit": round(statistics.median(values) / 1000) if values else None,
                "min_kbit": round(min(values) / 1000) if values else None,
                "median_of_arriving": round(statistics.median(ratio), 2) if ratio else None,
                "under_arriving": round(sum(x < 1 for x in ratio) / len(ratio), 2) if ratio else None}

    return {"estimate": figures("estimate"), "loop_times": figures("loop_times"),
            "arriving_median_kbit": round(statistics.median(r["arriving"] for r in settled) / 1000) if settled else None,
            "paused_max": max((r["paused"] for r in settled), default=0),
            "paused_seconds": sum(r["paused"] > 0 for r in settled),
            "kernel_stamped": arrivals.kernel if arrivals else None, "loop_stamped": arrivals.loop if arrivals else None,
            "loop_lag_ms": lag}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=5)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--duration", type=float, default=40.0)
    parser.add_argument("--hogs", type=int, default=0, help="this many spinning processes beside it all")
    parser.add_argument("--loop-times", action="store_true", help="the app as it was: no kernel receive times")
    args = parser.parse_args(argv)
    if args.loop_times:
        arrival._Choice.found, arrival._Choice.option = True, None
    options = ("--size", args.size, "--duration", str(args.duration + 150))
    with meeting_of_bots("parley-bench-busy-", args.bots, options, pause=0.3) as (api, meeting, processes):
        for i in range(args.hogs):
            processes.append((f"hog {i}", subprocess.Popen([sys.executable, "-c", "while True: pass"])))
        url = api.add_attendee(meeting, "receiver", "Receiver")[1]
        figures = asyncio.run(receive(url, args.bots, args.duration))
    figures = {"bench": "busy_meeting", "bots": args.bots, "hogs": args.hogs, "size": args.size, "duration": args.duration,
               "kernel_times": not args.loop_times and arrival.available(), **figures,
               "load_average": [round(x, 2) for x in os.getloadavg()]}
    print(f"estimate the server got: median {figures['estimate']['median_kbit']} kbit/s, "
          f"{figures['estimate']['median_of_arriving']} of what arrived; with loop times: median "
          f"{figures['loop_times']['median_kbit']} kbit/s, {figures['loop_times']['median_of_arriving']}; "
          f"videos paused for bandwidth: at most {figures['paused_max']}, {figures['paused_seconds']} s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
