"""Bug 12 (issue 21): the call window's ✕ asks "Leave the meeting?" (as Teams and Zoom do) and
leaves; a call window destroyed from outside never leaves the app in the meeting with no window."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox
from shiboken6 import isValid

from app_support import join_from_lobby
from support import LIGHT_SMALL, RunningBot, Server, eventually


def _leave_box(call) -> QMessageBox | None:
    box = call.findChild(QMessageBox, "LeaveMeetingBox")
    return box if box is not None and box.isVisible() else None


async def test_the_close_button_asks_and_leaves(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call, ada = flow.call, flow.session.me.attendee_id
    await eventually(lambda: ada in grace.session.attendees, what="Grace sees Ada")

    call.close()  # the ✕
    await eventually(lambda: _leave_box(call) is not None, what='"Leave the meeting?"')
    box = _leave_box(call)
    assert box.windowTitle() == "Leave the meeting?"
    assert call.isVisible() and flow.session is not None  # nothing happened yet
    next(b for b in box.buttons() if b.text() == "Stay").click()
    await eventually(lambda: _leave_box(call) is None, what="the question gone")
    assert call.isVisible() and flow.session is not None and not flow.shutdown.done()

    call.close()
    await eventually(lambda: _leave_box(call) is not None, what="asked again")
    next(b for b in _leave_box(call).buttons() if b.text() == "Leave").click()
    await eventually(lambda: flow.start_window.isVisible(), what="back at the start")
    assert flow.session is None and flow.start_window.notice.text() == "You left the meeting."
    assert not flow.shutdown.done()  # the app stays, as after Leave
    await eventually(lambda: ada not in grace.session.attendees, what="Grace sees Ada leave")
    await grace.finish()


async def test_a_call_window_destroyed_from_outside_leaves_the_meeting(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call, ada = flow.call, flow.session.me.attendee_id
    await eventually(lambda: ada in grace.session.attendees, what="Grace sees Ada")

    call.deleteLater()
    await eventually(lambda: not isValid(call), what="the window destroyed")
    await eventually(lambda: flow.start_window.isVisible() and flow.session is None, what="back at the start")
    assert flow.controller is None
    await eventually(lambda: ada not in grace.session.attendees, what="Grace sees Ada leave")
    await grace.finish()
