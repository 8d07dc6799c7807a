"""The app when its connection drops: the meeting stays on screen, "Reconnecting…", and back."""

from __future__ import annotations

from app_support import join_from_lobby
from desktop.session.events import AttendeeLeft
from support import LIGHT_SMALL, RunningBot, Server, eventually


async def test_the_app_keeps_the_meeting_while_it_reconnects(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    left: list[str] = []
    grace.session.on(AttendeeLeft, lambda e: left.append(e.attendee_id))
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call = flow.call
    grace_id = grace.report.attendee_id
    await eventually(lambda: call.grid.tile(grace_id) is not None and call.grid.tile(grace_id).has_frame,
                     what="Grace's picture")
    session = flow.session
    await session.link.signalling._ws.close()  # the network drops under the app
    await eventually(lambda: call.reconnecting, what="Reconnecting… shown")
    assert "Reconnecting" in call.status.text()
    assert call.grid.tile(grace_id).has_frame  # her last picture stays
    await eventually(lambda: not call.reconnecting, what="back")
    assert flow.call is call and flow.session is session and not session.ended.is_set()
    assert call.banner.text().startswith("Reconnected after")
    shown = call.grid.tile(grace_id).frames_shown
    await eventually(lambda: call.grid.tile(grace_id).frames_shown > shown + 5, what="her video moves again")
    assert left == []  # Grace never saw Ada leave
    await grace.finish()
