"""A meeting's chat: every message is kept with the meeting (the store), so who joins (or comes
back) gets what was said to everyone and to them; each goes to everyone, or privately to one
attendee.

What was said is read in pages (``chat_history``), newest page first, each at most
``MAX_CHAT_PAGE`` messages and ``MAX_CHAT_HISTORY_BYTES`` of encoded messages: however much
others wrote, a page fits in one frame, so nobody is locked out of a meeting by its chat."""

from __future__ import annotations

import json
from collections.abc import Mapping

from wire import ChatHistory, ChatInfo, ChatMessage, ErrorCode, ProtocolError, to_dict
from wire.limits import MAX_CHAT_HISTORY_BYTES, MAX_CHAT_PAGE

from ..clock import iso
from ..meetings import MeetingService
from ..store import ChatRecord
from .participant import Participant


class MeetingChat:
    def __init__(self, meeting_id: str, meetings: MeetingService) -> None:
        self._meeting_id = meeting_id
        self._meetings = meetings

    def history(self, attendee_id: str, before: int | None = None, limit: int = MAX_CHAT_PAGE) -> ChatHistory:
        """A page of what ``attendee_id`` may read: the latest messages before message
        ``before`` (None: the latest of all), oldest first, at most ``limit`` of them and
        ``MAX_CHAT_HISTORY_BYTES`` encoded; ``more`` says whether older ones remain."""
        limit = max(1, min(limit, MAX_CHAT_PAGE))
        records = self._meetings.store.chat_page(self._meeting_id, attendee_id, before, limit + 1)
        page: list[ChatInfo] = []
        size = 0
        for record in records[:limit]:  # newest first
            info = _chat_info(record)
            size += encoded_size(info)
            if size > MAX_CHAT_HISTORY_BYTES:
                break
            page.append(info)
        return ChatHistory(messages=page[::-1], more=len(page) < len(records))

    def send(self, sender: Participant, text: str, to: str | None,
             participants: Mapping[str, Participant]) -> ChatMessage:
        """Keep the message and hand it to whom it is for: every person in ``participants``, or
        only ``to`` (and the sender). Returns the sender's copy (the reply)."""
        recipient = None
        if to is not None:
            recipient = participants.get(to)
            if recipient is None or recipient.is_content or to == sender.attendee_id:
                raise ProtocolError(ErrorCode.NOT_FOUND, f"{to!r} is not someone in the meeting")
        record = self._meetings.store.add_chat(ChatRecord(
            None, self._meeting_id, sender.attendee_id, sender.attendee.name, to, text, self._meetings.now()))
        message = ChatMessage(message=_chat_info(record))
        if recipient is not None:
            recipient.outbox.put(message)
        else:
            for p in participants.values():
                if p is not sender and not p.is_content:
                    p.outbox.put(message)
        return message


def encoded_size(info: ChatInfo) -> int:
    """The bytes ``info`` takes in a frame, encoded as ``wire.encode`` does (plus its comma)."""
    return len(json.dumps(to_dict(info), separators=(",", ":"), ensure_ascii=False).encode("utf-8")) + 1


def _chat_info(record: ChatRecord) -> ChatInfo:
    assert record.id is not None
    return ChatInfo(message_id=record.id, from_id=record.sender_id, from_name=record.sender_name,
                    text=record.text, sent_at=iso(record.sent_at) or "", to=record.recipient_id)
