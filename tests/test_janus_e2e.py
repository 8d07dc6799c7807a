"""End to end on loopback with Janus VideoRoom as the media backend (``--media janus``): a real
Janus (Debian's ``janus``, started by the fixture on a free port, loopback only: see
bench/janus_local.py), a real server and real bots. The bots cannot tell the difference: the
end-to-end tests of test_meeting_e2e.py and test_screen_share_e2e.py run here again, unchanged,
with this module's ``server`` fixture behind them.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from desktop.session.events import VideoFrameReceived
from server.app import start_server
from server.clock import ManualClock
from server.http.keys import ROOMS_KEY
from support import AUTH, LIGHT_SMALL, RunningBot, Server, bounded, config_for, eventually

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench/ under plain pytest
from bench.janus_local import JANUS, LocalJanus  # noqa: E402

pytestmark = pytest.mark.skipif(JANUS is None, reason="the janus binary is not installed (apt-get install janus)")


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[LocalJanus]:
    instance = LocalJanus(tmp_path / "janus").start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
async def server(tmp_path: Path, clock: ManualClock, janus: LocalJanus) -> AsyncIterator[Server]:
    """The server of the shared end-to-end tests, on Janus."""
    data_dir = tmp_path / "data"
    config = replace(config_for(data_dir), media="janus", janus_urls=[janus.url],
                     janus_admin_urls=[janus.admin_url], janus_admin_secret=janus.admin_secret)
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(base_url, session, clock, app, data_dir)
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")




async def test_janus_three_see_and_hear_each_other(server: Server) -> None:
    """test_meeting_e2e's first test, with everyone staying until all have seen each other (the
    original's bots leave on their own clocks, and on Janus, whose joins take a round trip more,
    one may be gone before another reads its roster)."""
    meeting = await server.create_meeting()
    names = ["Ada", "Grace", "Linus"]
    bots = [RunningBot(await server.join_url(meeting["id"], name), width=320, height=180, fps=15) for name in names]
    await eventually(lambda: all(len(b.report.frames_received) == 2 and len(b.report.audio_frames_received) == 2
                                 for b in bots), what="everyone sees and hears the two others")
    await asyncio.sleep(2.0)  # pictures and sound keep coming
    rosters = {name: {a.name for a in b.session.attendees.values()} for name, b in zip(names, bots)}
    reports = [await b.finish() for b in bots]
    ids = {r.attendee_id for r in reports}
    assert len(ids) == 3
    for name, report in zip(names, reports):
        others = ids - {report.attendee_id}
        assert report.end_reason == "left" and report.camera == "on"
        assert set(report.frames_received) == others and set(report.audio_frames_received) == others
        for other in others:
            assert report.frames_received[other] >= 20, report.frames_received
            assert report.audio_frames_received[other] >= 50, report.audio_frames_received
        latency = report.latency_ms()  # decoded pictures with their capture stamps
        assert latency is not None and latency["samples"] >= 20 and latency["p50"] > 0
        assert rosters[name] == set(names) - {name}
from test_meeting_e2e import (  # noqa: E402
    test_delete_ends_the_meeting_for_everyone as test_janus_delete_ends_the_meeting_for_everyone,
    test_host_controls_mute_lock_remove_and_end as test_janus_host_controls_mute_lock_remove_and_end,
)
from test_screen_share_e2e import (  # noqa: E402
    test_two_share_a_third_is_refused_until_one_stops as test_janus_two_share_a_third_is_refused_until_one_stops,
)


async def test_janus_camera_off_and_on_again(server: Server) -> None:
    """Turning a camera off takes its picture away from the others (Janus renegotiates their
    subscriptions) and turning it on brings it back, while its voice goes on throughout."""
    meeting = await server.create_meeting()
    ada, grace = [RunningBot(await server.join_url(meeting["id"], n), **LIGHT_SMALL) for n in ("Ada", "Grace")]
    await eventually(lambda: ada.report.frames_received and grace.report.frames_received, what="both see each other")
    ada_id = ada.report.attendee_id

    assert await ada.session.set_camera(False) is False
    await eventually(lambda: not grace.session.attendees[ada_id].video, what="Grace hears Ada's camera is off")
    await asyncio.sleep(0.5)  # what was on its way has arrived
    frames, voice = grace.report.frames_received[ada_id], grace.report.audio_frames_received[ada_id]
    await asyncio.sleep(1.0)
    assert grace.report.frames_received[ada_id] == frames  # no picture while it is off
    assert grace.report.audio_frames_received[ada_id] > voice + 20  # her voice goes on

    assert await ada.session.set_camera(True) is True
    await eventually(lambda: grace.report.frames_received[ada_id] > frames + 5, what="Ada's picture is back")
    assert grace.session.attendees[ada_id].video
    for bot in (ada, grace):
        await bot.finish()


def test_the_command_line_chooses_janus_and_refuses_half_configurations() -> None:
    from server.cli import parse_args

    config = parse_args(["--media", "janus", "--janus-url", "ws://127.0.0.5:8188/",
                         "--janus-url", "ws://127.0.0.6:8188/"], environ={"PARLEY_JANUS_API_SECRET": "s3"},
                        home=Path("/nonexistent"))
    assert config.media == "janus" and config.janus_urls == ["ws://127.0.0.5:8188/", "ws://127.0.0.6:8188/"]
    assert config.janus_api_secret == "s3"
    assert parse_args([], environ={}, home=Path("/nonexistent")).media == "builtin"
    assert config.janus_admin_urls == [] and config.janus_admin_secret is None
    config = parse_args(["--media", "janus", "--janus-url", "ws://127.0.0.5:8188/", "--janus-admin-url",
                         "ws://127.0.0.5:7188/"], environ={"PARLEY_JANUS_ADMIN_SECRET": "a1"}, home=Path("/nonexistent"))
    assert config.janus_admin_urls == ["ws://127.0.0.5:7188/"] and config.janus_admin_secret == "a1"
    for argv in (["--media", "janus"], ["--janus-url", "ws://h:8188/"],
                 ["--media", "janus", "--janus-url", "http://h:8188/"],
                 ["--media", "janus", "--janus-url", "ws://h:8188/", "--janus-url", "ws://i:8188/",
                  "--janus-admin-url", "ws://h:7188/"]):
        with pytest.raises(SystemExit):
            parse_args(argv, environ={}, home=Path("/nonexistent"))


from test_meeting_e2e import (  # noqa: E402
    test_garbage_on_the_socket_is_refused_and_others_keep_receiving as test_janus_garbage_is_refused_and_others_keep_receiving,
    test_seventeenth_camera_is_refused_and_gets_a_slot_when_one_frees as _seventeenth_camera,
)
from test_reconnect import (  # noqa: E402
    test_a_dropped_bot_comes_back_as_the_same_attendee as test_janus_a_dropped_bot_comes_back,
)


@pytest.mark.slow
async def test_janus_seventeenth_camera_is_refused(server: Server) -> None:
    """17 publishers on one VideoRoom: the 17th camera is Parley's refusal, not Janus's."""
    await _seventeenth_camera(server)


async def test_janus_a_publisher_janus_drops_by_itself_leaves_subscriptions_working(server: Server) -> None:
    """A publisher's connection to Janus ends without Parley closing it first (its network
    went): Janus closes the others' sections for it on its own. Those sections come back, if
    Janus ever fills them again, with new SSRCs the others' receivers cannot route; the server
    keeps them out of use, so the people who come next are seen and heard."""
    meeting = await server.create_meeting()
    url = lambda name: server.join_url(meeting["id"], name)  # noqa: E731
    early = [RunningBot(await url(n), **LIGHT_SMALL) for n in ("Ada", "Grace", "Linus")]
    await eventually(lambda: all(len(b.report.frames_received) == 2 for b in early), what="the first three see each other")
    ada, grace, linus = early
    await linus.session.publisher.connection.pc.close()  # gone, as far as Janus can tell
    await asyncio.sleep(1.0)  # Janus has hung up on it and closed the sections that carried it

    late = [RunningBot(await url(n), **LIGHT_SMALL) for n in ("Mary", "Bob", "Carol")]
    await eventually(lambda: all(b.report.attendee_id for b in late), what="the next three joined")
    ids = [b.report.attendee_id for b in late]
    await eventually(lambda: all(ada.report.frames_received.get(i, 0) > 5 and grace.report.frames_received.get(i, 0) > 5
                                 for i in ids), timeout=15, what="Ada and Grace see the three newcomers")
    assert all(ada.report.audio_frames_received.get(i, 0) > 10 for i in ids)
    mary = late[0]
    await eventually(lambda: all(mary.report.frames_received.get(b.report.attendee_id, 0) > 5 for b in (ada, grace)),
                     what="a newcomer sees those already there")
    for bot in (*early, *late):
        await bot.finish()


from test_bandwidth_e2e import (  # noqa: E402
    test_the_tiles_needs_choose_the_layer_and_a_hidden_tile_gets_nothing as test_janus_tiles_choose_the_layer_and_a_hidden_tile_gets_nothing,
)


async def test_janus_figures_come_from_its_admin_api(server: Server) -> None:
    """With the Admin API, Janus's own counts reach /metrics (packets in from the publishers,
    out to the subscribers) and each publisher's uplink loss is known (the signal strength)."""
    meeting = await server.create_meeting()
    ada, grace = [RunningBot(await server.join_url(meeting["id"], n), **LIGHT_SMALL) for n in ("Ada", "Grace")]
    await eventually(lambda: ada.report.frames_received and grace.report.frames_received, what="both see each other")
    rooms = server.app[ROOMS_KEY]
    await eventually(lambda: rooms.stats().packets_received > 100 and rooms.stats().packets_forwarded > 100,
                     timeout=10, what="Janus's packet counts read")
    room = rooms.room(meeting["id"])
    tracks = [p.publisher.tracks["audio"] for p in room.participants.values()]
    await eventually(lambda: all(t.recent_loss() is not None for t in tracks), timeout=10,
                     what="the uplink loss of both voices read")
    assert all(t.recent_loss() == 0.0 for t in tracks)  # loopback loses nothing
    async with server.session.get(server.base_url + "/metrics", headers=AUTH) as response:
        text = await response.text()
    received = next(line for line in text.splitlines() if line.startswith("parley_rtp_packets_received_total "))
    assert int(received.split()[1]) > 100
    for bot in (ada, grace):
        await bot.finish()


