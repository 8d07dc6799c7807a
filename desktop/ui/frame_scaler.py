"""``FrameScaler``: the colour conversion and scaling of received pictures, off the GUI thread.

A tile that paints a decoded ``av.VideoFrame`` must convert it (YUV to the screen's RGB32) and
scale it to its size: 0.2-0.45 ms a frame here, 16 tiles at 15 fps, on the thread that also runs
the event loop (qasync) and so every packet, RTCP report and ICE check. A ``FrameScaler`` does it
on one worker thread for all the tiles of a call and hands the finished ``QImage`` back to the
tile on the GUI thread (a queued signal), which then only blits it.

Only the latest picture per tile is converted: a picture that a newer one replaces before the
worker reached it is dropped unconverted (``dropped`` counts them), so a busy computer draws
fewer frames instead of queueing them.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any

from av.video.reformatter import VideoReformatter
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

# QImage.Format_RGB32 is 0xffRRGGBB in native byte order: BGRA bytes on little-endian machines.
PIXEL_FORMAT = "bgra" if sys.byteorder == "little" else "argb"


@dataclass(frozen=True)
class ScaleJob:
    """Convert ``frame`` to ``width`` x ``height`` RGB32 (then mirror it), for ``key``."""

    tile: Any
    key: tuple
    frame: Any  # av.VideoFrame
    width: int
    height: int
    mirror: bool
    dpr: float


def convert(job: ScaleJob, reformatter: VideoReformatter | None = None) -> tuple[QImage, Any]:
    """The job's picture as a QImage and the object that owns its pixels (keep both).

    ``reformatter``: the calling thread's own. ``frame.reformat`` keeps one swscale context on
    the frame, and the camera's frame is scaled at the same time by the encoder's thread."""
    reformatter = reformatter or VideoReformatter()
    converted = reformatter.reformat(job.frame, width=job.width, height=job.height, format=PIXEL_FORMAT,
                                     threads=1)
    plane = converted.planes[0]
    image = QImage(plane, job.width, job.height, plane.line_size, QImage.Format.Format_RGB32)
    owner: Any = converted
    if job.mirror:
        image = image.flipped(Qt.Orientation.Horizontal)  # a copy that owns its pixels
        owner = None
    image.setDevicePixelRatio(job.dpr)
    return image, owner


class _Worker:
    """The thread and its inbox; a plain object, so a dying widget tree can still close it."""

    def __init__(self, done) -> None:
        self.done = done  # the scaler's signal: emitted from the thread, delivered on the GUI's
        self.jobs: dict[int, ScaleJob] = {}  # id(tile) -> its latest job
        self.wake = threading.Condition()
        self.closed = False
        self.converted = 0
        self.dropped = 0
        self.thread_id: int | None = None
        self.thread: threading.Thread | None = None

    def submit(self, job: ScaleJob) -> None:
        with self.wake:
            if self.closed:
                return
            if self.thread is None:  # started with the first picture, not with every window
                self.thread = threading.Thread(target=self.run, name="frame-scaler", daemon=True)
                self.thread.start()
            if self.jobs.get(id(job.tile)) is not None:
                self.dropped += 1
            self.jobs[id(job.tile)] = job
            self.wake.notify()

    def run(self) -> None:
        self.thread_id = threading.get_ident()
        reformatter = VideoReformatter()  # this thread's own swscale context
        while True:
            with self.wake:
                while not self.jobs and not self.closed:
                    self.wake.wait()
                if self.closed:
                    return
                _tile_id, job = self.jobs.popitem()
            try:
                image, owner = convert(job, reformatter)
            except Exception:  # a frame that cannot be converted is not shown; the next may be
                job = None
                continue
            self.converted += 1
            try:
                self.done.emit(job.tile, job.key, image, owner)
            except RuntimeError:  # the scaler was deleted meanwhile
                return
            finally:
                # Let go of the tile (and the picture) at once: a job kept in this frame while
                # the thread waited, or ended, could be the tile's last reference once its
                # window let go, and the QWidget was then destroyed on this thread, which Qt does
                # not allow: the thread hung there (a test's teardown saw it still running).
                job = image = owner = None

    def close(self, *_: object) -> None:
        with self.wake:
            self.closed = True
            self.jobs.clear()
            self.wake.notify()


class FrameScaler(QObject):
    done = Signal(object, object, object, object)  # tile, key, QImage, owner of its pixels

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = _Worker(self.done)
        self.done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        # The window went: so does the thread. A lambda that holds the worker itself: connected
        # to the worker's bound method, the signal kept only a borrowed reference to the worker,
        # which could be freed (with this object's Python side) before the C++ side was
        # destroyed and called it: a crash, or "'type' object does not support the context
        # manager protocol", in about one run of the tile tests in four.
        worker = self._worker
        self.destroyed.connect(lambda *_: worker.close())

    @property
    def converted(self) -> int:
        return self._worker.converted

    @property
    def dropped(self) -> int:
        """Pictures replaced by a newer one before the worker reached them."""
        return self._worker.dropped

    @property
    def worker_thread(self) -> int | None:
        """The thread that converts (for the tests)."""
        return self._worker.thread_id

    def submit(self, job: ScaleJob) -> None:
        """Convert this picture for its tile (replacing one still waiting for the same tile)."""
        self._worker.submit(job)

    def forget(self, tile: Any) -> None:
        """The tile is going: drop what waits for it."""
        with self._worker.wake:
            self._worker.jobs.pop(id(tile), None)

    def _deliver(self, tile, key, image, owner) -> None:
        if not self._worker.closed:
            try:
                tile.take_picture(key, image, owner)
            except RuntimeError:  # the tile's widget was deleted meanwhile
                pass

    def close(self) -> None:
        """Stop the worker (idempotent)."""
        self._worker.close()
