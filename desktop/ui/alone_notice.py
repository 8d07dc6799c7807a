"""AloneNotice: "You're the only one here" over the videos while nobody else has come, with
"Copy invite link" when the link is known (as Meet's "Add others" card and Zoom's invite)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from .icons import icon


class AloneNotice(QFrame):
    copy_requested = Signal()

    def __init__(self) -> None:
        super().__init__(objectName="aloneNotice")
        self.title = QLabel(self.tr("You're the only one here"), objectName="aloneTitle", wordWrap=True)
        self.text = QLabel(wordWrap=True)
        self.copy_button = QPushButton(self.tr("Copy invite link"), objectName="primary")
        self.copy_button.setIcon(icon("copy", "#ffffff"))
        self.copy_button.setAccessibleName(self.tr("Copy the invite link"))
        self.copy_button.clicked.connect(self.copy_requested)
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.title)
        words.addWidget(self.text)
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 12, 12, 12)
        row.setSpacing(16)
        row.addLayout(words, 1)
        row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.set_link_known(False)

    def set_link_known(self, known: bool) -> None:
        """With the invite link known, offer to copy it; else say how others get in."""
        self.copy_button.setVisible(known)
        self.text.setText(self.tr("Invite people: anyone with the link can join.") if known
                          else self.tr("Others appear here as they join."))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(520, super().sizeHint().height())
