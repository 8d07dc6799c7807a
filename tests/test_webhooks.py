"""Webhooks: the REST calls, and signed, retried deliveries to a real receiver on 127.0.0.1.

The receiver is on loopback, which webhooks may reach only when the operator allows it: these
servers run as ``parley-server --allow-private-webhooks`` does (tests/test_webhook_safety.py
shows the refusal without it)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import json
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from server.app import build_app
from server.clock import ManualClock
from server.config import ServerConfig
from server.events import EVENT_TYPES, EventBus, ServerEvent
from server.store_sqlite import SqliteStore
from server.http.keys import LIFECYCLE_KEY, MEETINGS_KEY, WEBHOOKS_KEY
from server.webhooks import WebhookDispatcher, sign, verify_signature
from support import API_KEY, AUTH, T0, eventually

DELAYS = (0.05, 0.1)

MEETING = {
    "id": "m-1",
    "call_type": "default",
    "settings": {"limits": {"max_duration_seconds": 1800, "max_participants": 100}},
    "created_at": "2027-01-15T08:00:00.000Z",
    "session": {"started_at": "2027-01-15T08:00:00.000Z", "participants": [],
                "timer_ends_at": "2027-01-15T08:30:00.000Z"},
    "ended_at": None,
    "end_reason": None,
}
ATTENDEE = {"id": "a-1", "user_id": "u-ada", "name": "Ada", "role": "host"}


def event(kind: str, clock: ManualClock, meeting_id: str = "m-1") -> ServerEvent:
    participant = kind.startswith("participant.")
    return ServerEvent(
        kind, clock.now(), {**MEETING, "id": meeting_id},
        attendee=ATTENDEE if participant else None,
        reason="left" if kind == "participant.left" else None,
    )


# --- the receiver -----------------------------------------------------------------------------


@dataclass
class Received:
    name: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST to ``/hook/{name}``.

    Per name it can answer 500 to the first N requests, to all of them, or answer slowly.
    """

    base_url: str = ""
    requests: list[Received] = field(default_factory=list)
    fail_first: dict[str, int] = field(default_factory=dict)
    always_fail: set[str] = field(default_factory=set)
    slow: dict[str, float] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"{self.base_url}/hook/{name}"

    def to(self, name: str) -> list[Received]:
        return [r for r in self.requests if r.name == name]

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        received = Received(name, dict(request.headers), await request.read())
        self.requests.append(received)
        if name in self.slow:
            await asyncio.sleep(self.slow[name])
        if name in self.always_fail or len(self.to(name)) <= self.fail_first.get(name, 0):
            return web.Response(status=500, text="nope")
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook/{name}", rec.handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0,
                           handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rec.base_url = f"http://127.0.0.1:{port}"
    try:
        yield rec
    finally:
        await runner.cleanup()


# --- the Parley server (build_app wires the dispatcher) ---------------------------------------


@dataclass
class Parley:
    base_url: str
    session: aiohttp.ClientSession
    app: web.Application
    runner: web.AppRunner
    clock: ManualClock

    @property
    def bus(self) -> EventBus:
        return self.app[MEETINGS_KEY].events

    @property
    def dispatcher(self) -> WebhookDispatcher:
        return self.app[WEBHOOKS_KEY]

    async def call(self, method: str, path: str, body: Any = None, *,
                   headers: dict[str, str] | None = None) -> tuple[int, Any]:
        async with self.session.request(method, self.base_url + path, json=body,
                                        headers=AUTH if headers is None else headers) as response:
            return response.status, await response.json()

    async def create_webhook(self, url: str, events: list[str]) -> dict[str, Any]:
        status, data = await self.call("POST", "/v1/webhooks", {"url": url, "events": events})
        assert status == 201, data
        return data["webhook"]

    async def deliveries(self, webhook_id: str) -> list[dict[str, Any]]:
        status, data = await self.call("GET", f"/v1/webhooks/{webhook_id}")
        assert status == 200, data
        return data["deliveries"]

    def publish(self, kind: str, meeting_id: str = "m-1") -> None:
        self.bus.publish(event(kind, self.clock, meeting_id))

    async def stop(self) -> None:
        await self.runner.cleanup()


StartParley = Callable[..., Awaitable[Parley]]


