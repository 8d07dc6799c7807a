"""``GET /v1/meetings/{id}/join-check`` (issue 21, bugs 5 and 8): with a join token, before
joining, whether it would get in and as whom — the lobby knows an ended meeting or a bad link
before Join, and shows the name the attendee was created with."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from support import Server


def _token(join_url: str) -> str:
    return parse_qs(urlparse(join_url).query)["token"][0]


async def _check(server: Server, meeting_id: str, token: str) -> tuple[int, dict]:
    async with server.session.get(f"{server.base_url}/v1/meetings/{meeting_id}/join-check",
                                  headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json()


async def test_a_named_attendee_an_invite_and_every_refusal_a_join_would_get(server: Server) -> None:
    meeting = (await server.create_meeting())["id"]
    ada = await server.add_attendee(meeting, user_id="ada", name="Ada Lovelace", role="host")
    status, invite = await server.call("POST", f"/v1/meetings/{meeting}/invites", {"role": "participant"})
    assert status == 201

    assert await _check(server, meeting, ada["join_token"]) == (
        200, {"meeting_id": meeting, "name": "Ada Lovelace", "role": "host", "invite": False})
    assert await _check(server, meeting, invite["invite_token"]) == (
        200, {"meeting_id": meeting, "name": None, "role": "participant", "invite": True})
    assert not server.meetings.list_invites(meeting)[0].revoked_at  # nothing changed by asking

    status, data = await _check(server, meeting, ada["join_token"][:-3] + "xyz")
    assert (status, data["error"]["code"]) == (401, "invalid_token")
    status, data = await _check(server, "nosuchmeeting", ada["join_token"])
    assert (status, data["error"]["code"]) == (401, "invalid_token")  # the token is for another meeting
    async with server.session.get(f"{server.base_url}/v1/meetings/{meeting}/join-check") as response:
        assert response.status == 401

    status, grace = await server.call("POST", f"/v1/meetings/{meeting}/attendees",
                                      {"user_id": "grace", "name": "Grace", "role": "participant"})
    await server.call("DELETE", f"/v1/meetings/{meeting}/attendees/{grace['attendee']['id']}", {})
    status, data = await _check(server, meeting, grace["join_token"])
    assert (status, data["error"]["code"]) == (403, "missing_capability")

    await server.call("DELETE", f"/v1/meetings/{meeting}/invites/{invite['invite_id']}")
    status, data = await _check(server, meeting, invite["invite_token"])
    assert (status, data["error"]["code"]) == (401, "invalid_token")

    await server.call("DELETE", f"/v1/meetings/{meeting}")
    status, data = await _check(server, meeting, ada["join_token"])
    assert (status, data["error"]["code"]) == (409, "meeting_ended")


async def test_the_api_documents_it(server: Server) -> None:
    async with server.session.get(f"{server.base_url}/v1/openapi.json") as response:
        document = await response.json()
    operation = document["paths"]["/v1/meetings/{meeting_id}/join-check"]["get"]
    assert operation["operationId"] == "checkJoin"
    assert operation["security"] == [{"joinToken": []}]
    assert set(operation["responses"]) >= {"200", "401", "403", "404", "409"}
