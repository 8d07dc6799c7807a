"""WebSocket signalling at /v1/rtc: one loop per client, reading wire messages in order.

A client's first message is ``join`` with its token. After that each message goes to the
client's :class:`Room`. Whatever the client sends that cannot be used gets an ``error`` with a
stable code (and the request id it came with), and nothing changes for anyone else.
Messages to the client go through its :class:`Outbox`, drained by a writer task, so a slow
socket never stalls the room.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

import wire
from wire import (
    MAX_MESSAGE_BYTES,
    Camera,
    ChatHistoryRequest,
    Error,
    EndMeeting,
    EndReason,
    ErrorCode,
    Join,
    Leave,
    Message,
    Moderate,
    Mute,
    Ping,
    Pong,
    ProtocolError,
    Publish,
    RaiseHand,
    React,
    RequestKeyframe,
    SendChat,
    SubscribeAnswer,
    Volume,
)

from ..clock import iso
from ..meetings import MeetingService
from ..rooms.moderation import end_for_everyone, moderate
from ..rooms.participant import Outbox, Participant
from ..rooms.registry import RoomRegistry
from ..rooms.room import Room
from .callers import TokenJoinLimiter
from .keys import JOIN_LIMITER_KEY, MEETINGS_KEY, ROOMS_KEY, TOKEN_JOIN_LIMITER_KEY
from .ratelimit import JoinLimiter, RateLimit, TokenBucket

logger = logging.getLogger(__name__)

#: Larger frames than this are cut by aiohttp (close code 1009); between MAX_MESSAGE_BYTES and
#: this, the client gets a ``message_too_large`` error and stays connected.
SOCKET_FRAME_LIMIT = 4 * MAX_MESSAGE_BYTES


#: Messages that change what everyone else sees (mute, camera) or what publishers do (keyframe
#: requests) are limited per connection, so one client cannot flood the others' sockets.
CHANGES = RateLimit(10, 20, "too many {type} messages; at most 10 a second")
#: Clients say their volume about 5 times a second.
VOLUMES = RateLimit(10, 20, "send volume at most 10 times a second")
#: Chat messages and reactions: a person typing or clicking fast, not a flood.
CHAT = RateLimit(2, 10, "too many {type} messages; at most 2 a second")


async def rtc_handler(request: web.Request) -> web.WebSocketResponse:
    """``GET /v1/rtc``: the signalling WebSocket of one client."""
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=SOCKET_FRAME_LIMIT)
    await ws.prepare(request)
    client = ClientConnection(ws, request.app[ROOMS_KEY], request.app[MEETINGS_KEY],
                              joins=request.app[JOIN_LIMITER_KEY], remote=request.remote,
                              token_joins=request.app[TOKEN_JOIN_LIMITER_KEY])
    await client.run()
    return ws


class ClientConnection:
    def __init__(self, ws: web.WebSocketResponse, rooms: RoomRegistry, meetings: MeetingService,
                 joins: JoinLimiter | None = None, remote: str | None = None,
                 token_joins: TokenJoinLimiter | None = None) -> None:
        self.ws = ws
        self.rooms = rooms
        self.meetings = meetings
        self.outbox = Outbox()
        self.room: Room | None = None
        self.participant: Participant | None = None
        self._writer: asyncio.Task[None] | None = None
        self.leave_reason: str = EndReason.DISCONNECTED
        self._buckets = {limit: TokenBucket(limit.per_second, limit.burst) for limit in (CHANGES, VOLUMES, CHAT)}
        self._joins = joins or JoinLimiter(0)
        self._remote = remote
        self._token_joins = token_joins

    async def run(self) -> None:
        self._writer = asyncio.create_task(self._write_loop())
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(msg.data)
                    await asyncio.sleep(0)  # let the writers (ours and everyone's) drain between messages
                elif msg.type == WSMsgType.BINARY:
                    self.outbox.put(Error(code=ErrorCode.BAD_REQUEST, message="messages are JSON text"))
                else:
                    break
                if self._writer.done():
                    break  # the meeting ended for us or we left
        finally:
            await self._finish()

    async def _on_text(self, text: str) -> None:
        rid: int | None = None
        try:
            message, rid = wire.decode(text)
            await self._dispatch(message, rid)
        except ProtocolError as exc:
            self.outbox.put(Error(code=exc.code, message=exc.message), exc.rid if exc.rid is not None else rid)
        except Exception:
            logger.exception("signalling: failed to handle a message")
            self.outbox.put(Error(code=ErrorCode.INTERNAL_ERROR, message="the server failed to handle this message"), rid)

    async def _dispatch(self, message: Message, rid: int | None) -> None:
        if isinstance(message, Ping):
            self.outbox.put(Pong(server_time=iso(self.meetings.now())), rid)
            return
        if isinstance(message, Join):
            await self._join(message, rid)
            return
        if self.participant is None or self.room is None:
            raise ProtocolError(ErrorCode.NOT_JOINED, f"send join before {message.TYPE}")
        if self.participant.is_content and type(message) not in SHARES_SEND:
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                f"a share connection only publishes, says its volume and leaves, not {message.TYPE}")
        route = HANDLERS.get(type(message))
        if route is None:
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"{message.TYPE} is not sent by clients")
        handle, limit = route
        if limit is not None and not self._buckets[limit].allow():
            raise ProtocolError(ErrorCode.RATE_LIMITED, limit.refusal.format(type=message.TYPE))
        reply = await handle(self, self.room, self.participant, message)
        if reply is not None:
            self.outbox.put(reply, rid)

    async def _join(self, message: Join, rid: int | None) -> None:
        if self.participant is not None:
            raise ProtocolError(ErrorCode.ALREADY_JOINED, "this connection has already joined")
        if not self._joins.allow(self._remote):
            raise ProtocolError(ErrorCode.RATE_LIMITED,
                                f"too many joins from your address; at most {self._joins.per_minute} a minute")
        if self._token_joins is not None:
            self._token_joins.check(message.token)  # per identity too: an address is easily changed
        if self.rooms.draining:
            raise ProtocolError(ErrorCode.SERVER_RESTARTING, "the server is restarting; join again in a moment")
        meeting, attendee = self.meetings.authenticate(message.meeting_id, message.token, message.name)
        room = self.rooms.room(meeting.id)
        if message.content:
            self.participant = await room.join_content(attendee, self.outbox, rid)
        else:
            self.participant = await room.join(attendee, self.outbox, rid)
        self.room = room

    async def _write_loop(self) -> None:
        while True:
            item = await self.outbox.queue.get()
            if item is None:
                break
            message, rid = item
            try:
                await self.ws.send_str(wire.encode(message, rid))
            except (ConnectionError, RuntimeError):
                break
            except Exception:  # one unsendable message closes only this socket
                logger.exception("signalling: could not send %s", message.TYPE)
                break
            if self.outbox.overflowed:
                break
        await self.ws.close()

    async def _finish(self) -> None:
        if self.room is not None and self.participant is not None:
            if self.leave_reason == EndReason.DISCONNECTED:  # no leave: it may well come back
                await self.room.drop(self.participant, self.rooms.grace_seconds)
            else:
                await self.room.leave(self.participant, self.leave_reason)
        self.outbox.close()
        if self._writer is not None:
            try:
                await asyncio.wait_for(self._writer, timeout=5)
            except asyncio.TimeoutError:
                self._writer.cancel()
        if not self.ws.closed:
            await self.ws.close()


# --- what a joined client may send --------------------------------------------------------------
# Each handler returns the reply (sent with the request's rid), or None.


async def _publish(client: ClientConnection, room: Room, me: Participant, message: Publish) -> Message:
    return await room.publish(me, message)


async def _subscribe_answer(client: ClientConnection, room: Room, me: Participant,
                            message: SubscribeAnswer) -> None:
    await room.subscribe_answer(me, message.sdp)


async def _camera(client: ClientConnection, room: Room, me: Participant, message: Camera) -> Message:
    return await room.camera(me, message.on)


async def _mute(client: ClientConnection, room: Room, me: Participant, message: Mute) -> None:
    room.mute(me, message.muted)


async def _volume(client: ClientConnection, room: Room, me: Participant, message: Volume) -> None:
    room.set_volume(me, message.volume)


async def _moderate(client: ClientConnection, room: Room, me: Participant, message: Moderate) -> Message:
    return await moderate(room, me, message.attendee_id, message.action, message.revoke_invite)


async def _chat(client: ClientConnection, room: Room, me: Participant, message: SendChat) -> Message:
    return room.chat(me, message.text, message.to)


async def _chat_history(client: ClientConnection, room: Room, me: Participant,
                        message: ChatHistoryRequest) -> Message:
    return room.chat_history(me, message.before, message.limit)


async def _raise_hand(client: ClientConnection, room: Room, me: Participant, message: RaiseHand) -> None:
    room.raise_hand(me, message.raised)


async def _react(client: ClientConnection, room: Room, me: Participant, message: React) -> None:
    room.react(me, message.emoji)


async def _end_meeting(client: ClientConnection, room: Room, me: Participant, message: EndMeeting) -> None:
    end_for_everyone(room, me)


async def _request_keyframe(client: ClientConnection, room: Room, me: Participant,
                            message: RequestKeyframe) -> None:
    room.request_keyframe(message.attendee_id)


async def _leave(client: ClientConnection, room: Room, me: Participant, message: Leave) -> None:
    client.leave_reason = message.reason
    await room.leave(me, message.reason)


Handler = Callable[[ClientConnection, Room, Participant, Any], Awaitable[Message | None]]

#: Message type -> its handler and the rate it is limited by (None: not limited).
HANDLERS: dict[type[Message], tuple[Handler, RateLimit | None]] = {
    Publish: (_publish, None),
    SubscribeAnswer: (_subscribe_answer, None),
    Camera: (_camera, CHANGES),
    Mute: (_mute, CHANGES),
    Volume: (_volume, VOLUMES),
    Moderate: (_moderate, CHANGES),
    SendChat: (_chat, CHAT),
    ChatHistoryRequest: (_chat_history, CHAT),
    RaiseHand: (_raise_hand, CHANGES),
    React: (_react, CHAT),
    EndMeeting: (_end_meeting, None),
    RequestKeyframe: (_request_keyframe, CHANGES),
    Leave: (_leave, None),
}
#: What a screen share's own connection may send.
SHARES_SEND = frozenset({Publish, Volume, Leave})
