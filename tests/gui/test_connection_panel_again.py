"""Bug 2 (issue 21): Connection… stopped working after the first meeting ("Internal C++ object
(ConnectionPanel) already deleted" on every stats tick)."""

from __future__ import annotations

import logging

from shiboken6 import isValid

from desktop.session.events import ConnectionStatsUpdated

from app_support import join_from_lobby
from support import LIGHT_SMALL, RunningBot, Server, eventually


async def _open_panel_and_see_figures(flow, server: Server, meeting_id: str):
    grace = RunningBot(await server.join_url(meeting_id, "Grace"), **LIGHT_SMALL)
    await join_from_lobby(flow, await server.join_url(meeting_id, "Ada"), "Ada")
    flow.session.stats_interval = 0.1
    next(a for a in flow.call.bar.device_menu.actions() if a.text() == "Connection…").trigger()
    panel = flow.controller.connection_panel
    assert panel is not None and panel.isVisible()
    await eventually(lambda: "kbit/s" in panel.fields["receive"].text(), what="the panel shows figures")
    return grace, panel


async def test_the_connection_panel_works_in_every_meeting(app_flow, server: Server, caplog) -> None:
    flow = app_flow()
    with caplog.at_level(logging.ERROR):
        for _meeting in range(2):
            meeting = await server.create_meeting()
            grace, panel = await _open_panel_and_see_figures(flow, server, meeting["id"])
            panel.close()  # closed with its ✕ once, then opened again
            next(a for a in flow.call.bar.device_menu.actions() if a.text() == "Connection…").trigger()
            panel = flow.controller.connection_panel
            await eventually(lambda: panel.isVisible(), what="the panel again")
            panel.deleteLater()  # the panel goes from under the call (its window, a theme change…)
            await eventually(lambda: not isValid(panel), what="the panel deleted")
            ticks: list = []
            flow.session.on(ConnectionStatsUpdated, ticks.append)
            await eventually(lambda: len(ticks) >= 3, what="stats ticks with the panel gone")
            next(a for a in flow.call.bar.device_menu.actions() if a.text() == "Connection…").trigger()
            panel = flow.controller.connection_panel
            await eventually(lambda: isValid(panel) and panel.isVisible() and "kbit/s" in panel.fields["receive"].text(),
                             what="a new panel with figures")
            await flow.leave()
            await eventually(lambda: flow.start_window.isVisible(), what="back at the start")
            await grace.finish()
    assert "already deleted" not in caplog.text
    assert "ConnectionPanel" not in caplog.text
