"""Issue 20, items 6 and 7, attacked as the review did, on a real server on loopback.

Names: the name stored with the attendee is its name; a ``join`` cannot rename it (not even to
the host's exact name), and names that hide or reorder text (bidi overrides and isolates,
zero-width characters, newlines, NUL, other controls) are refused with ``bad_request``, over
REST and on an invite join.

Removal: ``DELETE /v1/meetings/{id}/attendees/{aid}`` and a host's ``moderate remove`` revoke an
attendee whether it is connected or not, for good (restarts included); invite links are listed
and revocable, and a host's removal can revoke the link its guest came through; a refused
invite join leaves no attendee behind.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from raw_client import RawClient, attendee
from server.app import start_server
from server.clock import ManualClock
from support import Server, bounded, config_for
from wire import ErrorCode, Moderate, ModerationAction, ProtocolError, SendChat

ATTACKS = [
    "Ada\u202eevil",        # right-to-left override
    "\u2066Ada\u2069",      # isolates
    "A\u200bda",            # zero-width space
    "Ad\u200da",            # zero-width joiner
    "\ufeffAda",            # byte-order mark
    "Ada\u2060",            # word joiner
    "Ada\nHost",            # a newline
    "Ada\r\nHost",
    "Ada\x00",              # NUL
    "Ada\x1b[31m",          # an escape sequence
    "Ada\u2028Host",        # line separator
    "   ",                  # blank
    "\u200b",               # nothing visible at all
]


async def refused_join(client: RawClient) -> ProtocolError:
    with pytest.raises(ProtocolError) as refusal:
        await client.next("joined", rid=1)
    await client.close()
    return refusal.value


async def rows(server: Server, meeting_id: str) -> int:
    return len(server.meetings.list_attendees(meeting_id))


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ATTACKS)
async def test_rest_refuses_names_that_hide_or_reorder_text(server: Server, name: str) -> None:
    meeting = (await server.create_meeting())["id"]
    status, data = await server.call("POST", f"/v1/meetings/{meeting}/attendees",
                                     {"user_id": "u", "name": name, "role": "participant"})
    assert (status, data["error"]["code"]) == (400, "bad_request"), data
    assert await rows(server, meeting) == 0


async def test_names_are_trimmed_and_plain_names_of_every_script_pass(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    for given, stored in [("  Ada  ", "Ada"), ("محمد", "محمد"), ("José 😀", "José 😀"), ("李雷", "李雷")]:
        data = await server.add_attendee(meeting, user_id="u", name=given, role="participant")
        assert data["attendee"]["name"] == stored


async def test_join_cannot_rename_and_chat_carries_the_stored_name(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    _, ada_token = await attendee(server, meeting, "Ada")
    host = await RawClient.join(server.session, server.base_url, meeting, host_token)
    await host.next("joined")
    # Ada asks to be called exactly what the host is called, then something with an override
    for name in ("Host", "Ada\u202eevil"):
        ada = await RawClient.join(server.session, server.base_url, meeting, ada_token, name=name)
        joined = await ada.next("joined", rid=1)
        assert joined["attendee"]["name"] == "Ada"
        seen = await host.next("participant_joined") if name == "Host" else None
        assert seen is None or seen["attendee"]["name"] == "Ada"
        await ada.close()
    ada = await RawClient.join(server.session, server.base_url, meeting, ada_token, name="Host")
    await ada.next("joined")
    await ada.send(SendChat(text="trust me"))
    said = await host.next("chat_message")
    assert said["message"]["from_name"] == "Ada"
    await ada.close()
    await host.close()


async def test_an_invite_join_names_its_guest_but_never_with_hidden_characters(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    status, invite = await server.call("POST", f"/v1/meetings/{meeting}/invites", {})
    assert status == 201
    for name in ATTACKS:
        if not name.strip():
            continue  # a blank name on a join means "no name": the guest is "Guest"
        client = await RawClient.join(server.session, server.base_url, meeting, invite["invite_token"], name=name)
        assert (await refused_join(client)).code == ErrorCode.BAD_REQUEST
    assert await rows(server, meeting) == 0  # nothing left behind by the refusals
    client = await RawClient.join(server.session, server.base_url, meeting, invite["invite_token"], name="  Eve ")
    assert (await client.next("joined", rid=1))["attendee"]["name"] == "Eve"
    await client.close()
    assert [a.name for a in server.meetings.list_attendees(meeting)] == ["Eve"]


# --- removal -------------------------------------------------------------------------------------


async def test_the_api_key_revokes_an_attendee_connected_or_not(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    ada_id, ada_token = await attendee(server, meeting, "Ada")
    grace_id, grace_token = await attendee(server, meeting, "Grace")
    host = await RawClient.join(server.session, server.base_url, meeting, host_token)
    await host.next("joined")
    grace = await RawClient.join(server.session, server.base_url, meeting, grace_token)
    await grace.next("joined")

    # Ada never connected: her leaked token is revoked before anyone uses it
    status, data = await server.call("DELETE", f"/v1/meetings/{meeting}/attendees/{ada_id}")
    assert status == 200 and data["attendee"]["id"] == ada_id and data["removed_at"]
    ada = await RawClient.join(server.session, server.base_url, meeting, ada_token)
    assert (await refused_join(ada)).code == ErrorCode.MISSING_CAPABILITY

    # Grace is connected: she is sent away, the host sees her go, she cannot come back
    status, data = await server.call("DELETE", f"/v1/meetings/{meeting}/attendees/{grace_id}", {})
    assert status == 200
    assert (await grace.next("meeting_ended"))["reason"] == "removed"
    assert (await host.next("participant_left"))["attendee_id"] == grace_id
    again = await RawClient.join(server.session, server.base_url, meeting, grace_token)
    assert (await refused_join(again)).code == ErrorCode.MISSING_CAPABILITY
    # removing again changes nothing; unknown attendees and meetings say so
    assert (await server.call("DELETE", f"/v1/meetings/{meeting}/attendees/{grace_id}"))[0] == 200
    status, data = await server.call("DELETE", f"/v1/meetings/{meeting}/attendees/nobody")
    assert (status, data["error"]["code"]) == (404, "not_found")
    status, data = await server.call("DELETE", f"/v1/meetings/nothing/attendees/{ada_id}")
    assert (status, data["error"]["code"]) == (404, "meeting_not_found")
    await host.close()


async def test_a_hosts_token_may_remove_a_participants_may_not(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    ada_id, ada_token = await attendee(server, meeting, "Ada")
    grace_id, _ = await attendee(server, meeting, "Grace")
    path = f"/v1/meetings/{meeting}/attendees/{grace_id}"
    async with server.session.delete(server.base_url + path,
                                      headers={"Authorization": f"Bearer {ada_token}"}) as response:
        assert response.status == 403 and (await response.json())["error"]["code"] == "missing_capability"
    async with server.session.delete(server.base_url + path,
                                     headers={"Authorization": f"Bearer {host_token}"}) as response:
        assert response.status == 200
    assert server.meetings.get_attendee(grace_id).removed_at is not None
    assert server.meetings.get_attendee(ada_id).removed_at is None


async def test_moderate_remove_reaches_someone_not_connected(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    _, host_token = await attendee(server, meeting, "Host", role="host")
    ada_id, ada_token = await attendee(server, meeting, "Ada")
    host = await RawClient.join(server.session, server.base_url, meeting, host_token)
    await host.next("joined")
    rid = await host.send(Moderate(attendee_id=ada_id, action=ModerationAction.REMOVE))
    reply = await host.next("participant_left", rid)
    assert reply == {"v": 1, "type": "participant_left", "rid": rid, "attendee_id": ada_id, "reason": "removed"}
    ada = await RawClient.join(server.session, server.base_url, meeting, ada_token)
    assert (await refused_join(ada)).code == ErrorCode.MISSING_CAPABILITY
    rid = await host.send(Moderate(attendee_id="nobody", action=ModerationAction.REMOVE))
    with pytest.raises(ProtocolError) as nobody:
        await host.next("participant_left", rid)
    assert nobody.value.code == ErrorCode.NOT_FOUND
    await host.close()


async def test_a_removed_guest_cannot_return_through_a_revoked_invite_even_after_a_restart(
        tmp_path: Path, clock: ManualClock) -> None:
    data_dir = tmp_path / "data"
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, data_dir)
            meeting = (await server.create_meeting())["id"]
            _, host_token = await attendee(server, meeting, "Host", role="host")
            _, open_invite = await server.call("POST", f"/v1/meetings/{meeting}/invites", {})
            _, troll_invite = await server.call("POST", f"/v1/meetings/{meeting}/invites", {})
            host = await RawClient.join(session, base_url, meeting, host_token)
            await host.next("joined")

            # without revoke_invite the link stays open: a removed guest comes back as someone new
            guest = await RawClient.join(session, base_url, meeting, open_invite["invite_token"], name="Bob")
            bob_id = (await guest.next("joined", rid=1))["attendee"]["attendee_id"]
            rid = await host.send(Moderate(attendee_id=bob_id, action=ModerationAction.REMOVE))
            await host.next("participant_left", rid)
            assert (await guest.next("meeting_ended"))["reason"] == "removed"
            await guest.close()

            # with it, the link the troll came through is closed for everyone
            troll = await RawClient.join(session, base_url, meeting, troll_invite["invite_token"], name="Troll")
            troll_id = (await troll.next("joined", rid=1))["attendee"]["attendee_id"]
            rid = await host.send(Moderate(attendee_id=troll_id, action=ModerationAction.REMOVE, revoke_invite=True))
            await host.next("participant_left", rid)
            await troll.close()
            again = await RawClient.join(session, base_url, meeting, troll_invite["invite_token"], name="Troll 2")
            assert (await refused_join(again)).code == ErrorCode.INVALID_TOKEN

            # the API key revokes the other link (listed first), and an attendee's own token
            status, data = await server.call("GET", f"/v1/meetings/{meeting}/invites")
            assert status == 200
            assert [(i["id"], i["revoked_at"] is not None) for i in data["invites"]] == [
                (open_invite["invite_id"], False), (troll_invite["invite_id"], True)]
            status, data = await server.call("DELETE", f"/v1/meetings/{meeting}/invites/{open_invite['invite_id']}")
            assert status == 200 and data["invite"]["revoked_at"]
            status, data = await server.call("DELETE", f"/v1/meetings/{meeting}/invites/nope")
            assert (status, data["error"]["code"]) == (404, "not_found")
            await host.close()
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")

    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, data_dir)
            for invite in (open_invite, troll_invite):
                client = await RawClient.join(session, base_url, meeting, invite["invite_token"], name="Back")
                assert (await refused_join(client)).code == ErrorCode.INVALID_TOKEN
            status, data = await server.call("GET", f"/v1/meetings/{meeting}/invites")
            assert all(i["revoked_at"] for i in data["invites"])
            assert sorted(a.name for a in server.meetings.list_attendees(meeting)) == ["Bob", "Host", "Troll"]
            assert all(a.removed_at for a in server.meetings.list_attendees(meeting) if a.name != "Host")
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


async def test_a_revoked_token_stays_revoked_after_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    data_dir = tmp_path / "data"
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, data_dir)
            meeting = (await server.create_meeting())["id"]
            ada_id, ada_token = await attendee(server, meeting, "Ada")
            assert (await server.call("DELETE", f"/v1/meetings/{meeting}/attendees/{ada_id}"))[0] == 200
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            ada = await RawClient.join(session, base_url, meeting, ada_token)
            assert (await refused_join(ada)).code == ErrorCode.MISSING_CAPABILITY
            async with session.patch(f"{base_url}/v1/meetings/{meeting}", json={"settings_override": {}},
                                     headers={"Authorization": f"Bearer {ada_token}"}) as response:
                assert response.status == 403  # her token is good for nothing else either
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


async def test_refused_invite_joins_leave_no_attendee_behind(server: Server) -> None:
    full = (await server.create_meeting(settings_override={"limits": {"max_participants": 1}}))["id"]
    _, host_token = await attendee(server, full, "Host", role="host")
    host = await RawClient.join(server.session, server.base_url, full, host_token)
    await host.next("joined")
    _, invite = await server.call("POST", f"/v1/meetings/{full}/invites", {})
    for _ in range(5):  # the meeting is full
        guest = await RawClient.join(server.session, server.base_url, full, invite["invite_token"], name="G")
        assert (await refused_join(guest)).code == ErrorCode.MEETING_FULL
    # a screen share through an invite names nobody in the meeting
    share = await RawClient.join(server.session, server.base_url, full, invite["invite_token"], name="G",
                                 content=True)
    assert (await refused_join(share)).code == ErrorCode.NOT_JOINED
    assert [a.name for a in server.meetings.list_attendees(full)] == ["Host"]
    await host.close()

    ended = (await server.create_meeting())["id"]
    _, invite = await server.call("POST", f"/v1/meetings/{ended}/invites", {})
    assert (await server.call("DELETE", f"/v1/meetings/{ended}"))[0] == 200
    guest = await RawClient.join(server.session, server.base_url, ended, invite["invite_token"], name="G")
    assert (await refused_join(guest)).code == ErrorCode.MEETING_ENDED
    assert await rows(server, ended) == 0
    # and a refused REST call never made one either
    status, _ = await server.call("POST", f"/v1/meetings/{ended}/attendees",
                                  {"user_id": "u", "name": "Late", "role": "participant"})
    assert status == 409 and await rows(server, ended) == 0
