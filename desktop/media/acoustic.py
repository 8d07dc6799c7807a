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
(``Room.said``), so what came back can be compared with it: ``ReceivedAudio`` records what one
remote participant sent us (cheap per frame: a mono copy), and ``voice_correlation`` finds, once
at the end, how strongly a talker's voice is in it (the normalized cross-correlation of the two
spectrograms, peak over lags of 0-1 s, median over 2 s windows). No Qt here: numpy and PyAV.
"""

from __future__ import annotations

import fractions
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from .devices import Device, DeviceKind, DeviceUnavailable, SilentSpeaker
from .synthetic import AUDIO_PTIME, RealTimePacer

__all__ = [
    "AcousticBackend",
    "AcousticMicrophone",
    "AcousticSpeaker",
    "Correlation",
    "ReceivedAudio",
    "Room",
    "Talker",
    "speech",
    "voice_correlation",
]

SAMPLE_RATE = 48000
FRAME = SAMPLE_RATE // 50  # 20 ms, as our microphones deliver
_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
_FULL_SCALE = 32767.0

# Formants (Hz) of a few vowels: /a/, /i/, /e/, /u/, /o/, /ʌ/, /æ/
_VOWELS = np.array([(730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (300, 870, 2240),
                    (570, 840, 2410), (440, 1020, 2240), (660, 1720, 2410)], dtype=np.float64)
_FORMANT_WIDTHS = (80.0, 100.0, 140.0)

HEADSET_LEVEL_DBFS = -20.0  # the talker at a headset's microphone, while voiced
LAPTOP_LEVEL_DBFS = -26.0  # ... at a laptop's, an arm's length away

# The room's early reflections after the direct path: (extra delay in ms, relative amplitude).
# Scaled together to the echo's level (unit energy), so ``echo_db`` is the echo's overall gain.
_REFLECTIONS = ((0.0, 1.0), (3.1, 0.35), (7.7, -0.22), (12.9, 0.12))


# -- the talker ---------------------------------------------------------------------------------


def speech(seconds: float, seed: int, *, f0: float | None = None, level_dbfs: float = -20.0,
           phrase_pause: tuple[float, float] = (0.4, 1.6),
           sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.int16]:
    """Synthetic speech, s16 mono: ``level_dbfs`` is the RMS while voiced.

    Phrases of 3-10 syllables (180-300 ms each, a vowel gliding into another, a short pause
    now and then), with ``phrase_pause`` seconds between phrases, as someone talking in a
    conversation who stops to breathe or listen (voiced about 60 % of the time); a pitch ``f0``
    (from the seed: 95-230 Hz) that wanders; a burst of frication now and then. Silent at both
    ends, so it loops without a click. Different seeds give different voices (each its own
    vocal tract length and accent), which correlate only by chance (``voice_correlation``:
    about 0.1).
    """
    rng = np.random.default_rng(seed)
    if f0 is None:
        f0 = float(rng.uniform(95.0, 230.0))
    # a voice of its own: a vocal tract longer or shorter (all formants scaled) and an accent
    # (each vowel a little off), so two talkers' vowels rarely coincide
    vowels = _VOWELS * rng.uniform(0.85, 1.2) * rng.uniform(0.92, 1.08, size=_VOWELS.shape)
    n = int(seconds * sample_rate)
    hop = sample_rate // 100  # the envelope and formants move in 10 ms steps
    nh = n // hop + 2
    env = np.zeros(nh)
    formants = np.tile(vowels[0], (nh, 1))
    fric = np.zeros(nh)
    i = int(rng.integers(5, 20))
    left = int(rng.integers(3, 11))  # syllables left in this phrase
    while i < nh - 40:
        if left == 0:  # between phrases
            i += int(rng.uniform(*phrase_pause) * 100)
            left = int(rng.integers(3, 11))
            continue
        if rng.random() < 0.1:  # a short pause inside a phrase
            i += int(rng.integers(10, 25))
        length = int(rng.integers(18, 30))
        if i + length > nh - 10:
            break
        a, b = (vowels[rng.integers(len(vowels))] for _ in range(2))
        w = np.linspace(0, 1, length)[:, None]
        formants[i : i + length] = (1 - w) * a + w * b
        env[i : i + length] = np.sin(np.pi * np.linspace(0, 1, length)) ** 0.7
        if rng.random() < 0.4:
            fric[i : i + 4] = 1.0
        i += length
        left -= 1
    return render_voice(env, formants, fric, f0, rng, n, hop, level_dbfs, sample_rate)


def render_voice(env: npt.NDArray[np.float64], formants: npt.NDArray[np.float64], fric: npt.NDArray[np.float64],
                 f0: float, rng: np.random.Generator, n: int, hop: int, level_dbfs: float,
                 sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.int16]:
    """``n`` samples of a voice from its plan in steps of ``hop`` samples: the envelope
    ``env``, three formants per step and frication bursts ``fric``; a pitch wandering around
    ``f0``; ``level_dbfs`` the RMS while voiced."""
    nh = len(env)
    grid = np.arange(nh) * hop
    index = np.arange(n)
    steps = np.arange(nh) * hop / sample_rate
    f0c = f0 * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * steps + rng.random() * 6)
                + 0.03 * rng.standard_normal(nh).cumsum() / np.sqrt(nh))
    phase = 2 * np.pi * np.cumsum(np.interp(index, grid, f0c)) / sample_rate
    out = np.zeros(n)
    for k in range(1, int(5000 / f0) + 1):  # harmonics shaped by three formants
        fk = k * f0c
        amp = sum((1.0 / (j + 1)) / (1 + ((fk - formants[:, j]) / bw) ** 2)
                  for j, bw in enumerate(_FORMANT_WIDTHS))
        out += np.interp(index, grid, amp / np.sqrt(k)) * np.sin(k * phase)
    envelope = np.interp(index, grid, env)
    out *= envelope
    out += np.diff(rng.standard_normal(n + 1)) * np.std(out) * np.interp(index, grid, fric)
    voiced = envelope > 0.3
    out *= _FULL_SCALE * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(out[voiced] ** 2))
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


class Talker:
    """Someone who talks on and on: ``speech`` of ``seconds``, looped, as a function of time.

    ``samples(start, count)`` are the samples from ``start`` on (any integer, negative too).
    A loop longer than the lags anyone searches (1 s) can never be mistaken for an echo.
    """

    def __init__(self, seed: int, *, seconds: float = 12.0, level_dbfs: float = -20.0,
                 f0: float | None = None) -> None:
        self.seed = seed
        self.loop = speech(seconds, seed, f0=f0, level_dbfs=level_dbfs).astype(np.float32)

    def samples(self, start: int, count: int) -> npt.NDArray[np.float32]:
        n = len(self.loop)
        first = start % n
        if first + count <= n:
            return self.loop[first : first + count]
        return np.take(self.loop, np.arange(first, first + count) % n)


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
                _FULL_SCALE * 10 ** (self.noise_dbfs / 20))
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
        self.level = float(np.sqrt(np.dot(flat, flat) / FRAME)) / _FULL_SCALE
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


# -- what came back -----------------------------------------------------------------------------


class ReceivedAudio:
    """The audio received from one remote participant, kept for a later look (up to
    ``max_seconds``; later frames are counted, not kept).

    ``add`` costs a mono copy per frame. Received frames are played out on a 20 ms grid (their
    pts counts the samples played), so a stretch of frames with consecutive pts is one piece of
    time; ``segments()`` places each such stretch on the monotonic clock by its earliest arrival
    (the least delayed by the event loop) and starts a new one where the pts or the arrival
    jumps (the stream stopped and started again).
    """

    def __init__(self, max_seconds: float = 60.0) -> None:
        self.max_samples = int(max_seconds * SAMPLE_RATE)
        self.kept = 0
        self.frames = 0
        self._frames: list[tuple[int, float, npt.NDArray[np.float32]]] = []

    def add(self, frame: av.AudioFrame, arrived: float) -> None:
        self.frames += 1
        if self.kept >= self.max_samples or frame.sample_rate != SAMPLE_RATE:
            return  # (our receive path always plays 48 kHz)
        data = frame.to_ndarray()
        channels = len(frame.layout.channels)
        if frame.format.is_planar:
            mono = data.mean(axis=0, dtype=np.float32) if channels > 1 else data[0].astype(np.float32)
        else:
            mono = data.reshape(-1, channels).mean(axis=1, dtype=np.float32)
        pts = int(frame.pts) if frame.pts is not None else None
        if pts is None:
            pts = self._frames[-1][0] + len(self._frames[-1][2]) if self._frames else 0
        self._frames.append((pts, arrived, mono))
        self.kept += len(mono)

    def segments(self) -> list[tuple[float, npt.NDArray[np.float32]]]:
        """(monotonic time of the first sample, samples) per stretch of contiguous frames."""
        frames = self._frames
        if not frames:
            return []
        pts = np.array([f[0] for f in frames], dtype=np.int64)
        lengths = np.array([len(f[2]) for f in frames], dtype=np.int64)
        arrived = np.array([f[1] for f in frames])
        # seconds between a frame's arrival and its place in the stream: the loop's delays come
        # and go (a late frame, then a burst), a jump in the time line stays
        offset = arrived - pts / SAMPLE_RATE
        contiguous = np.ones(len(frames), dtype=bool)
        contiguous[1:] = pts[1:] == pts[:-1] + lengths[:-1]
        breaks = [int(i) for i in np.flatnonzero(~contiguous[1:]) + 1] + [len(frames)]
        ahead = 10  # frames (200 ms) to look ahead, within the stretch, before calling a jump a jump
        later = np.empty(len(frames))
        stretch_start = 0
        for stretch_end in breaks:
            for i in range(stretch_start, stretch_end):
                later[i] = offset[i : min(i + ahead, stretch_end)].min()
            stretch_start = stretch_end
        out: list[tuple[float, npt.NDArray[np.float32]]] = []
        first = 0
        low = offset[0]
        for i in range(1, len(frames) + 1):
            if i < len(frames):
                if contiguous[i] and abs(later[i] - low) <= 0.05:
                    low = min(low, offset[i])
                    continue
            start = float(offset[first : i].min() + pts[first] / SAMPLE_RATE)
            out.append((start, np.concatenate([f[2] for f in frames[first:i]])))
            if i < len(frames):
                first, low = i, offset[i]
        return out


# The spectra voices are compared by: 40 ms Hann frames every 10 ms, 100-4000 Hz (25 Hz bins,
# fine enough to see each voice's own harmonics), magnitudes to the power 1/3 (loudness-like, so
# a quieter voice under a louder one still counts).
_SPEC_FRAME = 1920
_SPEC_HOP = 480
_SPEC_BINS = slice(4, 161)
_SPEC_POWER = 1 / 3
_SPEC_WINDOW = np.hanning(_SPEC_FRAME).astype(np.float32)


def _spectra(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Compressed magnitude spectra, one row per 10 ms hop (frame i starts at sample i * hop)."""
    count = (len(samples) - _SPEC_FRAME) // _SPEC_HOP + 1
    if count <= 0:
        return np.zeros((0, _SPEC_BINS.stop - _SPEC_BINS.start))
    frames = np.lib.stride_tricks.sliding_window_view(samples, _SPEC_FRAME)[::_SPEC_HOP][:count]
    magnitude = np.abs(np.fft.rfft(frames * _SPEC_WINDOW, axis=1))[:, _SPEC_BINS]
    return magnitude.astype(np.float64) ** _SPEC_POWER


