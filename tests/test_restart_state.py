"""Bug 4 (issue 21): after a server restart every raised hand was gone, the tiles were
reshuffled (people came back in a new order, as if they had left and joined), a muted person was
put on the big stage in speaker view, and one participant did not come back."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from desktop.session.events import AttendeeJoined, AttendeeLeft
from server.app import start_server
from server.clock import ManualClock
from server.config import ServerConfig
from server.http.keys import ROOMS_KEY
from support import API_KEY, LIGHT_SMALL, RunningBot, Server, eventually

NAMES = ("Ada", "Grace", "Linus", "Mo")


async def test_hands_order_and_everyone_come_back_after_a_server_restart(tmp_path: Path, clock: ManualClock) -> None:
    config = ServerConfig(port=0, data_dir=tmp_path / "data", api_key=API_KEY)
    runner, base_url, app = await start_server(config, clock)
    port = int(base_url.rsplit(":", 1)[1])
    async with aiohttp.ClientSession() as http:
        server = Server(base_url, http, clock, app, config.data_dir)
        meeting = await server.create_meeting()
        bots = {}
        for name in NAMES:  # one after the other: everyone's roster in the same order
            bots[name] = RunningBot(await server.join_url(meeting["id"], name), raise_hand=name in ("Ada", "Mo"),
                                    muted=name == "Grace", **LIGHT_SMALL)
            await eventually(lambda b=bots[name]: b.report.attendee_id is not None, what=f"{name} in")
        ids = {name: bot.report.attendee_id for name, bot in bots.items()}
        await eventually(lambda: all(len(b.session.attendees) == 3 and [a.name for a in b.session.hands()] == ["Ada", "Mo"]
                                     for b in bots.values()), timeout=15, what="everyone sees everyone, two hands")
        order = {name: list(bot.session.attendees) for name, bot in bots.items()}
        seen: dict[str, list] = {name: [] for name in NAMES}
        for name, bot in bots.items():
            bot.session.on(AttendeeJoined, lambda e, n=name: seen[n].append(("joined", e.attendee.attendee_id)))
            bot.session.on(AttendeeLeft, lambda e, n=name: seen[n].append(("left", e.attendee_id)))

        await runner.cleanup()  # the server restarts
        await eventually(lambda: all(b.session.reconnecting for b in bots.values()), what="reconnecting")
        runner, base_url, app = await start_server(ServerConfig(port=port, data_dir=config.data_dir,
                                                                api_key=API_KEY), clock)
        try:
            await eventually(lambda: all(b.session.reconnects == 1 for b in bots.values()), timeout=20,
                             what="everyone back")
            await eventually(lambda: all(set(b.session.attendees) == set(ids.values()) - {b.report.attendee_id}
                                         and all(a.attendee_id in app[ROOMS_KEY].room(meeting["id"]).participants
                                                 for a in b.session.attendees.values())
                                         for b in bots.values()), timeout=20, what="everyone sees everyone again")
            await eventually(lambda: all({a.name for a in b.session.hands()} == {"Ada", "Mo"} for b in bots.values()),
                             timeout=10, what="the hands up again, for everyone")
            await eventually(lambda: all(b.session.attendees[ids["Grace"]].muted
                                         for n, b in bots.items() if n != "Grace"), what="Grace still muted")
            for name, bot in bots.items():
                assert list(bot.session.attendees) == order[name], name  # nobody moved
                assert seen[name] == [], (name, seen[name])  # nobody left and joined again
            for bot in bots.values():
                report = await bot.finish()
                assert report.end_reason == "left" and report.reconnects == 1
        finally:
            await runner.cleanup()
