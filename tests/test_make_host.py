"""Issue 21, the People panel's "Make host", on a real server on loopback with raw sockets.

A host's ``moderate make_host`` gives another attendee the host's own role: they get its
capabilities at once (``capabilities_updated``), everyone sees the new role
(``participant_updated``), and the role is stored, so a reconnect and a restart keep it. A
participant may not promote anyone (``missing_capability``), and a screen share is not a
person (``bad_request``).
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from raw_client import RawClient, attendee
from server.app import start_server
from server.clock import ManualClock
from support import RunningBot, Server, bounded, config_for, eventually
from wire import Capability, ErrorCode, Moderate, ModerationAction, ProtocolError


async def joined(server: Server, meeting: str, token: str, content: bool = False) -> tuple[RawClient, dict]:
    client = await RawClient.join(server.session, server.base_url, meeting, token, content=content)
    return client, await client.next("joined")


async def test_a_promoted_participant_gets_the_host_role_and_may_now_mute_others(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    ada_id, ada_token = await attendee(server, meeting, "Ada")
    grace_id, grace_token = await attendee(server, meeting, "Grace")
    host, _ = await joined(server, meeting, host_token)
    ada, welcome = await joined(server, meeting, ada_token)
    grace, _ = await joined(server, meeting, grace_token)
    assert Capability.MUTE_OTHERS not in welcome["capabilities"]

    # before: Ada may not mute Grace
    rid = await ada.send(Moderate(attendee_id=grace_id, action=ModerationAction.MUTE))
    with pytest.raises(ProtocolError) as refusal:
        await ada.next("participant_updated", rid)
    assert refusal.value.code == ErrorCode.MISSING_CAPABILITY

    rid = await host.send(Moderate(attendee_id=ada_id, action=ModerationAction.MAKE_HOST))
    reply = await host.next("participant_updated", rid)
    assert (reply["attendee"]["attendee_id"], reply["attendee"]["role"]) == (ada_id, "host")
    told = await ada.next("capabilities_updated")
    assert {Capability.MUTE_OTHERS, Capability.REMOVE_PARTICIPANT, Capability.END_CALL} <= set(told["capabilities"])
    seen = await grace.next("participant_updated")
    assert (seen["attendee"]["attendee_id"], seen["attendee"]["role"]) == (ada_id, "host")

    # after: Ada mutes Grace, and Grace is told
    rid = await ada.send(Moderate(attendee_id=grace_id, action=ModerationAction.MUTE))
    muted = await ada.next("participant_updated", rid)
    assert muted["attendee"]["attendee_id"] == grace_id and muted["attendee"]["muted"]
    assert muted["attendee"]["mute_locked"]

    # a reconnect keeps it: the welcome says host, with a host's capabilities
    await ada.close()
    again, welcome = await joined(server, meeting, ada_token)
    assert welcome["attendee"]["role"] == "host"
    assert Capability.MUTE_OTHERS in welcome["capabilities"]
    for client in (again, host, grace):
        await client.close()


async def test_a_participant_may_not_make_anyone_host_nor_may_a_screen_share_be_one(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    ada_id, ada_token = await attendee(server, meeting, "Ada")
    grace_id, grace_token = await attendee(server, meeting, "Grace")
    host, _ = await joined(server, meeting, host_token)
    ada, _ = await joined(server, meeting, ada_token)
    grace, _ = await joined(server, meeting, grace_token)

    rid = await ada.send(Moderate(attendee_id=grace_id, action=ModerationAction.MAKE_HOST))
    with pytest.raises(ProtocolError) as refusal:
        await ada.next("participant_updated", rid)
    assert refusal.value.code == ErrorCode.MISSING_CAPABILITY
    # Ada cannot make herself one either
    rid = await ada.send(Moderate(attendee_id=ada_id, action=ModerationAction.MAKE_HOST))
    with pytest.raises(ProtocolError) as refusal:
        await ada.next("participant_updated", rid)
    assert refusal.value.code == ErrorCode.MISSING_CAPABILITY
    assert server.meetings.get_attendee(grace_id).role == "participant"
    assert server.meetings.get_attendee(ada_id).role == "participant"

    # Grace shares her screen: the share is not a person and cannot be made host
    share, _ = await joined(server, meeting, grace_token, content=True)
    rid = await host.send(Moderate(attendee_id=f"{grace_id}#content", action=ModerationAction.MAKE_HOST))
    with pytest.raises(ProtocolError) as refusal:
        await host.next("participant_updated", rid)
    assert refusal.value.code == ErrorCode.BAD_REQUEST and "screen share" in refusal.value.message
    # nor can someone who is not in the meeting
    rid = await host.send(Moderate(attendee_id="nobody", action=ModerationAction.MAKE_HOST))
    with pytest.raises(ProtocolError) as refusal:
        await host.next("participant_updated", rid)
    assert refusal.value.code == ErrorCode.NOT_FOUND
    assert server.meetings.get_attendee(grace_id).role == "participant"
    for client in (share, host, ada, grace):
        await client.close()


async def test_a_promotion_survives_a_server_restart(tmp_path: Path, clock: ManualClock) -> None:
    data_dir = tmp_path / "data"
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, data_dir)
            meeting = (await server.create_meeting())["id"]
            _, host_token = await attendee(server, meeting, "Host", role="host")
            ada_id, ada_token = await attendee(server, meeting, "Ada")
            host, _ = await joined(server, meeting, host_token)
            ada, _ = await joined(server, meeting, ada_token)
            rid = await host.send(Moderate(attendee_id=ada_id, action=ModerationAction.MAKE_HOST))
            await host.next("participant_updated", rid)
            await ada.next("capabilities_updated")
            await host.close()
            await ada.close()
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, data_dir)
            ada, welcome = await joined(server, meeting, ada_token)
            assert welcome["attendee"]["role"] == "host"
            assert Capability.END_CALL in welcome["capabilities"]
            await ada.close()
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


async def test_the_promoted_apps_session_now_holds_the_host_capabilities(server: Server) -> None:
    """The app's side: a real bot's ``MeetingSession`` takes ``capabilities_updated`` and the new
    role, which is what its window's host controls go by."""
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    host, _ = await joined(server, meeting, host_token)
    ada = RunningBot(await server.join_url(meeting, "Ada"), light=True, camera="none", mic="none")
    try:
        await eventually(lambda: ada.session is not None and ada.session.me is not None, what="Ada joined")
        session = ada.session
        assert Capability.MUTE_OTHERS not in session.capabilities
        rid = await host.send(Moderate(attendee_id=session.me.attendee_id, action=ModerationAction.MAKE_HOST))
        await host.next("participant_updated", rid)
        await eventually(lambda: Capability.MUTE_OTHERS in session.capabilities
                         and session.me.role == "host", what="Ada's session to take the host's role")
        assert Capability.END_CALL in session.capabilities
    finally:
        await ada.finish()
        await host.close()
