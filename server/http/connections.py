"""The listening socket, guarded: how many connections one address may hold, and how long a
connection may take to say what it wants.

An idle connection costs a file descriptor, and the process has about a thousand. So:

* one address (an IPv6 /64 counts as one) holds at most ``connections_per_address`` at once,
  WebSockets, keep-alive HTTP and TLS handshakes under way included; one more is answered
  ``429`` (plain HTTP; with TLS it is closed, as the refusal would cost a handshake) and closed;
* a TLS handshake must finish within ``tls_handshake_timeout_seconds``;
* a new connection must have sent its request's headers within ``header_timeout_seconds``
  (after that first request, aiohttp's keep-alive timeout closes idle connections and ones
  that trickle the next request; a socket that never joins is closed by the signalling);
* a refusal or a cut is logged at most once a minute per address, so a flood cannot fill the
  disk with the log.

:class:`GuardedSite` is an aiohttp site that listens with this guard in front of aiohttp's own
request handler; everything admitted reaches aiohttp unchanged.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from collections import Counter
from typing import Any

from aiohttp import web

from .ratelimit import LogThrottle

log = logging.getLogger(__name__)

#: What a refused plain-HTTP connection reads (the body in the REST error form).
_REFUSAL_BODY = (b'{"error": {"code": "rate_limited", "message": "too many connections from your '
                 b'address"}}')
REFUSAL = (b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
           b"Connection: close\r\nRetry-After: 10\r\nContent-Length: "
           + str(len(_REFUSAL_BODY)).encode() + b"\r\n\r\n" + _REFUSAL_BODY)
#: A refused connection is given this long to read the refusal before it is closed ...
REFUSAL_LINGER_SECONDS = 1.0
#: ... unless this many refused ones linger already (then it is closed at once).
MAX_LINGERING = 256


def address_key(host: str) -> str:
    """Who a connection counts against: its address, or its /64 for IPv6 (one host's share)."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ConnectionGuard:
    """Counts open connections per address and refuses past the cap (0: no cap)."""

    def __init__(self, per_address: int, header_timeout: float, tls_handshake_timeout: float,
                 log_interval: float = 60.0) -> None:
        self.per_address = per_address
        self.header_timeout = header_timeout
        self.tls_handshake_timeout = tls_handshake_timeout
        self.open: Counter[str] = Counter()
        #: how many connections were refused, and cut for want of headers (for tests, metrics)
        self.refused = 0
        self.cut = 0
        self.lingering = 0
        #: connections aiohttp does not know of (yet): refused ones reading their 429, TLS
        #: handshakes under way; the site aborts them when it stops
        self.unhandled: set[asyncio.BaseTransport] = set()
        self._log = LogThrottle(log_interval)

    def admit(self, key: str) -> bool:
        if self.per_address > 0 and self.open[key] >= self.per_address:
            self.refused += 1
            if self._log.allow(key):
                log.warning("refusing connections from %s: it holds %d, the most one address may "
                            "(logged once a minute per address)", key, self.open[key])
            return False
        self.open[key] += 1
        return True

    def release(self, key: str) -> None:
        self.open[key] -= 1
        if self.open[key] <= 0:
            del self.open[key]

    def close(self) -> None:
        for transport in list(self.unhandled):
            transport.abort()
        self.unhandled.clear()

    def headers_late(self, key: str) -> None:
        self.cut += 1
        if self._log.allow(key):
            log.info("closed a connection from %s: no request headers within %g s (logged once a "
                     "minute per address)", key, self.header_timeout)


GUARD_KEY = web.AppKey("connection_guard", ConnectionGuard)


class GuardedProtocol(asyncio.Protocol):
    """One connection: admitted or refused by the guard, then (after TLS, if any) handed to
    aiohttp's request handler, with a deadline on its first request's headers."""

    def __init__(self, guard: ConnectionGuard, handler_factory: Any,
                 ssl_context: ssl.SSLContext | None) -> None:
        self._guard = guard
        self._factory = handler_factory
        self._ssl = ssl_context
        self._key = ""
        self._admitted = False
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._tail = b""  # the last bytes seen while waiting for the end of the headers
        self._raw: asyncio.Transport | None = None  # the TCP transport under TLS
        self._tls: asyncio.Task[None] | None = None
        self._early: list[bytes] = []  # what TLS decrypted before the handler was made

    # --- asyncio's calls -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        self._key = address_key(str(peer[0])) if isinstance(peer, tuple) and peer else ""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # The loop is stopping: under qasync (the app hosting a meeting in-process, the GUI
            # tests) Qt still runs what was queued after the loop stopped. Nobody would serve it.
            transport.abort()
            return
        if not self._guard.admit(self._key):
            self._refuse(transport)
            return
        self._admitted = True
        # the deadline covers the TLS handshake too: a request is due this long after connecting
        self._deadline = loop.call_later(self._guard.header_timeout, self._headers_late)
        if self._ssl is None:
            self._start(transport)
        else:
            self._raw = transport
            self._guard.unhandled.add(transport)
            transport.pause_reading()  # start_tls takes over from here, before any data is read
            self._tls = loop.create_task(self._start_tls(transport))

    def data_received(self, data: bytes) -> None:
        if self._inner is None:
            if self._admitted:  # TLS: the request came with the end of the handshake
                self._early.append(data)
            return  # a refused connection: what it sends is not read
        if self._deadline is not None:
            seen = self._tail + data
            if b"\r\n\r\n" in seen or b"\n\n" in seen:
                self._deadline.cancel()
                self._deadline = None
                self._tail = b""
            else:
                self._tail = seen[-3:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        if self._inner is None:
            if self._transport is not None:
                self._transport.close()  # a refused client read its 429 and closed
            return None
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        if self._inner is not None:
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    # --- ours ------------------------------------------------------------------------------

    def _start(self, transport: asyncio.Transport) -> None:
        if self._raw is not None:
            self._guard.unhandled.discard(self._raw)
        self._transport = transport
        self._inner = self._factory()
        self._inner.connection_made(transport)
        early, self._early = self._early, []
        for data in early:
            self.data_received(data)

    async def _start_tls(self, transport: asyncio.Transport) -> None:
        loop = asyncio.get_running_loop()
        try:
            secure = await loop.start_tls(transport, self, self._ssl, server_side=True,
                                          ssl_handshake_timeout=self._guard.tls_handshake_timeout)
        except Exception:  # a failed, abandoned or timed-out handshake (asyncio logs it at debug)
            transport.abort()
            self._release()
            return
        if transport.is_closing():
            self._release()
            return
        self._start(secure)

    def _headers_late(self) -> None:
        self._deadline = None
        self._guard.headers_late(self._key)
        transport = self._transport or self._raw  # under TLS, maybe still in the handshake
        if transport is not None:
            transport.abort()

    def _release(self) -> None:
        if self._raw is not None:
            self._guard.unhandled.discard(self._raw)
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._admitted:
            self._admitted = False
            self._guard.release(self._key)

    def _refuse(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        guard = self._guard
        if self._ssl is not None or guard.lingering >= MAX_LINGERING:
            transport.abort()
            return
        # The 429, then a half-close; the client's request (unread) is drained for a moment so
        # that closing does not reset the connection before the client reads the refusal.
        transport.write(REFUSAL)
        if transport.can_write_eof():
            transport.write_eof()
        guard.lingering += 1
        guard.unhandled.add(transport)

        def done() -> None:
            guard.lingering -= 1
            guard.unhandled.discard(transport)
            transport.abort()

        asyncio.get_running_loop().call_later(REFUSAL_LINGER_SECONDS, done)


class GuardedSite(web.BaseSite):
    """``web.TCPSite``, with a :class:`ConnectionGuard` in front of aiohttp's handler."""

    __slots__ = ("_host", "_port", "_guard")

    def __init__(self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard, *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(runner, ssl_context=ssl_context)
        self._host = host
        self._port = port
        self._guard = guard

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://{self._host}:{self._port}"

    async def stop(self) -> None:
        await super().stop()
        self._guard.close()

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        guard, ssl_context = self._guard, self._ssl_context
        # TLS is started per connection (GuardedProtocol), so the guard counts handshakes too
        self._server = await asyncio.get_running_loop().create_server(
            lambda: GuardedProtocol(guard, server, ssl_context), self._host, self._port,
            backlog=self._backlog)
