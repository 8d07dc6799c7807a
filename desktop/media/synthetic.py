"""Synthetic capture devices: a moving, stamped test pattern, a presenter and a tone.

They are real, selectable devices (DESIGN.md, Testing), so the app, ``parley-bot`` and the tests
run anywhere. Both are aiortc tracks paced in real time: ``recv()`` returns one frame per period
on a fixed grid measured with ``time.monotonic``, so timestamps never drift. A consumer that falls
behind gets the overdue frame at once; one that falls further behind than ``max_lag`` skips the
missed slots, as a real device would drop them rather than replay the past in a burst.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from collections.abc import Awaitable, Callable

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import (
    VIDEO_CLOCK_RATE,
    VIDEO_TIME_BASE,
    MediaStreamError,
    MediaStreamTrack,
)

from .stamp import Stamp, stamp_height, write_stamp

__all__ = [
    "DesktopPattern",
    "MovingPattern",
    "PresenterPattern",
    "RealTimePacer",
    "SyntheticCamera",
    "SyntheticMicrophone",
    "SyntheticScreen",
    "tone_amplitude",
    "tone_samples",
]

AUDIO_PTIME = 0.020  # 20 ms audio frames, as aiortc and Opus use

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
_NEUTRAL = 128  # chroma of greys
_BAR_LUMA = 235  # the moving bar is peak white


class RealTimePacer:
    """Hands out slots on a fixed real-time grid: slot n is due at ``start + n * period``.

    The first slot is due at once. A caller later than ``max_lag`` behind the grid skips ahead to
    the current slot, so slot numbers always reflect elapsed time and timestamps stay true.
    """

    def __init__(
        self,
        period: float,
        max_lag: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if period <= 0:
            raise ValueError(f"period must be positive, got {period}")
        self.period = period
        self.max_lag = max_lag
        self._clock = clock
        self._sleep = sleep
        self._start: float | None = None
        self._slot = 0

    async def live_slot(self, track: MediaStreamTrack) -> int:
        """The next slot for ``track``; MediaStreamError if it is (or gets) stopped meanwhile."""
        if track.readyState != "live":
            raise MediaStreamError
        slot = await self.next_slot()
        if track.readyState != "live":  # stopped while we waited
            raise MediaStreamError
        return slot

    async def next_slot(self) -> int:
        now = self._clock()
        if self._start is None:
            self._start = now
            self._slot = 0
            return 0
        slot = self._slot + 1
        if now - (self._start + slot * self.period) > self.max_lag:
            slot = max(slot, int((now - self._start) / self.period))
        deadline = self._start + slot * self.period
        # asyncio.sleep may wake a little early (DESIGN.md, Known traps): check the clock again.
        while (wait := deadline - self._clock()) > 0:
            await self._sleep(wait)
        self._slot = slot
        return slot


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
        self._u[: self._top // 2] = _NEUTRAL
        self._v[: self._top // 2] = _NEUTRAL
        self._bar_width = max(2, width // 16) & ~1
        self._step = max(2, width // 80) & ~1  # pixels a frame; a sweep takes ~2.5 s at 30 fps

    def bar_x(self, frame_number: int) -> int:
        """Left edge of the moving bar in the frame with this number (always even)."""
        return (frame_number * self._step) % (self.width - self._bar_width) & ~1

    def render(self, frame_number: int, captured_ms: int) -> av.VideoFrame:
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        y, u, v = (_plane_view(plane) for plane in frame.planes)
        np.copyto(y, self._y)
        np.copyto(u, self._u)
        np.copyto(v, self._v)
        x = self.bar_x(frame_number)
        y[self._top :, x : x + self._bar_width] = _BAR_LUMA
        u[self._top // 2 :, x // 2 : (x + self._bar_width) // 2] = _NEUTRAL
        v[self._top // 2 :, x // 2 : (x + self._bar_width) // 2] = _NEUTRAL
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
        u[: self._top // 2] = _NEUTRAL
        v[: self._top // 2] = _NEUTRAL
        # the window: a title bar and a white page, both with neutral chroma
        self._win = (self._top + height // 12 & ~1, width // 10 & ~1, height - height // 12 & ~1,
                     width - width // 10 & ~1)
        top, left, bottom, right = self._win
        y[top:bottom, left:right] = 235
        y[top : top + 32, left:right] = 90
        u[top // 2 : bottom // 2, left // 2 : right // 2] = _NEUTRAL
        v[top // 2 : bottom // 2, left // 2 : right // 2] = _NEUTRAL
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
        y, u, v = (_plane_view(plane) for plane in frame.planes)
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


def _coverage(distance: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """How much of each pixel a shape covers, from a distance inside its edge (in pixels)."""
    return np.clip(distance + 0.5, 0.0, 1.0)


def _blob(xx: npt.NDArray[np.float32], yy: npt.NDArray[np.float32], cx: float, cy: float,
          rx: float, ry: float, power: float = 2.0, open_below: bool = False) -> npt.NDArray[np.float32]:
    """Coverage of a superellipse (``power`` 2: an ellipse; higher: squarer), anti-aliased.
    ``open_below``: it goes on straight down from its widest row (a torso to the frame's edge)."""
    dy = yy - cy
    if open_below:
        dy = np.minimum(dy, 0.0)
    radius = (np.abs((xx - cx) / rx) ** power + np.abs(dy / ry) ** power) ** (1.0 / power)
    return _coverage((1.0 - radius) * min(rx, ry))


def _paint(canvas: npt.NDArray[np.float32], coverage: npt.NDArray[np.float32], colour) -> None:
    """Lay ``colour`` (an RGB triple, or an HxWx3 array) over ``canvas`` where ``coverage`` says."""
    canvas += (np.asarray(colour, np.float32) - canvas) * coverage[..., None]


def _to_yuv420(rgb: npt.NDArray[np.float32]) -> list[npt.NDArray[np.uint8]]:
    """RGB in 0..1 (HxWx3, even sizes) as yuv420p planes (BT.601 video range, as cameras give)."""
    frame = av.VideoFrame.from_ndarray(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8), format="rgb24")
    return [_plane_view(plane).copy() for plane in frame.reformat(format="yuv420p").planes]


