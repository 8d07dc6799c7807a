"""The meeting's session timer as the user sees it: time left, the 5-minute warning, time's up.

The server owns the timer (``timer_ends_at``); this only counts down to it, corrected for the
offset between this computer's clock and the server's (measured from ``server_time`` whenever
the server sends one). No Qt, no asyncio: ``tick()`` is called about once a second by whoever
shows the countdown, on a clock tests can control.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from wire import iso, parse_iso  # noqa: F401  (the session and the bot read times with these)

WARNING_SECONDS = 5 * 60


@dataclass(frozen=True)
class TimerChanged:
    """The meeting's end moved (extended, shortened) or appeared or went away (None)."""

    ends_at: float | None  # on the server's clock


@dataclass(frozen=True)
class TimeWarning:
    """Less than five minutes left."""

    seconds_left: float


@dataclass(frozen=True)
class TimeUp:
    """The timer reached zero (the server ends the meeting with ``timer_expired``)."""


def format_left(seconds: float) -> str:
    """"1:02:03", "12:34", "0:05" — never negative."""
    total = max(0, int(seconds + 0.999))  # 4.2 s left reads 0:05 until it is 4 s
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class SessionTimer:
    def __init__(self, clock: Callable[[], float] = time.time, warning: float = WARNING_SECONDS) -> None:
        self.clock = clock
        self.warning = warning
        self.ends_at: float | None = None  # server clock
        self.offset = 0.0  # server clock minus ours
        self._warned = False
        self._up = False

    def sync(self, server_time: str | None) -> None:
        """The server said its time is ``server_time`` just now."""
        server = parse_iso(server_time)
        if server is not None:
            self.offset = server - self.clock()

    def set_end(self, timer_ends_at: str | None) -> TimerChanged | None:
        ends_at = parse_iso(timer_ends_at)
        if ends_at == self.ends_at:
            return None
        self.ends_at = ends_at
        left = self.remaining()
        # an extension past the warning (or past zero) lets them come again when it nears
        if left is None or left > self.warning:
            self._warned = False
        if left is None or left > 0:
            self._up = False
        return TimerChanged(ends_at)

    def remaining(self) -> float | None:
        """Seconds left (negative once past); None without a timer."""
        if self.ends_at is None:
            return None
        return self.ends_at - (self.clock() + self.offset)

    def tick(self) -> list[TimeWarning | TimeUp]:
        """What is due now: the warning once when under five minutes, time's up once at zero."""
        left = self.remaining()
        if left is None:
            return []
        due: list[TimeWarning | TimeUp] = []
        if left <= 0 and not self._up:
            self._up = True
            self._warned = True
            due.append(TimeUp())
        elif 0 < left <= self.warning and not self._warned:
            self._warned = True
            due.append(TimeWarning(left))
        return due
