"""Parts of the call's control bar that hold state of their own.

- ``bar_button``: a control-bar button, an icon with a short label under it (as Zoom and Teams
  label theirs); a click never leaves it with the keyboard focus (no ring left on it after a
  menu closes), Tab still reaches it.
- ``DeviceArrow``: the small arrow beside the microphone and camera buttons: their devices'
  lists (the same actions as the devices menu's), the background choices for the camera.
- ``ReactionBar``: the reactions as one row of large emoji (a menu's only entry).
- ``ReactionTally``: "👍 3  🎉 1" beside the people count, for the reactions of the last few
  seconds; it empties itself ``FADE_AFTER`` seconds after the last one (an injected clock).
- ``CountdownBox``: the meeting's time left and Extend, of a fixed width so the bar never
  moves as the digits change.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
    QWidgetAction,
)

LABEL_POINTS = 8.0
"""The size of a bar button's label."""
FADE_AFTER = 6.0
"""Seconds the reaction tally stays after the last reaction."""


def bar_button(name: str, label: str, checkable: bool = False) -> QToolButton:
    """A control-bar button: ``label`` (short, translated) under its icon; ``name`` is what a
    screen reader says, and the tooltip until a more telling one is set."""
    button = QToolButton(objectName="barButton", checkable=checkable)
    font = QFont(button.font())
    font.setPointSizeF(LABEL_POINTS)
    button.setFont(font)  # set here, not in the style sheet: fit_labels measures with it
    button.setText(label)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
    button.setAccessibleName(name)
    button.setToolTip(name)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Tab reaches it; a click leaves no focus ring
    return button


def fit_labels(button: QToolButton, *labels: str) -> None:
    """Make ``button`` as wide as the widest of the labels it will show (in the bar's 8 pt), so
    it keeps one width as its label changes ("Mute" / "Unmute")."""
    widest = max(QFontMetrics(button.font()).horizontalAdvance(label) for label in labels)
    button.setMinimumWidth(max(54, widest + 16))  # the style's own margins, with or without the theme


class DeviceArrow(QToolButton):
    """The arrow beside a button that opens ``sections``: (title, menu) pairs whose actions it
    lists under their titles (the very actions, so a choice is checked everywhere), then
    ``extra`` menus as submenus."""

    def __init__(self, name: str, sections: Callable[[], list[tuple[str, QMenu]]],
                 extra: tuple[QMenu, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="barArrow")
        self.setArrowType(Qt.ArrowType.UpArrow)
        self.setAccessibleName(name)
        self.setToolTip(name)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._sections = sections
        self._extra = extra
        self.setMenu(QMenu(self))
        self.menu().aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        menu = self.menu()
        menu.clear()
        for title, source in self._sections():
            menu.addSection(title)
            for action in source.actions():
                menu.addAction(action)
        if self._extra:
            menu.addSeparator()
            for submenu in self._extra:
                menu.addMenu(submenu)


class ReactionBar(QWidget):
    """One row of large emoji buttons; ``picked(emoji)``."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReactionBar")
        self.buttons: list[QToolButton] = []
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(6, 4, 6, 4)
        self._row.setSpacing(2)

    def set_emojis(self, emojis: tuple[str, ...]) -> None:
        for button in self.buttons:
            button.setParent(None)
            button.deleteLater()
        self.buttons = []
        font = QFont(self.font())
        font.setPixelSize(28)
        for emoji in emojis:
            button = QToolButton(objectName="emoji", text=emoji)
            button.setFont(font)
            button.setFixedSize(QSize(46, 46))
            button.setAccessibleName(self.tr("React with {emoji}").format(emoji=emoji))
            button.setToolTip(button.accessibleName())
            button.clicked.connect(lambda _=False, e=emoji: self.picked.emit(e))
            self._row.addWidget(button)
            self.buttons.append(button)


def reaction_menu(parent: QWidget) -> tuple[QMenu, ReactionBar]:
    """A menu holding only a ReactionBar; picking an emoji closes it."""
    menu = QMenu(parent)
    menu.setObjectName("reactionMenu")
    bar = ReactionBar(menu)
    action = QWidgetAction(menu)
    action.setDefaultWidget(bar)
    menu.addAction(action)
    bar.picked.connect(lambda _emoji: menu.close())
    return menu, bar


class ReactionTally(QLabel):
    """The reactions of the last moments, counted ("👍 3  🎉 1"); it empties itself
    ``fade_after`` seconds after the last one. Its width is fixed by whoever places it (the
    bar), and a long tally elides: it never pushes the buttons aside. ``active_changed(bool)``
    when it starts or stops showing anything (the bar shows it in the people count's place)."""

    active_changed = Signal(bool)

    def __init__(self, clock: Callable[[], float] = time.monotonic, fade_after: float = FADE_AFTER,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="muted")
        self.clock = clock
        self.fade_after = fade_after
        self.counts: dict[str, int] = {}
        self._last = 0.0
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self.tick)

    def count(self, emoji: str) -> None:
        self.counts[emoji] = self.counts.get(emoji, 0) + 1
        self._last = self.clock()
        self._show()
        self._timer.start()

    def tick(self) -> None:
        """Empty the tally once ``fade_after`` seconds have passed since the last reaction."""
        if self.counts and self.clock() - self._last >= self.fade_after:
            self.counts.clear()
            self._show()
            self._timer.stop()

    def _show(self) -> None:
        text = "  ".join(f"{e} {n}" for e, n in self.counts.items())
        if bool(text) != bool(self.toolTip()):
            self.active_changed.emit(bool(text))
        self.setToolTip(text)
        metrics = QFontMetrics(self.font())
        self.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, self.width())) if self.width() > 20
                     else text)

    def full_text(self) -> str:
        return "  ".join(f"{e} {n}" for e, n in self.counts.items())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._show()