def _soften(rgb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A 3x3 binomial blur, as a camera's lens would soften hard painted edges."""
    p = np.pad(rgb, ((1, 1), (1, 1), (0, 0)), mode="edge")
    rows = (p[:-2] + 2 * p[1:-1] + p[2:]) * 0.25
    return (rows[:, :-2] + 2 * rows[:, 1:-1] + rows[:, 2:]) * 0.25


class _Sprite:
    """A picture with an alpha, ready to blend onto yuv420p planes: per plane, the colour
    already multiplied by the alpha (in 1/256ths, plus the rounding) and 256 minus the alpha."""

    def __init__(self, rgb: npt.NDArray[np.float32], alpha: npt.NDArray[np.float32]) -> None:
        height, width = alpha.shape
        assert width % 2 == 0 and height % 2 == 0
        luma_alpha = np.round(alpha * 256).astype(np.uint16)
        chroma_alpha = np.round(alpha.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3)) * 256)
        self.planes = []
        for plane, a in zip(_to_yuv420(rgb), (luma_alpha, chroma_alpha, chroma_alpha), strict=True):
            a = a.astype(np.uint16)
            self.planes.append((plane.astype(np.uint16) * a + 128, 256 - a))

    def blend(self, planes: list[npt.NDArray[np.uint8]], x: int, y: int) -> None:
        """Blend over the planes with the top-left corner at (x, y) (even), clipped to them."""
        for index, (target, (colour, keep)) in enumerate(zip(planes, self.planes, strict=True)):
            shift = 0 if index == 0 else 1
            tx, ty = x >> shift, y >> shift
            height, width = target.shape
            x0, y0 = max(tx, 0), max(ty, 0)
            x1, y1 = min(tx + colour.shape[1], width), min(ty + colour.shape[0], height)
            if x0 >= x1 or y0 >= y1:
                continue
            region = target[y0:y1, x0:x1]
            mixed = region * keep[y0 - ty : y1 - ty, x0 - tx : x1 - tx]
            mixed += colour[y0 - ty : y1 - ty, x0 - tx : x1 - tx]
            mixed >>= 8
            region[...] = mixed


# The presenter's colours (RGB, 0..1).
_SKIN = (0.87, 0.67, 0.55)
_SKIN_SHADOW = (0.72, 0.52, 0.42)
_HAIR = (0.22, 0.14, 0.09)
_SWEATER = (0.17, 0.33, 0.52)
_SWEATER_DARK = (0.11, 0.22, 0.37)
_LIPS = (0.70, 0.40, 0.38)
_EYES = (0.16, 0.11, 0.09)


