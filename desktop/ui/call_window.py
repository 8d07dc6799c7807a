"""CallWindow: the meeting — a grid of video tiles, the control bar, and notices.

Layouts: the grid (everyone the same size) or the speaker layout (whoever talks most is large).
A screen share takes the stage whatever the layout — two shares side by side — with the
camera tiles in a strip beside it; a tile the user pins (double-click, or its menu) takes the
stage instead, until unpinned. The user's own share has no tile: a small floating bar
(SharingBar) says "You are sharing your screen" with a Stop button. The controls under the
tiles are the ControlBar's.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..session import content_owner
from .alone_notice import AloneNotice
from .chat_panel import ChatPanel
from .control_bar import ControlBar
from .icons import icon
from .roster_panel import RosterPanel
from .sharing_bar import SharingBar
from .side_panel import CHAT, PEOPLE, SidePanel
from .stage import GRID, SELF, SPEAKER, Stage  # noqa: F401 - SELF and the layouts, for those who use this window
from .shortcuts import BY_ID, SHORTCUTS
from .tile_grid import TileGrid
from .video_tile import VideoTile


class CallWindow(QWidget):
    mic_toggled = Signal(bool)  # True: microphone on (unmuted)
    camera_toggled = Signal(bool)
    device_chosen = Signal(object, object)  # DeviceKind, Device | None
    leave_requested = Signal()
    end_requested = Signal()  # end the meeting for everyone (hosts)
    settings_requested = Signal()
    connection_requested = Signal()  # open the Connection panel
    about_requested = Signal()
    hand_toggled = Signal(bool)  # raise (True) or lower my hand
    push_to_talk = Signal(bool)  # space held while muted (True) / released (False)
    react_requested = Signal(str)  # an emoji
    share_requested = Signal()  # open the picker
    extend_requested = Signal(int)  # seconds to add to the meeting's timer
    stop_share_requested = Signal()
    close_requested = Signal()  # the window's ✕ (or the window manager) while in the meeting: ask first

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ask_before_closing = False  # in the meeting: the ✕ asks "Leave the meeting?"
        self.setObjectName("CallWindow")
        self.setWindowTitle(self.tr("Parley — Meeting"))
        self.setMinimumSize(720, 480)
        # a click on the videos takes the focus (off a button: no ring left on it), and the
        # window has it at first, so Space (push to talk) works at once
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.me: str | None = None  # my attendee id: my own share gets no tile

        self.grid = TileGrid()
        self.roster = RosterPanel()
        self.chat = ChatPanel()
        self.side = SidePanel(self.roster, self.chat)  # People and Chat: one panel, a tab each
        self.side.setVisible(False)
        self.banner = QLabel(objectName="banner", wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.banner.setVisible(False)
        self._banner_timer = QTimer(self, singleShot=True, interval=8000)
        self._banner_timer.timeout.connect(lambda: self.banner.setVisible(False))
        bar = self.bar = ControlBar()
        self.sharing_bar = SharingBar(self)
        self.sharing_bar.stop_requested.connect(self.stop_share_requested)
        # "Less than 5 minutes remaining" / "The time has run out": stays until dismissed
        self.time_notice, self.time_notice_text, self.time_notice_dismiss = self._notice_bar("warning")
        # "Your connection is poor" (with "Turn off video" while the camera is on)
        self.alert_action = QToolButton(objectName="link", text=self.tr("Turn off video"))
        self.alert_action.clicked.connect(self._alert_video_off)
        self.alert, self.alert_text, self.alert_dismiss = self._notice_bar("signal", self.alert_action)
        # "Reconnecting…": the meeting stays on screen while the connection comes back
        self.status = QLabel(objectName="reconnecting", alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.status.setVisible(False)
        self._dots = 0
        self._status_timer = QTimer(self, interval=500)
        self._status_timer.timeout.connect(self._animate_status)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.setSpacing(6)
        layout.addWidget(self.status)
        layout.addWidget(self.banner)
        layout.addWidget(self.time_notice)
        layout.addWidget(self.alert)
        # the videos, then the side panel (People or Chat): its width set by dragging, remembered
        self.splitter = QSplitter(Qt.Orientation.Horizontal, objectName="CallSplitter")
        self.splitter.setChildrenCollapsible(False)
        for widget in (self.grid, self.side):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(bar)

        self.self_tile = VideoTile()
        self.self_tile.set_self_view(True)
        self.stage = Stage(self.grid, self.self_tile, self)
        self._invite = ""
        self.alone = AloneNotice()  # "You're the only one here": over the videos while alone
        self.alone.copy_requested.connect(self._copy_invite)
        self.grid.set_overlay(self.alone)
        self._talking = False  # Space held while muted
        self._bind_shortcuts()

        bar.mic_toggled.connect(self._mic_clicked)
        for signal in ("camera_toggled", "device_chosen", "leave_requested", "end_requested", "settings_requested",
                       "connection_requested", "about_requested", "react_requested", "share_requested",
                       "stop_share_requested", "extend_requested"):
            getattr(bar, signal).connect(getattr(self, signal))
        bar.layout_chosen.connect(self.set_layout)
        self.side.bind({PEOPLE: bar.people_button, CHAT: bar.chat_button})
        self.side.opened.connect(self._panel_opened)
        self.roster.pin_requested.connect(lambda who: self.stage.pin(None if who is None else self._key(who)))
        self.roster.count_changed.connect(lambda n: self.side.set_tab_text(PEOPLE, self.tr("People (%n)", "", n)))
        self.roster.is_pinned = lambda who: self.stage.pinned == self._key(who)
        self.roster.title.setVisible(False)  # the tabs say it
        self.chat.title.setVisible(False)
        bar.hand_button.toggled.connect(self.hand_toggled)
        bar.invite_button.clicked.connect(self._copy_invite)
        self.set_mic(True)
        self.set_camera(True)
        self.set_sharing(False)
        self.set_hand(False)
        bar.show_unread(0)
        self.set_layout(GRID)
        self.set_can_end(False)
        self._update_count()

    def _notice_bar(self, icon_name: str, action: QToolButton | None = None) -> tuple[QFrame, QLabel, QToolButton]:
        """An amber bar with an icon, a text, an optional action and Dismiss; hidden at first."""
        bar = QFrame(objectName="timeNotice")
        text = QLabel(wordWrap=True)
        dismiss = QToolButton(objectName="link", text=self.tr("Dismiss"))
        dismiss.setAccessibleName(self.tr("Dismiss this notice"))
        dismiss.clicked.connect(lambda: bar.setVisible(False))
        row = QHBoxLayout(bar)
        row.setContentsMargins(12, 6, 8, 6)
        badge = QLabel()
        badge.setPixmap(icon(icon_name, "#b45309").pixmap(18, 18))
        row.addWidget(badge)
        row.addWidget(text, 1)
        if action is not None:
            row.addWidget(action)
        row.addWidget(dismiss)
        bar.setVisible(False)
        return bar, text, dismiss

    def _bind_shortcuts(self) -> None:
        """The keyboard shortcuts of ``SHORTCUTS``: one action each, bound in this window and
        listed (label and keys) in the devices menu's "Keyboard shortcuts". An action presses
        its button, so a shortcut does exactly what a click does (nothing while the button is
        hidden or disabled). Push-to-talk is held, not pressed: keyPressEvent handles it, and
        the menu only lists it."""
        bar = self.bar
        self.shortcut_buttons = {
            "mic": bar.mic_button, "camera": bar.camera_button, "share": bar.share_button,
            "hand": bar.hand_button, "chat": bar.chat_button, "people": bar.people_button,
            "leave": bar.leave_button,
        }
        self.shortcut_actions: dict[str, QAction] = {}
        for shortcut in SHORTCUTS:
            action = QAction(shortcut.text, self)
            if shortcut.held:
                action.setText(f"{shortcut.text}\t{shortcut.native_keys}")  # listed, never bound
                action.setEnabled(False)
            else:
                action.setShortcut(shortcut.sequence)
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                action.triggered.connect(lambda _=False, key=shortcut.id: self._press(key))
                self.addAction(action)  # active whenever this window is
            bar.shortcuts_menu.addAction(action)
            self.shortcut_actions[shortcut.id] = action

    def _press(self, key: str) -> None:
        button = self.shortcut_buttons[key]
        if button.isVisibleTo(self) and button.isEnabled():
            button.click()

    # --- attendees ----------------------------------------------------------------------------

    def set_self(self, name: str) -> None:
        self.self_tile.set_name(name)  # the self-view says "(you)" itself

    def set_me(self, attendee_id: str) -> None:
        self.me = attendee_id

    def add_attendee(self, info) -> None:
        self.roster.upsert(info)
        if info.content and content_owner(info.attendee_id) == self.me:
            return  # my own share: the sharing bar stands for it
        self.stage.show_attendee(info)
        self._update_count()

    def update_attendee(self, info) -> None:
        if self.stage.has(info.attendee_id):
            self.roster.upsert(info)
            self.stage.refresh(info)
        else:
            self.add_attendee(info)

    def remove_attendee(self, attendee_id: str) -> None:
        self.roster.remove(attendee_id)
        self.stage.remove(attendee_id)
        self._update_count()

    @property
    def names(self) -> dict[str, str]:
        """Attendee id -> name, of everyone with a tile."""
        return self.stage.names

    def set_layout(self, mode: str) -> None:
        """GRID, or SPEAKER: whoever talks is large."""
        self.stage.set_layout(mode)
        self.bar.show_layout(mode)

    def show_self_frame(self, frame) -> None:
        self.self_tile.set_video_on(frame is not None)
        self.self_tile.set_frame(frame)

    def _update_count(self) -> None:
        people = len([k for k in self.grid.keys() if content_owner(k) is None])
        self.bar.show_count(people)
        self.alone.setVisible(self.grid.count == 1)
        self.setWindowTitle(self.tr("Parley — Meeting (%n)", "", people))

    # --- connection -----------------------------------------------------------------------------

    @property
    def reconnecting(self) -> bool:
        return self.status.isVisibleTo(self)

    def set_reconnecting(self, on: bool) -> None:
        """The connection dropped: say so (tiles keep their last picture) until it is back."""
        self.status.setVisible(on)
        if on:
            self._dots = 0
            self._animate_status()
            self._status_timer.start()
        else:
            self._status_timer.stop()

    def _animate_status(self) -> None:
        self._dots = self._dots % 3 + 1
        self.status.setText(self.tr("Reconnecting{dots}  Your meeting is still here.").format(dots="." * self._dots))

    def show_connection_poor(self, suggest_video_off: bool) -> None:
        if suggest_video_off:
            self.alert_text.setText(self.tr("Your connection is poor. Turning off your video may help others hear you."))
        else:
            self.alert_text.setText(self.tr("Your connection is poor. Others may not hear you well."))
        self.alert_action.setVisible(suggest_video_off)
        self.alert.setVisible(True)

    def _alert_video_off(self) -> None:
        self.alert.setVisible(False)
        if self.bar.camera_button.isChecked():
            self.bar.camera_button.click()  # the same as the user turning it off

    def show_quality(self, key: str, quality: float | None) -> None:
        """The signal indicator of one tile (``self`` for mine): shown when fair or poor."""
        tile = self.grid.tile(key)
        if tile is not None:
            tile.set_quality(quality)

    # --- push to talk ---------------------------------------------------------------------------

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """While muted, holding Space talks (released: muted again) — unless typing somewhere."""
        if (event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and not self._talking
                and not self.bar.mic_button.isChecked() and self.bar.mic_button.isEnabled()
                and not self._typing()):
            self._talking = True
            self.push_to_talk.emit(True)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and self._talking:
            self._talking = False
            self.push_to_talk.emit(False)
            return
        super().keyReleaseEvent(event)

    def _typing(self) -> bool:
        return isinstance(QApplication.focusWidget(), QLineEdit)

    def show_muted_hint(self) -> None:
        self.show_notice(self.tr("You're muted. Unmute with {keys}, or hold {space} to talk.").format(
            keys=BY_ID["mic"].native_keys, space=BY_ID["push_to_talk"].native_keys), 6)

    # --- controls -----------------------------------------------------------------------------

    def set_mic(self, on: bool) -> None:
        self.bar.set_mic(on)
        self.self_tile.set_muted(not on)

    def _mic_clicked(self, on: bool) -> None:
        self.set_mic(on)
        self.mic_toggled.emit(on)

    def set_mic_locked(self, why: str | None) -> None:
        """A host muted us: the unmute button is disabled and says why (None: allowed again)."""
        mic = self.bar.mic_button
        mic.setEnabled(why is None)
        if why:
            mic.setToolTip(why)
            self.show_notice(why)
        else:
            self.set_mic(mic.isChecked())

    def set_camera(self, on: bool, unavailable: str | None = None) -> None:
        """The camera's state; ``unavailable`` says why it cannot be on right now."""
        self.bar.set_camera(on, unavailable)

    @property
    def camera_unavailable(self) -> bool:
        return self.bar.camera_unavailable

    def set_sharing(self, on: bool, what: str | None = None, file: bool = False) -> None:
        """My share is running (the bar shows) or not; ``what``: the window's or the file's
        name (None: a screen)."""
        self.bar.set_sharing(on)
        if on:
            self.sharing_bar.show_for(what, file)
        else:
            self.sharing_bar.hide()

    def set_share_unavailable(self, why: str | None) -> None:
        """Sharing cannot start now: the Share button says why (None: available)."""
        self.bar.set_share_unavailable(why)

    @property
    def share_unavailable(self) -> str | None:
        return self.bar.share_unavailable

    def set_devices(self, kind, devices, current) -> None:
        """The devices of ``kind`` in the devices menu, ``current`` checked."""
        self.bar.set_devices(kind, devices, current)

    # --- chat, hands, reactions -----------------------------------------------------------------

    def set_reactions(self, emojis: tuple[str, ...]) -> None:
        self.bar.set_reactions(emojis)

    def show_panel(self, tab: str | None) -> None:
        """Open the side panel on ``tab`` (PEOPLE or CHAT), or close it (None)."""
        self.side.open(tab)

    def _panel_opened(self, tab: str | None) -> None:
        if tab == CHAT:
            self.bar.show_unread(0)
            self.chat.input.setFocus()

    def _key(self, attendee_id: str) -> str:
        """The tile key of ``attendee_id`` (mine is SELF)."""
        return SELF if attendee_id == self.me else attendee_id

    def add_chat(self, message) -> None:
        self.chat.add_message(message)
        if not self.chat.isVisibleTo(self) and message.from_id != self.chat.me:
            self.bar.show_unread(self.bar.unread + 1)

    def set_hand(self, raised: bool) -> None:
        """My hand's state as the server has it."""
        self.bar.set_hand(raised)
        self.self_tile.set_hand_raised(raised)

    def show_reaction(self, key: str, emoji: str) -> None:
        tile = self.grid.tile(key)
        if tile is not None:
            tile.show_reaction(emoji)
        self.bar.count_reaction(emoji)

    # --- the session timer ----------------------------------------------------------------------

    def show_time_left(self, seconds: float | None, text: str = "") -> None:
        """The countdown (None: the meeting has no timer); amber under 5 minutes, red under 1."""
        self.bar.show_time_left(seconds, text)

    def set_can_extend(self, can_extend: bool) -> None:
        self.bar.set_can_extend(can_extend)

    def show_time_notice(self, text: str) -> None:
        """A notice about the time that stays until dismissed."""
        self.time_notice_text.setText(text)
        self.time_notice.setVisible(True)

    def set_can_end(self, can_end: bool) -> None:
        """Hosts (``end-call``) get a menu on Leave: leave, or end the meeting for everyone."""
        self.bar.set_can_end(can_end)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if QApplication.focusWidget() is None or not self.isAncestorOf(QApplication.focusWidget()):
            self.setFocus(Qt.FocusReason.OtherFocusReason)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.ask_before_closing:  # the ✕, the window manager, anyone: ask, never close under the call
            event.ignore()
            self.close_requested.emit()
            return
        self.sharing_bar.hide()
        super().closeEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.sharing_bar.hide()
        super().hideEvent(event)

    # --- notices and the invite -----------------------------------------------------------------

    def set_invite(self, url: str | None) -> None:
        self._invite = url or ""
        self.bar.invite_button.setVisible(bool(url))
        self.alone.set_link_known(bool(url))

    def _copy_invite(self) -> None:
        QGuiApplication.clipboard().setText(self._invite)
        self.show_notice(self.tr("Invite link copied. Anyone with it can join."))

    def show_notice(self, text: str, seconds: float = 8.0) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self._banner_timer.start(int(seconds * 1000))
