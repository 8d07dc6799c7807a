"""Time as the server sees it, injectable so tests drive timers without sleeping."""

from __future__ import annotations

import time
from typing import Annotated, Protocol

from wire import iso  # noqa: F401  (times as the REST API and the wire show them)

from .schema import Schema

#: A time in JSON (what ``iso`` writes), for REST and webhook bodies.
Time = Annotated[str, Schema(name="Time", format="date-time",
                             description="ISO 8601 UTC with milliseconds and a `Z`.")]


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