@dataclass
class Correlation:
    """How strongly a talker's voice is in received audio, window by window.

    ``value``: the median of the per-window peaks of the normalized cross-correlation (0..1),
    the typical figure; ``peak``: the largest of them; ``lag_ms``: the lag at ``peak`` (from
    the talker's mouth to the received audio); ``seconds`` of received audio judged in
    ``windows`` (the per-window peaks).
    """

    value: float = 0.0
    peak: float = 0.0
    lag_ms: float | None = None
    seconds: float = 0.0
    windows: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"value": round(self.value, 3), "peak": round(self.peak, 3),
                "lag_ms": None if self.lag_ms is None else round(self.lag_ms, 1),
                "seconds": round(self.seconds, 1), "windows": len(self.windows)}


def _block_correlation(r: npt.NDArray[np.float64], s: npt.NDArray[np.float64], lags: int):
    """Spectrogram ``r`` (w frames) against ``s[j : j + w]`` for each shift j in 0..lags, both
    centred (each bin's and each frame's mean removed): the cross products, the energy of the
    centred ``r`` and of each centred stretch of ``s`` (from running sums)."""
    w, bins = r.shape
    r = r - r.mean(axis=0) - r.mean(axis=1, keepdims=True) + r.mean()
    er = float(np.sum(r * r))
    nfft = 1 << int(math.ceil(math.log2(2 * w + lags)))
    # r is centred, so s needs no centring for the cross products
    c = np.fft.irfft(np.conj(np.fft.rfft(r, nfft, axis=0)) * np.fft.rfft(s, nfft, axis=0),
                     nfft, axis=0)[: lags + 1].sum(axis=1)
    squares = np.concatenate(([0.0], np.cumsum(np.sum(s * s, axis=1))))
    rows = np.concatenate(([0.0], np.cumsum(np.mean(s, axis=1) ** 2)))
    cols = np.concatenate((np.zeros((1, bins)), np.cumsum(s, axis=0)))
    col_sums = cols[w : w + lags + 1] - cols[: lags + 1]
    es = (squares[w : w + lags + 1] - squares[: lags + 1]
          - bins * (rows[w : w + lags + 1] - rows[: lags + 1])
          - np.sum(col_sums**2, axis=1) / w + np.sum(col_sums, axis=1) ** 2 / (w * bins))
    return c, er, np.maximum(es, 0.0)


