"""A camera: ``QCamera`` -> ``QMediaCaptureSession`` -> ``QVideoSink`` -> ``QtCameraTrack``."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QThread, QTimer
from PySide6.QtMultimedia import (
    QCamera,
    QCameraDevice,
    QCameraFormat,
    QMediaCaptureSession,
    QVideoFrameFormat,
    QVideoSink,
)

from .common import device_id
from .video_sink import VideoSinkTrack

__all__ = ["QtCameraTrack", "choose_camera_format"]

_PF = QVideoFrameFormat.PixelFormat

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
