"""The link to the meeting server: joining, the signalling socket, and coming back after a drop.

The link joins over a :class:`~desktop.signalling.client.SignallingClient`, queues what the
server says into one inbox and hands it, in order, to the session's message table. When the
socket drops (or a media connection fails) it keeps the meeting and joins again as the same
attendee, with backoff, for up to ``reconnect_budget`` seconds; the session above it
(:class:`LinkOwner`) takes the server's view again, republishes and shares again. No Qt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from wire import EndReason, ErrorCode, Join, Joined, Leave, MeetingEnded, Message, ProtocolError, ServerRestarting

from ..media.ice import IceRoute
from ..signalling import rest
from ..signalling.client import JoinUrl, SignallingClient
from ..signalling.tls import TrustStore, UntrustedCertificate
from .dispatch import MessageTable
from .events import Reconnecting
from .reasons import JoinProblem
from ..tasks import TaskOwner

logger = logging.getLogger(__name__)

#: After a drop, the session tries to come back for this long (seconds), then gives up with
#: ``connection_lost``; it waits these delays between attempts (the last one repeats).
RECONNECT_BUDGET = 120.0
#: Capped at 1 s so that a network that comes back is used within about a second (a join is
#: one small WebSocket exchange: cheap for the server even when many retry).
RECONNECT_DELAYS = (0.1, 0.25, 0.5, 1.0)
#: A media connection that has not connected this long after it started has failed (aioice
#: itself takes about a minute to give up when nothing answers its checks) ...
MEDIA_CONNECT_SECONDS = 15.0
#: ... and after this many joins in a row whose media never connected, the network is taken to
#: block calls: the session ends with ``media_blocked`` instead of reconnecting for ever.
MEDIA_ATTEMPTS = 3
#: Joining again after these refusals may work a moment later; any other refusal is final.
RETRYABLE = frozenset({ErrorCode.SERVER_RESTARTING, ErrorCode.RATE_LIMITED, ErrorCode.INTERNAL_ERROR})


class JoinFailed(Exception):
    """Joining did not work: ``reason`` is a stable code (see session/reasons.py).

    With ``untrusted_certificate``, ``certificate`` says what the server presented
    (``host_port``, ``fingerprint``, ``reason``, ``changed``); ``certificate.trust()`` is the
    user's explicit "Trust this server", after which a new session may join."""

    def __init__(self, reason: str, message: str,
                 certificate: UntrustedCertificate | None = None) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.certificate = certificate


class LinkOwner(Protocol):
    """What the link needs from the session above it."""

    @property
    def closed(self) -> bool: ...

    @property
    def end_reason(self) -> str | None: ...

    def on_link_rejoined(self, joined: Joined) -> None:
        """Back in after a drop: take the server's view (``joined``) again."""

    async def start_media(self) -> None:
        """Publish again (and say whether I am muted)."""

    async def on_link_dropped(self) -> None:
        """The socket is closed for a new attempt: close the media connections too."""

    async def on_link_back(self, seconds: float) -> None:
        """The reconnect worked, after ``seconds``."""

    async def on_link_lost(self, reason: str) -> None:
        """The meeting is over for this session (``reason``): finish it."""


