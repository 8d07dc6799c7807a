"""Webhooks: what happens to meetings, POSTed to URLs the operator registers.

Each webhook has a URL, the event types it wants (``server.events.EVENT_TYPES``, or ``["*"]``
for all of them, including types added later) and a secret. For every event it wants, the
webhook gets one delivery: a POST whose body is::

    {"type": "participant.left", "created_at": "2027-01-15T08:00:00.000Z",
     "meeting": {...}, "attendee": {...}, "reason": "left"}

``attendee`` is in ``participant.*`` events only and ``reason`` in ``participant.left`` only;
``meeting`` is the meeting as REST shows it (``timer_ends_at``, ``end_reason``, ...). Headers:

* ``X-Parley-Timestamp: <unix seconds of this attempt>`` and ``X-Parley-Delivery: <delivery id>``
* ``X-Parley-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<delivery id>.<raw body>">``,
  keyed with the webhook's secret: a receiver that checks the timestamp is recent (5 minutes,
  ``SIGNATURE_TOLERANCE_SECONDS``) and remembers the delivery ids it has seen cannot be fed a
  recorded delivery again (:func:`verify_signature`)
* ``X-Parley-Event: <type>``, ``Content-Type: application/json``, ``User-Agent: parley-server``

A 2xx answer is a delivery; anything else (another status, a redirect, a refused connection,
a timeout) is a failed attempt, tried again after each of ``ServerConfig.webhook_retry_delays``
in turn and then recorded as ``failed``. ``last_error`` names only what kind of failure it
was ("HTTP 500", "timed out", "connection failed", ...), never the system's error text, which
would tell the API-key holder which ports are open on hosts it cannot otherwise reach. URLs
that point at the server's own machine or network are refused unless the operator allows them
(``server/webhook_targets.py``). Every delivery is stored (``server/store.py``) before it
is sent, so those still pending when the server stops go on after a restart. With several
server nodes on one database (``server/cluster.py``) a delivery is sent by the node that
claimed it (the one that stored it); the pending ones of a node that died are claimed by
another at its heartbeat (``adopt``), never by two.

Delivery never delays a meeting: the bus callback only writes the delivery to the store and
queues it. Each webhook has its own lane (an asyncio task that exists while it has work), which
sends that webhook's deliveries one at a time, in order — a failing delivery holds back the
later ones *of the same webhook* while it waits to be retried, never another webhook's.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from wire import ErrorCode, ProtocolError

from .clock import Clock, iso
from .config import ServerConfig
from .events import EVENT_TYPES, EventBus, ServerEvent
from .store import DeliveryRecord, Store, WebhookRecord
from .webhook_targets import ForbiddenAddress, GuardedResolver, check_destination, forbidden, literal_address

log = logging.getLogger(__name__)

#: In a webhook's ``events``: every event type, now and later.
ALL_EVENTS = "*"
SIGNATURE_HEADER = "X-Parley-Signature"
EVENT_HEADER = "X-Parley-Event"
DELIVERY_HEADER = "X-Parley-Delivery"
TIMESTAMP_HEADER = "X-Parley-Timestamp"
#: How far a delivery's timestamp may be from the receiver's clock (``verify_signature``).
SIGNATURE_TOLERANCE_SECONDS = 300.0
USER_AGENT = "parley-server"
#: How many deliveries ``GET /v1/webhooks/{id}`` shows (the newest).
DELIVERIES_SHOWN = 50
MAX_URL_CHARS = 2048


def signed_payload(timestamp: int, delivery_id: int | str, body: bytes) -> bytes:
    """What the signature covers: ``<timestamp>.<delivery id>.<body>``."""
    return f"{timestamp}.{delivery_id}.".encode("ascii") + body


def sign(secret: str, timestamp: int, delivery_id: int | str, body: bytes) -> str:
    """The ``X-Parley-Signature`` value: ``sha256=<hex HMAC-SHA256 of the signed payload>``."""
    payload = signed_payload(timestamp, delivery_id, body)
    return "sha256=" + hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, headers: Mapping[str, str], now: float,
                     tolerance: float = SIGNATURE_TOLERANCE_SECONDS) -> bool:
    """For receivers: whether ``headers`` (a delivery's) sign ``body`` with ``secret`` and
    the timestamp is within ``tolerance`` seconds of ``now``. Constant time. The receiver
    still remembers the delivery ids it has handled, to drop a replay inside the tolerance."""
    try:
        timestamp = int(headers.get(TIMESTAMP_HEADER, ""))
    except ValueError:
        return False
    delivery_id = headers.get(DELIVERY_HEADER, "")
    if abs(now - timestamp) > tolerance or not delivery_id.isdigit():
        return False
    expected = sign(secret, timestamp, delivery_id, body)
    return hmac.compare_digest(expected.encode("ascii"),
                               headers.get(SIGNATURE_HEADER, "").encode("utf-8", "replace"))


def event_body(event: ServerEvent) -> dict[str, Any]:
    """What a delivery of ``event`` says, before it is serialized."""
    body: dict[str, Any] = {
        "type": event.type,
        "created_at": iso(event.created_at),
        "meeting": event.meeting,
    }
    if event.type.startswith("participant."):
        body["attendee"] = event.attendee
    if event.type == "participant.left":
        body["reason"] = event.reason
    return body


def wants(webhook: WebhookRecord, event_type: str) -> bool:
    return ALL_EVENTS in webhook.events or event_type in webhook.events


def check_url(url: str) -> URL:
    """The URL, or ``bad_request`` if it is not absolute http(s) with a host."""
    if not url or len(url) > MAX_URL_CHARS:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"url must be 1 to {MAX_URL_CHARS} characters")
    if url != url.strip() or any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "url must not contain spaces or control characters")
    try:
        parsed = URL(url)
        parsed.port  # noqa: B018 — raises ValueError on a bad port
    except (ValueError, TypeError) as exc:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"url is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "url must be an http:// or https:// URL with a host")
    if not (_HOSTNAME.fullmatch(parsed.raw_host or "") or _is_ip_address(parsed.raw_host or "")):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"url has no valid host name: {parsed.raw_host!r}")
    if parsed.explicit_port == 0:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "url must not name port 0")
    return parsed


#: A DNS name as yarl gives it (IDNA-encoded): dot-separated labels of letters, digits, '-' and
#: '_', none empty.
_HOSTNAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_events(events: list[str]) -> list[str]:
    """The event list to store: known types without repeats, or ``["*"]``; else ``bad_request``."""
    if not events:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "events must list at least one event type")
    if ALL_EVENTS in events:
        if any(e != ALL_EVENTS for e in events):
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"{ALL_EVENTS!r} stands for every event; list it alone")
        return [ALL_EVENTS]
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            f"unknown event type(s) {unknown}; known: {list(EVENT_TYPES)} or [{ALL_EVENTS!r}]",
        )
    return list(dict.fromkeys(events))


@dataclass
class _Lane:
    """One webhook's deliveries waiting to go out, in order, and the task sending them."""

    queue: collections.deque[DeliveryRecord] = dataclasses.field(default_factory=collections.deque)
    task: asyncio.Task[None] | None = None


class WebhookDispatcher:
    """Turns bus events into signed, stored, retried webhook deliveries.

    Use it on the event loop's thread. ``start()`` subscribes to the bus and resumes the
    deliveries left pending (e.g. by a restart); ``await close()`` unsubscribes and stops every
    lane — what was not delivered stays pending in the store for the next start. An event
    published while the dispatcher is not started is stored as pending and sent at ``start()``.
    """

    def __init__(self, store: Store, clock: Clock, config: ServerConfig, bus: EventBus,
                 node_id: str = "local") -> None:
        self._store = store
        #: the server node sending what it stores (``server/cluster.py``): a delivery is sent by
        #: the node that claimed it, and a dead node's are claimed by another (``adopt``)
        self._node_id = node_id
        self._clock = clock
        self._config = config
        self._bus = bus
        self._lanes: dict[str, _Lane] = {}
        self._session: aiohttp.ClientSession | None = None
        self._subscribed = False
        self._running = False

    # --- life --------------------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe to the bus and queue the deliveries still pending. Needs a running loop."""
        if self._running:
            return
        asyncio.get_running_loop()  # fail here, not in a later publish, when there is none
        guarded = not self._config.allow_private_webhooks
        # no DNS cache: each delivery resolves (and checks) its destination again
        connector = aiohttp.TCPConnector(resolver=GuardedResolver() if guarded else None,
                                         use_dns_cache=False)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self._config.webhook_timeout_seconds),
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )
        self._running = True
        if not self._subscribed:
            self._bus.subscribe(self.on_event)
            self._subscribed = True
        # in id order, so per webhook too; this node's own too (a restart under the same node id)
        for delivery in self._store.claim_deliveries(self._node_id, self._clock.now(), own=True):
            self._enqueue(delivery)

    def adopt(self) -> None:
        """Claim and queue the pending deliveries of server nodes that died (their heartbeat
        ran out), so each is still sent, by one node."""
        if self._running:
            for delivery in self._store.claim_deliveries(self._node_id, self._clock.now()):
                self._enqueue(delivery)

    async def close(self) -> None:
        """Stop sending: cancel every lane and close the HTTP session. Idempotent."""
        if self._subscribed:
            self._bus.unsubscribe(self.on_event)
            self._subscribed = False
        self._running = False
        lanes, self._lanes = list(self._lanes.values()), {}
        tasks = [lane.task for lane in lanes if lane.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # --- events ------------------------------------------------------------------------------

    def on_event(self, event: ServerEvent) -> None:
        """The bus callback: store one delivery per interested webhook and queue it.

        Synchronous and free of network I/O: the meeting that published never waits for a
        receiver. The body is serialized once and the same bytes go to every webhook.
        """
        webhooks = [w for w in self._store.list_webhooks() if wants(w, event.type)]
        if not webhooks:
            return
        body = json.dumps(event_body(event), separators=(",", ":"))
        now = self._clock.now()
        for webhook in webhooks:
            delivery = self._store.add_delivery(
                DeliveryRecord(None, webhook.id, event.type, body, now, next_attempt_at=now), self._node_id
            )
            if self._running:
                self._enqueue(delivery)

    # --- webhooks (what REST does) -----------------------------------------------------------

    async def create_webhook(self, url: str, events: list[str]) -> WebhookRecord:
        """Register ``url`` for ``events``; a URL to the server's own machine or network is
        refused unless the operator allows it (``server/webhook_targets.py``)."""
        parsed = check_url(url)
        events = check_events(events)
        if not self._config.allow_private_webhooks:
            await check_destination(parsed.raw_host or "", parsed.port or 0)
        webhook = WebhookRecord(
            id="wh_" + secrets.token_urlsafe(12),
            url=url,
            events=events,
            secret=secrets.token_urlsafe(32),
            created_at=self._clock.now(),
        )
        self._store.add_webhook(webhook)
        return webhook

    def list_webhooks(self) -> list[WebhookRecord]:
        return self._store.list_webhooks()

    def get_webhook(self, webhook_id: str) -> WebhookRecord:
        webhook = self._store.get_webhook(webhook_id)
        if webhook is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no webhook {webhook_id!r}")
        return webhook

    def deliveries(self, webhook_id: str, limit: int = DELIVERIES_SHOWN) -> list[DeliveryRecord]:
        """The webhook's latest deliveries, newest first."""
        return self._store.list_deliveries(webhook_id, limit)

    def delete_webhook(self, webhook_id: str) -> WebhookRecord:
        """Forget the webhook and its deliveries; one being sent is abandoned."""
        webhook = self.get_webhook(webhook_id)
        self._store.delete_webhook(webhook_id)
        lane = self._lanes.pop(webhook_id, None)
        if lane is not None and lane.task is not None:
            lane.task.cancel()
        return webhook

    # --- sending -----------------------------------------------------------------------------

    def _enqueue(self, delivery: DeliveryRecord) -> None:
        lane = self._lanes.get(delivery.webhook_id)
        if lane is None:
            lane = self._lanes[delivery.webhook_id] = _Lane()
        lane.queue.append(delivery)
        if lane.task is None:
            lane.task = asyncio.get_running_loop().create_task(
                self._run_lane(delivery.webhook_id, lane), name=f"webhook {delivery.webhook_id}"
            )

    async def _run_lane(self, webhook_id: str, lane: _Lane) -> None:
        """Send the lane's deliveries in order, then end (a new one starts with new work)."""
        try:
            while lane.queue:
                try:
                    await self._deliver(lane.queue[0])
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bug or a store failure: it stays pending for the next start
                    log.exception("webhook %s: delivery %s stopped", webhook_id, lane.queue[0].id)
                lane.queue.popleft()
        finally:
            lane.task = None
            if self._lanes.get(webhook_id) is lane and not lane.queue:
                del self._lanes[webhook_id]

    async def _deliver(self, delivery: DeliveryRecord) -> None:
        """Attempt ``delivery`` until it is delivered or out of retries, recording each attempt."""
        delays = self._config.webhook_retry_delays
        if delivery.attempts > 0 and delivery.next_attempt_at is not None:
            # Resumed after a restart: wait what is left of its delay (never more than the delay,
            # whatever the clock did meanwhile).
            full = delays[min(delivery.attempts, len(delays)) - 1] if delays else 0.0
            await asyncio.sleep(min(max(0.0, delivery.next_attempt_at - self._clock.now()), full))
        while True:
            webhook = self._store.get_webhook(delivery.webhook_id)
            if webhook is None:
                return  # deleted meanwhile
            error = await self._post(webhook, delivery)
            now = self._clock.now()
            attempts = delivery.attempts + 1
            if error is None:
                delivery = dataclasses.replace(
                    delivery, attempts=attempts, status="delivered", delivered_at=now,
                    next_attempt_at=None,
                )
                self._store.update_delivery(delivery)
                return
            if attempts > len(delays):
                delivery = dataclasses.replace(
                    delivery, attempts=attempts, status="failed", last_error=error,
                    next_attempt_at=None,
                )
                self._store.update_delivery(delivery)
                log.warning("webhook %s: delivery %s failed after %d attempts: %s",
                            webhook.id, delivery.id, attempts, error)
                return
            delay = delays[attempts - 1]
            delivery = dataclasses.replace(
                delivery, attempts=attempts, last_error=error, next_attempt_at=now + delay
            )
            self._store.update_delivery(delivery)
            await asyncio.sleep(delay)

    async def _post(self, webhook: WebhookRecord, delivery: DeliveryRecord) -> str | None:
        """One attempt: None if the receiver answered 2xx, else what went wrong."""
        session = self._session
        if session is None:
            raise RuntimeError("the webhook dispatcher is not started")
        body = delivery.body.encode("utf-8")
        timestamp, delivery_id = int(self._clock.now()), str(delivery.id)  # stored: it has an id
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(webhook.secret, timestamp, delivery_id, body),
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: delivery.event_type,
            DELIVERY_HEADER: delivery_id,
        }
        host = literal_address(URL(webhook.url).raw_host or "")
        if host is not None and forbidden(host) and not self._config.allow_private_webhooks:
            return ADDRESS_REFUSED  # aiohttp resolves no literal address: the guard is here
        try:
            async with session.post(webhook.url, data=body, headers=headers,
                                    allow_redirects=False) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except TimeoutError:  # aiohttp's own timeouts included
            return TIMED_OUT
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return _failure_kind(exc)  # only the kind of failure, never its text


#: ``last_error`` values besides "HTTP <status>": the kind of failure, never its text.
ADDRESS_REFUSED = "address not allowed"
TIMED_OUT = "timed out"
DNS_FAILED = "name not resolved"
CONNECTION_FAILED = "connection failed"
TLS_FAILED = "TLS failed"
BAD_RESPONSE = "bad response"
INVALID_URL = "invalid url"


def _failure_kind(exc: BaseException) -> str:
    """Which kind of failure ``exc`` is. An OS error's text (``Connection refused``, ``No
    route to host``) would tell whether a port is open, so it is never stored."""
    if _caused_by(exc, ForbiddenAddress):
        return ADDRESS_REFUSED
    if isinstance(exc, aiohttp.ClientConnectorDNSError) or _caused_by(exc, socket.gaierror):
        return DNS_FAILED
    if isinstance(exc, (aiohttp.ClientSSLError, ssl.SSLError)):
        return TLS_FAILED
    if isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, OSError)):
        return CONNECTION_FAILED
    if isinstance(exc, aiohttp.ClientError):
        return BAD_RESPONSE
    return INVALID_URL


def _caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, kind):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
