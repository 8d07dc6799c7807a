"""Repair with a budget: which lost packets a subscriber gets again, and when it gets a
keyframe instead.

A retransmission that cannot arrive in time is waste that starves the link it is meant to
help (issue 17: on a 1.5 Mbit/s downlink 94 % of what was dropped at the bottleneck was
retransmissions). So a subscriber's link has one :class:`RepairBudget`: a token bucket filled at
:data:`REPAIR_SHARE` of the link's estimate, and an age limit (:data:`REPAIR_DEADLINE`) past which
a packet is not sent again at all; a packet is resent at most :data:`MAX_RESENDS` times. A NACK
that is refused for a video packet turns into a keyframe request instead, and those are
coalesced twice over (:class:`KeyframeGate`): per up track (a publisher's layer) at most one
request every :data:`KEYFRAME_MIN_INTERVAL`, and per down track at most one loss-driven request
every :data:`LOSS_KEYFRAME_INTERVAL` while others take the same layer, so that one subscriber's
loss costs everyone else at most one keyframe per 5 s (a layer nobody else takes, such as the
small one only a poor link gets, is limited by the first gate alone, and so is a request that
follows a packet lost on the publisher's own link: that loss is everyone's). A loss held by
the 5 s limit is mended on the camera's small layer instead, when nobody else takes that one
(forwarding.DownTrack._recover).

The publisher's side has a budget too (:class:`UplinkNacks`): which of its lost packets the
server asks for again.

Everything here takes the time as an argument: tests drive it with made-up clocks.
"""

from __future__ import annotations

from rtcseam.repair_time import RepairTimer

#: Share of the subscriber's estimated downlink that retransmissions may use.
REPAIR_SHARE = 0.15
#: A packet first sent longer ago than this (seconds) is not resent: it would arrive after the
#: receiver stopped waiting for it (the receive side holds video at most a few hundred ms).
REPAIR_DEADLINE = 0.3
#: Times one packet may be resent, within REPAIR_DEADLINE (receivers ask again a round trip or
#: so after their last NACK). On a link that loses 5 % each way a NACK or its answer is lost
#: one time in ten: resent at most twice, one lost packet in a hundred became a keyframe
#: request, held by the 5 s limit and mended on the small layer (forwarding.DownTrack._recover).
MAX_RESENDS = 3
#: The bucket holds at most this many seconds of its rate (a burst after a quiet spell).
BURST_SECONDS = 0.25
#: Least bucket depth in bytes, so one full packet can always be resent on a slow link.
MIN_BURST_BYTES = 1500
#: Seconds between keyframe requests to one publisher for one layer (whoever asks).
KEYFRAME_MIN_INTERVAL = 1.0
#: Seconds between keyframe requests caused by one subscriber's loss (per down track).
LOSS_KEYFRAME_INTERVAL = 5.0
#: A keyframe request within this many seconds of a packet lost on the publisher's own link is
#: not one subscriber's loss (everyone missed that packet): only the per-layer limit applies.
UPSTREAM_LOSS_RECENT = 2.0


class RepairBudget:
    """Bytes of retransmission one subscriber's link may carry: ``REPAIR_SHARE`` of
    ``estimate_bps`` (kept current by the caller), spent packet by packet."""

    def __init__(self, estimate_bps: float, now: float) -> None:
        self.estimate_bps = estimate_bps
        self._tokens = self._depth()
        self._at = now
        self.sent_bytes = 0
        self.refused_late = 0
        self.refused_budget = 0

    def _rate(self) -> float:
        return REPAIR_SHARE * self.estimate_bps / 8  # bytes per second

    def _depth(self) -> float:
        return max(MIN_BURST_BYTES, self._rate() * BURST_SECONDS)

    def allow(self, size: int, first_sent: float, resends: int, now: float,
              asked_at: float | None = None, rtt: float | None = None) -> bool:
        """May a packet of ``size`` bytes, first sent at ``first_sent`` and resent ``resends``
        times so far, be resent now? Spends the budget when it may.

        In time: the receiver waits REPAIR_DEADLINE from when it saw the hole, about when its
        first NACK for the packet left it. With the subscriber's round trip ``rtt`` known and
        that NACK's arrival ``asked_at``, a retransmission sent now arrives in time when
        ``now - asked_at + rtt <= REPAIR_DEADLINE``: on a link whose queue holds packets
        200 ms the NACK itself comes late, but the first answer still arrives in time. Without
        them: when the packet was first sent at most REPAIR_DEADLINE ago."""
        self._tokens = min(self._depth(), self._tokens + (now - self._at) * self._rate())
        self._at = now
        if asked_at is not None and rtt is not None:
            late = now - asked_at + rtt > REPAIR_DEADLINE or now - first_sent > REPAIR_DEADLINE + rtt
        else:
            late = now - first_sent > REPAIR_DEADLINE
        if late or resends >= MAX_RESENDS:
            self.refused_late += 1
            return False
        if self._tokens < size:
            self.refused_budget += 1
            return False
        self._tokens -= size
        self.sent_bytes += size
        return True


class KeyframeGate:
    """When a keyframe request may go: ``may_request(now)`` for the publisher's layer (at most
    one every ``interval``), with ``pending_delay`` saying how long a refused one waits."""

    def __init__(self, interval: float = KEYFRAME_MIN_INTERVAL) -> None:
        self.interval = interval
        self._last = float("-inf")
        self.sent = 0

    def may_request(self, now: float) -> bool:
        if now - self._last >= self.interval:
            self._last = now
            self.sent += 1
            return True
        return False

    def pending_delay(self, now: float) -> float:
        return max(0.0, self._last + self.interval - now)