class MeetingLink:
    def __init__(self, url: JoinUrl, name: str | None, *, trust: TrustStore, owner: LinkOwner,
                 table: MessageTable, tasks: TaskOwner, emit: Callable[[object], None],
                 reconnect: bool = True, reconnect_budget: float = RECONNECT_BUDGET,
                 route: IceRoute | None = None, media_connect_seconds: float = MEDIA_CONNECT_SECONDS,
                 media_attempts: int = MEDIA_ATTEMPTS) -> None:
        """``trust``: the certificates the user trusted; ``table``: who handles which message;
        ``reconnect``: after a drop, come back as the same attendee for up to
        ``reconnect_budget`` seconds instead of ending with ``connection_lost``; ``route``: where
        each join's TURN servers (``joined.ice_servers``) go for the media connections;
        ``media_connect_seconds``, ``media_attempts``: when the media is taken to be blocked."""
        self.url = url
        self.route = route if route is not None else IceRoute()
        self.name = name
        self.trust = trust
        self.reconnect = reconnect
        self.reconnect_budget = reconnect_budget
        self.reconnecting = False
        self.reconnects = 0  # how many times the session came back after a drop
        #: the meeting ended, as the server said (known at once, even while still joining)
        self.ended_by_server: str | None = None
        self._owner = owner
        self._table = table
        self._tasks = tasks
        self._emit = emit
        self._attendee_id: str | None = None
        self._restart_hint: float | None = None  # the server said it restarts: wait this long first
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._signalling = self._new_signalling()
        self.media_connect_seconds = media_connect_seconds
        self.media_attempts = media_attempts
        self._joins = 0  # joins so far (a reconnect is one more)
        self._blocked_joins: set[int] = set()  # joins in a row whose media never connected

    def _new_signalling(self) -> SignallingClient:
        return SignallingClient(self.url.websocket_url, self._on_message, trust=self.trust)

    # --- talking to the server ---------------------------------------------------------------

    @property
    def signalling(self) -> SignallingClient:
        """The current signalling connection (a reconnect replaces it)."""
        return self._signalling

    @property
    def connected(self) -> bool:
        return not self._signalling.closed.is_set()

    async def send(self, message: Message) -> None:
        """Send on the current connection; ConnectionError when it is not connected."""
        await self._signalling.send(message)

    async def request(self, message: Message, timeout: float = 15.0) -> Message:
        """Send and wait for the reply; ProtocolError when the server refuses."""
        return await self._signalling.request(message, timeout)

    async def update_settings(self, override: dict[str, Any]) -> dict[str, Any]:
        """PATCH the meeting's settings with my join token (see signalling/rest.py)."""
        return await rest.update_settings(self.url, override, trust=self.trust)

    # --- joining -------------------------------------------------------------------------------

    async def connect(self) -> Joined:
        """A new signalling connection, joined; its loss is watched."""
        signalling = self._signalling = self._new_signalling()
        await signalling.connect()
        self._tasks.spawn(self._watch_signalling(signalling))
        joined = await signalling.request(
            Join(meeting_id=self.url.meeting_id, token=self.url.token, name=self.name))
        assert isinstance(joined, Joined)
        self._attendee_id = joined.attendee.attendee_id
        self._joins += 1
        self.route.use(joined.ice_servers)  # fresh TURN credentials for this join's connections
        return joined

    @property
    def server_restarted(self) -> bool:
        """The server said it restarts (``server_restarting``) and we are not back yet: its first
        view after the restart lacks whoever has not come back yet."""
        return self._restart_hint is not None

    def start(self) -> None:
        """Handle what the server sends from now on (after the welcome, so nobody is lost)."""
        self._tasks.spawn(self._inbox_loop())

    async def close(self) -> None:
        await self._signalling.close()

    def _on_message(self, message: Message) -> None:
        if isinstance(message, MeetingEnded):
            self.ended_by_server = message.reason
        elif isinstance(message, ServerRestarting):
            self._restart_hint = message.retry_after_ms / 1000  # the socket closes next: come back
        self._inbox.put_nowait(message)

    async def _inbox_loop(self) -> None:
        while True:
            message = await self._inbox.get()
            try:
                await self._table.dispatch(message)
            except Exception:
                logger.exception("session: failed to handle %s", message.TYPE)

    async def _watch_signalling(self, signalling: SignallingClient) -> None:
        await signalling.closed.wait()
        await asyncio.sleep(0)  # let queued messages (meeting_ended) be handled first
        while not self._inbox.empty():
            await asyncio.sleep(0.01)
        if self._owner.closed or signalling is not self._signalling or self.reconnecting:
            return  # over, or an old connection (a reconnect replaced it)
        reason = self._owner.end_reason or self.ended_by_server
        if reason is None and self.reconnect and self._attendee_id is not None:
            self._tasks.spawn(self._reconnect())
        else:
            await self._owner.on_link_lost(reason or EndReason.CONNECTION_LOST)

    # --- coming back after a drop ----------------------------------------------------------

    def connection_lost(self) -> None:
        """The media or the network failed: come back (as after a signalling drop)."""
        if not (self._owner.closed or self.reconnecting) and self.reconnect and self._attendee_id is not None:
            self._tasks.spawn(self._reconnect())

    def watch_media(self, pc: Any, current: Callable[[], bool]) -> None:
        """A peer connection that fails (ICE lost the path) while it is ``current()`` is a drop
        like a signalling one; so is one that has not connected ``media_connect_seconds`` after
        it started. When the media of ``media_attempts`` joins in a row never connected, the
        network blocks calls (UDP dropped, no TURN that works): the session ends with
        ``media_blocked``, which says so in words, instead of reconnecting for ever."""
        join = self._joins
        connected = False

        def changed() -> None:
            nonlocal connected
            if pc.connectionState == "connected":
                connected = True
                self._blocked_joins.clear()  # this network carries media
            elif pc.connectionState == "failed" and current():
                logger.warning("session: a media connection failed; reconnecting")
                self._media_failed(join, connected)

        async def deadline() -> None:
            await asyncio.sleep(self.media_connect_seconds)
            if not connected and current() and pc.connectionState not in ("connected", "failed", "closed"):
                logger.warning("session: a media connection did not connect in %g s", self.media_connect_seconds)
                self._media_failed(join, connected)

        pc.on("connectionstatechange", changed)
        self._tasks.spawn(deadline())

    def _media_failed(self, join: int, ever_connected: bool) -> None:
        if not ever_connected:
            self._blocked_joins.add(join)
            if len(self._blocked_joins) >= self.media_attempts:
                if not self._owner.closed and not self.reconnecting:
                    self._tasks.spawn(self._give_up(EndReason.MEDIA_BLOCKED))
                return
        self.connection_lost()

    async def _give_up(self, reason: str) -> None:
        """Leave for good (the others see me go at once), ending with ``reason``."""
        logger.warning("session: no media connection worked in %d joins: %s", len(self._blocked_joins), reason)
        try:
            await self.send(Leave())
        except (ConnectionError, RuntimeError):
            pass
        await self._owner.on_link_lost(reason)

    async def _reconnect(self) -> None:
        """Keep the meeting on screen, and join again as the same attendee with backoff:
        republish, resubscribe, share again. Gives up after the budget (``connection_lost``) or
        at a final refusal (e.g. ``meeting_ended``, ``removed`` attendees' ``missing_capability``)."""
        owner = self._owner
        if self.reconnecting or owner.closed:
            return
        self.reconnecting = True
        loop = asyncio.get_running_loop()
        started = loop.time()
        self._emit(Reconnecting())
        await self._drop()
        delays = iter(RECONNECT_DELAYS)
        delay = self._restart_hint if self._restart_hint is not None else next(delays)
        while not owner.closed:
            await asyncio.sleep(delay)
            delay = next(delays, RECONNECT_DELAYS[-1])
            if owner.closed:
                return
            if loop.time() - started > self.reconnect_budget:
                self.reconnecting = False
                await owner.on_link_lost(EndReason.CONNECTION_LOST)
                return
            try:
                joined = await self.connect()
                owner.on_link_rejoined(joined)
                await owner.start_media()
            except ProtocolError as exc:
                if exc.code in RETRYABLE:
                    await self._drop()
                    continue
                self.reconnecting = False
                await owner.on_link_lost(self.ended_by_server or exc.code)
                return
            except UntrustedCertificate:  # the server's certificate changed: never carry on
                self.reconnecting = False
                await owner.on_link_lost(JoinProblem.UNTRUSTED_CERTIFICATE)
                return
            except Exception as exc:  # the network is not back yet (aiohttp's own errors included)
                logger.info("session: reconnect attempt failed: %s", exc or type(exc).__name__)
                await self._drop()
                continue
            break
        if owner.closed:
            return
        self.reconnecting = False
        self._restart_hint = None
        self.reconnects += 1
        await owner.on_link_back(loop.time() - started)

    async def _drop(self) -> None:
        """Close the signalling and both peer connections (the devices stay open)."""
        await self._signalling.close()
        await self._owner.on_link_dropped()
