"""The meeting's conversation: chat, raised hands and reactions. No Qt.

The chat is kept as I may read it, oldest first: the history the server sends when I join
(again after a reconnect: messages already seen are not repeated), then what is said live.
The server sends the latest page only (``chat_history``, bounded in bytes); older pages come
one at a time with ``load_older_chat``.
"""

from __future__ import annotations

from collections.abc import Callable

from wire import (
    ChatHistory,
    ChatHistoryRequest,
    ChatInfo,
    ChatMessage,
    RaiseHand,
    React,
    Reaction,
    SendChat,
)

from .dispatch import MessageTable
from .events import ChatReceived, ReactionReceived
from .ports import Signalling


class Conversation:
    def __init__(self, signalling: Signalling, emit: Callable[[object], None]) -> None:
        self._signalling = signalling
        self._emit = emit
        #: the chat as I may read it, oldest first (history from the server, then live)
        self.chat: list[ChatInfo] = []
        self._chat_ids: set[int] = set()
        #: older messages than the first of ``chat`` remain on the server (``load_older_chat``)
        self.older_chat = False

    def register(self, table: MessageTable) -> None:
        table.register(ChatMessage, lambda message: self._add(message.message))
        table.register(ChatHistory, self._on_history)
        table.register(Reaction, lambda message: self._emit(ReactionReceived(message.attendee_id, message.emoji)))

    async def send_chat(self, text: str, to: str | None = None) -> ChatInfo:
        """Say ``text`` to everyone, or privately ``to`` one attendee. Raises ProtocolError
        (too long, too fast, nobody by that id)."""
        reply = await self._signalling.request(SendChat(text=text, to=to))
        assert isinstance(reply, ChatMessage)
        self._add(reply.message)
        return reply.message

    async def raise_hand(self, raised: bool = True) -> None:
        await self._signalling.send(RaiseHand(raised=raised))

    async def react(self, emoji: str) -> None:
        await self._signalling.send(React(emoji=emoji))

    async def load_older_chat(self) -> list[ChatInfo]:
        """Fetch the page of chat before the oldest message I have, put it in front of
        ``chat`` and return it (oldest first; empty when there is nothing older)."""
        if not self.older_chat:
            return []
        before = self.chat[0].message_id if self.chat else None
        reply = await self._signalling.request(ChatHistoryRequest(before=before))
        assert isinstance(reply, ChatHistory)
        older = [m for m in reply.messages if m.message_id not in self._chat_ids]
        self._chat_ids.update(m.message_id for m in older)
        self.chat[:0] = older
        self.older_chat = reply.more
        return older

    def _on_history(self, message: ChatHistory) -> None:
        if not self.chat:  # the first page; after a reconnect, what I already have goes back further
            self.older_chat = message.more
        for item in message.messages:
            self._add(item)

    def _add(self, message: ChatInfo) -> None:
        if message.message_id in self._chat_ids:
            return  # seen already (history again after a reconnect)
        self._chat_ids.add(message.message_id)
        self.chat.append(message)
        self._emit(ChatReceived(message))
