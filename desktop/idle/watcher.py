"""IdleWatcher: notices when nobody has touched the computer for a long time during a call,
asks "Are you still there?", and says when to leave. No Qt: a backend tells the idle time
(desktop/idle/backends.py), a clock tells the time, and the UI is a view over the events.

States: ``watching`` → (idle for ``timeout``) → ``asking`` → (no answer for ``prompt``) →
``timed_out``. Any input while asking, or "I'm here" (``confirm``), goes back to watching.
Presenting (sharing a screen) counts as activity.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ..session.events import EventEmitter

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60 * 60.0  # an hour without input
DEFAULT_PROMPT = 60.0  # then a minute to answer
POLL_INTERVAL = 1.0  # the backend is asked at most once a second


class IdleSource(Protocol):
    def idle_seconds(self) -> float | None: ...


class IdleState(StrEnum):
    WATCHING = "watching"
    ASKING = "asking"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class IdlePromptShown:
    """Ask "Are you still there?"; the call ends in ``seconds_left`` without an answer."""

    seconds_left: int


@dataclass(frozen=True)
class IdleCountdown:
    seconds_left: int


@dataclass(frozen=True)
class IdleResumed:
    """Someone is there: ``how`` is ``input`` or ``confirmed`` ("I'm here")."""

    how: str


@dataclass(frozen=True)
class IdleTimedOut:
    """Nobody answered: leave the meeting with reason ``idle``."""


def effective_timeout(user_seconds: float, meeting_seconds: float | None) -> float:
    """The user's setting and the meeting's limit: the shorter wins."""
    return min(user_seconds, meeting_seconds) if meeting_seconds else user_seconds


class IdleWatcher(EventEmitter):
    def __init__(self, source: IdleSource, timeout: float = DEFAULT_TIMEOUT, prompt: float = DEFAULT_PROMPT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        if timeout <= 0 or prompt <= 0:
            raise ValueError("the idle timeout and the prompt must be positive")
        self.source = source
        self.timeout = timeout
        self.prompt = prompt
        self.presenting = False  # sharing a screen counts as activity
        self.state = IdleState.WATCHING
        self._clock = clock
        self._active_at = clock()  # "I'm here" or the start: input as far as we are concerned
        self._asked_at = 0.0
        self._shown_left: int | None = None
        self._task: asyncio.Task | None = None

    def idle_for(self) -> float:
        """Seconds without input, as the watcher counts them."""
        now = self._clock()
        if self.presenting:
            self._active_at = now
        idle = self.source.idle_seconds()
        if idle is None:
            return 0.0  # a backend that cannot tell right now never makes anyone leave
        return min(idle, now - self._active_at)

    def tick(self) -> None:
        """Look once (the run loop does this every second; tests call it with a fake clock)."""
        if self.state == IdleState.TIMED_OUT:
            return
        now = self._clock()
        idle = self.idle_for()
        if self.state == IdleState.WATCHING:
            if idle >= self.timeout:
                self.state = IdleState.ASKING
                self._asked_at = now
                self._shown_left = math.ceil(self.prompt)
                logger.info("idle for %.0f s: asking whether anyone is there", idle)
                self.emit(IdlePromptShown(self._shown_left))
            return
        # asking
        if idle < now - self._asked_at + self.timeout - 1.0:
            # the idle time went back: someone used the keyboard or the mouse
            self._resume("input")
            return
        left = self.prompt - (now - self._asked_at)
        if left <= 0:
            self.state = IdleState.TIMED_OUT
            logger.info("nobody answered within %.0f s: leaving", self.prompt)
            self.emit(IdleTimedOut())
            return
        shown = math.ceil(left)
        if shown != self._shown_left:
            self._shown_left = shown
            self.emit(IdleCountdown(shown))

    def confirm(self) -> None:
        """The user said "I'm here"."""
        if self.state == IdleState.ASKING:
            self._resume("confirmed")
        else:
            self._active_at = self._clock()

    def _resume(self, how: str) -> None:
        self.state = IdleState.WATCHING
        self._active_at = self._clock()
        self._shown_left = None
        self.emit(IdleResumed(how))

    # --- the loop --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while self.state != IdleState.TIMED_OUT:
            await asyncio.sleep(POLL_INTERVAL)
            try:
                self.tick()
            except Exception:
                logger.exception("idle watcher: the backend failed; not watching any more")
                return

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
