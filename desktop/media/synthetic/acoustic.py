"""A simulated acoustic room: the speaker and microphone of a laptop without headphones.

Synthetic devices like the others (DESIGN.md, Testing), but they share the air: whatever the
speaker plays comes back into the microphone ``delay_ms`` later (40-120 ms is typical) at
``echo_db`` (-6 dB), through a few early reflections, on top of the near-end talker — a
synthetic voice (harmonics of a gliding pitch shaped by moving formants, syllables, pauses and a
little frication) — and a faint noise floor. With ``echo_db=None`` the room is a headset: the
microphone hears only the talker. ``Room.laptop`` and ``Room.headset`` make the two usual ones:
a headset's microphone is at the mouth (the talker at -20 dBFS while voiced), a laptop's an
arm's length away (-26 dBFS), with its own speaker right next to it.

``AcousticBackend`` is a ``DeviceBackend`` (devices.py): the app's ``LocalMedia`` opens its
microphone and speaker exactly as it opens real ones, so the echo goes through the production
path — the speaker feeds ``VoiceProcessor.far_end`` as it renders, the microphone's frames go
through ``VoiceProcessor.process`` before they are sent. The microphone asks for that processing
(``wants_voice_processing``), which the plain synthetic tone does not.

Both devices run on one time line, the room's, in samples since ``Room.origin`` (a
``time.monotonic`` reading): the speaker's thread writes each block it renders at the time it is
played into a short history; the microphone's frame for a 20 ms slot mixes the talker's samples
for that slot with the history ``delay_ms`` earlier. What the talker said at any moment is known
(``Room.said``), so what came back can be compared with it (``received.py``). The talker is
``talker.py``'s. No Qt here: numpy and PyAV.
"""

from __future__ import annotations

import fractions
import threading
import time
from collections.abc import Callable

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from ..devices import Device, DeviceKind, DeviceUnavailable
from .backend import SilentSpeaker
from .capture import AUDIO_PTIME, RealTimePacer
from .talker import FULL_SCALE, HEADSET_LEVEL_DBFS, LAPTOP_LEVEL_DBFS, SAMPLE_RATE, Talker

__all__ = ["AcousticBackend", "AcousticMicrophone", "AcousticSpeaker", "Room"]

FRAME = SAMPLE_RATE // 50  # 20 ms, as our microphones deliver
_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)

# The room's early reflections after the direct path: (extra delay in ms, relative amplitude).
# Scaled together to the echo's level (unit energy), so ``echo_db`` is the echo's overall gain.
_REFLECTIONS = ((0.0, 1.0), (3.1, 0.35), (7.7, -0.22), (12.9, 0.12))


# -- the room -----------------------------------------------------------------------------------


