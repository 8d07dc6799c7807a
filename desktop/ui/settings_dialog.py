"""SettingsDialog: preferences that are not devices: the microphone's processing (echo
cancellation, noise suppression — on by default; music teachers turn them off) and inactivity
("Are you still there?") — how long without input before asking, how long to wait for an
answer, and how inactivity is detected on this computer."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QWidget

from .settings import Settings

IDLE_TIMEOUT_KEY = "idle/timeout"
IDLE_PROMPT_KEY = "idle/prompt"
ECHO_KEY = "echo_cancellation"
NOISE_KEY = "noise_suppression"


class SettingsDialog(QDialog):
    changed = Signal()

    def __init__(self, settings: Settings, idle_backend: str | None, system_wide: bool,
                 default_timeout: float, default_prompt: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setWindowTitle("Parley settings")
        self.settings = settings
        self.idle_minutes = QSpinBox(minimum=1, maximum=24 * 60, suffix=" min")
        self.idle_minutes.setAccessibleName("Ask whether you are still there after")
        self.idle_minutes.setValue(round(settings.seconds(IDLE_TIMEOUT_KEY, default_timeout) / 60))
        self.prompt_seconds = QSpinBox(minimum=10, maximum=600, suffix=" s")
        self.prompt_seconds.setAccessibleName("Leave if nobody answers within")
        self.prompt_seconds.setValue(round(settings.seconds(IDLE_PROMPT_KEY, default_prompt)))
        if idle_backend is None:
            how = "Inactivity cannot be detected on this computer: Parley will not ask."
        elif system_wide:
            how = f"Inactivity is detected across all apps ({idle_backend})."
        else:
            how = (f"{idle_backend}: only input in Parley's own windows is seen on this computer, so "
                   "working in another app counts as inactive.")
        self.detection = QLabel(how, wordWrap=True, objectName="muted")
        form = QFormLayout(self)
        form.setContentsMargins(24, 20, 24, 20)
        title = QLabel("When nobody uses the computer during a call")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        form.addRow(title)
        form.addRow("Ask \u201cAre you still there?\u201d after", self.idle_minutes)
        form.addRow("Leave if nobody answers within", self.prompt_seconds)
        form.addRow(self.detection)
        voice = QLabel("Microphone")
        voice.setFont(font)
        self.echo = QCheckBox("Cancel echo (what your speakers play)")
        self.echo.setChecked(settings.flag(ECHO_KEY, True))
        self.noise = QCheckBox("Suppress background noise")
        self.noise.setChecked(settings.flag(NOISE_KEY, True))
        form.addRow(voice)
        form.addRow(self.echo)
        form.addRow(self.noise)
        self.echo.toggled.connect(self._save)
        self.noise.toggled.connect(self._save)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        form.addRow(buttons)
        self.idle_minutes.valueChanged.connect(self._save)
        self.prompt_seconds.valueChanged.connect(self._save)

    def _save(self) -> None:
        self.settings.set_seconds(IDLE_TIMEOUT_KEY, self.idle_minutes.value() * 60)
        self.settings.set_seconds(IDLE_PROMPT_KEY, self.prompt_seconds.value())
        self.settings.set_flag(ECHO_KEY, self.echo.isChecked())
        self.settings.set_flag(NOISE_KEY, self.noise.isChecked())
        self.changed.emit()
