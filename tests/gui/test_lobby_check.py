"""The lobby before Join (issue 21): bug 5, the name the attendee was created with is the
lobby's name and the call's (not the remembered one, not "Guest", no "YO" avatar); bug 8, an
ended, refused or unreachable meeting is known in the lobby before Join, said as a sentence
with what to do, with the details in the log only."""

from __future__ import annotations

import logging

from app_support import join_from_lobby
from desktop.ui.call_window import SELF
from desktop.ui.settings import Settings
from desktop.ui.video_tile import initials
from support import Server, eventually

INTERNALS = ("127.0.0.1", "ssl", "Connect call", "signature", "(", "has ended", "'")


async def _lobby_for(flow, url: str):
    flow.open_lobby(url)
    lobby = flow.lobby
    await eventually(lambda: lobby.isVisible() and flow.lobby_check.result is not None, what="the lobby's check")
    return lobby


async def test_the_invited_name_is_the_lobbys_and_the_calls(app_flow, server: Server, qsettings) -> None:
    Settings(qsettings).name = "Remembered Person"
    meeting = await server.create_meeting()
    flow = app_flow()
    lobby = await _lobby_for(flow, await server.join_url(meeting["id"], "Ada Lovelace"))
    assert lobby.name.text() == "Ada Lovelace" and lobby.name.isReadOnly()
    assert initials(lobby.preview.name) == "AL"
    lobby.join_button.click()
    await eventually(lambda: flow.session is not None and flow.call.isVisible(), timeout=15, what="in the call")
    assert flow.session.me.name == "Ada Lovelace"
    assert flow.call.grid.tile(SELF).name.startswith("Ada Lovelace")
    await flow.leave()

    # an invite link: whoever joins names themselves, the remembered name is the default
    status, invite = await server.call("POST", f"/v1/meetings/{meeting['id']}/invites", {})
    assert status == 201
    lobby = await _lobby_for(flow, invite["invite_url"])
    assert lobby.name.text() == "Ada Lovelace" and not lobby.name.isReadOnly()  # what this profile was last


async def test_a_fresh_profile_gets_no_made_up_avatar(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    flow = app_flow()
    status, invite = await server.call("POST", f"/v1/meetings/{meeting['id']}/invites", {})
    lobby = await _lobby_for(flow, invite["invite_url"])
    assert lobby.name.text() == "" and initials(lobby.preview.name) != "YO"
    lobby.name.setText("Grace Hopper")
    assert initials(lobby.preview.name) == "GH"


async def test_an_ended_meeting_is_known_before_join(app_flow, server: Server, caplog) -> None:
    meeting = await server.create_meeting()
    url = await server.join_url(meeting["id"], "Ada")
    await server.call("DELETE", f"/v1/meetings/{meeting['id']}")
    flow = app_flow()
    with caplog.at_level(logging.INFO):
        lobby = await _lobby_for(flow, url)
    assert lobby.error.isVisible()
    assert lobby.error.text() == ("This meeting has already ended. "
                                  "Ask whoever invited you for a new meeting link.")
    assert not lobby.join_button.isEnabled()
    assert "meeting_ended" in caplog.text  # the details: in the log


async def test_a_bad_link_and_an_unreachable_server_say_a_sentence(app_flow, server: Server, caplog) -> None:
    meeting = await server.create_meeting()
    url = await server.join_url(meeting["id"], "Ada")
    flow = app_flow()
    with caplog.at_level(logging.INFO):
        lobby = await _lobby_for(flow, url[:-3] + "xyz")
    assert lobby.error.text() == "This meeting link is not valid. Ask whoever invited you for a new link."
    assert not lobby.join_button.isEnabled()
    assert "signature" in caplog.text

    unreachable = "parley://127.0.0.1:9/m/" + url.split("/m/", 1)[1]
    lobby = await _lobby_for(flow, unreachable)
    text = lobby.error.text()
    assert text == ("Could not reach the meeting server. "
                    "Check your network connection and the link, then try again.")
    assert lobby.join_button.isEnabled()  # it may be back: Join tries
    lobby.join_button.click()  # a failed join says the same, without the internals
    await eventually(lambda: lobby.join_button.isEnabled() and lobby.error.isVisible(), timeout=15,
                     what="the join failed")
    assert lobby.error.text() == text
    assert not any(bit in lobby.error.text() for bit in INTERNALS)
    error = lobby.error
    assert error.height() >= error.heightForWidth(error.width())  # the card grew: nothing clipped
    assert lobby.rect().contains(error.mapTo(lobby, error.rect().bottomRight()))
