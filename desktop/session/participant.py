"""Participant: one person (or screen share) in the meeting, as the session shows it. No Qt.

The session builds it from the server's ``wire.AttendeeInfo`` where a message arrives, so the
front-ends (the UI, the bot) read the session's own value type and never the protocol's.
"""

from __future__ import annotations

from dataclasses import dataclass

from wire import AttendeeInfo


@dataclass(frozen=True)
class Participant:
    attendee_id: str
    user_id: str
    name: str
    role: str
    muted: bool = False
    video: bool = False
    #: a host muted this participant and did not allow unmuting yet
    mute_locked: bool = False
    #: a screen share (``OWNER_ID#content``), not a person
    content: bool = False
    #: when this participant raised their hand (ISO 8601 UTC); None: not raised
    hand_raised_at: str | None = None
    #: they are in, but their sound and video do not reach the meeting (yet): show
    #: "Connecting…", not their signal strength
    connecting: bool = False

    @classmethod
    def from_wire(cls, info: AttendeeInfo) -> Participant:
        return cls(info.attendee_id, info.user_id, info.name, info.role, muted=info.muted,
                   video=info.video, mute_locked=info.mute_locked, content=info.content,
                   hand_raised_at=info.hand_raised_at, connecting=info.connecting)

