"""The microphone's voice processing: WebRTC's audio processing module (echo cancellation with
what the speaker plays as the far end, noise suppression, high-pass filter, automatic gain).

The module comes prebuilt with the ``livekit`` package (``livekit.rtc.AudioProcessingModule``),
which works on 10 ms frames; we run it at 48 kHz mono s16. Our microphones deliver 20 ms frames:
``process`` cuts them in two. No Qt here.

Threads: the speaker's thread calls ``far_end`` with each block it plays, the microphone's thread
calls ``process``. ``far_end`` only converts to 48 kHz mono and queues 10 ms blocks (a short lock
around a deque); every call into the module happens in ``process``, which first hands the module
the far-end blocks queued since its last call. So the module is only ever used by one thread, and
the speaker thread never waits for it. Changing a setting (``echo_cancellation``, ...) takes
effect at the next ``process``, with a fresh module.

Without ``livekit`` (``VoiceProcessor.available()`` is False) ``process`` passes audio through
unchanged and says so once in the log.
"""

from __future__ import annotations

import collections
import fractions
import logging
import threading
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

__all__ = ["BLOCK", "SAMPLE_RATE", "ProcessedMicrophone", "VoiceProcessor"]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48000
BLOCK = SAMPLE_RATE // 100  # 10 ms: the module's frame
_FULL_SCALE = 32767.0

try:  # the native module loads locally (a bundled .so); importing it needs no network
    from livekit.rtc import AudioFrame as _LkAudioFrame
    from livekit.rtc import AudioProcessingModule as _LkApm
except Exception as _error:  # not installed, or its native library will not load here
    _LkApm = _LkAudioFrame = None
    _IMPORT_ERROR: Exception | None = _error
else:
    _IMPORT_ERROR = None


