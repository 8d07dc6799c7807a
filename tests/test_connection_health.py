"""Connection figures, poor-connection alerts (Chime's policy) and the signal indicator."""

from __future__ import annotations

from desktop.session.events import ConnectionPoor, ConnectionStatsUpdated
from desktop.session.health import ConnectionHealthPolicy, quality
from support import LIGHT_SMALL, RunningBot, Server, eventually


def test_alerts_need_15_bad_samples_come_at_most_twice_60_s_apart() -> None:
    policy = ConnectionHealthPolicy()
    t = 0.0
    for _ in range(14):
        assert policy.sample(0.6, t, camera_on=False) is None
        t += 2
    assert policy.sample(0.1, t, camera_on=False) is None  # one good sample breaks the run
    for _ in range(14):
        t += 2
        assert policy.sample(0.7, t, camera_on=True) is None
    t += 2
    alert = policy.sample(0.7, t, camera_on=True)
    assert alert == ConnectionPoor(0.7, suggest_video_off=True)
    for _ in range(15):  # another bad run within the 60 s cooldown: nothing
        t += 2
        assert policy.sample(0.8, t, camera_on=False) is None
    t += 60  # still bad once the cooldown is over: the second (and last) warning
    assert policy.sample(0.9, t, camera_on=False) == ConnectionPoor(0.9, suggest_video_off=False)
    for _ in range(100):  # never a third time
        t += 2
        assert policy.sample(1.0, t, camera_on=False) is None
    assert policy.sample(None, t, camera_on=False) is None
    assert [quality(x) for x in (None, 0.0, 0.049, 0.05, 0.19, 0.2, 1.0)] == [None, 1.0, 1.0, 0.5, 0.5, 0.0, 0.0]


def lose_uplink_audio(bot, keep_one_in: int = 3) -> None:
    """The network of a bot (or a session) loses most of its outgoing audio (2 of 3 packets)."""
    session = getattr(bot, "session", bot)
    publish = session.publisher.connection
    audio = next(t.sender for t in publish.pc.getTransceivers() if t.kind == "audio")
    transport = audio.transport
    original = transport._send_rtp
    count = 0

    async def lossy(data: bytes) -> None:
        nonlocal count
        ssrc = int.from_bytes(data[8:12], "big") if len(data) >= 12 else None
        if ssrc == audio._ssrc:
            count += 1
            if count % keep_one_in:
                return
        await original(data)

    transport._send_rtp = lossy


async def test_figures_flow_and_a_lossy_uplink_is_told(server: Server) -> None:
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), width=320, height=180, fps=15)
    for bot in (ada, grace):
        bot.session.stats_interval = 0.1
    figures: list[ConnectionStatsUpdated] = []
    alerts: list[ConnectionPoor] = []
    grace.session.on(ConnectionStatsUpdated, figures.append)
    ada.session.on(ConnectionPoor, alerts.append)
    await eventually(lambda: ada.session.publisher.connection is not None and grace.report.frames_received, what="media")

    # the figures: bitrate and packets both ways, frame rate per tile, no loss on loopback
    await eventually(lambda: len(figures) > 5 and figures[-1].stats.receive_kbps > 0, what="figures")
    last = figures[-1]
    assert last.stats.send_kbps > 10 and last.stats.send_packets_per_s > 10
    assert last.stats.receive_packets_per_s > 10 and last.stats.receive_loss in (0.0, None)
    assert last.frame_rates.get(ada.report.attendee_id, 0) > 3

    # Ada's uplink loses 2 audio packets in 3: after 15 bad samples she is told, once for now,
    # and the others see her signal indicator drop
    lose_uplink_audio(ada)
    await eventually(lambda: alerts, timeout=15, what="Ada told her connection is poor")
    assert alerts[0].loss >= 0.5 and alerts[0].suggest_video_off  # her camera is on
    assert ada.session.link_stats.uplink_audio_loss >= 0.5
    await eventually(lambda: grace.session.volumes.get(ada.report.attendee_id) is not None
                     and grace.session.volumes[ada.report.attendee_id].signal_strength == 0.0,
                     what="Grace sees Ada's poor signal")
    assert len(alerts) == 1  # the 60 s cooldown
    await ada.finish()
    await grace.finish()
