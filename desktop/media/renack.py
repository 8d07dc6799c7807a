"""``Renack``: which video packets still missing a receiver asks for again, and when.

aiortc's receiver sends one NACK for a lost packet, when it first sees the gap (and again only
when a later gap happens to come). When the retransmission is lost too, the frame waits behind
the hole. The receive connection used to ask for everything still missing every 200 ms: on a
40 ms link a retransmission lost again then cost its picture 100 ms on average, more than the
playout delay (``playout.py``) covers, and the picture froze. Here each missing packet is asked
for again a little over one repair time after it was last asked for: the time from a NACK to
the retransmission's arrival, timed on packets asked for once (Karn's rule) and smoothed;
:data:`RETRY` until one has been timed. A packet is asked for at most :data:`MAX_ASKS` times and
never once it is :data:`DEADLINE` old (the receive path gives up on it then and asks for a
keyframe instead, ``video_receive.MAX_WAIT``).

Pure: the caller passes the set of missing sequence numbers (aiortc's NACK generator's) and the
time, and the packets the receive path gave up on (:meth:`Renack.given_up`: they leave the
missing set too, but were never repaired, so they are not timed); the server's uplink does the same for its publishers (``server/sfu/repair.UplinkNacks``).
"""

from __future__ import annotations

from rtcseam.repair_time import RepairTimer

__all__ = ["DEADLINE", "MAX_ASKS", "RETRY", "Renack"]

#: Before any repair was timed: ask again this long after the last ask (seconds); once timed,
#: 1.5 repair times after it, at least RETRY_MIN.
RETRY = 0.2
RETRY_MIN = 0.04
#: Times a packet is asked for at most (aiortc's first NACK included).
MAX_ASKS = 4
#: A packet missing this long is no longer asked for (seconds).
DEADLINE = 0.3


class Renack:
    """The repeat NACK schedule of one received stream (see the module)."""

    def __init__(self) -> None:
        self._asked: dict[int, list] = {}  # seq -> [first seen missing, asks, last asked]
        self.timer = RepairTimer(RETRY, RETRY_MIN)
        self.asked_again = 0  # NACKs repeated so far (packets)

    @property
    def repair_time(self) -> float | None:
        """Seconds from a NACK to its retransmission, smoothed (None: not timed yet)."""
        return self.timer.repair_time

    def given_up(self, seqs: list[int]) -> None:
        """The receive path stopped waiting for ``seqs`` (a keyframe went past them): forget
        them without timing them, as they left the missing set unrepaired."""
        for seq in seqs:
            self._asked.pop(seq, None)

    def due(self, missing: set[int], now: float) -> list[int]:
        """The packets of ``missing`` (still missing at ``now``) to ask for again now."""
        asked = self._asked
        for seq in [s for s in asked if s not in missing]:  # came
            first, asks, _last = asked.pop(seq)
            if asks == 1 and now - first <= DEADLINE:
                self.timer.repaired(now - first)
        retry = self.timer.retry
        again = []
        for seq in missing:
            entry = asked.get(seq)
            if entry is None:
                asked[seq] = [now, 1, now]  # aiortc asked for it when it saw the gap
                continue
            first, asks, last = entry
            if asks >= MAX_ASKS or now - first > DEADLINE or now - last < retry:
                continue
            entry[1], entry[2] = asks + 1, now
            again.append(seq)
        self.asked_again += len(again)
        return sorted(again)
