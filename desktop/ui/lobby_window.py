"""LobbyWindow: before joining — pick microphone, speaker and camera, see yourself, hear
yourself on the meter, test the speaker, say your name, and join with camera or mic off."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..media.devices import Device, DeviceKind
from .icons import icon
from .tile_grid import TileGrid
from .video_tile import VideoTile


class LobbyWindow(QWidget):
    join_requested = Signal()
    back_requested = Signal()
    device_chosen = Signal(object, object)  # DeviceKind, Device | None
    camera_toggled = Signal(bool)
    microphone_toggled = Signal(bool)
    test_speaker_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Parley — Ready to join?")
        self.setObjectName("LobbyWindow")
        self.setMinimumSize(880, 520)
        self._devices: dict[DeviceKind, list[Device]] = {}

        # left: the preview as others will see you, with the mic meter and the two toggles
        self.preview = VideoTile()
        self.preview.set_self_view(True)
        self.preview_area = TileGrid(spacing=0, hug=True)  # keeps the preview 16:9 at any size
        self.preview_area.setMinimumSize(480, 270)
        self.preview_area.add_tile("self", self.preview)
        self.meter = QProgressBar(textVisible=False, maximum=100, objectName="meter")
        self.meter.setAccessibleName("Microphone level")
        self.meter.setFixedHeight(6)
        self.camera_button = QToolButton(checkable=True, checked=True, objectName="round")
        self.camera_button.setAccessibleName("Camera")
        self.mic_button = QToolButton(checkable=True, checked=True, objectName="round")
        self.mic_button.setAccessibleName("Microphone")
        toggles = QHBoxLayout()
        toggles.addStretch(1)
        toggles.addWidget(self.mic_button)
        toggles.addWidget(self.camera_button)
        toggles.addStretch(1)
        left = QVBoxLayout()
        left.addStretch(1)
        left.addWidget(self.preview_area)
        left.addWidget(self.meter)
        left.addLayout(toggles)
        left.addStretch(1)

        # right: name, devices, join
        card = QFrame(objectName="card")
        form = QFormLayout(card)
        form.setContentsMargins(24, 24, 24, 24)
        form.setSpacing(10)
        title = QLabel("Ready to join?")
        font = title.font()
        font.setPointSize(18)
        font.setBold(True)
        title.setFont(font)
        form.addRow(title)
        self.name = QLineEdit(placeholderText="Your name")
        self.name.setAccessibleName("Your name")
        self.name.setMaxLength(64)
        form.addRow("Name", self.name)
        self.combos = {
            DeviceKind.CAMERA: QComboBox(),
            DeviceKind.MICROPHONE: QComboBox(),
            DeviceKind.SPEAKER: QComboBox(),
        }
        labels = {DeviceKind.CAMERA: "Camera", DeviceKind.MICROPHONE: "Microphone", DeviceKind.SPEAKER: "Speaker"}
        for kind, combo in self.combos.items():
            combo.setAccessibleName(labels[kind])
            combo.setMinimumWidth(240)
            combo.currentIndexChanged.connect(lambda _i, k=kind: self._on_combo(k))
        form.addRow("Camera", self.combos[DeviceKind.CAMERA])
        form.addRow("Microphone", self.combos[DeviceKind.MICROPHONE])
        self.test_speaker = QPushButton("Test speaker")
        self.test_speaker.setAccessibleName("Test speaker")
        speaker_row = QHBoxLayout()
        speaker_row.addWidget(self.combos[DeviceKind.SPEAKER], 1)
        speaker_row.addWidget(self.test_speaker)
        form.addRow("Speaker", speaker_row)
        self.note = QLabel(objectName="muted", wordWrap=True)
        form.addRow(self.note)

        self.invite = QLineEdit(readOnly=True)
        self.invite.setAccessibleName("Invite link")
        self.copy_invite = QPushButton("Copy")
        self.copy_invite.setIcon(icon("copy"))
        invite_row = QHBoxLayout()
        invite_row.addWidget(self.invite, 1)
        invite_row.addWidget(self.copy_invite)
        self.invite_label = QLabel("Invite others")
        form.addRow(self.invite_label, invite_row)
        self.set_invite(None)

        self.join_button = QPushButton("Join now", objectName="primary")
        self.join_button.setDefault(True)
        self.back_button = QPushButton("Back")
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.join_button)
        form.addRow(buttons)
        self.error = QLabel(objectName="error", wordWrap=True)
        self.error.setVisible(False)
        form.addRow(self.error)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(24)
        layout.addLayout(left, 3)
        layout.addWidget(card, 2, Qt.AlignmentFlag.AlignVCenter)

        self.camera_button.toggled.connect(self._camera_toggled)
        self.mic_button.toggled.connect(self._mic_toggled)
        self.test_speaker.clicked.connect(self.test_speaker_requested)
        self.copy_invite.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.invite.text()))
        self.join_button.clicked.connect(self.join_requested)
        self.name.returnPressed.connect(self.join_requested)
        self.back_button.clicked.connect(self.back_requested)
        self._refresh_toggles()

        self.level_source = None  # callable returning the mic level 0..1
        self._meter_timer = QTimer(self, interval=50)
        self._meter_timer.timeout.connect(self._update_meter)
        self._meter_timer.start()

    # --- what the flow tells us ---------------------------------------------------------------

    def set_devices(self, kind: DeviceKind, devices: list[Device], current: Device | None) -> None:
        combo = self.combos[kind]
        self._devices[kind] = list(devices)
        combo.blockSignals(True)
        combo.clear()
        for device in devices:
            combo.addItem(device.name + (" (default)" if device.is_default else ""), device.id)
        if not devices:
            combo.addItem({DeviceKind.CAMERA: "No camera found", DeviceKind.MICROPHONE: "No microphone found",
                           DeviceKind.SPEAKER: "No speaker found"}[kind], None)
        index = next((i for i, d in enumerate(devices) if current and d.id == current.id), 0)
        combo.setCurrentIndex(index)
        combo.setEnabled(bool(devices))
        combo.blockSignals(False)
        self._refresh_toggles()
        missing = [name for kind_, name in ((DeviceKind.CAMERA, "camera"), (DeviceKind.MICROPHONE, "microphone"))
                   if not self._devices.get(kind_)]
        self.note.setText(
            f"No {' or '.join(missing)} found: you can still join, and others will hear or see you once one is "
            "connected." if missing else ""
        )

    def set_invite(self, url: str | None) -> None:
        for widget in (self.invite, self.copy_invite, self.invite_label):
            widget.setVisible(bool(url))
        self.invite.setText(url or "")

    def set_choices(self, name: str, camera_on: bool, mic_on: bool) -> None:
        self.name.setText(name)
        self.camera_button.setChecked(camera_on)
        self.mic_button.setChecked(mic_on)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        self.join_button.setEnabled(not busy)
        self.join_button.setText("Joining…" if busy else "Join now")

    def show_frame(self, frame) -> None:
        self.preview.set_video_on(frame is not None)
        self.preview.set_frame(frame)

    # --- what the user picks ------------------------------------------------------------------

    @property
    def camera_on(self) -> bool:
        return self.camera_button.isChecked() and bool(self._devices.get(DeviceKind.CAMERA))

    @property
    def mic_on(self) -> bool:
        return self.mic_button.isChecked()

    def chosen(self, kind: DeviceKind) -> Device | None:
        devices = self._devices.get(kind) or []
        index = self.combos[kind].currentIndex()
        return devices[index] if 0 <= index < len(devices) else None

    def _on_combo(self, kind: DeviceKind) -> None:
        self.device_chosen.emit(kind, self.chosen(kind))

    def _camera_toggled(self, on: bool) -> None:
        self._refresh_toggles()
        self.camera_toggled.emit(on)

    def _mic_toggled(self, on: bool) -> None:
        self._refresh_toggles()
        self.microphone_toggled.emit(on)

    def _refresh_toggles(self) -> None:
        cam, mic = self.camera_button.isChecked(), self.mic_button.isChecked()
        self.camera_button.setIcon(icon("camera" if cam else "camera-off"))
        self.camera_button.setToolTip("Turn camera off" if cam else "Turn camera on")
        self.mic_button.setIcon(icon("mic" if mic else "mic-off"))
        self.mic_button.setToolTip("Mute microphone" if mic else "Unmute microphone")
        self.camera_button.setProperty("off", not cam)
        self.mic_button.setProperty("off", not mic)
        for button in (self.camera_button, self.mic_button):
            button.style().unpolish(button)
            button.style().polish(button)

    def _update_meter(self) -> None:
        level = self.level_source() if self.level_source and self.mic_on else 0.0
        # a level meter reads in decibels: -60 dBFS .. 0 dBFS over the bar
        db = 20 * math.log10(max(level, 1e-6))
        self.meter.setValue(int(max(0.0, min(1.0, (db + 60) / 60)) * 100))

    def set_preview_name(self, name: str) -> None:
        self.preview.set_name(name or "You")
