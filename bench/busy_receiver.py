"""The receive-side bandwidth estimate on a busy computer, with and without kernel arrival times.

Two real aiortc peers on loopback (tests/busy_link.py): a sender of steady pre-encoded video
(``--bitrate``), and a receiver on an event loop of its own on a busy computer (``--pattern``):

- ``spells`` (the default): every ``--period`` s a spell of ``--spell`` s in which the loop gets
  only ``1 - --hold`` of each 10 ms, and every packet costs the loop ``--cost`` s (a process
  short of CPU: a backlog builds in the socket during the spell and is caught up after it);
- ``blocks``: the loop held 30-80 ms every 100 ms, packets cheap (late, but no backlog builds);
- ``idle``: the loop not held (the control).

Rounds, each ``--duration`` seconds:

- ``loop``: the receiver as it was (aiortc takes arrival times when its loop reads a datagram);
- ``kernel``: the app's receiving connection now (rtcseam.arrival: the kernel's receive time);
- ``kernel+bottleneck``: the same, behind a ``--bottleneck`` bit/s queue at the sender (real
  congestion, which must still cut the estimate); skipped with ``--bottleneck 0``.

Each round prints, every second, aiortc's estimate (the REMB the receiver sends) and the same
estimator fed the event loop's times from the same packets, then a summary line; the last line
is JSON with every figure.

    python bench/busy_receiver.py [--pattern spells|blocks|idle] [--bitrate 1000000]
                                  [--period 2] [--spell 0.6] [--hold 0.9] [--cost 0.001]
                                  [--duration 20] [--bottleneck 600000]
    python bench/busy_receiver.py --socket-cost

``--socket-cost`` only prints what reading one 1200-byte datagram costs, as asyncio reads it
(``recvfrom`` with a 256 KiB buffer), without and with the kernel's time (best of 5 x 2000).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rtcseam.arrival import available, stamp_transport  # noqa: E402
from tests.busy_link import BLOCKS, Busy, Receiver, connect, narrow, steady_sender  # noqa: E402

#: the estimator needs 3 s of packets for its first value; judge what follows that
SETTLE = 5.0


def kbit(value: float | None) -> str:
    return "   -  " if value is None else f"{value / 1000:6.0f}"


def summary(values: list[int], bitrate: int) -> dict[str, float | None]:
    """``cuts``: how often the estimate fell (aiortc lowers it only when it reads a queue)."""
    if not values:
        return {"median_kbit": None, "min_kbit": None, "under_send_rate": None, "cuts": None}
    return {"median_kbit": round(statistics.median(values) / 1000), "min_kbit": round(min(values) / 1000),
            "under_send_rate": round(sum(v < bitrate for v in values) / len(values), 2),
            "cuts": sum(b < a for a, b in zip(values, values[1:]))}


async def round_(name: str, kernel: bool, bottleneck: int, args) -> dict:  # noqa: ANN001
    sender = await steady_sender(args.bitrate)
    receiver = Receiver(kernel_times=kernel, busy=args.busy)
    try:
        await connect(sender, receiver)
        if bottleneck:
            narrow(sender, bottleneck)
        await asyncio.sleep(args.duration)
    finally:
        await receiver.close()
        await sender.close()
    print(f"\n{name}: {'kernel' if kernel else 'loop'} arrival times, sending {args.bitrate // 1000} kbit/s"
          + (f" through a {bottleneck // 1000} kbit/s bottleneck" if bottleneck else "")
          + f", {args.pattern}")
    print("   s   aiortc  loop-times (kbit/s)")
    shown = -1
    for sample in receiver.samples:
        if int(sample.at) > shown:
            shown = int(sample.at)
            print(f"  {shown:2d}   {kbit(sample.aiortc)}  {kbit(sample.loop_times)}")
    settled = [s for s in receiver.samples if s.at >= SETTLE]
    result = {"round": name, "kernel_times": kernel, "bottleneck": bottleneck,
              "aiortc": summary([s.aiortc for s in settled if s.aiortc is not None], args.bitrate),
              "loop_times": summary([s.loop_times for s in settled if s.loop_times is not None], args.bitrate),
              "packets": receiver.packets}
    if receiver.arrivals is not None:
        result["kernel_stamped"] = receiver.arrivals.kernel
        result["loop_stamped"] = receiver.arrivals.loop
    ours, before = result["aiortc"], result["loop_times"]
    print(f"  after {SETTLE:.0f} s: aiortc median {ours['median_kbit']} min {ours['min_kbit']} kbit/s, cut"
          f" {ours['cuts']} times, {ours['under_send_rate']} of samples under the send rate;"
          f" loop-times median {before['median_kbit']} min {before['min_kbit']}, cut {before['cuts']} times,"
          f" {before['under_send_rate']} under")
    return result


def socket_cost(stamped: bool) -> float:
    """Microseconds to read one 1200-byte datagram off a loopback UDP socket, best of 5 x 2000."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as inbox, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
        inbox.bind(("127.0.0.1", 0))
        inbox.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        if stamped and not stamp_transport(type("Transport", (), {"_sock": inbox})()):
            raise SystemExit("no kernel receive times here")
        best = float("inf")
        for _ in range(5):
            for _ in range(2000):
                out.sendto(bytes(1200), inbox.getsockname())
            start = time.perf_counter()
            for _ in range(2000):
                inbox.recvfrom(256 * 1024)  # what asyncio's datagram transport asks for
            best = min(best, (time.perf_counter() - start) / 2000)
        return best * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bitrate", type=int, default=1_000_000)
    parser.add_argument("--pattern", choices=("spells", "blocks", "idle"), default="spells")
    parser.add_argument("--period", type=float, default=2.0)
    parser.add_argument("--spell", type=float, default=0.6)
    parser.add_argument("--hold", type=float, default=0.9)
    parser.add_argument("--cost", type=float, default=0.001)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--bottleneck", type=int, default=600_000, help="bit/s; 0: no third round")
    parser.add_argument("--socket-cost", action="store_true", help="only the cost of reading a datagram")
    args = parser.parse_args()
    if args.socket_cost:
        plain, stamped = socket_cost(False), socket_cost(True)
        print(f"reading a 1200-byte datagram: {plain:.2f} us, with the kernel's time {stamped:.2f} us"
              f" (load average {os.getloadavg()[0]:.2f})")
        print(json.dumps({"plain_us": round(plain, 2), "stamped_us": round(stamped, 2),
                          "load_average": [round(v, 2) for v in os.getloadavg()]}))
        return
    args.busy = {"spells": Busy(args.period, args.spell, args.hold, args.cost), "blocks": BLOCKS,
                 "idle": None}[args.pattern]
    if args.pattern == "spells":
        args.pattern = (f"a spell of {args.spell} s every {args.period} s with the loop held {args.hold:.0%} of the"
                        f" time, {args.cost * 1000:g} ms a packet")
    elif args.pattern == "blocks":
        args.pattern = "the loop held 30-80 ms every 100 ms"
    else:
        args.pattern = "the loop not held"
    print(f"kernel receive times available: {available()}; load average {os.getloadavg()[0]:.2f}")
    results = [await round_("loop", False, 0, args), await round_("kernel", True, 0, args)]
    if args.bottleneck:
        results.append(await round_("kernel+bottleneck", True, args.bottleneck, args))
    load = os.getloadavg()
    print(json.dumps({"bitrate": args.bitrate, "busy": args.pattern,
                      "duration": args.duration, "rounds": results, "load_average": [round(v, 2) for v in load]}))


if __name__ == "__main__":
    asyncio.run(main())
