"""Sharing a video file from the app: chosen in the picker, paused and resumed from the bar."""

from __future__ import annotations

from pathlib import Path

from app_support import join_from_lobby
from desktop.media.synthetic.backend import SyntheticScreens
from support import LIGHT_SMALL, RunningBot, Server, eventually
from desktop.media.synthetic.clip import make_media
from test_file_share import CONTAINERS
from wire import content_attendee_id


async def test_share_a_video_file_pause_and_stop(app_flow, server: Server, tmp_path: Path) -> None:
    suffix, vcodec, acodec, rate = CONTAINERS["mp4"]
    movie = make_media(tmp_path / f"holiday{suffix}", vcodec, acodec, rate=rate, seconds=8.0)
    meeting = await server.create_meeting()
    viewer = RunningBot(await server.join_url(meeting["id"], "Viewer"), **LIGHT_SMALL)
    flow = app_flow(screens=SyntheticScreens(320, 180, 10))
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call = flow.call
    call.bar.share_button.click()
    picker = flow.controller.share.picker
    await eventually(lambda: picker is not None and picker.isVisible(), what="the picker")
    assert picker.file_button.text() == "Share a video file…"
    picker.file_button.click()
    assert picker.file_dialog.isVisible() and "*.mp4" in picker.file_dialog.nameFilters()[0]
    picker.file_dialog.fileSelected.emit(str(movie))  # what choosing the file does
    await eventually(lambda: flow.session.sharing and call.sharing_bar.isVisible(), what="sharing the file")
    assert "holiday" in call.sharing_bar.label.text() and call.sharing_bar.pause_button.isVisible()
    share = content_attendee_id(flow.session.me.attendee_id)
    await eventually(lambda: viewer.report.content_frames_received.get(share, 0) > 5, what="the picture arrives")
    await eventually(lambda: viewer.report.audio_frames_received.get(share, 0) > 10, what="the sound arrives")

    call.sharing_bar.pause_button.click()
    assert flow.session.file_source.paused and call.sharing_bar.pause_button.text() == "Resume"
    call.sharing_bar.pause_button.click()
    assert not flow.session.file_source.paused
    call.sharing_bar.stop_button.click()
    await eventually(lambda: not flow.session.sharing and flow.session.file_source is None, what="stopped")
    await eventually(lambda: share not in viewer.session.attendees, what="the viewer sees it end")
    await viewer.finish()
