"""Synthetic capture devices: a moving, stamped test pattern and a tone.

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


def _plane_view(plane: av.video.plane.VideoPlane) -> npt.NDArray[np.uint8]:
    """A writable HxW numpy view of a video plane, honouring its line stride."""
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


class SyntheticCamera(MediaStreamTrack):
    """A camera that films a moving test pattern stamped with frame number and capture time."""

    kind = "video"

    def __init__(
        self,
        width: int = 640,
        height: int = 360,
        fps: int = 30,
        label: str = "Synthetic camera",
        wall_clock: Callable[[], float] = time.time,
        pattern: MovingPattern | DesktopPattern | None = None,
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
