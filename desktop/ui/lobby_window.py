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

from ..media.background.effect import BackgroundEffect
from ..media.devices import Device, DeviceKind
from .fit import ContentFit
from .background_gallery import BackgroundGallery
from .icons import icon
from .tile_grid import TileGrid
from .video_tile import VideoTile


MINIMUM = (880, 520)


class LobbyWindow(QWidget):
    join_requested = Signal()
    back_requested = Signal()
    device_chosen = Signal(object, object)  # DeviceKind, Device | None
    camera_toggled = Signal(bool)
    microphone_toggled = Signal(bool)
    test_speaker_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Parley — Ready to join?"))
        self.setObjectName("LobbyWindow")
        self.fit = ContentFit(self, MINIMUM)  # larger when its texts need it
        self._devices: dict[DeviceKind, list[Device]] = {}
        self._joinable = True  # False: the lobby's check found Join cannot work (set_joinable)

        # left: the preview as others will see you, with the mic meter and the two toggles
        self.preview = VideoTile()
        self.preview.set_self_view(True)
        self.preview_area = TileGrid(spacing=0, hug=True)  # keeps the preview 16:9 at any size
        self.preview_area.setMinimumSize(400, 225)
        self.preview_area.add_tile("self", self.preview)
        self.meter = QProgressBar(textVisible=False, maximum=100, objectName="meter")
        self.meter.setAccessibleName(self.tr("Microphone level"))
        self.meter.setFixedHeight(6)
        self.camera_button = QToolButton(checkable=True, checked=True, objectName="round")
        self.camera_button.setAccessibleName(self.tr("Camera"))
        self.mic_button = QToolButton(checkable=True, checked=True, objectName="round")
        self.mic_button.setAccessibleName(self.tr("Microphone"))
        # blur or replace the background: the preview shows it as the others will see it
        self.background_button = QToolButton(objectName="round", checkable=True)
        self.background_button.setIcon(icon("background"))
        self.background_button.setAccessibleName(self.tr("Background effects"))
        self.background_button.setToolTip(self.tr("Blur or replace your background"))
        self.background_gallery = BackgroundGallery()  # shown under the preview by the button
        self.background_gallery.setVisible(False)
        self.background_button.toggled.connect(self._show_gallery)
        self._gallery_opened_once = False
        toggles = QHBoxLayout()
        toggles.addStretch(1)
        toggles.addWidget(self.mic_button)
        toggles.addWidget(self.camera_button)
        toggles.addWidget(self.background_button)
        toggles.addStretch(1)
        left = QVBoxLayout()
        left.addStretch(1)
        left.addWidget(self.preview_area)
        left.addWidget(self.meter)
        # what the user cannot act on (a busy computer): quiet, and its room kept, so nothing moves
        self.info = QLabel(objectName="muted", wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        policy = self.info.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.info.setSizePolicy(policy)
        self.info.setVisible(False)
        left.addWidget(self.info)
        left.addLayout(toggles)
        left.addWidget(self.background_gallery, 0, Qt.AlignmentFlag.AlignHCenter)
        left.addStretch(1)

        # right: name, devices, join
        card = QFrame(objectName="card")
        form = QFormLayout(card)
        form.setContentsMargins(24, 24, 24, 24)
        form.setSpacing(10)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a long label goes above its field
        title = QLabel(self.tr("Ready to join?"), wordWrap=True)
        font = title.font()
        font.setPointSize(18)
        font.setBold(True)
        title.setFont(font)
        form.addRow(title)
        self.name = QLineEdit(placeholderText=self.tr("Your name"))
        self.name.setAccessibleName(self.tr("Your name"))
        self.name.setToolTip(self.tr("The name others see in the meeting"))
        self.name.setMaxLength(64)
        form.addRow(self.tr("Name"), self.name)
        self.combos = {
            DeviceKind.CAMERA: QComboBox(),
            DeviceKind.MICROPHONE: QComboBox(),
            DeviceKind.SPEAKER: QComboBox(),
        }
        labels = {DeviceKind.CAMERA: self.tr("Camera"), DeviceKind.MICROPHONE: self.tr("Microphone"),
                  DeviceKind.SPEAKER: self.tr("Speaker")}
        for kind, combo in self.combos.items():
            combo.setAccessibleName(labels[kind])
            combo.setMinimumWidth(200)
            # as wide as about 28 characters, whatever the devices' names (a long one elides)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(28)
            combo.currentIndexChanged.connect(lambda _i, k=kind: self._on_combo(k))
        form.addRow(labels[DeviceKind.CAMERA], self.combos[DeviceKind.CAMERA])
        form.addRow(labels[DeviceKind.MICROPHONE], self.combos[DeviceKind.MICROPHONE])
        self.test_speaker = QPushButton(self.tr("Test speaker"))
        self.test_speaker.setAccessibleName(self.tr("Test the speaker"))
        self.test_speaker.setToolTip(self.tr("Play a short sound on the chosen speaker"))
        form.addRow(labels[DeviceKind.SPEAKER], self.combos[DeviceKind.SPEAKER])
        test_row = QHBoxLayout()  # under the speaker it tests, room for a long translation
        test_row.addWidget(self.test_speaker)
        test_row.addStretch(1)
        form.addRow("", test_row)
        self.note = QLabel(objectName="muted", wordWrap=True)
        form.addRow(self.note)

        self.invite = QLineEdit(readOnly=True)
        self.invite.setAccessibleName(self.tr("Invite link"))
        self.copy_invite = QPushButton(self.tr("Copy"))
        self.copy_invite.setIcon(icon("copy"))
        self.copy_invite.setAccessibleName(self.tr("Copy the invite link"))
        self.copy_invite.setToolTip(self.tr("Copy the invite link: anyone with it can join"))
        invite_row = QHBoxLayout()
        invite_row.addWidget(self.invite, 1)
        invite_row.addWidget(self.copy_invite)
        self.invite_label = QLabel(self.tr("Invite others"))
        form.addRow(self.invite_label)  # above the link: the whole card's width for it
        form.addRow(invite_row)
        self.set_invite(None)

        self.join_button = QPushButton(self.tr("Join now"), objectName="primary")
        self.join_button.setDefault(True)
        self.back_button = QPushButton(self.tr("Back"))
        self.back_button.setAccessibleName(self.tr("Back to the start"))
        self.back_button.setToolTip(self.tr("Back to the start, without joining"))
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
        layout.addLayout(left, 1)  # the preview takes what the card leaves
        layout.addWidget(card, 0, Qt.AlignmentFlag.AlignVCenter)

        self.camera_button.toggled.connect(self._camera_toggled)
        self.mic_button.toggled.connect(self._mic_toggled)
        self.test_speaker.clicked.connect(self.test_speaker_requested)
        self.copy_invite.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.invite.text()))
        self.join_button.clicked.connect(self.join_requested)
        self.name.returnPressed.connect(lambda: self.join_button.isEnabled() and self.join_requested.emit())
        self.name.textChanged.connect(self.set_preview_name)  # the avatar shows the name typed
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
            combo.addItem(self.tr("{name} (default)").format(name=device.name) if device.is_default
                          else device.name, device.id)
        if not devices:
            combo.addItem({DeviceKind.CAMERA: self.tr("No camera found"),
                           DeviceKind.MICROPHONE: self.tr("No microphone found"),
                           DeviceKind.SPEAKER: self.tr("No speaker found")}[kind], None)
        index = next((i for i, d in enumerate(devices) if current and d.id == current.id), 0)
        combo.setCurrentIndex(index)
        combo.setToolTip(combo.currentText())  # all of a long device name
        combo.setEnabled(bool(devices))
        combo.blockSignals(False)
        self._refresh_toggles()
        no_camera = not self._devices.get(DeviceKind.CAMERA)
        no_microphone = not self._devices.get(DeviceKind.MICROPHONE)
        if no_camera and no_microphone:
            note = self.tr("No camera or microphone found: you can still join, and others will hear or see you "
                           "once one is connected.")
        elif no_camera:
            note = self.tr("No camera found: you can still join, and others will see you once one is connected.")
        elif no_microphone:
            note = self.tr("No microphone found: you can still join, and others will hear you once one is "
                           "connected.")
        else:
            note = ""
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self._fit()

    def _show_gallery(self, on: bool) -> None:
        self._gallery_opened_once = True
        self.background_gallery.setVisible(on)
        self._fit()

    def set_background(self, setting: str) -> None:
        """The background in use: checked in the gallery; the button is lit while an effect is
        on, and the gallery is open at first when one is (so the user sees what is chosen)."""
        self.background_gallery.set_current(setting)
        button = self.background_button
        active = BackgroundEffect.from_setting(setting).active
        if not self._gallery_opened_once and active:
            button.setChecked(True)
        button.setProperty("active", active)
        button.style().unpolish(button)
        button.style().polish(button)

    def set_invite(self, url: str | None) -> None:
        for widget in (self.invite, self.copy_invite, self.invite_label):
            widget.setVisible(bool(url))
        self.invite.setText(url or "")
        self.invite.setCursorPosition(0)  # the start of the link shows, not its end
        self._fit()

    def set_choices(self, name: str, camera_on: bool, mic_on: bool) -> None:
        self.name.setReadOnly(False)
        self.name.setToolTip(self.tr("The name others see in the meeting"))
        self._joinable = True
        self.join_button.setEnabled(True)
        self.name.setText(name)
        self.camera_button.setChecked(camera_on)
        self.mic_button.setChecked(mic_on)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self._fit()

    def _fit(self) -> None:
        self.fit.request()

    def set_invited_name(self, name: str) -> None:
        """The name this link's attendee was created with: the server keeps it, so it is shown
        and not edited."""
        self.name.setText(name)
        self.name.setReadOnly(True)
        self.name.setToolTip(self.tr("Your name in this meeting, given when you were invited"))

    def set_joinable(self, joinable: bool) -> None:
        """Whether Join can work (not for an ended meeting or a refused link)."""
        self._joinable = joinable
        self.join_button.setEnabled(joinable)

    def set_busy(self, busy: bool) -> None:
        self.join_button.setEnabled(not busy and self._joinable)
        self.join_button.setText(self.tr("Joining…") if busy else self.tr("Join now"))

    def show_info(self, text: str) -> None:
        """Information the user cannot act on, under the preview: never red, moves nothing."""
        self.info.setText(text)
        self.info.setVisible(bool(text))

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
        self.combos[kind].setToolTip(self.combos[kind].currentText())  # all of a long device name
        self.device_chosen.emit(kind, self.chosen(kind))

    def _camera_toggled(self, on: bool) -> None:
        self._refresh_toggles()
        self.camera_toggled.emit(on)

    def _mic_toggled(self, on: bool) -> None:
        self._refresh_toggles()
        self.microphone_toggled.emit(on)

    def _refresh_toggles(self) -> None:
        cam, mic = self.camera_button.isChecked(), self.mic_button.isChecked()
        self.camera_button.setIcon(icon("camera") if cam else icon("camera-off", "#ffffff"))  # white on red
        self.camera_button.setToolTip(self.tr("Turn the camera off") if cam else self.tr("Turn the camera on"))
        self.mic_button.setIcon(icon("mic") if mic else icon("mic-off", "#ffffff"))
        self.mic_button.setToolTip(self.tr("Mute the microphone") if mic else self.tr("Unmute the microphone"))
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
        self.preview.set_name(name)  # no name yet: no initials made up from a placeholder
