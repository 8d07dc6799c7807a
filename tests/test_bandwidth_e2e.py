"""Bandwidth end to end on loopback: a real server, real bots, real media.

Loopback has no bottleneck, and shaping it (tbf on lo) is not allowed here, so one subscriber's
downlink estimate is capped through the server's test hook (``Downlink.estimate_cap``); real
shaped links are measured by bench/network.py. What must hold: the capped subscriber is told its
videos are paused for bandwidth and stops receiving them, the others are unaffected, and when the
link recovers the videos resume by themselves, with a notice."""

from __future__ import annotations

import asyncio

import pytest

from desktop.session import PauseReason, TileNeed
from desktop.session.events import RemoteVideoChanged, VideoFrameReceived
from rtcseam import arrival
from server.http.keys import ROOMS_KEY
from support import RunningBot, Server, eventually

VIDEO = dict(width=320, height=180, fps=15)


async def settled(read, quiet: float = 1.0, timeout: float = 10.0):
    """``read()`` once it has not changed for ``quiet`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    value, since = read(), loop.time()
    while loop.time() - since < quiet:
        assert loop.time() < deadline, "it kept changing"
        await asyncio.sleep(0.1)
        now = read()
        if now != value:
            value, since = now, loop.time()
    return value


def frames(bot: RunningBot, attendee_id: str) -> int:
    return bot.report.frames_received.get(attendee_id, 0)


@pytest.mark.slow
async def test_a_subscriber_with_a_poor_downlink_gets_pause_notices_and_others_are_unaffected(server: Server) -> None:
    meeting = await server.create_meeting()
    urls = [await server.join_url(meeting["id"], name) for name in ("Ada", "Grace", "Linus")]
    bots = ada, grace, linus = tuple(RunningBot(url, **VIDEO) for url in urls)
    await eventually(lambda: all(len(b.report.frames_received) == 2 for b in bots), timeout=15,
                     what="everyone sees the two others")
    ids = {b: b.report.attendee_id for b in bots}
    seen: list[RemoteVideoChanged] = []
    linus.session.on(RemoteVideoChanged, seen.append)
    # the server says which layer each camera comes at: the whole picture
    await eventually(lambda: {s.attendee_id: (s.paused, s.layer) for s in linus.session.remote.video_states.values()}
                     == {ids[ada]: (False, "high"), ids[grace]: (False, "high")}, what="the layers told")

    room = server.app[ROOMS_KEY].room(meeting["id"])
    downlink = room.participants[ids[linus]].subscriber.downlink
    # the server's uplink estimator times Ada's packets by when the kernel received them too
    ada_pc = room.participants[ids[ada]].publisher.pc
    transports = {id(t.receiver.transport): t.receiver.transport for t in ada_pc.getTransceivers()}

    def counted() -> list:  # per transport read directly: datagrams with and without a kernel time
        return [c for d in transports.values()
                if (c := getattr(d, "_parley_arrivals", None)) is not None and c.kernel + c.loop > 0]

    await eventually(counted, what="Ada's packets read as they arrive")
    counts = counted()
    assert counts and (all(c.kernel > 0 and c.loop == 0 for c in counts) or not arrival.available())
    # the bot tells the server what it shows, as the app does: each camera in a 640x360 tile,
    # the one who talks on stage
    await eventually(lambda: {a: (t.width, t.height) for a, t in downlink.needs.items()}
                     == {ids[ada]: (640, 360), ids[grace]: (640, 360)}, what="Linus's tiles told")
    await eventually(lambda: any(t.stage for t in downlink.needs.values()), what="a speaker on Linus's stage")
    await eventually(lambda: downlink.measured, timeout=10, what="Linus's receiver estimates its downlink (REMB)")
    # from when the kernel received each packet, not when Linus's event loop got to it
    arrivals = linus.session.remote.connection.arrivals
    assert arrivals is not None and (arrivals.kernel > 0 and arrivals.loop == 0 or not arrival.available())
    downlink.estimate_cap = 20_000  # 20 kbit/s: voice only
    await eventually(lambda: {e.attendee_id for e in seen if e.paused} == {ids[ada], ids[grace]}, timeout=10,
                     what="Linus is told both videos are paused")
    assert all(e.reason == PauseReason.BANDWIDTH and e.layer is None for e in seen if e.paused)
    # what was on its way when the pause came is decoded, and then nothing more comes
    stopped = await settled(lambda: {who: frames(linus, ids[who]) for who in (ada, grace)})
    before = {b: {o: frames(b, ids[o]) for o in bots if o is not b} for b in (ada, grace)}
    audio_before = linus.report.audio_frames_received[ids[ada]]
    await asyncio.sleep(3)
    assert {who: frames(linus, ids[who]) for who in (ada, grace)} == stopped
    # but the voices go on
    assert linus.report.audio_frames_received[ids[ada]] >= audio_before + 75  # 50 a second
    # the others: still the pictures from everyone (15 a second; a loaded machine may lag)
    for bot in (ada, grace):
        for other in bots:
            if other is not bot:
                assert frames(bot, ids[other]) >= before[bot][other] + 15, (bots.index(bot), bots.index(other))

    seen.clear()
    downlink.estimate_cap = None  # the link recovers: the videos come back by themselves
    await eventually(lambda: {e.attendee_id for e in seen if not e.paused} == {ids[ada], ids[grace]},
                     timeout=15, what="Linus is told both videos resumed")
    await eventually(lambda: all(frames(linus, ids[who]) >= stopped[who] + 10 for who in (ada, grace)),
                     timeout=10, what="Linus sees both cameras again")
    for bot in bots:
        await bot.finish()
    # the bot's report says it all: each camera paused a while, then shown again (the small
    # layer first: the whole picture follows after a hold)
    for who in (ada, grace):
        video = linus.report.remotes[ids[who]]["video"]
        assert not video["paused"] and video["layer"] in ("low", "high")
        assert 0 < video["paused_share"] < 1 and video["layers"]["high"] > 0


@pytest.mark.slow
async def test_the_tiles_needs_choose_the_layer_and_a_hidden_tile_gets_nothing(server: Server) -> None:
    """Each camera goes out as two layers (320x180 and 160x90 here); a subscriber whose tiles
    are small gets the small one, switched at a keyframe without a gap, and the whole picture
    again when its tile grows; a hidden tile gets nothing, and that is not a pause."""
    meeting = await server.create_meeting()
    urls = [await server.join_url(meeting["id"], name) for name in ("Ada", "Grace", "Linus")]
    # Linus's needs are the test's own (0x0: his bot tells nothing of itself)
    bots = ada, grace, linus = tuple(RunningBot(url, **VIDEO, tile=(0, 0) if name == "Linus" else (640, 360))
                                     for url, name in zip(urls, ("Ada", "Grace", "Linus")))
    await eventually(lambda: all(len(b.report.frames_received) == 2 for b in bots), timeout=15,
                     what="everyone sees the two others")
    ids = {b: b.report.attendee_id for b in bots}
    sizes: dict[str, tuple[int, int]] = {}
    linus.session.on(VideoFrameReceived, lambda e: sizes.__setitem__(e.attendee_id, (e.frame.width, e.frame.height)))
    await eventually(lambda: set(sizes.values()) == {(320, 180)}, what="the whole pictures")

    await linus.session.remote.tell_needs([TileNeed(ids[ada], 160, 90), TileNeed(ids[grace], 160, 90)])
    await eventually(lambda: {(s.paused, s.layer) for s in linus.session.remote.video_states.values()}
                     == {(False, "low")}, what="Linus is told both come at the small layer")
    await eventually(lambda: set(sizes.values()) == {(160, 90)}, what="small pictures")
    count = {who: frames(linus, ids[who]) for who in (ada, grace)}
    await asyncio.sleep(1.5)
    assert all(frames(linus, ids[who]) >= count[who] + 5 for who in (ada, grace))  # 7.5 a second
    # the others still get the whole pictures
    assert {s.layer for s in ada.session.remote.video_states.values()} == {"high"}

    await linus.session.remote.tell_needs([TileNeed(ids[ada], 640, 360), TileNeed(ids[grace], 0, 0)])
    await eventually(lambda: sizes.get(ids[ada]) == (320, 180), what="Ada's whole picture again")
    states = linus.session.remote.video_states
    await eventually(lambda: (states[ids[grace]].paused, states[ids[grace]].layer) == (False, None),
                     what="Grace's hidden tile: nothing sent, not paused")
    hidden = await settled(lambda: frames(linus, ids[grace]))
    count = frames(linus, ids[ada])
    await asyncio.sleep(1.5)
    assert frames(linus, ids[grace]) == hidden
    assert frames(linus, ids[ada]) >= count + 10
    for bot in bots:
        await bot.finish()


@pytest.mark.slow
async def test_a_replayed_camera_sends_two_layers_too(server: Server) -> None:
    """A light bot encodes nothing, yet its camera goes out as two layers (both pre-encoded),
    so the server can give a small tile the small one."""
    meeting = await server.create_meeting()
    urls = [await server.join_url(meeting["id"], name) for name in ("Ada", "Linus")]
    ada = RunningBot(urls[0], light=True, **VIDEO)
    linus = RunningBot(urls[1], camera="none", tile=(0, 0), **VIDEO)
    await eventually(lambda: ada.report.attendee_id is not None and frames(linus, ada.report.attendee_id) >= 5,
                     timeout=15, what="Linus sees Ada")
    sizes: dict[str, tuple[int, int]] = {}
    linus.session.on(VideoFrameReceived, lambda e: sizes.__setitem__(e.attendee_id, (e.frame.width, e.frame.height)))
    await eventually(lambda: sizes.get(ada.report.attendee_id) == (320, 180), what="the whole picture")
    await linus.session.remote.tell_needs([TileNeed(ada.report.attendee_id, 160, 90)])
    await eventually(lambda: sizes.get(ada.report.attendee_id) == (160, 90), what="the small layer")
    state = linus.session.remote.video_states[ada.report.attendee_id]
    assert (state.paused, state.layer) == (False, "low")
    count = frames(linus, ada.report.attendee_id)
    await asyncio.sleep(1.5)
    assert frames(linus, ada.report.attendee_id) >= count + 5  # 7.5 pictures a second
    for bot in (ada, linus):
        await bot.finish()
