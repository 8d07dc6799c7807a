"""Leaving the meeting, asked first: LeavePrompt for the call window's ✕ (as Teams and Zoom
do), ``ask_to_switch`` for a link that came in during a call.

The window never closes under a live meeting: its close event is refused and turned into
``close_requested`` (CallWindow), which opens this window-modal question (``open()``, never a
nested event loop). "Leave" leaves the meeting the way the Leave button does; "Stay" keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QMessageBox

from .call_window import CallWindow


class LeavePrompt(QObject):
    def __init__(self, window: CallWindow, leave: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._leave = leave
        self.box: QMessageBox | None = None
        window.close_requested.connect(self.ask)

    def ask(self) -> None:
        if self.box is not None:  # asked already: bring the question back to the front
            self.box.raise_()
            self.box.activateWindow()
            return
        box = self.box = QMessageBox(QMessageBox.Icon.Question, self.tr("Leave the meeting?"),
                                     self.tr("Closing this window takes you out of the meeting."),
                                     parent=self._window)
        box.setObjectName("LeaveMeetingBox")
        self.leave_button = box.addButton(self.tr("Leave"), QMessageBox.ButtonRole.AcceptRole)
        stay = box.addButton(self.tr("Stay"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        box.buttonClicked.connect(self._answered)
        box.finished.connect(self._closed)
        box.open()

    def _answered(self, button) -> None:
        if button is self.leave_button:
            self._leave()

    def _closed(self, _result: int) -> None:
        box, self.box = self.box, None
        if box is not None:
            box.deleteLater()


def ask_to_switch(parent: CallWindow | None, switch: Callable[[], None]) -> QMessageBox:
    """"Join another meeting?" (a link from outside during a call): "Leave and join" calls
    ``switch``; the box is open (window-modal, no nested loop) and deletes itself when answered."""
    box = QMessageBox(QMessageBox.Icon.Question, QCoreApplication.translate("AppFlow", "Join another meeting?"),
                      QCoreApplication.translate("AppFlow", "You are in a meeting. Leave it and go to the other meeting?"),
                      parent=parent)
    box.setObjectName("SwitchMeetingBox")
    leave = box.addButton(QCoreApplication.translate("AppFlow", "Leave and join"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QCoreApplication.translate("AppFlow", "Stay here"), QMessageBox.ButtonRole.RejectRole)
    box.buttonClicked.connect(lambda button: button is leave and switch())
    box.finished.connect(box.deleteLater)
    box.open()  # never exec() inside the loop
    return box
