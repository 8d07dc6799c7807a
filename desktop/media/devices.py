"""Cameras, microphones and speakers: what the lobby lists and the meeting opens.

No Qt here. A ``DeviceBackend`` lists devices of one family and opens them: the Qt Multimedia
one in ``desktop.media.qt`` and the synthetic one in ``desktop.media.synthetic`` (added by the
bot, the tests and ``parley --fake-devices``, so they run anywhere). ``DeviceManager`` merges the backends, remembers nothing itself, and picks a
saved choice again by id, then by name (USB ids change between boots), then the default.

Opened devices are aiortc tracks (camera, microphone) and ``Speaker`` objects that mix every
remote voice (``mixer.Mixer``). ``SwitchableTrack`` lets a call change its camera or microphone
without touching the peer connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from .mixer import Mixer

__all__ = [
    "Device",
    "DeviceBackend",
    "DeviceKind",
    "DeviceManager",
    "DeviceUnavailable",
    "MixingSpeaker",
    "Speaker",
]

logger = logging.getLogger(__name__)


class DeviceKind(StrEnum):
    CAMERA = "camera"
    MICROPHONE = "microphone"
    SPEAKER = "speaker"


@dataclass(frozen=True)
class Device:
    kind: DeviceKind
    id: str
    name: str
    is_default: bool = False
    synthetic: bool = False


class DeviceUnavailable(LookupError):
    """The device is not (or no longer) listed by any backend."""


@runtime_checkable
class Speaker(Protocol):
    """Plays every remote voice, mixed, on one output device.

    ``play`` and ``remove_source`` are called on the asyncio loop thread (``play`` for each
    decoded remote audio frame, about 50 a second per source); the device is fed from its own
    thread. ``level`` is the RMS (0..1) of what was last played. ``ended_reason`` is None while
    the device works, and says why once it failed or vanished (``on_ended`` callbacks then run
    on the GUI/loop thread). ``close`` is idempotent.
    """

    level: float
    ended_reason: str | None

    def play(self, source_id: str, frame: av.AudioFrame) -> None: ...

    def remove_source(self, source_id: str) -> None: ...

    def play_sound(self, samples: npt.NDArray[np.int16]) -> None: ...

    def on_ended(self, callback: Callable[[], None]) -> None: ...

    def close(self) -> None: ...


class DeviceBackend(Protocol):
    """One family of devices (synthetic, Qt Multimedia, ...)."""

    def devices(self, kind: DeviceKind) -> list[Device]: ...

    def on_changed(self, callback: Callable[[], None]) -> None: ...

    def open_camera(
        self, device: Device, width: int = 640, height: int = 360, fps: int = 30
    ) -> MediaStreamTrack: ...

    def open_microphone(self, device: Device) -> MediaStreamTrack: ...

    def open_speaker(self, device: Device, far_end: Callable[[npt.NDArray[np.int16]], None] | None = None) -> Speaker:
        """``far_end``: called with each block the speaker plays (echo cancellation's reference)."""
        ...

    def close(self) -> None: ...


class MixingSpeaker:
    """What every speaker does with remote voices: mix them (desktop.media.mixer). A subclass
    sets ``mixer`` and ``_closed`` and sends the mix somewhere."""

    mixer: Mixer
    _closed: bool

    @property
    def level(self) -> float:
        return self.mixer.level

    def play(self, source_id: str, frame: av.AudioFrame) -> None:
        if not self._closed:
            self.mixer.push(source_id, frame)

    def remove_source(self, source_id: str) -> None:
        self.mixer.remove(source_id)

    def play_sound(self, samples: npt.NDArray[np.int16]) -> None:
        if not self._closed:
            self.mixer.add_sound(samples)


# -- the manager ---------------------------------------------------------------------------------


class DeviceManager:
    """All backends' devices as one list (real devices first), and the backend behind each."""

    def __init__(self, backends: list[DeviceBackend]) -> None:
        self.backends = list(backends)
        self._callbacks: list[Callable[[], None]] = []
        self._closed = False
        for backend in self.backends:
            backend.on_changed(self._on_backend_changed)

    def devices(self, kind: DeviceKind) -> list[Device]:
        found: list[Device] = []
        for backend in self.backends:
            found.extend(self._listed(backend, kind))
        return sorted(found, key=lambda d: d.synthetic)  # stable: backend order kept otherwise

    def default(self, kind: DeviceKind) -> Device | None:
        devices = self.devices(kind)
        for device in devices:
            if device.is_default:
                return device
        return devices[0] if devices else None

    def choose(
        self, kind: DeviceKind, saved_id: str | None, saved_name: str | None
    ) -> Device | None:
        """The saved device if still there (by id, then by name), else the default."""
        devices = self.devices(kind)
        if saved_id:
            for device in devices:
                if device.id == saved_id:
                    return device
        if saved_name:
            for device in devices:
                if device.name == saved_name:
                    return device
        return self.default(kind)

    def on_changed(self, callback: Callable[[], None]) -> None:
        """``callback()`` whenever a device list changes (plugged, unplugged, new default)."""
        self._callbacks.append(callback)

    def open_camera(
        self, device: Device, width: int = 640, height: int = 360, fps: int = 30
    ) -> MediaStreamTrack:
        return self._backend_of(device).open_camera(device, width, height, fps)

    def open_microphone(self, device: Device) -> MediaStreamTrack:
        return self._backend_of(device).open_microphone(device)

    def open_speaker(self, device: Device, far_end: Callable[[npt.NDArray[np.int16]], None] | None = None) -> Speaker:
        return self._backend_of(device).open_speaker(device, far_end=far_end)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._callbacks.clear()
        for backend in self.backends:
            try:
                backend.close()
            except Exception:
                logger.exception("closing device backend %r failed", backend)

    def _backend_of(self, device: Device) -> DeviceBackend:
        for backend in self.backends:
            if any(d.id == device.id for d in self._listed(backend, device.kind)):
                return backend
        raise DeviceUnavailable(f"{device.kind} {device.name!r} is not available")

    @staticmethod
    def _listed(backend: DeviceBackend, kind: DeviceKind) -> list[Device]:
        try:
            return backend.devices(kind)
        except Exception:  # a broken backend must not hide the others' devices
            logger.exception("listing %s devices of %r failed", kind, backend)
            return []

    def _on_backend_changed(self) -> None:
        for callback in list(self._callbacks):
            try:
                callback()
            except Exception:
                logger.exception("device change callback failed")

