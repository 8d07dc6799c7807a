"""How often the video playout delay (desktop/media/playout.py) leaves a lossy link's picture
frozen, and what it holds pictures back, for a few ``LATE_SHARE`` values: simulated arrivals, no
network, no decoder (a few seconds of one core).

    python bench/playout_sim.py [--packets 1] [--loss 0.05] [--rtt 0.045]

A 30 fps camera over a 20 ± 4 ms link; each of a picture's packets is lost with ``loss``, and a
loss is repaired one round trip after it is noticed (when the next packet comes: a picture's last
packet waits for the next picture); a retransmission is lost with ``loss`` too, and asked for
again 1.5 repairs later. A picture waits for the one before it. Frozen: the share of time in
gaps between pictures shown longer than three frame intervals (parley-bot's definition).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.media.playout import PlayoutDelay  # noqa: E402

FRAME = 1 / 30


def arrivals(seconds: float, rng: random.Random, loss: float, packets: int, rtt: float) -> list[tuple[int, float]]:
    out, previous = [], 0.0
    for n in range(int(seconds * 30)):
        arrival = n * FRAME + 0.02 + rng.uniform(-0.004, 0.004)
        late = 0.0
        for p in range(packets):
            if rng.random() < loss:
                noticed = FRAME if p == packets - 1 else 0.002
                repair = noticed + rtt + rng.uniform(-0.006, 0.006)
                if rng.random() < loss:
                    repair += 2.5 * rtt
                late = max(late, repair)
        previous = max(arrival + late, previous)
        out.append((1000 + 3000 * n, previous))
    return out


def run(share: float, seeds: int, args: argparse.Namespace) -> tuple[list[float], float]:
    frozen, held = [], []
    for seed in range(seeds):
        frames = arrivals(17, random.Random(seed), args.loss, args.packets, args.rtt)
        playout, shown, last = PlayoutDelay(late_share=share), [], 0.0
        for timestamp, arrival in frames:
            playout.arrived(timestamp, arrival)
            last = max(last, arrival, playout.due(timestamp))
            shown.append(last)
        gaps = sum(b - a for a, b in zip(shown, shown[1:]) if b - a > 3 * FRAME)
        frozen.append(gaps / (shown[-1] - shown[0]))
        held.extend(s - (t - 1000) / 90000 for s, (t, _a) in zip(shown, frames))
    return sorted(frozen), sum(held) / len(held)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packets", type=int, default=1, help="packets a picture")
    parser.add_argument("--loss", type=float, default=0.05)
    parser.add_argument("--rtt", type=float, default=0.045, help="seconds from a NACK to its repair")
    parser.add_argument("--seeds", type=int, default=20, help="17 s runs per share")
    args = parser.parse_args()
    for share in (0.05, 0.03, 0.02, 0.01):
        frozen, held = run(share, args.seeds, args)
        print(f"late share {share:.2f}: frozen median {frozen[len(frozen) // 2] * 100:.2f} %, "
              f"worst {frozen[-1] * 100:.2f} % ({args.seeds} runs of 17 s); capture to shown {held * 1000:.0f} ms mean")


if __name__ == "__main__":
    main()
