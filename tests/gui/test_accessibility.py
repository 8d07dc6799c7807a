"""A screen reader can operate Parley: every control has an accessible name (icon-only ones a
tooltip too), and the call window's keyboard shortcuts are bound, listed and do what they say."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QScrollBar,
    QToolButton,
    QWidget,
)

from desktop.ui.call_window import CallWindow
from desktop.ui.shortcuts import BY_ID, SHORTCUTS
from wire.messages import AttendeeInfo

CONTROLS = (QAbstractButton, QComboBox, QLineEdit, QAbstractSlider, QAbstractSpinBox, QAbstractItemView)


def controls(window: QWidget) -> list[QWidget]:
    """The interactive widgets a user can reach in ``window`` now (Qt's own helpers left out)."""
    found = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or isinstance(widget, QScrollBar):
            continue
        if widget.objectName().startswith("qt_") or widget.objectName().startswith("_q_"):
            continue  # e.g. a line edit's clear button, a spin box's arrows
        if isinstance(widget.parentWidget(), (QLineEdit, QComboBox, QAbstractSpinBox)):
            continue
        if widget.isVisibleTo(window):
            found.append(widget)
    return found


def unnamed(window: QWidget) -> list[str]:
    """Controls without an accessible name (a button's text counts), and icon-only buttons
    without a tooltip."""
    problems = []
    for widget in controls(window):
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        what = f"{type(widget).__name__} {widget.objectName()!r} {text!r}"
        if not (widget.accessibleName() or text.replace("&", "").strip()):
            problems.append(f"{what}: no accessible name")
        shows_text = bool(text.strip("⋯ ")) and not (
            isinstance(widget, QToolButton) and not widget.icon().isNull()
            and widget.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly)
        if isinstance(widget, QAbstractButton) and not shows_text and not widget.toolTip():
            problems.append(f"{what}: icon only, no tooltip")
    return problems


def person(attendee_id: str, name: str, **extra) -> AttendeeInfo:
    return AttendeeInfo(attendee_id, attendee_id, name, extra.pop("role", "participant"), **extra)


@pytest.fixture
def call(qtbot) -> CallWindow:
    window = CallWindow()
    qtbot.addWidget(window)
    window.resize(1200, 760)
    window.set_me("me")
    window.roster.set_me("me", ("end-call", "mute-others", "remove-participant"))
    window.roster.upsert(person("me", "Ada", role="host", video=True))
    window.add_attendee(person("g", "Grace", video=True, hand_raised_at="2026-01-01T00:00:00Z"))
    window.add_attendee(person("g#content", "Grace (screen)", video=True, content=True))
    window.chat.me = "me"
    window.chat.set_people({"g": "Grace"})
    window.set_invite("parley://127.0.0.1:8750/m/x?token=y")
    window.set_can_extend(True)
    window.show_time_left(600, "10:00")
    window.show_connection_poor(True)
    window.show_time_notice("Less than 5 minutes remaining.")
    window.bar.people_button.setChecked(True)
    window.bar.chat_button.setChecked(True)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_every_control_of_the_call_window_has_a_name(call: CallWindow) -> None:
    assert len(controls(call)) >= 19  # the bar, the notices, the roster's host menus, the chat
    assert unnamed(call) == []
    assert call.roster.rows["g"].more.accessibleName() == "Host controls for Grace"
    assert call.roster.rows["g"].accessibleName().startswith("Grace, participant")
    assert call.grid.tile("g").accessibleName() == "Grace"
    assert "hand raised" in call.grid.tile("g").accessibleDescription()


def test_every_control_of_the_lobby_and_the_start_window_has_a_name(qtbot) -> None:
    from desktop.media.devices import Device, DeviceKind
    from desktop.ui.lobby_window import LobbyWindow
    from desktop.ui.start_window import StartWindow

    lobby = LobbyWindow()
    qtbot.addWidget(lobby)
    lobby.set_devices(DeviceKind.CAMERA, [Device(DeviceKind.CAMERA, "c", "Camera one")], None)
    lobby.set_devices(DeviceKind.MICROPHONE, [], None)
    lobby.set_devices(DeviceKind.SPEAKER, [Device(DeviceKind.SPEAKER, "s", "Speaker one")], None)
    lobby.set_invite("parley://127.0.0.1:8750/m/x?token=y")
    lobby.show()
    start = StartWindow()
    qtbot.addWidget(start)
    start.more.setChecked(True)  # the server, meeting and token fields too
    start.link.setText("parley://x")  # the clear button appears (Qt's own: left out)
    start.show()
    for window in (lobby, start):
        qtbot.waitExposed(window)
        assert len(controls(window)) >= 6
        assert unnamed(window) == []
    assert lobby.combos[DeviceKind.MICROPHONE].accessibleName() == "Microphone"
    assert lobby.mic_button.toolTip() == "Mute the microphone"


async def test_dialogs_have_names(qtbot) -> None:
    from desktop.media.synthetic.backend import SyntheticScreens
    from desktop.ui.chat_panel import ChatPanel
    from desktop.ui.connection_panel import ConnectionPanel
    from desktop.ui.idle_dialog import IdleDialog
    from desktop.ui.screen_picker import ScreenPicker
    from desktop.ui.trust_dialog import TrustDialog

    picker = ScreenPicker(SyntheticScreens())
    windows = [IdleDialog(), TrustDialog("parley.example:8750", "ab" * 32, "the certificate is self-signed"),
               ConnectionPanel(), picker, ChatPanel()]
    for window in windows:
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        assert unnamed(window) == [], type(window).__name__
    await asyncio.wait_for(picker.thumbnails_done.wait(), 10)
    picker.close()


# --- keyboard shortcuts ----------------------------------------------------------------------------


def focus(qtbot, window: QWidget) -> None:
    window.activateWindow()
    window.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def test_the_shortcuts_are_bound_and_listed(call: CallWindow) -> None:
    listed = {a.text().split("\t")[0]: a for a in call.bar.shortcuts_menu.actions()}
    for shortcut in SHORTCUTS:
        assert shortcut.text in listed, shortcut.label
        action = listed[shortcut.text]
        if shortcut.held:  # listed with its key, never bound (keyPressEvent holds it)
            assert action.text().endswith("\tSpace") and not action.isEnabled()
            assert action.shortcut().isEmpty()
        else:
            assert action.shortcut() == shortcut.sequence
            assert action in call.actions()  # active in the whole window, menu closed or not
            assert action.shortcutContext() == Qt.ShortcutContext.WindowShortcut
    # the shortcuts menu is in the devices menu, and the tooltips name the keys
    assert call.bar.shortcuts_menu.menuAction() in call.bar.device_menu.actions()
    for button, key in ((call.bar.mic_button, "mic"), (call.bar.camera_button, "camera"), (call.bar.share_button, "share"),
                        (call.bar.hand_button, "hand"), (call.bar.chat_button, "chat"), (call.bar.people_button, "people"),
                        (call.bar.leave_button, "leave")):
        assert BY_ID[key].native_keys in button.toolTip(), key


def test_the_shortcuts_do_what_they_say(qtbot, call: CallWindow) -> None:
    focus(qtbot, call)
    call.chat.input.clearFocus()
    press = lambda key: QTest.keySequence(call, BY_ID[key].sequence)  # noqa: E731

    with qtbot.waitSignal(call.mic_toggled, timeout=2000) as mic:
        press("mic")
    assert mic.args == [False] and not call.bar.mic_button.isChecked()
    with qtbot.waitSignal(call.camera_toggled, timeout=2000) as camera:
        press("camera")
    assert camera.args == [False]
    with qtbot.waitSignal(call.share_requested, timeout=2000):
        press("share")
    with qtbot.waitSignal(call.hand_toggled, timeout=2000) as hand:
        press("hand")
    assert hand.args == [True]
    # People and Chat are one side panel with a tab each: the Chat tab was opened last
    assert call.chat.isVisible() and not call.roster.isVisible()
    press("people")
    assert call.roster.isVisible() and not call.chat.isVisible()
    assert call.bar.people_button.isChecked() and not call.bar.chat_button.isChecked()
    press("people")
    assert not call.side.isVisible() and not call.bar.people_button.isChecked()
    press("chat")
    assert call.chat.isVisible() and call.bar.chat_button.isChecked()
    press("chat")
    assert not call.chat.isVisible() and not call.bar.chat_button.isChecked()
    with qtbot.waitSignal(call.leave_requested, timeout=2000):
        press("leave")

    # a hidden or disabled control's shortcut does nothing
    call.bar.share_button.setVisible(False)
    with qtbot.assertNotEmitted(call.share_requested, wait=100):
        press("share")


def test_push_to_talk_still_works_beside_the_shortcuts(qtbot, call: CallWindow) -> None:
    call.bar.chat_button.setChecked(False)  # typing in the chat never talks: out of the way
    focus(qtbot, call)
    call.setFocus()
    call.set_mic(False)
    with qtbot.waitSignal(call.push_to_talk, timeout=2000) as held:
        QTest.keyPress(call, Qt.Key.Key_Space)
    assert held.args == [True]
    with qtbot.waitSignal(call.push_to_talk, timeout=2000) as released:
        QTest.keyRelease(call, Qt.Key.Key_Space)
    assert released.args == [False]
