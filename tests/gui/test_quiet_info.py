"""Bug 7 (issue 21): "Your computer is busy, so the background effect…" appeared in red above
the lobby's Join button, moving it under the cursor, and came back as a banner in every call.
Information the user cannot act on is not red and moves no control."""

from __future__ import annotations

from app_support import join_from_lobby
from desktop.media.background.effect import DEGRADED_MESSAGE, FAILED_MESSAGE
from support import Server, eventually


async def test_a_busy_computer_is_said_quietly_and_moves_nothing(app_flow, server: Server, qtbot) -> None:
    meeting = await server.create_meeting()
    flow = app_flow()
    flow.open_lobby(await server.join_url(meeting["id"], "Ada"))
    lobby = flow.lobby
    await eventually(lambda: lobby.isVisible() and flow.lobby_check.result is not None, what="the lobby")
    qtbot.waitExposed(lobby)
    before = lobby.join_button.mapTo(lobby, lobby.join_button.rect().topLeft())

    for _again in range(3):  # it comes and goes as the computer's load does
        flow.devices.media.on_background_notice(DEGRADED_MESSAGE)
        await eventually(lambda: lobby.info.isVisible(), what="said under the preview")
        assert "busy" in lobby.info.text() and lobby.info.objectName() == "muted"
        assert not lobby.error.isVisible()  # not in red
        assert lobby.join_button.mapTo(lobby, lobby.join_button.rect().topLeft()) == before
        lobby.show_info("")
        assert lobby.join_button.mapTo(lobby, lobby.join_button.rect().topLeft()) == before

    lobby.join_button.click()
    await eventually(lambda: flow.session is not None and flow.call.isVisible(), timeout=15, what="in the call")
    call = flow.call
    flow.devices.media.on_background_notice(DEGRADED_MESSAGE)
    assert not call.banner.isVisible()  # no banner in the call for it
    flow.devices.media.on_background_notice(FAILED_MESSAGE)  # one that changes what others see: said
    assert call.banner.isVisible() and "stopped working" in call.banner.text()
    await flow.leave()
