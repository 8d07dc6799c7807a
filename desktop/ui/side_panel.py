"""SidePanel: People and Chat as one panel beside the videos, with a tab for each and a close
button (as Teams and Meet do), so the grid never gives up two columns to two panels.

It holds the RosterPanel and the ChatPanel and shows one of them; the control bar's People
and Chat buttons open it on their tab (``show_tab``) and close it when pressed again.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractButton
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QStackedWidget, QToolButton, QVBoxLayout, QWidget

PEOPLE, CHAT = "people", "chat"


class SidePanel(QWidget):
    tab_changed = Signal(str)  # PEOPLE or CHAT: the user picked a tab
    closed = Signal()  # the close button
    opened = Signal(object)  # the tab now shown (PEOPLE or CHAT), or None: closed

    def __init__(self, roster: QWidget, chat: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SidePanel")
        self.setMinimumWidth(280)
        self.pages = {PEOPLE: roster, CHAT: chat}
        self.stack = QStackedWidget()
        self.tabs: dict[str, QToolButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        header = QHBoxLayout()
        header.setContentsMargins(8, 8, 4, 0)
        header.setSpacing(4)
        for key, text in ((PEOPLE, self.tr("People")), (CHAT, self.tr("Chat"))):
            tab = QToolButton(objectName="tab", text=text, checkable=True)
            tab.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # no focus ring left behind by a click
            tab.setAccessibleName(text)
            tab.clicked.connect(lambda _=False, k=key: self._picked(k))
            group.addButton(tab)
            header.addWidget(tab)
            self.tabs[key] = tab
            self.stack.addWidget(self.pages[key])  # the stack shows one page at a time
        header.addStretch(1)
        self.close_button = QToolButton(objectName="closePanel", text="\u2715")
        self.close_button.setAccessibleName(self.tr("Close the panel"))
        self.close_button.setToolTip(self.tr("Close"))
        self.close_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.close_button.clicked.connect(self.closed)
        header.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        self.current = PEOPLE
        self.show_tab(PEOPLE)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """One side panel's width (names elide, messages wrap): the videos keep the room."""
        return QSize(max(self.minimumWidth(), 340), super().sizeHint().height())

    def show_tab(self, key: str) -> None:
        """Show ``key``'s page (PEOPLE or CHAT)."""
        if key not in self.pages:
            raise ValueError(f"no tab {key!r}")
        self.current = key
        self.tabs[key].setChecked(True)
        self.stack.setCurrentWidget(self.pages[key])

    def bind(self, buttons: dict[str, QAbstractButton]) -> None:
        """Let these checkable buttons (by tab) open the panel on their tab and close it; they
        show which tab is open (checked, and ``open="true"`` for the style sheet)."""
        self._buttons = buttons
        for key, button in buttons.items():
            button.toggled.connect(lambda on, k=key: self.open(k if on else None))
        self.tab_changed.connect(self.open)
        self.closed.connect(lambda: self.open(None))

    def open(self, tab: str | None) -> None:
        """Show the panel on ``tab``, or hide it (None)."""
        if tab is not None:
            self.show_tab(tab)
        self.setVisible(tab is not None)
        for key, button in getattr(self, "_buttons", {}).items():
            button.blockSignals(True)
            button.setChecked(tab == key)
            button.blockSignals(False)
            button.setProperty("open", tab == key)
            button.style().unpolish(button)
            button.style().polish(button)
        self.opened.emit(tab)

    def set_tab_text(self, key: str, text: str) -> None:
        """A tab's label, e.g. "People (5)"."""
        self.tabs[key].setText(text)
        self.tabs[key].setAccessibleName(text)

    def _picked(self, key: str) -> None:
        self.show_tab(key)
        self.tab_changed.emit(key)
