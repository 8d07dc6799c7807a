"""The REST side of the meeting server, against a real server on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from server.http.errors import HTTP_STATUS
from server.app import build_app, start_server
from server.clock import ManualClock
from server.config import ServerConfig
from support import API_KEY, Server, config_for
from wire import MAX_MESSAGE_BYTES, MAX_NAME_CHARS, ErrorCode, ProtocolError

def assert_error(status: int, data: dict[str, Any], expected_status: int, code: str) -> None:
    assert status == expected_status, data
    assert set(data) == {"error"}
    assert data["error"]["code"] == code
    assert isinstance(data["error"]["message"], str) and data["error"]["message"]


# --- meetings ---------------------------------------------------------------------------------


async def test_healthz_needs_no_key(server: Server) -> None:
    assert await server.call("GET", "/healthz", auth=False) == (200, {"status": "ok"})


async def test_create_and_get_meeting(server: Server) -> None:
    created = await server.create_meeting()
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,}", created["id"])
    assert created == {
        "id": created["id"],
        "call_type": "default",
        "settings": {"limits": {"max_duration_seconds": None, "max_participants": 100}},
        "settings_override": {},
        "created_at": "2027-01-15T08:00:00.000Z",
        "session": {"started_at": None, "participants": [], "timer_ends_at": None},
        "ended_at": None,
        "end_reason": None,
    }
    status, data = await server.call("GET", f"/v1/meetings/{created['id']}")
    assert status == 200
    assert data == {"meeting": created}


async def test_settings_override_is_merged_and_drives_the_timer(server: Server) -> None:
    created = await server.create_meeting(
        settings_override={"limits": {"max_duration_seconds": 1800}}
    )
    assert created["settings"] == {
        "limits": {"max_duration_seconds": 1800, "max_participants": 100}
    }
    server.clock.advance(60)
    server.meetings.mark_started(created["id"])
    server.clock.advance(60)
    server.meetings.mark_started(created["id"])  # the second join changes nothing
    _, data = await server.call("GET", f"/v1/meetings/{created['id']}")
    assert data["meeting"]["session"]["started_at"] == "2027-01-15T08:01:00.000Z"
    assert data["meeting"]["session"]["timer_ends_at"] == "2027-01-15T08:31:00.000Z"


@pytest.mark.parametrize(
    "body, code",
    [
        ({"settings_override": {"limits": {"max_duration_seconds": "1h"}}}, "bad_request"),
        ({"settings_override": {"limits": {"max_duration_seconds": 0}}}, "bad_request"),
        ({"settings_override": {"limits": {"max_participants": True}}}, "bad_request"),
        ({"settings_override": {"recording": True}}, "bad_request"),
        ({"settings_override": ["limits"]}, "bad_request"),
        ({"call_type": 5}, "bad_request"),
        ({"colour": "blue"}, "bad_request"),
        ({"call_type": "webinar"}, "unknown_call_type"),
    ],
)
async def test_create_meeting_refuses_bad_bodies(server: Server, body: dict, code: str) -> None:
    assert_error(*await server.call("POST", "/v1/meetings", body), 400, code)


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"meeting"', b"\xff\xfe"])
async def test_malformed_json_is_400(server: Server, raw: bytes) -> None:
    assert_error(*await server.call("POST", "/v1/meetings", raw=raw), 400, "bad_request")


async def test_body_over_the_size_limit_is_413(server: Server) -> None:
    raw = b'{"call_type": "' + b"x" * MAX_MESSAGE_BYTES + b'"}'
    assert_error(*await server.call("POST", "/v1/meetings", raw=raw), 413, "message_too_large")


async def test_unknown_meeting_is_404(server: Server) -> None:
    assert_error(*await server.call("GET", "/v1/meetings/nope"), 404, "meeting_not_found")
    assert_error(*await server.call("DELETE", "/v1/meetings/nope"), 404, "meeting_not_found")
    assert_error(
        *await server.call("POST", "/v1/meetings/nope/attendees",
                           {"user_id": "u", "name": "N", "role": "host"}),
        404, "meeting_not_found",
    )


async def test_unknown_path_and_method_are_json_errors(server: Server) -> None:
    assert_error(*await server.call("GET", "/v1/nothing-here"), 404, "not_found")
    assert_error(*await server.call("PUT", "/v1/meetings"), 405, "bad_request")


# --- auth -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY},
     {"Authorization": f"Basic {API_KEY}"}, {"Authorization": "Bearer "}],
)
async def test_server_side_calls_need_the_api_key(server: Server, headers: dict) -> None:
    meeting = await server.create_meeting()
    for method, path in [
        ("POST", "/v1/meetings"),
        ("GET", f"/v1/meetings/{meeting['id']}"),
        ("DELETE", f"/v1/meetings/{meeting['id']}"),
        ("POST", f"/v1/meetings/{meeting['id']}/attendees"),
        ("GET", "/v1/meetings/unknown"),  # 401 before 404: no probing for meetings
    ]:
        async with server.session.request(method, server.base_url + path, headers=headers,
                                          json={}) as response:
            assert_error(response.status, await response.json(), 401, "unauthorized")
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert data["meeting"]["ended_at"] is None


# --- attendees --------------------------------------------------------------------------------


async def test_add_attendee_returns_token_and_join_url(server: Server) -> None:
    meeting = await server.create_meeting()
    data = await server.add_attendee(meeting["id"], user_id="u-1", name="Grace Hopper",
                                     role="participant")
    attendee = data["attendee"]
    assert set(data) == {"attendee", "join_token", "join_url"}
    assert attendee == {"id": attendee["id"], "user_id": "u-1", "name": "Grace Hopper",
                        "role": "participant"}
    token = data["join_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    host_port = server.base_url.removeprefix("http://")
    assert data["join_url"] == f"parley://{host_port}/m/{meeting['id']}?token={token}"
    assert not host_port.endswith(":0")

    found_meeting, found = server.meetings.authenticate(meeting["id"], token)
    assert found.id == attendee["id"] and found_meeting.id == meeting["id"]
    assert server.meetings.capabilities(found_meeting, found.role) == [
        "join-call", "send-audio", "send-video", "screenshare",
    ]


async def test_join_url_uses_the_public_host(tmp_path: Path, clock: ManualClock) -> None:
    config = ServerConfig(port=0, data_dir=tmp_path, api_key=API_KEY,
                          public_host="meet.example.org:443")
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, tmp_path)
            meeting = await server.create_meeting()
            data = await server.add_attendee(meeting["id"])
        expected = f"parley://meet.example.org:443/m/{meeting['id']}?token="
        assert data["join_url"].startswith(expected)
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"user_id": "u", "name": "N", "role": "owner"}, 400, "unknown_role"),
        ({"user_id": "u", "name": "x" * (MAX_NAME_CHARS + 1), "role": "host"}, 400, "bad_request"),
        ({"user_id": "u", "name": "   ", "role": "host"}, 400, "bad_request"),
        ({"user_id": "", "name": "N", "role": "host"}, 400, "bad_request"),
        ({"name": "N", "role": "host"}, 400, "bad_request"),
        ({"user_id": 7, "name": "N", "role": "host"}, 400, "bad_request"),
        ({"user_id": "u", "name": "N", "role": "host", "admin": True}, 400, "bad_request"),
    ],
)
async def test_add_attendee_refuses_bad_bodies(
    server: Server, body: dict, status: int, code: str
) -> None:
    meeting = await server.create_meeting()
    assert_error(
        *await server.call("POST", f"/v1/meetings/{meeting['id']}/attendees", body), status, code
    )


async def test_name_of_max_length_is_accepted(server: Server) -> None:
    meeting = await server.create_meeting()
    await server.add_attendee(meeting["id"], name="é" * MAX_NAME_CHARS)


# --- ending -----------------------------------------------------------------------------------


async def test_delete_ends_the_meeting(server: Server) -> None:
    meeting = await server.create_meeting()
    token = (await server.add_attendee(meeting["id"]))["join_token"]
    server.clock.advance(90)

    status, data = await server.call("DELETE", f"/v1/meetings/{meeting['id']}")
    assert status == 200
    assert data["meeting"]["ended_at"] == "2027-01-15T08:01:30.000Z"
    assert data["meeting"]["end_reason"] == "deleted"

    # the record stays readable; ending again keeps the first time and reason
    server.clock.advance(10)
    status, again = await server.call("DELETE", f"/v1/meetings/{meeting['id']}")
    assert status == 200 and again == data
    assert (await server.call("GET", f"/v1/meetings/{meeting['id']}"))[1] == data

    assert_error(
        *await server.call("POST", f"/v1/meetings/{meeting['id']}/attendees",
                           {"user_id": "u-2", "name": "Late", "role": "participant"}),
        409, "meeting_ended",
    )
    with pytest.raises(ProtocolError) as refused:
        server.meetings.authenticate(meeting["id"], token)
    assert refused.value.code is ErrorCode.MEETING_ENDED


# --- errors -----------------------------------------------------------------------------------


def test_every_error_code_has_an_http_status() -> None:
    assert set(HTTP_STATUS) == set(ErrorCode)


async def test_unexpected_errors_are_500_without_details(tmp_path: Path) -> None:
    app = build_app(config_for(tmp_path))

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("secret detail /etc/passwd")

    app.router.add_get("/v1/broken", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/v1/broken") as response:
                text = await response.text()
                assert response.status == 500
                assert await response.json() == {
                    "error": {"code": "internal_error", "message": "internal server error"}
                }
        assert "secret" not in text and "Traceback" not in text
    finally:
        await runner.cleanup()


# --- persistence ------------------------------------------------------------------------------


async def test_restarted_server_knows_meetings_attendees_and_tokens(
    tmp_path: Path, clock: ManualClock
) -> None:
    data_dir = tmp_path / "data"
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            first = Server(base_url, session, clock, app, data_dir)
            meeting = await first.create_meeting(
                settings_override={"limits": {"max_participants": 5}}
            )
            joined = await first.add_attendee(meeting["id"], name="Lin", role="participant")
            first.meetings.mark_started(meeting["id"])
    finally:
        await runner.cleanup()

    clock.advance(3600)
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            second = Server(base_url, session, clock, app, data_dir)
            status, data = await second.call("GET", f"/v1/meetings/{meeting['id']}")
            assert status == 200
            assert data["meeting"]["settings"]["limits"]["max_participants"] == 5
            assert data["meeting"]["session"]["started_at"] == "2027-01-15T08:00:00.000Z"

            found_meeting, attendee = second.meetings.authenticate(
                meeting["id"], joined["join_token"]
            )
            assert attendee.id == joined["attendee"]["id"]
            assert (attendee.name, attendee.role) == ("Lin", "participant")
            assert attendee.user_id == "u-ada"
            assert [a.id for a in second.meetings.list_attendees(meeting["id"])] == [attendee.id]
    finally:
        await runner.cleanup()
