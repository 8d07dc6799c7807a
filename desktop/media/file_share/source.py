"""``FileSource``: a shared video file as an aiortc ``video`` and ``audio`` track, paced in real
time on one playback clock, with pause, resume, loop and close."""

from __future__ import annotations

import asyncio
import fractions
import os
import time
from enum import StrEnum
from pathlib import Path

import av
from aiortc.mediastreams import (
    VIDEO_CLOCK_RATE,
    VIDEO_TIME_BASE,
    MediaStreamError,
    MediaStreamTrack,
)

from .decoder import AUDIO_RATE, AUDIO_SAMPLES, MAX_FPS, MAX_HEIGHT, MAX_WIDTH, FileDecoder, open_media
from .timeline import Item, Lane

__all__ = ["FileSource", "FileTrack", "SourceEnd"]

AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_RATE)

_VIDEO_MAX_LAG = 0.1  # a video frame later than this is skipped when a newer one is already due
_AUDIO_MAX_LAG = 0.2  # audio catches up a short stall, as a device buffer would, then skips
_END_GRACE = 0.3  # tracks nobody reads end this long after the file's end has played


class SourceEnd(StrEnum):
    """Why a ``FileSource`` ended (``FileSource.end_reason``)."""

    FINISHED = "finished"  # the file played to its end
    CLOSED = "closed"  # close(), or every track was stopped
    ERROR = "error"  # decoding failed (``FileSource.error`` says how)


