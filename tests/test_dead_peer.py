"""Bug 3 (issue 21): one participant's dead receive connection made screen sharing fail for
everyone ("Sharing stopped (internal_error)", ``InvalidStateError: RTCPeerConnection is closed``
while re-subscribing) and a bot joining meanwhile got ``internal_error``. One dead peer must
never break the others: it is let go (its client reconnects), the rest carries on."""

from __future__ import annotations

from desktop.media.synthetic.capture import SyntheticScreen
from server.http.keys import ROOMS_KEY
from server.sfu import peers
from support import LIGHT_SMALL, RunningBot, Server, eventually


async def test_a_dead_receive_connection_breaks_nobody_elses_share_or_join(server: Server, monkeypatch) -> None:
    monkeypatch.setattr(peers, "SPARE_SECTIONS", 0)  # every new track needs a new section: a renegotiation
    meeting = await server.create_meeting()
    ada, grace, linus = [RunningBot(await server.join_url(meeting["id"], name), **LIGHT_SMALL)
                         for name in ("Ada", "Grace", "Linus")]
    await eventually(lambda: all(len(b.report.frames_received) == 2 for b in (ada, grace, linus)),
                     timeout=15, what="everyone sees everyone")
    room = server.app[ROOMS_KEY].room(meeting["id"])
    dead = room.participants[grace.report.attendee_id].subscriber
    await dead.pc.close()  # Grace's receive connection dies under the room

    assert await ada.session.share_screen(SyntheticScreen(320, 180, 10)) == "published"
    share_id = ada.session.screen_share.attendee_id
    await eventually(lambda: linus.report.content_frames_received.get(share_id, 0) > 3, timeout=15,
                     what="Linus sees Ada's screen")
    mo = RunningBot(await server.join_url(meeting["id"], "Mo"), **LIGHT_SMALL)  # joining meanwhile
    await eventually(lambda: mo.report.content_frames_received.get(share_id, 0) > 3, timeout=15,
                     what="Mo joined and sees Ada's screen")
    assert mo.report.error is None
    # Grace was let go and came back as herself: she sees the share too
    await eventually(lambda: grace.report.content_frames_received.get(share_id, 0) > 3, timeout=30,
                     what="Grace back, with the share")
    assert grace.session.reconnects >= 1
    for bot in (ada, grace, linus, mo):
        report = await bot.finish()
        assert report.end_reason == "left"
