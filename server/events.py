"""What happens to meetings, as events other parts of the server (webhooks) listen to.

``MeetingService`` and ``Room`` publish; subscribers must return quickly and never raise into
the meeting (a failing subscriber is logged). Types: ``meeting.started``, ``meeting.updated``,
``meeting.ended``, ``participant.joined``, ``participant.left``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

MEETING_ENDED = "meeting.ended"
EVENT_TYPES = ("meeting.started", "meeting.updated", MEETING_ENDED, "participant.joined",
               "participant.left")


@dataclass(frozen=True)
class ServerEvent:
    type: str
    created_at: float  # seconds since the epoch, on the server's clock
    meeting: dict[str, Any] = field(hash=False)  # the meeting as REST shows it
    attendee: dict[str, Any] | None = field(default=None, hash=False)  # participant.* only
    reason: str | None = None  # participant.left and meeting.ended: why

    @property
    def meeting_id(self) -> str:
        return self.meeting["id"]

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {self.type!r}")


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Callable[[ServerEvent], None]] = []

    def subscribe(self, callback: Callable[[ServerEvent], None]) -> None:
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[ServerEvent], None]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def publish(self, event: ServerEvent) -> None:
        for callback in tuple(self._subscribers):
            try:
                callback(event)
            except Exception:
                logger.exception("event subscriber failed on %s", event.type)
