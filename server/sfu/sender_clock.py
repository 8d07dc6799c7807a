"""Sender-report translation: each down track's RTCP sender reports carry its publisher's clock.

A receiver plays one person's voice and video in step (desktop/media/lipsync.py) by relating each
stream's RTP time to one clock: the NTP time in that stream's sender reports (RFC 3550 6.4.1).
The forwarding unit rewrites each down track's timestamps, and used to report for each the
server's wall clock at the moment its latest packet was *forwarded*: a mapping of arrival, not
of capture, in which a video frame (encoded, packetised, queued, repaired) and the voice of the
same instant land tens of milliseconds, and after a repair a round trip, apart.

As LiveKit's forwarder does, each down track now reports the *publisher's* mapping instead,
translated into its own timestamps and onto the server's clock:

* ``SenderClock`` (one per up track) keeps the latest sender report the publisher sent for it:
  the publisher's NTP time for one of its RTP times.
* ``PublisherClock`` (one per publisher, shared by its microphone and every layer of its camera)
  keeps how far the server's clock is ahead of the publisher's: the least (arrival minus the
  report's NTP time) over the publisher's reports of the last ``OFFSET_WINDOW`` seconds, i.e. its
  clock offset plus the fastest uplink transit. One offset for all of a publisher's streams, so
  a report that came late (queued behind a keyframe) moves none of them.
* A down track's report says, for the server's NTP time *now*, the RTP time (in its rewritten
  space) that the publisher's clock gives to now minus that offset: ``SenderClock.rtp_at`` plus
  the down track's timestamp offset. Its NTP field is the server's own time, so the round trip
  the subscriber's receiver reports echo (LSR/DLSR) stays right.

Before a publisher's first report for the up track a down track carries, it reports as before
(the RTP time of its latest packet and the server's time when it was sent): a receiver then has
no common clock for that person yet, and its synchroniser waits for one.

At a layer switch the down track keeps its mapping (``aligned_offset``): the new layer's
timestamps are offset so that the same instant of the publisher's clock has the same rewritten
RTP time on both layers, so a receiver's last report stays true across the switch.

No I/O: times are passed in (NTP as 64-bit fixed point, as aiortc's ``current_ntp_time``).
"""

from __future__ import annotations

import weakref
from collections import deque

__all__ = ["OFFSET_WINDOW", "PublisherClock", "SenderClock", "aligned_offset", "publisher_clock"]

NTP_ONE = float(1 << 32)
#: Seconds of a publisher's reports its clock offset is the least of.
OFFSET_WINDOW = 10.0
#: A timestamp offset computed from the reports is used only if it moves the rewritten time
#: forward by at most this many seconds past the latest packet (else the step guess stays).
MAX_ALIGN_STEP = 2.0

_publishers: weakref.WeakValueDictionary[str, PublisherClock] = weakref.WeakValueDictionary()


class PublisherClock:
    """The server's clock minus one publisher's, plus the fastest uplink transit (seconds)."""

    def __init__(self, window: float = OFFSET_WINDOW) -> None:
        self.window = window
        self._lows: deque[tuple[float, float]] = deque()  # (arrival, offset), offsets increasing

    def add(self, arrived: float, offset: float) -> None:
        lows = self._lows
        while lows and lows[-1][1] >= offset:
            lows.pop()
        lows.append((arrived, offset))
        while lows[0][0] < arrived - self.window:
            lows.popleft()

    @property
    def offset(self) -> float | None:
        return self._lows[0][1] if self._lows else None


def publisher_clock(attendee_id: str) -> PublisherClock:
    """The clock every up track of ``attendee_id`` shares (kept while any of them lives)."""
    clock = _publishers.get(attendee_id)
    if clock is None:
        clock = _publishers[attendee_id] = PublisherClock()
    return clock


class SenderClock:
    """One up track's media clock, from its publisher's latest sender report."""

    def __init__(self, clock_rate: int, publisher: PublisherClock) -> None:
        self.clock_rate = clock_rate
        self.publisher = publisher
        self.reports = 0
        self._report: tuple[float, int] | None = None  # (publisher's NTP seconds, RTP time)

    def on_report(self, ntp: int, rtp: int, arrived_ntp: int) -> None:
        """The publisher's sender report said ``rtp`` is at its NTP time ``ntp``; it arrived at
        the server's NTP time ``arrived_ntp``."""
        seconds = ntp / NTP_ONE
        self._report = (seconds, rtp & 0xFFFFFFFF)
        self.reports += 1
        arrived = arrived_ntp / NTP_ONE
        self.publisher.add(arrived, arrived - seconds)

    def rtp_at(self, server_ntp: int) -> int | None:
        """The publisher's RTP time (this up track's timestamps) for the server's NTP time
        ``server_ntp``; None before its first report."""
        offset = self.publisher.offset
        if self._report is None or offset is None:
            return None
        seconds, rtp = self._report
        elapsed = server_ntp / NTP_ONE - offset - seconds
        return (rtp + round(elapsed * self.clock_rate)) & 0xFFFFFFFF


def aligned_offset(old: SenderClock | None, old_offset: int, new: SenderClock | None,
                   server_ntp: int, last_ts: int, new_ts: int) -> int | None:
    """The timestamp offset for a down track switching from up track ``old`` (rewritten with
    ``old_offset``) to ``new``, another layer of the same camera, such that one instant of the
    publisher's clock has one rewritten RTP time on both; the new layer's first packet (RTP time
    ``new_ts``) must come after the latest one sent (``last_ts``, rewritten), by at most
    MAX_ALIGN_STEP. None: no reports to align by, or the result would not do."""
    if old is None or new is None or old.clock_rate != new.clock_rate:
        return None
    at_old, at_new = old.rtp_at(server_ntp), new.rtp_at(server_ntp)
    if at_old is None or at_new is None:
        return None
    offset = (at_old + old_offset - at_new) & 0xFFFFFFFF
    step = (new_ts + offset - last_ts) & 0xFFFFFFFF
    if not 0 < step <= MAX_ALIGN_STEP * new.clock_rate:
        return None
    return offset
