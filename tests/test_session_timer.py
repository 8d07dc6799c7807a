"""Call types, the session timer, the auto-end rules: a real server on an injected clock.

The rules run on the server's ManualClock; each test moves it and then runs one check of the
rules (``Lifecycle.check``, what the server's own loop does a few times a second), so nothing
waits real minutes.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from server.app import start_server
from server.http.keys import LIFECYCLE_KEY
from server.clock import ManualClock
from server.config import ServerConfig
from support import API_KEY, LIGHT_SMALL, RunningBot, Server, config_for, eventually
from wire import CapabilitiesUpdated, ErrorCode, MeetingUpdated, ProtocolError

T0_ISO = "2027-01-15T08:00:00.000Z"


async def check(server: Server) -> list[tuple[str, str]]:
    return await server.app[LIFECYCLE_KEY].check()


async def patch(server: Server, meeting_id: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token or API_KEY}"}
    async with server.session.patch(f"{server.base_url}/v1/meetings/{meeting_id}", json=body,
                                    headers=headers) as response:
        return response.status, await response.json()


def limit(seconds: int | None) -> dict:
    return {"settings_override": {"limits": {"max_duration_seconds": seconds}}}


class Seen:
    """What a bot's session heard: meeting_updated and capabilities_updated messages."""

    def __init__(self, bot: RunningBot) -> None:
        self.messages: list = []
        signalling = bot.session.link.signalling
        original = signalling._on_message

        def spy(message) -> None:
            if isinstance(message, (MeetingUpdated, CapabilitiesUpdated)):
                self.messages.append(message)
            original(message)

        signalling._on_message = spy


# --- call types -------------------------------------------------------------------------------


async def test_call_types_are_created_read_and_refused_when_wrong(server: Server) -> None:
    body = {"name": "clinic", "grants": {"doctor": ["join-call", "send-audio", "send-video", "change-max-duration",
                                                    "end-call"], "patient": ["join-call", "send-audio", "send-video"]},
            "settings": {"limits": {"max_duration_seconds": 1800, "max_participants": 2}}}
    status, data = await server.call("POST", "/v1/call-types", body)
    assert status == 201 and data["call_type"] == body
    status, data = await server.call("GET", "/v1/call-types/clinic")
    assert status == 200 and data["call_type"]["grants"]["patient"] == ["join-call", "send-audio", "send-video"]
    status, data = await server.call("GET", "/v1/call-types")
    assert [k["name"] for k in data["call_types"]] == ["default", "clinic"]
    default = data["call_types"][0]
    assert default["grants"]["participant"] == ["join-call", "send-audio", "send-video", "screenshare"]
    assert len(default["grants"]["host"]) == 9

    status, data = await server.call("POST", "/v1/call-types", body)
    assert status == 409 and data["error"]["code"] == "already_exists"
    for bad, code in (({**body, "name": "x", "grants": {"r": ["fly"]}}, "bad_request"),
                      ({**body, "name": "y", "settings": {"limits": {"max_participants": 0}}}, "bad_request"),
                      ({**body, "name": "no spaces"}, "bad_request")):
        status, data = await server.call("POST", "/v1/call-types", bad)
        assert (status, data["error"]["code"]) == (400, code), bad
    status, data = await server.call("GET", "/v1/call-types/nope")
    assert status == 400 and data["error"]["code"] == "unknown_call_type"
    status, data = await server.call("POST", "/v1/call-types", body, auth=False)
    assert status == 401

    # a meeting of the type takes its settings; a meeting override wins over them
    meeting = await server.create_meeting(call_type="clinic", settings_override={"limits": {"max_participants": 3}})
    assert meeting["settings"]["limits"] == {"max_duration_seconds": 1800, "max_participants": 3}


async def test_changed_grants_reach_the_people_in_the_meeting(server: Server) -> None:
    await server.call("POST", "/v1/call-types", {"name": "class", "grants": {
        "teacher": ["join-call", "send-audio", "mute-others"], "student": ["join-call", "send-audio"]}})
    meeting = await server.create_meeting(call_type="class")
    student = RunningBot(await server.join_url(meeting["id"], "Sam", role="student"), camera="none", **LIGHT_SMALL)
    await eventually(lambda: student.report.attendee_id is not None, what="joined")
    assert student.session.capabilities == ("join-call", "send-audio")
    seen = Seen(student)
    status, _ = await server.call("PATCH", "/v1/call-types/class", {"grants": {
        "teacher": ["join-call", "send-audio", "mute-others"], "student": ["join-call", "send-audio", "screenshare"]}})
    assert status == 200
    await eventually(lambda: any(isinstance(m, CapabilitiesUpdated) for m in seen.messages), what="told")
    assert [m.capabilities for m in seen.messages if isinstance(m, CapabilitiesUpdated)] == [
        ["join-call", "send-audio", "screenshare"]]
    await eventually(lambda: "screenshare" in student.session.capabilities, what="the session follows")
    status, data = await server.call("PATCH", "/v1/call-types/default", {"grants": {}})
    assert status == 400
    await student.finish()


