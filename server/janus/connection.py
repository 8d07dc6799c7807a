"""One WebSocket to one Janus gateway: a Janus session on it, its handles, its transactions.

Janus's WebSocket API (subprotocol ``janus-protocol``) is request/response by ``transaction``:
``create`` makes a session, ``attach`` a plugin handle in it, ``message`` sends the plugin a
request (a synchronous plugin request is answered ``success``; an asynchronous one ``ack`` first
and ``event`` later, with the same transaction). What a plugin sends by itself arrives as an
``event`` without our transaction, addressed by ``sender`` (the handle): it goes to that handle's
``on_event``. The session lives while keepalives arrive (every ``KEEPALIVE_SECONDS``, below
Janus's 60 s ``session_timeout``).

When the socket closes, or Janus stops answering, every request waiting fails with
:class:`JanusGone` and ``on_closed`` is called once: the backend then moves its meetings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

#: Janus closes a session after 60 s without a request (``session_timeout``).
KEEPALIVE_SECONDS = 20.0
#: A request Janus has not answered in this long counts as Janus being gone.
REQUEST_TIMEOUT_SECONDS = 10.0

Event = dict[str, Any]
OnEvent = Callable[[Event], None]


class JanusError(Exception):
    """Janus (or its plugin) refused a request: ``code`` and ``reason`` as Janus gave them."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class JanusGone(Exception):
    """The connection to this Janus instance is lost (or it never answered)."""


def plugin_data(reply: Event) -> dict[str, Any]:
    """The plugin's own answer in a reply or event; JanusError when it is a refusal."""
    data = reply.get("plugindata", {}).get("data", {})
    if "error_code" in data or "error" in data:
        raise JanusError(int(data.get("error_code", 0)), str(data.get("error", "refused")))
    return data


