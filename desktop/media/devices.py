"""Cameras, microphones and speakers: what the lobby lists and the meeting opens.

No Qt here. A ``DeviceBackend`` lists devices of one family and opens them: the synthetic one
below (always present, so the app, the bot and the tests run anywhere) and the Qt Multimedia one
in ``desktop.media.qt``. ``DeviceManager`` merges the backends, remembers nothing itself, and picks a
saved choice again by id, then by name (USB ids change between boots), then the default.

Opened devices are aiortc tracks (camera, microphone) and ``Speaker`` objects that mix every
remote voice (``mixer.Mixer``). ``SwitchableTrack`` lets a call change its camera or microphone
without touching the peer connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from .mixer import SAMPLE_RATE, Mixer
from .synthetic import PresenterPattern, SyntheticCamera, SyntheticMicrophone

__all__ = [
    "Device",
    "DeviceBackend",
    "DeviceKind",
    "DeviceManager",
    "DeviceUnavailable",
    "SilentSpeaker",
    "Speaker",
    "SyntheticBackend",
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


# -- synthetic devices ---------------------------------------------------------------------------


class SilentSpeaker(MixingSpeaker):
    """A speaker that mixes like a real one and throws the result away, in real time.

    A thread pulls from the mixer at the device rate (10 ms periods); ``frames_played`` counts
    the frames handed to ``play`` (``frames_by_source`` per source), ``samples_rendered`` the
    stereo samples pulled, ``samples_heard`` those pulled while the mix was not silent, and
    ``peak_level`` the loudest pull — so tests can see audio arrived. With ``run=False`` no
    thread starts and a test drives ``render`` itself.
    """

    def __init__(
        self,
        mixer: Mixer | None = None,
        *,
        period: float = 0.010,
        run: bool = True,
        clock: Callable[[], float] = time.monotonic,
        far_end: Callable[[npt.NDArray[np.int16]], None] | None = None,
    ) -> None:
        self.mixer = mixer if mixer is not None else Mixer()
        self._far_end = far_end
        self.period = period
        self.frames_played = 0
        self.frames_by_source: Counter[Hashable] = Counter()
        self.samples_rendered = 0
        self.samples_heard = 0
        self.peak_level = 0.0
        self.ended_reason: str | None = None
        self._clock = clock
        self._closed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if run:
            self._thread = threading.Thread(target=self._run, name="silent-speaker", daemon=True)
            self._thread.start()

    def play(self, source_id: str, frame: av.AudioFrame) -> None:
        if self._closed:
            return
        super().play(source_id, frame)
        self.frames_played += 1
        self.frames_by_source[source_id] += 1

    def on_ended(self, callback: Callable[[], None]) -> None:
        pass  # a synthetic speaker never vanishes

    def render(self, samples: int) -> npt.NDArray[np.int16]:
        """Pull ``samples`` stereo frames from the mixer as the device would."""
        out = self.mixer.pull_array(samples)
        if self._far_end is not None:
            self._far_end(out)
        level = self.mixer.level
        self.samples_rendered += samples
        if level > 0:
            self.samples_heard += samples
            self.peak_level = max(self.peak_level, level)
        return out

    def _run(self) -> None:
        start = self._clock()
        while not self._stop.wait(self.period):
            due = int((self._clock() - start) * SAMPLE_RATE) - self.samples_rendered
            # After a stall (a suspended machine), skip rather than burst through the backlog.
            skip = due - int(0.1 * SAMPLE_RATE)
            if skip > 0:
                self.samples_rendered += skip
                due -= skip
            if due > 0:
                try:
                    self.render(due)
                except Exception:  # never let a bad frame kill the device thread
                    logger.exception("silent speaker: mixing failed")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self.mixer.clear()


class SyntheticBackend:
    """Synthetic devices: two cameras (a test pattern, the first and default; and a presenter in
    front of a bookshelf, for background effects), a tone and a silent speaker."""

    CAMERA = Device(DeviceKind.CAMERA, "synthetic:camera", "Synthetic camera", synthetic=True)
    PRESENTER = Device(DeviceKind.CAMERA, "synthetic:presenter", "Synthetic presenter", synthetic=True)
    MICROPHONE = Device(
        DeviceKind.MICROPHONE, "synthetic:microphone", "Synthetic microphone", synthetic=True
    )
    SPEAKER = Device(DeviceKind.SPEAKER, "synthetic:speaker", "Silent speaker", synthetic=True)

    def __init__(self, *, frequency: float = 440.0, level_dbfs: float = -20.0) -> None:
        self.frequency = frequency
        self.level_dbfs = level_dbfs
        self._callbacks: list[Callable[[], None]] = []
        self._opened: list[MediaStreamTrack | SilentSpeaker] = []

    def devices(self, kind: DeviceKind) -> list[Device]:
        return list({DeviceKind.CAMERA: (self.CAMERA, self.PRESENTER), DeviceKind.MICROPHONE: (self.MICROPHONE,),
                     DeviceKind.SPEAKER: (self.SPEAKER,)}[DeviceKind(kind)])

    def on_changed(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)  # the synthetic list never changes

    def _check(self, device: Device, *expected: Device) -> None:
        if device.id not in {e.id for e in expected}:
            raise DeviceUnavailable(f"not a synthetic {expected[0].kind}: {device.id}")

    def open_camera(
        self, device: Device, width: int = 640, height: int = 360, fps: int = 30
    ) -> SyntheticCamera:
        self._check(device, self.CAMERA, self.PRESENTER)
        pattern = PresenterPattern(width, height) if device.id == self.PRESENTER.id else None
        return self._keep(SyntheticCamera(width, height, fps, label=device.name, pattern=pattern))

    def open_microphone(self, device: Device) -> SyntheticMicrophone:
        self._check(device, self.MICROPHONE)
        return self._keep(SyntheticMicrophone(self.frequency, self.level_dbfs))

    def open_speaker(self, device: Device, far_end=None) -> SilentSpeaker:
        self._check(device, self.SPEAKER)
        return self._keep(SilentSpeaker(far_end=far_end))

    def _keep(self, opened):
        self._opened = [o for o in self._opened if not _is_finished(o)]
        self._opened.append(opened)
        return opened

    def close(self) -> None:
        opened, self._opened = self._opened, []
        for o in opened:
            if isinstance(o, SilentSpeaker):
                o.close()
            else:
                o.stop()


def _is_finished(opened) -> bool:
    if isinstance(opened, SilentSpeaker):
        return opened._closed
    return opened.readyState != "live"


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

