"""One Parley per user: a second launch hands its join link to the running app, which opens
the lobby — or, in a call, asks before leaving it."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QMessageBox

from app_support import join_from_lobby
from desktop.single_instance import SingleInstance, instance_name
from support import Server, eventually


def _isolated_env(tmp_path, instance: str) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PARLEY_INSTANCE=instance,
               PARLEY_LOG_DIR=str(tmp_path / "logs"), HOME=str(tmp_path / "home"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    return env


async def test_a_second_launch_hands_its_link_to_the_running_app_and_exits(tmp_path) -> None:
    suffix = f"test-{uuid.uuid4().hex}"
    running = SingleInstance(instance_name(suffix))
    assert running.listen()
    received: list[str] = []
    running.link_received.connect(received.append)
    link = "parley://127.0.0.1:8750/m/m-123?token=abc.def"
    try:
        second = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "desktop.app", link, env=_isolated_env(tmp_path, suffix),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0, err.decode()
        await eventually(lambda: received == [link], what="the running app got the link")
        assert b"already running" in err  # and it said so, without printing the token
        assert b"abc.def" not in err
    finally:
        running.close()


async def test_a_malformed_message_gets_an_error_and_changes_nothing() -> None:
    running = SingleInstance(instance_name(f"test-{uuid.uuid4().hex}"))
    assert running.listen()
    received: list[str] = []
    running.link_received.connect(received.append)
    running.activation_requested.connect(lambda: received.append("activate"))
    socket = QLocalSocket()
    try:
        socket.connectToServer(running.name)
        await eventually(lambda: socket.state() == QLocalSocket.LocalSocketState.ConnectedState, what="connected")
        socket.write(b'{"open": 42}\n')
        await eventually(lambda: socket.canReadLine(), what="an answer")
        assert bytes(socket.readLine().data()).strip() == b"error"
        assert received == []
    finally:
        socket.abort()
        running.close()


async def test_a_link_opens_the_lobby_and_in_a_call_parley_asks_first(app_flow, server: Server) -> None:
    first, second = await server.create_meeting(), await server.create_meeting()
    flow = app_flow()
    flow.start()
    other_link = await server.join_url(second["id"], "Ada")
    flow.open_link("parley://nowhere")  # not a meeting link: said, and nothing else changes
    assert flow.lobby is None
    flow.open_link(other_link)
    assert flow.lobby is not None and flow.lobby.isVisible() and flow.join_url == other_link

    flow.back_to_start()
    await join_from_lobby(flow, await server.join_url(first["id"], "Ada"), "Ada")
    flow.open_link(other_link)
    box = flow.switch_box
    assert box is not None and box.isVisible() and flow.session is not None  # still in the call
    stay = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole)
    stay.click()
    assert flow.session is not None and flow.call.isVisible()

    flow.open_link(other_link)
    box = flow.switch_box
    leave = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
    leave.click()
    await eventually(lambda: flow.session is None and flow.lobby is not None and flow.lobby.isVisible(),
                     what="left, and the other meeting's lobby shown")
    await asyncio.sleep(0.2)  # whatever the leaving still does must not cover the lobby
    assert flow.lobby.isVisible() and not flow.start_window.isVisible() and flow.join_url == other_link
