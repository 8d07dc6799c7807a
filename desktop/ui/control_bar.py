"""ControlBar: the row of controls under the call — microphone and camera (each with an arrow
for its devices), share, hand, reactions, settings, layout, chat, people, invite, Leave — with
the people count, the reactions of the last moments and the meeting's countdown (and Extend)
on either side.

Each button is an icon with a short label under it (as Zoom and Teams label theirs). The two
sides are boxes of one fixed width, so the buttons stay centred and never move when the
reaction tally or the countdown changes.

It shows what it is told (muted, camera unavailable and why, sharing, hand raised, unread
messages, time left) and says what the user asked for through its signals; the CallWindow
does the rest. When the row does not fit the window (a narrow window, a long language), the
count and the timer move to a row of their own above the buttons, and Leave keeps only its
icon if even the buttons do not fit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from ..media.devices import Device, DeviceKind
from .backgrounds import BackgroundMenu
from .bar_parts import CountdownBox, DeviceArrow, ReactionTally, bar_button, fit_labels, reaction_menu
from .elided_label import ElidedLabel
from .icons import icon
from .shortcuts import with_keys
from .stage import GRID, SPEAKER

_WHITE = "#ffffff"  # icons on a red (off) or blue (active) button


class ControlBar(QWidget):
    mic_toggled = Signal(bool)  # True: microphone on (unmuted)
    camera_toggled = Signal(bool)
    device_chosen = Signal(object, object)  # DeviceKind, Device | None
    leave_requested = Signal()
    end_requested = Signal()  # end the meeting for everyone (hosts)
    settings_requested = Signal()
    connection_requested = Signal()  # open the Connection panel
    about_requested = Signal()
    react_requested = Signal(str)  # an emoji
    share_requested = Signal()  # open the picker
    stop_share_requested = Signal()
    extend_requested = Signal(int)  # seconds to add to the meeting's timer
    layout_chosen = Signal(str)  # GRID or SPEAKER

    def __init__(self, parent: QWidget | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        """``clock``: monotonic seconds, for the reaction tally's fading (tests move it)."""
        super().__init__(parent)
        self.unread = 0
        self.mic_button = bar_button(self.tr("Microphone"), self.tr("Mute"), checkable=True)
        self.camera_button = bar_button(self.tr("Camera"), self.tr("Stop video"), checkable=True)
        self.devices_button = bar_button(self.tr("Devices and settings"), self.tr("Settings"))
        self.devices_button.setIcon(icon("settings"))
        self.devices_button.setToolTip(self.tr("Microphone, speaker, camera, keyboard shortcuts and settings"))
        self.devices_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.device_menu = QMenu(self)
        self.device_menus = {
            DeviceKind.MICROPHONE: self.device_menu.addMenu(self.tr("Microphone")),
            DeviceKind.SPEAKER: self.device_menu.addMenu(self.tr("Speaker")),
            DeviceKind.CAMERA: self.device_menu.addMenu(self.tr("Camera")),
        }
        self.background_menu = BackgroundMenu(self)
        self.background_menu.setIcon(icon("background"))
        self.device_menu.addMenu(self.background_menu)
        self.device_menu.addSeparator()
        self.shortcuts_menu = self.device_menu.addMenu(self.tr("Keyboard shortcuts"))
        self.device_menu.addAction(self.tr("Connection…"), self.connection_requested.emit)
        self.device_menu.addAction(self.tr("Settings…"), self.settings_requested.emit)
        self.device_menu.addAction(self.tr("About Parley"), self.about_requested.emit)
        self.devices_button.setMenu(self.device_menu)
        # the arrows beside the microphone and the camera: their devices, as Meet, Zoom and Teams do
        menus = self.device_menus
        self.mic_arrow = DeviceArrow(self.tr("Choose the microphone and speaker"), lambda: [
            (self.tr("Microphone"), menus[DeviceKind.MICROPHONE]), (self.tr("Speaker"), menus[DeviceKind.SPEAKER])])
        self.camera_arrow = DeviceArrow(self.tr("Choose the camera and background"), lambda: [
            (self.tr("Camera"), menus[DeviceKind.CAMERA])], extra=(self.background_menu,))
        self.share_button = bar_button(self.tr("Share screen"), self.tr("Share"), checkable=True)
        self.layout_button = bar_button(self.tr("Layout"), self.tr("Layout"))
        self.layout_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.layout_menu = QMenu(self)
        layouts = QActionGroup(self.layout_menu)
        self.layout_actions = {}
        for mode, text in ((GRID, self.tr("Grid: everyone the same size")),
                           (SPEAKER, self.tr("Speaker: whoever talks is large"))):
            # no icon: Fusion draws a checkable action's icon in place of its check mark
            action = QAction(text, self.layout_menu, checkable=True)
            action.triggered.connect(lambda _=False, m=mode: self.layout_chosen.emit(m))
            layouts.addAction(action)
            self.layout_menu.addAction(action)
            self.layout_actions[mode] = action
        self.layout_button.setMenu(self.layout_menu)
        self.chat_button = bar_button(self.tr("Chat"), self.tr("Chat"), checkable=True)
        self.chat_button.setIcon(icon("chat"))
        self.unread_badge = QLabel(self.chat_button, objectName="badge", alignment=Qt.AlignmentFlag.AlignCenter)
        self.unread_badge.setGeometry(38, 2, 18, 18)
        self.unread_badge.setVisible(False)
        self.hand_button = bar_button(self.tr("Raise hand"), self.tr("Raise"), checkable=True)
        self.react_button = bar_button(self.tr("React"), self.tr("React"))
        self.react_button.setIcon(icon("smile"))
        self.react_button.setToolTip(self.tr("Send a reaction"))
        self.react_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.react_menu, self.reaction_bar = reaction_menu(self)
        self.reaction_bar.picked.connect(self.react_requested)
        self.react_button.setMenu(self.react_menu)
        self.reaction_strip = ReactionTally(clock)  # the count label gives way first
        self.reaction_strip.active_changed.connect(lambda on: self.count_label.setVisible(not on))  # in its place
        self.people_button = bar_button(self.tr("People"), self.tr("People"), checkable=True)
        self.people_button.setIcon(icon("users"))
        self.people_button.setToolTip(with_keys(self.tr("Show everyone in the meeting"), "people"))
        self.invite_button = bar_button(self.tr("Copy invite link"), self.tr("Invite"))
        self.invite_button.setIcon(icon("link"))
        self.invite_button.setToolTip(self.tr("Copy the invite link"))
        self.invite_button.setVisible(False)
        self.leave_button = QToolButton(objectName="leave")
        self.leave_button.setIcon(icon("leave", _WHITE))
        self.leave_button.setText(self.tr("Leave"))
        self.leave_button.setToolTip(with_keys(self.tr("Leave the meeting"), "leave"))
        self.leave_button.setAccessibleName(self.tr("Leave the meeting"))
        self.leave_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.leave_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.leave_menu = QMenu(self)
        self.leave_menu.addAction(self.tr("Leave meeting"), self.leave_requested.emit)
        self.end_action = self.leave_menu.addAction(self.tr("End meeting for everyone"), self.end_requested.emit)
        self.count_label = ElidedLabel(objectName="muted")
        self.countdown = CountdownBox()
        self.countdown.extend_requested.connect(self.extend_requested)
        self.timer_box, self.timer_label = self.countdown, self.countdown.label
        self.extend_button, self.extend_menu = self.countdown.extend_button, self.countdown.extend_menu
        self.timer_box.setVisible(False)
        for button, labels in ((self.mic_button, (self.tr("Mute"), self.tr("Unmute"))),
                               (self.camera_button, (self.tr("Stop video"), self.tr("Start video"))),
                               (self.share_button, (self.tr("Share"), self.tr("Stop"))),
                               (self.hand_button, (self.tr("Raise"), self.tr("Lower"))),
                               (self.layout_button, (self.tr("Grid"), self.tr("Speaker", "layout")))):
            fit_labels(button, *labels)
        self._build_rows()
        self._camera_unavailable = False
        self._share_unavailable: str | None = None
        self._sharing = False
        self._can_end = False
        self.mic_button.toggled.connect(self._mic_clicked)
        self.camera_button.toggled.connect(self._camera_clicked)
        self.leave_button.clicked.connect(self._leave_clicked)
        self.share_button.toggled.connect(self._share_clicked)

    @property
    def reaction_counts(self) -> dict[str, int]:
        """The reactions of the last moments (emptied as the tally fades)."""
        return self.reaction_strip.counts

    def _build_rows(self) -> None:
        """[count, reactions] [buttons] [Leave] [timer] in one row when they fit; else the count
        and the timer in a row of their own above the buttons. The two sides are as wide as
        each other, and fixed, so the buttons between them stay put."""
        self.bar_info = QWidget()  # the count and the reactions
        info_row = QHBoxLayout(self.bar_info)
        info_row.setContentsMargins(0, 0, 0, 0)
        info_row.setSpacing(12)
        info_row.addWidget(self.count_label)  # elided first when the bar is full
        info_row.addWidget(self.reaction_strip, 1)
        self.bar_end = QWidget()  # the timer, on the right
        end_row = QHBoxLayout(self.bar_end)
        end_row.setContentsMargins(0, 0, 0, 0)
        end_row.addStretch(1)
        end_row.addWidget(self.timer_box, 0, Qt.AlignmentFlag.AlignVCenter)
        self.mic_group = self._with_arrow(self.mic_button, self.mic_arrow)
        self.camera_group = self._with_arrow(self.camera_button, self.camera_arrow)
        self.bar_buttons = (self.mic_button, self.camera_button, self.share_button, self.hand_button,
                            self.react_button, self.devices_button, self.layout_button, self.chat_button,
                            self.people_button, self.invite_button)
        self._bar_items = (self.mic_group, self.camera_group, *self.bar_buttons[2:])
        bar = self._bar = QHBoxLayout()
        bar.setContentsMargins(16, 6, 16, 8)
        bar.setSpacing(2)
        bar.addWidget(self.bar_info)
        bar.addStretch(1)
        for item in self._bar_items:
            bar.addWidget(item)
        bar.addSpacing(12)
        bar.addWidget(self.leave_button, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addStretch(1)
        bar.addWidget(self.bar_end)
        self.bar_status = QWidget()  # the row above the buttons, in the compact bar
        status_row = self._status_row = QHBoxLayout(self.bar_status)
        status_row.setContentsMargins(16, 4, 16, 0)
        self.bar_status.setVisible(False)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(6)  # as between the window's other rows
        rows.addWidget(self.bar_status)
        rows.addLayout(bar)
        self.compact_bar = False
        self._leave_width = 0  # Leave with its text, measured while it shows it
        self._arrange_later = QTimer(self, singleShot=True, interval=0)
        self._arrange_later.timeout.connect(self._arrange)
        for widget in (*self.bar_buttons, self.timer_box, self.extend_button):
            widget.installEventFilter(self)  # shown or hidden: arrange the bar again
        self._fix_sides()

    @staticmethod
    def _with_arrow(button: QToolButton, arrow: QToolButton) -> QWidget:
        group = QWidget()
        row = QHBoxLayout(group)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(button)
        row.addWidget(arrow)
        return group

    def side_width(self) -> int:
        """The width of each side: room for the count, or the countdown (with Extend) while
        there is one; the countdown's digits and the tally never change it."""
        if not self.timer_box.isVisibleTo(self):
            return 150
        extend = self.extend_button.sizeHint().width() + 8 if self.extend_button.isVisibleTo(self) else 0
        return max(150, self.timer_label.width() + extend)

    def _fix_sides(self) -> None:
        width = self.side_width()
        for side in (self.bar_info, self.bar_end):
            side.setFixedWidth(width)

    # --- arranging ----------------------------------------------------------------------------

    def _arrange(self) -> None:
        """One row when it fits the bar's width, else the compact bar."""
        bar = self._bar
        if self.leave_button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon:
            self._leave_width = self.leave_button.sizeHint().width()
        margins = bar.contentsMargins()
        items = [b for b in self._bar_items if b.isVisibleTo(self)]
        core = (sum(b.sizeHint().width() for b in items) + bar.spacing() * len(items) + 12
                + self._leave_width + margins.left() + margins.right())
        self._fix_sides()
        sides = 2 * (self.side_width() + bar.spacing())
        compact = core + sides > self.width()
        self.leave_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if core > self.width()
                                             else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        if compact == self.compact_bar:
            return
        self.compact_bar = compact
        for widget in (self.bar_info, self.bar_end):
            (self._status_row if not compact else bar).removeWidget(widget)
        if compact:
            self._status_row.insertWidget(0, self.bar_info)
            self._status_row.addStretch(1)
            self._status_row.addWidget(self.bar_end)
        else:
            while self._status_row.count():
                self._status_row.takeAt(0)
            bar.insertWidget(0, self.bar_info)
            bar.addWidget(self.bar_end)
        self.bar_status.setVisible(compact)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._arrange()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self._arrange_later.start()
        return False

    # --- what the buttons show ------------------------------------------------------------------

    def _restyle(self, button: QToolButton, off: bool, unavailable: bool = False) -> None:
        button.setProperty("off", off)
        button.setProperty("unavailable", unavailable)
        button.style().unpolish(button)
        button.style().polish(button)

    def set_mic(self, on: bool) -> None:
        self.mic_button.blockSignals(True)
        self.mic_button.setChecked(on)
        self.mic_button.blockSignals(False)
        self.mic_button.setIcon(icon("mic") if on else icon("mic-off", _WHITE))
        self.mic_button.setText(self.tr("Mute") if on else self.tr("Unmute"))
        self.mic_button.setToolTip(with_keys(self.tr("Mute the microphone") if on
                                             else self.tr("Unmute the microphone"), "mic"))
        self._restyle(self.mic_button, off=not on)

    def set_camera(self, on: bool, unavailable: str | None = None) -> None:
        """The camera's state; ``unavailable`` says why it cannot be on right now."""
        self._camera_unavailable = bool(unavailable)
        self.camera_button.blockSignals(True)
        self.camera_button.setChecked(on)
        self.camera_button.blockSignals(False)
        self.camera_button.setIcon(icon("camera") if on else icon("camera-off") if unavailable
                                   else icon("camera-off", _WHITE))
        self.camera_button.setText(self.tr("Stop video") if on else self.tr("Start video"))
        if unavailable:
            why = self.tr("Video unavailable: {reason}").format(reason=unavailable)
            self.camera_button.setToolTip(why)
            self.camera_button.setAccessibleDescription(why)
        else:
            self.camera_button.setToolTip(with_keys(self.tr("Turn the camera off") if on
                                                    else self.tr("Turn the camera on"), "camera"))
            self.camera_button.setAccessibleDescription("")
        self._restyle(self.camera_button, off=not on, unavailable=bool(unavailable))

    @property
    def camera_unavailable(self) -> bool:
        return self._camera_unavailable

    def _mic_clicked(self, on: bool) -> None:
        self.mic_toggled.emit(on)

    def _camera_clicked(self, on: bool) -> None:
        self.set_camera(on)
        self.camera_toggled.emit(on)

    def set_sharing(self, on: bool) -> None:
        """My share is running (the button stops it) or not."""
        self._sharing = on
        self.share_button.blockSignals(True)
        self.share_button.setChecked(on)
        self.share_button.blockSignals(False)
        self.share_button.setIcon(icon("screen-share-off", _WHITE) if on else icon("screen-share"))
        self.share_button.setText(self.tr("Stop") if on else self.tr("Share"))
        self._show_share_state()

    def set_share_unavailable(self, why: str | None) -> None:
        """Sharing cannot start now (two others share, or the platform cannot): the button says
        why and is disabled until a share ends; None: available."""
        self._share_unavailable = why
        self._show_share_state()

    @property
    def share_unavailable(self) -> str | None:
        return self._share_unavailable

    def _show_share_state(self) -> None:
        why = None if self._sharing else self._share_unavailable
        self.share_button.setEnabled(why is None)
        if self._sharing:
            tip = with_keys(self.tr("Stop sharing your screen"), "share")
        elif why:
            tip = self.tr("Screen sharing unavailable: {reason}").format(reason=why)
        else:
            tip = with_keys(self.tr("Share your screen or a window"), "share")
        self.share_button.setToolTip(tip)
        self.share_button.setAccessibleDescription(tip)
        self.share_button.setProperty("active", self._sharing)
        self._restyle(self.share_button, off=False, unavailable=bool(why))

    def _share_clicked(self, on: bool) -> None:
        self.share_button.blockSignals(True)
        self.share_button.setChecked(self._sharing)  # it changes once the share really starts or stops
        self.share_button.blockSignals(False)
        if self._sharing:
            self.stop_share_requested.emit()
        else:
            self.share_requested.emit()

    def set_hand(self, raised: bool) -> None:
        self.hand_button.blockSignals(True)
        self.hand_button.setChecked(raised)
        self.hand_button.blockSignals(False)
        self.hand_button.setToolTip(with_keys(self.tr("Lower your hand") if raised
                                              else self.tr("Raise your hand"), "hand"))
        self.hand_button.setIcon(icon("hand", _WHITE) if raised else icon("hand"))
        self.hand_button.setText(self.tr("Lower") if raised else self.tr("Raise"))
        self.hand_button.setProperty("active", raised)
        self._restyle(self.hand_button, off=False)

    def set_reactions(self, emojis: tuple[str, ...]) -> None:
        self.reaction_bar.set_emojis(emojis)

    def count_reaction(self, emoji: str) -> None:
        self.reaction_strip.count(emoji)

    def show_unread(self, unread: int) -> None:
        self.unread = unread
        self.unread_badge.setText(str(unread) if unread < 100 else "99+")
        self.unread_badge.setVisible(unread > 0)
        self.chat_button.setToolTip(with_keys(self.tr("Chat (%n unread)", "", unread) if unread
                                              else self.tr("Chat with everyone or one person"), "chat"))

    def show_layout(self, mode: str) -> None:
        self.layout_actions[mode].setChecked(True)
        self.layout_button.setIcon(icon("grid" if mode == GRID else "stage"))
        self.layout_button.setText(self.tr("Grid") if mode == GRID else self.tr("Speaker", "layout"))
        self.layout_button.setToolTip(self.tr("Layout: grid") if mode == GRID else self.tr("Layout: speaker"))

    def show_count(self, people: int) -> None:
        self.count_label.setText(self.tr("%n in the meeting", "", people))

    def set_devices(self, kind: DeviceKind, devices: list[Device], current: Device | None) -> None:
        menu = self.device_menus[kind]
        menu.clear()
        group = QActionGroup(menu)
        for device in devices:
            action = QAction(device.name, menu, checkable=True)
            action.setChecked(current is not None and device.id == current.id)
            action.triggered.connect(lambda _=False, d=device, k=kind: self.device_chosen.emit(k, d))
            group.addAction(action)
            menu.addAction(action)
        if not devices:
            empty = menu.addAction(self.tr("None found"))
            empty.setEnabled(False)

    # --- the timer and Leave --------------------------------------------------------------------

    def show_time_left(self, seconds: float | None, text: str = "") -> None:
        """The countdown (None: the meeting has no timer); amber under 5 minutes, red under 1."""
        self.timer_box.setVisible(seconds is not None)
        if seconds is not None:
            self.countdown.show_time_left(seconds, text)

    def set_can_extend(self, can_extend: bool) -> None:
        self.extend_button.setVisible(can_extend)

    def set_can_end(self, can_end: bool) -> None:
        """Hosts (``end-call``) get a menu on Leave: leave, or end the meeting for everyone."""
        self.end_action.setVisible(can_end)
        self._can_end = can_end

    def _leave_clicked(self) -> None:
        if self._can_end:
            self.leave_menu.popup(self.leave_button.mapToGlobal(QPoint(0, -self.leave_menu.sizeHint().height())))
        else:
            self.leave_requested.emit()
