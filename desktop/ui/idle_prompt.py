"""IdlePrompt: "Are you still there?" during one call.

It watches how long the user has not touched the computer (an IdleWatcher over the platform's
idle source), asks in an IdleDialog with a soft chime when the meeting's inactivity timeout
(or the user's, whichever is shorter) has passed, and leaves the meeting ("idle") when nobody
answers in time. One per call, stopped when the call ends.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from ..idle.watcher import (
    IdleCountdown,
    IdlePromptShown,
    IdleResumed,
    IdleSource,
    IdleTimedOut,
    IdleWatcher,
    effective_timeout,
)
from ..session.meeting_session import MeetingSession
from .idle_dialog import IdleDialog


class IdlePrompt(QObject):
    def __init__(self, source: IdleSource, timeout: float, prompt: float, parent: QWidget,
                 chime: Callable[[], None], leave: Callable[[], None],
                 time_out: Callable[[], None]) -> None:
        """``timeout``: seconds without input before asking; ``prompt``: how long the question
        waits; ``chime``: a soft sound on the chosen speaker; ``leave``: the user chose Leave;
        ``time_out``: nobody answered."""
        super().__init__(parent)
        self._chime = chime
        self._time_out = time_out
        watcher = self.watcher = IdleWatcher(source, timeout, prompt)
        dialog = self.dialog = IdleDialog(parent)
        dialog.stay_requested.connect(watcher.confirm)
        dialog.leave_requested.connect(lambda: (dialog.hide(), leave()))
        watcher.on(IdlePromptShown, self._on_prompt)
        watcher.on(IdleCountdown, lambda e: dialog.set_seconds_left(e.seconds_left))
        watcher.on(IdleResumed, lambda e: dialog.hide())
        watcher.on(IdleTimedOut, self._on_timed_out)
        watcher.start()

    @classmethod
    def for_session(cls, source: IdleSource, session: MeetingSession, user_timeout: float,
                    prompt: float, parent: QWidget, **callbacks) -> IdlePrompt:
        """Ask after the shorter of the user's timeout and the meeting's own."""
        timeout = effective_timeout(
            user_timeout, session.meeting.inactivity_timeout_seconds if session.meeting else None)
        return cls(source, timeout, prompt, parent, **callbacks)

    def _on_prompt(self, event: IdlePromptShown) -> None:
        self.dialog.ask(event.seconds_left)
        self._chime()

    def _on_timed_out(self, event: IdleTimedOut) -> None:
        self.dialog.hide()
        self._time_out()

    def stop(self) -> None:
        self.watcher.stop()
        self.dialog.hide()
        self.dialog.deleteLater()
