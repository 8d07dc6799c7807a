"""``BotTiles``: what the bot "shows", told to the server as the app's call window tells it
(``video_needs``), and the server's answer kept for the bot's figures.

The bot has no window, so every remote camera is a tile of ``--tile WxH`` (default 640x360: a
tile that can use any layer; ``0x0``: the bot tells nothing, as a client that never sends
``video_needs``), and the active speaker is on the stage, as the app's speaker view puts them:
the most active remote speaker (the bot's own voice left out), kept there while only the bot
itself talks. Screen shares are tiles too (the server serves them first anyway).

What the server says of each video (``video_paused``: paused or the layer forwarded) goes to the
bot's ``MediaWatch`` (the ``layer`` / ``paused`` figures of its report).
"""

from __future__ import annotations

import asyncio

from ..session import TileNeed
from ..session.events import (
    ActiveSpeakersChanged,
    AttendeeJoined,
    AttendeeLeft,
    AttendeeUpdated,
    RemoteVideoChanged,
)
from ..session.meeting_session import MeetingSession
from .watch import MediaWatch

__all__ = ["BotTiles"]


class BotTiles:
    def __init__(self, session: MeetingSession, watch: MediaWatch, size: tuple[int, int]) -> None:
        self._session = session
        self._watch = watch
        self._size = size
        self.stage: str | None = None  # the remote speaker on the stage
        self._telling: asyncio.Task | None = None
        self._again = False
        session.on(RemoteVideoChanged, self._on_video_changed)
        if size != (0, 0):
            session.on(ActiveSpeakersChanged, self._on_speakers)
            for event in (AttendeeJoined, AttendeeUpdated, AttendeeLeft):
                session.on(event, lambda _event: self.tell())

    def _me(self) -> str | None:
        me = self._session.me
        return me.attendee_id if me is not None else None

    def _on_speakers(self, event: ActiveSpeakersChanged) -> None:
        me = self._me()
        speaker = next((a for a in event.ranking if a != me), None)
        if speaker is not None and speaker != self.stage:
            self.stage = speaker
            self._watch.on_stage(speaker)
            self.tell()

    def _on_video_changed(self, event: RemoteVideoChanged) -> None:
        self._watch.video_state(event.attendee_id, event.paused, event.layer)

    def needs(self) -> list[TileNeed]:
        """A tile of the bot's size for every remote camera and share; the speaker on stage."""
        me = self._me()
        width, height = self._size
        return [TileNeed(attendee_id=a.attendee_id, width=width, height=height,
                         stage=a.attendee_id == self.stage)
                for a in self._session.attendees.values() if a.video and a.attendee_id != me]

    def tell(self) -> None:
        """Send the needs now (one send at a time; a change meanwhile is sent after it)."""
        if self._size == (0, 0) or self._session.me is None:
            return
        if self._telling is not None and not self._telling.done():
            self._again = True
            return
        self._telling = asyncio.ensure_future(self._tell())

    async def _tell(self) -> None:
        while True:
            self._again = False
            await self._session.remote.tell_needs(self.needs())
            if not self._again:
                return

    def close(self) -> None:
        if self._telling is not None:
            self._telling.cancel()
