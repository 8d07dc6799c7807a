"""Bug 6 (issue 21): a latecomer got no snapshot of the meeting's current state — someone
already talking at a steady level never appeared as speaking or in the volume indicators for
the newcomer (volumes are only sent on change), and raised hands that were up before."""

from __future__ import annotations

from support import LIGHT_SMALL, RunningBot, Server, eventually


async def test_a_latecomer_sees_who_is_talking_and_the_hands_already_up(server: Server) -> None:
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), raise_hand=True, **LIGHT_SMALL)  # a steady tone
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), muted=True, **LIGHT_SMALL)
    await eventually(lambda: ada.report.attendee_id is not None and grace.report.attendee_id is not None,
                     what="both in")
    ada_id = ada.report.attendee_id
    await eventually(lambda: ada_id in grace.session.volumes and grace.session.volumes[ada_id].volume > 0
                     and grace.session.attendees[ada_id].hand_raised_at is not None,
                     what="Grace hears Ada and sees her hand")
    sent = grace.session.volumes[ada_id]
    await eventually(lambda: len(grace.bot.report.volumes) >= 1, what="volumes reported")

    late = RunningBot(await server.join_url(meeting["id"], "Linus"), **LIGHT_SMALL)
    await eventually(lambda: late.report.attendee_id is not None, what="Linus in")
    await eventually(lambda: ada_id in late.session.volumes, timeout=5, what="Linus gets Ada's volume")
    assert late.session.volumes[ada_id].volume == sent.volume > 0
    await eventually(lambda: ada_id in late.session.active_speakers, timeout=5, what="Ada speaking for Linus")
    report = await late.finish()
    assert report.hands_raised == ["Ada"]
    assert report.volumes[ada_id]["volume"] > 0
    await ada.finish()
    await grace.finish()