@pytest.mark.slow
async def test_janus_a_subscriber_losing_packets_gets_the_small_layer(server: Server) -> None:
    """A subscriber whose link loses packets gets every camera at its small layer (a switch on
    Janus, told as the built-in unit tells it; the publisher, whose whole picture nobody takes
    then, is asked for its small layer alone), and the whole picture again once its link has
    been clean a while. Loopback loses nothing: the one poor reading is the test's, the clean
    ones that follow are Janus's own (Admin API)."""
    meeting = await server.create_meeting()
    # two pre-encoded layers, 320x180 and 160x90
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), light=True, width=320, height=180, fps=10)
    linus = RunningBot(await server.join_url(meeting["id"], "Linus"), camera="none", width=320, height=180, fps=10)
    await eventually(lambda: ada.report.attendee_id and linus.report.frames_received.get(ada.report.attendee_id),
                     what="Linus sees Ada")
    ada_id = ada.report.attendee_id
    sizes: list[tuple[int, int]] = []
    linus.session.on(VideoFrameReceived, lambda e: sizes.append((e.frame.width, e.frame.height)))
    states = linus.session.remote.video_states
    await eventually(lambda: ada_id in states and states[ada_id].layer == "high", what="the whole picture told")
    await eventually(lambda: sizes and sizes[-1] == (320, 180), what="the whole picture")
    whole = sizes[-1]

    subscriber = server.app[ROOMS_KEY].room(meeting["id"]).participants[linus.report.attendee_id].subscriber
    subscriber.link_reading(0.25)  # a quarter of what Janus sent Linus was lost
    await eventually(lambda: (states[ada_id].paused, states[ada_id].layer) == (False, "low"),
                     what="Linus is told Ada comes at the small layer")
    await eventually(lambda: sizes[-1] == (160, 90), what="the small picture")
    # nobody takes Ada's whole picture now: she is asked for her small layer alone (dynacast)
    await eventually(lambda: ada.session.publisher.layers_wanted == {"low"}, what="Ada asked for the small layer")
    count = len(sizes)
    await asyncio.sleep(1.0)
    assert len(sizes) >= count + 3  # it keeps coming (5 a second)
    await eventually(lambda: states[ada_id].layer == "high", timeout=25, what="the whole picture once the link is clean")
    await eventually(lambda: sizes[-1] == whole, what="the whole picture again")
    assert ada.session.publisher.layers_wanted == {"high", "low"}
    for bot in (ada, linus):
        await bot.finish()
