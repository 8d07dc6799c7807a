"""A whole meeting on each store: bots join, see each other and chat, the timer ends it once
and the webhook says so once. The bots cannot tell SQLite from PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from server.app import start_server
from server.clock import ManualClock
from server.http.keys import CLUSTER_KEY, LIFECYCLE_KEY
from support import LIGHT_SMALL, RunningBot, Server, bounded, config_for, eventually


@pytest.fixture
async def hooks() -> AsyncIterator[list[dict]]:
    """A webhook receiver on loopback: the bodies it got."""
    received: list[dict] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    received.append({"url": f"http://127.0.0.1:{runner.addresses[0][1]}/hook"})
    try:
        yield received
    finally:
        await runner.cleanup()


@pytest.fixture
async def stored_server(store_location: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Server]:
    data_dir = tmp_path / "data"
    config = dataclasses.replace(config_for(data_dir), store=store_location, allow_private_webhooks=True)
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(base_url, session, clock, app, data_dir)
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


async def test_bots_meet_chat_and_the_timer_ends_it_once(stored_server: Server, hooks: list[dict]) -> None:
    server = stored_server
    hook_url = hooks.pop(0)["url"]
    status, _ = await server.call("POST", "/v1/webhooks", {"url": hook_url, "events": ["meeting.ended"]})
    assert status == 201
    meeting = await server.create_meeting(settings_override={"limits": {"max_duration_seconds": 60}})
    ada, grace = [RunningBot(await server.join_url(meeting["id"], n), **LIGHT_SMALL) for n in ("Ada", "Grace")]
    await eventually(lambda: ada.report.attendee_id and grace.report.attendee_id, what="both in")
    await eventually(lambda: ada.report.frames_received.get(grace.report.attendee_id, 0) >= 5
                     and grace.report.frames_received.get(ada.report.attendee_id, 0) >= 5,
                     timeout=20, what="each receiving the other's video")
    await ada.session.send_chat("hello from Ada")
    await eventually(lambda: any(c.text == "hello from Ada" for c in grace.session.chat), what="chat")

    server.clock.advance(60)
    lifecycle = server.app[LIFECYCLE_KEY]
    assert await lifecycle.check() == [(meeting["id"], "timer_expired")]
    assert await lifecycle.check() == []  # once
    assert [(await b.task).end_reason for b in (ada, grace)] == ["timer_expired", "timer_expired"]
    await eventually(lambda: len(hooks) == 1, what="the webhook")
    assert hooks[0]["type"] == "meeting.ended" and hooks[0]["meeting"]["end_reason"] == "timer_expired"
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert data["meeting"]["ended_at"] == "2027-01-15T08:01:00.000Z"
    assert {a.name for a in server.meetings.list_attendees(meeting["id"])} == {"Ada", "Grace"}


async def test_the_health_check_fails_while_the_store_cannot_be_reached(stored_server: Server) -> None:
    server = stored_server
    status, data = await server.call("GET", "/healthz", auth=False)
    assert (status, data) == (200, {"status": "ok"})
    server.app[CLUSTER_KEY].store.close()  # as good as a database gone: a balancer stops sending here
    status, data = await server.call("GET", "/healthz", auth=False)
    assert status == 503 and data["error"]["code"] == "server_restarting"
