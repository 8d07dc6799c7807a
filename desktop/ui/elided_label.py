"""ElidedLabel: a one-line label that gives way when space runs short.

A plain QLabel insists on its whole text's width, so a long translation (or a long name)
squeezes its neighbours — buttons lose their text — or pushes them out of the window. An
ElidedLabel can shrink to a few characters: it draws what fits with "…" at the end and then
shows the whole text as its tooltip. ``text()`` is always the whole text.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None, **kwargs) -> None:
        super().__init__(text, parent, **kwargs)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._own_tooltip = ""  # a tooltip set by the caller wins over the whole text

    def setToolTip(self, tip: str) -> None:  # noqa: N802 (Qt's name)
        self._own_tooltip = tip
        self._update_tooltip()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self._update_tooltip()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        QLabel.setToolTip(self, self._own_tooltip or (self.text() if self.elided else ""))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        margins = self.contentsMargins()
        least = self.fontMetrics().horizontalAdvance("M…") + margins.left() + margins.right()
        return QSize(min(hint.width(), least), hint.height())

    @property
    def elided(self) -> bool:
        """Whether the whole text does not fit now."""
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        self.style().drawItemText(painter, rect, self.alignment() | Qt.AlignmentFlag.AlignVCenter,
                                  self.palette(), self.isEnabled(), shown, self.foregroundRole())