#: The uplink: a lost packet is asked for again this long after the first NACK, if still missing
#: (until a repair has been timed; then 1.5 times the usual repair time, within
#: :data:`UPLINK_RETRY_MIN` and this: ``rtcseam.repair_time.RepairTimer``).
UPLINK_RETRY = 0.12
UPLINK_RETRY_MIN = 0.04
#: ... and not at all once it is this old (its frame would be given up on downstream).
UPLINK_DEADLINE = 0.3
#: Times one lost packet is asked for (within UPLINK_DEADLINE). On a link that loses 5 % each
#: way a NACK or its answer is lost one time in ten: asked twice, about one packet in a hundred
#: was given up on, half a run's worth in the bench's 16 s, and each was a keyframe and a
#: freeze for everyone who watches that camera; asked three times, one in a thousand.
UPLINK_MAX_ASKS = 3
#: A gap larger than this (packets) is a burst or a restart: its packets are not asked for.
UPLINK_MAX_GAP = 64
#: Packets asked for in one second at most, as a share of the packets that arrived in it.
UPLINK_NACK_SHARE = 0.15
#: ... but always this many (a quiet audio stream must still get its few holes filled).
UPLINK_NACK_FLOOR = 10


def _seq_newer(a: int, b: int) -> bool:
    return a != b and ((a - b) & 0xFFFF) < 0x8000


class UplinkNacks:
    """Which lost packets of one published stream the server asks its publisher for again.

    aiortc's receiver NACKs every packet still missing (up to 128 back) each time a new one goes
    missing, and its sender resends whatever is asked, with no limit: on a lossy or capped
    uplink the retransmissions pile onto the very link that drops them (issue 17: a 500 kbit/s
    uplink was offered 8.5 Mbit/s). Here a lost packet is asked for when its gap is seen, and
    again (up to :data:`UPLINK_MAX_ASKS` times in all) each time a little over the usual repair
    time has passed (the time from a NACK to its retransmission, timed on packets asked for
    once; :data:`UPLINK_RETRY` until one was) if still missing: a retransmission that was lost
    too then costs one round trip more, not a fixed 120 ms. Never once older than
    :data:`UPLINK_DEADLINE`; a gap over :data:`UPLINK_MAX_GAP` packets is not asked for at all;
    and at most :data:`UPLINK_NACK_SHARE` of the packets that arrive in a second are asked for.
    ``clock`` is injected (tests)."""

    def __init__(self, clock) -> None:
        self._clock = clock
        self._max: int | None = None
        self._missing: dict[int, list] = {}  # seq -> [first seen missing at, asked, last asked at]
        self._second = 0.0
        self._arrived = 0  # packets arrived in the current second
        self._asked = 0  # packets asked for in it
        self.asked_total = 0
        self.refused_total = 0
        self.arrived_total = 0  # packets that arrived (retransmissions included)
        self.missing_total = 0  # packets seen missing (each once, asked for or not)
        #: packets given up on (asked for in vain until too old, or a gap too large to ask for):
        #: every subscriber misses them, so the layer needs a keyframe (peers.PublisherPeer.steer)
        self.given_up = 0
        self.repaired = 0  # missing packets that came after all (a retransmission, or late)
        self.gap_at = float("-inf")  # when a packet last went missing (a new gap; the clock's time)
        self.timer = RepairTimer(UPLINK_RETRY, UPLINK_RETRY_MIN)

    @property
    def repair_time(self) -> float | None:
        """Seconds from a NACK to its retransmission, smoothed (None: not timed yet)."""
        return self.timer.repair_time

    @property
    def retry(self) -> float:
        """How long after a NACK a packet still missing is asked for again (seconds)."""
        return self.timer.retry

    def add(self, seq: int) -> list[int]:
        """A packet ``seq`` arrived: the sequence numbers to NACK now (often none)."""
        now = self._clock()
        if now - self._second >= 1.0:
            self._second, self._arrived, self._asked = now, 0, 0
        self._arrived += 1
        self.arrived_total += 1
        last = self._max
        if last is None:
            self._max = seq
            return []
        if _seq_newer(seq, last):
            self._max = seq
            gap = (seq - last - 1) & 0xFFFF
            if gap == 0 and not self._missing:
                return []  # the usual case
            self.missing_total += gap
            if gap:
                self.gap_at = now
            if 0 < gap <= UPLINK_MAX_GAP:
                for n in range(1, gap + 1):
                    self._missing[(last + n) & 0xFFFF] = [now, 0, 0.0]
            elif gap:
                self.given_up += 1
        else:
            entry = self._missing.pop(seq, None)
            if entry is None:
                return []
            self.repaired += 1
            if entry[1] == 1:  # asked for once: the time it took is the round trip's (Karn)
                self.timer.repaired(now - entry[2])
            if not self._missing:
                return []
        return self._due(now)

    def _due(self, now: float) -> list[int]:
        due = []
        retry = self.retry
        allowed = max(UPLINK_NACK_FLOOR, int(UPLINK_NACK_SHARE * self._arrived)) - self._asked
        for seq, entry in list(self._missing.items()):
            first, asked, last_asked = entry
            if now - first > UPLINK_DEADLINE:
                del self._missing[seq]
                self.given_up += 1
                continue
            if asked >= UPLINK_MAX_ASKS:
                continue  # asked for enough: it may still come, until the deadline
            if asked and now - last_asked < retry:
                continue
            if len(due) >= allowed:
                self.refused_total += 1
                self.given_up += 1
                del self._missing[seq]
                continue
            entry[1], entry[2] = asked + 1, now
            due.append(seq)
        self._asked += len(due)
        self.asked_total += len(due)
        return due
