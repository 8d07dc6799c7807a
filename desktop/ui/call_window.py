"""CallWindow: the meeting — a grid of video tiles, the control bar, and notices."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..media.devices import Device, DeviceKind
from .icons import icon
from .roster_panel import RosterPanel
from .tile_grid import TileGrid
from .video_tile import VideoTile

SELF = "self"  # the key of the self-view tile


class CallWindow(QWidget):
    mic_toggled = Signal(bool)  # True: microphone on (unmuted)
    camera_toggled = Signal(bool)
    device_chosen = Signal(object, object)  # DeviceKind, Device | None
    leave_requested = Signal()
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CallWindow")
        self.setWindowTitle("Parley — Meeting")
        self.setMinimumSize(720, 480)
        self.names: dict[str, str] = {}

        self.grid = TileGrid()
        self.roster = RosterPanel()
        self.roster.setVisible(False)
        self.banner = QLabel(objectName="banner", wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.banner.setVisible(False)
        self._banner_timer = QTimer(self, singleShot=True, interval=8000)
        self._banner_timer.timeout.connect(lambda: self.banner.setVisible(False))

        self.mic_button = self._round_button("Microphone", checkable=True)
        self.mic_button.setShortcut(QKeySequence("Ctrl+D"))
        self.camera_button = self._round_button("Camera", checkable=True)
        self.camera_button.setShortcut(QKeySequence("Ctrl+E"))
        self.devices_button = self._round_button("Devices")
        self.devices_button.setIcon(icon("settings"))
        self.devices_button.setToolTip("Microphone, speaker and camera")
        self.devices_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.device_menu = QMenu(self)
        self.device_menus = {
            DeviceKind.MICROPHONE: self.device_menu.addMenu("Microphone"),
            DeviceKind.SPEAKER: self.device_menu.addMenu("Speaker"),
            DeviceKind.CAMERA: self.device_menu.addMenu("Camera"),
        }
        self.device_menu.addSeparator()
        self.device_menu.addAction("Settings…", self.settings_requested.emit)
        self.devices_button.setMenu(self.device_menu)
        self.people_button = self._round_button("People", checkable=True)
        self.people_button.setIcon(icon("users"))
        self.people_button.setToolTip("Show everyone in the meeting")
        self.invite_button = self._round_button("Copy invite link")
        self.invite_button.setIcon(icon("link"))
        self.invite_button.setToolTip("Copy the invite link")
        self.invite_button.setVisible(False)
        self.leave_button = QToolButton(objectName="leave")
        self.leave_button.setIcon(icon("leave", "#ffffff"))
        self.leave_button.setText("Leave")
        self.leave_button.setToolTip("Leave the meeting (Ctrl+Shift+H)")
        self.leave_button.setAccessibleName("Leave the meeting")
        self.leave_button.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.leave_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.count_label = QLabel(objectName="muted")

        bar = QHBoxLayout()
        bar.setContentsMargins(16, 8, 16, 12)
        bar.setSpacing(12)
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        for button in (self.mic_button, self.camera_button, self.devices_button, self.people_button,
                       self.invite_button):
            bar.addWidget(button)
        bar.addSpacing(12)
        bar.addWidget(self.leave_button)
        bar.addStretch(1)
        self._spacer = QLabel()
        bar.addWidget(self._spacer)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.setSpacing(6)
        layout.addWidget(self.banner)
        middle = QHBoxLayout()
        middle.addWidget(self.grid, 1)
        middle.addWidget(self.roster)
        layout.addLayout(middle, 1)
        layout.addLayout(bar)

        self.self_tile = VideoTile()
        self.self_tile.set_self_view(True)
        self.grid.add_tile(SELF, self.self_tile)
        self._invite = ""
        self._camera_unavailable = False

        self.mic_button.toggled.connect(self._mic_clicked)
        self.camera_button.toggled.connect(self._camera_clicked)
        self.leave_button.clicked.connect(self.leave_requested)
        self.people_button.toggled.connect(self.roster.setVisible)
        self.invite_button.clicked.connect(self._copy_invite)
        self.set_mic(True)
        self.set_camera(True)
        self._update_count()

    def _round_button(self, name: str, checkable: bool = False) -> QToolButton:
        button = QToolButton(objectName="round", checkable=checkable)
        button.setAccessibleName(name)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return button

    # --- attendees ----------------------------------------------------------------------------

    def set_self(self, name: str) -> None:
        self.self_tile.set_name(f"{name} (you)")

    def add_attendee(self, info) -> None:
        self.roster.upsert(info)
        tile = self.grid.tile(info.attendee_id)
        if tile is None:
            tile = VideoTile()
            self.grid.add_tile(info.attendee_id, tile)
        self._apply(tile, info)
        self._update_count()

    def update_attendee(self, info) -> None:
        self.roster.upsert(info)
        tile = self.grid.tile(info.attendee_id)
        if tile is None:
            self.add_attendee(info)
        else:
            self._apply(tile, info)

    def _apply(self, tile: VideoTile, info) -> None:
        self.names[info.attendee_id] = info.name
        tile.set_name(info.name)
        tile.set_muted(info.muted)
        tile.set_video_on(info.video)
        if not info.video:
            tile.set_frame(None)

    def remove_attendee(self, attendee_id: str) -> None:
        self.roster.remove(attendee_id)
        self.grid.remove_tile(attendee_id)
        self.names.pop(attendee_id, None)
        self._update_count()

    def set_active_speaker(self, attendee_id: str | None) -> None:
        """Ring the tile of whoever is talking (``self`` for you)."""
        for key in self.grid.keys():
            self.grid.tile(key).set_speaking(key == attendee_id)

    def show_frame(self, attendee_id: str, frame) -> None:
        tile = self.grid.tile(attendee_id)
        if tile is not None:
            tile.set_frame(frame)

    def show_self_frame(self, frame) -> None:
        self.self_tile.set_video_on(frame is not None)
        self.self_tile.set_frame(frame)

    def _update_count(self) -> None:
        people = len(self.grid.keys())
        self.count_label.setText(f"{people} in the meeting")
        self.setWindowTitle(f"Parley — Meeting ({people})")

    # --- controls -----------------------------------------------------------------------------

    def set_mic(self, on: bool) -> None:
        self.mic_button.blockSignals(True)
        self.mic_button.setChecked(on)
        self.mic_button.blockSignals(False)
        self.mic_button.setIcon(icon("mic" if on else "mic-off"))
        self.mic_button.setToolTip(("Mute" if on else "Unmute") + " microphone (Ctrl+D)")
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
            self.camera_button.setToolTip(f"Video unavailable: {unavailable}")
            self.camera_button.setAccessibleDescription(f"Video unavailable: {unavailable}")
        else:
            self.camera_button.setToolTip(("Turn camera off" if on else "Turn camera on") + " (Ctrl+E)")
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
            empty = menu.addAction("None found")
            empty.setEnabled(False)

    def set_invite(self, url: str | None) -> None:
        self._invite = url or ""
        self.invite_button.setVisible(bool(url))

    def _copy_invite(self) -> None:
        QGuiApplication.clipboard().setText(self._invite)
        self.show_notice("Invite link copied. Anyone with it can join.")

    def show_notice(self, text: str, seconds: float = 8.0) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self._banner_timer.start(int(seconds * 1000))
