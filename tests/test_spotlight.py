"""Issue 21, "Spotlight for everyone", on a real server on loopback with raw sockets: a host's
``moderate spotlight`` reaches everyone (``spotlight``), a latecomer hears it right after its
``joined``, ``unspotlight`` and the person leaving end it, and a participant may not spotlight
(``missing_capability``) nor may a screen share be spotlighted (``bad_request``)."""

from __future__ import annotations

import pytest

from raw_client import RawClient, attendee
from desktop.session.events import SpotlightChanged
from support import RunningBot, Server, eventually
from wire import ErrorCode, Leave, Moderate, ModerationAction, ProtocolError


async def joined(server: Server, meeting: str, token: str, content: bool = False) -> RawClient:
    client = await RawClient.join(server.session, server.base_url, meeting, token, content=content)
    await client.next("joined")
    return client


async def test_a_spotlight_reaches_everyone_and_latecomers_and_ends_when_they_leave(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    ada_id, ada_token = await attendee(server, meeting, "Ada")
    _, grace_token = await attendee(server, meeting, "Grace")
    _, late_token = await attendee(server, meeting, "Late")
    host = await joined(server, meeting, host_token)
    ada = await joined(server, meeting, ada_token)
    grace = await joined(server, meeting, grace_token)

    rid = await host.send(Moderate(attendee_id=ada_id, action=ModerationAction.SPOTLIGHT))
    assert (await host.next("spotlight", rid))["attendee_id"] == ada_id
    for client in (ada, grace):
        assert (await client.next("spotlight"))["attendee_id"] == ada_id

    # a latecomer: right after its welcome
    late = await RawClient.join(server.session, server.base_url, meeting, late_token)
    await late.next("joined")
    assert late.frames[-1][1]["type"] == "joined"
    assert (await late.next("spotlight"))["attendee_id"] == ada_id

    # taken off, then on again; Ada leaves and it ends for everyone
    rid = await host.send(Moderate(attendee_id=ada_id, action=ModerationAction.UNSPOTLIGHT))
    assert (await host.next("spotlight", rid))["attendee_id"] is None
    assert (await grace.next("spotlight"))["attendee_id"] is None
    rid = await host.send(Moderate(attendee_id=ada_id, action=ModerationAction.SPOTLIGHT))
    await host.next("spotlight", rid)
    assert (await grace.next("spotlight"))["attendee_id"] == ada_id
    await ada.send(Leave())
    assert (await grace.next("participant_left"))["attendee_id"] == ada_id
    assert (await grace.next("spotlight"))["attendee_id"] is None
    # the latecomer heard every change after its welcome, in order
    assert [(await late.next("spotlight"))["attendee_id"] for _ in range(3)] == [None, ada_id, None]
    # a newcomer now hears of no spotlight
    again = await RawClient.join(server.session, server.base_url, meeting, ada_token)
    await again.next("joined")
    await again.send(Leave())
    assert all(body["type"] != "spotlight" for _, body in again.frames)
    for client in (host, grace, late, again, ada):
        await client.close()


async def test_a_participant_may_not_spotlight_and_a_screen_share_cannot_be(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    ada_id, ada_token = await attendee(server, meeting, "Ada")
    host = await joined(server, meeting, host_token)
    ada = await joined(server, meeting, ada_token)
    rid = await ada.send(Moderate(attendee_id=ada_id, action=ModerationAction.SPOTLIGHT))
    with pytest.raises(ProtocolError) as refusal:
        await ada.next("spotlight", rid)
    assert refusal.value.code == ErrorCode.MISSING_CAPABILITY
    share = await joined(server, meeting, ada_token, content=True)
    rid = await host.send(Moderate(attendee_id=f"{ada_id}#content", action=ModerationAction.SPOTLIGHT))
    with pytest.raises(ProtocolError) as refusal:
        await host.next("spotlight", rid)
    assert refusal.value.code == ErrorCode.BAD_REQUEST and "screen share" in refusal.value.message
    rid = await host.send(Moderate(attendee_id="nobody", action=ModerationAction.SPOTLIGHT))
    with pytest.raises(ProtocolError) as refusal:
        await host.next("spotlight", rid)
    assert refusal.value.code == ErrorCode.NOT_FOUND
    assert all(body["type"] != "spotlight" for _, body in host.frames + ada.frames)
    for client in (share, host, ada):
        await client.close()


async def test_a_latecomer_apps_session_knows_the_spotlight_and_sees_it_end(server: Server) -> None:
    """The app's side: a real bot's ``MeetingSession`` joining late holds the spotlight from its
    welcome (``SpotlightChanged``), and hears it end when that person leaves."""
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    ada_id, ada_token = await attendee(server, meeting, "Ada")
    host = await joined(server, meeting, host_token)
    ada = await joined(server, meeting, ada_token)
    rid = await host.send(Moderate(attendee_id=ada_id, action=ModerationAction.SPOTLIGHT))
    await host.next("spotlight", rid)
    late = RunningBot(await server.join_url(meeting, "Late"), light=True, camera="none", mic="none")
    seen: list[str | None] = []
    try:
        await eventually(lambda: late.session is not None and late.session.me is not None, what="the bot joined")
        late.session.on(SpotlightChanged, lambda event: seen.append(event.attendee_id))
        await eventually(lambda: late.session.roster.spotlight == ada_id, what="the spotlight in the welcome")
        await ada.send(Leave())
        await eventually(lambda: late.session.roster.spotlight is None, what="the spotlight to end")
        assert seen[-1] is None
    finally:
        await late.finish()
        await host.close()
        await ada.close()
