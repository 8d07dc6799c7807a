"""Tee: one device read once, its frames handed to a callback (preview, meter) and to branch
tracks (the sender). The reading task is ours, so closing the tee really stops it — unlike
aiortc's MediaRelay, whose reader outlives its consumers until the source next answers."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

logger = logging.getLogger(__name__)


class TeeBranch(MediaStreamTrack):
    """One consumer's view of the tee: the latest frame (video) or the recent ones (audio)."""

    def __init__(self, kind: str, keep: int) -> None:
        super().__init__()
        self.kind = kind
        self._frames: collections.deque = collections.deque(maxlen=keep)
        self._ready = asyncio.Event()
        self._ended = False

    def _push(self, frame: Any) -> None:
        self._frames.append(frame)
        self._ready.set()

    def _end(self) -> None:
        self._ended = True
        self._ready.set()

    async def recv(self):  # type: ignore[override]
        while not self._frames:
            if self._ended or self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def stop(self) -> None:
        super().stop()
        self._end()


class Tee:
    def __init__(self, source: MediaStreamTrack, on_frame: Callable[[Any], None] | None = None,
                 on_end: Callable[[], None] | None = None) -> None:
        self.source = source
        self._on_frame = on_frame
        self._on_end = on_end
        self._branches: list[TeeBranch] = []
        self._task = asyncio.ensure_future(self._run())

    def branch(self) -> TeeBranch:
        """A new track fed from the source: video keeps the latest frame, audio the last second."""
        branch = TeeBranch(self.source.kind, keep=1 if self.source.kind == "video" else 50)
        self._branches.append(branch)
        return branch

    async def _run(self) -> None:
        try:
            while True:
                try:
                    frame = await self.source.recv()
                except MediaStreamError:
                    break
                if self._on_frame is not None:
                    try:
                        self._on_frame(frame)
                    except Exception:  # a failing preview must not stop the device
                        logger.exception("tee: frame callback failed")
                for branch in self._branches:
                    branch._push(frame)
        finally:
            for branch in self._branches:
                branch._end()
        if self._on_end is not None:
            self._on_end()

    async def close(self) -> None:
        """Stop reading and stop the device; branches end."""
        self._on_end = None
        self._task.cancel()
        self.source.stop()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
