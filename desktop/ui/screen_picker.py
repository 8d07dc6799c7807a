"""ScreenPicker: choose a screen or a window to share, from thumbnails of each.

The screens come first, then the windows, as cards in a grid (as Zoom's and Teams' pickers
show them); the dialog is as large as its cards need (up to three across and three down, then
it scrolls), so one screen is one card, not a card in a big empty box. There is no "share
sound" choice: a screen or window shares its picture only (a video file shares its sound).

Opened without a nested event loop (``open()``, never ``exec()``: qasync, DESIGN.md); the
thumbnails are grabbed one after the other in the background and fill in as they come. The
choice arrives through ``chosen``; closing or Cancel emits nothing.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..media.file_share.decoder import SUPPORTED as VIDEO_SUFFIXES
from ..media.screens import ScreenCatalog, ScreenSource
from .i18n import SCREEN_SHARING, translator
from .icons import icon

logger = logging.getLogger(__name__)

THUMB = QSize(240, 135)
COLUMNS = 3
CELL = QSize(THUMB.width() + 36, THUMB.height() + 56)  # a card: the thumbnail, two lines of name


def frame_to_image(frame) -> QImage:
    """An av.VideoFrame as a QImage that owns its pixels."""
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    return QImage(bytes(plane), rgb.width, rgb.height, plane.line_size, QImage.Format.Format_RGB888).copy()


class ScreenPicker(QDialog):
    chosen = Signal(object)  # ScreenSource
    file_chosen = Signal(str)  # a video file to share instead

    def __init__(self, catalog: ScreenCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScreenPicker")
        self.setWindowTitle(self.tr("Share your screen"))
        self.catalog = catalog
        self.sources: list[ScreenSource] = []
        self.thumbnails_done = asyncio.Event()
        self.heading = QLabel(self.tr("Choose what to share. Everyone in the meeting will see it."), wordWrap=True)
        self.problem = QLabel(objectName="error", wordWrap=True)
        self.problem.setVisible(False)
        self.list = QListWidget(objectName="screens")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setGridSize(CELL)
        self.list.setSpacing(6)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setAccessibleName(self.tr("Screens and windows"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(self.tr("Cancel"))
        self.cancel_button.setIcon(QIcon())  # a word, not the style's red cross
        self.share_button = self.buttons.addButton(self.tr("Share"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.share_button.setObjectName("primary")
        self.share_button.setAccessibleName(self.tr("Share the chosen screen or window"))
        self.share_button.setEnabled(False)
        self.file_button = self.buttons.addButton(self.tr("Share a video file…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.file_button.setToolTip(self.tr("Share a video file's picture and sound instead"))
        self.file_button.clicked.connect(self._pick_file)
        self.buttons.accepted.connect(self._share)
        self.buttons.rejected.connect(self.reject)
        self.list.itemSelectionChanged.connect(lambda: self.share_button.setEnabled(bool(self.list.selectedItems())))
        self.list.itemDoubleClicked.connect(lambda _item: self._share())
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.problem)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)
        self.resize(640, 420)
        self._task: asyncio.Task | None = None
        self.refresh()

    def refresh(self) -> None:
        """List what can be shared now and start grabbing thumbnails."""
        self.list.clear()
        reason = self.catalog.unavailable_reason()
        self.sources = [] if reason else self.catalog.sources()
        if reason or not self.sources:
            self.problem.setText(translator(SCREEN_SHARING)(reason) if reason
                                 else self.tr("There is no screen or window to share."))
            self.problem.setVisible(True)
        placeholder = icon("screen-share").pixmap(THUMB.height() // 2)
        for source in self.sources:
            label = source.name if source.kind == "window" else self.tr("{name}\n(entire screen)").format(name=source.name)
            item = QListWidgetItem(QIcon(placeholder), label)
            item.setData(Qt.ItemDataRole.UserRole, source)
            item.setToolTip(source.name)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._fit_to_cards()
        if self._task is not None:
            self._task.cancel()
        self.thumbnails_done.clear()
        self._task = asyncio.ensure_future(self._load_thumbnails())

    def _fit_to_cards(self) -> None:
        """As large as the cards need: up to COLUMNS across and three rows down, then it scrolls."""
        count = max(1, self.list.count())
        columns = min(COLUMNS, count)
        rows = min(3, -(-count // columns))
        frame = 2 * self.list.frameWidth() + 2 * self.list.spacing() + 4
        scroll = self.list.verticalScrollBar().sizeHint().width() if count > columns * rows else 0
        self.list.setMinimumSize(columns * (CELL.width() + self.list.spacing()) + frame + scroll,
                                 rows * (CELL.height() + self.list.spacing()) + frame)
        self.adjustSize()

    async def _load_thumbnails(self) -> None:
        try:
            for row, source in enumerate(list(self.sources)):
                try:
                    frame = await self.catalog.thumbnail(source, THUMB.width(), THUMB.height())
                except Exception:
                    logger.exception("thumbnail of %s failed", source.name)
                    frame = None
                item = self.list.item(row)
                if frame is not None and item is not None:
                    item.setIcon(QIcon(QPixmap.fromImage(frame_to_image(frame))))
        finally:
            self.thumbnails_done.set()

    def selected(self) -> ScreenSource | None:
        items = self.list.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _share(self) -> None:
        source = self.selected()
        if source is None:
            return
        self.accept()
        self.chosen.emit(source)

    def _pick_file(self) -> None:
        """A file dialog (opened, never exec'd: no nested loop under qasync)."""
        dialog = QFileDialog(self, self.tr("Share a video file"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(self.tr("Videos ({patterns})").format(
            patterns=" ".join(f"*{suffix}" for suffix in VIDEO_SUFFIXES)))
        dialog.fileSelected.connect(self._file_selected)
        self.file_dialog = dialog
        dialog.open()

    def _file_selected(self, path: str) -> None:
        if path:
            self.accept()
            self.file_chosen.emit(path)

    def done(self, result: int) -> None:
        if self._task is not None:
            self._task.cancel()
        super().done(result)
