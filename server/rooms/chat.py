"""A meeting's chat: every message is kept with the meeting (the store), so who joins (or comes
back) gets what was said to everyone and to them; each goes to everyone, or privately to one
attendee."""

from __future__ import annotations

from collections.abc import Mapping

from wire import ChatInfo, ChatMessage, ErrorCode, ProtocolError

from ..clock import iso
from ..meetings import MeetingService
from ..store import ChatRecord
from .participant import Participant


class MeetingChat:
    def __init__(self, meeting_id: str, meetings: MeetingService) -> None:
        self._meeting_id = meeting_id
        self._meetings = meetings

    def history(self, attendee_id: str) -> list[ChatInfo]:
        """What ``attendee_id`` may read of what was said so far, oldest first."""
        return [_chat_info(r) for r in self._meetings.store.chat_for(self._meeting_id, attendee_id)]

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


def _chat_info(record: ChatRecord) -> ChatInfo:
    assert record.id is not None
    return ChatInfo(message_id=record.id, from_id=record.sender_id, from_name=record.sender_name,
                    text=record.text, sent_at=iso(record.sent_at) or "", to=record.recipient_id)
