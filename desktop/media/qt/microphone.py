"""A microphone: a ``QAudioSource`` on its own QThread -> 20 ms frames -> ``QtMicrophoneTrack``.

Captured audio reaches the asyncio loop as 20 ms frames through ``call_soon_threadsafe``; PCM
only ever crosses Qt as a ``QByteArray`` read from Qt's own ``QIODevice``.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
from collections import deque
from collections.abc import Callable

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtMultimedia import QAudioDevice, QAudioSource, QtAudio

from ..devices import DeviceKind
from ..mixer import SAMPLE_RATE
from .audio import FRAME_SAMPLES, AudioThread, DeviceWatcher, PcmConverter, choose_audio_format, describe_format
from .common import LoopBinding, device_id

__all__ = ["QtMicrophoneTrack"]

logger = logging.getLogger(__name__)

_AUDIO_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


class _Reader(QObject):
    """Lives on the capture thread: reads what the source captured and cuts 20 ms frames."""

    def __init__(self, io, converter: PcmConverter, deliver: Callable[[npt.NDArray[np.int16]], None],
                 watcher: DeviceWatcher) -> None:
        super().__init__()
        self._io = io
        self._converter = converter
        self._deliver = deliver
        self._watcher = watcher
        self._errors = 0

    @Slot()
    def poll(self) -> None:
        if not self._watcher.check():
            self.read()

    @Slot()
    def read(self) -> None:
        try:
            self._read()
        except Exception:  # a bad chunk must not kill capture
            self._errors += 1
            if self._errors == 1:
                logger.exception("microphone: reading captured audio failed")

    def _read(self) -> None:
        data = self._io.readAll()
        if not data.size():
            return
        for frame in self._converter.feed(bytes(data)):
            self._deliver(frame)


class _CaptureThread(AudioThread):
    def __init__(self, qdevice: QAudioDevice, deliver: Callable[[npt.NDArray[np.int16]], None],
                 name: str, buffer_seconds: float = 0.1) -> None:
        super().__init__(f"microphone {name}")
        self._qdevice = qdevice
        self._deliver = deliver
        self._name = name
        self._buffer_seconds = buffer_seconds

    def run(self) -> None:
        source = watcher = reader = poll = None
        try:
            fmt = choose_audio_format(self._qdevice, 1)
            source = QAudioSource(self._qdevice, fmt)
            source.setBufferSize(int(fmt.bytesForDuration(int(self._buffer_seconds * 1e6))))
            io = source.start()
            if io is None or source.error() != QtAudio.Error.NoError:
                self.failed.emit(f"{self._name}: could not open ({source.error().name}, {describe_format(fmt)})")
                return
            watcher = DeviceWatcher(self, source, self._name)
            reader = _Reader(io, PcmConverter(fmt), self._deliver, watcher)
            io.readyRead.connect(reader.read)
            # Watches the device, and reads too for backends slow to say readyRead (cheap).
            poll = QTimer()
            poll.setInterval(20)
            poll.timeout.connect(reader.poll)
            poll.start()
            self.exec()
        except Exception as error:  # never let a device problem escape the thread
            logger.exception("microphone thread failed")
            self.failed.emit(f"{self._name}: {error}")
        finally:
            if poll is not None:
                poll.stop()
            if source is not None:
                source.stop()
            del watcher, reader, poll, source


class QtMicrophoneTrack(MediaStreamTrack):
    """A microphone as an aiortc audio track: 48 kHz s16 mono 20 ms frames, paced by the device.

    Capture runs on its own QThread. ``level`` is the RMS (0..1) of the last captured frame. At
    most ``max_queued`` frames wait for ``recv`` (the oldest are dropped beyond that); frames
    captured before the first ``recv`` are dropped but the newest two.
    """

    kind = "audio"
    device_kind = DeviceKind.MICROPHONE

    def __init__(self, qdevice: QAudioDevice, *, name: str = "", max_queued: int = 25,
                 processor=None) -> None:
        super().__init__()
        #: desktop.media.voice.VoiceProcessor, run on the capture thread before level and framing
        self.processor = processor
        self.device_id = device_id(qdevice)
        self.device_name = name or qdevice.description() or "microphone"
        self.level = 0.0
        self.ended_reason: str | None = None
        self.frames_captured = 0
        self._frames: deque[av.AudioFrame] = deque(maxlen=max_queued)
        self._wake = asyncio.Event()
        self._binding = LoopBinding()
        self._thread = _CaptureThread(qdevice, self._on_captured, self.device_name)
        self._thread._on_failed = self.device_lost
        self._thread.start()

    def _on_captured(self, samples: npt.NDArray[np.int16]) -> None:
        """On the capture thread: process (echo, noise), wrap a 20 ms frame, hand it to the loop."""
        processor = self.processor
        if processor is not None:
            try:
                samples = processor.process(samples)
            except Exception:
                logger.exception("microphone: voice processing failed; unprocessed from now on")
                self.processor = None
        flat = samples.astype(np.float32)  # the level is the processed one: what others hear
        self.level = float(np.sqrt(np.dot(flat, flat) / len(flat))) / 32767.0
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self.frames_captured * FRAME_SAMPLES
        frame.time_base = _AUDIO_TIME_BASE
        self.frames_captured += 1
        self._frames.append(frame)  # deque.append is thread-safe; maxlen drops the oldest
        self._binding.wake(self._wake)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._binding.bind():
            while len(self._frames) > 2:  # stale: captured before anyone listened
                self._frames.popleft()
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._wake.clear()
            if self._frames:
                break
            await self._wake.wait()
        if self.readyState != "live":
            raise MediaStreamError
        return self._frames.popleft()

    def device_lost(self, reason: str) -> None:
        if self.readyState != "live":
            return
        if self.ended_reason is None:
            self.ended_reason = reason
            logger.warning("microphone ended: %s", reason)
        self._binding.call(self.stop)

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
        self._wake.set()
        self._thread.stop()

    close_device = stop

    @property
    def finished(self) -> bool:
        return self.readyState != "live"
