"""The narrow interfaces the session's parts talk through, so none imports another's class. No Qt."""

from __future__ import annotations

from typing import Any, Protocol

from wire import Message


class Signalling(Protocol):
    """Talking to the server on the current connection (desktop.session.link.MeetingLink)."""

    async def send(self, message: Message) -> None: ...

    async def request(self, message: Message, timeout: float = 15.0) -> Message: ...


class Speaker(Protocol):
    """Where remote voices go (desktop.media.devices implements it)."""

    def play(self, source_id: str, frame: Any) -> None: ...

    def remove_source(self, source_id: str) -> None: ...