class Room:
    """The air between one speaker and one microphone, on a time line of samples.

    ``play(start, samples)`` (the speaker's thread): what the speaker played from room sample
    ``start`` on; ``capture(start, count)`` (the microphone): what the microphone hears there —
    the talker, the echo of what was played ``delay_ms`` (plus reflections) earlier at
    ``echo_db``, and a noise floor. ``echo_db=None``: a headset, no echo at all.

    The history holds ``history`` seconds; a part the speaker never wrote (it stalled and skipped,
    or is not open) is silence.
    """

    def __init__(self, talker: Talker | None = None, *, delay_ms: float = 80.0,
                 echo_db: float | None = -6.0, noise_dbfs: float | None = -70.0,
                 history: float = 2.0, clock: Callable[[], float] = time.monotonic,
                 seed: int = 0) -> None:
        if echo_db is not None and not 0 <= delay_ms <= 1000 * history / 2:
            raise ValueError(f"echo delay out of range: {delay_ms} ms")
        self.talker = talker if talker is not None else Talker(seed)
        self.delay_ms = float(delay_ms)
        self.echo_db = echo_db
        self.noise_dbfs = noise_dbfs
        self.clock = clock
        self.origin = clock()
        self._delay = int(round(delay_ms * SAMPLE_RATE / 1000))
        gains = np.array([g for _, g in _REFLECTIONS])
        gains = gains / np.sqrt(np.sum(gains**2)) * (10 ** (echo_db / 20) if echo_db is not None else 0)
        self._taps = [(self._delay + int(round(ms * SAMPLE_RATE / 1000)), float(g))
                      for (ms, _), g in zip(_REFLECTIONS, gains)]
        self._ring = np.zeros(int(history * SAMPLE_RATE), dtype=np.float32)
        self._written = None  # room sample up to which the history holds what was played
        self._lock = threading.Lock()
        self._noise = np.random.default_rng(seed + 1_000_003)
        self.samples_played = 0

    @classmethod
    def laptop(cls, seed: int, delay_ms: float = 80.0, echo_db: float = -6.0, **options) -> Room:
        """A laptop without headphones: its speaker comes back ``delay_ms`` later at ``echo_db``;
        the talker (voice ``seed``) an arm's length from the microphone."""
        return cls(Talker(seed, level_dbfs=LAPTOP_LEVEL_DBFS), delay_ms=delay_ms, echo_db=echo_db,
                   seed=seed, **options)

    @classmethod
    def headset(cls, seed: int, **options) -> Room:
        """A headset: the microphone at the talker's mouth hears nothing of the speaker."""
        return cls(Talker(seed, level_dbfs=HEADSET_LEVEL_DBFS), echo_db=None, seed=seed, **options)

    @property
    def echoes(self) -> bool:
        return self.echo_db is not None

    def index(self, t: float) -> int:
        """The room sample at monotonic time ``t``."""
        return int(round((t - self.origin) * SAMPLE_RATE))

    def time_of(self, index: int) -> float:
        return self.origin + index / SAMPLE_RATE

    def said(self, start: int, count: int) -> npt.NDArray[np.float32]:
        """What the talker said from room sample ``start`` on (before it reached the microphone)."""
        return self.talker.samples(start, count)

    def play(self, start: int, samples: npt.NDArray[np.int16]) -> None:
        """The speaker played ``samples`` (s16, mono or (n, channels)) from room sample ``start``."""
        if not self.echoes:
            return
        samples = np.asarray(samples)
        mono = samples.astype(np.float32) if samples.ndim == 1 else samples.mean(axis=1, dtype=np.float32)
        count = len(mono)
        size = len(self._ring)
        with self._lock:
            self.samples_played += count
            if self._written is not None and start > self._written:  # a gap: silence there
                gap = min(start - self._written, size)
                self._put(start - gap, np.zeros(gap, np.float32))
            if count > size:
                start, mono = start + count - size, mono[-size:]
            self._put(start, mono)
            end = start + len(mono)
            self._written = end if self._written is None else max(self._written, end)

    def _put(self, start: int, data: npt.NDArray[np.float32]) -> None:
        size = len(self._ring)
        first = start % size
        head = min(len(data), size - first)
        self._ring[first : first + head] = data[:head]
        if head < len(data):
            self._ring[: len(data) - head] = data[head:]

    def _played(self, start: int, count: int) -> npt.NDArray[np.float32]:
        """What was played from ``start`` on (silence where nothing known was played)."""
        out = np.zeros(count, dtype=np.float32)
        if self._written is None:
            return out
        size = len(self._ring)
        lo = max(start, self._written - size)
        hi = min(start + count, self._written)
        if hi <= lo:
            return out
        first = lo % size
        head = min(hi - lo, size - first)
        out[lo - start : lo - start + head] = self._ring[first : first + head]
        if head < hi - lo:
            out[lo - start + head : hi - start] = self._ring[: hi - lo - head]
        return out

    def capture(self, start: int, count: int) -> npt.NDArray[np.int16]:
        """What the microphone hears from room sample ``start`` on: s16 mono."""
        mix = self.talker.samples(start, count).astype(np.float32, copy=True)
        if self.echoes:
            with self._lock:
                for delay, gain in self._taps:
                    mix += gain * self._played(start - delay, count)
        if self.noise_dbfs is not None:
            mix += self._noise.standard_normal(count).astype(np.float32) * (
                FULL_SCALE * 10 ** (self.noise_dbfs / 20))
        return np.clip(np.round(mix), -32768, 32767).astype(np.int16)


# -- the devices --------------------------------------------------------------------------------