class CountdownBox(QWidget):
    """The session timer: time left (amber under 5 minutes, red under 1) and Extend (15, 30
    or 60 minutes) for those allowed. Its label is as wide as the widest time it can show, so
    the bar does not move as the seconds tick."""

    extend_requested = Signal(int)  # seconds

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(objectName="timer", alignment=Qt.AlignmentFlag.AlignCenter)
        self.label.setAccessibleName(self.tr("Time left in the meeting"))
        self.extend_button = QToolButton(objectName="extend", text=self.tr("Extend"))
        self.extend_button.setAccessibleName(self.tr("Extend the meeting"))
        self.extend_button.setToolTip(self.tr("Add 30 minutes to the meeting for everyone"))
        self.extend_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.extend_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.extend_menu = QMenu(self)
        for minutes in (15, 30, 60):
            self.extend_menu.addAction(self.tr("Add %n minutes", "", minutes),
                                       lambda m=minutes: self.extend_requested.emit(m * 60))
        self.extend_button.setMenu(self.extend_menu)
        self.extend_button.clicked.connect(lambda: self.extend_requested.emit(30 * 60))
        self.extend_button.setVisible(False)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # never squeezed
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self.label)
        row.addWidget(self.extend_button)
        self._fix_width()

    def _fix_width(self, text: str = "88:88") -> None:
        """The label as wide as ``text`` with every digit an 8 (the widest), plus its padding;
        it only ever grows (from minutes to hours), so the seconds ticking never move it."""
        bold = QFont(self.label.font())
        bold.setBold(True)
        template = "".join("8" if c.isdigit() else c for c in text)
        widest = QFontMetrics(bold).horizontalAdvance(self.tr("{time} left").format(time=template)) + 28
        if widest > self.label.minimumWidth():
            self.label.setFixedWidth(widest)

    def show_time_left(self, seconds: float, text: str) -> None:
        self._fix_width(text)
        self.label.setText(self.tr("{time} left").format(time=text))
        level = "late" if seconds < 60 else "soon" if seconds <= 300 else ""
        if self.label.property("level") != level:
            self.label.setProperty("level", level)
            self.label.style().unpolish(self.label)
            self.label.style().polish(self.label)
        self.label.setToolTip(self.tr("The meeting ends automatically when the time runs out"))
