"""Sharing a video file as content: decode it with PyAV and publish its picture and sound.

A :class:`FileSource` opens a local media file (MP4, MKV, WebM, MOV, or anything else FFmpeg
reads) and offers up to two aiortc tracks, ``video`` and ``audio`` (None when the file has no
such stream). Decoding, scaling (down to fit 1920x1080, keeping the aspect; rotated phone videos
are turned upright; faster than 30 fps thinned out) and resampling (48 kHz s16, stereo or mono
as the file is, 20 ms frames) run on one worker thread, never on the event loop, which under
qasync is the GUI thread (DESIGN.md, Media). The worker reads a bounded stretch ahead of what
plays (``read_ahead`` seconds of media time), so ``recv()`` only awaits a hand-over from it.
Whoever opens a source closes it (``close()``/``aclose()``): that stops the worker and releases
the file.

Pacing: both tracks deliver frames when a shared playback clock reaches their presentation
time, so picture and sound stay together. The clock starts with the first ``recv()`` of either
track, stops while paused, and runs on across loops. Outgoing timestamps are on one timeline in
the units aiortc expects (video 1/90000, audio 1/48000): they never go backwards; after a pause
they continue with the time the pause took (as a stopped microphone's would), so the receivers'
jitter estimates and lip sync see a gap, not a burst of late packets.

At the end of the file (without ``loop``) both tracks end: ``recv()`` raises
``MediaStreamError`` and the tracks emit "ended", as aiortc's ``MediaStreamTrack.stop()`` does;
``ended`` (an ``asyncio.Event``) is set once every track has ended. No Qt here.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np
from aiortc.mediastreams import (
    VIDEO_CLOCK_RATE,
    VIDEO_TIME_BASE,
    MediaStreamError,
    MediaStreamTrack,
)
from av.audio.resampler import AudioResampler
from av.video.reformatter import VideoReformatter

__all__ = [
    "AUDIO_RATE",
    "AUDIO_SAMPLES",
    "FileShareError",
    "FileSource",
    "FileTrack",
    "SUPPORTED",
    "fit_size",
]

logger = logging.getLogger(__name__)

#: What the "Share a video file…" dialog offers (any file FFmpeg reads still opens).
SUPPORTED = (".mp4", ".mkv", ".webm", ".mov")

AUDIO_RATE = 48000  # what aiortc's Opus encoder takes
AUDIO_SAMPLES = 960  # 20 ms frames, as aiortc and Opus use
AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_RATE)

MAX_WIDTH, MAX_HEIGHT = 1920, 1080  # as a screen share (screens.SHARE_WIDTH, SHARE_HEIGHT)
MAX_FPS = 30.0  # faster files are thinned out before scaling: the encoder is the expensive part

_VIDEO_MAX_LAG = 0.1  # a video frame later than this is skipped when a newer one is already due
_AUDIO_MAX_LAG = 0.2  # audio catches up a short stall, as a device buffer would, then skips
_STALE = 0.5  # frames this far behind the clock are dropped by the worker (track not read)
_SKEW = 2.0  # a stream this far behind the other is taken as ended (or sparse) for read-ahead
_GAP = 0.1  # a hole in the file's audio longer than this shows as a jump in the timestamps
_END_GRACE = 0.3  # tracks nobody reads end this long after the file's end has played


class FileShareError(ValueError):
    """The file cannot be shared; ``message`` says why, in words for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def fit_size(width: int, height: int, max_width: int = MAX_WIDTH,
             max_height: int = MAX_HEIGHT) -> tuple[int, int]:
    """``width`` x ``height`` scaled down (never up) to fit the box, keeping the aspect; even."""
    scale = min(1.0, max_width / width, max_height / height)
    if scale >= 1.0:
        return width, height
    return max(2, int(width * scale) & ~1), max(2, int(height * scale) & ~1)


@dataclass
class _Item:
    frame: av.VideoFrame | av.AudioFrame
    time: float  # on the playback timeline (seconds since the start of the first pass)
    file_time: float  # seconds into the file
    sample: int = 0  # audio: the timeline position in samples
    level: float = 0.0  # audio: RMS of the frame, 0..1


class _Lane:
    """Frames the worker has decoded for one track, and that track's waiting ``recv()``."""

    def __init__(self) -> None:
        self.items: collections.deque[_Item] = collections.deque()
        self.finished = False  # the worker will add nothing more
        self.horizon = 0.0  # timeline time of the last frame added
        self.waiter: asyncio.Future[None] | None = None


