"""Every live room of this server: created on a meeting's first join, forgotten when empty or
ended (the registry follows ``meeting.ended`` on the meeting service's event bus). Each room's
media is placed by the media backend (``media.MediaBackend``) when the room opens, released when
it closes, and placed again when the backend loses it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from wire import AttendeeInfo, EndReason, ServerRestarting

from ..config import ServerConfig
from ..turn import TurnCredentials
from ..events import MEETING_ENDED, ServerEvent
from ..meetings import MeetingService
from .media import MediaBackend
from .room import Room


#: Clients told to reconnect because their meeting's media moved come back after this long.
MEDIA_MOVE_RETRY_MS = 200


@dataclass(frozen=True)
class ServerStats:
    rooms: int
    participants: int
    cameras: int
    screen_shares: int
    packets_received: int
    packets_forwarded: int


class RoomRegistry:
    """All live rooms of this server, created on the first join."""

    def __init__(self, meetings: MeetingService, config: ServerConfig, media: MediaBackend) -> None:
        self._meetings = meetings
        self._config = config
        self._media = media
        self._rooms: dict[str, Room] = {}
        #: since when a started meeting has had nobody in it (the "empty" rule)
        self.empty_since: dict[str, float] = {}
        #: the server is stopping: joins are refused
        self.draining = False
        self._closing: set[asyncio.Task] = set()  # rooms that ended, closing their connections
        self._turn = TurnCredentials(config.turn_servers, config.turn_secret or "", meetings.now)
        meetings.show_live_participants(self.participants)
        meetings.events.subscribe(self._on_event)
        media.watch(self._on_media_lost)

    @property
    def media(self) -> MediaBackend:
        """The media backend this registry places its meetings on."""
        return self._media

    def room(self, meeting_id: str) -> Room:
        room = self._rooms.get(meeting_id)
        if room is None:
            peers = self._media.place(meeting_id)
            room = self._rooms[meeting_id] = Room(meeting_id, self._meetings, peers, self._forget,
                                                  self._turn.for_attendee)
        self.empty_since.pop(meeting_id, None)
        return room

    def _forget(self, meeting_id: str) -> None:
        room = self._rooms.get(meeting_id)
        if room is not None and not room.participants:
            del self._rooms[meeting_id]
            self._media.release(meeting_id)
            self.empty_since[meeting_id] = self._meetings.now()

    def _on_media_lost(self, meeting_id: str) -> None:
        """The media under a live meeting went away (a Janus instance died): the meeting is
        placed again and everyone in it reconnects their media there, keeping their seats."""
        room = self._rooms.get(meeting_id)
        if room is None:
            return
        room.peers = self._media.place(meeting_id)  # the room's media, from now on
        task = asyncio.get_running_loop().create_task(self._reconnect_media(room))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _reconnect_media(self, room: Room) -> None:
        """Everyone in ``room`` is told to reconnect (``server_restarting``) and dropped, keeping
        their seat: they come back as who they were, onto the room's new media."""
        grace = max(self._config.reconnect_grace_seconds, 1.0)
        for p in [p for p in room.participants.values() if p.away_since is None]:
            if room.participants.get(p.attendee_id) is p:  # not a share that ended with its owner
                p.outbox.put(ServerRestarting(retry_after_ms=MEDIA_MOVE_RETRY_MS))
                await room.drop(p, grace)

    @property
    def grace_seconds(self) -> float:
        return self._config.reconnect_grace_seconds

    def live_room(self, meeting_id: str) -> Room | None:
        return self._rooms.get(meeting_id)

    def refresh(self, meeting_id: str) -> None:
        """Tell a live meeting that its settings changed (see Room.refresh)."""
        room = self._rooms.get(meeting_id)
        if room is not None:
            room.refresh()

    def refresh_call_type(self, name: str) -> None:
        """A call type's grants or settings changed: every live meeting of it follows."""
        for room in list(self._rooms.values()):
            meeting = self._meetings.store.get_meeting(room.meeting_id)
            if meeting is not None and meeting.call_type == name:
                room.refresh()

    def participants(self, meeting_id: str) -> list[AttendeeInfo]:
        room = self._rooms.get(meeting_id)
        if room is None:
            return []
        return room.roster()

    def stats(self) -> ServerStats:
        participants = [p for room in self._rooms.values() for p in room.participants.values()]
        ups = [up for p in participants if p.publisher for up in p.publisher.tracks.values()]
        return ServerStats(
            rooms=len(self._rooms),
            participants=sum(not p.is_content for p in participants),
            cameras=sum(p.camera_on for p in participants),
            screen_shares=sum(p.is_content for p in participants),
            packets_received=sum(up.packets_received for up in ups),
            packets_forwarded=sum(up.packets_forwarded for up in ups),
        )

    def _on_event(self, event: ServerEvent) -> None:
        """A meeting ended (``MeetingService.end``, whoever ended it): its live room ends with
        it; the peer connections close in the background (``close`` waits for them)."""
        if event.type != MEETING_ENDED:
            return
        room = self._rooms.get(event.meeting_id)
        if room is not None:
            leaving = room.end(EndReason(event.reason))
            if leaving:
                task = asyncio.get_running_loop().create_task(room.close_connections(leaving))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
        self.empty_since.pop(event.meeting_id, None)

    async def close(self) -> None:
        """The server stops: new joins are refused (``server_restarting``), and everyone is told
        to come back; meetings, their attendees and timers are stored and go on after a restart."""
        self.draining = True
        await asyncio.gather(*(room.going_away() for room in list(self._rooms.values())))
        await asyncio.gather(*self._closing, return_exceptions=True)

    async def hand_over(self, meeting_ids: set[str]) -> None:
        """Another server node holds these meetings now (``server/cluster.py``): the people in
        them here are told to reconnect (they reach the new owner), or, if a meeting ended
        meanwhile, why it ended."""
        for meeting_id in meeting_ids:
            room = self._rooms.get(meeting_id)
            if room is None:
                continue
            meeting = self._meetings.store.get_meeting(meeting_id)
            if meeting is not None and meeting.ended_at is not None and meeting.end_reason:
                await room.close_connections(room.end(EndReason(meeting.end_reason)))
            else:
                await room.going_away()

    async def expire_away(self) -> None:
        now = self._meetings.now()
        for room in list(self._rooms.values()):
            await room.expire_away(now, self._config.reconnect_grace_seconds)
