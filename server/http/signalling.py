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

from aiohttp import WSMsgType, web

import wire
from wire import (
    MAX_MESSAGE_BYTES,
    Camera,
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
from .keys import JOIN_LIMITER_KEY, MEETINGS_KEY, ROOMS_KEY
from .ratelimit import JoinLimiter, TokenBucket

logger = logging.getLogger(__name__)

#: Larger frames than this are cut by aiohttp (close code 1009); between MAX_MESSAGE_BYTES and
#: this, the client gets a ``message_too_large`` error and stays connected.
SOCKET_FRAME_LIMIT = 4 * MAX_MESSAGE_BYTES


#: Messages that change what everyone else sees (mute, camera) or what publishers do (keyframe
#: requests) are limited per connection, so one client cannot flood the others' sockets.
RATE_PER_SECOND = 10
RATE_BURST = 20
#: Chat messages and reactions per connection: a person typing or clicking fast, not a flood.
CHAT_PER_SECOND = 2
CHAT_BURST = 10


async def rtc_handler(request: web.Request) -> web.WebSocketResponse:
    """``GET /v1/rtc``: the signalling WebSocket of one client."""
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=SOCKET_FRAME_LIMIT)
    await ws.prepare(request)
    client = ClientConnection(ws, request.app[ROOMS_KEY], request.app[MEETINGS_KEY],
                              joins=request.app[JOIN_LIMITER_KEY], remote=request.remote)
    await client.run()
    return ws


class ClientConnection:
    def __init__(self, ws: web.WebSocketResponse, rooms: RoomRegistry, meetings: MeetingService,
                 joins: JoinLimiter | None = None, remote: str | None = None) -> None:
        self.ws = ws
        self.rooms = rooms
        self.meetings = meetings
        self.outbox = Outbox()
        self.room: Room | None = None
        self.participant: Participant | None = None
        self._writer: asyncio.Task[None] | None = None
        self._leave_reason: str = EndReason.DISCONNECTED
        self._rate = TokenBucket(RATE_PER_SECOND, RATE_BURST)
        self._volume_rate = TokenBucket(10, 20)  # clients send about 5 a second
        self._chat_rate = TokenBucket(CHAT_PER_SECOND, CHAT_BURST)
        self._joins = joins or JoinLimiter(0)
        self._remote = remote

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
        room, me = self.room, self.participant
        if me.is_content and not isinstance(message, (Publish, Volume, Leave)):
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                f"a share connection only publishes, says its volume and leaves, not {message.TYPE}")
        if isinstance(message, (Mute, Camera, RequestKeyframe, Moderate, RaiseHand)) and not self._rate.allow():
            raise ProtocolError(ErrorCode.RATE_LIMITED,
                                f"too many {message.TYPE} messages; at most {RATE_PER_SECOND} a second")
        if isinstance(message, Volume) and not self._volume_rate.allow():
            raise ProtocolError(ErrorCode.RATE_LIMITED, "send volume at most 10 times a second")
        if isinstance(message, (SendChat, React)) and not self._chat_rate.allow():
            raise ProtocolError(ErrorCode.RATE_LIMITED,
                                f"too many {message.TYPE} messages; at most {CHAT_PER_SECOND} a second")
        if isinstance(message, Publish):
            self.outbox.put(await room.publish(me, message), rid)
        elif isinstance(message, SubscribeAnswer):
            await room.subscribe_answer(me, message.sdp)
        elif isinstance(message, Camera):
            self.outbox.put(await room.camera(me, message.on), rid)
        elif isinstance(message, Mute):
            room.mute(me, message.muted)
        elif isinstance(message, Volume):
            room.set_volume(me, message.volume)
        elif isinstance(message, Moderate):
            self.outbox.put(await moderate(room, me, message.attendee_id, message.action), rid)
        elif isinstance(message, SendChat):
            self.outbox.put(room.chat(me, message.text, message.to), rid)
        elif isinstance(message, RaiseHand):
            room.raise_hand(me, message.raised)
        elif isinstance(message, React):
            room.react(me, message.emoji)
        elif isinstance(message, EndMeeting):
            end_for_everyone(room, me)
        elif isinstance(message, RequestKeyframe):
            room.request_keyframe(message.attendee_id)
        elif isinstance(message, Leave):
            self._leave_reason = message.reason
            await room.leave(me, message.reason)
        else:
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"{message.TYPE} is not sent by clients")

    async def _join(self, message: Join, rid: int | None) -> None:
        if self.participant is not None:
            raise ProtocolError(ErrorCode.ALREADY_JOINED, "this connection has already joined")
        if not self._joins.allow(self._remote):
            raise ProtocolError(ErrorCode.RATE_LIMITED,
                                f"too many joins from your address; at most {self._joins.per_minute} a minute")
        if self.rooms.draining:
            raise ProtocolError(ErrorCode.SERVER_RESTARTING, "the server is restarting; join again in a moment")
        meeting, attendee = self.meetings.authenticate(message.meeting_id, message.token, message.name)
        room = self.rooms.room(meeting.id)
        if message.content:
            self.participant = await room.join_content(attendee, self.outbox, rid)
        else:
            self.participant = await room.join(attendee, self.outbox, rid, message.name)
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
            if self._leave_reason == EndReason.DISCONNECTED:  # no leave: it may well come back
                await self.room.drop(self.participant, self.rooms.grace_seconds)
            else:
                await self.room.leave(self.participant, self._leave_reason)
        self.outbox.close()
        if self._writer is not None:
            try:
                await asyncio.wait_for(self._writer, timeout=5)
            except asyncio.TimeoutError:
                self._writer.cancel()
        if not self.ws.closed:
            await self.ws.close()
