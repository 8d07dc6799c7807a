"""Sending a meeting's traffic to the node that runs it (several nodes on one database).

A live meeting runs on the node holding its lease (``server/cluster.py``); a load balancer in
front of the nodes may send its people anywhere. This node then relays:

* **the signalling socket**: once ``join`` names a meeting another live node holds, the
  socket is piped to that node's ``/v1/rtc`` (the ``join`` first, then every frame both ways,
  and the owner's close code back). The media connections go straight to the owner: the
  addresses in its SDP are its own.
* **REST calls about a meeting** (``/v1/meetings/{id}`` and below): forwarded as they are,
  with the owner's answer returned, so changes to a live meeting (settings, removals, ending)
  reach its room at once and its live roster is the one shown.

A relayed request carries ``X-Parley-Relayed`` and is never relayed again. An owner that
cannot be reached: the socket gets ``server_restarting`` (the client tries again, and this node
takes the meeting over once its lease has run out); a REST call is answered here from the
database.
"""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp
from aiohttp import WSMsgType, web

import wire
from wire import Error, ErrorCode

from .errors import Handler
from .keys import CLUSTER_KEY

log = logging.getLogger(__name__)

RELAYED_HEADER = "X-Parley-Relayed"
#: A meeting's REST paths: ``/v1/meetings/{id}`` and below.
_MEETING_PATH = re.compile(r"^/v1/meetings/([^/]+)(?:/.*)?$")
#: Headers that belong to one hop, not to the request.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                         "trailer", "transfer-encoding", "upgrade", "host", "content-length"})
CONNECT_TIMEOUT_SECONDS = 3.0
SESSION_KEY = web.AppKey("relay_session", aiohttp.ClientSession)


def install(app: web.Application) -> None:
    """One HTTP client for every relay, opened and closed with the app."""

    async def session(app: web.Application):
        app[SESSION_KEY] = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_SECONDS), trust_env=False)
        yield
        await app[SESSION_KEY].close()

    app.cleanup_ctx.append(session)


async def relay_socket(ws: web.WebSocketResponse, session: aiohttp.ClientSession, owner_url: str,
                       join_text: str, rid: int | None, frame_limit: int) -> None:
    """Pipe the client's socket ``ws`` (its ``join``, ``join_text``, not answered yet) to the
    node at ``owner_url`` until either side closes."""
    try:
        upstream = await session.ws_connect(owner_url.rstrip("/") + "/v1/rtc", headers={RELAYED_HEADER: "1"},
                                            heartbeat=20.0, max_msg_size=frame_limit, autoping=True)
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        log.warning("relay: the meeting's node at %s cannot be reached (%s)", owner_url, type(exc).__name__)
        refusal = Error(code=ErrorCode.SERVER_RESTARTING,
                        message="this meeting's server is not answering; join again in a moment")
        try:
            await ws.send_str(wire.encode(refusal, rid))
        finally:
            await ws.close()
        return
    try:
        await upstream.send_str(join_text)
        down = asyncio.ensure_future(_pipe(upstream, ws))
        up = asyncio.ensure_future(_pipe(ws, upstream))
        await asyncio.wait((down, up), return_when=asyncio.FIRST_COMPLETED)
        for task in (down, up):
            task.cancel()
        await asyncio.gather(down, up, return_exceptions=True)
    finally:
        code = upstream.close_code
        await upstream.close()
        if not ws.closed:
            # the owner's own close code (meeting ended, dropped, ...); an owner gone without one:
            # "going away", and the client reconnects
            await ws.close(code=code if code is not None and 1000 <= code < 5000 and code not in (1005, 1006)
                           else aiohttp.WSCloseCode.GOING_AWAY)


async def _pipe(source, sink) -> None:
    async for msg in source:
        if msg.type == WSMsgType.TEXT:
            await sink.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await sink.send_bytes(msg.data)
        else:
            break


@web.middleware
async def relay_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """REST calls about a meeting another live node runs go to that node."""
    cluster = request.app.get(CLUSTER_KEY)
    if cluster is None or not cluster.shared or RELAYED_HEADER in request.headers:
        return await handler(request)
    match = _MEETING_PATH.match(request.path)
    owner = cluster.owner_url(match.group(1)) if match else None
    if owner is None:
        return await handler(request)
    body = await request.read()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
    headers[RELAYED_HEADER] = "1"
    try:
        async with request.app[SESSION_KEY].request(request.method, owner.rstrip("/") + request.path_qs,
                                                    data=body, headers=headers, allow_redirects=False) as answer:
            content = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP
                    and k.lower() not in ("date", "server", "content-encoding")}
            return web.Response(status=answer.status, body=content, headers=kept)
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        log.warning("relay: the meeting's node at %s cannot be reached (%s); answering here",
                    owner, type(exc).__name__)
        return await handler(request)
