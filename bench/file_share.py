"""Sharing a video file (desktop/media/file_share/): how closely FileSource keeps real time.

    python bench/file_share.py [--seconds 4] [--containers mp4,webm] [--pause 0.65] [--json]

tests/test_file_share.py checks, on a playback clock the test moves, that every frame comes
when its timestamp is due and that a pause moves the timestamps on by exactly its length. Here
the same FileSource plays on the real clock, as in a call, and the script prints how well it
keeps to it on this machine:

- elapsed: from the first ``recv()`` until both tracks ended, against the file's duration;
- lateness: per frame, when it came minus when its timestamp was due (from the first
  ``recv()``), per track: p50, p95 and spread (max - min);
- A/V offset: the difference of the two tracks' median lateness (lip sync);
- pause: the gap in the timestamps across a real pause of ``--pause`` seconds, against the
  pause as measured around ``pause()``/``resume()``.

The clips are made here with PyAV, as tests/test_file_share.py makes its own: a bar moving
across grey and a 440 Hz tone, 320x240 at 15 fps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError

from desktop.media.file_share.source import FileSource
from desktop.media.synthetic.clip import make_media

#: container -> (suffix, video codecs, audio codecs): the first this PyAV can write is used
CONTAINERS = {
    "mp4": (".mp4", ("libx264", "h264", "mpeg4"), ("aac", "libmp3lame", "mp3")),
    "webm": (".webm", ("libvpx",), ("libopus", "opus")),
}
RATES = {"video": 90000, "audio": 48000}


async def read(track, arrivals: list[tuple[float, int]]) -> None:
    try:
        while True:
            frame = await track.recv()
            arrivals.append((time.monotonic(), frame.pts))
    except MediaStreamError:
        pass


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def play(path: Path) -> dict:
    source = await FileSource.open(path)
    arrivals: dict[str, list[tuple[float, int]]] = {"video": [], "audio": []}
    start = time.monotonic()
    readers = [asyncio.ensure_future(read(track, arrivals[track.kind]))
               for track in (source.video, source.audio) if track is not None]
    await asyncio.gather(*readers)
    elapsed = time.monotonic() - start
    await source.aclose()
    result: dict = {"duration_s": source.duration, "elapsed_s": elapsed}
    medians = {}
    for kind, seen in arrivals.items():
        late = [(at - start - pts / RATES[kind]) * 1000 for at, pts in seen]
        medians[kind] = percentile(late, 50)
        result[kind] = {"frames": len(seen), "late_p50_ms": medians[kind], "late_p95_ms": percentile(late, 95),
                        "late_spread_ms": (max(late) - min(late)) if late else float("nan")}
    result["av_offset_ms"] = medians["video"] - medians["audio"]
    return result


async def pause_gap(path: Path, pause: float) -> dict:
    source = await FileSource.open(path)
    arrivals: dict[str, list[tuple[float, int]]] = {"video": [], "audio": []}
    readers = [asyncio.ensure_future(read(track, arrivals[track.kind]))
               for track in (source.video, source.audio) if track is not None]
    await asyncio.sleep(0.5)
    paused = time.monotonic()
    source.pause()
    await asyncio.sleep(pause)
    source.resume()
    paused = time.monotonic() - paused
    await asyncio.gather(*readers)
    await source.aclose()
    gaps = {kind: max(np.diff([pts for _, pts in seen])) / RATES[kind] for kind, seen in arrivals.items() if len(seen) > 1}
    return {"pause_s": paused, "video_gap_s": gaps.get("video"), "audio_gap_s": gaps.get("audio")}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of the clips")
    parser.add_argument("--containers", default="mp4,webm")
    parser.add_argument("--pause", type=float, default=0.65)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-file-") as folder:
        for name in args.containers.split(","):
            suffix, vcodecs, acodecs = CONTAINERS[name]
            vcodec = next((c for c in vcodecs if c in av.codecs_available), None)
            acodec = next((c for c in acodecs if c in av.codecs_available), None)
            if not (vcodec and acodec):
                print(f"{name}: this PyAV cannot write it, left out", file=sys.stderr)
                continue
            clip = make_media(Path(folder) / f"clip{suffix}", vcodec, acodec, seconds=args.seconds, rate=48000)
            figures[name] = await play(clip)
            figures[name]["pause"] = await pause_gap(clip, args.pause)
    if not args.json:
        for name, f in figures.items():
            print(f"{name}: {f['duration_s']:.2f} s file played in {f['elapsed_s']:.3f} s; "
                  f"A/V offset {f['av_offset_ms']:+.1f} ms")
            for kind in ("video", "audio"):
                k = f[kind]
                print(f"  {kind}: {k['frames']} frames, late p50 {k['late_p50_ms']:.1f} ms, "
                      f"p95 {k['late_p95_ms']:.1f} ms, spread {k['late_spread_ms']:.1f} ms")
            p = f["pause"]
            print(f"  pause of {p['pause_s']:.3f} s: timestamps moved on {p['video_gap_s']:.3f} s (video, "
                  f"with one frame) / {p['audio_gap_s']:.3f} s (audio, with one frame)")
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
