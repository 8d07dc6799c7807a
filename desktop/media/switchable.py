"""A track whose source can change (another device) or go away (device off or unplugged)
while whoever reads it — the sender of the publishing connection — keeps reading.

aiortc's sender ends for good when its track raises MediaStreamError, and encodes with the
frames' own timestamps. So the sender is given one SwitchableTrack for the whole call: a
source that ends simply leaves it waiting for the next one, and every frame it passes on is
re-stamped on one continuous timeline.
"""

from __future__ import annotations

import asyncio
import fractions
import time

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)


class SwitchableTrack(MediaStreamTrack):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.source: MediaStreamTrack | None = None
        self._changed = asyncio.Event()
        self._start = time.monotonic()
        self._audio_pts = 0
        self._video_pts = -1

    def set_source(self, track: MediaStreamTrack | None) -> None:
        """Read from ``track`` from now on (None: pass nothing on until a new source)."""
        if track is self.source:
            return
        self.source = track
        self._changed.set()

    async def recv(self):  # type: ignore[override]
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self.source
            if source is None:
                self._changed.clear()
                await self._changed.wait()
                continue
            self._changed.clear()
            receive = asyncio.ensure_future(source.recv())
            change = asyncio.ensure_future(self._changed.wait())
            try:
                await asyncio.wait((receive, change), return_when=asyncio.FIRST_COMPLETED)
            finally:
                change.cancel()
            if not receive.done():
                receive.cancel()  # switched while waiting: read the new source instead
                continue
            try:
                frame = receive.result()
            except MediaStreamError:
                if self.source is source:
                    self.source = None  # the device went away; wait for another
                continue
            return self._restamp(frame)

    def _restamp(self, frame):
        if self.kind == "audio":
            frame.pts = self._audio_pts
            frame.time_base = fractions.Fraction(1, frame.sample_rate)
            self._audio_pts += frame.samples
        else:
            pts = int((time.monotonic() - self._start) * 90000)
            self._video_pts = max(pts, self._video_pts + 1)
            frame.pts = self._video_pts
            frame.time_base = VIDEO_TIME_BASE
        return frame

    def stop(self) -> None:
        super().stop()
        self._changed.set()
