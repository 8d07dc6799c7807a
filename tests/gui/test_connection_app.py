"""Connection health in the app: the Connection panel, the poor-connection alert, tile signal."""

from __future__ import annotations

from app_support import join_from_lobby
from desktop.ui.call_window import SELF
from support import LIGHT_SMALL, RunningBot, Server, eventually
from test_connection_health import lose_uplink_audio


async def test_panel_figures_poor_connection_alert_and_signal_badges(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call, session = flow.call, flow.session
    session.stats_interval = 0.1
    grace_id = grace.report.attendee_id
    await eventually(lambda: call.grid.tile(grace_id) is not None and call.grid.tile(grace_id).has_frame,
                     what="Grace's video")

    next(a for a in call.bar.device_menu.actions() if a.text() == "Connection…").trigger()
    panel = flow.controller.connection_panel
    assert panel is not None and panel.isVisible()
    await eventually(lambda: "kbit/s" in panel.fields["receive"].text() and "Grace" in panel.videos.text(),
                     what="the panel shows figures")
    # which layer the server sends Grace's camera at: her tile is larger than her small layer
    await eventually(lambda: "Grace: " in panel.videos.text() and "(whole picture)" in panel.videos.text(),
                     what="the layer in the panel")

    # the app's uplink loses most of its audio: the alert offers to turn the video off, and the
    # self-view shows a poor signal; Grace sees Ada's badge too
    assert "kbit/s" in panel.fields["send_estimate"].text()  # what my encoder aims at
    weak: list[str] = []
    flow.controller.bridge.uplink_weak.connect(lambda: weak.append(call.alert_text.text()))
    lose_uplink_audio(session)
    # first, from the loss on what I send: others may not see my video well
    await eventually(lambda: weak, timeout=15, what="the weak-uplink alert")
    assert weak[0] == "Your connection is poor. Others may not see your video well."
    # then, after 15 samples of lost audio, Chime's alert, which offers to turn the video off
    await eventually(lambda: call.alert.isVisible() and call.alert_action.isVisible(), timeout=15,
                     what="connection alert")
    assert "poor" in call.alert_text.text()
    assert call.grid.tile(SELF).quality == 0.0
    assert "Poor" in panel.fields["quality"].text()
    call.alert_action.click()
    await eventually(lambda: not session.camera_on, what="the camera went off")
    assert not call.alert.isVisible()
    await eventually(lambda: grace.session.volumes.get(session.me.attendee_id) is not None
                     and grace.session.volumes[session.me.attendee_id].signal_strength == 0.0,
                     what="Grace sees Ada's poor signal")
    await grace.finish()