class PresenterPattern:
    """Renders stamped yuv420p frames of a person at a desk camera: a flat-shaded presenter
    (hair, face, neck, shoulders in a sweater) swaying gently and blinking now and then, in front
    of a busy bookshelf, a framed picture and a sideboard. Made for background effects: the selfie
    segmenter finds the person in it (bench/background.py measures the effects on it), and a blur
    or a picture behind them shows.

    The room and the person are drawn once (hair, body and head as sprites with soft edges, about
    40 ms at 640x360); a frame costs the three plane copies, three sprite blends and the stamp
    (about 0.1 ms at 640x360).
    """

    PERIOD = 180  # frames of one sway, left and back (6 s at 30 fps)
    BLINK_EVERY = 105  # frames from one blink to the next; a blink lasts 4 frames

    def __init__(self, width: int, height: int) -> None:
        if width < 80 or height < 48 or width % 2 or height % 2:
            raise ValueError(f"need an even size of at least 80x48, got {width}x{height}")
        self.width = width
        self.height = height
        self._s = s = height / 360  # the scene is drawn for 360 rows and scaled to the height
        self._room = _to_yuv420(_soften(self._draw_room()))
        # The stamp band: neutral chroma, so a stamp's colour does not depend on the room.
        band = (stamp_height(height) + 1) // 2
        self._room[1][:band] = _NEUTRAL
        self._room[2][:band] = _NEUTRAL
        self._sway = 30 * s  # pixels from the middle to either side
        # Three layers: the hair behind, the body (neck, shoulders, torso, down to the bottom of
        # the frame), the head (face, ears, fringe), with its eyes open and shut.
        self._body_half, self._body_top = int(math.ceil(156 * s)) + 1, int(178 * s) & ~1
        self._body = self._draw_body(2 * self._body_half, height - self._body_top)
        self._head_half, self._head_top = int(66 * s) + 2, int(70 * s) & ~1
        head_height = int(234 * s) + 2 - self._head_top & ~1
        self._hair = self._draw_hair(2 * self._head_half, head_height)
        self._heads = [self._draw_head(2 * self._head_half, head_height, blink) for blink in (False, True)]

    # -- drawing, once ------------------------------------------------------------------------

    def _grid(self, width: int, height: int, top: int):
        """A layer's pixel centres in scene units (360 rows; x from the person's middle)."""
        s = self._s
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        return (xx + 0.5 - width / 2) / s, (yy + 0.5 + top) / s

    def _draw_room(self) -> npt.NDArray[np.float32]:
        width, height, s = self.width, self.height, self._s
        rng = np.random.default_rng(7)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        img = np.empty((height, width, 3), np.float32)
        light = 1.05 - 0.18 * xx / width - 0.06 * yy / height  # a window to the left
        img[:] = np.array((0.80, 0.74, 0.64), np.float32) * light[..., None]

        def box(x0: float, y0: float, x1: float, y1: float, colour) -> None:
            img[max(int(y0), 0) : max(int(y1), 0), max(int(x0), 0) : max(int(x1), 0)] = colour

        # A tall bookshelf over the left two thirds.
        left, right = 0.02 * width, 0.64 * width
        wood, board_wood, inside = (0.70, 0.56, 0.38), (0.78, 0.63, 0.43), (0.52, 0.41, 0.28)
        box(left, 0, right, height, wood)
        post = max(2.0, 8 * s)
        middle = (left + right) / 2
        gap, board = 70 * s, max(2.0, 7 * s)
        # Book colours: none of them skin-like, or the segmenter takes a spine beside a cheek for one.
        palette = np.array([(0.55, 0.12, 0.12), (0.12, 0.20, 0.40), (0.15, 0.35, 0.20), (0.85, 0.78, 0.25),
                            (0.88, 0.88, 0.84), (0.10, 0.10, 0.12), (0.20, 0.45, 0.50), (0.42, 0.48, 0.60),
                            (0.45, 0.20, 0.40), (0.40, 0.42, 0.18)], np.float32)
        y = -20 * s
        while y < height:
            floor = y + gap  # the board the books stand on
            for x0, x1 in ((left + post, middle - post / 2), (middle + post / 2, right - post)):
                box(x0, y, x1, floor, inside)
                x = x0 + rng.uniform(0, 6) * s
                while x < x1 - 4 * s:
                    roll = rng.uniform()
                    if roll < 0.07:  # a gap
                        x += rng.uniform(10, 26) * s
                        continue
                    if roll < 0.13:  # a pile of books lying flat
                        w = rng.uniform(26, 40) * s
                        level = floor
                        for _ in range(int(rng.integers(2, 5))):
                            h = rng.uniform(5, 9) * s
                            box(x, level - h, min(x + w, x1), level, palette[rng.integers(len(palette))])
                            level -= h + 1
                        x += w + 2 * s
                        continue
                    w = rng.uniform(6, 14) * s
                    h = rng.uniform(0.55, 0.88) * gap
                    colour = np.clip(palette[rng.integers(len(palette))] * rng.uniform(0.8, 1.15), 0, 1)
                    x_end = min(x + w, x1)
                    box(x, floor - h, x_end, floor, colour)
                    if rng.uniform() < 0.5:  # a label or gilt bands on the spine
                        band = np.clip(colour + 0.35, 0, 1)
                        box(x + w * 0.2, floor - h * 0.8, x_end - w * 0.2, floor - h * 0.8 + max(1, 4 * s), band)
                        box(x + w * 0.2, floor - h * 0.25, x_end - w * 0.2, floor - h * 0.25 + max(1, 2 * s), band)
                    box(x_end - max(1, s), floor - h, x_end, floor, colour * 0.6)  # the spine's shade
                    x = x_end + rng.uniform(0, 1.5) * s
                box(x0, y, x1, y + 6 * s, (0.36, 0.28, 0.19))  # shadow under the board above
            box(left, floor, right, floor + board, board_wood)
            box(left, floor + board - max(1, s), right, floor + board, (0.50, 0.38, 0.25))
            y = floor + board
        box(middle - post / 2, 0, middle + post / 2, height, wood)
        box(left, 0, left + post, height, wood)
        box(right - post, 0, right, height, wood)
        # A framed picture on the wall to the right: hills under a sky.
        px0, px1, py0, py1 = 0.73 * width, 0.93 * width, 40 * s, 150 * s
        box(px0, py0, px1, py1, (0.15, 0.12, 0.10))
        m = max(2, 8 * s)
        box(px0 + m, py0 + m, px1 - m, py1 - m, (0.62, 0.76, 0.86))
        inner = (slice(int(py0 + m), int(py1 - m)), slice(int(px0 + m), int(px1 - m)))
        iy, ix = yy[inner], xx[inner]
        hills = iy > py0 + (py1 - py0) * (0.62 + 0.12 * np.sin((ix - px0) / (22 * s)))
        img[inner][hills] = (0.36, 0.55, 0.30)
        sun = (ix - (px0 + 0.7 * (px1 - px0))) ** 2 + (iy - (py0 + 0.35 * (py1 - py0))) ** 2 < (9 * s) ** 2
        img[inner][sun] = (0.97, 0.90, 0.60)
        # A low sideboard, bottom right, with a vase of twigs on it.
        top = 296 * s
        box(0.68 * width, top, width, height, (0.62, 0.47, 0.32))
        box(0.68 * width, top, width, top + max(1, 5 * s), (0.70, 0.55, 0.38))
        for door in (0.70, 0.85):
            box(door * width, top + 14 * s, (door + 0.13) * width, height, (0.57, 0.43, 0.29))
            box((door + 0.11) * width, top + 34 * s, (door + 0.115) * width, top + 50 * s, (0.30, 0.22, 0.15))
        vase_x = 0.80 * width
        box(vase_x - 7 * s, top - 34 * s, vase_x + 7 * s, top, (0.25, 0.35, 0.42))
        for lean in (-0.5, -0.2, 0.15, 0.45):
            for k in range(int(60 * s)):
                ty = top - 34 * s - k
                tx = vase_x + lean * k
                box(tx, ty, tx + max(1, 1.5 * s), ty + 1, (0.28, 0.20, 0.13))
        img *= (1 + rng.normal(0, 0.012, (height, width, 1))).astype(np.float32)  # a little grain
        return img

    def _draw_body(self, width: int, height: int) -> _Sprite:
        xx, yy = self._grid(width, height, self._body_top)
        img = np.empty((height, width, 3), np.float32)
        img[:] = _SWEATER
        # The torso and shoulders: a squarish blob from the collar down to the frame's edge.
        torso = _blob(xx, yy, 0, 432, 152, 174, power=3.2, open_below=True)
        shade = (1.0 - 0.30 * (xx / 152) ** 2 - 0.10 * np.clip((yy - 270) / 110, 0, 1))[..., None]
        _paint(img, torso, np.array(_SWEATER, np.float32) * shade)
        # The arms hang at the sides: a darker fold where they meet the chest.
        for side in (-1, 1):
            fold = _coverage(1.6 - np.abs(xx - side * (108 + (yy - 320) * 0.05))) * (yy > 312) * torso
            _paint(img, fold, _SWEATER_DARK)
        # The neck, shaded under the chin, and the ribbed collar round it.
        neck = _blob(xx, yy, 0, 220, 29, 44, power=4)
        _paint(img, neck, _SKIN_SHADOW)
        _paint(img, _blob(xx, yy, 0, 226, 30, 10) * neck, np.array(_SKIN_SHADOW, np.float32) * 0.85)
        collar = _blob(xx, yy, 0, 256, 48, 15) * (1 - _blob(xx, yy, 0, 252, 34, 9))
        _paint(img, collar * (yy > 246), _SWEATER_DARK)
        return _Sprite(img, np.maximum(torso, neck))

    def _draw_hair(self, width: int, height: int) -> _Sprite:
        """The hair behind the head, short of the collar."""
        xx, yy = self._grid(width, height, self._head_top)
        img = np.empty((height, width, 3), np.float32)
        img[:] = _HAIR
        hair = _blob(xx, yy, 0, 152, 58, 72) * _coverage(210 - yy)
        return _Sprite(img, hair)

    def _draw_head(self, width: int, height: int, blink: bool) -> _Sprite:
        xx, yy = self._grid(width, height, self._head_top)
        img = np.empty((height, width, 3), np.float32)
        img[:] = _SKIN
        alpha = np.zeros((height, width), np.float32)
        for side in (-1, 1):
            ear = _blob(xx, yy, side * 47, 172, 9, 15)
            _paint(img, ear, _SKIN_SHADOW)
            alpha = np.maximum(alpha, ear)
        face = _blob(xx, yy, 0, 166, 46, 62, power=2.2)
        light = (1.0 - 0.10 * np.clip((xx + 10) / 46, 0, 1))[..., None]  # light from the left
        _paint(img, face, np.array(_SKIN, np.float32) * light)
        # Hair over the forehead, parted to one side, down to the temples.
        hairline = 122 + 0.011 * (xx + 12) ** 2 - 6 * np.exp(-(((xx - 14) / 14) ** 2))
        fringe = np.minimum(_blob(xx, yy, 0, 148, 52, 70), _coverage(hairline - yy))
        _paint(img, fringe, _HAIR)
        alpha = np.maximum(alpha, np.maximum(face, fringe))
        for side in (-1, 1):
            _paint(img, _blob(xx, yy, side * 18, 150, 12, 2.6), _HAIR)  # brows
            if blink:
                _paint(img, _blob(xx, yy, side * 18, 162, 8, 1.3), _EYES)
            else:
                _paint(img, _blob(xx, yy, side * 18, 162, 8, 4.2), (0.95, 0.93, 0.90))
                _paint(img, _blob(xx, yy, side * 18 + 1, 162, 4, 4), _EYES)
            _paint(img, _blob(xx, yy, side * 28, 186, 10, 7) * 0.25, (0.90, 0.55, 0.50))  # cheeks
        _paint(img, _blob(xx, yy, 4, 182, 6, 4), _SKIN_SHADOW)  # the nose's shade
        _paint(img, _blob(xx, yy, 0, 201, 14, 3.6), _LIPS)
        return _Sprite(img, alpha)

    # -- a frame --------------------------------------------------------------------------------

    def offset(self, frame_number: int) -> int:
        """Pixels the body is off the frame's middle in this frame (even; negative: left)."""
        return int(round(self._sway * math.sin(2 * math.pi * frame_number / self.PERIOD))) & ~1

    def render(self, frame_number: int, captured_ms: int) -> av.VideoFrame:
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        planes = [_plane_view(plane) for plane in frame.planes]
        for target, source in zip(planes, self._room, strict=True):
            np.copyto(target, source)
        phase = 2 * math.pi * frame_number / self.PERIOD
        middle = self.width // 2
        body_x = middle + self.offset(frame_number) - self._body_half & ~1
        # The head leans a little further than the shoulders, and nods a little.
        head_x = middle + int(round(self._sway * 1.2 * math.sin(phase))) - self._head_half & ~1
        head_y = self._head_top + int(round(2 * self._s * math.sin(2 * phase))) & ~1
        blink = frame_number % self.BLINK_EVERY >= self.BLINK_EVERY - 4
        self._hair.blend(planes, head_x, head_y)
        self._body.blend(planes, body_x, self._body_top)
        self._heads[blink].blend(planes, head_x, head_y)
        write_stamp(planes[0], Stamp(frame_number % (1 << 32), captured_ms))
        return frame


