"""WebSocket signalling at /v1/rtc: one loop per client, reading wire messages in order.

A client's first message is ``join`` with its token. After that each message goes to the
client's :class:`Room`. Whatever the client sends that cannot be used gets an ``error`` with a
stable code (and the request id it came with), and nothing changes for anyone else.
Messages to the client go through its :class:`Outbox`, drained by a writer task, so a slow
socket never stalls the room; a client that does not read (1000 messages unsent, or a send that
cannot go out within ``send_timeout_seconds``) is dropped and its socket aborted.

An anonymous socket costs little and not for long: it must send ``join`` within
``join_timeout_seconds``, and what else it sends before that (pings, refused messages) is
limited; past either it is closed with a :class:`wire.errors.CloseCode`.
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

from wire.errors import CloseCode

from ..clock import iso
from ..cluster import Cluster
from ..config import ServerConfig
from ..meetings import MeetingService
from ..rooms.moderation import end_for_everyone, moderate
from ..rooms.participant import Outbox, Participant
from ..rooms.registry import RoomRegistry
from ..rooms.room import Room
from .callers import TokenJoinLimiter
from . import relay
from .keys import CLUSTER_KEY, CONFIG_KEY, JOIN_LIMITER_KEY, MEETINGS_KEY, ROOMS_KEY, TOKEN_JOIN_LIMITER_KEY
from .ratelimit import JoinLimiter, LogThrottle, RateLimit, TokenBucket

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
#: A client publishes once per connection (a screen share has a connection of its own): a few
#: attempts, then one every 10 s. Each costs an SDP negotiation (ICE, DTLS set-up).
PUBLISHES = RateLimit(0.1, 4, "too many publish messages; at most 4, then one every 10 seconds")
#: Refused publishes and subscribe answers on one connection; past this, both are refused at
#: once without a negotiation (join again for a fresh connection).
MAX_FAILED_NEGOTIATIONS = 3
#: What a socket sends before it has joined (pings, refused messages; join attempts are limited
#: per address by the JoinLimiter): a client sends ``join`` first. Past the burst the socket is
#: closed (CloseCode.TOO_MANY_MESSAGES).
BEFORE_JOIN = RateLimit(2, 10, "too many messages before join")
#: How long the server waits for a close frame to go out before it drops the connection.
CLOSE_WAIT_SECONDS = 2.0

#: Drops of slow or idle sockets are logged at most once a minute per address.
_dropped = LogThrottle(60.0)


async def rtc_handler(request: web.Request) -> web.WebSocketResponse:
    """``GET /v1/rtc``: the signalling WebSocket of one client."""
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=SOCKET_FRAME_LIMIT, timeout=CLOSE_WAIT_SECONDS)
    await ws.prepare(request)

    def abort() -> None:
        if request.transport is not None:
            request.transport.abort()  # close() would wait for ever on a client that does not read

    client = ClientConnection(ws, request.app[ROOMS_KEY], request.app[MEETINGS_KEY],
                              joins=request.app[JOIN_LIMITER_KEY], remote=request.remote,
                              config=request.app[CONFIG_KEY], abort=abort,
                              token_joins=request.app[TOKEN_JOIN_LIMITER_KEY],
                              cluster=request.app.get(CLUSTER_KEY),
                              relayed=relay.RELAYED_HEADER in request.headers)
    await client.run()
    if client.relay_to is not None:  # the meeting runs on another node (server/http/relay.py)
        owner_url, join_text, rid = client.relay_to
        await relay.relay_socket(ws, request.app[relay.SESSION_KEY], owner_url, join_text, rid, SOCKET_FRAME_LIMIT)
    return ws


class SocketOutbox(Outbox):
    """The outbox of one socket: an overflow wakes its writer, even in the middle of a send."""

    def __init__(self) -> None:
        super().__init__()
        self.on_overflow: Callable[[], None] | None = None

    def put(self, message: Message, rid: int | None = None) -> None:
        super().put(message, rid)
        if self.overflowed and self.on_overflow is not None:
            self.on_overflow()


class ClientConnection:
    def __init__(self, ws: web.WebSocketResponse, rooms: RoomRegistry, meetings: MeetingService,
                 joins: JoinLimiter | None = None, remote: str | None = None,
                 config: ServerConfig | None = None, abort: Callable[[], None] | None = None,
                 token_joins: TokenJoinLimiter | None = None, cluster: Cluster | None = None,
                 relayed: bool = False) -> None:
        self.ws = ws
        self.rooms = rooms
        self.meetings = meetings
        self.outbox = SocketOutbox()
        self.outbox.on_overflow = self._overflowed
        self.room: Room | None = None
        self.participant: Participant | None = None
        self._writer: asyncio.Task[None] | None = None
        self.leave_reason: str = EndReason.DISCONNECTED
        self._buckets = {limit: TokenBucket(limit.per_second, limit.burst)
                         for limit in (CHANGES, VOLUMES, CHAT, PUBLISHES, BEFORE_JOIN)}
        self._joins = joins or JoinLimiter(0)
        self._remote = remote
        self._join_timeout = config.join_timeout_seconds if config else 10.0
        self._send_timeout = config.send_timeout_seconds if config else 10.0
        self._abort = abort or (lambda: None)
        self._joining = False
        self._send_deadline: asyncio.Timeout | None = None
        self._closing: asyncio.Task[None] | None = None
        #: why the server closed this socket (None: it did not, or closed it normally)
        self.close_code: CloseCode | None = None
        self.failed_negotiations = 0
        self._token_joins = token_joins
        self._cluster = cluster
        #: another node relayed this socket here: it is never relayed on (a lease that moved meanwhile)
        self._relayed = relayed
        #: the meeting runs on another node: (its internal URL, the join's text, its rid)
        self.relay_to: tuple[str, str, int | None] | None = None
        self._text = ""

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._writer = asyncio.create_task(self._write_loop())
        deadline = loop.call_later(self._join_timeout, self._join_timed_out)
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(msg.data)
                    await asyncio.sleep(0)  # let the writers (ours and everyone's) drain between messages
                elif msg.type == WSMsgType.BINARY:
                    if self._before_join_allowed():
                        self.outbox.put(Error(code=ErrorCode.BAD_REQUEST, message="messages are JSON text"))
                else:
                    break
                if self._writer.done() or self.close_code is not None or self.relay_to is not None:
                    break  # the meeting ended for us, we left, we are cut off, or relayed
        finally:
            deadline.cancel()
            await self._finish()

    def _before_join_allowed(self) -> bool:
        """Counts a message of a socket that has not joined; False (and the socket is being
        closed) past the limit."""
        if self.participant is not None:
            return True
        if self._buckets[BEFORE_JOIN].allow():
            return True
        self._cut(CloseCode.TOO_MANY_MESSAGES, f"{BEFORE_JOIN.refusal}; send join first")
        return False

    async def _on_text(self, text: str) -> None:
        self._text = text
        rid: int | None = None
        try:
            try:
                message, rid = wire.decode(text)
            except ProtocolError:
                if not self._before_join_allowed():
                    return
                raise
            # join attempts have their own limit, per address (JoinLimiter)
            if not isinstance(message, Join) and not self._before_join_allowed():
                return
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
            self._joining = True
            try:
                await self._join(message, rid)
            finally:
                self._joining = False
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
        if self._cluster is not None:
            owner_url = self._cluster.place(meeting.id)
            if owner_url is not None:  # another node runs it: this socket is piped there
                if self._relayed:
                    raise ProtocolError(ErrorCode.SERVER_RESTARTING,
                                        "this meeting is moving to another server; join again in a moment")
                self.relay_to = (owner_url, self._text, rid)
                return
        room = self.rooms.room(meeting.id)
        if message.content:
            self.participant = await room.join_content(attendee, self.outbox, rid)
        else:
            self.participant = await room.join(attendee, self.outbox, rid)
        self.room = room

    # --- cutting a socket off ---------------------------------------------------------------

    def _join_timed_out(self) -> None:
        if self.participant is None and not self._joining:
            self._cut(CloseCode.JOIN_TIMEOUT, f"no join within {self._join_timeout:g} s")

    def _overflowed(self) -> None:
        if self._send_deadline is not None:  # the writer is stuck in a send: end it now
            self._send_deadline.reschedule(asyncio.get_running_loop().time())

    def _cut(self, code: CloseCode, reason: str) -> None:
        """Close the socket with ``code`` (once): a close frame if it can go out within
        CLOSE_WAIT_SECONDS, else the connection is aborted."""
        if self.close_code is not None:
            return
        self.close_code = code
        if _dropped.allow(self._remote or ""):
            logger.info("signalling: closed a socket from %s (%d %s)", self._remote, code, reason)
        self._closing = asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: CloseCode, reason: str) -> None:
        try:
            if code is not CloseCode.TOO_SLOW:  # a client that does not read never gets it
                async with asyncio.timeout(CLOSE_WAIT_SECONDS):
                    await self.ws.close(code=code, message=reason.encode())
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            self._abort()  # a closed connection needs nothing; any other is cut now

    async def _write_loop(self) -> None:
        try:
            await self._write_all()
        except asyncio.CancelledError:
            if not self.outbox.overflowed:
                raise
            self._cut(CloseCode.TOO_SLOW, "too many messages unread")  # overflow as a send ended

    async def _write_all(self) -> None:
        await self._write_each()
        if self.close_code is None and self.relay_to is None:
            try:
                async with asyncio.timeout(CLOSE_WAIT_SECONDS):
                    await self.ws.close()
            except TimeoutError:
                self._abort()

    async def _write_each(self) -> None:
        while True:
            item = await self.outbox.queue.get()
            if item is None:
                break
            if self.outbox.overflowed:
                self._cut(CloseCode.TOO_SLOW, "too many messages unread")
                return
            message, rid = item
            try:
                async with asyncio.timeout(self._send_timeout) as self._send_deadline:
                    await self.ws.send_str(wire.encode(message, rid))
            except TimeoutError:
                self._cut(CloseCode.TOO_SLOW, "messages not read in time")
                return
            except (ConnectionError, RuntimeError):
                break
            except Exception:  # one unsendable message closes only this socket
                logger.exception("signalling: could not send %s", message.TYPE)
                break
            finally:
                self._send_deadline = None

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
        if self.relay_to is not None:
            return  # the socket lives on, piped to the meeting's node
        if self._closing is not None:
            await self._closing
        elif not self.ws.closed:
            await self.ws.close()
        # However it ended (a heartbeat unanswered, a close frame never read): the connection is
        # gone soon after, not left flushing to a client that never reads.
        asyncio.get_running_loop().call_later(CLOSE_WAIT_SECONDS, self._abort)


# --- what a joined client may send --------------------------------------------------------------
# Each handler returns the reply (sent with the request's rid), or None.


def _negotiation_allowed(client: ClientConnection) -> None:
    if client.failed_negotiations >= MAX_FAILED_NEGOTIATIONS:
        raise ProtocolError(ErrorCode.RATE_LIMITED,
                            f"{client.failed_negotiations} negotiations failed on this connection; "
                            "join again to try once more")


async def _publish(client: ClientConnection, room: Room, me: Participant, message: Publish) -> Message:
    _negotiation_allowed(client)
    try:
        return await room.publish(me, message)
    except ProtocolError:
        client.failed_negotiations += 1
        raise


async def _subscribe_answer(client: ClientConnection, room: Room, me: Participant,
                            message: SubscribeAnswer) -> None:
    _negotiation_allowed(client)
    try:
        await room.subscribe_answer(me, message.sdp)
    except ProtocolError:
        client.failed_negotiations += 1
        raise


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
    Publish: (_publish, PUBLISHES),
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
