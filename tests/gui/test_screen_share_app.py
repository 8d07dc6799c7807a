"""Screen share, layouts, pinning and "End meeting for everyone" in the app, against a real
server with bots."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.media.synthetic.backend import SyntheticScreens
from desktop.ui.call_window import GRID, SELF, SPEAKER
from support import LIGHT_SMALL, RunningBot, Server, eventually
from app_support import join_from_lobby
from wire import content_attendee_id

SCREEN = dict(screen="synthetic", screen_width=320, screen_height=180, screen_fps=10)


async def test_shares_take_the_stage_and_a_third_is_unavailable(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL, **SCREEN)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), share_for=4.0, **LIGHT_SMALL, **SCREEN)
    await eventually(lambda: ada.report.screen_share == grace.report.screen_share == "published",
                     what="two bots share")
    flow = app_flow(screens=SyntheticScreens(320, 180, 10))
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Linus"), "Linus")
    call = flow.call
    shares = [content_attendee_id(b.report.attendee_id) for b in (ada, grace)]
    # both shares are on the stage, side by side, showing pictures; the cameras in the strip
    await eventually(lambda: call.grid.stage_keys() == shares, what="both shares on stage")
    await eventually(lambda: all(call.grid.tile(k).has_frame for k in shares), what="share pictures")
    left, right = (call.grid.tile(k).geometry() for k in shares)
    assert left.right() < right.left() and left.top() == right.top()
    camera = call.grid.tile(ada.report.attendee_id).geometry()
    assert camera.width() < left.width() and camera.left() > right.right()
    assert call.grid.tile(shares[0]).name == "Ada (screen)" and call.grid.tile(shares[0]).fit
    assert call.bar.count_label.text() == "3 in the meeting"  # shares are not people
    # the roster shows who shares, not the shares as people
    assert call.roster.rows[ada.report.attendee_id].screen.isVisibleTo(call.roster.rows[ada.report.attendee_id])
    assert shares[0] not in call.roster.rows
    # a third share is not available, and the button says why
    assert not call.bar.share_button.isEnabled()
    assert "Ada and Grace are sharing" in call.bar.share_button.toolTip()

    # pinning a camera puts it on the stage instead; unpinning brings the shares back
    ada_tile = call.grid.tile(ada.report.attendee_id)
    QTest.mouseDClick(ada_tile, Qt.MouseButton.LeftButton)
    assert call.grid.stage_keys() == [ada.report.attendee_id] and ada_tile.pinned
    call.stage.pin(None)
    assert call.grid.stage_keys() == shares

    # Grace stops after 4 s: her tile goes, and sharing is available again
    await eventually(lambda: call.grid.tile(shares[1]) is None, timeout=10, what="Grace's share gone")
    assert call.grid.stage_keys() == [shares[0]]
    await eventually(lambda: call.bar.share_button.isEnabled(), what="share button available")
    for bot in (ada, grace):
        await bot.finish()
    await eventually(lambda: call.grid.stage_keys() == [], what="back to the grid")


async def test_sharing_from_the_app_reaches_the_others(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    viewer = RunningBot(await server.join_url(meeting["id"], "Viewer"), **LIGHT_SMALL)
    screens = SyntheticScreens(320, 180, 10)
    flow = app_flow(screens=screens)
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call = flow.call
    assert call.bar.share_button.isVisible() and call.bar.share_button.isEnabled()
    call.bar.share_button.click()
    picker = flow.controller.share.picker
    await eventually(lambda: picker is not None and picker.isVisible(), what="the picker opens")
    await picker.thumbnails_done.wait()
    item = picker.list.item(0)
    assert item.text().startswith("Synthetic screen") and not item.icon().isNull()
    picker.share_button.click()
    await eventually(lambda: flow.session.sharing, what="sharing")
    my_share = content_attendee_id(flow.session.me.attendee_id)
    await eventually(lambda: call.sharing_bar.isVisible() and call.bar.share_button.isChecked(), what="sharing bar")
    assert call.grid.tile(my_share) is None  # no tile for my own share
    await eventually(lambda: viewer.report.content_frames_received.get(my_share, 0) > 5,
                     what="the viewer receives the app's screen")
    # stop from the floating bar
    call.sharing_bar.stop_button.click()
    await eventually(lambda: not flow.session.sharing and not call.sharing_bar.isVisible(), what="stopped")
    await eventually(lambda: my_share not in viewer.session.attendees, what="the viewer sees it end")
    assert screens.opened[0].readyState == "ended"  # the capture was released
    await viewer.finish()


async def test_speaker_layout_puts_the_talker_on_stage(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    quiet = RunningBot(await server.join_url(meeting["id"], "Quiet"), muted=True, **LIGHT_SMALL)
    talker = RunningBot(await server.join_url(meeting["id"], "Talker"), **LIGHT_SMALL)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call = flow.call
    await eventually(lambda: call.grid.count == 3, what="three tiles")
    assert call.grid.stage_keys() == []  # the grid by default
    call.bar.layout_actions[SPEAKER].trigger()
    assert call.stage.layout_mode == SPEAKER
    await eventually(lambda: call.grid.stage_keys() == [talker.report.attendee_id], what="the talker large")
    assert call.grid.tile(talker.report.attendee_id).width() > 2 * call.grid.tile(SELF).width()
    call.set_layout(GRID)
    assert call.grid.stage_keys() == []
    for bot in (quiet, talker):
        await bot.finish()


async def test_host_ends_the_meeting_for_everyone(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada", role="host"), "Ada")
    call = flow.call
    assert call.bar.end_action.isVisible()
    call.bar.leave_button.click()
    await eventually(lambda: call.bar.leave_menu.isVisible(), what="leave menu")
    call.bar.end_action.trigger()
    report = await grace.task
    assert report.end_reason == "ended_by_host"
    await eventually(lambda: flow.start_window.isVisible(), what="back at the start window")
    assert flow.start_window.notice.text() == "You ended the meeting for everyone."  # not "The host…"


async def test_a_participant_only_leaves(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call = flow.call
    assert not call.bar.end_action.isVisible()
    call.bar.leave_button.click()
    await eventually(lambda: flow.start_window.isVisible(), what="left at once")
