"""The start window (issue 21): bug 9, an error that outlives its cause and a Join that says
nothing; bug 13, "Start a meeting on this computer" reachable by keyboard (the bundle's smoke test
types Ctrl+N instead of clicking a pixel)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from app_support import join_from_lobby
from desktop.ui.start_window import StartWindow
from support import Server, eventually

ROOT = Path(__file__).resolve().parents[2]


def _shown(qtbot) -> StartWindow:
    window = StartWindow()
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def test_join_with_an_empty_field_says_so_and_the_error_goes_once_the_field_changes(qtbot) -> None:
    window = _shown(qtbot)
    window.link.setText("https://example.invalid/not-a-meeting")
    window.join_button.click()
    assert window.error.isVisible() and "not a Parley meeting link" in window.error.text()
    window.link.clear()  # the field is cleared: the old error is no longer true
    assert not window.error.isVisible()
    window.join_button.click()  # Join with nothing in it: never silent
    assert window.error.isVisible() and window.error.text() == "Paste a meeting link first."
    assert window.link.hasFocus() or window.focusWidget() is window.link
    window.link.setText("p")
    assert not window.error.isVisible()


async def test_an_old_error_is_gone_after_a_later_meeting(app_flow, server: Server) -> None:
    flow = app_flow()
    flow.start()
    start = flow.start_window
    start.link.setText("nonsense")
    start.join_button.click()
    assert start.error.isVisible()
    meeting = await server.create_meeting()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")  # a link from elsewhere
    await flow.leave()
    await eventually(lambda: start.isVisible(), what="back at the start")
    assert not start.error.isVisible()
    assert start.notice.text() == "You left the meeting."


def test_start_a_meeting_here_is_reachable_by_keyboard(qtbot) -> None:
    window = _shown(qtbot)  # typed into the window, as xdotool does (through the window system)
    with qtbot.waitSignal(window.host_requested, timeout=2000):
        QTest.keyClick(window.windowHandle(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    keys = QKeySequence(QKeySequence.StandardKey.New).toString(QKeySequence.SequenceFormat.NativeText)
    assert keys in window.host_button.toolTip()
    window.host_button.setVisible(False)  # no server in this app: the shortcut does nothing
    with qtbot.assertNotEmitted(window.host_requested):
        QTest.keyClick(window.windowHandle(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)


def test_the_bundle_smoke_test_finds_the_button_by_keyboard_not_by_pixel() -> None:
    script = (ROOT / "packaging" / "build-linux.sh").read_text()
    assert "mousemove" not in script and "click 1" not in script
    assert "xdotool key --clearmodifiers ctrl+n" in script
