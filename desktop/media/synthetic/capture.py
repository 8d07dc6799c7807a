"""Synthetic capture devices: a camera, a screen and a microphone, paced in real time.

They are real, selectable devices (DESIGN.md, Testing), so the app, ``parley-bot`` and the tests
run anywhere. All are aiortc tracks paced in real time: ``recv()`` returns one frame per period
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

from .patterns import DesktopPattern, MovingPattern
from .presenter import PresenterPattern

__all__ = [
    "AUDIO_PTIME",
    "RealTimePacer",
    "SyntheticCamera",
    "SyntheticMicrophone",
    "SyntheticScreen",
    "tone_amplitude",
    "tone_samples",
]

AUDIO_PTIME = 0.020  # 20 ms audio frames, as aiortc and Opus use


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
