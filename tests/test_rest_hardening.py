"""What a participant or an anonymous client can no longer do over REST (issue 20, items 5 and
11): change a meeting's settings without the capability, flood everyone with `meeting_updated`
and webhooks, read `/metrics` without the key, leave a join token in the access log, or join
again and again with one token by changing address.

Everything runs on loopback and stops by itself. The REST limiter's buckets run on a frozen
clock here (``frozen_rest_clock``), so the counts are exact, whatever the machine's speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import wire
from server.app import start_server
from server.clock import ManualClock
from server.config import ServerConfig
from server.events import ServerEvent
from server.http import contract
from server.http.access_log import REDACTED, scrub
from server.http.callers import ADDRESS_RATE, MAX_BUCKETS, TOKEN_RATE, RestLimiter, TokenJoinLimiter
from server.http.keys import WEBHOOKS_KEY
from server.tokens import TokenSigner
from support import API_KEY, AUTH, T0, Server, bounded
from wire import ErrorCode, Join, ProtocolError


@pytest.fixture
def frozen_rest_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's REST limiter never refills: every bucket holds exactly its burst."""
    monkeypatch.setattr(contract, "RestLimiter", functools.partial(RestLimiter, clock=lambda: 0.0))


@contextlib.asynccontextmanager
async def run(tmp_path: Path, **options: Any) -> AsyncIterator[Server]:
    config = ServerConfig(port=0, data_dir=tmp_path / "data", api_key=API_KEY, **options)
    clock = ManualClock(T0)
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(base_url, session, clock, app, tmp_path / "data")
    finally:
        await bounded(runner.cleanup(), 30, "the server's cleanup")


@pytest.fixture
async def guarded(tmp_path: Path, frozen_rest_clock: None) -> AsyncIterator[Server]:
    # deliveries to a closed loopback port: stored and tried, never received
    async with run(tmp_path, joins_per_minute=0, allow_private_webhooks=True,
                   webhook_retry_delays=(3600.0,)) as server:
        yield server


