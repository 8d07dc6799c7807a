"""Which part of the session handles which server message: a table, message class → handler.

Each part of the session registers the messages it handles; the link's inbox hands every
message to :meth:`MessageTable.dispatch`, in order. A handler may be a plain function or a
coroutine function (awaited before the next message). A message nobody registered is ignored,
as before (a newer server may send messages this app does not use). No Qt.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from wire import Message

M = TypeVar("M", bound=Message)

Handler = Callable[[Any], "Awaitable[None] | None"]


class MessageTable:
    def __init__(self) -> None:
        self._handlers: dict[type[Message], Handler] = {}

    def register(self, message_type: type[M], handler: Callable[[M], Awaitable[None] | None]) -> None:
        """``handler`` handles every ``message_type`` from now on (one handler per type)."""
        if message_type in self._handlers:
            raise ValueError(f"{message_type.__name__} has a handler already")
        self._handlers[message_type] = handler

    async def dispatch(self, message: Message) -> None:
        handler = self._handlers.get(type(message))
        if handler is None:
            return
        result = handler(message)
        if inspect.isawaitable(result):
            await result
