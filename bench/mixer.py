"""The speaker's mixer (desktop/media/mixer.py): what a pull costs, with 1 to 16 voices.

    python bench/mixer.py [--pulls 3000] [--sources 1,4,16] [--json]

The speaker's thread pulls 20 ms (960 stereo samples at 48 kHz) at a time and must never wait.
tests/test_mixer.py checks what a pull returns (the sum, saturation, silence for what is
missing); here the cost is measured. Each round pushes one 20 ms frame per source, as the
receivers do, then pulls 20 ms; "underrun" gives one source only 10 ms a round, so every pull
finds it short (the rest is silence).
Prints, per case, the cost of a pull and of a push in µs (mean / p99 / max). No real time: it
runs as fast as it can, on one thread.
"""

from __future__ import annotations

import argparse
import json
import time

import av
import numpy as np

from desktop.media.mixer import SAMPLE_RATE, Mixer

FRAME = 960


def frame(value: int, samples_per_channel: int = FRAME) -> av.AudioFrame:
    samples = np.full((1, 2 * samples_per_channel), value, dtype=np.int16)
    out = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
    out.sample_rate = SAMPLE_RATE
    return out


def stats(values: list[float]) -> dict[str, float]:
    us = np.array(values) * 1e6
    return {"mean_us": float(us.mean()), "p99_us": float(np.percentile(us, 99)), "max_us": float(us.max())}


def measure(sources: int, pulls: int, underrun: bool) -> dict:
    mixer = Mixer(prebuffer=0.0)
    frames = [frame(100 + i, FRAME // 2 if underrun and i == 0 else FRAME) for i in range(sources)]
    pull_times: list[float] = []
    push_times: list[float] = []
    for _ in range(pulls):
        for i, f in enumerate(frames):
            started = time.perf_counter()
            mixer.push(i, f)
            push_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        mixer.pull(FRAME)
        pull_times.append(time.perf_counter() - started)
    return {"sources": sources, "underrun": underrun, "underruns": mixer.underruns,
            "pull": stats(pull_times), "push": stats(push_times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pulls", type=int, default=3000)
    parser.add_argument("--sources", default="1,4,16")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    cases = [measure(n, args.pulls, underrun) for n in map(int, args.sources.split(",")) for underrun in (False, True)]
    if not args.json:
        for case in cases:
            pull, push = case["pull"], case["push"]
            what = f"{case['sources']:>2} sources{' (underrun)' if case['underrun'] else ''}"
            print(f"{what:<24} pull {pull['mean_us']:7.1f} / {pull['p99_us']:7.1f} / {pull['max_us']:8.1f} µs"
                  f"   push {push['mean_us']:6.1f} / {push['p99_us']:6.1f} µs   underruns {case['underruns']}")
    print(json.dumps(cases))


if __name__ == "__main__":
    main()
