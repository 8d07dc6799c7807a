"""Synthetic pictures: a moving, stamped test pattern and a synthetic desktop (the shared screen).

Each renders yuv420p frames stamped with frame number and capture time (``stamp.py``); a
frame costs a few plane copies.
"""

from __future__ import annotations

import math

import av
import numpy as np
import numpy.typing as npt

from .stamp import Stamp, stamp_height, write_stamp

__all__ = ["NEUTRAL", "DesktopPattern", "MovingPattern", "plane_view"]

# 75 % colour bars in BT.601 video range (Y, U, V): white, yellow, cyan, green, magenta, red, blue.
_BARS = np.array(
    [
        [180, 128, 128],
        [162, 44, 142],
        [131, 156, 44],
        [112, 72, 58],
        [84, 184, 198],
        [65, 100, 212],
        [35, 212, 114],
    ],
    dtype=np.uint8,
)
NEUTRAL = 128  # chroma of greys
_BAR_LUMA = 235  # the moving bar is peak white


class MovingPattern:
    """Renders stamped yuv420p frames: colour bars with a white bar sweeping across them.

    The background is rendered once; a frame costs three plane copies, the bar and the stamp.
    """

    def __init__(self, width: int, height: int) -> None:
        if width < 80 or height < 48 or width % 2 or height % 2:
            raise ValueError(f"need an even size of at least 80x48, got {width}x{height}")
        self.width = width
        self.height = height
        self._top = (stamp_height(height) + 1) & ~1  # first pattern row below the stamp, even
        columns = (np.arange(width) * len(_BARS)) // width
        luma_row = _BARS[columns, 0]
        chroma_columns = columns[::2]
        self._y = np.repeat(luma_row[None, :], height, axis=0)
        self._u = np.repeat(_BARS[chroma_columns, 1][None, :], height // 2, axis=0)
        self._v = np.repeat(_BARS[chroma_columns, 2][None, :], height // 2, axis=0)
        # The stamp band: neutral chroma, so a stamp's colour does not depend on the bars.
        self._u[: self._top // 2] = NEUTRAL
        self._v[: self._top // 2] = NEUTRAL
        self._bar_width = max(2, width // 16) & ~1
        self._step = max(2, width // 80) & ~1  # pixels a frame; a sweep takes ~2.5 s at 30 fps

    def bar_x(self, frame_number: int) -> int:
        """Left edge of the moving bar in the frame with this number (always even)."""
        return (frame_number * self._step) % (self.width - self._bar_width) & ~1

    def render(self, frame_number: int, captured_ms: int) -> av.VideoFrame:
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        y, u, v = (plane_view(plane) for plane in frame.planes)
        np.copyto(y, self._y)
        np.copyto(u, self._u)
        np.copyto(v, self._v)
        x = self.bar_x(frame_number)
        y[self._top :, x : x + self._bar_width] = _BAR_LUMA
        u[self._top // 2 :, x // 2 : (x + self._bar_width) // 2] = NEUTRAL
        v[self._top // 2 :, x // 2 : (x + self._bar_width) // 2] = NEUTRAL
        write_stamp(y, Stamp(frame_number % (1 << 32), captured_ms))
        return frame


class DesktopPattern:
    """Renders stamped yuv420p frames that look like a shared screen: a dark desktop, a
    document window whose lines of "text" scroll by a line every few frames, and a pointer that
    moves. Like a real screen, most of the picture stays still from frame to frame."""

    LINE = 24  # pixels from one line of text to the next

    def __init__(self, width: int, height: int) -> None:
        if width < 160 or height < 120 or width % 2 or height % 2:
            raise ValueError(f"need an even size of at least 160x120, got {width}x{height}")
        self.width = width
        self.height = height
        self._top = (stamp_height(height) + 1) & ~1
        y = np.full((height, width), 40, np.uint8)  # desktop
        u = np.full((height // 2, width // 2), 140, np.uint8)  # a little blue
        v = np.full((height // 2, width // 2), 120, np.uint8)
        u[: self._top // 2] = NEUTRAL
        v[: self._top // 2] = NEUTRAL
        # the window: a title bar and a white page, both with neutral chroma
        self._win = (self._top + height // 12 & ~1, width // 10 & ~1, height - height // 12 & ~1,
                     width - width // 10 & ~1)
        top, left, bottom, right = self._win
        y[top:bottom, left:right] = 235
        y[top : top + 32, left:right] = 90
        u[top // 2 : bottom // 2, left // 2 : right // 2] = NEUTRAL
        v[top // 2 : bottom // 2, left // 2 : right // 2] = NEUTRAL
        self._y, self._u, self._v = y, u, v
        # a long page of text lines of varied length, in rows of LINE pixels
        rng = np.random.default_rng(7)
        page_width = right - left - 80
        self._page = np.full((self.LINE * 200, page_width), 235, np.uint8)
        for line in range(200):
            if line % 9 == 8:
                continue  # a paragraph break
            words_end = int(page_width * rng.uniform(0.4, 1.0))
            row = line * self.LINE + 6
            self._page[row : row + 12, :words_end] = 60
            for gap in rng.integers(0, words_end, size=words_end // 60):  # spaces between words
                self._page[row : row + 12, gap : gap + 8] = 235

    def render(self, frame_number: int, captured_ms: int) -> av.VideoFrame:
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        y, u, v = (plane_view(plane) for plane in frame.planes)
        np.copyto(y, self._y)
        np.copyto(u, self._u)
        np.copyto(v, self._v)
        top, left, bottom, right = self._win
        view_top, view_height = top + 48, bottom - top - 64
        lines = len(self._page) // self.LINE
        first = (frame_number // 4) % (lines - view_height // self.LINE)  # a line every 4 frames
        page = self._page[first * self.LINE : first * self.LINE + view_height]
        y[view_top : view_top + len(page), left + 40 : left + 40 + page.shape[1]] = page
        # the pointer: a small arrow-ish block going round the window
        t = frame_number / 60.0
        px = int(left + (right - left) * (0.5 + 0.4 * math.cos(t * 2 * math.pi))) & ~1
        py = int(top + (bottom - top) * (0.5 + 0.4 * math.sin(t * 2 * math.pi))) & ~1
        for row in range(16):
            y[py + row, px : px + max(2, 12 - row // 2)] = 16
        write_stamp(y, Stamp(frame_number % (1 << 32), captured_ms))
        return frame


def plane_view(plane: av.video.plane.VideoPlane) -> npt.NDArray[np.uint8]:
    """A writable HxW numpy view of a video plane, honouring its line stride."""
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]
