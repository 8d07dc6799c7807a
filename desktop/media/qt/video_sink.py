"""``VideoSinkTrack``: an aiortc video track fed by a ``QVideoSink`` (cameras and screen shares).

Each ``QVideoFrame`` is copied into an ``av.VideoFrame`` (``frames.py``, tens of microseconds)
in whichever thread Qt delivers it; the track keeps only the latest frame.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

import av
from aiortc.mediastreams import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE, MediaStreamError, MediaStreamTrack
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QVideoFrame, QVideoSink

from ..devices import DeviceKind
from .common import LoopBinding
from .frames import video_frame_to_av

__all__ = ["VideoSinkTrack", "fit"]

logger = logging.getLogger(__name__)


def fit(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
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
        self._binding = LoopBinding()
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
            w, h = fit(frame.width, frame.height, self.width, self.height)
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
