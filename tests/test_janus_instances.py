"""Several Janus instances behind one server (``--janus-url`` twice): meetings are spread over
them, and when one dies its meetings move to the other through the clients' reconnect, with
nobody leaving the meeting. Two real Janus processes, a real server, real bots."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from server.app import start_server
from server.clock import ManualClock
from server.http.keys import ROOMS_KEY
from support import LIGHT_SMALL, RunningBot, Server, bounded, config_for, eventually

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench/ under plain pytest
from bench.janus_local import JANUS, LocalJanus  # noqa: E402

pytestmark = pytest.mark.skipif(JANUS is None, reason="the janus binary is not installed (apt-get install janus)")


@pytest.fixture
async def two(tmp_path: Path, clock: ManualClock) -> AsyncIterator[tuple[Server, list[LocalJanus]]]:
    instances = []
    try:
        for name in ("a", "b"):
            instances.append(LocalJanus(tmp_path / f"janus-{name}").start())
        config = replace(config_for(tmp_path / "data"), media="janus", janus_urls=[j.url for j in instances])
        runner, base_url, app = await start_server(config, clock)
        try:
            async with aiohttp.ClientSession() as session:
                yield Server(base_url, session, clock, app, tmp_path / "data"), instances
        finally:
            await bounded(runner.cleanup(), 45, "the server's cleanup")
    finally:
        for instance in instances:
            instance.stop()


async def test_meetings_spread_over_instances_and_move_when_one_dies(two) -> None:
    server, instances = two
    media = server.app[ROOMS_KEY].media
    first, second = await server.create_meeting(), await server.create_meeting()
    ada, grace = [RunningBot(await server.join_url(first["id"], n), **LIGHT_SMALL) for n in ("Ada", "Grace")]
    await eventually(lambda: ada.report.frames_received and grace.report.frames_received, what="media in the first meeting")
    linus, mary = [RunningBot(await server.join_url(second["id"], n), **LIGHT_SMALL) for n in ("Linus", "Mary")]
    await eventually(lambda: linus.report.frames_received and mary.report.frames_received, what="media in the second meeting")

    # the second meeting went to the instance the first one left idle
    placed = {m["id"]: media.placed_on(m["id"]) for m in (first, second)}
    assert set(placed.values()) == {j.url for j in instances}, placed

    # the first meeting's instance dies
    doomed = next(j for j in instances if j.url == placed[first["id"]])
    survivor = next(j for j in instances if j is not doomed)
    ada_id, grace_id = ada.report.attendee_id, grace.report.attendee_id
    before = ada.report.frames_received[grace_id], grace.report.frames_received[ada_id]
    doomed.kill()

    # its people reconnect, onto the survivor, and see and hear each other again
    await eventually(lambda: ada.session.reconnects >= 1 and grace.session.reconnects >= 1, timeout=15,
                     what="the first meeting's people reconnected")
    await eventually(lambda: ada.report.frames_received[grace_id] > before[0] + 10
                     and grace.report.frames_received[ada_id] > before[1] + 10, timeout=15,
                     what="the first meeting's media is back")
    assert media.placed_on(first["id"]) == survivor.url
    heard = ada.report.audio_frames_received[grace_id]
    await eventually(lambda: ada.report.audio_frames_received[grace_id] > heard + 10, what="Ada hears Grace again")
    # nobody left: the others saw the same two people throughout
    assert set(ada.session.attendees) == {grace_id} and set(grace.session.attendees) == {ada_id}

    # the second meeting, on the survivor all along, never noticed
    assert linus.session.reconnects == 0 and mary.session.reconnects == 0
    seen = linus.report.frames_received[mary.report.attendee_id]
    await eventually(lambda: linus.report.frames_received[mary.report.attendee_id] > seen + 5,
                     what="the second meeting carries on")
    for bot in (ada, grace, linus, mary):
        await bot.finish()


async def test_no_instance_up_refuses_media_clearly_and_one_that_comes_up_is_used(tmp_path: Path, clock: ManualClock) -> None:
    from desktop.session.meeting_session import JoinFailed, MeetingSession
    from desktop.signalling.tls import MemoryTrustStore
    from wire import ErrorCode

    janus = LocalJanus(tmp_path / "janus")  # its port is chosen; it is not started yet
    config = replace(config_for(tmp_path / "data"), media="janus", janus_urls=[janus.url])
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, tmp_path / "data")
            meeting = await server.create_meeting()
            ada = MeetingSession(await server.join_url(meeting["id"], "Ada"), trust=MemoryTrustStore())
            with pytest.raises(JoinFailed) as caught:
                await ada.join()
            assert caught.value.reason == ErrorCode.SERVER_RESTARTING  # said, not a hang or a crash
            await ada.leave()

            janus.start()  # the instance comes up: the server connects to it by itself
            media = server.app[ROOMS_KEY].media
            await eventually(lambda: any(i.live for i in media.instances), what="the server reached Janus")
            bots = [RunningBot(await server.join_url(meeting["id"], n), **LIGHT_SMALL) for n in ("Grace", "Linus")]
            await eventually(lambda: all(b.report.frames_received for b in bots), what="media through Janus")
            assert media.placed_on(meeting["id"]) == janus.url
            for bot in bots:
                await bot.finish()
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")
        janus.stop()
