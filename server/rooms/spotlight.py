"""The spotlight: one attendee a host puts on everyone's stage (``moderate spotlight``), until
a host takes it off (``unspotlight``) or that attendee leaves. Live state only, like the rest
of the room (a server restart forgets it)."""

from __future__ import annotations

from collections.abc import Callable

from wire import Message, Spotlight as SpotlightMessage

from .participant import Participant


class Spotlight:
    """Who is in the spotlight; everyone hears each change (``broadcast``), a newcomer hears
    who it is right after its ``joined`` (``welcome``)."""

    def __init__(self, broadcast: Callable[[Message], None]) -> None:
        self._broadcast = broadcast
        self.attendee_id: str | None = None

    def set(self, attendee_id: str | None) -> SpotlightMessage:
        """Put ``attendee_id`` in the spotlight (None: nobody); returns what everyone was told."""
        message = SpotlightMessage(attendee_id=attendee_id)
        if attendee_id != self.attendee_id:
            self.attendee_id = attendee_id
            self._broadcast(message)
        return message

    def welcome(self, participant: Participant) -> None:
        if self.attendee_id is not None:
            participant.outbox.put(SpotlightMessage(attendee_id=self.attendee_id))

    def left(self, attendee_id: str) -> None:
        """``attendee_id`` left the meeting (not a reconnect): its spotlight ends."""
        if attendee_id == self.attendee_id:
            self.set(None)
