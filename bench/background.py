"""Background effects (desktop/media/background/): what the mask and the compositing cost.

    python bench/background.py [--frames 300] [--sizes 640x360,1280x720] [--json]

Runs the real segmenter (MediaPipe's selfie segmentation on ai-edge-litert, one thread) and the
compositor on the synthetic presenter camera's scene (``PresenterPattern``): a flat-shaded
person swaying in front of a busy bookshelf, so that the mask and its edges change on every
frame. Everything runs on this one thread (the interpreter with ``num_threads=1``, swscale with
``threads=1``, numpy), as in the app's worker. No real time: each step runs as fast as it can.

Per frame size and effect it prints, in ms per frame (mean, p50, p95):

- mask: the frame scaled to the model's 256x144 RGB, the model, the temporal smoothing;
- composite: the alpha scaled to the frame, the background (blurred, or the picture), the blend;
- total: both, as ``BackgroundCompositor.apply`` does on every frame at full effect rate;

then, for blur strong, the mean total per frame at each of the load governor's levels (mask on
one frame in N, blurred background on one in M), and the total for an nv12 camera (one more
conversion, to yuv420p).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import av
import numpy as np


from desktop.media.background.compositor import BackgroundCompositor
from desktop.media.background.effect import BackgroundEffect, bundled_backgrounds
from desktop.media.background.governor import LEVELS
from desktop.media.background.segmentation import SelfieSegmenter
from desktop.media.synthetic.presenter import PresenterPattern

EFFECTS = {
    "blur light": BackgroundEffect("blur", "light"),
    "blur strong": BackgroundEffect("blur", "strong"),
}


def scene(width: int, height: int, count: int) -> list[av.VideoFrame]:
    """``count`` yuv420p frames of the synthetic presenter camera (desktop/media/synthetic/presenter.py)."""
    pattern = PresenterPattern(width, height)
    return [pattern.render(i, 0) for i in range(count)]


def stats(samples: list[float]) -> dict[str, float]:
    a = np.array(samples) * 1000
    return {"mean": float(a.mean()), "p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95))}


def line(label: str, figures: dict[str, float]) -> str:
    return f"  {label:<34} {figures['mean']:6.2f} {figures['p50']:6.2f} {figures['p95']:6.2f}"


def measure(frames: list[av.VideoFrame], effect: BackgroundEffect, n: int) -> dict[str, dict[str, float]]:
    compositor = BackgroundCompositor(SelfieSegmenter(threads=1))
    mask_t, compose_t = [], []
    warmup = 10
    for i in range(n + warmup):
        frame = frames[i % len(frames)]
        t0 = time.perf_counter()
        compositor.update_mask(frame)
        t1 = time.perf_counter()
        compositor.compose(frame, effect)
        t2 = time.perf_counter()
        if i >= warmup:
            mask_t.append(t1 - t0)
            compose_t.append(t2 - t1)
    return {"mask": stats(mask_t), "composite": stats(compose_t), "total": measure_total(frames, effect, n)}


def measure_total(frames: list[av.VideoFrame], effect: BackgroundEffect, n: int) -> dict[str, float]:
    compositor = BackgroundCompositor(SelfieSegmenter(threads=1))
    costs = []
    for i in range(n + 10):
        frame = frames[i % len(frames)]
        t0 = time.perf_counter()
        compositor.apply(frame, effect)
        if i >= 10:
            costs.append(time.perf_counter() - t0)
    return stats(costs)


def measure_levels(frames: list[av.VideoFrame], effect: BackgroundEffect, n: int) -> list[dict[str, float]]:
    results = []
    for level in LEVELS:
        compositor = BackgroundCompositor(SelfieSegmenter(threads=1))
        costs = []
        for i in range(n + 10):
            frame = frames[i % len(frames)]
            t0 = time.perf_counter()
            compositor.apply(frame, effect, segment=i % level.segment_every == 0,
                             refresh_background=i % level.background_every == 0)
            if i >= 10:
                costs.append(time.perf_counter() - t0)
        results.append({"segment_every": level.segment_every, "background_every": level.background_every,
                        **stats(costs)})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--sizes", default="640x360,1280x720")
    parser.add_argument("--json", action="store_true", help="also print one JSON line with every figure")
    args = parser.parse_args()
    why = SelfieSegmenter.why_unavailable()
    if why:
        sys.exit(f"background effects are not available here: {why}")
    effects = dict(EFFECTS)
    pictures = bundled_backgrounds()
    if pictures:
        effects["replace"] = BackgroundEffect("replace", image=pictures[0])
    report: dict[str, object] = {"frames": args.frames, "cpus": os.cpu_count()}
    for size in args.sizes.split(","):
        width, height = (int(v) for v in size.split("x"))
        frames = scene(width, height, 60)
        print(f"{width}x{height}, ms per frame: mean p50 p95 ({args.frames} frames, one thread)")
        per_size: dict[str, object] = {}
        for name, effect in effects.items():
            figures = measure(frames, effect, args.frames)
            per_size[name] = figures
            for part in ("mask", "composite", "total"):
                print(line(f"{name}: {part}", figures[part]))
        strong = effects["blur strong"]
        levels = measure_levels(frames, strong, args.frames)
        per_size["blur strong by level"] = levels
        for level in levels:
            print(line(f"blur strong, mask 1/{level['segment_every']}, background 1/{level['background_every']}",
                       level))
        nv12 = [f.reformat(format="nv12") for f in frames]
        from_nv12 = measure_total(nv12, strong, args.frames)
        per_size["blur strong from nv12"] = from_nv12
        print(line("blur strong from an nv12 camera", from_nv12))
        report[size] = per_size
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