def _plane_view(plane: av.video.plane.VideoPlane) -> npt.NDArray[np.uint8]:
    """A writable HxW numpy view of a video plane, honouring its line stride."""
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


class SyntheticCamera(MediaStreamTrack):
    """A camera that films a moving test pattern (or ``pattern``: a presenter, a desktop)
    stamped with frame number and capture time."""

    kind = "video"

    def __init__(
        self,
        width: int = 640,
        height: int = 360,
        fps: int = 30,
        label: str = "Synthetic camera",
        wall_clock: Callable[[], float] = time.time,
        pattern: MovingPattern | DesktopPattern | PresenterPattern | None = None,
    ) -> None:
        super().__init__()
        if not 0 < fps <= VIDEO_CLOCK_RATE:
            raise ValueError(f"fps out of range: {fps}")
        self.width = width
        self.height = height
        self.fps = fps
        self.label = label
        self.frames_captured = 0
        self._wall_clock = wall_clock
        self._pattern = pattern or MovingPattern(width, height)
        self._pacer = RealTimePacer(1.0 / fps, max_lag=1.0 / fps)

    async def recv(self) -> av.VideoFrame:
        slot = await self._pacer.live_slot(self)
        # Frame numbers count the frames delivered, so a gap at the receiver is a real loss;
        # pts follows the slot, so it also shows the time a skipped slot took.
        frame = self._pattern.render(self.frames_captured, int(self._wall_clock() * 1000))
        frame.pts = slot * VIDEO_CLOCK_RATE // self.fps
        frame.time_base = VIDEO_TIME_BASE
        self.frames_captured += 1
        return frame


