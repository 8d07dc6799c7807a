"""Janus's Admin API (optional: ``--janus-admin-url``, ``--janus-admin-secret``): the figures
Janus keeps of each handle, read with ``handle_info``.

Janus counts, per handle and per m-line (``info.webrtc.media[mid]``): the packets it received
and sent (``stats.in.packets``, ``stats.out.packets``), the packets it found missing on what it
receives (``rtcp.main.lost``: the publisher's uplink) and those the other end says it missed of
what Janus sent (``rtcp.main.lost-by-remote``, from the receiver reports: the subscriber's
downlink), all cumulative. :class:`MediaCounters` is that, per mid; :class:`LossMeter` turns two
readings into the share lost in between.

The Admin API is a separate WebSocket endpoint (janus.transport.websockets.jcfg ``admin_ws``,
subprotocol ``janus-admin-protocol``); every request carries the ``admin_secret`` of janus.jcfg.
A request names the session and the handle: the backend's own, on the same instance.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

#: How often the backend reads every handle's figures.
POLL_SECONDS = 2.0
#: A reading needs this many packets (lost or not) since the last to say a share lost.
MIN_PACKETS = 20
REQUEST_TIMEOUT_SECONDS = 5.0


class AdminGone(Exception):
    """The Admin API endpoint cannot be reached, or refuses us (a wrong admin secret)."""


class AdminRefused(Exception):
    """The Admin API refused one request (a handle that is gone meanwhile, say)."""

#: Janus's error code for a request without the right secret
UNAUTHORIZED = 403


@dataclass(frozen=True)
class MediaCounters:
    """One m-line's counters as Janus reported them (cumulative since the handle began)."""

    kind: str
    packets_in: int = 0
    packets_out: int = 0
    lost_in: int = 0  # missing from what Janus received (uplink loss)
    lost_by_remote: int = 0  # missing at the far end of what Janus sent (downlink loss)


def media_counters(info: dict[str, Any]) -> dict[str, MediaCounters]:
    """mid -> counters, from a ``handle_info`` reply's ``info`` (empty when the handle has no
    PeerConnection yet)."""
    media = (info.get("webrtc") or {}).get("media") or {}
    found = {}
    for mid, m in media.items():
        if not isinstance(m, dict) or m.get("type") not in ("audio", "video"):
            continue
        stats = m.get("stats") or {}
        rtcp = (m.get("rtcp") or {}).get("main") or {}
        found[str(mid)] = MediaCounters(
            kind=str(m["type"]),
            packets_in=int((stats.get("in") or {}).get("packets", 0)),
            packets_out=int((stats.get("out") or {}).get("packets", 0)),
            lost_in=int(rtcp.get("lost", 0)),
            lost_by_remote=int(rtcp.get("lost-by-remote", 0)))
    return found


class LossMeter:
    """The share of packets lost between two readings of cumulative counters (sent or
    received, and lost); None until enough packets went by to tell."""

    def __init__(self) -> None:
        self._last: tuple[int, int] | None = None
        self.loss: float | None = None

    def read(self, packets: int, lost: int) -> float | None:
        """The share lost since the last reading that said one (a reading with fewer than
        MIN_PACKETS since then says None and waits for the next)."""
        last = self._last
        if last is None or packets < last[0] or lost < last[1]:  # first reading, or counters restarted
            self._last, self.loss = (packets, lost), None
            return None
        got, missed = packets - last[0], lost - last[1]
        if got + missed < MIN_PACKETS:
            return None
        self._last = (packets, lost)
        self.loss = missed / (got + missed)
        return self.loss


class JanusAdmin:
    """One WebSocket to one instance's Admin API. ``handle_info`` connects on first use and
    again after a failure; AdminGone when it cannot."""

    def __init__(self, url: str, secret: str | None) -> None:
        self.url = url
        self._secret = secret
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task | None = None

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is not None and not self._ws.closed:
            return self._ws
        await self.close()
        self._http = aiohttp.ClientSession()
        try:
            self._ws = await self._http.ws_connect(self.url, protocols=("janus-admin-protocol",), heartbeat=None,
                                                   max_msg_size=0)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            await self.close()
            raise AdminGone(f"cannot reach the janus admin api at {self.url}: {exc or type(exc).__name__}") from None
        self._reader = asyncio.get_running_loop().create_task(self._read(self._ws))
        return self._ws

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                try:
                    reply = json.loads(msg.data)
                except ValueError:
                    continue
                future = self._pending.get(str(reply.get("transaction", ""))) if isinstance(reply, dict) else None
                if future is not None and not future.done():
                    future.set_result(reply)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(AdminGone("the admin api socket closed"))

    async def request(self, body: dict[str, Any]) -> dict[str, Any]:
        ws = await self._connect()
        transaction = secrets.token_hex(8)
        message = dict(body, transaction=transaction)
        if self._secret:
            message["admin_secret"] = self._secret
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        try:
            await ws.send_str(json.dumps(message))
            async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                reply = await future
        except (ConnectionError, RuntimeError, aiohttp.ClientError, TimeoutError) as exc:
            await self.close()
            raise AdminGone(f"the janus admin api at {self.url} did not answer: {exc or type(exc).__name__}") from None
        finally:
            self._pending.pop(transaction, None)
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            why = f"the janus admin api at {self.url} refused {body.get('janus')}: {error.get('reason', 'error')}"
            raise AdminGone(why) if error.get("code") == UNAUTHORIZED else AdminRefused(why)
        return reply

    async def handle_info(self, session_id: int, handle_id: int) -> dict[str, MediaCounters]:
        reply = await self.request({"janus": "handle_info", "session_id": session_id, "handle_id": handle_id})
        return media_counters(reply.get("info") or {})

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._http is not None:
            await self._http.close()
            self._http = None
