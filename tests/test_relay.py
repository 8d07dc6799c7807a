"""Two nodes in one process on one PostgreSQL database: what reaches the node that does not run
a meeting goes to the one that does — the signalling socket of a join, and REST calls about
the meeting — so nobody can tell which node they reached."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from server.app import start_server
from server.clock import ManualClock
from server.http.keys import CLUSTER_KEY, ROOMS_KEY
from server.http.relay import RELAYED_HEADER
from support import AUTH, LIGHT_SMALL, RunningBot, Server, bounded, config_for, eventually
from wire import Capability, Join, encode


@pytest.fixture
async def two_nodes(postgres_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[tuple[Server, Server]]:
    runners = []
    servers = []
    try:
        async with aiohttp.ClientSession() as session:
            for name in ("a", "b"):
                config = dataclasses.replace(config_for(tmp_path / name), store=postgres_url, node_id=name,
                                             lease_seconds=0.6)  # a heartbeat every 0.2 s
                runner, base_url, app = await start_server(config, clock)
                runners.append(runner)
                servers.append(Server(base_url, session, clock, app, tmp_path / name))
            yield servers[0], servers[1]
    finally:
        for runner in runners:
            await bounded(runner.cleanup(), 45, "a node's cleanup")


async def test_a_join_and_rest_calls_at_the_other_node_reach_the_meeting(two_nodes) -> None:
    a, b = two_nodes
    meeting = await a.create_meeting(settings_override={"limits": {"max_duration_seconds": 600}})
    ada = RunningBot(await a.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    await eventually(lambda: ada.report.attendee_id is not None, what="Ada in, on a")
    grace = RunningBot(await b.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)  # made and joined at b
    await eventually(lambda: grace.report.attendee_id is not None, what="Grace in, through b")
    assert b.app[ROOMS_KEY].live_room(meeting["id"]) is None  # b relays; the meeting runs on a
    assert {p.attendee.name for p in a.app[ROOMS_KEY].live_room(meeting["id"]).people()} == {"Ada", "Grace"}
    await eventually(lambda: grace.report.frames_received.get(ada.report.attendee_id, 0) >= 5,
                     timeout=20, what="Grace receiving Ada's video from a")

    status, data = await b.call("GET", f"/v1/meetings/{meeting['id']}")  # b asks a: the live roster
    assert {p["name"] for p in data["meeting"]["session"]["participants"]} == {"Ada", "Grace"}
    status, data = await b.call("PATCH", f"/v1/meetings/{meeting['id']}",
                                {"settings_override": {"limits": {"max_duration_seconds": 1200}}})
    assert status == 200
    ends = data["meeting"]["session"]["timer_ends_at"]
    await eventually(lambda: ada.session.meeting.timer_ends_at == ends
                     and grace.session.meeting.timer_ends_at == ends, what="both told the new timer")
    status, _ = await b.call("DELETE", f"/v1/meetings/{meeting['id']}")
    assert status == 200
    assert [(await bot.task).end_reason for bot in (ada, grace)] == ["deleted", "deleted"]


async def test_a_call_type_changed_at_the_other_node_reaches_the_room(two_nodes) -> None:
    a, b = two_nodes
    status, _ = await a.call("POST", "/v1/call-types", {
        "name": "webinar", "grants": {"viewer": [Capability.JOIN_CALL]},
        "settings": {"limits": {"max_duration_seconds": None, "max_participants": 100}}})
    assert status == 201
    meeting = await a.create_meeting(call_type="webinar")
    ada = RunningBot(await a.join_url(meeting["id"], "Ada", role="viewer"), camera="none", mic="none",
                     **LIGHT_SMALL)
    await eventually(lambda: ada.report.attendee_id is not None, what="Ada in, on a")
    assert ada.session.roster.capabilities == (Capability.JOIN_CALL,)
    status, _ = await b.call("PATCH", "/v1/call-types/webinar", {"grants": {"viewer": [Capability.JOIN_CALL, Capability.SEND_AUDIO]}})
    assert status == 200
    await eventually(lambda: Capability.SEND_AUDIO in ada.session.roster.capabilities,
                     what="a's room told by its heartbeat")
    await ada.finish()


async def test_a_relayed_join_is_never_relayed_again(two_nodes) -> None:
    a, b = two_nodes
    meeting = await a.create_meeting()
    ada = RunningBot(await a.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    await eventually(lambda: ada.report.attendee_id is not None, what="Ada in, on a")
    assert b.app[CLUSTER_KEY].owner_url(meeting["id"]) == a.base_url
    status, data = await a.call("POST", f"/v1/meetings/{meeting['id']}/attendees",
                                {"user_id": "u-g", "name": "Grace", "role": "participant"})
    token = data["join_token"]
    async with aiohttp.ClientSession() as session:
        # a socket that says it was relayed, at a node that does not run the meeting (the lease
        # moved on the way): refused, to be tried again, never sent round the nodes
        async with session.ws_connect(b.base_url.replace("http", "ws", 1) + "/v1/rtc",
                                      headers={RELAYED_HEADER: "1"}) as ws:
            await ws.send_str(encode(Join(meeting_id=meeting["id"], token=token), 1))
            reply = await ws.receive_json(timeout=10)
    assert (reply["type"], reply["code"], reply["rid"]) == ("error", "server_restarting", 1)
    await ada.finish()


async def test_a_node_that_stops_hands_its_meetings_over_at_once(postgres_url: str, tmp_path: Path,
                                                                 clock: ManualClock) -> None:
    configs = [dataclasses.replace(config_for(tmp_path / name), store=postgres_url, node_id=name) for name in "ab"]
    runner_a, url_a, app_a = await start_server(configs[0], clock)
    runner_b, url_b, app_b = await start_server(configs[1], clock)
    try:
        async with aiohttp.ClientSession() as session:
            a = Server(url_a, session, clock, app_a, tmp_path / "a")
            meeting = await a.create_meeting()
            ada = RunningBot(await a.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
            await eventually(lambda: ada.report.attendee_id is not None, what="Ada in, on a")
            assert app_b[CLUSTER_KEY].owner_url(meeting["id"]) == url_a
            await bounded(runner_a.cleanup(), 45, "a's stop")  # SIGTERM: Ada is told to come back
            # b takes the meeting at once: no lease to wait for (the clock has not moved)
            assert app_b[CLUSTER_KEY].owner_url(meeting["id"]) is None
            assert app_b[CLUSTER_KEY].place(meeting["id"]) is None
            ada.stop.set()
            await asyncio.wait_for(ada.task, 20)
    finally:
        await bounded(runner_a.cleanup(), 45, "a's cleanup")
        await bounded(runner_b.cleanup(), 45, "b's cleanup")


async def test_an_owner_that_cannot_be_reached(two_nodes) -> None:
    a, b = two_nodes
    meeting = await a.create_meeting()
    store, now = b.app[CLUSTER_KEY].store, b.clock.now()
    # a node that registered, took the meeting, and died without a word (nothing listens there)
    store.register_node("ghost", "http://127.0.0.1:9", now, now + 60)
    assert store.claim_meeting(meeting["id"], "ghost", now, now + 60) == "ghost"
    status, data = await b.call("GET", f"/v1/meetings/{meeting['id']}")  # answered here instead
    assert status == 200 and data["meeting"]["id"] == meeting["id"]
    status, data = await b.call("POST", f"/v1/meetings/{meeting['id']}/attendees",
                                {"user_id": "u-g", "name": "Grace", "role": "participant"})
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(b.base_url.replace("http", "ws", 1) + "/v1/rtc") as ws:
            await ws.send_str(encode(Join(meeting_id=meeting["id"], token=data["join_token"]), 7))
            reply = await ws.receive_json(timeout=10)
    assert (reply["type"], reply["code"], reply["rid"]) == ("error", "server_restarting", 7)  # try again
    b.clock.advance(61)  # the ghost's lease ran out: the next join takes the meeting over
    assert b.app[CLUSTER_KEY].place(meeting["id"]) is None