async def call(server: Server, method: str, path: str, body: Any = None,
               token: str | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with server.session.request(method, server.base_url + path, json=body, headers=headers) as response:
        return response.status, await response.json(), dict(response.headers)


def recorded(server: Server, kind: str) -> list[ServerEvent]:
    events: list[ServerEvent] = []
    server.meetings.events.subscribe(lambda e: events.append(e) if e.type == kind else None)
    return events


async def frames_of(ws: aiohttp.ClientWebSocketResponse, quiet: float = 0.5) -> list[dict[str, Any]]:
    """What the socket received until it was quiet for ``quiet`` seconds."""
    frames = []
    while True:
        try:
            msg = await asyncio.wait_for(ws.receive(), quiet)
        except TimeoutError:
            return frames
        if msg.type != aiohttp.WSMsgType.TEXT:
            return frames
        frames.append(json.loads(msg.data))


# --- item 5: every change needs its capability ----------------------------------------------------


async def test_a_change_that_changes_nothing_still_needs_a_capability(guarded: Server) -> None:
    server = guarded
    meeting = await server.create_meeting(settings_override={"limits": {"max_duration_seconds": 600}})
    participant = (await server.add_attendee(meeting["id"], user_id="u-eve", name="Eve", role="participant"))["join_token"]
    updates = recorded(server, "meeting.updated")
    path = f"/v1/meetings/{meeting['id']}"
    for override in ({"limits": {}}, {"limits": {"max_duration_seconds": 600}}, {"anything": {}}, {"limits": None}):
        status, data, _ = await call(server, "PATCH", path, {"settings_override": override}, participant)
        assert (status, data["error"]["code"]) == (403, ErrorCode.MISSING_CAPABILITY), override

    # a role that may change the duration, and only that, may not send an empty `limits`
    status, _, _ = await call(server, "POST", "/v1/call-types", {
        "name": "timed", "grants": {"host": ["join-call", "change-max-duration"]}}, API_KEY)
    assert status == 201
    timed = await server.create_meeting(call_type="timed")
    host = (await server.add_attendee(timed["id"]))["join_token"]
    status, data, _ = await call(server, "PATCH", f"/v1/meetings/{timed['id']}",
                                 {"settings_override": {"limits": {}}}, host)
    assert (status, data["error"]["code"]) == (403, ErrorCode.MISSING_CAPABILITY)
    assert "update-call-settings" in data["error"]["message"]
    status, _, _ = await call(server, "PATCH", f"/v1/meetings/{timed['id']}",
                              {"settings_override": {"limits": {"max_duration_seconds": 900}}}, host)
    assert status == 200
    assert len(updates) == 1  # only the real change was told

    # with the capability (or the key), a change that changes nothing tells nobody
    for token in (API_KEY, host):
        status, data, _ = await call(server, "PATCH", f"/v1/meetings/{timed['id']}",
                                     {"settings_override": {"limits": {"max_duration_seconds": 900}}}, token)
        assert status == 200 and data["meeting"]["settings"]["limits"]["max_duration_seconds"] == 900
    assert len(updates) == 1


async def test_300_patches_reach_everyone_a_bounded_number_of_times(guarded: Server) -> None:
    server = guarded
    status, data, _ = await call(server, "POST", "/v1/webhooks",
                                 {"url": "http://127.0.0.1:9/hook", "events": ["meeting.updated"]}, API_KEY)
    assert status == 201
    webhook_id = data["webhook"]["id"]
    meeting = await server.create_meeting()
    host = (await server.add_attendee(meeting["id"]))["join_token"]
    eve = await server.add_attendee(meeting["id"], user_id="u-eve", name="Eve", role="participant")
    updates = recorded(server, "meeting.updated")

    ws_url = server.base_url.replace("http", "ws", 1) + "/v1/rtc"
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
        await ws.send_str(wire.encode(Join(meeting_id=meeting["id"], token=eve["join_token"]), 1))
        assert any(f["type"] == "joined" for f in await frames_of(ws))

        answers: list[tuple[int, dict[str, str]]] = []
        for i in range(300):
            override = {"limits": {"max_duration_seconds": 600 + 60 * (i % 2)}}  # a real change each time
            status, data, headers = await call(server, "PATCH", f"/v1/meetings/{meeting['id']}",
                                               {"settings_override": override}, host)
            answers.append((status, headers))
            if status == 429:
                assert data["error"]["code"] == ErrorCode.RATE_LIMITED
                assert int(headers["Retry-After"]) >= 1
        told = [f for f in await frames_of(ws) if f["type"] == "meeting_updated"]

    accepted = sum(1 for status, _ in answers if status == 200)
    assert accepted == TOKEN_RATE.burst  # the token's share; then the address's share runs out too
    assert {status for status, _ in answers} == {200, 429}
    assert len(updates) == accepted and len(told) == accepted
    assert len(server.app[WEBHOOKS_KEY].deliveries(webhook_id, limit=1000)) == accepted
    # the operator's backend is counted apart, so it is never locked out by its users
    status, _, _ = await call(server, "GET", f"/v1/meetings/{meeting['id']}", token=API_KEY)
    assert status == 200


async def test_anonymous_requests_are_limited_per_address(guarded: Server) -> None:
    statuses = []
    for i in range(ADDRESS_RATE.burst + 20):
        # made-up tokens each get a fresh token bucket, but the address's bucket still empties
        status, data, headers = await call(guarded, "GET", "/healthz", token=f"made-up-{i}")
        statuses.append(status)
        if status == 429:
            assert data == {"error": {"code": "rate_limited", "message": data["error"]["message"]}}
            assert headers["Retry-After"] == "1"
    assert statuses == [200] * ADDRESS_RATE.burst + [429] * 20


def test_quiet_callers_are_forgotten_and_the_buckets_stay_bounded() -> None:
    now = [0.0]
    limiter = RestLimiter(clock=lambda: now[0])
    for i in range(30_000):  # made-up tokens from many addresses
        limiter.wait(f"127.0.{i // 250}.{i % 250}", f"token-{i}", api_key=False)
    assert limiter.tracked() <= 2 * MAX_BUCKETS
    now[0] += 3600
    assert limiter.wait("127.0.0.1", "token-1", api_key=False) == 0.0


# --- /metrics --------------------------------------------------------------------------------------


async def test_metrics_need_the_api_key(guarded: Server) -> None:
    status, data, headers = await call(guarded, "GET", "/metrics")
    assert (status, data["error"]["code"]) == (401, "unauthorized")
    async with guarded.session.get(guarded.base_url + "/metrics", headers=AUTH) as response:
        assert response.status == 200 and "parley_rooms 0" in await response.text()


async def test_metrics_public_when_the_operator_says_so(tmp_path: Path) -> None:
    async with run(tmp_path, metrics_public=True) as server:
        async with server.session.get(server.base_url + "/metrics") as response:
            assert response.status == 200 and "parley_participants 0" in await response.text()


# --- the access log --------------------------------------------------------------------------------


def test_scrub_blanks_every_token_parameter() -> None:
    line = ('127.0.0.1 "GET /m/abc?token=eyJ.sig&x=1 HTTP/1.1" 404 "https://a/m/b?invite_token=S3cr;t" '
            '"GET /v1/rtc?Join_Token=zzz"')
    scrubbed = scrub(line)
    assert "eyJ" not in scrubbed and "S3cr" not in scrubbed and "zzz" not in scrubbed
    assert f"?token={REDACTED}&x=1" in scrubbed and "/m/abc" in scrubbed


async def test_a_join_link_opened_in_a_browser_leaves_no_token_in_the_access_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")  # before the server: aiohttp checks once
    async with run(tmp_path) as server:
        token = (await server.add_attendee((await server.create_meeting())["id"]))["join_token"]
        for path in (f"/m/some-meeting?token={token}", f"/healthz?token={token}&x=1"):
            async with server.session.get(server.base_url + path,
                                          headers={"Referer": f"https://mail.example/?token={token}"}) as response:
                await response.read()
        await asyncio.sleep(0.1)  # aiohttp logs after the response is sent
    records = [r for r in caplog.records if r.name == "aiohttp.access" and "token=" in r.getMessage()]
    assert len(records) == 2
    for record in records:
        assert token not in record.getMessage() and REDACTED in record.getMessage()
        assert token not in repr(vars(record))


# --- joins per token -------------------------------------------------------------------------------


def test_joins_are_limited_per_token_whatever_the_address() -> None:
    clock = ManualClock(T0)
    signer = TokenSigner(b"k" * 32, clock)
    now = [0.0]
    limiter = TokenJoinLimiter(signer, per_minute=5, clock=lambda: now[0])
    ada, grace = signer.issue("m", "a-1", 3600), signer.issue("m", "a-2", 3600)
    invite = signer.issue_invite("m", "participant", 3600, "inv-1")
    for _ in range(5):
        limiter.check(ada)
    with pytest.raises(ProtocolError) as refused:
        limiter.check(ada)
    assert refused.value.code is ErrorCode.RATE_LIMITED
    limiter.check(grace)  # someone else's token is not affected
    for _ in range(50):  # an invite link is shared: ten times as many
        limiter.check(invite)
    with pytest.raises(ProtocolError):
        limiter.check(invite)
    for _ in range(100):  # a forged token is not counted here (the join refuses it)
        limiter.check("forged")
    now[0] += 60.0
    limiter.check(ada)  # a minute later, the share is back


async def test_changing_address_does_not_reset_the_join_limit(tmp_path: Path) -> None:
    async with run(tmp_path, joins_per_minute=2, joins_per_token_per_minute=3) as server:
        meeting = await server.create_meeting()
        token = (await server.add_attendee(meeting["id"]))["join_token"]
        ws_url = server.base_url.replace("http", "ws", 1) + "/v1/rtc"
        codes = []
        for source in ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"):  # each its own address
            connector = aiohttp.TCPConnector(local_addr=(source, 0))
            async with aiohttp.ClientSession(connector=connector) as http, \
                    http.ws_connect(ws_url, max_msg_size=0) as ws:
                await ws.send_str(wire.encode(Join(meeting_id=meeting["id"], token=token), 1))
                frames = [f for f in await frames_of(ws, 0.3) if f["type"] in ("joined", "error")]
                codes.append(frames[0].get("code", "joined"))
        assert codes == ["joined", "joined", "joined", ErrorCode.RATE_LIMITED]


def test_the_operator_switches_are_off_unless_given(tmp_path: Path) -> None:
    from server.cli import parse_args

    plain = parse_args([], environ={}, home=tmp_path)
    assert (plain.allow_private_webhooks, plain.metrics_public) == (False, False)
    assert plain.joins_per_token_per_minute == 20
    given = parse_args(["--allow-private-webhooks", "--metrics-public"], environ={}, home=tmp_path)
    assert (given.allow_private_webhooks, given.metrics_public) == (True, True)
