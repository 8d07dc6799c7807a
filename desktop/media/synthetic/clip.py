"""A short video file made in code: a bar moving across grey (with a red top-left corner, to
see rotations) and a 440 Hz tone, in the codecs asked for. For the file-share tests and
bench/file_share.py; nothing in production makes media files."""

from __future__ import annotations

import fractions
from pathlib import Path

import av
import numpy as np


def make_media(path: Path, vcodec: str | None, acodec: str | None, *, width: int = 320,
               height: int = 240, fps: int = 15, seconds: float = 2.0, rate: int = 44100,
               rotation: int | None = None) -> Path:
    """A file with ``seconds`` of a bar moving across grey and of a 440 Hz tone (stereo)."""
    out = av.open(str(path), "w")
    video = audio = None
    if vcodec:
        video = out.add_stream(vcodec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if vcodec == "libx264":
            video.options = {"preset": "ultrafast"}
        if rotation is not None:
            video.set_display_rotation(rotation)
    if acodec:
        audio = out.add_stream(acodec, rate=rate)
        audio.layout = "stereo"
    if video is not None:
        for index in range(round(seconds * fps)):
            image = np.full((height, width, 3), 60, np.uint8)
            x = index * 8 % (width - 16)
            image[:, x : x + 16] = 255
            image[:16, :16] = (255, 0, 0)  # a red corner: top left, to see rotations
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, fractions.Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    if audio is not None:
        total, position = round(seconds * rate), 0
        while position < total:
            count = min(1024, total - position)
            t = (position + np.arange(count)) / rate
            tone = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = rate, position
            frame.time_base = fractions.Fraction(1, rate)
            for packet in audio.encode(frame):
                out.mux(packet)
            position += count
        for packet in audio.encode(None):
            out.mux(packet)
    out.close()
    return path
