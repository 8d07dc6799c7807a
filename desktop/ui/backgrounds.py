"""The background choices, one list for the settings dialog, the lobby and the call's menu:
None, Light blur, Strong blur, each bundled picture, and a picture of the user's own."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from ..media.background.effect import BackgroundEffect, bundled_backgrounds
from ..media.background.segmentation import SelfieSegmenter

SETTING = "video/background"
PICTURE_FILTER = QT_TRANSLATE_NOOP("Backgrounds", "Pictures (*.jpg *.jpeg *.png *.webp *.bmp)")



def picture_label(image: str) -> str:
    """A bundled picture's file name as words ("warm-bokeh.jpg" → "Warm bokeh"); a path as its name."""
    stem = Path(image).stem.replace("-", " ").replace("_", " ")
    return stem[:1].upper() + stem[1:]


def background_choices(current: str | None = None) -> list[tuple[str, str]]:
    """(setting value, label) for every background; ``current`` is kept when it is a picture of
    the user's own, so the list shows what is in use."""
    choices = [("none", QCoreApplication.translate("Backgrounds", "None"))]
    if unavailable_reason() is not None:  # no runtime on this platform: nothing else can be offered
        return choices
    choices += [("blur:light", QCoreApplication.translate("Backgrounds", "Light blur")),
                ("blur:strong", QCoreApplication.translate("Backgrounds", "Strong blur"))]
    choices += [(f"replace:{name}", picture_label(name)) for name in bundled_backgrounds()]
    if current and current not in {value for value, _ in choices}:
        effect = BackgroundEffect.from_setting(current)
        if effect.kind == "replace" and effect.image:
            choices.append((current, picture_label(effect.image)))
    return choices


def unavailable_reason() -> str | None:
    """Why background effects cannot run here (no runtime for this platform), or None."""
    if SelfieSegmenter.available():
        return None
    return QCoreApplication.translate("Backgrounds", "Background effects are not available on this computer.")


class BackgroundMenu(QMenu):
    """A menu of the background choices, the current one checked, plus "Choose a picture…".
    ``chosen(setting)`` when the user picks one."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(QCoreApplication.translate("Backgrounds", "Background"), parent)
        self.setObjectName("BackgroundMenu")
        self._current = "none"
        self._dialog: QFileDialog | None = None
        self.aboutToShow.connect(self._rebuild)
        self._rebuild()

    def set_current(self, setting: str) -> None:
        self._current = setting
        self._rebuild()

    def _rebuild(self) -> None:
        self.clear()
        reason = unavailable_reason()
        group = QActionGroup(self)
        for value, label in background_choices(self._current):
            action = QAction(label, self, checkable=True)
            action.setChecked(value == self._current)
            action.setEnabled(reason is None or value == "none")
            action.setData(value)
            action.triggered.connect(lambda _=False, v=value: self._pick(v))
            group.addAction(action)
            self.addAction(action)
        self.addSeparator()
        own = self.addAction(QCoreApplication.translate("Backgrounds", "Choose a picture…"), self.choose_picture)
        own.setEnabled(reason is None)
        if reason is not None:
            self.addAction(reason).setEnabled(False)

    def _pick(self, value: str) -> None:
        self._current = value
        self.chosen.emit(value)

    def choose_picture(self) -> None:
        """A file dialog (opened with ``open()``: never a nested loop) for a picture of one's own."""
        dialog = self._dialog = QFileDialog(self.parentWidget(), QCoreApplication.translate("Backgrounds", "Choose a background picture"),
                                            str(Path.home()), QCoreApplication.translate("Backgrounds", PICTURE_FILTER))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self._pick(f"replace:{path}"))
        dialog.open()

