"""Helpers for the app tests."""

from __future__ import annotations

from desktop.ui.flow import AppFlow
from support import eventually


async def join_from_lobby(flow: AppFlow, url: str, name: str) -> None:
    flow.open_lobby(url)
    lobby = flow.lobby
    await eventually(lambda: lobby.isVisible(), what="lobby shown")
    lobby.name.setText(name)
    lobby.join_button.click()
    await eventually(lambda: flow.call is not None and flow.call.isVisible() and flow.session is not None,
                     timeout=15, what="call window")
