"""``BackgroundEffectTrack``: the camera with the background effect applied, in one worker thread."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .compositor import BackgroundCompositor, ImageUnavailable
from .effect import DEGRADED_MESSAGE, FAILED_MESSAGE, IMAGE_FAILED_MESSAGE, NONE, BackgroundEffect
from .governor import LoadGovernor
from .segmentation import Segmenter, SelfieSegmenter

__all__ = ["BackgroundEffectTrack"]

logger = logging.getLogger(__name__)


# -- the track -------------------------------------------------------------------------------------


class BackgroundEffectTrack(MediaStreamTrack):
    """A camera track with the background effect applied, off the event loop.

    ``recv`` awaits the camera's frame and, with an effect on, segments and composes it in one
    dedicated worker thread; the frame keeps its pts and time base. ``set_effect`` switches
    live. The first time the machine cannot keep up, ``on_degraded(message)`` is called (on
    the loop); when the effect cannot run at all (no runtime, no model, repeated errors) frames
    pass through unchanged and ``on_failed(message)`` is called once. ``stop()`` stops the
    camera and the worker.
    """

    kind = "video"
    _MAX_FAILURES = 10  # consecutive errors before the effect gives up

    def __init__(
        self,
        source: MediaStreamTrack,
        effect: BackgroundEffect = NONE,
        *,
        segmenter_factory: Callable[[], Segmenter] = SelfieSegmenter,
        on_degraded: Callable[[str], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        fps: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
        governor: LoadGovernor | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.on_degraded = on_degraded
        self.on_failed = on_failed
        self.governor = governor or LoadGovernor()
        self.frames_processed = 0
        self.failure: str | None = None
        self._effect = effect
        self._segmenter_factory = segmenter_factory
        self._clock = clock
        self._fixed_interval = 1.0 / fps if fps else None
        self._gaps: collections.deque[float] = collections.deque(maxlen=61)
        self._last_time: float | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._compositor: BackgroundCompositor | None = None  # worker thread only
        self._reset_pending = True
        self._errors = 0
        self._logged_error = False
        self._image_failed: str | None = None  # a message for the loop to pass on
        self._image_reported: str | None = None  # the unreadable picture already reported
        self._lock = threading.Lock()

    @property
    def effect(self) -> BackgroundEffect:
        return self._effect

    def set_effect(self, effect: BackgroundEffect) -> None:
        """Apply ``effect`` from the next frame on (any thread)."""
        with self._lock:
            previous, self._effect = self._effect, effect
            if effect != previous:
                self._errors = 0
                self.failure = None  # the user chose again: try again
                self._image_reported = None
                if not previous.active:
                    self._reset_pending = True

    @property
    def interval(self) -> float:
        """The camera's frame interval: as given, else the median gap between frames."""
        if self._fixed_interval is not None:
            return self._fixed_interval
        if len(self._gaps) < 3:
            return 1 / 30
        return statistics.median(self._gaps)

    def _note_time(self, frame: Any) -> None:
        if frame.pts is None or frame.time_base is None:
            return
        now = float(frame.pts * frame.time_base)
        if self._last_time is not None and now > self._last_time:
            self._gaps.append(min(max(now - self._last_time, 1 / 240), 0.5))
        self._last_time = now

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        try:
            frame = await self.source.recv()
        except MediaStreamError:
            self.stop()
            raise
        self._note_time(frame)
        with self._lock:
            effect = self._effect
            reset, self._reset_pending = self._reset_pending, False
        if not effect.active or self.failure is not None:
            with self._lock:
                self._reset_pending = True
            return frame
        if reset:
            self.governor.reset()
        segment, refresh = self.governor.plan()
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="background-effect")
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._process, frame, effect, segment, refresh, reset
            )
        except RuntimeError:  # the executor was shut down: we were stopped meanwhile
            if self.readyState != "live":
                raise MediaStreamError from None
            return frame
        out, cost, error = result
        if error is not None:
            self._on_error(error)
            return frame
        self._errors = 0
        self.frames_processed += 1
        if self._image_failed is not None:
            message, self._image_failed = self._image_failed, None
            self._tell(self.on_failed, message)
        if cost is not None and self.governor.record(cost, self.interval):
            self._tell(self.on_degraded, DEGRADED_MESSAGE)
        return out

    def _process(self, frame: av.VideoFrame, effect: BackgroundEffect, segment: bool, refresh: bool,
                 reset: bool) -> tuple[av.VideoFrame, float | None, Exception | None]:
        """In the worker thread: (the frame with the effect, seconds it took, error or None)."""
        try:
            if self._compositor is None:
                self._compositor = BackgroundCompositor(self._segmenter_factory())
            compositor = self._compositor
            if reset:
                compositor.reset()
            start = self._clock()
            try:
                out = compositor.apply(frame, effect, segment=segment, refresh_background=refresh)
            except ImageUnavailable as error:
                if self._image_reported != effect.image:
                    self._image_reported = effect.image
                    self._image_failed = IMAGE_FAILED_MESSAGE
                    logger.warning("%s; blurring instead", error)
                # the mask of this frame is made already: only the background changes
                out = compositor.apply(frame, BackgroundEffect("blur", "strong"), segment=False,
                                       refresh_background=refresh)
            return out, self._clock() - start, None
        except Exception as error:  # any failure: the frame passes through
            return frame, None, error

    def _on_error(self, error: Exception) -> None:
        self._errors += 1
        if not self._logged_error:
            self._logged_error = True
            logger.error("background effect failed; frames pass through unchanged",
                         exc_info=(type(error), error, error.__traceback__))
        permanent = self._compositor is None  # the segmenter could not even be made
        if permanent or self._errors >= self._MAX_FAILURES:
            self.failure = f"{type(error).__name__}: {error}"
            logger.error("background effect turned off: %s", self.failure)
            self._tell(self.on_failed, FAILED_MESSAGE)

    def _tell(self, callback: Callable[[str], None] | None, message: str) -> None:
        if callback is None:
            return
        try:
            callback(message)
        except Exception:
            logger.exception("background effect: callback failed")

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
        self.source.stop()
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