# --- the session timer ------------------------------------------------------------------------


async def test_timer_starts_at_first_join_and_a_host_extends_it_for_everyone(server: Server) -> None:
    meeting = await server.create_meeting(settings_override={"limits": {"max_duration_seconds": 600}})
    assert meeting["session"]["timer_ends_at"] is None  # no session before anyone joins
    host = await server.add_attendee(meeting["id"], user_id="h", name="Host", role="host")
    guest = await server.add_attendee(meeting["id"], user_id="g", name="Guest", role="participant")
    server.clock.advance(120)  # booked two minutes ahead
    bots = [RunningBot(host["join_url"], **LIGHT_SMALL), RunningBot(guest["join_url"], **LIGHT_SMALL)]
    await eventually(lambda: all(b.report.attendee_id for b in bots), what="both in")
    started = "2027-01-15T08:02:00.000Z"
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert data["meeting"]["session"]["started_at"] == started
    assert data["meeting"]["session"]["timer_ends_at"] == "2027-01-15T08:12:00.000Z"
    assert bots[1].session.meeting.timer_ends_at == "2027-01-15T08:12:00.000Z"
    seen = [Seen(b) for b in bots]

    # a participant may not; an invite link may not; the host's own join token may
    status, data = await patch(server, meeting["id"], limit(1200), token=guest["join_token"])
    assert (status, data["error"]["code"]) == (403, "missing_capability")
    status, invite = await server.call("POST", f"/v1/meetings/{meeting['id']}/invites", {})
    status, data = await patch(server, meeting["id"], limit(1200), token=invite["invite_token"])
    assert (status, data["error"]["code"]) == (401, "invalid_token")
    status, data = await patch(server, meeting["id"], limit(1200), token="forged.token")
    assert status == 401
    status, data = await patch(server, meeting["id"], limit(1200), token=host["join_token"])
    assert status == 200 and data["meeting"]["session"]["timer_ends_at"] == "2027-01-15T08:22:00.000Z"
    for s in seen:  # everyone hears it at once
        await eventually(lambda s=s: any(isinstance(m, MeetingUpdated) for m in s.messages), what="updated")
        update = [m for m in s.messages if isinstance(m, MeetingUpdated)][-1]
        assert update.meeting.timer_ends_at == "2027-01-15T08:22:00.000Z" and update.server_time
    await eventually(lambda: bots[1].session.meeting.timer_ends_at == "2027-01-15T08:22:00.000Z",
                     what="the session keeps the new timer")

    # a limit that would end the meeting in the past is refused; so are bad values
    server.clock.advance(300)
    status, data = await patch(server, meeting["id"], limit(250))
    assert (status, data["error"]["code"]) == (400, "bad_request") and "past" in data["error"]["message"]
    status, data = await patch(server, meeting["id"], limit(-5))
    assert status == 400
    status, data = await patch(server, "nope", limit(900))
    assert status in (401, 404)  # the API key passes auth; the meeting is unknown
    for bot in bots:
        await bot.finish()


async def test_the_meeting_ends_when_the_timer_runs_out(server: Server) -> None:
    meeting = await server.create_meeting(settings_override={"limits": {"max_duration_seconds": 60}})
    bots = [RunningBot(await server.join_url(meeting["id"], n), **LIGHT_SMALL) for n in ("Ada", "Grace")]
    await eventually(lambda: all(b.report.attendee_id for b in bots), what="both in")
    server.clock.advance(59)
    assert await check(server) == []
    server.clock.advance(1)
    assert await check(server) == [(meeting["id"], "timer_expired")]
    reports = [await b.task for b in bots]
    assert [r.end_reason for r in reports] == ["timer_expired", "timer_expired"]
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert data["meeting"]["end_reason"] == "timer_expired"
    assert data["meeting"]["ended_at"] == "2027-01-15T08:01:00.000Z"


