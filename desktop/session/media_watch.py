"""Incoming media that stops while the meeting goes on is noticed and repaired. No Qt, no I/O.

``MediaWatchdog.sample`` is told, about once a second, how many RTP packets the receive
connection has had so far and whether anyone is sending (someone unmuted or with video on). When
nothing arrived for ``stall_after`` seconds although someone sends, it says ``STALLED`` (tell
the user, ask for keyframes); when still nothing after ``repair_after`` more seconds, ``REPAIR``
(reconnect the receiving connection), once per stall; when packets flow again, ``RESTORED``.
"""

from __future__ import annotations

STALLED = "stalled"
REPAIR = "repair"
RESTORED = "restored"


class MediaWatchdog:
    def __init__(self, stall_after: float = 3.0, repair_after: float = 3.0) -> None:
        self.stall_after = stall_after
        self.repair_after = repair_after
        self.stalls = 0
        self.repairs = 0
        self._packets: int | None = None
        self._quiet_since: float | None = None
        self._stage: str | None = None

    def reset(self) -> None:
        """A new receive connection: its count starts again, nothing is stalled yet."""
        self._packets, self._quiet_since = None, None

    def sample(self, now: float, packets: int, expecting: bool) -> str | None:
        first = self._packets is None
        arrived = not first and packets != self._packets
        self._packets = packets
        if arrived:
            self._quiet_since = None
            if self._stage is not None:
                self._stage = None
                return RESTORED
            return None
        if not expecting:
            self._quiet_since = None
            return None
        if self._quiet_since is None:
            self._quiet_since = now
            return None
        quiet = now - self._quiet_since
        if self._stage is None and quiet >= self.stall_after:
            self._stage = STALLED
            self.stalls += 1
            return STALLED
        if self._stage == STALLED and quiet >= self.stall_after + self.repair_after:
            self._stage = REPAIR
            self.repairs += 1
            return REPAIR
        return None