class VoiceProcessor:
    """WebRTC audio processing for one microphone, with the speaker's output as the far end.

    ``process(near)`` (microphone thread) returns the processed s16 mono 48 kHz samples (a new
    array, same length); ``far_end(samples, sample_rate, channels)`` (speaker thread) records
    what was played. ``level`` is the RMS (0..1 of full scale) of the last processed block.
    """

    def __init__(
        self,
        *,
        echo_cancellation: bool = True,
        noise_suppression: bool = True,
        high_pass_filter: bool = True,
        auto_gain_control: bool = False,  # the app turns it on from its settings (on by default)
        stream_delay_ms: int = 0,
        max_far_blocks: int = 50,
    ) -> None:
        self._settings = {
            "echo_cancellation": echo_cancellation,
            "noise_suppression": noise_suppression,
            "high_pass_filter": high_pass_filter,
            "auto_gain_control": auto_gain_control,
        }
        #: hint for the module: render-to-capture delay outside what it sees (device buffers)
        self.stream_delay_ms = stream_delay_ms
        self.level = 0.0
        self.frames_processed = 0  # 10 ms blocks through the module
        self.far_blocks_dropped = 0  # far-end blocks dropped because nobody processed them
        self._lock = threading.Lock()  # guards the far-end queue and _dirty
        self._far: collections.deque[npt.NDArray[np.int16]] = collections.deque(maxlen=max_far_blocks)
        self._far_partial = np.zeros(0, dtype=np.int16)
        self._far_resamplers: dict[tuple[int, int], av.AudioResampler] = {}
        self._near_fifo = np.zeros(0, dtype=np.int16)  # only for lengths not a multiple of 10 ms
        self._near_out = np.zeros(0, dtype=np.int16)
        self._dirty = True  # (re)create the module at the next process()
        self._apm: Any = None
        self._warned = False
        # One buffer per direction, wrapped once in a livekit AudioFrame: the module works in it.
        self._near_buf = bytearray(BLOCK * 2)
        self._near_view = np.frombuffer(self._near_buf, dtype=np.int16)
        self._far_buf = bytearray(BLOCK * 2)
        self._far_view = np.frombuffer(self._far_buf, dtype=np.int16)
        if _LkApm is not None:
            self._near_frame = _LkAudioFrame(self._near_buf, SAMPLE_RATE, 1, BLOCK)
            self._far_frame = _LkAudioFrame(self._far_buf, SAMPLE_RATE, 1, BLOCK)

    @staticmethod
    def available() -> bool:
        """True when WebRTC's audio processing can run here (the ``livekit`` package loads)."""
        return _LkApm is not None

    # -- settings (any thread; applied at the next process) -----------------------------------

    def _setting(name: str):  # noqa: N805 - a small property factory
        def get(self) -> bool:
            return self._settings[name]

        def set_(self, value: bool) -> None:
            value = bool(value)
            with self._lock:
                if self._settings[name] != value:
                    self._settings[name] = value
                    self._dirty = True

        return property(get, set_)

    echo_cancellation = _setting("echo_cancellation")
    noise_suppression = _setting("noise_suppression")
    high_pass_filter = _setting("high_pass_filter")
    auto_gain_control = _setting("auto_gain_control")
    del _setting

    @property
    def active(self) -> bool:
        """True when processing really happens (the module is there and something is on)."""
        return self.available() and any(self._settings.values())

    # -- the speaker side -----------------------------------------------------------------------

    def far_end(self, samples: npt.NDArray[np.int16], sample_rate: int = SAMPLE_RATE,
                channels: int | None = None) -> None:
        """What the speaker plays: s16, shape (n,) mono or (n, channels) interleaved.

        Cheap (a conversion to 48 kHz mono and a queue append); never calls the module.
        """
        if not self._settings["echo_cancellation"] or _LkApm is None:
            return
        samples = np.asarray(samples)
        if channels is None:
            channels = 1 if samples.ndim == 1 else samples.shape[1]
        mono = _to_mono(samples, channels)
        if sample_rate != SAMPLE_RATE:
            mono = self._resample(mono, sample_rate)
        if not len(mono):
            return
        with self._lock:
            data = np.concatenate((self._far_partial, mono)) if len(self._far_partial) else mono
            whole = len(data) - len(data) % BLOCK
            for start in range(0, whole, BLOCK):
                if len(self._far) == self._far.maxlen:
                    self.far_blocks_dropped += 1
                self._far.append(data[start : start + BLOCK])
            self._far_partial = data[whole:].copy()

    def _resample(self, mono: npt.NDArray[np.int16], rate: int) -> npt.NDArray[np.int16]:
        resampler = self._far_resamplers.get((rate, 1))
        if resampler is None:
            resampler = self._far_resamplers[(rate, 1)] = av.AudioResampler(
                format="s16", layout="mono", rate=SAMPLE_RATE)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(mono)[None, :], format="s16",
                                           layout="mono")
        frame.sample_rate = rate
        parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    # -- the microphone side --------------------------------------------------------------------

    def process(self, near: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """Process microphone samples (s16 mono 48 kHz); returns a new array of the same length.

        A length that is a multiple of 10 ms is processed at once; any other goes through a small
        FIFO (the output then lags by up to 10 ms, zeros first).
        """
        near = np.asarray(near, dtype=np.int16).reshape(-1)
        if _LkApm is None or not any(self._settings.values()):
            if _LkApm is None and not self._warned:
                self._warned = True
                logger.warning("voice processing unavailable (livekit: %s): microphone unprocessed",
                               _IMPORT_ERROR)
            self._set_level(near)
            self._drain_far(apply=False)
            return near.copy()
        if len(near) % BLOCK == 0 and not len(self._near_fifo):
            out = np.empty_like(near)
            for start in range(0, len(near), BLOCK):
                out[start : start + BLOCK] = self._process_block(near[start : start + BLOCK])
        else:  # odd sizes: through a FIFO, output delayed
            data = np.concatenate((self._near_fifo, near))
            whole = len(data) - len(data) % BLOCK
            done = np.empty(whole, dtype=np.int16)
            for start in range(0, whole, BLOCK):
                done[start : start + BLOCK] = self._process_block(data[start : start + BLOCK])
            self._near_fifo = data[whole:]
            # hand back the newest len(near) processed samples (zeros before we have enough)
            self._near_out = np.concatenate((self._near_out, done))
            if len(self._near_out) >= len(near):
                out = self._near_out[: len(near)].copy()
                self._near_out = self._near_out[len(near):]
            else:
                out = np.concatenate((np.zeros(len(near) - len(self._near_out), np.int16), self._near_out))
                self._near_out = np.zeros(0, np.int16)
        self._set_level(out)
        return out

    def _process_block(self, block: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        if self._dirty:
            self._recreate()
        self._drain_far(apply=True)
        view = self._near_view
        view[:] = block
        if self._settings["echo_cancellation"]:
            self._apm.set_stream_delay_ms(int(self.stream_delay_ms))
        self._apm.process_stream(self._near_frame)
        self.frames_processed += 1
        return view.copy()

    def _drain_far(self, apply: bool) -> None:
        with self._lock:
            if not self._far:
                return
            blocks = list(self._far)
            self._far.clear()
        if not apply or self._apm is None or not self._settings["echo_cancellation"]:
            return
        for block in blocks:
            self._far_view[:] = block
            self._apm.process_reverse_stream(self._far_frame)

    def _recreate(self) -> None:
        with self._lock:
            settings = dict(self._settings)
            self._dirty = False
        self._apm = _LkApm(**settings)
        logger.info("voice processing: %s", ", ".join(k for k, v in settings.items() if v) or "off")

    def _set_level(self, samples: npt.NDArray[np.int16]) -> None:
        if len(samples):
            flat = samples.astype(np.float32)
            self.level = float(np.sqrt(np.dot(flat, flat) / len(flat))) / _FULL_SCALE
        else:
            self.level = 0.0

    def reset(self) -> None:
        """Forget the far end and start over with a fresh module (e.g. a new microphone)."""
        with self._lock:
            self._far.clear()
            self._far_partial = np.zeros(0, dtype=np.int16)
            self._dirty = True
        self._near_fifo = np.zeros(0, dtype=np.int16)
        self._near_out = np.zeros(0, dtype=np.int16)


def _to_mono(samples: np.ndarray, channels: int) -> npt.NDArray[np.int16]:
    if samples.dtype != np.int16:
        raise ValueError(f"expected s16 samples, got {samples.dtype}")
    if channels == 1:
        return samples.reshape(-1)
    frames = samples.reshape(-1, channels)
    if channels == 2:
        return ((frames[:, 0].astype(np.int32) + frames[:, 1]) >> 1).astype(np.int16)
    return frames.mean(axis=1).astype(np.int16)


class ProcessedMicrophone(MediaStreamTrack):
    """An audio track: ``source``'s 48 kHz s16 mono frames run through ``processor``.

    Same sample format, size, pts and time base as the source. Frames of any other format pass
    through unprocessed (logged once). ``level`` is the processed level, so a meter reading
    ``track.level`` shows what the others will hear. ``stop`` stops the source.

    Processing happens in ``recv``, i.e. on whichever thread awaits it (the asyncio loop). For a
    Qt microphone, prefer processing on its capture thread (see the report in the issue).
    """

    kind = "audio"

    def __init__(self, source: MediaStreamTrack, processor: VoiceProcessor | None = None) -> None:
        super().__init__()
        self.source = source
        self.processor = processor if processor is not None else VoiceProcessor()
        self._warned_format = False

    @property
    def level(self) -> float:
        return self.processor.level

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.source.recv()
        if (frame.format.name != "s16" or frame.layout.name != "mono"
                or frame.sample_rate != SAMPLE_RATE):
            if not self._warned_format:
                self._warned_format = True
                logger.warning("voice processing skipped: %s %s %d Hz frames", frame.format.name,
                               frame.layout.name, frame.sample_rate)
            return frame
        processed = self.processor.process(frame.to_ndarray().reshape(-1))
        out = av.AudioFrame.from_ndarray(processed[None, :], format="s16", layout="mono")
        out.sample_rate = frame.sample_rate
        out.pts = frame.pts
        out.time_base = frame.time_base if frame.time_base is not None else fractions.Fraction(1, SAMPLE_RATE)
        return out

    def stop(self) -> None:
        super().stop()
        self.source.stop()
