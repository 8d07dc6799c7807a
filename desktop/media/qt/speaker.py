"""A speaker: a ``QAudioSink`` on its own QThread, topped up from a ``Mixer`` every 10 ms.

PCM only ever crosses Qt as a ``QByteArray`` written to Qt's own ``QIODevice`` (a Python
``QIODevice.writeData`` would truncate it at the first zero byte).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import av
import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Slot
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QtAudio

from ..devices import DeviceKind, MixingSpeaker
from ..mixer import CHANNELS, SAMPLE_RATE, Mixer
from .audio import SAMPLE_DTYPES, AudioThread, DeviceWatcher, choose_audio_format, describe_format
from .common import device_id

__all__ = ["Feeder", "QtSpeaker"]

logger = logging.getLogger(__name__)


class Feeder(QObject):
    """Lives on the speaker thread: every tick, tops the sink up from the mixer."""

    def __init__(self, sink: QAudioSink, io, mixer: Mixer, fmt: QAudioFormat, queued_seconds: float,
                 far_end: Callable[[npt.NDArray[np.int16]], None] | None,
                 watcher: DeviceWatcher | None = None) -> None:
        super().__init__()
        self._sink = sink
        self._watcher = watcher
        self._io = io
        self._mixer = mixer
        self._far_end = far_end
        self._rate = fmt.sampleRate()
        self._channels = max(1, fmt.channelCount())
        self._dtype = SAMPLE_DTYPES[fmt.sampleFormat()]
        self._frame_bytes = self._dtype.itemsize * self._channels
        self._target = int(queued_seconds * self._rate) * self._frame_bytes
        self._identity = (self._rate == SAMPLE_RATE and self._channels == CHANNELS
                          and self._dtype == np.int16)
        self._resampler = (
            None if self._rate == SAMPLE_RATE
            else av.AudioResampler(format="s16", layout="stereo", rate=self._rate)
        )
        self._errors = 0

    @Slot()
    def tick(self) -> None:
        try:
            if self._watcher is not None and self._watcher.check():
                return
            free = self._sink.bytesFree()
            queued = max(0, self._sink.bufferSize() - free)
            room = min(free, self._target - queued)
            frames = room // self._frame_bytes
            if frames <= 0:
                return
            if self._identity:
                mixed = self._mixer.pull_array(frames)
                data = mixed.tobytes()
            else:
                mixed = self._mixer.pull_array(max(1, frames * SAMPLE_RATE // self._rate))
                data = self._convert(mixed)
            if self._far_end is not None:
                self._far_end(mixed)
            self._io.write(QByteArray(data))
        except Exception:
            self._errors += 1
            if self._errors == 1:
                logger.exception("speaker: feeding the device failed")

    def _convert(self, stereo: npt.NDArray[np.int16]) -> bytes:
        if self._resampler is not None:
            frame = av.AudioFrame.from_ndarray(stereo.reshape(1, -1), format="s16", layout="stereo")
            frame.sample_rate = SAMPLE_RATE
            parts = [f.to_ndarray().reshape(-1, CHANNELS) for f in self._resampler.resample(frame)]
            stereo = np.concatenate(parts) if parts else np.zeros((0, CHANNELS), dtype=np.int16)
        values = stereo.astype(np.float32)
        if self._channels == 1:
            values = values.mean(axis=1, keepdims=True)
        elif self._channels > 2:  # left and right on the first two channels, silence elsewhere
            wide = np.zeros((len(values), self._channels), dtype=np.float32)
            wide[:, :2] = values
            values = wide
        if self._dtype == np.int16:
            return values.astype(np.int16).tobytes()
        if self._dtype == np.int32:
            return (values.astype(np.int32) * 65536).astype("<i4").tobytes()
        if self._dtype == np.float32:
            return (values / 32768.0).astype("<f4").tobytes()
        return (values / 256.0 + 128.0).clip(0, 255).astype(np.uint8).tobytes()


class _PlaybackThread(AudioThread):
    def __init__(self, qdevice: QAudioDevice, mixer: Mixer, name: str, *, period_ms: int = 10,
                 queued_seconds: float = 0.060,
                 far_end: Callable[[npt.NDArray[np.int16]], None] | None = None) -> None:
        super().__init__(f"speaker {name}")
        self._qdevice = qdevice
        self._mixer = mixer
        self._name = name
        self._period_ms = period_ms
        self._queued_seconds = queued_seconds
        self._far_end = far_end

    def run(self) -> None:
        sink = watcher = feeder = timer = None
        try:
            fmt = choose_audio_format(self._qdevice, CHANNELS)
            sink = QAudioSink(self._qdevice, fmt)
            # Room for what we queue plus a margin; we never fill it beyond ``queued_seconds``.
            sink.setBufferSize(int(fmt.bytesForDuration(int(2 * self._queued_seconds * 1e6))))
            io = sink.start()
            if io is None or sink.error() != QtAudio.Error.NoError:
                self.failed.emit(f"{self._name}: could not open ({sink.error().name}, {describe_format(fmt)})")
                return
            watcher = DeviceWatcher(self, sink, self._name)
            feeder = Feeder(sink, io, self._mixer, fmt, self._queued_seconds, self._far_end, watcher)
            timer = QTimer()
            timer.setTimerType(Qt.TimerType.PreciseTimer)
            timer.setInterval(self._period_ms)
            timer.timeout.connect(feeder.tick)
            timer.start()
            feeder.tick()
            self.exec()
        except Exception as error:
            logger.exception("speaker thread failed")
            self.failed.emit(f"{self._name}: {error}")
        finally:
            if timer is not None:
                timer.stop()
            if sink is not None:
                sink.stop()
            del watcher, feeder, timer, sink


class QtSpeaker(MixingSpeaker):
    """A ``Speaker`` on a Qt audio output: remote voices mixed on their own playback thread.

    ``far_end``, if given, is called on the playback thread with each block handed to the device
    (s16 stereo 48 kHz), for echo cancellation.
    """

    device_kind = DeviceKind.SPEAKER

    def __init__(self, qdevice: QAudioDevice, *, name: str = "", mixer: Mixer | None = None,
                 far_end: Callable[[npt.NDArray[np.int16]], None] | None = None) -> None:
        self.device_id = device_id(qdevice)
        self.device_name = name or qdevice.description() or "speaker"
        self.mixer = mixer if mixer is not None else Mixer()
        self.ended_reason: str | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._closed = False
        self._thread = _PlaybackThread(qdevice, self.mixer, self.device_name, far_end=far_end)
        self._thread._on_failed = self.device_lost
        self._thread.start()

    def on_ended(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def device_lost(self, reason: str) -> None:
        """The output failed or vanished: stop playing and tell whoever listens."""
        if self._closed:
            return
        self.ended_reason = reason
        logger.warning("speaker ended: %s", reason)
        self.close()
        for callback in self._callbacks:
            try:
                callback()
            except Exception:
                logger.exception("speaker ended callback failed")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._thread.stop()
        self.mixer.clear()

    close_device = close

    @property
    def finished(self) -> bool:
        return self._closed