class _Clock:
    """Playback position in seconds: 0 until started, frozen while paused. Not thread safe:
    the source guards it with its lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.now = clock
        self.started = False
        self.paused = False
        self.paused_total = 0.0  # wall seconds spent paused since the start
        self._base_pos = 0.0
        self._base_wall = 0.0
        self._pause_began = 0.0

    @property
    def running(self) -> bool:
        return self.started and not self.paused

    def position(self) -> float:
        if self.running:
            return self._base_pos + (self.now() - self._base_wall)
        return self._base_pos

    def start(self) -> None:
        if not self.started:
            self.started = True
            self._base_wall = self._pause_began = self.now()

    def pause(self) -> None:
        if not self.paused:
            self._base_pos = self.position()
            self.paused = True
            self._pause_began = self.now()

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            now = self.now()
            if self.started:
                self.paused_total += now - self._pause_began
            self._base_wall = now


def _open_media(path: str | os.PathLike[str]) -> av.container.InputContainer:
    name = Path(path).name
    try:
        container = av.open(os.fspath(path), mode="r")
    except FileNotFoundError:
        raise FileShareError(f"“{name}” could not be found.") from None
    except PermissionError:
        raise FileShareError(f"Parley is not allowed to read “{name}”.") from None
    except IsADirectoryError:
        raise FileShareError(f"“{name}” is a folder, not a video file.") from None
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        logger.info("cannot open %s: %s", path, exc)
        raise FileShareError(
            f"Parley cannot play “{name}”: it is not a video or audio file, or it is damaged."
        ) from None
    if _pick_stream(container, "video") is None and _pick_stream(container, "audio") is None:
        container.close()
        raise FileShareError(f"“{name}” has no picture or sound that Parley can play.")
    return container


def _pick_stream(container: av.container.InputContainer, kind: str):
    """The file's main stream of ``kind`` that has a decoder (cover art is not a video)."""
    for stream in getattr(container.streams, kind):
        if stream.codec_context is None:
            continue
        if kind == "video" and stream.disposition & av.stream.Disposition.attached_pic:
            continue
        if kind == "video" and not (stream.codec_context.width and stream.codec_context.height):
            continue
        return stream
    return None


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
        self._setup(path, _open_media(path), loop, max_width, max_height, max_fps, read_ahead)

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, loop: bool = False,
                   max_width: int = MAX_WIDTH, max_height: int = MAX_HEIGHT,
                   max_fps: float = MAX_FPS, read_ahead: float = 0.5) -> FileSource:
        """As the constructor, but opening and probing the file on a thread."""
        container = await asyncio.to_thread(_open_media, path)
        self = cls.__new__(cls)
        self._setup(path, container, loop, max_width, max_height, max_fps, read_ahead)
        return self

    def _setup(self, path: str | os.PathLike[str], container: av.container.InputContainer,
               loop: bool, max_width: int, max_height: int, max_fps: float,
               read_ahead: float) -> None:
        self.path = Path(path)
        self.name = self.path.name
        #: Start again from the beginning at the end (may be changed while playing).
        self.loop = loop
        self.max_width, self.max_height = max_width, max_height
        self.max_fps = max_fps
        self.read_ahead = read_ahead
        #: RMS of the audio frame last delivered, 0..1 of full scale (0 while paused).
        self.level = 0.0
        #: Set when every track has ended: the file played to its end, close(), or an error.
        self.ended = asyncio.Event()
        #: Why it ended: "finished", "closed" or "error" (None while playing).
        self.end_reason: str | None = None
        #: For "error": what went wrong, in words for the user.
        self.error: str | None = None
        self.width = self.height = 0  # of the frames sent, once known (after fitting)

        self._container = container
        self._video_stream = _pick_stream(container, "video")
        self._audio_stream = _pick_stream(container, "audio")
        self._origin = (container.start_time or 0) / av.time_base
        self.duration: float | None = self._probe_duration()
        self.video: FileTrack | None = FileTrack(self, "video") if self._video_stream else None
        self.audio: FileTrack | None = FileTrack(self, "audio") if self._audio_stream else None
        self._tracks = [t for t in (self.video, self.audio) if t is not None]
        self._lanes = {t.kind: _Lane() for t in self._tracks}
        self._last_pts: dict[str, int] = {}
        self._file_time = 0.0

        self._lock = threading.Lock()
        self._wake_worker = threading.Condition(self._lock)
        self._clock = _Clock(time.monotonic)
        self._quit = False
        self._worker_done = False
        self._end_time = 0.0  # timeline time when the last pass's media ends
        self._loop_ref: asyncio.AbstractEventLoop | None = None
        self._playing = asyncio.Event()
        self._playing.set()
        self._finisher: asyncio.Task[None] | None = None
        self._closing = False
        try:
            self._bind_loop(asyncio.get_running_loop())
        except RuntimeError:
            pass

        for stream in (self._video_stream, self._audio_stream):
            if stream is not None:
                stream.thread_type = "AUTO"
        if self._video_stream is not None:
            cc = self._video_stream.codec_context
            self.width, self.height = self._output_size(cc.width, cc.height, self._sar(), 0)
        self._thread = threading.Thread(target=self._run, name=f"file-share {self.name}", daemon=True)
        self._thread.start()

    # --- controls -------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._clock.paused

    @property
    def position(self) -> float:
        """Seconds into the file of what was delivered last (it restarts at 0 on a loop)."""
        return self._file_time

    def pause(self) -> None:
        """Deliver nothing until :meth:`resume`; the worker keeps its read-ahead and idles."""
        self._bind_loop_if_running()
        with self._lock:
            self._clock.pause()
            self._wake_worker.notify_all()
        self._playing.clear()
        self.level = 0.0

    def resume(self) -> None:
        self._bind_loop_if_running()
        with self._lock:
            self._clock.resume()
            self._wake_worker.notify_all()
        self._playing.set()

    def close(self) -> None:
        """Stop playing: end both tracks and let the worker go; it releases the file as it
        leaves, within one packet's decoding. Does not block (see :meth:`aclose`)."""
        if self._closing:
            return
        self._closing = True
        if self.end_reason is None:
            self.end_reason = "closed"
        with self._lock:
            self._quit = True
            self._wake_worker.notify_all()
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
        if self._thread.is_alive():
            await asyncio.to_thread(self._thread.join)

    @property
    def closed(self) -> bool:
        """True once the worker has stopped and the file is released."""
        return not self._thread.is_alive()

    # --- the tracks' side (event loop) ----------------------------------------------------

    async def _recv(self, track: FileTrack) -> av.VideoFrame | av.AudioFrame:
        if track.readyState != "live":
            raise MediaStreamError
        self._bind_loop(asyncio.get_running_loop())
        lane = self._lanes[track.kind]
        with self._lock:
            if not self._clock.started:
                self._clock.start()
                self._wake_worker.notify_all()
        while True:
            item = await self._next_item(lane, track)
            try:
                await self._wait_until_due(item, track)
            except asyncio.CancelledError:  # not sent: it goes first next time
                with self._lock:
                    lane.items.appendleft(item)
                raise
            with self._lock:
                position = self._clock.position()
                newer_due = bool(lane.items) and lane.items[0].time <= position
            lag = position - item.time
            if track.kind == "video" and lag > _VIDEO_MAX_LAG and newer_due:
                continue  # behind: send the newest due frame instead
            if track.kind == "audio" and lag > _AUDIO_MAX_LAG and newer_due:
                continue
            return self._stamp(track.kind, item)

    async def _next_item(self, lane: _Lane, track: FileTrack) -> _Item:
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
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

    async def _wait_until_due(self, item: _Item, track: FileTrack) -> None:
        while True:
            if track.readyState != "live":
                raise MediaStreamError
            with self._lock:
                wait = item.time - self._clock.position()
                running = self._clock.running
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

    def _stamp(self, kind: str, item: _Item) -> av.VideoFrame | av.AudioFrame:
        frame = item.frame
        paused = self._clock.paused_total
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
        lane = self._lanes[track.kind]
        with self._lock:
            waiter, lane.waiter = lane.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if all(t.readyState != "live" for t in self._tracks):
            if self.end_reason is None:
                self.end_reason = self._natural_end_reason()
            self.close()

    def _natural_end_reason(self) -> str:
        if self._worker_done and not self._quit:
            return "error" if self.error else "finished"
        return "closed"

    def _bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop_ref is None:
            self._loop_ref = loop
            if self._worker_done:
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
            with self._lock:
                wait = self._end_time + _END_GRACE - self._clock.position()
                running = self._clock.running
            if running and wait <= 0:
                break
            await asyncio.sleep(wait if running else 0.25)
        if self.end_reason is None:
            self.end_reason = self._natural_end_reason()
        for track in self._tracks:
            track.stop()  # the last one closes the source and sets ``ended``

    # --- the worker thread ----------------------------------------------------------------

    def _run(self) -> None:
        try:
            offset = 0.0
            while not self._quit:
                offset = self._play_pass(offset)
                if self._quit or not self.loop:
                    break
                if offset <= 0:  # an empty pass: looping would spin
                    break
                self._container.seek(0)
        except Exception as exc:  # noqa: BLE001 - any failure ends the share, with a reason
            logger.exception("file share of %s failed", self.path)
            self.error = f"Playing “{self.name}” failed: {exc}"
        finally:
            with self._lock:
                for lane in self._lanes.values():
                    lane.finished = True
                    self._end_time = max(self._end_time, lane.horizon)
                waiters = [lane.waiter for lane in self._lanes.values()]
                for lane in self._lanes.values():
                    lane.waiter = None
                self._worker_done = True
                loop = self._loop_ref
            self._container.close()
            if loop is not None:
                try:
                    for waiter in waiters:
                        if waiter is not None:
                            loop.call_soon_threadsafe(_resolve, waiter)
                    loop.call_soon_threadsafe(self._on_worker_done)
                except RuntimeError:  # the loop is closed: nobody is listening any more
                    pass

    def _play_pass(self, offset: float) -> float:
        """Decode the file once, its frames placed on the timeline from ``offset``; returns
        where the next pass starts."""
        streams = [s for s in (self._video_stream, self._audio_stream) if s is not None]
        pass_end = offset
        with self._lock:
            for lane in self._lanes.values():
                lane.horizon = offset
        audio = _AudioPass(self._audio_stream, offset) if self._audio_stream is not None else None
        video_slot = -1
        reformatter = VideoReformatter()
        sar = self._sar()
        for packet in self._container.demux(streams):
            if not self._wait_for_room():
                return pass_end
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:  # a damaged packet: skip it, as players do
                logger.debug("%s: skipping a packet that does not decode: %s", self.name, exc)
                frames = []
            for frame in frames:
                if isinstance(frame, av.VideoFrame):
                    if frame.time is None:
                        continue
                    file_time = max(0.0, frame.time - self._origin)
                    at = offset + file_time
                    duration = (float(frame.duration * frame.time_base)
                                if frame.duration and frame.time_base else 1.0 / self.max_fps)
                    pass_end = max(pass_end, at + duration)
                    slot = math.floor(at * self.max_fps + 1e-6)
                    if slot <= video_slot:
                        continue  # thinned out to max_fps
                    video_slot = slot
                    out = self._fit(frame, reformatter, sar)
                    self._push("video", _Item(out, at, file_time))
                elif audio is not None and isinstance(frame, av.AudioFrame):
                    for item in audio.add(frame, self._origin):
                        self._push("audio", item)
            if audio is not None:
                pass_end = max(pass_end, audio.end_time)
        if audio is not None:
            for item in audio.flush():
                self._push("audio", item)
            pass_end = max(pass_end, audio.end_time)
        with self._lock:
            self._end_time = pass_end
        return pass_end

    def _wait_for_room(self) -> bool:
        """Block until the read-ahead has room (False: quit). What counts is the stream that is
        least far ahead, unless it lags the other so much that it must have ended."""
        with self._lock:
            while not self._quit:
                horizons = [lane.horizon for lane in self._lanes.values()]
                ahead = min(h for h in horizons if h >= max(horizons) - _SKEW)
                wait = ahead - self._clock.position() - self.read_ahead
                if wait <= 0:
                    return True
                self._wake_worker.wait(wait if self._clock.running else None)
            return False

    def _push(self, kind: str, item: _Item) -> None:
        lane = self._lanes[kind]
        with self._lock:
            lane.items.append(item)
            lane.horizon = max(lane.horizon, item.time)
            if self._clock.started:  # a track nobody reads: keep only what may still play
                stale = self._clock.position() - _STALE
                while len(lane.items) > 1 and lane.items[0].time < stale:
                    lane.items.popleft()
            waiter, lane.waiter = lane.waiter, None
        if waiter is not None:
            try:
                waiter.get_loop().call_soon_threadsafe(_resolve, waiter)
            except RuntimeError:
                pass

    def _probe_duration(self) -> float | None:
        """The file's length in seconds, as its header says (None: unknown)."""
        if self._container.duration:
            return self._container.duration / av.time_base
        lengths = [float(s.duration * s.time_base) for s in (self._video_stream, self._audio_stream)
                   if s is not None and s.duration and s.time_base]
        return max(lengths) if lengths else None

    def _sar(self) -> fractions.Fraction:
        stream = self._video_stream
        sar = stream.codec_context.sample_aspect_ratio if stream is not None else None
        return fractions.Fraction(sar) if sar else fractions.Fraction(1)

    def _output_size(self, width: int, height: int, sar: fractions.Fraction,
                     rotation: int) -> tuple[int, int]:
        """Size of the sent picture, before rotating: square pixels, fitted into the box turned
        with the picture, even (libx264 refuses odd sizes in 4:2:0)."""
        shown = round(width * sar) if sar != 1 else width
        turned = rotation % 180 != 0
        box_w, box_h = (self.max_height, self.max_width) if turned else (self.max_width, self.max_height)
        w, h = fit_size(max(2, shown), max(2, height), box_w, box_h)
        return max(2, w & ~1), max(2, h & ~1)

    def _fit(self, frame: av.VideoFrame, reformatter: VideoReformatter,
             sar: fractions.Fraction) -> av.VideoFrame:
        rotation = round(frame.rotation / 90) * 90 % 360 if frame.rotation else 0
        width, height = self._output_size(frame.width, frame.height, sar, rotation)
        if (width, height) != (frame.width, frame.height) or frame.format.name != "yuv420p":
            frame = reformatter.reformat(frame, width=width, height=height, format="yuv420p")
        if rotation:
            frame = _rotate(frame, rotation)
        self.width, self.height = frame.width, frame.height
        return frame


