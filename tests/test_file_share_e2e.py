"""Sharing a video file as content, end to end: picture and sound reach the others."""

from __future__ import annotations

from pathlib import Path

from support import LIGHT_SMALL, RunningBot, Server, eventually
from desktop.media.synthetic.clip import make_media
from test_file_share import CONTAINERS
from wire import ErrorCode, content_attendee_id

SMALL_SCREEN = dict(screen="synthetic", screen_width=320, screen_height=180, screen_fps=10)


async def test_a_file_share_reaches_the_others_with_its_sound(server: Server, tmp_path: Path) -> None:
    suffix, vcodec, acodec, rate = CONTAINERS["mp4"]
    movie = make_media(tmp_path / f"talk{suffix}", vcodec, acodec, rate=rate, seconds=6.0)
    meeting = await server.create_meeting()
    viewer = RunningBot(await server.join_url(meeting["id"], "Viewer"), camera="none", mic="none", light=False)
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), share_file=str(movie), **LIGHT_SMALL)
    await eventually(lambda: ada.report.screen_share == "published", what="the file shared")
    share = content_attendee_id(ada.report.attendee_id)
    await eventually(lambda: viewer.report.content_frames_received.get(share, 0) > 10, what="its picture")
    await eventually(lambda: viewer.report.audio_frames_received.get(share, 0) > 25, what="its sound")
    await eventually(lambda: share in viewer.session.volumes and viewer.session.volumes[share].volume > 0.2,
                     what="the share's own volume indicator")

    # with the file and a screen shared, a third share is refused
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL, **SMALL_SCREEN)
    await eventually(lambda: grace.report.screen_share == "published", what="Grace's screen")
    linus = RunningBot(await server.join_url(meeting["id"], "Linus"), share_file=str(movie), **LIGHT_SMALL)
    await eventually(lambda: linus.report.screen_share_refused, what="a third share refused")
    # the refusal event is dispatched before the share call returns its error code
    await eventually(lambda: linus.report.screen_share == ErrorCode.CONTENT_SHARE_UNAVAILABLE,
                     what="the share call saying why")

    # the file ends: the share ends with it, and Ada stays
    await eventually(lambda: ada.report.screen_share_ended == "source_ended", timeout=15, what="the end of the file")
    await eventually(lambda: share not in viewer.session.attendees, what="the share is gone")
    assert not ada.session.ended.is_set()
    for bot in (viewer, ada, grace, linus):
        await bot.finish()


async def test_a_file_that_is_not_media_is_refused(server: Server, tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), share_file=str(junk), **LIGHT_SMALL)
    await eventually(lambda: ada.report.screen_share is not None, what="answered")
    assert ada.report.screen_share == "bad_file" and ada.session.file_error
    assert not ada.session.ended.is_set()
    await ada.finish()