async def test_the_timer_survives_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    data_dir = tmp_path / "data"
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    port = int(base_url.rsplit(":", 1)[1])
    try:
        async with aiohttp.ClientSession() as session:
            first = Server(base_url, session, clock, app, data_dir)
            meeting = await first.create_meeting(settings_override={"limits": {"max_duration_seconds": 900}})
            ada = RunningBot(await first.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
            await eventually(lambda: ada.report.attendee_id is not None, what="in")
            await patch(first, meeting["id"], limit(1200))
            await eventually(lambda: ada.session.meeting.timer_ends_at == "2027-01-15T08:20:00.000Z", what="told")
    finally:
        await runner.cleanup()  # Ada is told the server restarts, and keeps trying

    clock.advance(600)
    config = ServerConfig(port=port, data_dir=data_dir, api_key=API_KEY)
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            second = Server(base_url, session, clock, app, data_dir)
            status, data = await second.call("GET", f"/v1/meetings/{meeting['id']}")
            assert data["meeting"]["session"]["timer_ends_at"] == "2027-01-15T08:20:00.000Z"
            await eventually(lambda: ada.report.reconnects == 1, timeout=15, what="Ada back by herself")
            assert ada.session.meeting.timer_ends_at == "2027-01-15T08:20:00.000Z"  # not reset
            clock.advance(600)
            assert await check(second) == [(meeting["id"], "timer_expired")]
            assert (await ada.task).end_reason == "timer_expired"
    finally:
        await runner.cleanup()


# --- hard limits and auto-end -----------------------------------------------------------------


@pytest.fixture
async def strict_server(tmp_path: Path, clock: ManualClock):
    config = ServerConfig(port=0, data_dir=tmp_path / "data", api_key=API_KEY, max_meeting_seconds=7200,
                          empty_timeout_seconds=300, alone_timeout_seconds=1800)
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(base_url, session, clock, app, tmp_path / "data")
    finally:
        await runner.cleanup()


async def test_no_meeting_runs_past_the_hard_cap(strict_server: Server) -> None:
    server = strict_server
    meeting = await server.create_meeting()  # no limit of its own
    bots = [RunningBot(await server.join_url(meeting["id"], n), duration=600, **LIGHT_SMALL) for n in ("A", "B")]
    await eventually(lambda: all(b.report.attendee_id for b in bots), what="in")
    server.clock.advance(7199)
    assert await check(server) == []
    server.clock.advance(1)
    assert await check(server) == [(meeting["id"], "max_duration")]
    assert [(await b.task).end_reason for b in bots] == ["max_duration", "max_duration"]


async def test_an_empty_meeting_ends_after_five_minutes(strict_server: Server) -> None:
    server = strict_server
    meeting = await server.create_meeting()
    never = await server.create_meeting()  # never started: booked ahead, left alone
    bot = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    await eventually(lambda: bot.report.attendee_id is not None, what="in")
    await bot.finish()
    server.clock.advance(299)
    assert await check(server) == []
    again = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)  # someone came back
    await eventually(lambda: again.report.attendee_id is not None, what="back")
    await again.finish()
    server.clock.advance(299)
    assert await check(server) == []  # the empty period started again when Grace left
    server.clock.advance(1)
    assert await check(server) == [(meeting["id"], "empty")]
    server.clock.advance(3600)
    assert await check(server) == []
    status, data = await server.call("GET", f"/v1/meetings/{never['id']}")
    assert data["meeting"]["ended_at"] is None


async def test_someone_alone_for_half_an_hour_is_ended(strict_server: Server) -> None:
    server = strict_server
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), duration=600, **LIGHT_SMALL)
    await eventually(lambda: ada.report.attendee_id is not None, what="in")
    server.clock.advance(1000)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), duration=600, **LIGHT_SMALL)
    await eventually(lambda: grace.report.attendee_id is not None, what="Grace in")
    server.clock.advance(1000)  # two people: nobody is alone
    assert await check(server) == []
    await grace.finish()
    server.clock.advance(1799)
    assert await check(server) == []  # alone counts from when Grace left
    server.clock.advance(1)
    assert await check(server) == [(meeting["id"], "alone")]
    assert (await ada.task).end_reason == "alone"


async def test_extend_from_the_session_moves_everyones_countdown(server: Server) -> None:
    meeting = await server.create_meeting(settings_override={"limits": {"max_duration_seconds": 600}})
    host = RunningBot(await server.join_url(meeting["id"], "Host", role="host"), **LIGHT_SMALL)
    guest = RunningBot(await server.join_url(meeting["id"], "Guest"), **LIGHT_SMALL)
    await eventually(lambda: host.report.attendee_id and guest.report.attendee_id, what="both in")
    assert host.session.can_extend and not guest.session.can_extend
    before = guest.session.timer.ends_at
    await host.session.extend(30 * 60)
    await eventually(lambda: guest.session.timer.ends_at == before + 1800, what="the guest's timer moved")
    assert host.session.timer.ends_at == before + 1800
    with pytest.raises(ProtocolError) as refused:
        await guest.session.extend(60)
    assert refused.value.code == ErrorCode.MISSING_CAPABILITY
    await host.finish()
    report = await guest.finish()
    assert report.timer_ends_at == ["2027-01-15T08:10:00.000Z", "2027-01-15T08:40:00.000Z"]