class _AudioPass:
    """Audio of one pass through the file, resampled to 48 kHz s16 in 20 ms frames, placed on
    the timeline by sample count (a hole in the file's audio restarts the count there)."""

    def __init__(self, stream, offset: float) -> None:
        channels = stream.codec_context.layout.nb_channels or 2
        self.layout = "mono" if channels == 1 else "stereo"
        self.offset = offset
        self.next_sample = round(offset * AUDIO_RATE)  # where the next output frame goes
        self.end_time = offset
        self._resampler: AudioResampler | None = None
        self._fed_until: float | None = None  # timeline time where the input fed so far ends

    def add(self, frame: av.AudioFrame, origin: float) -> list[_Item]:
        items: list[_Item] = []
        at = self.offset + max(0.0, frame.time - origin) if frame.time is not None else None
        if at is not None and (self._fed_until is None or at > self._fed_until + _GAP):
            if self._resampler is not None:
                items += self.flush()
            self.next_sample = max(self.next_sample, round(at * AUDIO_RATE))
        if self._resampler is None:
            self._resampler = AudioResampler(format="s16", layout=self.layout, rate=AUDIO_RATE,
                                             frame_size=AUDIO_SAMPLES)
        if at is not None:
            self._fed_until = at + frame.samples / frame.sample_rate
        elif self._fed_until is not None:
            self._fed_until += frame.samples / frame.sample_rate
        for out in self._resampler.resample(frame):
            items.append(self._item(out))
        return items

    def flush(self) -> list[_Item]:
        """What the resampler still holds, the last frame padded with silence to 20 ms."""
        if self._resampler is None:
            return []
        items = [self._item(out) for out in self._resampler.resample(None)]
        self._resampler = None
        return items

    def _item(self, frame: av.AudioFrame) -> _Item:
        samples = frame.to_ndarray()  # packed s16: (1, samples * channels)
        channels = 1 if self.layout == "mono" else 2
        if frame.samples < AUDIO_SAMPLES:
            padded = np.zeros((1, AUDIO_SAMPLES * channels), np.int16)
            padded[:, : samples.shape[1]] = samples
            samples = padded
            frame = av.AudioFrame.from_ndarray(samples, format="s16", layout=self.layout)
        frame.sample_rate = AUDIO_RATE
        flat = samples.astype(np.float64).ravel()
        level = float(np.sqrt(np.dot(flat, flat) / len(flat)) / 32768.0) if len(flat) else 0.0
        sample = self.next_sample
        self.next_sample += AUDIO_SAMPLES
        time_ = sample / AUDIO_RATE
        self.end_time = max(self.end_time, self.next_sample / AUDIO_RATE)
        return _Item(frame, time_, max(0.0, time_ - self.offset), sample, min(1.0, level))


def _rotate(frame: av.VideoFrame, rotation: int) -> av.VideoFrame:
    """``frame`` (yuv420p) turned counter-clockwise by ``rotation`` degrees (a multiple of 90),
    as its display matrix asks (PyAV's ``VideoFrame.rotation``)."""
    k = rotation // 90
    planes = []
    for plane in frame.planes:
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        planes.append(np.rot90(rows, k))
    height, width = planes[0].shape
    out = av.VideoFrame(width, height, "yuv420p")
    for plane, data in zip(out.planes, planes):
        view = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        view[: data.shape[0], : data.shape[1]] = data
    return out


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
