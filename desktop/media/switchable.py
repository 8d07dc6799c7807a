"""A track whose source (a camera or microphone) can change, or go away, while the sender
of the publishing connection keeps reading it.

aiortc's ``RTCRtpSender`` stops for good the first time its track's ``recv`` raises
``MediaStreamError`` (a later ``replaceTrack`` is silently ignored), and it encodes with the
frames' own timestamps. So the sender is given one SwitchableTrack for the whole call.
"""

from __future__ import annotations

import asyncio
import fractions

import av

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack


class SwitchableTrack(MediaStreamTrack):
    """A track whose source (camera or microphone) can change while a sender uses it.

    aiortc's ``RTCRtpSender`` stops for good the first time its track's ``recv`` raises
    ``MediaStreamError`` — a ``replaceTrack`` afterwards is silently ignored. Publishing a
    ``SwitchableTrack`` instead keeps the sender running: when the device behind it ends (it
    was unplugged), ``recv`` waits until ``switch`` gives it another one. Timestamps stay
    continuous across switches, as encoders expect.
    """

    def __init__(self, kind: str, track: MediaStreamTrack | None = None) -> None:
        super().__init__()
        self.kind = kind
        self._track = track
        self._changed = asyncio.Event()
        self._time_base: fractions.Fraction | None = None
        self._offset = 0
        self._last_pts: int | None = None
        self._last_step = 0
        self._rebase = False

    @property
    def track(self) -> MediaStreamTrack | None:
        return self._track

    def switch(self, track: MediaStreamTrack | None, *, stop_previous: bool = True) -> None:
        """Take frames from ``track`` from now on (None: send nothing until the next switch)."""
        previous, self._track = self._track, track
        self._rebase = True
        self._changed.set()
        if stop_previous and previous is not None and previous is not track:
            previous.stop()

    async def recv(self):
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            track = self._track
            if track is None or track.readyState != "live":
                self._changed.clear()
                await self._changed.wait()
                continue
            # Wait for a frame or a switch, whichever comes first: a relayed source may never
            # answer again once its consumer is detached.
            self._changed.clear()
            receive = asyncio.ensure_future(track.recv())
            switched = asyncio.ensure_future(self._changed.wait())
            try:
                await asyncio.wait((receive, switched), return_when=asyncio.FIRST_COMPLETED)
            except BaseException:  # we were cancelled: the pending read must not take a frame
                receive.cancel()
                raise
            finally:
                switched.cancel()
            if not receive.done():
                receive.cancel()
                continue  # switched while we waited: read the new source
            try:
                frame = receive.result()
            except MediaStreamError:
                if track is self._track:  # the device ended: wait for the app to switch
                    self._track = None
                continue
            if track is not self._track:
                continue  # switched meanwhile: drop the old device's frame
            return self._restamp(frame)

    def _restamp(self, frame):
        if frame.pts is None or frame.time_base is None:
            return frame
        if self._time_base is None:
            self._time_base = frame.time_base
        pts = int(frame.pts * frame.time_base / self._time_base)
        if self._rebase:
            self._rebase = False
            if self._last_pts is not None:
                self._offset = self._last_pts + self._step() - pts
        out = pts + self._offset
        if self._last_pts is not None:
            if out <= self._last_pts:
                out = self._last_pts + 1
            self._last_step = out - self._last_pts
        self._last_pts = out
        if isinstance(frame, av.AudioFrame) and frame.sample_rate:
            self._last_step = max(1, int(fractions.Fraction(frame.samples, frame.sample_rate) / self._time_base))
        frame.pts = out
        frame.time_base = self._time_base
        return frame

    def _step(self) -> int:
        """The time one frame lasts, in our time base (a video frame at 30 fps if unknown)."""
        if self._last_step > 0:
            return self._last_step
        return max(1, int(fractions.Fraction(1, 30) / self._time_base))

    def stop(self) -> None:
        super().stop()
        self._changed.set()
        track, self._track = self._track, None
        if track is not None:
            track.stop()
