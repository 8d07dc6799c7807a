"""BackgroundGallery: the background choices as a grid of thumbnails (as Zoom, Meet and Teams
show them) — None, Light blur, Strong blur, each bundled picture, a picture of the user's own,
and "+" to choose one. The current choice is checked (an accent frame); ``chosen(setting)``
when the user picks one. The lobby shows it under the preview, the settings under their
Background choice; the call keeps a menu (backgrounds.py) beside the camera.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QButtonGroup, QFileDialog, QGridLayout, QToolButton, QWidget

from ..media.background.effect import BackgroundEffect, resolve_background_image
from .backgrounds import PICTURE_FILTER, background_choices, unavailable_reason

THUMB = QSize(96, 54)
COLUMNS = 4


@lru_cache(maxsize=32)
def _picture(path: str) -> QImage:
    image = QImage(path)
    if image.isNull():
        return image
    return image.scaled(THUMB * 2, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                        Qt.TransformationMode.SmoothTransformation)


def _blurred(image: QImage, strength: int) -> QImage:
    """A cheap blur for a thumbnail: down to ``strength`` pixels wide and smoothly back up."""
    small = image.scaledToWidth(max(2, strength), Qt.TransformationMode.SmoothTransformation)
    return small.scaled(image.size(), Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)


def _person(painter: QPainter, rect: QRectF) -> None:
    """A head and shoulders, so a thumbnail says "you, in front of this"."""
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(30, 41, 59, 230))
    w, h = rect.width(), rect.height()
    painter.drawEllipse(QRectF(rect.center().x() - w * 0.09, rect.top() + h * 0.22, w * 0.18, h * 0.34))
    painter.drawRoundedRect(QRectF(rect.center().x() - w * 0.2, rect.top() + h * 0.6, w * 0.4, h * 0.5), w * 0.08, w * 0.08)


def thumbnail(setting: str) -> QPixmap:
    """The thumbnail of one choice (at twice THUMB, for sharp high-DPI display)."""
    size = THUMB * 2
    canvas = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.fill(QColor("#64748b"))
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(0, 0, size.width(), size.height())
    effect = BackgroundEffect.from_setting(setting)
    if effect.kind == "replace" and effect.image:
        try:
            picture = _picture(str(resolve_background_image(effect.image)))
        except (OSError, ValueError):
            picture = QImage()
        if not picture.isNull():
            painter.drawImage(rect, picture, QRectF((picture.width() - size.width()) / 2,
                                                    (picture.height() - size.height()) / 2, size.width(), size.height()))
        _person(painter, rect)
    elif effect.kind == "blur":
        scene = _scene(size)
        painter.drawImage(0, 0, _blurred(scene, 24 if effect.strength == "light" else 8))
        _person(painter, rect)
    else:  # none: the room as filmed, sharp
        painter.drawImage(0, 0, _scene(size))
        _person(painter, rect)
    painter.end()
    return QPixmap.fromImage(canvas)


@lru_cache(maxsize=2)
def _scene(size: QSize) -> QImage:
    """A simple room (wall, window, shelf): something to be sharp or blurred."""
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("#d6c7b0"))
    painter = QPainter(image)
    w, h = size.width(), size.height()
    painter.fillRect(QRectF(w * 0.62, h * 0.12, w * 0.3, h * 0.42), QColor("#9ec9e8"))
    painter.fillRect(QRectF(w * 0.62, h * 0.32, w * 0.3, h * 0.03), QColor("#f8fafc"))
    painter.fillRect(QRectF(w * 0.05, h * 0.3, w * 0.22, h * 0.05), QColor("#7c5a3a"))
    for i, colour in enumerate(("#b91c1c", "#1d4ed8", "#15803d", "#ca8a04")):
        painter.fillRect(QRectF(w * (0.07 + i * 0.045), h * 0.16, w * 0.035, h * 0.14), QColor(colour))
    painter.fillRect(QRectF(0, h * 0.82, w, h * 0.18), QColor("#a38b6d"))
    painter.end()
    return image


def _plus() -> QPixmap:
    size = THUMB * 2
    pixmap = QPixmap(size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor("#94a3b8"))
    font = QFont()
    font.setPixelSize(size.height() // 2)
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, size.width(), size.height()), Qt.AlignmentFlag.AlignCenter, "+")
    painter.end()
    return pixmap


class BackgroundGallery(QWidget):
    chosen = Signal(str)  # a setting, e.g. "blur:strong"

    def __init__(self, parent: QWidget | None = None, columns: int = COLUMNS) -> None:
        super().__init__(parent)
        self.setObjectName("BackgroundGallery")
        self.columns = columns
        self.current = "none"
        self.items: dict[str, QToolButton] = {}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(6)
        self.add_button: QToolButton | None = None
        self._dialog: QFileDialog | None = None
        self._build()

    def _item(self, label: str, pixmap: QPixmap) -> QToolButton:
        button = QToolButton(objectName="galleryItem", checkable=True)
        button.setIcon(QIcon(pixmap))
        button.setIconSize(THUMB)
        button.setToolTip(label)
        button.setAccessibleName(label)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def _build(self) -> None:
        for button in [*self.items.values(), self.add_button]:
            if button is not None:
                self.group.removeButton(button)
                button.setParent(None)
                button.deleteLater()
        self.items = {}
        reason = unavailable_reason()
        choices = background_choices(self.current)
        for index, (value, label) in enumerate(choices):
            button = self._item(label, thumbnail(value))
            button.setChecked(value == self.current)
            button.setEnabled(reason is None or value == "none")
            button.clicked.connect(lambda _=False, v=value: self._pick(v))
            self.group.addButton(button)
            self._grid.addWidget(button, *divmod(index, self.columns))
            self.items[value] = button
        self.add_button = self._item(self.tr("Choose a picture…"), _plus())
        self.add_button.setCheckable(False)
        self.add_button.setEnabled(reason is None)
        self.add_button.clicked.connect(self.choose_picture)
        self._grid.addWidget(self.add_button, *divmod(len(choices), self.columns))
        if reason is not None:
            self.setToolTip(reason)

    def set_current(self, setting: str) -> None:
        """Check ``setting``'s thumbnail (a picture of the user's own gets one of its own)."""
        self.current = setting
        if setting not in self.items:
            self._build()
        for value, button in self.items.items():
            button.setChecked(value == setting)

    def _pick(self, value: str) -> None:
        self.set_current(value)
        self.chosen.emit(value)

    def choose_picture(self) -> None:
        """A file dialog (opened with ``open()``: never a nested loop) for a picture of one's own."""
        from PySide6.QtCore import QCoreApplication

        dialog = self._dialog = QFileDialog(self.window(), self.tr("Choose a background picture"), str(Path.home()),
                                            QCoreApplication.translate("Backgrounds", PICTURE_FILTER))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: path and self._pick(f"replace:{path}"))
        dialog.open()