def voice_correlation(said: Callable[[int, int], npt.NDArray[np.float32]], origin: float,
                      received: ReceivedAudio, *, skip: float = 3.0, window: float = 2.0,
                      hop: float = 1.0, max_lag: float = 1.0, block: float = 0.5,
                      slack: float = 0.020, floor_dbfs: float = -55.0,
                      min_talk: float = 0.3) -> Correlation:
    """How strongly the voice ``said(start, count)`` (samples on a time line that starts at
    monotonic time ``origin``: a ``Room``'s) is in ``received``, ``0..max_lag`` s later.

    Voices are compared by their spectra over time (``_spectra``), not sample by sample: on its
    way a voice goes through voice processing (its band splitting and gains) and Opus in SILK
    mode (which keeps the spectrum, not the waveform), and its waveform no longer lines up
    with itself. In each ``window`` of received audio (every ``hop``; the first ``skip``
    seconds, while echo cancellation converges, are left out), the normalized correlation of
    the two spectrograms, centred (each bin's mean and each frame's mean removed: what is
    compared is which harmonics move when), is taken at every lag in 10 ms steps; the
    largest positive value is that window's peak. Jitter buffers splice 20 ms in or out while
    they settle (a late joiner's shrinks by up to 200 ms in its first 10 s), so within a window
    each ``block`` may sit up to ``slack`` off the window's lag. A received window quieter than
    ``floor_dbfs`` is skipped (nothing heard there), and so is one in which the talker talked
    less than ``min_talk`` of the time (nothing of theirs to hear there).

    Measured through a call (tests/test_echo_path.py, bench/voice.py --call): the other's own
    voice scores 0.75-0.95; ours coming back through a laptop's speaker at -6 dB under their
    speech, without echo cancellation, 0.36-0.56; a voice that is not there 0.08-0.13 (chance;
    a single window reaches 0.3 now and then, so judge the median, not one window).
    """
    segments = received.segments()
    step = _SPEC_HOP
    hop_frames = max(1, int(round(hop * SAMPLE_RATE / step)))
    w = int(round(window * SAMPLE_RATE / step))  # frames per window
    b = max(1, min(w, int(round(block * SAMPLE_RATE / step))))  # frames per block
    lags = int(round(max_lag * SAMPLE_RATE / step))  # lags 0..lags, in frames
    tol = int(round(slack * SAMPLE_RATE / step))
    m = lags * step
    floor = (_FULL_SCALE * 10 ** (floor_dbfs / 20)) ** 2
    centre = np.arange(lags + 1)
    peaks: list[float] = []
    best_peak, best_lag = -1.0, None
    first = segments[0][0] + skip if segments else 0.0
    for start_time, samples in segments:
        begin = max(0, int(math.ceil((first - start_time) * SAMPLE_RATE / step)))
        received_spec = _spectra(samples)
        if len(received_spec) < begin + w:
            continue
        at = int(round((start_time - origin) * SAMPLE_RATE))  # room sample of samples[0]
        # said_spec[k] starts at room sample at - m + k * step: received frame i meets said
        # frame i + j, j = lags - lag, at a lag of ``lag`` frames
        said_spec = _spectra(said(at - m, len(samples) + m).astype(np.float32))
        for w0 in range(begin, len(received_spec) - w + 1, hop_frames):
            x = samples[w0 * step : w0 * step + (w - 1) * step + _SPEC_FRAME].astype(np.float64)
            if float(np.mean(x * x)) < floor:
                continue
            cross = np.zeros(lags + 1)
            said_energy = np.zeros(lags + 1)
            received_energy = 0.0
            for b0 in range(w0, w0 + w - b + 1, b):
                c, er, es = _block_correlation(received_spec[b0 : b0 + b],
                                               said_spec[b0 : b0 + b + lags], lags)
                if tol:  # each block at its best shift within the slack around each lag
                    padded = np.pad(c, tol, constant_values=-np.inf)
                    shift = np.argmax(np.lib.stride_tricks.sliding_window_view(padded, 2 * tol + 1),
                                      axis=1) - tol
                    pick = np.clip(centre + shift, 0, lags)
                    c, es = c[pick], es[pick]
                cross += c
                said_energy += es
                received_energy += er
            with np.errstate(divide="ignore", invalid="ignore"):
                rho = np.where(said_energy > 1e-12,
                               cross / np.sqrt(received_energy * np.maximum(said_energy, 1e-12)), 0.0)
            j = int(np.argmax(rho))
            spoken = said(at + (w0 - lags + j) * step, w * step)  # what the talker said then
            frames = spoken[: len(spoken) // step * step].reshape(-1, step).astype(np.float64)
            if np.mean(np.mean(frames * frames, axis=1) > floor) < min_talk:
                continue
            peak = max(0.0, float(rho[j]))
            peaks.append(peak)
            if peak > best_peak:
                best_peak, best_lag = peak, (lags - j) * step * 1000 / SAMPLE_RATE
    if not peaks:
        return Correlation()
    return Correlation(float(np.median(peaks)), best_peak, best_lag,
                       (len(peaks) - 1) * hop + window, peaks)
