"""The synthetic devices as backends: cameras, a microphone and a silent speaker
(``SyntheticBackend``, a ``DeviceBackend``), and a synthetic screen to share
(``SyntheticScreens``, a ``ScreenCatalog``)."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from ..devices import Device, DeviceKind, DeviceUnavailable, MixingSpeaker
from ..mixer import SAMPLE_RATE, Mixer
from ..screens import SHARE_FPS, SHARE_HEIGHT, SHARE_WIDTH, ScreenSource
from .capture import SyntheticCamera, SyntheticMicrophone, SyntheticScreen
from .patterns import DesktopPattern
from .presenter import PresenterPattern

__all__ = ["SilentSpeaker", "SyntheticBackend", "SyntheticScreens"]

logger = logging.getLogger(__name__)


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


class SyntheticScreens:
    """One synthetic screen: a document scrolling on a desktop, 1920x1080 at 15 fps."""

    SOURCE = ScreenSource("synthetic", "Synthetic screen", "screen", SHARE_WIDTH, SHARE_HEIGHT)

    def __init__(self, width: int = SHARE_WIDTH, height: int = SHARE_HEIGHT, fps: int = SHARE_FPS) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.opened: list[SyntheticScreen] = []

    def sources(self) -> list[ScreenSource]:
        return [ScreenSource(self.SOURCE.id, self.SOURCE.name, "screen", self.width, self.height)]

    def unavailable_reason(self) -> str | None:
        return None

    async def thumbnail(self, source: ScreenSource, width: int, height: int) -> av.VideoFrame | None:
        frame = DesktopPattern(self.width, self.height).render(0, 0)
        scale = min(width / self.width, height / self.height)
        return frame.reformat(width=max(2, int(self.width * scale) & ~1),
                              height=max(2, int(self.height * scale) & ~1))

    def open(self, source: ScreenSource) -> MediaStreamTrack:
        if source.id != self.SOURCE.id:
            raise KeyError(f"no screen {source.id!r}")
        track = SyntheticScreen(self.width, self.height, self.fps)
        self.opened.append(track)
        return track
