"""Token buckets: how often one connection may send what changes others' view, and how many
``join`` attempts one remote address may make; and how often one address may fill the log."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """How often one connection may send a kind of message (a token bucket each)."""

    per_second: float
    burst: int
    #: the refusal's message; ``{type}`` is the message's type
    refusal: str


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._clock = clock
        self._at = clock()

    def take(self) -> float:
        """Take one token: 0.0 if there was one, else the seconds until there is."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def allow(self) -> bool:
        return self.take() == 0.0

    def full(self) -> bool:
        """Whether the bucket has refilled completely (its owner has been quiet)."""
        return min(self.burst, self._tokens + (self._clock() - self._at) * self.rate) >= self.burst


class JoinLimiter:
    """A token bucket per remote address for ``join`` attempts, successful or not."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._pruned_at = clock()

    def allow(self, address: str | None) -> bool:
        if self.per_minute <= 0:
            return True  # no limit
        now = self._clock()
        if now - self._pruned_at > 60.0:  # forget addresses quiet for a minute (full again)
            self._buckets = {a: b for a, b in self._buckets.items() if not b.full()}
            self._pruned_at = now
        key = address or ""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.per_minute / 60.0, self.per_minute, self._clock)
        return bucket.allow()


class LogThrottle:
    """At most one log line per key (a remote address) per ``interval`` seconds, so a client
    that is refused a thousand times a second does not fill the disk with the refusals.

    It remembers at most ``keys`` keys; when full it forgets them all (a flood from many
    addresses then logs a line per address per interval at worst, still bounded)."""

    def __init__(self, interval: float, clock=time.monotonic, keys: int = 10_000) -> None:
        self.interval = interval
        self._clock = clock
        self._keys = keys
        self._logged_at: dict[str, float] = {}

    def allow(self, key: str) -> bool:
        now = self._clock()
        at = self._logged_at.get(key)
        if at is not None and now - at < self.interval:
            return False
        if len(self._logged_at) >= self._keys:
            self._logged_at.clear()
        self._logged_at[key] = now
        return True


class LogFlood(logging.Filter):
    """A filter for the server's log handler: at most ``burst`` records of one kind (logger and
    message template) per ``interval`` seconds, whoever logs them (aiohttp's "Error handling
    request" with its traceback, asyncio's accept errors, ours). When a kind is let through
    again, one more record says how many of it were held back. Requests served (the access
    log) are not held back.
    """

    def __init__(self, burst: int = 10, interval: float = 60.0, clock=time.monotonic,
                 exempt: tuple[str, ...] = ("aiohttp.access",)) -> None:
        super().__init__()
        self.burst = burst
        self.interval = interval
        self._clock = clock
        self._exempt = exempt
        #: kind -> [start of its window, records let through in it, records held back]
        self._kinds: dict[tuple[str, str], list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(self._exempt):
            return True
        kind = (record.name, str(record.msg)[:200])
        now = self._clock()
        state = self._kinds.get(kind)
        if state is None or now - state[0] >= self.interval:
            if len(self._kinds) >= 1000:
                self._kinds.clear()  # bounded, whatever the messages
            held = int(state[2]) if state is not None else 0
            self._kinds[kind] = [now, 1, 0]
            if held:
                record.msg = f"{record.msg} [and {held} more like this in the last {self.interval:g} s, not logged]"
            return True
        if state[1] < self.burst:
            state[1] += 1
            return True
        state[2] += 1
        return False
