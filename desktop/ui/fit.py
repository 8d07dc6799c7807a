"""ContentFit: a window never smaller than its contents need, so no text is ever clipped.

Qt sizes a new window from its size hint, which guesses the height of word-wrapped labels, and a
window with an explicit minimum size ignores its layout's minimum; with a long translation (or
an error shown later, or a narrower window) the last lines are cut off or the fields squeezed.
ContentFit keeps the window's minimum size at what its layout needs — the floor given, the
layout's minimum width, and the height its wrapped texts need at the window's current width
(height-for-width) — whenever the window is shown or changes width, and when asked (``request``,
after the content changed); it grows the window when it has become too small.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, QTimer
from PySide6.QtWidgets import QWidget


class ContentFit(QObject):
    def __init__(self, window: QWidget, floor: tuple[int, int] = (0, 0)) -> None:
        super().__init__(window)
        self.window = window
        self.floor = QSize(*floor)
        window.setMinimumSize(self.floor)
        self._later = QTimer(self, singleShot=True, interval=0)
        self._later.timeout.connect(self.fit)
        window.installEventFilter(self)

    def request(self) -> None:
        """Fit again once the layout has taken in a change (a text set, a widget shown)."""
        self._later.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.window and (
                event.type() == QEvent.Type.Show
                or (event.type() == QEvent.Type.Resize and event.size().width() != event.oldSize().width())):
            self._later.start()
        return False

    def fit(self) -> None:
        window, layout = self.window, self.window.layout()
        if layout is None:
            return
        layout.activate()
        least = layout.totalMinimumSize()
        width = max(self.floor.width(), least.width())
        at = max(window.width(), width)
        height = max(self.floor.height(), least.height(),
                     layout.totalHeightForWidth(at) if layout.hasHeightForWidth() else 0)
        window.setMinimumSize(width, height)
        if window.width() < width or window.height() < height:
            window.resize(max(window.width(), width), max(window.height(), height))