class JanusConnection:
    """A Janus session over one WebSocket. Build it with :meth:`open`; ``close()`` is idempotent."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, http: aiohttp.ClientSession,
                 api_secret: str | None, on_closed: Callable[[], None]) -> None:
        self._ws = ws
        self._http = http
        self._api_secret = api_secret
        self._on_closed = on_closed
        self._pending: dict[str, tuple[asyncio.Future[Event], bool]] = {}
        self._handles: dict[int, OnEvent] = {}
        self.session_id = 0
        self.closed = False
        self._reader: asyncio.Task | None = None
        self._keepalive: asyncio.Task | None = None
        self._shutting: asyncio.Task | None = None

    @classmethod
    async def open(cls, url: str, api_secret: str | None, on_closed: Callable[[], None],
                   timeout: float = REQUEST_TIMEOUT_SECONDS) -> "JanusConnection":
        """Connect to ``url`` and create a session; JanusGone when it cannot."""
        http = aiohttp.ClientSession()
        try:
            ws = await http.ws_connect(url, protocols=("janus-protocol",), heartbeat=None,
                                       timeout=aiohttp.ClientWSTimeout(ws_close=timeout),
                                       max_msg_size=0)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            await http.close()
            raise JanusGone(f"cannot reach janus at {url}: {exc or type(exc).__name__}") from None
        connection = cls(ws, http, api_secret, on_closed)
        connection._reader = asyncio.get_running_loop().create_task(connection._read_loop())
        try:
            reply = await connection.request({"janus": "create"})
        except (JanusGone, JanusError):
            await connection.close()
            raise
        connection.session_id = int(reply["data"]["id"])
        connection._keepalive = asyncio.get_running_loop().create_task(connection._keepalive_loop())
        return connection

    # --- requests ------------------------------------------------------------------------------

    async def request(self, body: Event, *, handle: int | None = None,
                      timeout: float = REQUEST_TIMEOUT_SECONDS) -> Event:
        """Send ``body`` (a Janus API request) and wait for its final reply: ``success``, or
        the ``event`` an asynchronous plugin request is answered with. JanusError for a refusal
        by Janus itself (a plugin's refusal is read by :func:`plugin_data`)."""
        if self.closed:
            raise JanusGone("the connection to janus is closed")
        transaction = secrets.token_hex(8)
        message = dict(body, transaction=transaction)
        if self.session_id:
            message["session_id"] = self.session_id
        if handle is not None:
            message["handle_id"] = handle
        if self._api_secret:
            message["apisecret"] = self._api_secret
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        # an asynchronous plugin request is acked first; only its event ends it
        self._pending[transaction] = (future, body.get("janus") == "message")
        try:
            await self._ws.send_str(json.dumps(message))
            async with asyncio.timeout(timeout):
                reply = await future
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            self._lost(f"send failed: {exc}")
            raise JanusGone("the connection to janus is closed") from None
        except TimeoutError:
            self._lost(f"no reply to {body.get('janus')} within {timeout:g} s")
            raise JanusGone(f"janus did not answer {body.get('janus')} in time") from None
        finally:
            self._pending.pop(transaction, None)
        if reply.get("janus") == "error":
            error = reply.get("error", {})
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "error")))
        return reply

    async def attach(self, plugin: str, on_event: OnEvent) -> int:
        """A new handle on ``plugin``; what the plugin sends by itself goes to ``on_event``."""
        reply = await self.request({"janus": "attach", "plugin": plugin})
        handle = int(reply["data"]["id"])
        self._handles[handle] = on_event
        return handle

    async def message(self, handle: int, body: Event, jsep: Event | None = None) -> Event:
        """A request to the plugin behind ``handle``; its reply (``plugindata``, maybe ``jsep``)."""
        request: Event = {"janus": "message", "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        return await self.request(request, handle=handle)

    async def detach(self, handle: int) -> None:
        """Let go of ``handle`` (its PeerConnection ends with it); quiet when Janus is gone."""
        self._handles.pop(handle, None)
        if self.closed:
            return
        try:
            await self.request({"janus": "detach"}, handle=handle)
        except (JanusGone, JanusError) as exc:
            logger.debug("janus: detach %s: %s", handle, exc)

    # --- the socket ----------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            async for msg in self._ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                try:
                    event = json.loads(msg.data)
                except ValueError:
                    logger.warning("janus: a message that is not JSON")
                    continue
                if isinstance(event, dict):
                    self._dispatch(event)
        except Exception:  # the socket broke mid-read
            logger.debug("janus: reading failed", exc_info=True)
        finally:
            self._lost("the socket closed")

    def _dispatch(self, event: Event) -> None:
        kind = event.get("janus")
        waiting = self._pending.get(str(event.get("transaction", "")))
        if waiting is not None:
            future, acked_first = waiting
            if kind == "ack" and acked_first:
                return
            if not future.done():
                future.set_result(event)
            return
        if kind in ("event", "hangup", "webrtcup", "media", "slowlink", "detached"):
            on_event = self._handles.get(int(event.get("sender", 0) or 0))
            if on_event is not None:
                try:
                    on_event(event)
                except Exception:
                    logger.exception("janus: handling a %s event failed", kind)
        elif kind == "timeout":
            self._lost("janus timed the session out")

    async def _keepalive_loop(self) -> None:
        while not self.closed:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            try:
                await self.request({"janus": "keepalive"})
            except (JanusGone, JanusError) as exc:
                self._lost(f"keepalive failed: {exc}")
                return

    def _lost(self, why: str) -> None:
        if self.closed:
            return
        self.closed = True
        logger.warning("janus: connection lost (%s)", why)
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(JanusGone(why))
        self._pending.clear()
        self._handles.clear()
        for task in (self._keepalive, self._reader):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._shutting = asyncio.get_running_loop().create_task(self._shut())
        self._on_closed()

    async def _shut(self) -> None:
        try:
            await self._ws.close()
        finally:
            await self._http.close()

    async def close(self) -> None:
        """End the session and the socket (idempotent); ``on_closed`` is not called for this."""
        if self.closed:
            return
        if self.session_id:
            try:
                await self.request({"janus": "destroy"}, timeout=2.0)
            except (JanusGone, JanusError):
                pass
        if self.closed:
            return
        self.closed = True
        for task in (self._keepalive, self._reader):
            if task is not None:
                task.cancel()
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(JanusGone("closed"))
        self._pending.clear()
        await self._shut()
