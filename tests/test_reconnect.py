"""Connections drop, servers restart: the meeting goes on. Real server and bots on loopback."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from desktop.session.events import AttendeeJoined, AttendeeLeft
from server.app import start_server
from server.http.keys import LIFECYCLE_KEY, ROOMS_KEY
from server.clock import ManualClock
from server.config import ServerConfig
from support import API_KEY, LIGHT_SMALL, RunningBot, Server, eventually
from wire import ErrorCode


def watch_roster(bot: RunningBot) -> list[tuple[str, str]]:
    """Every join and leave the bot's session reports: what a person would see happen."""
    seen: list[tuple[str, str]] = []
    bot.session.on(AttendeeJoined, lambda e: seen.append(("joined", e.attendee.attendee_id)))
    bot.session.on(AttendeeLeft, lambda e: seen.append(("left", e.attendee_id)))
    return seen


def frames_from(bot: RunningBot, other: RunningBot) -> int:
    return bot.report.frames_received.get(other.report.attendee_id, 0)


async def cut(bot: RunningBot) -> None:
    """The bot's network goes: its sockets close under it (no leave is sent)."""
    await bot.session.link.signalling._ws.close()


async def test_a_dropped_bot_comes_back_as_the_same_attendee(server: Server) -> None:
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    await eventually(lambda: frames_from(grace, ada) > 5 and frames_from(ada, grace) > 5, what="media flows")
    seen = watch_roster(grace)
    ada_id = ada.report.attendee_id

    await cut(ada)
    await eventually(lambda: ada.report.reconnects == 1, what="Ada came back")
    assert ada.report.attendee_id == ada_id and not ada.session.ended.is_set()
    before = frames_from(grace, ada), frames_from(ada, grace)
    await eventually(lambda: frames_from(grace, ada) > before[0] + 5 and frames_from(ada, grace) > before[1] + 5,
                     what="media flows again both ways")
    await eventually(lambda: len(ada.report.reconnect_ms) == 1, what="the comeback timed")
    assert 0 < ada.report.reconnect_ms[0] < 5000
    # Grace never saw Ada leave (at most a frozen tile)
    assert ("left", ada_id) not in seen and ada_id in grace.session.attendees
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert sorted(p["name"] for p in data["meeting"]["session"]["participants"]) == ["Ada", "Grace"]
    reports = [await ada.finish(), await grace.finish()]
    assert [r.end_reason for r in reports] == ["left", "left"]


async def test_a_seat_waits_30_seconds_then_the_others_are_told(server: Server) -> None:
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    await eventually(lambda: ada.report.attendee_id and ada.report.attendee_id in grace.session.attendees,
                     what="both in")
    ada_id = ada.report.attendee_id
    ada.session.reconnect = False  # this one does not come back
    await cut(ada)
    await eventually(lambda: ada.session.ended.is_set(), what="Ada's session gave up")
    assert ada.session.end_reason == "connection_lost"
    server.clock.advance(29)
    await server.app[LIFECYCLE_KEY].check()
    assert ada_id in grace.session.attendees  # still waiting for her
    server.clock.advance(1)
    await server.app[LIFECYCLE_KEY].check()
    await eventually(lambda: ada_id not in grace.session.attendees, what="Grace told Ada left")
    await grace.finish()


async def test_the_meeting_survives_a_server_restart(tmp_path: Path, clock: ManualClock) -> None:
    config = ServerConfig(port=0, data_dir=tmp_path / "data", api_key=API_KEY)
    runner, base_url, app = await start_server(config, clock)
    port = int(base_url.rsplit(":", 1)[1])
    async with aiohttp.ClientSession() as session:
        server = Server(base_url, session, clock, app, config.data_dir)
        meeting = await server.create_meeting(settings_override={"limits": {"max_duration_seconds": 3600}})
        ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
        grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
        await eventually(lambda: frames_from(grace, ada) > 5 and frames_from(ada, grace) > 5, what="media flows")
        timer = ada.session.meeting.timer_ends_at

        # a join while the server drains is refused with a clear code
        app[ROOMS_KEY].draining = True
        refused = RunningBot(await server.join_url(meeting["id"], "Late"), **LIGHT_SMALL)
        report = await refused.task
        assert report.error["code"] == ErrorCode.SERVER_RESTARTING
        app[ROOMS_KEY].draining = False

        await runner.cleanup()  # the server stops: everyone is told it restarts
        await eventually(lambda: ada.session.reconnecting and grace.session.reconnecting, what="reconnecting")
        clock.advance(5)
        runner, base_url, app = await start_server(ServerConfig(port=port, data_dir=config.data_dir,
                                                                api_key=API_KEY), clock)
        try:
            await eventually(lambda: ada.report.reconnects == 1 and grace.report.reconnects == 1, timeout=15,
                             what="both back")
            before = frames_from(grace, ada)
            await eventually(lambda: frames_from(grace, ada) > before + 5, what="media again")
            assert ada.session.meeting.timer_ends_at == timer  # the timer is intact
            assert not ada.session.ended.is_set() and not grace.session.ended.is_set()
            reports = [await ada.finish(), await grace.finish()]
            assert all(len(r.reconnect_ms) == 1 for r in reports)
        finally:
            await runner.cleanup()


async def test_a_removed_attendee_does_not_come_back(server: Server) -> None:
    meeting = await server.create_meeting()
    host = RunningBot(await server.join_url(meeting["id"], "Host", role="host"), **LIGHT_SMALL)
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    await eventually(lambda: ada.report.attendee_id and ada.report.attendee_id in host.session.attendees,
                     what="both in")
    await host.session.moderate(ada.report.attendee_id, "remove")
    report = await ada.task
    assert report.end_reason == "removed" and report.reconnects == 0
    await host.finish()
