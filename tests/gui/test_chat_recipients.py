"""Bug 1 (issue 21): the private-chat recipient list collapsed to "Everyone" plus the newest
person whenever anyone joined."""

from __future__ import annotations

from app_support import join_from_lobby
from support import LIGHT_SMALL, RunningBot, Server, eventually


def _recipients(chat) -> list[str]:
    return [chat.recipient.itemText(i) for i in range(chat.recipient.count())]


async def test_everyone_present_stays_a_recipient_as_people_join_and_leave(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    lin = RunningBot(await server.join_url(meeting["id"], "Lin"), **LIGHT_SMALL)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    chat = flow.call.chat
    await eventually(lambda: len(_recipients(chat)) == 3, what="Grace and Lin offered")
    chat.recipient.setCurrentIndex(chat.recipient.findData(grace.report.attendee_id))

    mo = RunningBot(await server.join_url(meeting["id"], "Mo"), **LIGHT_SMALL)  # someone joins
    await eventually(lambda: "Mo (privately)" in _recipients(chat), what="Mo offered")
    assert _recipients(chat) == ["Everyone", "Grace (privately)", "Lin (privately)", "Mo (privately)"]
    assert chat.recipient.currentData() == grace.report.attendee_id  # the choice stays

    await lin.finish()  # someone leaves: no longer offered
    await eventually(lambda: "Lin (privately)" not in _recipients(chat), what="Lin gone")
    assert _recipients(chat) == ["Everyone", "Grace (privately)", "Mo (privately)"]
    await grace.finish()
    await mo.finish()
