"""Two layers per camera: what the second one costs the publisher, in CPU and in bits.

    python bench/layers.py [--seconds 10] [--size 640x360] [--fps 30]

Renders ``--seconds`` of a synthetic camera (the moving test pattern, and the presenter at a
desk), then encodes it as the publish connection does (desktop/media/peers.py with layers): the
whole picture with aiortc's VP8 encoder at its default target (500 kbit/s), and every second
frame with the small layer's encoder (desktop/media/seam.LayerVp8Encoder: half the width and
height, 150 kbit/s target), each alone and both. It prints, per pattern and encoding: CPU (the
process's user+system time while encoding, as % of one core for real-time video, libvpx's
threads included), bit rate (the encoded payload), and the second layer's CPU over the first's.
Frames are rendered before the clock starts: only encoding (and the small layer's scaling) is
measured. Figures, never pass/fail.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiortc.codecs.vpx import Vp8Encoder  # noqa: E402

from desktop.media.layers import LOW_BITRATE, LOW_CEILING, LOW_EVERY, LOW_FLOOR, LOW_SCALE  # noqa: E402
from desktop.media.seam import LayerVp8Encoder  # noqa: E402
from desktop.media.synthetic.patterns import MovingPattern  # noqa: E402
from desktop.media.synthetic.presenter import PresenterPattern  # noqa: E402
from aiortc.mediastreams import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE  # noqa: E402


def frames_of(pattern, count: int, fps: int) -> list:
    frames = []
    for n in range(count):
        frame = pattern.render(n, n * 1000 // fps)
        frame.pts = n * VIDEO_CLOCK_RATE // fps
        frame.time_base = VIDEO_TIME_BASE
        frames.append(frame)
    return frames


def encode(encoder, frames: list) -> tuple[float, int]:
    """CPU seconds and payload bytes to encode ``frames``."""
    size = 0
    start = time.process_time()
    for frame in frames:
        payloads, _ = encoder.encode(frame)
        size += sum(len(p) for p in payloads)
    return time.process_time() - start, size


def measure(frames: list, seconds: float) -> dict:
    high_cpu, high_bytes = encode(Vp8Encoder(), frames)
    low_cpu, low_bytes = encode(LayerVp8Encoder(LOW_SCALE, LOW_BITRATE, LOW_FLOOR, LOW_CEILING), frames[::LOW_EVERY])
    return {
        "high_cpu_pct": round(100 * high_cpu / seconds, 1),
        "high_kbps": round(8 * high_bytes / seconds / 1000),
        "low_cpu_pct": round(100 * low_cpu / seconds, 1),
        "low_kbps": round(8 * low_bytes / seconds / 1000),
        "both_cpu_pct": round(100 * (high_cpu + low_cpu) / seconds, 1),
        "low_over_high_cpu": round(low_cpu / high_cpu, 2) if high_cpu else None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="What a camera's second layer costs: prints figures.")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--size", default="640x360")
    p.add_argument("--fps", type=int, default=30)
    args = p.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    count = int(args.seconds * args.fps)
    results = {}
    for name, pattern in (("moving pattern", MovingPattern(width, height)),
                          ("presenter", PresenterPattern(width, height))):
        figures = results[name] = measure(frames_of(pattern, count, args.fps), args.seconds)
        print(f"{name}: high {width}x{height}@{args.fps} {figures['high_kbps']} kbit/s, "
              f"{figures['high_cpu_pct']} % of a core; low {width // 2}x{height // 2}@{args.fps / LOW_EVERY:g} "
              f"{figures['low_kbps']} kbit/s, {figures['low_cpu_pct']} %; both {figures['both_cpu_pct']} % "
              f"(the low layer adds {figures['low_over_high_cpu']}x the high layer's CPU)")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
