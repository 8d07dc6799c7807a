"""A received voice counted at the packet, for the light receive path (``parley-bot --light``:
nothing decoded, so no jitter buffer to say what was lost or late).

``VoicePacketCount.on_packet`` sees each RTP packet of one audio section as it arrives (its
sequence number, RTP timestamp and the clock's time): how many came, how many came late, and
the highest sequence number and RTP timestamp so far (unwrapped). Over a window,
``voice_window`` then tells apart what a listener would hear from what the publisher did:

- **expected**: the sequence numbers the publisher used in the window (RFC 3550's "expected":
  the highest now less the highest before; from the first one that came, for a voice that
  began inside the window). A packet the publisher never sent uses none.
- **delivered share**: of those, the ones that came in time (``late`` ones do not count).
- **late**: packets that came more than ``LATE_AFTER`` later than the fastest packet of that
  voice in the ``REFERENCE_SPAN`` before, judged by RTP time against the arrival clock (an
  adaptive jitter buffer follows a delay that lasts, and plays on without a packet that late).
- **behind fastest**: how much later the window's packets came on average than the fastest
  packet of that voice ever did (a delay that lasts: queues on the way, which the late count
  does not see).
- **live seconds** and **sent per s**: how long the voice ran in the window by its own RTP
  clock, and how many packets a second the publisher sent over it (a voice sends one each
  ``ptime``, 50 a second: fewer means the publisher itself skipped some, as a replayed voice
  on a starved machine does, which no network nor server caused).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["LATE_AFTER", "VoiceCountSnapshot", "VoicePacketCount", "voice_window"]

LATE_AFTER = 0.2  # s later than the voice's recent fastest packet: too late to be played
REFERENCE_SPAN = 2.0  # s of arrivals the fastest is taken over, for ``late``
OPUS_CLOCK_RATE = 48000
PTIME = 0.02


@dataclass(frozen=True)
class VoiceCountSnapshot:
    """One voice's counts at a moment (``VoicePacketCount.snapshot``)."""

    packets: int  # packets that came (a repeat counts again)
    late: int  # of them, came later than LATE_AFTER behind the fastest
    first: int  # unwrapped sequence number of the first packet that came
    highest: int  # unwrapped highest sequence number so far
    first_timestamp: int  # unwrapped RTP timestamp of the first packet
    highest_timestamp: int  # unwrapped RTP timestamp of the highest packet
    transit_sum: float = 0.0  # arrival less RTP time, summed over the packets (s)
    fastest: float = 0.0  # the smallest arrival less RTP time so far (s)


class VoicePacketCount:
    """Counts of one received audio section since it was made."""

    def __init__(self, clock_rate: int = OPUS_CLOCK_RATE, late_after: float = LATE_AFTER) -> None:
        self.clock_rate = clock_rate
        self.late_after = late_after
        self.packets = 0
        self.late = 0
        self._first: int | None = None
        self._highest = 0
        self._first_ts = 0
        self._highest_ts = 0
        self._fastest: float | None = None  # the smallest arrival less RTP time seen (s)
        self._recent: deque[tuple[float, float]] = deque()  # (arrival, transit), transit rising
        self._transit_sum = 0.0
        self._origin: float | None = None

    def on_packet(self, sequence_number: int, timestamp: int, now: float) -> None:
        self.packets += 1
        if self._first is None:
            self._first = self._highest = sequence_number
            self._first_ts = self._highest_ts = timestamp
        else:  # unwrapped against the highest so far (a late one lies behind it)
            delta = ((sequence_number - self._highest + 0x8000) & 0xFFFF) - 0x8000
            timestamp = self._highest_ts + ((timestamp - self._highest_ts + 0x80000000) & 0xFFFFFFFF) - 0x80000000
            if delta > 0:
                self._highest += delta
                self._highest_ts = timestamp
        transit = now - timestamp / self.clock_rate
        if self._origin is None:
            self._origin = transit
        transit -= self._origin  # from the first packet's (a clock less RTP time is large)
        if self._fastest is None or transit < self._fastest:
            self._fastest = transit
        self._transit_sum += transit
        recent = self._recent  # the fastest of the last REFERENCE_SPAN at its front
        while recent and recent[-1][1] >= transit:
            recent.pop()
        recent.append((now, transit))
        while recent[0][0] < now - REFERENCE_SPAN:
            recent.popleft()
        if transit - recent[0][1] > self.late_after:
            self.late += 1

    def snapshot(self) -> VoiceCountSnapshot | None:
        """The counts now; None before any packet came."""
        if self._first is None:
            return None
        assert self._fastest is not None
        return VoiceCountSnapshot(self.packets, self.late, self._first, self._highest,
                                  self._first_ts, self._highest_ts, self._transit_sum, self._fastest)


def voice_window(before: VoiceCountSnapshot | None, now: VoiceCountSnapshot, window_s: float,
                 clock_rate: int = OPUS_CLOCK_RATE, ptime: float = PTIME) -> dict:
    """One voice's figures over a window of ``window_s`` seconds: ``before`` at its start
    (None: nothing had come yet), ``now`` at its end."""
    if before is None:  # began inside the window: from its first packet on
        came, late, transit = now.packets, now.late, now.transit_sum
        expected = now.highest - now.first + 1
        live = (now.highest_timestamp - now.first_timestamp) / clock_rate + ptime
    else:
        came, late = now.packets - before.packets, now.late - before.late
        transit = now.transit_sum - before.transit_sum
        expected = now.highest - before.highest
        live = (now.highest_timestamp - before.highest_timestamp) / clock_rate
    in_time = came - late
    return {
        "packets": came,
        "packets_per_s": round(came / window_s, 2) if window_s > 0 else None,
        "expected": expected,
        "late": late,
        "delivered_share": round(min(1.0, in_time / expected), 4) if expected > 0 else None,
        "behind_fastest_ms": round((transit / came - now.fastest) * 1000.0, 1) if came > 0 else None,
        "live_seconds": round(live, 2),
        "sent_per_s": round(expected / live, 2) if live > 0 else None,
    }