@pytest.fixture
async def start_parley(tmp_path: Path, clock: ManualClock) -> AsyncIterator[StartParley]:
    """Start a Parley server (on the same data dir each time); all are stopped at the end."""
    runners: list[web.AppRunner] = []
    async with aiohttp.ClientSession() as session:

        async def start(delays: tuple[float, ...] = DELAYS) -> Parley:
            config = ServerConfig(port=0, data_dir=tmp_path / "data", api_key=API_KEY,
                                  webhook_retry_delays=delays, webhook_timeout_seconds=5.0,
                                  allow_private_webhooks=True)
            app = build_app(config, clock)
            runner = web.AppRunner(app, handle_signals=False)
            await runner.setup()
            runners.append(runner)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            app[MEETINGS_KEY].set_bound_address("127.0.0.1", port)  # join links point here
            return Parley(f"http://127.0.0.1:{port}", session, app, runner, clock)

        try:
            yield start
        finally:
            for runner in runners:
                await asyncio.wait_for(runner.cleanup(), 10)  # cleanup twice is harmless


@pytest.fixture
async def parley(start_parley: StartParley) -> Parley:
    return await start_parley()


def assert_error(status: int, data: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, data
    assert set(data) == {"error"}
    assert data["error"]["code"] == code
    assert data["error"]["message"]


# --- REST -------------------------------------------------------------------------------------


async def test_create_list_get_delete(parley: Parley) -> None:
    status, data = await parley.call(
        "POST", "/v1/webhooks",
        {"url": "https://hooks.example.com/parley", "events": ["meeting.started", "meeting.ended"]},
    )
    assert status == 201, data
    created = data["webhook"]
    assert re.fullmatch(r"wh_[A-Za-z0-9_-]{16}", created["id"])
    assert len(created["secret"]) >= 32
    assert created == {
        "id": created["id"],
        "url": "https://hooks.example.com/parley",
        "events": ["meeting.started", "meeting.ended"],
        "created_at": "2027-01-15T08:00:00.000Z",
        "secret": created["secret"],
    }
    everything = await parley.create_webhook("http://127.0.0.1:9/all", ["*"])
    assert everything["events"] == ["*"]

    shown = {k: v for k, v in created.items() if k != "secret"}
    status, data = await parley.call("GET", "/v1/webhooks")
    assert status == 200
    assert data == {"webhooks": [shown, {k: v for k, v in everything.items() if k != "secret"}]}

    status, data = await parley.call("GET", f"/v1/webhooks/{created['id']}")
    assert status == 200
    assert data == {"webhook": shown, "deliveries": []}
    assert created["secret"] not in json.dumps(data)

    status, data = await parley.call("DELETE", f"/v1/webhooks/{created['id']}")
    assert (status, data) == (200, {"webhook": shown})
    for method in ("GET", "DELETE"):
        assert_error(*await parley.call(method, f"/v1/webhooks/{created['id']}"), 404, "not_found")
    status, data = await parley.call("GET", "/v1/webhooks")
    assert [w["id"] for w in data["webhooks"]] == [everything["id"]]


async def test_repeated_events_are_stored_once(parley: Parley) -> None:
    webhook = await parley.create_webhook(
        "http://127.0.0.1:9/x", ["meeting.ended", "meeting.ended", "meeting.started"]
    )
    assert webhook["events"] == ["meeting.ended", "meeting.started"]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/hook", "events": ["meeting.started"]},
        {"url": "example.com/hook", "events": ["meeting.started"]},
        {"url": "/hook", "events": ["meeting.started"]},
        {"url": "http://", "events": ["meeting.started"]},
        {"url": "http://exa mple.com/", "events": ["meeting.started"]},
        {"url": "http://example.com:99999/", "events": ["meeting.started"]},
        {"url": "", "events": ["meeting.started"]},
        {"url": 5, "events": ["meeting.started"]},
        {"url": "https://example.com/hook", "events": []},
        {"url": "https://example.com/hook", "events": ["meeting.exploded"]},
        {"url": "https://example.com/hook", "events": "meeting.started"},
        {"url": "https://example.com/hook", "events": ["*", "meeting.started"]},
        {"url": "https://example.com/hook", "events": [3]},
        {"url": "https://example.com/hook"},
        {"events": ["meeting.started"]},
        {"url": "https://example.com/hook", "events": ["meeting.started"], "secret": "mine"},
    ],
)
async def test_create_refuses_bad_bodies(parley: Parley, body: dict[str, Any]) -> None:
    assert_error(*await parley.call("POST", "/v1/webhooks", body), 400, "bad_request")
    _, data = await parley.call("GET", "/v1/webhooks")
    assert data == {"webhooks": []}


