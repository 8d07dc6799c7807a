"""Opening a video file to share, and the worker thread that decodes it ahead of playback.

Decoding, scaling (down to fit 1920x1080, keeping the aspect; rotated phone videos are turned
upright; faster than 30 fps thinned out) and resampling (48 kHz s16, stereo or mono as the file
is, 20 ms frames) run on one worker thread, never on the event loop. The worker reads a bounded
stretch ahead of what plays (``read_ahead`` seconds of media time) into the lanes of the shared
``Playback`` (``timeline.py``).
"""

from __future__ import annotations

import fractions
import logging
import math
import os
import threading
from collections.abc import Callable
from pathlib import Path

import av
import av.error
import numpy as np
from av.audio.resampler import AudioResampler
from av.video.reformatter import VideoReformatter

from .timeline import Item, Playback, resolve

__all__ = [
    "AUDIO_RATE", "AUDIO_SAMPLES", "MAX_FPS", "MAX_HEIGHT", "MAX_WIDTH", "SUPPORTED", "FileDecoder",
    "FileShareError", "fit_size", "open_media",
]

logger = logging.getLogger(__name__)

#: What the "Share a video file…" dialog offers (any file FFmpeg reads still opens).
SUPPORTED = (".mp4", ".mkv", ".webm", ".mov")

AUDIO_RATE = 48000  # what aiortc's Opus encoder takes
AUDIO_SAMPLES = 960  # 20 ms frames, as aiortc and Opus use

MAX_WIDTH, MAX_HEIGHT = 1920, 1080  # as a screen share (screens.SHARE_WIDTH, SHARE_HEIGHT)
MAX_FPS = 30.0  # faster files are thinned out before scaling: the encoder is the expensive part

_STALE = 0.5  # frames this far behind the clock are dropped by the worker (track not read)
_SKEW = 2.0  # a stream this far behind the other is taken as ended (or sparse) for read-ahead
_GAP = 0.1  # a hole in the file's audio longer than this shows as a jump in the timestamps


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


def open_media(path: str | os.PathLike[str]) -> av.container.InputContainer:
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
    if pick_stream(container, "video") is None and pick_stream(container, "audio") is None:
        container.close()
        raise FileShareError(f"“{name}” has no picture or sound that Parley can play.")
    return container


def pick_stream(container: av.container.InputContainer, kind: str):
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


