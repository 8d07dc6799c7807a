"""Issue 21's two host actions in the real app, with a bot on a loopback server: the host's
People menu spotlights someone for everyone (large on the stage, with its badge, until they
leave), and "Make host" gives a bot's session the host's capabilities."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from app_support import join_from_lobby
from desktop.ui.spotlight import BADGE
from support import LIGHT_SMALL, RunningBot, Server, eventually
from wire import Capability


async def test_the_hosts_menu_spotlights_and_makes_host(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada", role="host"), "Ada")
    call = flow.call
    call.bar.people_button.click()
    roster = call.roster
    await eventually(lambda: grace.session is not None and grace.session.me is not None
                     and grace.session.me.attendee_id in roster.rows, what="Grace in the roster")
    grace_id = grace.session.me.attendee_id

    def action(text: str):
        menu = roster.rows[grace_id].more.menu()
        menu.aboutToShow.emit()
        return next(a for a in menu.actions() if a.text() == text and a.isVisible())

    action("Spotlight for everyone").trigger()
    await eventually(lambda: call.grid.stage_keys() == [grace_id], what="Grace on the stage")
    assert call.grid.tile(grace_id).findChild(QLabel, BADGE) is not None
    await eventually(lambda: grace.session.roster.spotlight == grace_id, what="Grace's own app told")

    action("Make host").trigger()
    await eventually(lambda: Capability.MUTE_OTHERS in grace.session.capabilities, what="Grace's host capabilities")
    await eventually(lambda: roster.rows[grace_id].info.role == "host", what="the roster shows her role")
    roster.rows[grace_id].more.menu().aboutToShow.emit()
    assert not roster.rows[grace_id].make_host_action.isVisible()  # a host already

    await grace.finish()
    await eventually(lambda: grace_id not in roster.rows, what="Grace leaves")
    assert call.stage.spotlight is None and flow.session.roster.spotlight is None
    assert grace_id not in call.grid.stage_keys()
