"""How late the event loop runs what it was asked to run: its lag, measured all the time.

``LoopLagMonitor`` asks the loop to wake it every ``interval`` seconds and notes how much later
than asked it woke (the time every other callback on the loop had to wait too: signalling, ICE
consent checks, RTCP, the GUI under qasync). ``recent_p99()`` covers the last ``window``
seconds (what the load governor reads), ``p99_over(seconds)`` a longer stretch (the health
alerts: was this computer late?); ``summary()`` covers the whole run (the bench). No Qt.
"""

from __future__ import annotations

import asyncio
from collections import deque

INTERVAL = 0.05
WINDOW = 1.0  # as long as the load governor samples: one spike counts once
MAX_SAMPLES = 36000  # a whole run's samples for the summary: 30 min at 20 a second


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class LoopLagMonitor:
    def __init__(self, interval: float = INTERVAL, window: float = WINDOW) -> None:
        self.interval = interval
        self._recent: deque[float] = deque(maxlen=max(1, int(window / interval)))
        self._all: deque[float] = deque(maxlen=MAX_SAMPLES)

    def note(self, lag_seconds: float) -> None:
        """One measured lag (the loop woke this much later than asked)."""
        lag_ms = max(0.0, lag_seconds * 1000.0)
        self._recent.append(lag_ms)
        self._all.append(lag_ms)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.note(loop.time() - asked)

    def recent_p99(self) -> float:
        return percentile(self._recent, 0.99)

    def p99_over(self, seconds: float) -> float:
        """The lag's 99th percentile over the last ``seconds`` (the health alerts' sampling period)."""
        count = max(1, int(seconds / self.interval))
        return percentile(list(self._all)[-count:], 0.99)

    def summary(self) -> dict[str, float]:
        """Lag over the run, in ms: p50, p99, max, and how many samples."""
        samples = list(self._all)
        return {"p50_ms": round(percentile(samples, 0.5), 1), "p99_ms": round(percentile(samples, 0.99), 1),
                "max_ms": round(max(samples, default=0.0), 1), "samples": len(samples)}
