"""One seat in a live meeting: a :class:`Participant` (a person, or a screen share of its own,
``OWNER#content``) and the :class:`Outbox` its socket drains."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from wire import AttendeeInfo, Message, ParticipantUpdated

from ..clock import iso
from ..store import AttendeeRecord
from .media import PublishedTrack, Publisher, Subscriber


class Outbox:
    """Messages waiting to go to one participant's socket, in order."""

    def __init__(self, limit: int = 1000) -> None:
        self.queue: asyncio.Queue[tuple[Message, int | None] | None] = asyncio.Queue()
        self._limit = limit
        self.overflowed = False

    def put(self, message: Message, rid: int | None = None) -> None:
        if self.queue.qsize() >= self._limit:
            self.overflowed = True  # a client this far behind is dropped by its connection
            return
        self.queue.put_nowait((message, rid))

    def close(self) -> None:
        self.queue.put_nowait(None)


@dataclass
class Participant:
    attendee: AttendeeRecord
    outbox: Outbox
    capabilities: list[str]
    publisher: Publisher | None = None
    subscriber: Subscriber | None = None
    muted: bool = False
    camera_on: bool = False  # holds a video slot: its camera is forwarded
    camera_refused: bool = False  # asked for a slot while all 16 were taken
    mute_locked: bool = False  # a host muted them; they may not unmute until allowed
    volume: float = 0.0  # as the participant last measured it
    signal_strength: float = 1.0  # from the loss seen on its audio uplink
    away_since: float | None = None  # its connection dropped; the seat waits for it (grace)
    hand_raised_at: float | None = None
    owner: Participant | None = None  # set on a screen share: whose screen it is
    share: Participant | None = None  # set on a person while they share their screen

    @property
    def attendee_id(self) -> str:
        return self.attendee.id

    @property
    def is_content(self) -> bool:
        return self.owner is not None

    @property
    def video(self) -> bool:
        """Its video is forwarded: a camera holding a slot, or a share that publishes."""
        if self.is_content:
            return self.up("video") is not None
        return self.camera_on

    def info(self) -> AttendeeInfo:
        return AttendeeInfo(
            attendee_id=self.attendee.id,
            user_id=self.attendee.user_id,
            name=self.attendee.name,
            role=self.attendee.role,
            muted=self.muted,
            video=self.video,
            mute_locked=self.mute_locked,
            content=self.is_content,
            hand_raised_at=iso(self.hand_raised_at),
            connecting=self.connecting,
        )

    @property
    def connecting(self) -> bool:
        """It publishes, but its media connection has not connected (yet, or again)."""
        return self.publisher is not None and not getattr(self.publisher, "connected", True)

    def up(self, kind: str) -> PublishedTrack | None:
        return self.publisher.tracks.get(kind) if self.publisher else None


def watch_connecting(participant: Participant, publisher: Publisher, seated: Callable[[], bool],
                     broadcast: Callable[[Message], None]) -> None:
    """Everyone hears when ``publisher``'s media starts (or stops) reaching the server: until
    it does, the others show the person as connecting (``AttendeeInfo.connecting``).
    ``seated()``: the participant is still in the room."""
    watch = getattr(publisher, "on_connection_change", None)
    if watch is None:  # a backend that cannot tell: always connected
        return
    told = [participant.connecting]

    def changed() -> None:
        if participant.publisher is publisher and seated() and participant.connecting != told[0]:
            told[0] = participant.connecting
            broadcast(ParticipantUpdated(participant.info()))

    watch(changed)
