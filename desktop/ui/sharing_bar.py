"""SharingBar: while the user shares, a small always-on-top bar at the top of their screen says
"You are sharing your screen" (or the window, or the file) with Stop — and Pause for a file. The
user's own share has no tile in the call; this bar stands for it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from .icons import icon


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