class FileDecoder:
    """The worker thread of one shared file: it decodes the file pass after pass (again from the
    start while ``loop``), thins video out to ``max_fps``, scales it to fit (upright), resamples
    audio to 20 ms frames, and places every frame on the playback timeline, at most
    ``read_ahead`` seconds ahead of the clock. It owns the container and closes it as it leaves;
    ``on_done`` is then called on the event loop. ``error`` says in words what went wrong, if
    anything; ``width`` x ``height`` is the size of the pictures sent."""

    def __init__(self, path: Path, container: av.container.InputContainer, *, loop: bool,
                 max_width: int, max_height: int, max_fps: float, read_ahead: float,
                 clock: Callable[[], float], on_done: Callable[[], None]) -> None:
        self.path = path
        self.name = path.name
        #: Start again from the beginning at the end (may be changed while playing).
        self.loop = loop
        self.max_width, self.max_height = max_width, max_height
        self.max_fps = max_fps
        self.read_ahead = read_ahead
        self.error: str | None = None
        self.width = self.height = 0  # of the frames sent, once known (after fitting)
        self._container = container
        self.video_stream = pick_stream(container, "video")
        self.audio_stream = pick_stream(container, "audio")
        self._origin = (container.start_time or 0) / av.time_base
        self.duration: float | None = self._probe_duration()
        kinds = [kind for kind, stream in (("video", self.video_stream), ("audio", self.audio_stream))
                 if stream is not None]
        self.playback = Playback(kinds, clock)
        self._on_done = on_done
        for stream in (self.video_stream, self.audio_stream):
            if stream is not None:
                stream.thread_type = "AUTO"
        if self.video_stream is not None:
            cc = self.video_stream.codec_context
            self.width, self.height = self._output_size(cc.width, cc.height, self._sar(), 0)
        self._thread = threading.Thread(target=self._run, name=f"file-share {self.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self) -> None:
        self._thread.join()

    def _run(self) -> None:
        try:
            offset = 0.0
            while not self.playback.quit:
                offset = self._play_pass(offset)
                if self.playback.quit or not self.loop:
                    break
                if offset <= 0:  # an empty pass: looping would spin
                    break
                self._container.seek(0)
        except Exception as exc:  # noqa: BLE001 - any failure ends the share, with a reason
            logger.exception("file share of %s failed", self.path)
            self.error = f"Playing “{self.name}” failed: {exc}"
        finally:
            with self.playback.lock:
                for lane in self.playback.lanes.values():
                    lane.finished = True
                    self.playback.end_time = max(self.playback.end_time, lane.horizon)
                waiters = [lane.waiter for lane in self.playback.lanes.values()]
                for lane in self.playback.lanes.values():
                    lane.waiter = None
                self.playback.worker_done = True
                loop = self.playback.event_loop
            self._container.close()
            if loop is not None:
                try:
                    for waiter in waiters:
                        if waiter is not None:
                            loop.call_soon_threadsafe(resolve, waiter)
                    loop.call_soon_threadsafe(self._on_done)
                except RuntimeError:  # the loop is closed: nobody is listening any more
                    pass

    def _play_pass(self, offset: float) -> float:
        """Decode the file once, its frames placed on the timeline from ``offset``; returns
        where the next pass starts."""
        streams = [s for s in (self.video_stream, self.audio_stream) if s is not None]
        pass_end = offset
        with self.playback.lock:
            for lane in self.playback.lanes.values():
                lane.horizon = offset
        audio = AudioPass(self.audio_stream, offset) if self.audio_stream is not None else None
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
                    self._push("video", Item(out, at, file_time))
                elif audio is not None and isinstance(frame, av.AudioFrame):
                    for item in audio.add(frame, self._origin):
                        self._push("audio", item)
            if audio is not None:
                pass_end = max(pass_end, audio.end_time)
        if audio is not None:
            for item in audio.flush():
                self._push("audio", item)
            pass_end = max(pass_end, audio.end_time)
        with self.playback.lock:
            self.playback.end_time = pass_end
        return pass_end

    def _wait_for_room(self) -> bool:
        """Block until the read-ahead has room (False: quit). What counts is the stream that is
        least far ahead, unless it lags the other so much that it must have ended."""
        with self.playback.lock:
            while not self.playback.quit:
                horizons = [lane.horizon for lane in self.playback.lanes.values()]
                ahead = min(h for h in horizons if h >= max(horizons) - _SKEW)
                wait = ahead - self.playback.clock.position() - self.read_ahead
                if wait <= 0:
                    return True
                self.playback.wake_worker.wait(wait if self.playback.clock.running else None)
            return False

    def _push(self, kind: str, item: _Item) -> None:
        lane = self.playback.lanes[kind]
        with self.playback.lock:
            lane.items.append(item)
            lane.horizon = max(lane.horizon, item.time)
            if self.playback.clock.started:  # a track nobody reads: keep only what may still play
                stale = self.playback.clock.position() - _STALE
                while len(lane.items) > 1 and lane.items[0].time < stale:
                    lane.items.popleft()
            waiter, lane.waiter = lane.waiter, None
        if waiter is not None:
            try:
                waiter.get_loop().call_soon_threadsafe(resolve, waiter)
            except RuntimeError:
                pass

    def _probe_duration(self) -> float | None:
        """The file's length in seconds, as its header says (None: unknown)."""
        if self._container.duration:
            return self._container.duration / av.time_base
        lengths = [float(s.duration * s.time_base) for s in (self.video_stream, self.audio_stream)
                   if s is not None and s.duration and s.time_base]
        return max(lengths) if lengths else None

    def _sar(self) -> fractions.Fraction:
        stream = self.video_stream
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
            frame = rotate(frame, rotation)
        self.width, self.height = frame.width, frame.height
        return frame


class AudioPass:
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

    def add(self, frame: av.AudioFrame, origin: float) -> list[Item]:
        items: list[Item] = []
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

    def flush(self) -> list[Item]:
        """What the resampler still holds, the last frame padded with silence to 20 ms."""
        if self._resampler is None:
            return []
        items = [self._item(out) for out in self._resampler.resample(None)]
        self._resampler = None
        return items

    def _item(self, frame: av.AudioFrame) -> Item:
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
        return Item(frame, time_, max(0.0, time_ - self.offset), sample, min(1.0, level))


def rotate(frame: av.VideoFrame, rotation: int) -> av.VideoFrame:
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