async def test_every_call_needs_the_api_key(parley: Parley) -> None:
    webhook = await parley.create_webhook("https://example.com/hook", ["meeting.started"])
    calls = [("POST", "/v1/webhooks"), ("GET", "/v1/webhooks"),
             ("GET", f"/v1/webhooks/{webhook['id']}"), ("DELETE", f"/v1/webhooks/{webhook['id']}")]
    body = {"url": "https://example.com/other", "events": ["meeting.started"]}
    for headers in ({}, {"Authorization": "Bearer wrong-key"}):
        for method, path in calls:
            status, data = await parley.call(method, path, body, headers=headers)
            assert_error(status, data, 401, "unauthorized")
    _, data = await parley.call("GET", "/v1/webhooks")
    assert [w["id"] for w in data["webhooks"]] == [webhook["id"]]  # nothing created or deleted


# --- deliveries -------------------------------------------------------------------------------


async def test_events_are_delivered_signed_and_only_when_subscribed(
    parley: Parley, receiver: Receiver
) -> None:
    left_or_ended = await parley.create_webhook(
        receiver.url("some"), ["participant.left", "meeting.ended"]
    )
    everything = await parley.create_webhook(receiver.url("all"), ["*"])

    parley.publish("meeting.started")
    parley.clock.advance(1.5)
    parley.publish("participant.left")
    parley.publish("meeting.ended")
    await eventually(lambda: len(receiver.to("some")) == 2 and len(receiver.to("all")) == 3)

    # Deliveries for one webhook go in order, so a meeting.started would have come first.
    assert [r.json["type"] for r in receiver.to("some")] == ["participant.left", "meeting.ended"]
    assert [r.json["type"] for r in receiver.to("all")] == [
        "meeting.started", "participant.left", "meeting.ended"]

    left = receiver.to("some")[0]
    assert left.json == {
        "type": "participant.left",
        "created_at": "2027-01-15T08:00:01.500Z",
        "meeting": MEETING,
        "attendee": ATTENDEE,
        "reason": "left",
    }
    assert left.body == json.dumps(left.json, separators=(",", ":")).encode()
    assert receiver.to("all")[0].json == {
        "type": "meeting.started", "created_at": "2027-01-15T08:00:00.000Z", "meeting": MEETING,
    }
    assert receiver.to("all")[1].body == left.body  # serialized once, the same bytes to all

    deliveries = {d["event_type"]: d for d in await parley.deliveries(left_or_ended["id"])}
    for received, secret in [(r, left_or_ended["secret"]) for r in receiver.to("some")] + [
        (r, everything["secret"]) for r in receiver.to("all")
    ]:
        timestamp, delivery_id = received.headers["X-Parley-Timestamp"], received.headers["X-Parley-Delivery"]
        assert timestamp == str(int(parley.clock.now()))
        signed = f"{timestamp}.{delivery_id}.".encode() + received.body
        expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        assert received.headers["X-Parley-Signature"] == expected
        assert verify_signature(secret, received.body, received.headers, parley.clock.now())
        assert received.headers["X-Parley-Event"] == received.json["type"]
        assert received.headers["Content-Type"] == "application/json"
        assert received.headers["User-Agent"] == "parley-server"
    other_secret = everything["secret"]
    assert not verify_signature(other_secret, left.body, left.headers, parley.clock.now())

    assert set(deliveries) == {"participant.left", "meeting.ended"}
    assert left.headers["X-Parley-Delivery"] == str(deliveries["participant.left"]["id"])
    assert deliveries["participant.left"] == {
        "id": deliveries["participant.left"]["id"],
        "event_type": "participant.left",
        "status": "delivered",
        "attempts": 1,
        "last_error": None,
        "created_at": "2027-01-15T08:00:01.500Z",
        "next_attempt_at": None,
        "delivered_at": "2027-01-15T08:00:01.500Z",
    }


