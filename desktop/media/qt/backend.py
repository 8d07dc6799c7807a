"""``QtBackend``: the ``DeviceBackend`` of real cameras, microphones and speakers (Qt Multimedia).

It lists what ``QMediaDevices`` lists, opens devices as the tracks and speakers of
``camera.py``, ``microphone.py`` and ``speaker.py``, ends what was opened on a device that
vanishes, and stops every device thread when the application quits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtMultimedia import QMediaDevices

from ..devices import Device, DeviceKind, DeviceUnavailable
from .camera import QtCameraTrack
from .common import device_id
from .microphone import QtMicrophoneTrack
from .speaker import QtSpeaker

__all__ = ["QtBackend"]

logger = logging.getLogger(__name__)


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
