"""``RepairTimer``: how long a lost packet's repair takes, and so when to ask again.

A receiver that NACKs a lost packet and sees no retransmission should ask again once the
retransmission is overdue — a little over one repair time (NACK to retransmission: about a round
trip), not after a fixed wait that is too long on a near link and too short on a far one. Both
legs use it: the server asking its publishers (``server/sfu/repair.UplinkNacks``) and the app
asking the server (``desktop/media/renack.Renack``). Time only packets asked for once (Karn's
rule: with two asks out, which one was answered is unknown).
"""

from __future__ import annotations

__all__ = ["RepairTimer"]


class RepairTimer:
    """The smoothed repair time and the wait before asking again that follows from it."""

    def __init__(self, default: float, floor: float, margin: float = 1.5, weight: float = 0.1) -> None:
        self.default = default  # the wait (seconds) until a repair has been timed; also the ceiling
        self.floor = floor
        self.margin = margin
        self.weight = weight
        #: seconds from a NACK to its retransmission, smoothed (None: not timed yet)
        self.repair_time: float | None = None

    def repaired(self, took: float) -> None:
        """A packet asked for once came ``took`` seconds after the NACK."""
        self.repair_time = took if self.repair_time is None else (
            (1 - self.weight) * self.repair_time + self.weight * took)

    @property
    def retry(self) -> float:
        """How long after a NACK a packet still missing is asked for again (seconds)."""
        if self.repair_time is None:
            return self.default
        return min(self.default, max(self.floor, self.margin * self.repair_time))
