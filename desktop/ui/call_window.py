"""CallWindow: the meeting — a grid of video tiles, the control bar, and notices.

Layouts: the grid (everyone the same size) or the speaker layout (whoever talks most is large).
A screen share takes the stage whatever the layout — two shares side by side — with the
camera tiles in a strip beside it; a tile the user pins (double-click, or its menu) takes the
stage instead, until unpinned. The user's own share has no tile: a small floating bar says
"You are sharing your screen" with a Stop button.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..media.devices import Device, DeviceKind
from ..session.screen_share import content_owner
from .chat_panel import ChatPanel
from .elided_label import ElidedLabel
from .backgrounds import BackgroundMenu
from .icons import icon
from .roster_panel import RosterPanel
from .shortcuts import BY_ID, SHORTCUTS, with_keys
from .tile_grid import TileGrid
from .video_tile import VideoTile

SELF = "self"  # the key of the self-view tile
GRID, SPEAKER = "grid", "speaker"  # the layouts


class SharingBar(QWidget):
    """A small always-on-top bar while the user shares: "You are sharing your screen — Stop"."""

    stop_requested = Signal()
    pause_toggled = Signal(bool)  # a shared video file: pause (True) or resume

    def __init__(self, parent: QWidget | None = None) -> None:
        flags = (Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                 | Qt.WindowType.WindowStaysOnTopHint)
        super().__init__(parent, flags)
        self.setObjectName("SharingBar")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.label = QLabel(self.tr("You are sharing your screen"))
        self.stop_button = QPushButton(self.tr("Stop sharing"), objectName="danger")
        self.stop_button.setAccessibleName(self.tr("Stop sharing your screen"))
        self.stop_button.clicked.connect(self.stop_requested)
        self.pause_button = QPushButton(self.tr("Pause"), checkable=True)
        self.pause_button.setToolTip(self.tr("Pause or resume the video you share"))
        self.pause_button.toggled.connect(self._pause_toggled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        layout.setSpacing(12)
        icon_label = QLabel()
        icon_label.setPixmap(icon("screen-share", "#3b82f6").pixmap(18, 18))
        layout.addWidget(icon_label)
        layout.addWidget(self.label)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.stop_button)

    def _pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText(self.tr("Resume") if paused else self.tr("Pause"))
        self.pause_toggled.emit(paused)

    def show_for(self, what: str | None = None, file: bool = False) -> None:
        """Show at the top centre of the screen the window is on (with Pause for a file);
        ``what``: the window's or file's name (None: the screen)."""
        self.label.setText(self.tr("You are sharing your screen") if what is None
                           else self.tr("You are sharing “{name}”").format(name=what))
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(False)
        self.pause_button.setText(self.tr("Pause"))
        self.pause_button.blockSignals(False)
        self.pause_button.setVisible(file)
        self.adjustSize()
        parent = self.parentWidget()
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        self.move(area.center().x() - self.width() // 2, area.top() + 12)
        self.show()
        self.raise_()


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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CallWindow")
        self.setWindowTitle(self.tr("Parley — Meeting"))
        self.setMinimumSize(720, 480)
        self.names: dict[str, str] = {}
        self.layout_mode = GRID
        self.pinned: str | None = None
        self.speaker: str | None = None  # who talks most (tile key), for the speaker layout
        self.me: str | None = None  # my attendee id: my own share gets no tile

        self.grid = TileGrid()
        self.roster = RosterPanel()
        self.roster.setVisible(False)
        self.chat = ChatPanel()
        self.chat.setVisible(False)
        self.unread = 0
        self.reaction_counts: dict[str, int] = {}
        self.banner = QLabel(objectName="banner", wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.banner.setVisible(False)
        self._banner_timer = QTimer(self, singleShot=True, interval=8000)
        self._banner_timer.timeout.connect(lambda: self.banner.setVisible(False))

        self.mic_button = self._round_button(self.tr("Microphone"), checkable=True)
        self.camera_button = self._round_button(self.tr("Camera"), checkable=True)
        self.devices_button = self._round_button(self.tr("Devices and settings"))
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
        self.share_button = self._round_button(self.tr("Share screen"), checkable=True)
        self.layout_button = self._round_button(self.tr("Layout"))
        self.layout_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.layout_menu = QMenu(self)
        layouts = QActionGroup(self.layout_menu)
        self.layout_actions = {}
        for mode, text in ((GRID, self.tr("Grid: everyone the same size")),
                           (SPEAKER, self.tr("Speaker: whoever talks is large"))):
            action = QAction(icon("grid" if mode == GRID else "stage"), text, self.layout_menu, checkable=True)
            action.triggered.connect(lambda _=False, m=mode: self.set_layout(m))
            layouts.addAction(action)
            self.layout_menu.addAction(action)
            self.layout_actions[mode] = action
        self.layout_button.setMenu(self.layout_menu)
        self.chat_button = self._round_button(self.tr("Chat"), checkable=True)
        self.chat_button.setIcon(icon("chat"))
        self.unread_badge = QLabel(self.chat_button, objectName="badge", alignment=Qt.AlignmentFlag.AlignCenter)
        self.unread_badge.setGeometry(26, 0, 18, 18)
        self.unread_badge.setVisible(False)
        self.hand_button = self._round_button(self.tr("Raise hand"), checkable=True)
        self.hand_button.setIcon(icon("hand"))
        self.react_button = self._round_button(self.tr("React"))
        self.react_button.setIcon(icon("smile"))
        self.react_button.setToolTip(self.tr("Send a reaction"))
        self.react_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.react_menu = QMenu(self)
        self.react_button.setMenu(self.react_menu)
        self.reaction_strip = QLabel(objectName="muted")  # the count label gives way first
        self.reaction_strip.setToolTip(self.tr("Reactions in this meeting"))
        self.people_button = self._round_button(self.tr("People"), checkable=True)
        self.people_button.setIcon(icon("users"))
        self.people_button.setToolTip(with_keys(self.tr("Show everyone in the meeting"), "people"))
        self.invite_button = self._round_button(self.tr("Copy invite link"))
        self.invite_button.setIcon(icon("link"))
        self.invite_button.setToolTip(self.tr("Copy the invite link"))
        self.invite_button.setVisible(False)
        self.leave_button = QToolButton(objectName="leave")
        self.leave_button.setIcon(icon("leave", "#ffffff"))
        self.leave_button.setText(self.tr("Leave"))
        self.leave_button.setToolTip(with_keys(self.tr("Leave the meeting"), "leave"))
        self.leave_button.setAccessibleName(self.tr("Leave the meeting"))
        self.leave_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.leave_menu = QMenu(self)
        self.leave_menu.addAction(self.tr("Leave meeting"), self.leave_requested.emit)
        self.end_action = self.leave_menu.addAction(self.tr("End meeting for everyone"), self.end_requested.emit)
        self.sharing_bar = SharingBar(self)
        self.sharing_bar.stop_requested.connect(self.stop_share_requested)
        self.count_label = ElidedLabel(objectName="muted")
        # the session timer: time left, and Extend for those allowed (15/30/60 minutes)
        self.timer_label = QLabel(objectName="timer")
        self.timer_label.setAccessibleName(self.tr("Time left in the meeting"))
        self.extend_button = QToolButton(objectName="extend", text=self.tr("Extend"))
        self.extend_button.setAccessibleName(self.tr("Extend the meeting"))
        self.extend_button.setToolTip(self.tr("Add 30 minutes to the meeting for everyone"))
        self.extend_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.extend_menu = QMenu(self)
        for minutes in (15, 30, 60):
            self.extend_menu.addAction(self.tr("Add %n minutes", "", minutes),
                                       lambda m=minutes: self.extend_requested.emit(m * 60))
        self.extend_button.setMenu(self.extend_menu)
        self.extend_button.clicked.connect(lambda: self.extend_requested.emit(30 * 60))
        self.extend_button.setVisible(False)
        self.timer_box = QWidget()
        self.timer_box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # never squeezed
        timer_row = QHBoxLayout(self.timer_box)
        timer_row.setContentsMargins(0, 0, 0, 0)
        timer_row.setSpacing(8)
        timer_row.addWidget(self.timer_label)
        timer_row.addWidget(self.extend_button)
        self.timer_box.setVisible(False)
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

        # The control bar: [count, reactions] [buttons] [Leave] [timer] in one row when they fit;
        # else (a narrow window, a long language) the count and the timer go to a row of their
        # own above the buttons, and Leave shows only its icon if even the buttons do not fit.
        self.bar_info = QWidget()  # the count and the reactions
        info_row = QHBoxLayout(self.bar_info)
        info_row.setContentsMargins(0, 0, 0, 0)
        info_row.setSpacing(12)
        info_row.addWidget(self.count_label)  # elided first when the bar is full
        info_row.addWidget(self.reaction_strip)
        info_row.addStretch(1)
        self.bar_buttons = (self.mic_button, self.camera_button, self.share_button, self.hand_button,
                            self.react_button, self.devices_button, self.layout_button, self.chat_button,
                            self.people_button, self.invite_button)
        bar = self._bar = QHBoxLayout()
        bar.setContentsMargins(16, 8, 16, 12)
        bar.setSpacing(12)
        bar.addWidget(self.bar_info)
        bar.addStretch(1)
        for button in self.bar_buttons:
            bar.addWidget(button)
        bar.addSpacing(12)
        bar.addWidget(self.leave_button)
        bar.addStretch(1)
        bar.addWidget(self.timer_box, 0, Qt.AlignmentFlag.AlignVCenter)
        self.bar_status = QWidget()  # the row above the buttons, in the compact bar
        status_row = self._status_row = QHBoxLayout(self.bar_status)
        status_row.setContentsMargins(16, 4, 16, 0)
        status_row.addStretch(1)
        self.bar_status.setVisible(False)
        self.compact_bar = False
        self._leave_width = 0  # Leave with its text, measured while it shows it
        self._arrange_later = QTimer(self, singleShot=True, interval=0)
        self._arrange_later.timeout.connect(self._arrange_bar)
        for widget in (*self.bar_buttons, self.timer_box, self.extend_button):
            widget.installEventFilter(self)  # shown or hidden: arrange the bar again

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.setSpacing(6)
        layout.addWidget(self.status)
        layout.addWidget(self.banner)
        layout.addWidget(self.time_notice)
        layout.addWidget(self.alert)
        # the videos, then the People and Chat panels: widths set by dragging, remembered
        self.splitter = QSplitter(Qt.Orientation.Horizontal, objectName="CallSplitter")
        self.splitter.setChildrenCollapsible(False)
        for widget in (self.grid, self.roster, self.chat):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setStretchFactor(2, 0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.bar_status)
        layout.addLayout(bar)

        self.self_tile = VideoTile()
        self.self_tile.set_self_view(True)
        self.grid.add_tile(SELF, self.self_tile)
        self._invite = ""
        self._camera_unavailable = False
        self._share_unavailable: str | None = None
        self._sharing = False
        self._talking = False  # Space held while muted
        self._tile_menu_for(SELF, self.self_tile)
        self._bind_shortcuts()

        self.mic_button.toggled.connect(self._mic_clicked)
        self.camera_button.toggled.connect(self._camera_clicked)
        self.leave_button.clicked.connect(self._leave_clicked)
        self.share_button.toggled.connect(self._share_clicked)
        self.people_button.toggled.connect(self.roster.setVisible)
        self.chat_button.toggled.connect(self._chat_toggled)
        self.hand_button.toggled.connect(self.hand_toggled)
        self.invite_button.clicked.connect(self._copy_invite)
        self.set_mic(True)
        self.set_camera(True)
        self.set_sharing(False)
        self.set_hand(False)
        self._show_unread()
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

    def _arrange_bar(self) -> None:
        """One row for the control bar when it fits the window's width, else the compact bar."""
        bar = self._bar
        if self.leave_button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon:
            self._leave_width = self.leave_button.sizeHint().width()
        margins = bar.contentsMargins()
        buttons = [b for b in self.bar_buttons if b.isVisibleTo(self)]
        core = (sum(b.sizeHint().width() for b in buttons) + bar.spacing() * len(buttons) + 12
                + self._leave_width + margins.left() + margins.right() + self.layout().contentsMargins().left()
                + self.layout().contentsMargins().right())
        sides = self.bar_info.sizeHint().width() + bar.spacing() * 2
        if self.timer_box.isVisibleTo(self):
            sides += self.timer_box.sizeHint().width() + bar.spacing()
        compact = core + sides > self.width()
        self.leave_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if core > self.width()
                                             else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        if compact == self.compact_bar:
            return
        self.compact_bar = compact
        for widget in (self.bar_info, self.timer_box):
            (self._status_row if not compact else bar).removeWidget(widget)
        if compact:
            self._status_row.insertWidget(0, self.bar_info, 1)
            self._status_row.addWidget(self.timer_box, 0, Qt.AlignmentFlag.AlignVCenter)
        else:
            bar.insertWidget(0, self.bar_info)
            bar.addWidget(self.timer_box, 0, Qt.AlignmentFlag.AlignVCenter)
        self.bar_status.setVisible(compact)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._arrange_bar()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self._arrange_later.start()
        return False

    def _round_button(self, name: str, checkable: bool = False) -> QToolButton:
        """An icon-only button of the control bar; ``name`` (translated) is what a screen reader
        says, and the tooltip until a more telling one is set."""
        button = QToolButton(objectName="round", checkable=checkable)
        button.setAccessibleName(name)
        button.setToolTip(name)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return button

    def _bind_shortcuts(self) -> None:
        """The keyboard shortcuts of ``SHORTCUTS``: one action each, bound in this window and
        listed (label and keys) in the devices menu's "Keyboard shortcuts". An action presses
        its button, so a shortcut does exactly what a click does (nothing while the button is
        hidden or disabled). Push-to-talk is held, not pressed: keyPressEvent handles it, and
        the menu only lists it."""
        self.shortcut_buttons = {
            "mic": self.mic_button, "camera": self.camera_button, "share": self.share_button,
            "hand": self.hand_button, "chat": self.chat_button, "people": self.people_button,
            "leave": self.leave_button,
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
            self.shortcuts_menu.addAction(action)
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
        tile = self.grid.tile(info.attendee_id)
        if tile is None:
            tile = VideoTile()
            tile.set_fit(info.content)  # a screen is shown whole, never cropped
            self._tile_menu_for(info.attendee_id, tile)
            self.grid.add_tile(info.attendee_id, tile)
        self._apply(tile, info)
        self._update_count()
        self._update_stage()

    def update_attendee(self, info) -> None:
        self.roster.upsert(info)
        tile = self.grid.tile(info.attendee_id)
        if tile is None:
            self.add_attendee(info)
        else:
            self._apply(tile, info)

    def _apply(self, tile: VideoTile, info) -> None:
        self.names[info.attendee_id] = info.name
        tile.set_hand_raised(bool(getattr(info, "hand_raised_at", None)))
        if info.content:  # the server names a share "Ada (screen)"
            tile.set_name(self.tr("{name} (screen)").format(name=info.name.removesuffix(" (screen)")))
        else:
            tile.set_name(info.name)
        tile.set_muted(info.muted)
        tile.set_video_on(info.video)
        if not info.video:
            tile.set_frame(None)

    def remove_attendee(self, attendee_id: str) -> None:
        self.roster.remove(attendee_id)
        self.grid.remove_tile(attendee_id)
        self.names.pop(attendee_id, None)
        if self.pinned == attendee_id:
            self.pinned = None
        self._update_count()
        self._update_stage()

    def set_active_speaker(self, attendee_id: str | None) -> None:
        """Ring the tile of whoever is talking (``self`` for you); the speaker layout shows the
        last one who talked large."""
        for key in self.grid.keys():
            self.grid.tile(key).set_speaking(key == attendee_id)
        if attendee_id is not None and attendee_id != SELF:
            self.speaker = attendee_id
            self._update_stage()

    # --- layout and stage -----------------------------------------------------------------------

    def shares(self) -> list[str]:
        """Screen shares with a tile (others' shares), in the order they came."""
        return [key for key in self.grid.keys() if content_owner(key) is not None]

    def set_layout(self, mode: str) -> None:
        if mode not in (GRID, SPEAKER):
            raise ValueError(f"no layout {mode!r}")
        self.layout_mode = mode
        self.layout_actions[mode].setChecked(True)
        self.layout_button.setIcon(icon("grid" if mode == GRID else "stage"))
        self.layout_button.setToolTip(self.tr("Layout: grid") if mode == GRID else self.tr("Layout: speaker"))
        self._update_stage()

    def pin(self, key: str | None) -> None:
        """Pin this tile to the stage (None: unpin)."""
        if key is not None and self.grid.tile(key) is None:
            return
        previous, self.pinned = self.pinned, key
        for k in (previous, key):
            tile = self.grid.tile(k) if k else None
            if tile is not None:
                tile.set_pinned(k == self.pinned)
        self._update_stage()

    def _tile_menu_for(self, key: str, tile: VideoTile) -> None:
        tile.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tile.customContextMenuRequested.connect(lambda pos, k=key, t=tile: self._tile_menu(k, t, pos))
        tile.double_clicked.connect(lambda k=key: self.pin(None if self.pinned == k else k))

    def _tile_menu(self, key: str, tile: VideoTile, pos: QPoint) -> None:
        menu = QMenu(tile)
        if self.pinned == key:
            menu.addAction(icon("pin"), self.tr("Unpin"), lambda: self.pin(None))
        else:
            menu.addAction(icon("pin"), self.tr("Pin to the stage"), lambda k=key: self.pin(k))
        menu.popup(tile.mapToGlobal(pos))

    def _update_stage(self) -> None:
        """What the stage shows: a pinned tile; else the shares; else, in the speaker layout,
        whoever talked last (or the first other person); else nothing (the grid)."""
        if self.pinned is not None and self.grid.tile(self.pinned) is not None:
            stage = [self.pinned]
        elif self.shares():
            stage = self.shares()[:2]
        elif self.layout_mode == SPEAKER and self.grid.count > 1:
            others = [k for k in self.grid.keys() if k != SELF]
            stage = [self.speaker if self.speaker in others else others[0]]
        else:
            stage = []
        self.grid.set_stage(stage)

    def show_frame(self, attendee_id: str, frame) -> None:
        tile = self.grid.tile(attendee_id)
        if tile is not None:
            tile.set_frame(frame)

    def show_self_frame(self, frame) -> None:
        self.self_tile.set_video_on(frame is not None)
        self.self_tile.set_frame(frame)

    def _update_count(self) -> None:
        people = len([k for k in self.grid.keys() if content_owner(k) is None])
        self.count_label.setText(self.tr("%n in the meeting", "", people))
        self.setWindowTitle(self.tr("Parley — Meeting (%n)", "", people))

    # --- controls -----------------------------------------------------------------------------

    def set_mic(self, on: bool) -> None:
        self.mic_button.blockSignals(True)
        self.mic_button.setChecked(on)
        self.mic_button.blockSignals(False)
        self.mic_button.setIcon(icon("mic" if on else "mic-off"))
        self.mic_button.setToolTip(with_keys(self.tr("Mute the microphone") if on
                                             else self.tr("Unmute the microphone"), "mic"))
        self._restyle(self.mic_button, off=not on)
        self.self_tile.set_muted(not on)

    def set_mic_locked(self, why: str | None) -> None:
        """A host muted us: the unmute button is disabled and says why (None: allowed again)."""
        self.mic_button.setEnabled(why is None)
        if why:
            self.mic_button.setToolTip(why)
            self.show_notice(why)
        else:
            self.set_mic(self.mic_button.isChecked())

    def set_camera(self, on: bool, unavailable: str | None = None) -> None:
        """The camera's state; ``unavailable`` says why it cannot be on right now."""
        self._camera_unavailable = bool(unavailable)
        self.camera_button.blockSignals(True)
        self.camera_button.setChecked(on)
        self.camera_button.blockSignals(False)
        self.camera_button.setIcon(icon("camera" if on else "camera-off"))
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

    def _restyle(self, button: QToolButton, off: bool, unavailable: bool = False) -> None:
        button.setProperty("off", off)
        button.setProperty("unavailable", unavailable)
        button.style().unpolish(button)
        button.style().polish(button)

    def set_sharing(self, on: bool, what: str | None = None, file: bool = False) -> None:
        """My share is running (the bar shows) or not; ``what``: the window's or the file's
        name (None: a screen)."""
        self._sharing = on
        self.share_button.blockSignals(True)
        self.share_button.setChecked(on)
        self.share_button.blockSignals(False)
        self.share_button.setIcon(icon("screen-share-off" if on else "screen-share"))
        if on:
            self.sharing_bar.show_for(what, file)
        else:
            self.sharing_bar.hide()
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

    # --- chat, hands, reactions -----------------------------------------------------------------

    def set_reactions(self, emojis: tuple[str, ...]) -> None:
        self.react_menu.clear()
        for emoji in emojis:
            self.react_menu.addAction(emoji, lambda e=emoji: self.react_requested.emit(e))

    def _chat_toggled(self, on: bool) -> None:
        self.chat.setVisible(on)
        if on:
            self.unread = 0
            self._show_unread()
            self.chat.input.setFocus()

    def add_chat(self, message) -> None:
        self.chat.add_message(message)
        if not self.chat.isVisibleTo(self) and message.from_id != self.chat.me:
            self.unread += 1
            self._show_unread()

    def _show_unread(self) -> None:
        self.unread_badge.setText(str(self.unread) if self.unread < 100 else "99+")
        self.unread_badge.setVisible(self.unread > 0)
        self.chat_button.setToolTip(with_keys(self.tr("Chat (%n unread)", "", self.unread) if self.unread
                                              else self.tr("Chat with everyone or one person"), "chat"))

    def set_hand(self, raised: bool) -> None:
        """My hand's state as the server has it."""
        self.hand_button.blockSignals(True)
        self.hand_button.setChecked(raised)
        self.hand_button.blockSignals(False)
        self.hand_button.setToolTip(with_keys(self.tr("Lower your hand") if raised
                                              else self.tr("Raise your hand"), "hand"))
        self.hand_button.setProperty("active", raised)
        self._restyle(self.hand_button, off=False)
        self.self_tile.set_hand_raised(raised)

    def show_reaction(self, key: str, emoji: str) -> None:
        tile = self.grid.tile(key)
        if tile is not None:
            tile.show_reaction(emoji)
        self.reaction_counts[emoji] = self.reaction_counts.get(emoji, 0) + 1
        self.reaction_strip.setText("  ".join(f"{e} {n}" for e, n in self.reaction_counts.items()))

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
        if self.camera_button.isChecked():
            self.camera_button.click()  # the same as the user turning it off

    def show_quality(self, key: str, quality: float | None) -> None:
        """The signal indicator of one tile (``self`` for mine): shown when fair or poor."""
        tile = self.grid.tile(key)
        if tile is not None:
            tile.set_quality(quality)

    # --- the session timer ----------------------------------------------------------------------

    def show_time_left(self, seconds: float | None, text: str = "") -> None:
        """The countdown (None: the meeting has no timer); amber under 5 minutes, red under 1."""
        self.timer_box.setVisible(seconds is not None)
        if seconds is None:
            return
        self.timer_label.setText(self.tr("{time} left").format(time=text))
        level = "late" if seconds < 60 else "soon" if seconds <= 300 else ""
        if self.timer_label.property("level") != level:
            self.timer_label.setProperty("level", level)
            self.timer_label.style().unpolish(self.timer_label)
            self.timer_label.style().polish(self.timer_label)
        self.timer_label.setToolTip(self.tr("The meeting ends automatically when the time runs out"))

    def set_can_extend(self, can_extend: bool) -> None:
        self.extend_button.setVisible(can_extend)

    def show_time_notice(self, text: str) -> None:
        """A notice about the time that stays until dismissed."""
        self.time_notice_text.setText(text)
        self.time_notice.setVisible(True)

    def set_can_end(self, can_end: bool) -> None:
        """Hosts (``end-call``) get a menu on Leave: leave, or end the meeting for everyone."""
        self.end_action.setVisible(can_end)
        self._can_end = can_end

    def _leave_clicked(self) -> None:
        if self._can_end:
            self.leave_menu.popup(self.leave_button.mapToGlobal(QPoint(0, -self.leave_menu.sizeHint().height())))
        else:
            self.leave_requested.emit()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.sharing_bar.hide()
        super().closeEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.sharing_bar.hide()
        super().hideEvent(event)

    # --- push to talk ---------------------------------------------------------------------------

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """While muted, holding Space talks (released: muted again) — unless typing somewhere."""
        if (event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and not self._talking
                and not self.mic_button.isChecked() and self.mic_button.isEnabled()
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

    def _mic_clicked(self, on: bool) -> None:
        self.set_mic(on)
        self.mic_toggled.emit(on)

    def _camera_clicked(self, on: bool) -> None:
        self.set_camera(on)
        self.camera_toggled.emit(on)

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

    def set_invite(self, url: str | None) -> None:
        self._invite = url or ""
        self.invite_button.setVisible(bool(url))

    def _copy_invite(self) -> None:
        QGuiApplication.clipboard().setText(self._invite)
        self.show_notice(self.tr("Invite link copied. Anyone with it can join."))

    def show_notice(self, text: str, seconds: float = 8.0) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self._banner_timer.start(int(seconds * 1000))
