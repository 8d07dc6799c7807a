"""Mixes every remote voice (and the odd chime) into one stream for the speaker.

The loop thread pushes decoded frames as they arrive (``push``); the speaker's own thread pulls
exactly as many samples as the device wants (``pull``), which never blocks: a source that has
not delivered enough is heard as silence for the missing part. No Qt: numpy and PyAV only.

Each source has a small FIFO of s16 stereo 48 kHz samples. A source starts to play only once it
holds ``prebuffer`` seconds (and again after it ran dry), so the first frames do not underrun at
once; a FIFO never holds more than ``capacity`` seconds — the oldest samples are dropped — so
latency cannot grow when a sender's clock runs faster than ours or a burst arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

import av
import numpy as np
import numpy.typing as npt

__all__ = ["CHANNELS", "SAMPLE_RATE", "Mixer"]

SAMPLE_RATE = 48000
CHANNELS = 2
_FULL_SCALE = 32767.0


class _Source:
    """One voice: a linear buffer of stereo samples with a read position (compacted on push)."""

    __slots__ = ("buffer", "start", "end", "playing", "resampler", "resampler_key")

    def __init__(self, capacity: int) -> None:
        # Twice the cap, so compaction (a memmove of at most ``capacity`` samples) is rare.
        self.buffer = np.zeros((2 * capacity, CHANNELS), dtype=np.int16)
        self.start = 0
        self.end = 0
        self.playing = False
        self.resampler: av.AudioResampler | None = None
        self.resampler_key: tuple[str, str, int] | None = None

    @property
    def buffered(self) -> int:
        return self.end - self.start


class Mixer:
    """Thread-safe mixer of s16 stereo 48 kHz sources.

    ``push`` (any thread, usually the asyncio loop) adds one decoded ``av.AudioFrame`` of a
    source; ``pull`` (the speaker thread) returns ``samples`` mixed stereo frames as interleaved
    s16 bytes; ``level`` is the RMS (0..1 of full scale) of the last pull.
    """

    def __init__(self, *, capacity: float = 0.200, prebuffer: float = 0.040) -> None:
        if not 0 <= prebuffer < capacity:
            raise ValueError(f"need 0 <= prebuffer < capacity, got {prebuffer} and {capacity}")
        self.capacity = int(round(capacity * SAMPLE_RATE))
        self.prebuffer = int(round(prebuffer * SAMPLE_RATE))
        self.level = 0.0
        self.dropped = 0  # samples dropped from full FIFOs (stereo frames), for stats
        self.underruns = 0  # times a playing source ran dry in the middle of a pull
        self._lock = threading.Lock()
        self._sources: dict[Hashable, _Source] = {}
        self._sounds: list[list] = []  # [stereo samples, position]: one-shot sounds

    # -- writers -------------------------------------------------------------------------------

    def push(self, source_id: Hashable, frame: av.AudioFrame) -> None:
        """Append one frame of ``source_id`` (resampled to s16 stereo 48 kHz when it is not)."""
        with self._lock:
            source = self._sources.get(source_id)
            if source is None:
                source = self._sources[source_id] = _Source(self.capacity)
            samples = self._convert(source, frame)
            if len(samples):
                self._append(source, samples)

    def push_samples(self, source_id: Hashable, samples: npt.NDArray[np.int16]) -> None:
        """Append raw s16 samples: shape (n, 2) stereo or (n,) mono, 48 kHz."""
        samples = _as_stereo(samples)
        with self._lock:
            source = self._sources.get(source_id)
            if source is None:
                source = self._sources[source_id] = _Source(self.capacity)
            self._append(source, samples)

    def remove(self, source_id: Hashable) -> None:
        with self._lock:
            self._sources.pop(source_id, None)

    def add_sound(self, samples: npt.NDArray[np.int16]) -> None:
        """Mix ``samples`` (s16 mono 48 kHz, or (n, 2) stereo) once, from the next pull on."""
        stereo = _as_stereo(np.asarray(samples, dtype=np.int16)).copy()
        if len(stereo):
            with self._lock:
                self._sounds.append([stereo, 0])

    def clear(self) -> None:
        with self._lock:
            self._sources.clear()
            self._sounds.clear()

    @property
    def sources(self) -> list[Hashable]:
        with self._lock:
            return list(self._sources)

    def buffered(self, source_id: Hashable) -> int:
        """Stereo samples waiting in the FIFO of ``source_id`` (0 for an unknown source)."""
        with self._lock:
            source = self._sources.get(source_id)
            return source.buffered if source is not None else 0

    # -- reader --------------------------------------------------------------------------------

    def pull(self, samples: int) -> bytes:
        """``samples`` mixed stereo frames as interleaved s16 bytes; never blocks."""
        return self.pull_array(samples).tobytes()

    def pull_array(self, samples: int) -> npt.NDArray[np.int16]:
        """Like ``pull`` but as an (n, 2) int16 array."""
        if samples <= 0:
            self.level = 0.0
            return np.zeros((0, CHANNELS), dtype=np.int16)
        mix = np.zeros((samples, CHANNELS), dtype=np.int32)
        with self._lock:
            for source in self._sources.values():
                if not source.playing:
                    if source.buffered < max(self.prebuffer, 1):
                        continue
                    source.playing = True
                count = min(samples, source.buffered)
                mix[:count] += source.buffer[source.start : source.start + count]
                source.start += count
                if source.start == source.end:
                    source.start = source.end = 0
                    source.playing = False  # ran dry: build the cushion up again
                    if count < samples:
                        self.underruns += 1
            if self._sounds:
                still = []
                for sound in self._sounds:
                    data, position = sound
                    count = min(samples, len(data) - position)
                    mix[:count] += data[position : position + count]
                    sound[1] = position + count
                    if sound[1] < len(data):
                        still.append(sound)
                self._sounds = still
        np.clip(mix, -32768, 32767, out=mix)
        out = mix.astype(np.int16)
        flat = out.reshape(-1).astype(np.float32)
        self.level = float(np.sqrt(np.dot(flat, flat) / len(flat))) / _FULL_SCALE
        return out

    # -- internals (called with the lock held) --------------------------------------------------

    def _append(self, source: _Source, samples: npt.NDArray[np.int16]) -> None:
        if len(samples) >= self.capacity:  # a huge frame: keep only its newest part
            self.dropped += source.buffered + len(samples) - self.capacity
            samples = samples[-self.capacity :]
            source.start = source.end = 0
        overflow = source.buffered + len(samples) - self.capacity
        if overflow > 0:  # drop the oldest so latency cannot grow
            source.start += overflow
            self.dropped += overflow
        if source.end + len(samples) > len(source.buffer):
            kept = source.buffered
            source.buffer[:kept] = source.buffer[source.start : source.end]
            source.start, source.end = 0, kept
        source.buffer[source.end : source.end + len(samples)] = samples
        source.end += len(samples)

    @staticmethod
    def _convert(source: _Source, frame: av.AudioFrame) -> npt.NDArray[np.int16]:
        fmt, layout, rate = frame.format.name, frame.layout.name, frame.sample_rate
        if fmt == "s16" and layout == "stereo" and rate == SAMPLE_RATE and source.resampler is None:
            # aiortc's Opus decoder already gives this: no resampler, one copy.
            return frame.to_ndarray().reshape(-1, CHANNELS)
        if fmt == "s16" and layout == "mono" and rate == SAMPLE_RATE and source.resampler is None:
            return _as_stereo(frame.to_ndarray().reshape(-1))
        key = (fmt, layout, rate)
        if source.resampler is None or source.resampler_key != key:
            # One resampler per source (it keeps state between frames); a new one when the
            # input format changes, since PyAV's refuses frames unlike its first.
            # Mono stays mono here and is copied to both channels below, at full level
            # (FFmpeg's own mono -> stereo upmix would lower it by 3 dB).
            out_layout = "mono" if len(frame.layout.channels) == 1 else "stereo"
            source.resampler = av.AudioResampler(format="s16", layout=out_layout, rate=SAMPLE_RATE)
            source.resampler_key = key
        parts = [f.to_ndarray().reshape(-1) for f in source.resampler.resample(frame)]
        if not parts:
            return np.zeros((0, CHANNELS), dtype=np.int16)
        samples = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if len(frame.layout.channels) == 1:
            return _as_stereo(samples)
        return samples.reshape(-1, CHANNELS)


def _as_stereo(samples: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    samples = np.asarray(samples, dtype=np.int16)
    if samples.ndim == 1:
        return np.repeat(samples[:, None], CHANNELS, axis=1)
    if samples.ndim == 2 and samples.shape[1] == CHANNELS:
        return samples
    raise ValueError(f"expected mono (n,) or stereo (n, 2) samples, got shape {samples.shape}")