async def test_failed_attempts_are_retried_until_delivered(
    parley: Parley, receiver: Receiver
) -> None:
    receiver.fail_first["flaky"] = 2
    webhook = await parley.create_webhook(receiver.url("flaky"), ["meeting.updated"])
    parley.publish("meeting.updated")
    await eventually(lambda: len(receiver.to("flaky")) == 3)
    await eventually(lambda: parley.dispatcher.deliveries(webhook["id"])[0].status != "pending")
    [delivery] = await parley.deliveries(webhook["id"])
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 3
    assert delivery["last_error"] == "HTTP 500"  # what the last failed attempt met
    assert delivery["delivered_at"] is not None
    attempts = receiver.to("flaky")
    assert len({a.body for a in attempts}) == 1  # the same delivery each time
    assert {a.headers["X-Parley-Delivery"] for a in attempts} == {str(delivery["id"])}
    assert attempts[0].json["meeting"]["session"]["timer_ends_at"] == "2027-01-15T08:30:00.000Z"


async def test_a_delivery_that_keeps_failing_ends_failed(parley: Parley, receiver: Receiver) -> None:
    receiver.always_fail.add("down")
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    down = await parley.create_webhook(receiver.url("down"), ["meeting.ended"])
    refused = await parley.create_webhook(f"http://127.0.0.1:{closed_port}/hook", ["meeting.ended"])
    parley.publish("meeting.ended")

    def settled() -> bool:
        return all(parley.dispatcher.deliveries(w["id"])[0].status == "failed" for w in (down, refused))

    await eventually(settled)
    await asyncio.sleep(0.3)  # longer than every delay: no attempt after "failed"
    assert len(receiver.to("down")) == len(DELAYS) + 1
    [delivery] = await parley.deliveries(down["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == (
        "failed", len(DELAYS) + 1, "HTTP 500")
    assert delivery["delivered_at"] is None and delivery["next_attempt_at"] is None
    [delivery] = await parley.deliveries(refused["id"])
    assert (delivery["status"], delivery["attempts"]) == ("failed", len(DELAYS) + 1)
    assert delivery["last_error"] == "connection failed"  # a category, never the system's words


async def test_publishing_never_waits_for_receivers(parley: Parley, receiver: Receiver) -> None:
    receiver.slow["slow"] = 1.0
    slow = await parley.create_webhook(receiver.url("slow"), ["participant.joined"])
    fast = await parley.create_webhook(receiver.url("fast"), ["participant.joined"])
    assert not inspect.iscoroutinefunction(parley.dispatcher.on_event)

    for i in range(100):
        assert parley.bus.publish(event("participant.joined", parley.clock, f"m-{i}")) is None
    # Nothing was awaited: no request has been sent yet, but every delivery is stored.
    assert receiver.requests == []
    for webhook in (slow, fast):
        stored = parley.dispatcher.deliveries(webhook["id"], limit=1000)
        assert len(stored) == 100 and {d.status for d in stored} == {"pending"}

    # A slow receiver holds up only its own webhook; the other gets everything, in order.
    await eventually(lambda: len(receiver.to("fast")) == 100)
    assert [r.json["meeting"]["id"] for r in receiver.to("fast")] == [f"m-{i}" for i in range(100)]
    assert len(receiver.to("slow")) <= 2
    # Closing does not wait for the slow receiver; what it did not get stays pending.
    await asyncio.wait_for(parley.dispatcher.close(), 2.0)
    assert sum(d.status == "pending" for d in parley.dispatcher.deliveries(slow["id"], 1000)) >= 98


async def test_deleting_a_webhook_stops_its_retries(start_parley: StartParley, receiver: Receiver) -> None:
    parley = await start_parley(delays=(0.3, 0.3, 0.3))
    receiver.always_fail.add("gone")
    webhook = await parley.create_webhook(receiver.url("gone"), ["meeting.started"])
    parley.publish("meeting.started")
    await eventually(lambda: len(receiver.to("gone")) == 1)
    status, _ = await parley.call("DELETE", f"/v1/webhooks/{webhook['id']}")
    assert status == 200
    await asyncio.sleep(0.5)
    assert len(receiver.to("gone")) == 1


async def test_pending_deliveries_resume_after_a_restart(
    start_parley: StartParley, receiver: Receiver, clock: ManualClock
) -> None:
    receiver.fail_first["later"] = 1
    first = await start_parley(delays=(30.0,))
    webhook = await first.create_webhook(receiver.url("later"), ["meeting.ended"])
    first.publish("meeting.ended")
    await eventually(lambda: first.dispatcher.deliveries(webhook["id"])[0].attempts == 1)
    [before] = await first.deliveries(webhook["id"])
    assert (before["status"], before["last_error"]) == ("pending", "HTTP 500")
    assert before["next_attempt_at"] == "2027-01-15T08:00:30.000Z"
    await first.stop()  # with the retry 30 s away

    clock.advance(31)  # the retry is due
    second = await start_parley(delays=(30.0,))
    await eventually(lambda: len(receiver.to("later")) == 2)
    await eventually(lambda: second.dispatcher.deliveries(webhook["id"])[0].status == "delivered")
    [after] = await second.deliveries(webhook["id"])
    assert (after["id"], after["attempts"], after["delivered_at"]) == (
        before["id"], 2, "2027-01-15T08:00:31.000Z")
    assert receiver.to("later")[0].body == receiver.to("later")[1].body


# --- the dispatcher on its own ------------------------------------------------------------------


async def test_events_published_before_start_are_sent_at_start(
    tmp_path: Path, receiver: Receiver
) -> None:
    clock = ManualClock(T0)
    store = SqliteStore(tmp_path / "store.sqlite3")
    bus = EventBus()
    config = ServerConfig(data_dir=tmp_path, webhook_retry_delays=DELAYS, allow_private_webhooks=True)
    dispatcher = WebhookDispatcher(store, clock, config, bus)
    try:
        webhook = await dispatcher.create_webhook(receiver.url("early"), list(EVENT_TYPES))
        dispatcher.on_event(event("meeting.started", clock))  # not started, not subscribed
        [stored] = dispatcher.deliveries(webhook.id)
        assert (stored.status, stored.attempts) == ("pending", 0)

        dispatcher.start()
        bus.publish(event("meeting.ended", clock))
        await eventually(lambda: len(receiver.to("early")) == 2)
        assert [r.json["type"] for r in receiver.to("early")] == ["meeting.started", "meeting.ended"]
        first = receiver.to("early")[0]
        assert first.headers["X-Parley-Signature"] == sign(
            webhook.secret, int(clock.now()), first.headers["X-Parley-Delivery"], first.body)
        await eventually(lambda: {d.status for d in dispatcher.deliveries(webhook.id)} == {"delivered"})
    finally:
        await dispatcher.close()
        await dispatcher.close()  # idempotent
        store.close()
    bus.publish(event("meeting.ended", clock))  # after close: no longer subscribed, nothing happens


async def test_a_real_meeting_tells_its_story_by_webhook(parley: Parley, receiver: Receiver) -> None:
    """Bots join a timed meeting, a host extends it, someone leaves, the timer runs out: each
    step reaches the webhook, signed, in order."""
    from support import LIGHT_SMALL, RunningBot

    hook = await parley.create_webhook(receiver.url("story"), ["*"])
    status, data = await parley.call("POST", "/v1/meetings", {"settings_override": {"limits": {"max_duration_seconds": 60}}})
    meeting_id = data["meeting"]["id"]
    urls = []
    for name in ("Ada", "Grace"):
        status, data = await parley.call("POST", f"/v1/meetings/{meeting_id}/attendees",
                                         {"user_id": name.lower(), "name": name, "role": "host"})
        urls.append(data["join_url"])
    ada = RunningBot(urls[0], **LIGHT_SMALL)
    await eventually(lambda: ada.report.attendee_id is not None, what="Ada in")
    grace = RunningBot(urls[1], **LIGHT_SMALL)
    await eventually(lambda: grace.report.attendee_id is not None, what="Grace in")
    await ada.session.extend(60)
    await grace.finish()
    await eventually(lambda: len(receiver.to("story")) >= 5, what="five events")
    parley.clock.advance(120)
    assert await parley.app[LIFECYCLE_KEY].check() == [(meeting_id, "timer_expired")]
    await ada.task
    await eventually(lambda: any(r.json["type"] == "meeting.ended" for r in receiver.to("story")), what="ended")

    story = [r.json for r in receiver.to("story")]
    assert [e["type"] for e in story] == ["meeting.started", "participant.joined", "participant.joined",
                                         "meeting.updated", "participant.left", "meeting.ended"]
    assert story[1]["attendee"]["name"] == "Ada" and story[2]["attendee"]["name"] == "Grace"
    assert story[3]["meeting"]["session"]["timer_ends_at"] == "2027-01-15T08:02:00.000Z"
    assert story[4]["reason"] == "left"
    assert story[5]["meeting"]["end_reason"] == "timer_expired"
    assert all(verify_signature(hook["secret"], r.body, r.headers, float(r.headers["X-Parley-Timestamp"]))
               for r in receiver.to("story"))
