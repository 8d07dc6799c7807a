"""Screen share end to end: bots share synthetic screens as ``ATTENDEE#content`` through the
real server; at most two at once, a third is refused until one stops."""

from __future__ import annotations

import asyncio

import pytest

from desktop.media.synthetic.capture import SyntheticScreen
from desktop.session.events import ScreenShareStopped
from desktop.session.meeting_session import MeetingSession
from desktop.signalling.tls import MemoryTrustStore
from server import meetings
from support import LIGHT_SMALL, RunningBot, Server, eventually
from wire import ErrorCode, content_attendee_id

SMALL_SCREEN = dict(screen="synthetic", screen_width=320, screen_height=180, screen_fps=10)


def content_frames(bot: RunningBot, owner: RunningBot) -> int:
    return bot.report.content_frames_received.get(content_attendee_id(owner.report.attendee_id), 0)


async def test_two_share_a_third_is_refused_until_one_stops(server: Server) -> None:
    meeting = await server.create_meeting()
    url = lambda name: server.join_url(meeting["id"], name)  # noqa: E731
    viewer = RunningBot(await url("Viewer"), **LIGHT_SMALL)
    ada = RunningBot(await url("Ada"), share_for=3.0, **LIGHT_SMALL, **SMALL_SCREEN)
    grace = RunningBot(await url("Grace"), **LIGHT_SMALL, **SMALL_SCREEN)
    await eventually(lambda: ada.report.screen_share == grace.report.screen_share == "published",
                     what="two shares published")
    await eventually(lambda: content_frames(viewer, ada) > 5 and content_frames(viewer, grace) > 5,
                     what="the viewer receives both shares")
    # the shares are attendees of their own, with the owner's name, and not people
    shares = {a.attendee_id: a for a in viewer.session.attendees.values() if a.content}
    assert set(shares) == {content_attendee_id(b.report.attendee_id) for b in (ada, grace)}
    assert shares[content_attendee_id(ada.report.attendee_id)].name == "Ada (screen)"
    assert not viewer.session.share_available
    # nobody receives their own share back
    assert content_frames(ada, ada) == 0

    linus = RunningBot(await url("Linus"), **LIGHT_SMALL, **SMALL_SCREEN)
    await eventually(lambda: linus.report.screen_share_refused, what="a third share refused")
    assert linus.report.screen_share == ErrorCode.CONTENT_SHARE_UNAVAILABLE
    assert linus.session.attendees  # refused sharing, still in the meeting
    frames_before = content_frames(viewer, grace)

    # Ada stops after 3 s: Linus is let in (he tries again when a share ends)
    await eventually(lambda: ada.report.screen_share_ended == "stopped", timeout=10, what="Ada stopped")
    await eventually(lambda: linus.report.screen_share == "published", what="Linus shares")
    await eventually(lambda: content_frames(viewer, linus) > 5, what="the viewer sees Linus's screen")
    assert content_frames(viewer, grace) > frames_before  # Grace's share went on meanwhile
    assert ada.session.attendees and not ada.session.ended.is_set()  # Ada stays in the meeting

    # the server counts people and shares apart
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    people = [p for p in data["meeting"]["session"]["participants"] if not p["content"]]
    assert len(people) == 4
    for bot in (viewer, ada, grace, linus):
        await bot.finish()


async def test_a_share_ends_with_its_owner_and_a_host_can_stop_it(server: Server) -> None:
    meeting = await server.create_meeting()
    host = RunningBot(await server.join_url(meeting["id"], "Host", role="host"), **LIGHT_SMALL)
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL, **SMALL_SCREEN)
    await eventually(lambda: ada.report.screen_share == "published", what="Ada shares")
    ada_share = content_attendee_id(ada.report.attendee_id)
    await eventually(lambda: ada_share in host.session.attendees, what="the host sees the share")
    stopped: list[str] = []
    ada.session.on(ScreenShareStopped, lambda e: stopped.append(e.reason))

    # the host stops Ada's share; Ada stays, and is told why
    await host.session.moderate(ada_share, "remove")
    await eventually(lambda: stopped == ["removed"], what="Ada's share stopped by the host")
    await eventually(lambda: ada_share not in host.session.attendees, what="the share is gone")
    assert not ada.session.ended.is_set()

    # she shares again, then leaves: her share leaves with her
    assert await ada.session.share_screen(SyntheticScreen(320, 180, 10)) == "published"
    await eventually(lambda: ada_share in host.session.attendees, what="shared again")
    await ada.finish()
    await eventually(lambda: ada_share not in host.session.attendees, what="the share left with Ada")
    await host.finish()


async def test_a_role_without_screenshare_is_refused(server: Server) -> None:
    status, _ = await server.call("POST", "/v1/call-types", {
        "name": "talk", "grants": {"host": meetings.CAPABILITIES, "audience": ["join-call", "send-audio"]}})
    assert status == 201
    meeting = await server.create_meeting(call_type="talk")
    listener = RunningBot(await server.join_url(meeting["id"], "Listener", role="audience"),
                          camera="none", **SMALL_SCREEN)
    await eventually(lambda: listener.report.screen_share is not None, what="the share answered")
    assert listener.report.screen_share == ErrorCode.MISSING_CAPABILITY
    await listener.finish()


async def test_sharing_needs_to_be_in_the_meeting(server: Server) -> None:
    meeting = await server.create_meeting()
    session = MeetingSession(await server.join_url(meeting["id"], "Ada"), trust=MemoryTrustStore())
    screen = SyntheticScreen(320, 180, 10)
    assert await session.share_screen(screen) == "not_joined"
    assert screen.readyState == "ended"
    # a share socket of someone not in the meeting is refused by the server too
    from desktop.session.screen_share import ScreenShare, ShareRefused

    share = ScreenShare(session.url, SyntheticScreen(320, 180, 10), lambda reason: None, trust=MemoryTrustStore())
    with pytest.raises(ShareRefused) as refused:
        await share.start()
    assert refused.value.reason == ErrorCode.NOT_JOINED
    await asyncio.sleep(0)
