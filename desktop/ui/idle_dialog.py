"""IdleDialog: "Are you still there?" with a visible countdown, over the IdleWatcher.

It never runs a nested event loop (no exec()): it is shown and hidden as the watcher's events
say, comes to the front without taking the keyboard from another app (where the platform
allows), and asks the taskbar to draw attention.

It looks like the rest of the app, not a bare system window: a card without the window
manager's frame (``QDialog#IdleDialog`` in the theme), an amber clock badge, the time left in
large figures, Leave and the primary "I'm here"; centred over the call window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .fit import ContentFit
from .icons import pixmap


class IdleDialog(QDialog):
    stay_requested = Signal()  # "I'm here"
    leave_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("IdleDialog")
        self.setWindowTitle(self.tr("Are you still there?"))
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setWindowFlags(Qt.WindowType.Dialog | Qt.WindowType.FramelessWindowHint)  # a card, like the app's
        badge = QLabel(objectName="idleBadge", alignment=Qt.AlignmentFlag.AlignCenter)
        badge.setPixmap(pixmap("warning", 22, "#78350f"))
        badge.setFixedSize(40, 40)
        title = QLabel(self.tr("Are you still there?"), wordWrap=True)
        font = title.font()
        font.setPointSize(15)
        font.setBold(True)
        title.setFont(font)
        heading = QHBoxLayout()
        heading.setSpacing(12)
        heading.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        heading.addWidget(title, 1)
        self.clock = QLabel(objectName="idleClock", alignment=Qt.AlignmentFlag.AlignCenter)
        self.clock.setAccessibleName(self.tr("Seconds left"))
        self.countdown = QLabel(wordWrap=True, objectName="muted")
        self.countdown.setAccessibleName(self.tr("Time left before leaving"))
        self.stay_button = QPushButton(self.tr("I'm here"), objectName="primary")
        self.stay_button.setAccessibleName(self.tr("I'm here: stay in the meeting"))
        self.stay_button.setDefault(True)
        self.leave_button = QPushButton(self.tr("Leave"))
        self.leave_button.setAccessibleName(self.tr("Leave the meeting"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.leave_button)
        buttons.addWidget(self.stay_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addLayout(heading)
        layout.addWidget(self.clock)
        layout.addWidget(self.countdown)
        layout.addLayout(buttons)
        self.stay_button.clicked.connect(self.stay_requested)
        self.leave_button.clicked.connect(self.leave_requested)
        self.seconds_left = 0
        self.fit = ContentFit(self)  # as tall as its texts need, in any language

    def ask(self, seconds_left: int) -> None:
        self.set_seconds_left(seconds_left)
        self.fit.request()
        self.adjustSize()
        parent = self.parentWidget()
        if parent is not None and parent.isVisible():  # centred over the call, with no frame to drag
            centre = parent.mapToGlobal(parent.rect().center())
            self.move(centre.x() - self.width() // 2, centre.y() - self.height() // 2)
        self.show()
        self.raise_()
        QApplication.alert(self.parentWidget() or self, 0)

    def set_seconds_left(self, seconds_left: int) -> None:
        self.seconds_left = seconds_left
        self.clock.setText(f"{seconds_left // 60}:{seconds_left % 60:02d}")
        self.countdown.setText(self.tr(
            "Nobody has used this computer for a while. You will leave the meeting in %n seconds "
            "unless you answer.", "", seconds_left))
        self.fit.request()