class SyntheticScreen(SyntheticCamera):
    """A screen to share: a scrolling document on a desktop, 1920x1080 at 15 fps by default."""

    def __init__(self, width: int = 1920, height: int = 1080, fps: int = 15,
                 label: str = "Synthetic screen", wall_clock: Callable[[], float] = time.time) -> None:
        super().__init__(width, height, fps, label, wall_clock, pattern=DesktopPattern(width, height))


def tone_samples(
    start: int, count: int, frequency: float, amplitude: float, sample_rate: int
) -> npt.NDArray[np.int16]:
    """``count`` s16 samples of a sine from sample index ``start`` on (phase-continuous)."""
    t = (start + np.arange(count, dtype=np.float64)) * (2.0 * math.pi * frequency / sample_rate)
    return np.round(amplitude * np.sin(t)).astype(np.int16)


def tone_amplitude(level_dbfs: float) -> float:
    """Peak s16 amplitude of a sine with an RMS ``level_dbfs`` re full scale (RFC 6465 dBov)."""
    amplitude = math.sqrt(2.0) * 10.0 ** (level_dbfs / 20.0) * 32767
    if amplitude > 32767:
        raise ValueError(f"a sine cannot reach {level_dbfs} dBFS RMS without clipping")
    return amplitude


class SyntheticMicrophone(MediaStreamTrack):
    """A microphone that hears a steady tone: 20 ms mono s16 frames, paced in real time."""

    kind = "audio"

    def __init__(
        self, frequency: float = 440.0, level_dbfs: float = -20.0, sample_rate: int = 48000
    ) -> None:
        super().__init__()
        if sample_rate % 50:
            raise ValueError(f"sample rate must be a multiple of 50 Hz, got {sample_rate}")
        self.frequency = frequency
        self.sample_rate = sample_rate
        self.samples_per_frame = sample_rate // 50
        self.level = 0.0  # RMS of the last frame, relative to full scale (0..1)
        self._amplitude = tone_amplitude(level_dbfs)
        self._time_base = fractions.Fraction(1, sample_rate)
        # Audio tolerates a short stall by catching up (as a device buffer would) before skipping.
        self._pacer = RealTimePacer(AUDIO_PTIME, max_lag=0.2)

    async def recv(self) -> av.AudioFrame:
        slot = await self._pacer.live_slot(self)
        start = slot * self.samples_per_frame
        samples = tone_samples(
            start, self.samples_per_frame, self.frequency, self._amplitude, self.sample_rate
        )
        self.level = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)) / 32767)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = start
        frame.time_base = self._time_base
        return frame
