"""Real cameras, microphones and speakers through Qt Multimedia (no QtWidgets).

The one place in ``desktop/media`` that touches Qt; the rest of the app sees ``DeviceBackend``,
aiortc tracks and ``Speaker`` (``devices.py``).

- Camera: ``QCamera`` -> ``QMediaCaptureSession`` -> ``QVideoSink``; each ``QVideoFrame`` is
  mapped and its planes copied into an ``av.VideoFrame`` (tens of microseconds) in whichever
  thread Qt delivers it; the track keeps only the latest frame.
- Microphone and speaker: each runs on its own ``QThread`` owning its ``QAudioSource`` /
  ``QAudioSink`` (Qt audio on the GUI thread loses audio whenever the GUI blocks; DESIGN.md,
  Known traps). Captured audio reaches the asyncio loop as 20 ms frames through
  ``call_soon_threadsafe``; the speaker thread feeds the sink from a ``Mixer`` every 10 ms. PCM
  only ever crosses Qt as a ``QByteArray`` written to / read from Qt's own ``QIODevice`` (a Python
  ``QIODevice.writeData`` would truncate it at the first zero byte).
- A device that fails or vanishes ends what was opened on it: tracks stop (``recv`` raises
  ``MediaStreamError``, the track emits ``"ended"``, ``ended_reason`` says why), speakers close
  and call their ``on_ended`` callbacks. Nothing raises into the GUI.

Everything here must be created on the GUI thread (QMediaDevices, QCamera) with a
``QGuiApplication`` (or ``QCoreApplication``) alive; ``QtBackend.close()`` (also run on
``aboutToQuit``) stops every device thread.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE, MediaStreamError, MediaStreamTrack
from PySide6.QtCore import QByteArray, QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import (
    QAudioDevice,
    QAudioFormat,
    QAudioSink,
    QAudioSource,
    QCamera,
    QCameraDevice,
    QCameraFormat,
    QMediaCaptureSession,
    QMediaDevices,
    QtAudio,
    QVideoFrame,
    QVideoFrameFormat,
    QVideoSink,
)

from .devices import Device, DeviceKind, DeviceUnavailable, MixingSpeaker
from .mixer import CHANNELS, SAMPLE_RATE, Mixer

__all__ = [
    "QtBackend",
    "QtCameraTrack",
    "VideoSinkTrack",
    "choose_camera_format",
    "QtMicrophoneTrack",
    "QtSpeaker",
    "PcmConverter",
    "video_frame_to_av",
]

logger = logging.getLogger(__name__)

FRAME_SAMPLES = SAMPLE_RATE // 50  # 20 ms, as aiortc and Opus use
_AUDIO_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
_PF = QVideoFrameFormat.PixelFormat


def device_id(qdevice: QCameraDevice | QAudioDevice) -> str:
    """A stable string for a Qt device id (a QByteArray that may not be text)."""
    return bytes(qdevice.id()).hex()


# -- QVideoFrame -> av.VideoFrame ----------------------------------------------------------------

#: Qt pixel format -> (FFmpeg pixel format, order of Qt's planes in the av frame).
#: Qt 6's packed RGB names give the byte order in memory (Format_BGRA8888 is B, G, R, A), as
#: FFmpeg's do. Premultiplied alpha is treated as straight: cameras are opaque.
_PIXEL_FORMATS: dict[QVideoFrameFormat.PixelFormat, tuple[str, tuple[int, ...] | None]] = {
    _PF.Format_NV12: ("nv12", None),
    _PF.Format_NV21: ("nv21", None),
    _PF.Format_YUV420P: ("yuv420p", None),
    _PF.Format_YV12: ("yuv420p", (0, 2, 1)),  # Y, V, U in Qt's planes
    _PF.Format_YUV422P: ("yuv422p", None),
    _PF.Format_YUV420P10: ("yuv420p10le", None),
    _PF.Format_P010: ("p010le", None),
    _PF.Format_P016: ("p016le", None),
    _PF.Format_YUYV: ("yuyv422", None),
    _PF.Format_UYVY: ("uyvy422", None),
    _PF.Format_Y8: ("gray", None),
    _PF.Format_Y16: ("gray16le", None),
    _PF.Format_BGRA8888: ("bgra", None),
    _PF.Format_BGRA8888_Premultiplied: ("bgra", None),
    _PF.Format_BGRX8888: ("bgr0", None),
    _PF.Format_RGBA8888: ("rgba", None),
    _PF.Format_RGBX8888: ("rgb0", None),
    _PF.Format_ARGB8888: ("argb", None),
    _PF.Format_ARGB8888_Premultiplied: ("argb", None),
    _PF.Format_XRGB8888: ("0rgb", None),
    _PF.Format_ABGR8888: ("abgr", None),
    _PF.Format_XBGR8888: ("0bgr", None),
}

_YUV = {"nv12", "nv21", "yuv420p", "yuv422p", "yuv420p10le", "p010le", "p016le", "yuyv422", "uyvy422"}
# FFmpeg's AVColorSpace and AVColorRange numbers, as PyAV takes them.
_AV_COLORSPACE = {
    QVideoFrameFormat.ColorSpace.ColorSpace_BT601: 6,  # SMPTE 170M
    QVideoFrameFormat.ColorSpace.ColorSpace_BT709: 1,
    QVideoFrameFormat.ColorSpace.ColorSpace_BT2020: 9,
}
_AV_RANGE = {
    QVideoFrameFormat.ColorRange.ColorRange_Video: 1,
    QVideoFrameFormat.ColorRange.ColorRange_Full: 2,
}


def video_frame_to_av(frame: QVideoFrame) -> av.VideoFrame | None:
    """Copy a QVideoFrame into a new av.VideoFrame (None when it holds no picture).

    The common camera formats are copied plane by plane, honouring both sides' line strides.
    Anything else (Jpeg, AYUV, IMC*, texture-only frames that cannot be mapped) goes through
    ``QVideoFrame.toImage()``, which costs milliseconds a frame: a fallback, not the path.
    """
    if not frame.isValid():
        return None
    known = _PIXEL_FORMATS.get(frame.pixelFormat())
    if known is not None:
        converted = _copy_planes(frame, *known)
        if converted is not None:
            return converted
    return _via_image(frame)


def _copy_planes(frame: QVideoFrame, av_format: str, order: tuple[int, ...] | None):
    width, height = frame.width(), frame.height()
    if width <= 0 or height <= 0:
        return None
    if not frame.map(QVideoFrame.MapMode.ReadOnly):
        return None
    try:
        out = av.VideoFrame(width, height, av_format)
        planes = out.planes
        count = frame.planeCount()
        if count != len(planes):
            return None
        for index in range(count):
            source_index = order[index] if order else index
            if not _copy_plane(frame, source_index, planes[index]):
                return None
    finally:
        frame.unmap()
    if av_format in _YUV:
        surface = frame.surfaceFormat()
        colorspace = _AV_COLORSPACE.get(surface.colorSpace())
        color_range = _AV_RANGE.get(surface.colorRange())
        if colorspace is not None:
            out.colorspace = colorspace
        if color_range is not None:
            out.color_range = color_range
    return out


def _copy_plane(frame: QVideoFrame, index: int, plane) -> bool:
    stride = frame.bytesPerLine(index)
    available = frame.mappedBytes(index)
    bits = frame.bits(index)
    if stride <= 0 or available <= 0 or bits is None:
        return False
    source = np.frombuffer(bits, dtype=np.uint8, count=min(available, len(bits)))
    rows = plane.height
    width = min(stride, plane.line_size)
    target = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    full = min(rows, len(source) // stride)
    target[:full, :width] = source[: full * stride].reshape(full, stride)[:, :width]
    if full < rows:  # the last row may be mapped without its padding
        rest = len(source) - full * stride
        if full + 1 < rows or rest <= 0:
            return False
        target[full, : min(rest, width)] = source[full * stride : full * stride + min(rest, width)]
    return True


def _via_image(frame: QVideoFrame) -> av.VideoFrame | None:
    image = frame.toImage()
    if image.isNull():
        return None
    image = image.convertToFormat(QImage.Format.Format_RGBX8888)  # bytes R, G, B, X
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    source = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    out = av.VideoFrame(width, height, "rgb0")
    plane = out.planes[0]
    target = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    target[:, : width * 4] = source.reshape(height, stride)[:, : width * 4]
    return out


# -- the backend ---------------------------------------------------------------------------------


class QtBackend:
    """Cameras, microphones and speakers from ``QMediaDevices``; create on the GUI thread."""

    def __init__(self) -> None:
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("QtBackend needs a QGuiApplication (or QCoreApplication) first")
        self._media = QMediaDevices()  # kept alive: its signals tell us about (un)plugging
        self._callbacks: list[Callable[[], None]] = []
        # Strong references: a running audio QThread must never be garbage collected.
        self._opened: list = []
        self._closed = False
        self._media.videoInputsChanged.connect(self._on_media_videoInputsChanged)
        self._media.audioInputsChanged.connect(self._on_media_audioInputsChanged)
        self._media.audioOutputsChanged.connect(self._on_media_audioOutputsChanged)
        # Device threads must stop before the interpreter does, whatever the app forgets.
        app.aboutToQuit.connect(self.close)

    # listing

    def devices(self, kind: DeviceKind) -> list[Device]:
        kind = DeviceKind(kind)
        return [Device(kind, device_id(q), q.description(), bool(q.isDefault())) for q in self._qt(kind)]

    @staticmethod
    def _qt(kind: DeviceKind) -> list:
        if kind is DeviceKind.CAMERA:
            return list(QMediaDevices.videoInputs())
        if kind is DeviceKind.MICROPHONE:
            return list(QMediaDevices.audioInputs())
        return list(QMediaDevices.audioOutputs())

    def _find(self, device: Device):
        for q in self._qt(device.kind):
            if device_id(q) == device.id:
                return q
        raise DeviceUnavailable(f"{device.kind} {device.name!r} is not available")

    def on_changed(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    # opening

    def open_camera(
        self, device: Device, width: int = 640, height: int = 360, fps: int = 30
    ) -> QtCameraTrack:
        return self._keep(QtCameraTrack(self._find(device), width, height, fps, name=device.name))

    def open_microphone(self, device: Device) -> QtMicrophoneTrack:
        return self._keep(QtMicrophoneTrack(self._find(device), name=device.name))

    def open_speaker(self, device: Device, far_end=None) -> QtSpeaker:
        return self._keep(QtSpeaker(self._find(device), name=device.name, far_end=far_end))

    def _keep(self, opened):
        if self._closed:
            opened.close_device()
            raise DeviceUnavailable("the device backend is closed")
        self._opened = [o for o in self._opened if not o.finished]
        self._opened.append(opened)
        return opened

    def close(self) -> None:
        """Stop every device opened here (joins the audio threads); idempotent."""
        if self._closed:
            return
        self._closed = True
        self._callbacks.clear()
        for signal, slot in (
            (self._media.videoInputsChanged, self._on_media_videoInputsChanged),
            (self._media.audioInputsChanged, self._on_media_audioInputsChanged),
            (self._media.audioOutputsChanged, self._on_media_audioOutputsChanged),
        ):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        opened, self._opened = self._opened, []
        for o in opened:
            try:
                o.close_device()
            except Exception:
                logger.exception("closing %r failed", o)

    # (un)plugging

    def _on_media_videoInputsChanged(self) -> None:
        self._on_media_changed(DeviceKind.CAMERA)

    def _on_media_audioInputsChanged(self) -> None:
        self._on_media_changed(DeviceKind.MICROPHONE)

    def _on_media_audioOutputsChanged(self) -> None:
        self._on_media_changed(DeviceKind.SPEAKER)

    def _on_media_changed(self, kind: DeviceKind) -> None:
        present = {device_id(q) for q in self._qt(kind)}
        for opened in list(self._opened):
            if opened.device_kind is kind and opened.device_id not in present:
                opened.device_lost(f"{opened.device_name} was disconnected")
        for callback in list(self._callbacks):
            try:
                callback()
            except Exception:
                logger.exception("device change callback failed")


# -- shared bits ---------------------------------------------------------------------------------


class _LoopBinding:
    """The asyncio loop a track is consumed on, learnt in ``recv``, and a way to reach it."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: int | None = None

    def bind(self) -> bool:
        """Bind to the running loop; True the first time."""
        loop = asyncio.get_running_loop()
        first = self.loop is None
        if loop is not self.loop:
            self.loop, self.thread = loop, threading.get_ident()
        return first

    def call(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the loop (now, when we are on it or it is unknown)."""
        loop = self.loop
        if loop is None or threading.get_ident() == self.thread:
            callback()
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    def wake(self, event: asyncio.Event) -> None:
        """Set ``event`` from any thread (nothing to wake before the first ``recv``)."""
        loop = self.loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass


def _audio_format(rate: int, channels: int) -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(rate)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    return fmt


def _choose_audio_format(qdevice: QAudioDevice, channels: int) -> QAudioFormat:
    wanted = _audio_format(SAMPLE_RATE, channels)
    if qdevice.isNull() or qdevice.isFormatSupported(wanted):
        return wanted
    preferred = qdevice.preferredFormat()
    if preferred.isValid() and preferred.sampleFormat() in _SAMPLE_DTYPES:
        return preferred
    return wanted  # let Qt say no, rather than guess


_SAMPLE_DTYPES = {
    QAudioFormat.SampleFormat.UInt8: np.dtype(np.uint8),
    QAudioFormat.SampleFormat.Int16: np.dtype("<i2"),
    QAudioFormat.SampleFormat.Int32: np.dtype("<i4"),
    QAudioFormat.SampleFormat.Float: np.dtype("<f4"),
}


def _describe(fmt: QAudioFormat) -> str:
    return f"{fmt.sampleRate()} Hz, {fmt.channelCount()} ch, {fmt.sampleFormat().name}"


# -- camera --------------------------------------------------------------------------------------

_FORMAT_RANK = {
    _PF.Format_NV12: 0, _PF.Format_YUV420P: 0, _PF.Format_YUYV: 1, _PF.Format_UYVY: 1,
    _PF.Format_NV21: 1, _PF.Format_YV12: 1, _PF.Format_Jpeg: 2,  # Qt decodes Jpeg for us
}


def choose_camera_format(formats: list[QCameraFormat], width: int, height: int, fps: int):
    """The format closest to what we send: enough frame rate, at least the size, least excess."""

    def key(fmt: QCameraFormat):
        size = fmt.resolution()
        w, h = size.width(), size.height()
        return (
            fmt.maxFrameRate() + 0.5 < fps,  # too slow is worst
            w < width or h < height,  # then too small
            abs(w * h - width * height),
            _FORMAT_RANK.get(fmt.pixelFormat(), 3),
        )

    return min(formats, key=key) if formats else None


def _fit(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Scale (width, height) down to fit the box, keeping the aspect ratio; even sizes."""
    scale = min(box_w / width, box_h / height, 1.0)
    return max(2, int(width * scale) & ~1), max(2, int(height * scale) & ~1)


class VideoSinkTrack(MediaStreamTrack):
    """An aiortc video track fed by a ``QVideoSink``: the latest frame, stamped on arrival.

    Each ``QVideoFrame`` is copied into an ``av.VideoFrame`` in whichever thread Qt delivers it
    (a direct connection: never waiting for the GUI); only the newest waits for ``recv``. Frames
    larger than ``width`` x ``height`` are scaled down to fit (aspect kept) in the default
    executor, off the loop, and only those ``recv`` hands out. pts are in 1/90000 from the
    arrival times (a monotonic clock). ``ended_reason`` is None while the source works or when
    the app stopped the track, else why it ended (the track then stops: ``recv`` raises
    ``MediaStreamError`` and ``"ended"`` is emitted). The sink must outlive the track's use.
    """

    kind = "video"
    device_kind = DeviceKind.CAMERA

    def __init__(
        self,
        sink: QVideoSink,
        width: int = 640,
        height: int = 360,
        *,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.device_name = name
        self.width, self.height = width, height
        self.ended_reason: str | None = None
        self.frames_captured = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._latest: tuple[av.VideoFrame, float] | None = None
        self._wake = asyncio.Event()
        self._binding = _LoopBinding()
        self._start: float | None = None
        self._last_pts = -1
        self._failures = 0
        self._sink = sink
        sink.videoFrameChanged.connect(self._on_sink_frame, Qt.ConnectionType.DirectConnection)

    def _on_sink_frame(self, qframe: QVideoFrame) -> None:
        if self.readyState != "live":
            return
        arrived = self._clock()
        try:
            frame = video_frame_to_av(qframe)
        except Exception:
            self._failures += 1
            if self._failures == 1:
                logger.exception("%s: could not convert a frame", self.device_name)
            return
        if frame is None:
            return
        with self._lock:
            self._latest = (frame, arrived)
            self.frames_captured += 1
        self._binding.wake(self._wake)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        self._binding.bind()
        while True:
            with self._lock:
                item, self._latest = self._latest, None
            if item is not None:
                break
            if self.readyState != "live":
                raise MediaStreamError
            self._wake.clear()
            await self._wake.wait()
        frame, arrived = item
        if frame.width > self.width or frame.height > self.height:
            w, h = _fit(frame.width, frame.height, self.width, self.height)
            frame = await asyncio.get_running_loop().run_in_executor(
                None, lambda: frame.reformat(width=w, height=h, format="yuv420p")
            )
        if self._start is None:
            self._start = arrived
        pts = max(int(round((arrived - self._start) * VIDEO_CLOCK_RATE)), self._last_pts + 1)
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        return frame

    def device_lost(self, reason: str) -> None:
        """The source failed or vanished: end the track (on the loop thread)."""
        if self.readyState != "live":
            return
        if self.ended_reason is None:
            self.ended_reason = reason
            logger.warning("video source ended: %s", reason)
        self._binding.call(self.stop)

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()  # readyState "ended", emits "ended"
        self._wake.set()
        self._teardown()

    def close_device(self) -> None:
        self.stop()

    @property
    def finished(self) -> bool:
        return self.readyState != "live"

    def _teardown(self) -> None:
        sink, self._sink = self._sink, None
        if sink is not None:
            try:
                sink.videoFrameChanged.disconnect(self._on_sink_frame)
            except (RuntimeError, TypeError):
                pass


class QtCameraTrack(VideoSinkTrack):
    """A camera: ``QCamera`` -> ``QMediaCaptureSession`` -> ``QVideoSink`` -> this track.

    The camera format closest to ``width`` x ``height`` at ``fps`` is asked for; a camera error
    (including "no camera") or its disappearance ends the track.
    """

    def __init__(
        self,
        qdevice: QCameraDevice,
        width: int = 640,
        height: int = 360,
        fps: int = 30,
        *,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._camera: QCamera | None = None
        self._session = QMediaCaptureSession()
        super().__init__(QVideoSink(), width, height, name=name or qdevice.description(), clock=clock)
        self.device_id = device_id(qdevice)
        self.fps = fps
        camera = QCamera(qdevice)
        self._camera = camera
        fmt = choose_camera_format(list(qdevice.videoFormats()), width, height, fps)
        if fmt is not None:
            camera.setCameraFormat(fmt)
        self._session.setCamera(camera)
        self._session.setVideoSink(self._sink)
        camera.errorOccurred.connect(self._on_camera_error)
        if camera.error() != QCamera.Error.NoError:  # e.g. "No camera detected", said at once
            self.device_lost(f"{self.device_name or 'camera'}: {camera.errorString()}")
            return
        camera.start()

    def _on_camera_error(self, error, message: str = "") -> None:
        if error != QCamera.Error.NoError:
            self.device_lost(f"{self.device_name or 'camera'}: {message or error.name}")

    def _teardown(self) -> None:
        camera = self._camera
        if camera is not None and QThread.currentThread() is not camera.thread():
            QTimer.singleShot(0, camera, self._teardown)  # Qt objects die on their own thread
            return
        self._camera = None
        if camera is not None:
            try:
                camera.errorOccurred.disconnect(self._on_camera_error)
            except (RuntimeError, TypeError):
                pass
            camera.stop()
            self._session.setVideoSink(None)
            self._session.setCamera(None)
        super()._teardown()  # the sink goes last, once the session no longer feeds it


# -- audio threads -------------------------------------------------------------------------------


class PcmConverter:
    """Device PCM bytes (any Int16/Int32/Float/UInt8 rate and channel count) -> 20 ms s16 mono."""

    def __init__(self, fmt: QAudioFormat, frame_samples: int = FRAME_SAMPLES) -> None:
        self.dtype = _SAMPLE_DTYPES[fmt.sampleFormat()]
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


class _AudioThread(QThread):
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
_STRAGGLERS: set[_AudioThread] = set()


class _Watcher:
    """On an audio thread: turns a device stopped with an error into ``failed``, once.

    Polled from the thread's timer rather than connected to ``stateChanged``: that signal's
    argument type (``QAudio::State``) is one PySide cannot always convert, and a 10-20 ms poll of
    two getters costs nothing. Idle with an underrun is not a failure: the device waits for data.
    """

    def __init__(self, thread: _AudioThread, device: QAudioSource | QAudioSink, what: str) -> None:
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


class _Reader(QObject):
    """Lives on the capture thread: reads what the source captured and cuts 20 ms frames."""

    def __init__(self, io, converter: PcmConverter, deliver: Callable[[npt.NDArray[np.int16]], None],
                 watcher: _Watcher) -> None:
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


class _CaptureThread(_AudioThread):
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
            fmt = _choose_audio_format(self._qdevice, 1)
            source = QAudioSource(self._qdevice, fmt)
            source.setBufferSize(int(fmt.bytesForDuration(int(self._buffer_seconds * 1e6))))
            io = source.start()
            if io is None or source.error() != QtAudio.Error.NoError:
                self.failed.emit(f"{self._name}: could not open ({source.error().name}, {_describe(fmt)})")
                return
            watcher = _Watcher(self, source, self._name)
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
        self._binding = _LoopBinding()
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


class _Feeder(QObject):
    """Lives on the speaker thread: every tick, tops the sink up from the mixer."""

    def __init__(self, sink: QAudioSink, io, mixer: Mixer, fmt: QAudioFormat, queued_seconds: float,
                 far_end: Callable[[npt.NDArray[np.int16]], None] | None,
                 watcher: _Watcher | None = None) -> None:
        super().__init__()
        self._sink = sink
        self._watcher = watcher
        self._io = io
        self._mixer = mixer
        self._far_end = far_end
        self._rate = fmt.sampleRate()
        self._channels = max(1, fmt.channelCount())
        self._dtype = _SAMPLE_DTYPES[fmt.sampleFormat()]
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


class _PlaybackThread(_AudioThread):
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
            fmt = _choose_audio_format(self._qdevice, CHANNELS)
            sink = QAudioSink(self._qdevice, fmt)
            # Room for what we queue plus a margin; we never fill it beyond ``queued_seconds``.
            sink.setBufferSize(int(fmt.bytesForDuration(int(2 * self._queued_seconds * 1e6))))
            io = sink.start()
            if io is None or sink.error() != QtAudio.Error.NoError:
                self.failed.emit(f"{self._name}: could not open ({sink.error().name}, {_describe(fmt)})")
                return
            watcher = _Watcher(self, sink, self._name)
            feeder = _Feeder(sink, io, self._mixer, fmt, self._queued_seconds, self._far_end, watcher)
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
