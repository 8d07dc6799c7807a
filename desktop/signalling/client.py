"""The WebSocket client for the wire protocol: requests with replies, and a stream of events.

No Qt here. ``request`` sends a message with a fresh request id and waits for the reply that
carries it (an ``error`` reply raises :class:`wire.ProtocolError`). Everything else the
server sends arrives, in order, at the ``on_message`` callback.

A ``wss://`` connection verifies the server's certificate, or accepts exactly the one the user
trusted for that host:port (see tls.py); an untrusted one raises
:class:`~desktop.signalling.tls.UntrustedCertificate` before anything is sent.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import aiohttp

import wire
from wire import Error, Message, ProtocolError, code_of

from .tls import ServerTls, TrustStore, host_port_key

logger = logging.getLogger(__name__)


class JoinUrl:
    """``parley://HOST:PORT/m/MEETING_ID?token=TOKEN`` split into what a client needs."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("parley", "parleys") or not parts.netloc:
            raise ValueError(f"not a Parley join link: {url!r}")
        path = parts.path.strip("/").split("/")
        token = parse_qs(parts.query).get("token", [""])[0]
        if len(path) != 2 or path[0] != "m" or not path[1] or not token:
            raise ValueError("a join link looks like parley://HOST:PORT/m/MEETING_ID?token=TOKEN")
        self.host = parts.hostname or ""
        self.port = parts.port
        self.secure = parts.scheme == "parleys"
        self.meeting_id = path[1]
        self.token = token
        self.netloc = parts.netloc

    @property
    def host_port(self) -> str:
        """``host:port`` of the server, as the trust store keys it (default port filled in)."""
        return host_port_key(self.host, self.port, self.secure)

    @property
    def http_base(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.netloc}"

    @property
    def websocket_url(self) -> str:
        return f"{'wss' if self.secure else 'ws'}://{self.netloc}/v1/rtc"


class SignallingClient:
    def __init__(self, url: str, on_message: Callable[[Message], None], *, trust: TrustStore) -> None:
        """``url``: ``ws://`` or ``wss://…/v1/rtc``; ``trust``: the certificates the user
        trusted (a ``wss://`` server presenting one of them is accepted)."""
        self._url = url
        self._tls = ServerTls(url, trust)
        self._on_message = on_message
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._pending: dict[int, asyncio.Future[Message]] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.close_reason: str | None = None

    async def connect(self) -> None:
        self._session = aiohttp.ClientSession()
        try:
            self._ws = await self._session.ws_connect(
                self._url, heartbeat=20.0, max_msg_size=4 * wire.MAX_MESSAGE_BYTES,
                ssl=self._tls.ssl_argument(),
            )
        except aiohttp.ClientError as exc:
            await self._session.close()
            untrusted = await self._tls.untrusted(exc)
            if untrusted is not None:
                raise untrusted from exc
            raise
        except BaseException:
            await self._session.close()
            raise
        self._reader = asyncio.create_task(self._read_loop())

    async def send(self, message: Message) -> None:
        if self._ws is None or self._ws.closed:
            raise ConnectionError("signalling is not connected")
        await self._ws.send_str(wire.encode(message))

    async def request(self, message: Message, timeout: float = 15.0) -> Message:
        if self._ws is None or self._ws.closed:
            raise ConnectionError("signalling is not connected")
        rid = next(self._ids)
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        try:
            await self._ws.send_str(wire.encode(message, rid))
            reply = await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(rid, None)
        if isinstance(reply, Error):
            raise ProtocolError(code_of(reply.code), reply.message, rid)
        return reply

    async def _read_loop(self) -> None:
        assert self._ws is not None
        try:
            async for msg in self._ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                try:
                    message, rid = wire.decode(msg.data)
                except ProtocolError as exc:
                    logger.warning("signalling: unreadable message from server: %s", exc)
                    continue
                future = self._pending.get(rid) if rid is not None else None
                if future is not None and not future.done():
                    future.set_result(message)
                else:
                    try:
                        self._on_message(message)
                    except Exception:
                        logger.exception("signalling: handler failed for %s", message.TYPE)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("signalling connection closed"))
            self.closed.set()

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        self.closed.set()