class FileTrack(MediaStreamTrack):
    """One of a :class:`FileSource`'s tracks; ``recv()`` returns the next frame when it is due."""

    def __init__(self, source: FileSource, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.source = source

    async def recv(self) -> av.VideoFrame | av.AudioFrame:  # type: ignore[override]
        return await self.source._recv(self)

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
            self.source._track_stopped(self)


class FileSource:
    """A media file played in real time as an aiortc ``video`` and ``audio`` track.

    Opening checks the file (a :class:`FileShareError` with a message for the user when it is
    not media) and starts decoding the first ``read_ahead`` seconds; playback starts with the
    first ``recv()``. Use :meth:`open` on the event loop: it probes the file on a thread.
    """

    def __init__(self, path: str | os.PathLike[str], *, loop: bool = False,
                 max_width: int = MAX_WIDTH, max_height: int = MAX_HEIGHT,
                 max_fps: float = MAX_FPS, read_ahead: float = 0.5) -> None:
        self._setup(path, open_media(path), loop, max_width, max_height, max_fps, read_ahead)

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, loop: bool = False,
                   max_width: int = MAX_WIDTH, max_height: int = MAX_HEIGHT,
                   max_fps: float = MAX_FPS, read_ahead: float = 0.5) -> FileSource:
        """As the constructor, but opening and probing the file on a thread."""
        container = await asyncio.to_thread(open_media, path)
        self = cls.__new__(cls)
        self._setup(path, container, loop, max_width, max_height, max_fps, read_ahead)
        return self

    def _setup(self, path: str | os.PathLike[str], container: av.container.InputContainer,
               loop: bool, max_width: int, max_height: int, max_fps: float,
               read_ahead: float) -> None:
        self.path = Path(path)
        self.name = self.path.name
        #: RMS of the audio frame last delivered, 0..1 of full scale (0 while paused).
        self.level = 0.0
        #: Set when every track has ended: the file played to its end, close(), or an error.
        self.ended = asyncio.Event()
        #: Why it ended (None while playing).
        self.end_reason: SourceEnd | None = None
        self._decoder = FileDecoder(self.path, container, loop=loop, max_width=max_width,
                                    max_height=max_height, max_fps=max_fps, read_ahead=read_ahead,
                                    clock=time.monotonic, on_done=self._on_worker_done)
        self._playback = self._decoder.playback
        self.duration: float | None = self._decoder.duration
        self.video: FileTrack | None = FileTrack(self, "video") if self._decoder.video_stream else None
        self.audio: FileTrack | None = FileTrack(self, "audio") if self._decoder.audio_stream else None
        self._tracks = [t for t in (self.video, self.audio) if t is not None]
        self._last_pts: dict[str, int] = {}
        self._file_time = 0.0
        self._playing = asyncio.Event()
        self._playing.set()
        self._finisher: asyncio.Task[None] | None = None
        self._closing = False
        try:
            self._bind_loop(asyncio.get_running_loop())
        except RuntimeError:
            pass
        self._decoder.start()

    @property
    def loop(self) -> bool:
        """Start again from the beginning at the end (may be changed while playing)."""
        return self._decoder.loop

    @loop.setter
    def loop(self, value: bool) -> None:
        self._decoder.loop = value

    @property
    def error(self) -> str | None:
        """For ``SourceEnd.ERROR``: what went wrong, in words for the user."""
        return self._decoder.error

    @property
    def width(self) -> int:
        """Of the frames sent, once known (after fitting)."""
        return self._decoder.width

    @property
    def height(self) -> int:
        return self._decoder.height

    @property
    def max_width(self) -> int:
        return self._decoder.max_width

    @property
    def max_height(self) -> int:
        return self._decoder.max_height

    @property
    def max_fps(self) -> float:
        return self._decoder.max_fps

    @property
    def read_ahead(self) -> float:
        return self._decoder.read_ahead

    # --- controls -------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._playback.clock.paused

    @property
    def position(self) -> float:
        """Seconds into the file of what was delivered last (it restarts at 0 on a loop)."""
        return self._file_time

    def pause(self) -> None:
        """Deliver nothing until :meth:`resume`; the worker keeps its read-ahead and idles."""
        self._bind_loop_if_running()
        with self._playback.lock:
            self._playback.clock.pause()
            self._playback.wake_worker.notify_all()
        self._playing.clear()
        self.level = 0.0

    def resume(self) -> None:
        self._bind_loop_if_running()
        with self._playback.lock:
            self._playback.clock.resume()
            self._playback.wake_worker.notify_all()
        self._playing.set()

    def close(self) -> None:
        """Stop playing: end both tracks and let the worker go; it releases the file as it
        leaves, within one packet's decoding. Does not block (see :meth:`aclose`)."""
        if self._closing:
            return
        self._closing = True
        if self.end_reason is None:
            self.end_reason = SourceEnd.CLOSED
        with self._playback.lock:
            self._playback.quit = True
            self._playback.wake_worker.notify_all()
        self._playing.set()  # wake recv() calls waiting out a pause, so they see the end
        for track in self._tracks:
            track.stop()
        if self._finisher is not None and self._finisher is not asyncio.current_task():
            self._finisher.cancel()
        self.level = 0.0
        self.ended.set()

    async def aclose(self) -> None:
        """:meth:`close`, then wait until the worker has released the file."""
        self.close()
        if self._decoder.alive:
            await asyncio.to_thread(self._decoder.join)

    @property
    def closed(self) -> bool:
        """True once the worker has stopped and the file is released."""
        return not self._decoder.alive

    # --- the tracks' side (event loop) ----------------------------------------------------

    async def _recv(self, track: FileTrack) -> av.VideoFrame | av.AudioFrame:
        if track.readyState != "live":
            raise MediaStreamError
        self._bind_loop(asyncio.get_running_loop())
        lane = self._playback.lanes[track.kind]
        with self._playback.lock:
            if not self._playback.clock.started:
                self._playback.clock.start()
                self._playback.wake_worker.notify_all()
        while True:
            item = await self._next_item(lane, track)
            try:
                await self._wait_until_due(item, track)
            except asyncio.CancelledError:  # not sent: it goes first next time
                with self._playback.lock:
                    lane.items.appendleft(item)
                raise
            with self._playback.lock:
                position = self._playback.clock.position()
                newer_due = bool(lane.items) and lane.items[0].time <= position
            lag = position - item.time
            if track.kind == "video" and lag > _VIDEO_MAX_LAG and newer_due:
                continue  # behind: send the newest due frame instead
            if track.kind == "audio" and lag > _AUDIO_MAX_LAG and newer_due:
                continue
            return self._stamp(track.kind, item)

    async def _next_item(self, lane: Lane, track: FileTrack) -> Item:
        loop = asyncio.get_running_loop()
        while True:
            with self._playback.lock:
                if track.readyState != "live":
                    raise MediaStreamError
                if lane.items:
                    return lane.items.popleft()
                finished = lane.finished
                if not finished:
                    waiter = lane.waiter = loop.create_future()
            if finished:
                track.stop()
                raise MediaStreamError
            await waiter

    async def _wait_until_due(self, item: Item, track: FileTrack) -> None:
        while True:
            if track.readyState != "live":
                raise MediaStreamError
            with self._playback.lock:
                wait = item.time - self._playback.clock.position()
                running = self._playback.clock.running
            if wait <= 0:
                return
            if not running:  # paused: wait for resume (and look now and then whether we ended)
                try:
                    await asyncio.wait_for(self._playing.wait(), 0.25)
                except asyncio.TimeoutError:
                    pass
            else:
                # asyncio.sleep may wake a little early (DESIGN.md, Known traps): loop and check
                await asyncio.sleep(wait)

    def _stamp(self, kind: str, item: Item) -> av.VideoFrame | av.AudioFrame:
        frame = item.frame
        paused = self._playback.clock.paused_total
        last = self._last_pts.get(kind)
        if kind == "video":
            pts = round((item.time + paused) * VIDEO_CLOCK_RATE)
            if last is not None and pts <= last:
                pts = last + 1
            frame.time_base = VIDEO_TIME_BASE
        else:
            pts = item.sample + round(paused * AUDIO_RATE)
            if last is not None and pts < last + AUDIO_SAMPLES:
                pts = last + AUDIO_SAMPLES
            frame.time_base = AUDIO_TIME_BASE
            self.level = item.level
        frame.pts = pts
        self._last_pts[kind] = pts
        if kind == "video" or self.video is None:
            self._file_time = item.file_time
        return frame

    def _track_stopped(self, track: FileTrack) -> None:
        lane = self._playback.lanes[track.kind]
        with self._playback.lock:
            waiter, lane.waiter = lane.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if all(t.readyState != "live" for t in self._tracks):
            if self.end_reason is None:
                self.end_reason = self._natural_end_reason()
            self.close()

    def _natural_end_reason(self) -> SourceEnd:
        if self._playback.worker_done and not self._playback.quit:
            return SourceEnd.ERROR if self.error else SourceEnd.FINISHED
        return SourceEnd.CLOSED

    def _bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._playback.event_loop is None:
            self._playback.event_loop = loop
            if self._playback.worker_done:
                self._on_worker_done()

    def _bind_loop_if_running(self) -> None:
        try:
            self._bind_loop(asyncio.get_running_loop())
        except RuntimeError:
            pass

    def _on_worker_done(self) -> None:
        """On the loop, once the worker has added its last frame (end of file, error, close)."""
        if self._finisher is None and self.end_reason is None:
            self._finisher = asyncio.ensure_future(self._finish())

    async def _finish(self) -> None:
        """End the tracks nobody reads once the whole file has played (read ones end by
        themselves when they run out of frames)."""
        while True:
            with self._playback.lock:
                wait = self._playback.end_time + _END_GRACE - self._playback.clock.position()
                running = self._playback.clock.running
            if running and wait <= 0:
                break
            await asyncio.sleep(wait if running else 0.25)
        if self.end_reason is None:
            self.end_reason = self._natural_end_reason()
        for track in self._tracks:
            track.stop()  # the last one closes the source and sets ``ended``
