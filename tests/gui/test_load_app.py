"""The app under load: it pauses the videos it cannot keep up with, says so once, keeps the
voices, asks the server to stop sending the paused videos, and brings every video back when
the load passes. The load signal is injected (the governor's measurements), so the test does
not depend on how busy the machine is."""

from __future__ import annotations

import asyncio
import functools
import time

from app_support import join_from_lobby
from desktop.session.events import AudioFrameReceived
from desktop.session.load_governor import LoadSample
from desktop.session.meeting_session import MeetingSession
from server.http.keys import ROOMS_KEY
from support import LIGHT_SMALL, RunningBot, Server, eventually


def packets_of(session, attendee_id: str) -> int:
    """RTP packets the app received so far on the video sections carrying ``attendee_id``."""
    connection = session.remote.connection
    return sum(counter.packets for mid, counter in connection.video_counters.items()
               if session.remote.carrier(mid) == attendee_id)


async def unchanged(read, seconds: float = 1.0, timeout: float = 15.0) -> int:
    """``read()`` once it has stayed the same for ``seconds`` (on the loop's clock)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    value, since = read(), loop.time()
    while loop.time() - since < seconds:
        assert loop.time() < deadline, "it kept changing"
        await asyncio.sleep(0.1)
        if read() != value:
            value, since = read(), loop.time()
    return value

BUSY = LoadSample(loop_lag_ms=150.0, decode_share=0.2, dropped_share=0.0)
CALM = LoadSample(loop_lag_ms=2.0, decode_share=0.05, dropped_share=0.0)


async def test_a_busy_computer_pauses_videos_says_so_and_recovers(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    bots = [RunningBot(await server.join_url(meeting["id"], name), **LIGHT_SMALL) for name in ("Ada", "Grace", "Linus")]
    now = [time.time()]
    flow = app_flow(clock=lambda: now[0], session_factory=functools.partial(MeetingSession, step_down=True))
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Me"), "Me")
    call, session = flow.call, flow.session
    ids = [bot.report.attendee_id for bot in bots]
    await eventually(lambda: all(call.grid.tile(i) is not None and call.grid.tile(i).has_frame for i in ids),
                     timeout=20, what="everyone's video")
    remote = session.remote
    remote.step_down = False  # the measurements below stand in for the real ones
    heard: dict[str, int] = {}
    session.on(AudioFrameReceived, lambda e: heard.__setitem__(e.attendee_id, heard.get(e.attendee_id, 0) + 1))

    for _ in range(2):  # two seconds of a lagging loop
        now[0] += 1
        remote.check_load(BUSY)
    assert call.banner.isVisible() and call.banner.text() == "Your computer is busy, so Parley shows fewer videos."
    paused = [i for i in ids if call.grid.tile(i).paused is not None]
    assert len(paused) == 1  # a quarter of three videos, the least important one
    tile = call.grid.tile(paused[0])
    assert tile.paused_text() == "Video paused: your computer is busy"
    assert "Video paused: your computer is busy" in tile.accessibleDescription()
    assert tile.grab().toImage().width() > 0  # it paints in the paused state
    shown = tile.frames_shown
    before = heard.get(paused[0], 0)
    await eventually(lambda: heard.get(paused[0], 0) > before + 20, what="their voice goes on")
    assert tile.frames_shown == shown  # while their video waits: nothing decoded, nothing drawn
    # ... and the server was asked to stop sending it (its tile hidden), and did
    me = session.me.attendee_id
    downlink = server.app[ROOMS_KEY].room(meeting["id"]).participants[me].subscriber.downlink
    await eventually(lambda: (lambda need: need is not None and need.height == 0)(downlink.needs.get(paused[0])),
                     what="the server hears the paused video's tile is hidden")
    await eventually(lambda: (lambda state: state is not None and not state.paused and state.layer is None)(
        remote.video_states.get(paused[0])), what="the server says it forwards none of it")
    stopped = await unchanged(lambda: packets_of(session, paused[0]))
    others = {i: packets_of(session, i) for i in ids if i != paused[0]}
    await eventually(lambda: all(packets_of(session, i) > others[i] + 10 for i in others), what="the others still come")
    assert packets_of(session, paused[0]) == stopped
    call.banner.setVisible(False)
    for _ in range(3):  # still busy: the notice is not repeated
        now[0] += 1
        remote.check_load(LoadSample(loop_lag_ms=40.0, decode_share=0.1, dropped_share=0.0))
    assert not call.banner.isVisible()

    for _ in range(4):  # the load passes
        now[0] += 1
        remote.check_load(CALM)
    assert all(call.grid.tile(i).paused is None for i in ids)
    assert call.banner.isVisible() and "every video is back" in call.banner.text()
    await eventually(lambda: tile.frames_shown > shown + 3, timeout=15, what="the paused video moving again")
    assert downlink.needs[paused[0]].height > 0  # its tile's real size again
    assert packets_of(session, paused[0]) > stopped  # sent again
    for bot in bots:
        await bot.finish()


async def test_incoming_media_that_goes_quiet_is_told_and_repaired(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Me"), "Me")
    call, session = flow.call, flow.session
    await eventually(lambda: call.grid.tile(ada.report.attendee_id) is not None
                     and call.grid.tile(ada.report.attendee_id).has_frame, timeout=20, what="Ada's video")
    tile = call.grid.tile(ada.report.attendee_id)
    remote = session.remote
    remote.watchdog.stall_after = remote.watchdog.repair_after = 1.0
    said: list[str] = []
    flow.controller.bridge.media_stalled.connect(lambda _repairing: said.append(call.banner.text()))
    flow.controller.bridge.media_restored.connect(lambda: said.append(call.banner.text()))
    for transceiver in remote.connection.pc.getTransceivers():  # its RTP vanishes; socket and ICE stay
        async def dropped(packet, arrival_time_ms):
            return None
        transceiver.receiver._handle_rtp_packet = dropped
    await eventually(lambda: len(said) >= 3, timeout=30, what="told, repaired, told it is back")
    assert said[0] == "Video and sound from the others stopped arriving. Parley is repairing it…"
    assert said[1].startswith("Still nothing from the others: reconnecting")
    assert said[2] == "Video and sound from the others are back."
    shown = tile.frames_shown
    await eventually(lambda: call.grid.tile(ada.report.attendee_id).frames_shown > shown + 3, timeout=20,
                     what="Ada's video moving again")
    await ada.finish()
