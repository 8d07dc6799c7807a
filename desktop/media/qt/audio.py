"""What the microphone and the speaker threads share: the PCM format asked of a Qt audio device,
conversion of device PCM to 20 ms frames, and the QThread that owns one Qt audio object.

Each Qt audio object lives on its own ``QThread`` (Qt audio on the GUI thread loses audio
whenever the GUI blocks; DESIGN.md, Known traps).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import av
import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QThread, Signal, Slot
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QAudioSource, QtAudio

from ..mixer import SAMPLE_RATE

__all__ = ["FRAME_SAMPLES", "AudioThread", "DeviceWatcher", "PcmConverter", "choose_audio_format", "describe_format",
           "SAMPLE_DTYPES"]

logger = logging.getLogger(__name__)

FRAME_SAMPLES = SAMPLE_RATE // 50  # 20 ms, as aiortc and Opus use


def _audio_format(rate: int, channels: int) -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(rate)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    return fmt


def choose_audio_format(qdevice: QAudioDevice, channels: int) -> QAudioFormat:
    wanted = _audio_format(SAMPLE_RATE, channels)
    if qdevice.isNull() or qdevice.isFormatSupported(wanted):
        return wanted
    preferred = qdevice.preferredFormat()
    if preferred.isValid() and preferred.sampleFormat() in SAMPLE_DTYPES:
        return preferred
    return wanted  # let Qt say no, rather than guess


SAMPLE_DTYPES = {
    QAudioFormat.SampleFormat.UInt8: np.dtype(np.uint8),
    QAudioFormat.SampleFormat.Int16: np.dtype("<i2"),
    QAudioFormat.SampleFormat.Int32: np.dtype("<i4"),
    QAudioFormat.SampleFormat.Float: np.dtype("<f4"),
}


def describe_format(fmt: QAudioFormat) -> str:
    return f"{fmt.sampleRate()} Hz, {fmt.channelCount()} ch, {fmt.sampleFormat().name}"


class PcmConverter:
    """Device PCM bytes (any Int16/Int32/Float/UInt8 rate and channel count) -> 20 ms s16 mono."""

    def __init__(self, fmt: QAudioFormat, frame_samples: int = FRAME_SAMPLES) -> None:
        self.dtype = SAMPLE_DTYPES[fmt.sampleFormat()]
        self.channels = max(1, fmt.channelCount())
        self.rate = fmt.sampleRate()
        self.frame_samples = frame_samples
        self._bytes_per_frame = self.dtype.itemsize * self.channels
        self._partial = b""
        self._pending = np.zeros(0, dtype=np.int16)
        self._resampler = (
            None if self.rate == SAMPLE_RATE
            else av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        )

    def feed(self, data: bytes) -> list[npt.NDArray[np.int16]]:
        data = self._partial + data
        usable = len(data) - len(data) % self._bytes_per_frame
        self._partial = data[usable:]
        if usable:
            mono = self._to_mono_s16(np.frombuffer(data[:usable], dtype=self.dtype))
            if self._resampler is not None:
                mono = self._resample(mono)
            self._pending = np.concatenate((self._pending, mono)) if len(self._pending) else mono
        frames = []
        n = self.frame_samples
        while len(self._pending) >= n:
            frames.append(self._pending[:n].copy())
            self._pending = self._pending[n:]
        return frames

    def _to_mono_s16(self, samples: np.ndarray) -> npt.NDArray[np.int16]:
        if self.dtype == np.int16 and self.channels == 1:
            return samples.astype(np.int16)
        if self.dtype == np.uint8:
            values = (samples.astype(np.float32) - 128.0) * 256.0
        elif self.dtype == np.int32:
            values = samples.astype(np.float32) / 65536.0
        elif self.dtype == np.float32:
            values = samples * 32767.0
        else:
            values = samples.astype(np.float32)
        if self.channels > 1:
            values = values.reshape(-1, self.channels).mean(axis=1)
        return np.clip(np.round(values), -32768, 32767).astype(np.int16)

    def _resample(self, mono: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        frame = av.AudioFrame.from_ndarray(mono[None, :], format="s16", layout="mono")
        frame.sample_rate = self.rate
        parts = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


class AudioThread(QThread):
    """A QThread that owns one Qt audio object; ``failed`` reaches the owner on the GUI thread."""

    failed = Signal(str)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self._on_failed: Callable[[str], None] | None = None
        self.failed.connect(self._report)  # this QThread object lives on the GUI thread: queued

    @Slot(str)
    def _report(self, reason: str) -> None:
        if self._on_failed is not None:
            self._on_failed(reason)

    def stop(self, timeout_ms: int = 2000) -> None:
        """Quit the thread's event loop and wait for it (the Qt audio object stops in it)."""
        self._on_failed = None
        if self.isRunning():
            self.quit()
            if not self.wait(timeout_ms):
                # Destroying a running QThread aborts the process: keep it until it finishes.
                logger.error("%s did not stop within %d ms", self.objectName(), timeout_ms)
                _STRAGGLERS.add(self)
                self.finished.connect(lambda: _STRAGGLERS.discard(self))


#: Audio threads that did not stop in time, kept alive until they do.
_STRAGGLERS: set[AudioThread] = set()


class DeviceWatcher:
    """On an audio thread: turns a device stopped with an error into ``failed``, once.

    Polled from the thread's timer rather than connected to ``stateChanged``: that signal's
    argument type (``QAudio::State``) is one PySide cannot always convert, and a 10-20 ms poll of
    two getters costs nothing. Idle with an underrun is not a failure: the device waits for data.
    """

    def __init__(self, thread: AudioThread, device: QAudioSource | QAudioSink, what: str) -> None:
        self._thread = thread
        self._device = device
        self._what = what
        self.failed = False

    def check(self) -> bool:
        """True (and the thread asked to quit) once the device stopped with an error."""
        if self.failed:
            return True
        error = self._device.error()
        if error != QtAudio.Error.NoError and self._device.state() == QtAudio.State.StoppedState:
            self.failed = True
            self._thread.failed.emit(f"{self._what}: {error.name}")
            self._thread.quit()
        return self.failed
