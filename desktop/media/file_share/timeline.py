"""What the decoder thread and the tracks of a shared file share, under one lock: the playback
clock, and per track a lane of decoded frames placed on the playback timeline."""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import av

__all__ = ["Item", "Lane", "Playback", "PlaybackClock", "resolve"]


@dataclass
class Item:
    frame: av.VideoFrame | av.AudioFrame
    time: float  # on the playback timeline (seconds since the start of the first pass)
    file_time: float  # seconds into the file
    sample: int = 0  # audio: the timeline position in samples
    level: float = 0.0  # audio: RMS of the frame, 0..1


class Lane:
    """Frames the worker has decoded for one track, and that track's waiting ``recv()``."""

    def __init__(self) -> None:
        self.items: collections.deque[Item] = collections.deque()
        self.finished = False  # the worker will add nothing more
        self.horizon = 0.0  # timeline time of the last frame added
        self.waiter: asyncio.Future[None] | None = None


class PlaybackClock:
    """Playback position in seconds: 0 until started, frozen while paused. Not thread safe:
    ``Playback.lock`` guards it."""

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


class Playback:
    """One shared file's playback state. ``lock`` guards the clock, the lanes and the worker's
    flags; ``wake_worker`` (on that lock) wakes the decoder when the clock moves or it must quit.
    ``event_loop`` is the loop the tracks are read on, once known."""

    def __init__(self, kinds: Iterable[str], clock: Callable[[], float]) -> None:
        self.lock = threading.Lock()
        self.wake_worker = threading.Condition(self.lock)
        self.clock = PlaybackClock(clock)
        self.lanes = {kind: Lane() for kind in kinds}
        self.quit = False  # asked to stop: the worker leaves
        self.worker_done = False  # the worker has added its last frame
        self.end_time = 0.0  # timeline time when the last pass's media ends
        self.event_loop: asyncio.AbstractEventLoop | None = None


def resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