class AcousticMicrophone(MediaStreamTrack):
    """The room's microphone: 20 ms mono s16 frames at 48 kHz, paced in real time.

    The frame for slot n covers the 20 ms before the slot was due, whenever it is read (a late
    reader gets the past, as from a device's buffer), so the echo it holds is always true to the
    room's delay.
    """

    kind = "audio"
    wants_voice_processing = True  # LocalMedia: echo cancellation and noise suppression, please

    def __init__(self, room: Room) -> None:
        super().__init__()
        self.room = room
        self.level = 0.0  # RMS of the last frame (0..1), before any processing
        self.frames_captured = 0
        self._first: int | None = None  # room sample where slot 0's frame starts
        self._pacer = RealTimePacer(AUDIO_PTIME, max_lag=0.2, clock=room.clock)

    async def recv(self) -> av.AudioFrame:
        slot = await self._pacer.live_slot(self)
        if self._first is None:
            self._first = self.room.index(self.room.clock()) - FRAME - slot * FRAME
        samples = self.room.capture(self._first + slot * FRAME, FRAME)
        flat = samples.astype(np.float32)
        self.level = float(np.sqrt(np.dot(flat, flat) / FRAME)) / FULL_SCALE
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = slot * FRAME
        frame.time_base = _TIME_BASE
        self.frames_captured += 1
        return frame


class AcousticSpeaker(SilentSpeaker):
    """The room's speaker: mixes remote voices like any speaker (in real time, on its own
    thread), hands each block to ``far_end`` (echo cancellation's reference) and plays it into
    the room."""

    def __init__(self, room: Room, *, far_end: Callable[[npt.NDArray[np.int16]], None] | None = None,
                 run: bool = True) -> None:
        self.room = room
        self._base: int | None = None  # room sample of the speaker's sample 0
        super().__init__(far_end=far_end, run=run, clock=room.clock)

    def render(self, samples: int) -> npt.NDArray[np.int16]:
        position = self.samples_rendered  # counts skipped stretches too, so it stays on time
        out = super().render(samples)
        if self._base is None:  # the first block covers the time just gone
            self._base = self.room.index(self.room.clock()) - samples - position
        self.room.play(self._base + position, out)
        return out


class AcousticBackend:
    """A microphone and a speaker sharing one ``Room`` (a laptop's, or a headset's)."""

    MICROPHONE = Device(DeviceKind.MICROPHONE, "acoustic:microphone", "Laptop microphone (simulated room)",
                        synthetic=True)
    SPEAKER = Device(DeviceKind.SPEAKER, "acoustic:speaker", "Laptop speaker (simulated room)",
                     synthetic=True)

    def __init__(self, room: Room) -> None:
        self.room = room
        self._opened: list[AcousticMicrophone | AcousticSpeaker] = []

    def devices(self, kind: DeviceKind) -> list[Device]:
        kind = DeviceKind(kind)
        if kind == DeviceKind.MICROPHONE:
            return [self.MICROPHONE]
        if kind == DeviceKind.SPEAKER:
            return [self.SPEAKER]
        return []

    def on_changed(self, callback: Callable[[], None]) -> None:
        pass  # the room's devices never change

    def open_camera(self, device: Device, width: int = 640, height: int = 360,
                    fps: int = 30) -> MediaStreamTrack:
        raise DeviceUnavailable(f"the simulated room has no camera: {device.id}")

    def open_microphone(self, device: Device) -> AcousticMicrophone:
        if device.id != self.MICROPHONE.id:
            raise DeviceUnavailable(f"not the room's microphone: {device.id}")
        return self._keep(AcousticMicrophone(self.room))

    def open_speaker(self, device: Device, far_end=None) -> AcousticSpeaker:
        if device.id != self.SPEAKER.id:
            raise DeviceUnavailable(f"not the room's speaker: {device.id}")
        return self._keep(AcousticSpeaker(self.room, far_end=far_end))

    def _keep(self, opened):
        self._opened = [o for o in self._opened
                        if not (o._closed if isinstance(o, AcousticSpeaker) else o.readyState != "live")]
        self._opened.append(opened)
        return opened

    def close(self) -> None:
        opened, self._opened = self._opened, []
        for o in opened:
            if isinstance(o, AcousticSpeaker):
                o.close()
            else:
                o.stop()
