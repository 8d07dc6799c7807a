"""One Parley per user: a second launch hands its join link to the running app, which opens
the lobby — or, in a call, asks before leaving it."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QMessageBox

from app_support import join_from_lobby
from desktop.session.meeting_session import MeetingSession
from desktop.ui.single_instance import HANDED, NO_ANSWER, NONE_RUNNING, SingleInstance, instance_name
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
    assert flow.start_window.error.isVisibleTo(flow.start_window)
    assert "cannot be opened" in flow.start_window.error.text()
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


async def hand_over_from_another_process(name: str, link: str | None, timeout_ms: int) -> str:
    """What ``hand_over`` says when a second launch (another process, as in real life) calls it."""
    code = ("import sys; from desktop.ui.single_instance import hand_over; "
            "print(hand_over(sys.argv[1], sys.argv[2] or None, int(sys.argv[3])))")
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", code, name, link or "", str(timeout_ms),
                                                 stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    return out.decode().strip()


def test_the_socket_lives_where_only_this_user_can_reach_it() -> None:
    name = instance_name("test-private")
    folder = os.path.dirname(name)
    info = os.stat(folder)
    assert not name.startswith("/tmp/parley")  # never the shared /tmp, where another user could listen first
    assert info.st_uid == os.getuid() and info.st_mode & 0o077 == 0


async def test_a_crashed_apps_socket_is_replaced_but_a_silent_app_is_never_taken_over(tmp_path) -> None:
    suffix = f"test-{uuid.uuid4().hex}"
    name = instance_name(suffix)
    assert await hand_over_from_another_process(name, None, 300) == NONE_RUNNING  # nobody there

    silent = QLocalServer()  # a Parley that is there but busy or hung: accepts, never answers
    assert silent.listen(name)
    try:
        assert await hand_over_from_another_process(name, "parley://h:1/m/x?token=t", 300) == NO_ANSWER
        second = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "desktop.app", env=_isolated_env(tmp_path, suffix),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _out, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 1 and b"does not answer" in err
        assert silent.isListening() and os.path.exists(name)  # still the first one's
    finally:
        silent.close()
        silent.deleteLater()

    # a socket file nobody listens on (the app crashed): the next Parley takes the name
    with open(name, "w"):
        pass
    assert await hand_over_from_another_process(name, None, 300) == NONE_RUNNING
    fresh = SingleInstance(name)
    try:
        assert fresh.listen()
        assert await hand_over_from_another_process(name, None, 2000) == HANDED
    finally:
        fresh.close()


async def test_a_link_that_comes_while_joining_waits_for_the_join(app_flow, server: Server) -> None:
    first, second = await server.create_meeting(), await server.create_meeting()
    other_link = await server.join_url(second["id"], "Ada")
    during_join: list[bool] = []

    def a_link_arrives_while_joining(join_url: str, **parts) -> MeetingSession:
        session = MeetingSession(join_url, **parts)
        join = session.join

        async def joining():
            flow.open_link(other_link)  # the join has begun; it is not done
            during_join.append(flow.session is None and flow.switch_box is None)  # nothing decided mid-join
            return await join()

        session.join = joining
        return session

    flow = app_flow(session_factory=a_link_arrives_while_joining)
    flow.open_lobby(await server.join_url(first["id"], "Ada"))
    flow.lobby.name.setText("Ada")
    flow.lobby.join_button.click()
    await eventually(lambda: during_join == [True], what="the link handed over mid-join")
    await eventually(lambda: flow.session is not None, what="the first join done")
    await eventually(lambda: flow.switch_box is not None and flow.switch_box.isVisible(),
                     what="asked whether to leave for the other meeting")
    assert flow.session.meeting.meeting_id == first["id"]
