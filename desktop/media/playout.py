"""``PlayoutDelay``: when each decoded picture of a received video is shown.

Without it a picture is shown the moment it is decoded, so every picture that waited for a
retransmission (a round trip, 40–100 ms) and the pictures queued behind it come late and then all
at once: a freeze of more than three frame intervals for each repaired packet, although nothing
was lost for good (issue 17: 19 % of the time frozen on a link losing 5 % of its packets). A
video receiver in a browser holds every picture for a short, adaptive delay instead (libwebrtc's
``VCMTiming``: render time = capture time + the current delay, which grows with the jitter it has
seen, retransmissions included). This is that, kept small and simple:

* Each complete frame's *offset* is its arrival time minus its RTP time (90 kHz). The lowest
  offset of the last ``BASE_WINDOW`` seconds is the stream's *base*: a frame that came as early
  as any came. A frame's *lateness* is its offset over the base.
* The *delay* covers the lateness of all but the latest ``LATE_SHARE`` of the frames of the last
  ``DELAY_WINDOW`` seconds (all but the latest one at least), at most ``MAX_DELAY``: one frame that came very late (a
  retransmission lost again) does not hold every picture back for seconds; a picture later than
  the delay is shown as soon as it is decoded. The delay rises at once; it falls at most
  ``DECAY`` seconds per second, so pictures are then shown slightly faster than they were filmed
  (5 %: nobody sees it), never in a jump.
* A picture is due at base + its RTP time + the delay + ``extra``. One that is already late is
  shown at once. ``extra`` is lip sync's (``lipsync.LipSync``): how long the pictures are held
  to wait for the person's voice; 0 unless the voice is the later.

On a clean link the lateness is the link's and the machine's jitter (a few ms), so the delay is
too. On a lossy one the delay settles at about one repair, which keeps the picture moving at the
camera's pace and video at most ``MAX_DELAY`` behind the voice (the audio jitter buffer keeps its
own, smaller delay; lip sync then holds the voice back to match, up to its own bound).

A keyframe starts the base again. The forwarding unit continues a section's RTP timestamps when
it switches the section to another layer or person (or resumes it after a pause) at a keyframe,
so the offset can jump there; a keyframe that merely came late pulls nothing up for long: the
frames after it come at the usual offset and the base is their minimum again.

No I/O and no clock of its own: times come in as arguments (tests drive it with made-up ones).
"""

from __future__ import annotations

import heapq
import math
from collections import deque

__all__ = ["BASE_WINDOW", "DECAY", "DELAY_WINDOW", "LATE_SHARE", "MAX_DELAY", "PlayoutDelay"]

RTP_CLOCK = 90000.0
#: The base is the lowest offset of this many seconds (seconds).
BASE_WINDOW = 5.0
#: The delay covers the latest frame of this many seconds (seconds).
DELAY_WINDOW = 3.0
#: The delay never exceeds this (seconds): video is never held further behind the voice.
MAX_DELAY = 0.2
#: The share of the window's frames the delay may leave late (the latest ones). Well under the
#: share of frames a lossy link has repaired: at 5 % packet loss a camera's frame of one or two
#: packets is repaired about as often as 5 % of the time, so a 5 % share left the delay under a
#: single repair whenever a 3 s window held fewer than five of them (4.9 % frozen in a bench
#: run; bench/playout_sim.py: worst 6.0 % at 5 %, 2.6 % at 2 %, for ~35 ms more delay there).
LATE_SHARE = 0.02
#: The delay falls at most this many seconds per second.
DECAY = 0.05


class PlayoutDelay:
    """The playout schedule of one received video section (see the module)."""

    def __init__(self, max_delay: float = MAX_DELAY, base_window: float = BASE_WINDOW,
                 delay_window: float = DELAY_WINDOW, decay: float = DECAY, late_share: float = LATE_SHARE) -> None:
        self.max_delay = max_delay
        self.late_share = late_share
        self.base_window = base_window
        self.delay_window = delay_window
        self.decay = decay
        self.delay = 0.0  # seconds: the current playout delay
        self.extra = 0.0  # seconds: lip sync's hold on top of it (kept across a reset)
        self._lows: deque[tuple[float, float]] = deque()  # (arrival, offset), offsets increasing
        self._late: deque[tuple[float, float]] = deque()  # (arrival, lateness) of the delay's window
        self._last_ext: int | None = None
        self._updated: float | None = None

    def reset(self) -> None:
        """Forget the stream (a pause): it starts again with no delay."""
        self._lows.clear()
        self._late.clear()
        self._last_ext = self._updated = None
        self.delay = 0.0

    def _extend(self, timestamp: int) -> int:
        """The RTP timestamp, unwrapped to the nearest of the latest one seen (either way), as
        the audio jitter buffer does."""
        base = self._last_ext
        if base is None:
            self._last_ext = timestamp
            return timestamp
        ext = base + ((timestamp - base + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        self._last_ext = max(base, ext)
        return ext

    def arrived(self, timestamp: int, now: float, keyframe: bool = False) -> None:
        """The frame of RTP time ``timestamp`` is complete at ``now`` (it goes to the decoder)."""
        offset = now - self._extend(timestamp) / RTP_CLOCK
        lows = self._lows
        if keyframe:
            lows.clear()
        while lows and lows[-1][1] >= offset:
            lows.pop()
        lows.append((now, offset))
        while lows[0][0] < now - self.base_window:
            lows.popleft()
        lateness = offset - lows[0][1]
        late = self._late
        late.append((now, lateness))
        while late[0][0] < now - self.delay_window:
            late.popleft()
        left_late = max(1, math.floor(self.late_share * len(late)))  # this many may stay late (one at least)
        covered = heapq.nlargest(left_late + 1, (value for _, value in late))[-1]
        wanted = min(self.max_delay, covered)
        if self._updated is None or wanted >= self.delay:
            self.delay = wanted
        else:
            self.delay = max(wanted, self.delay - self.decay * (now - self._updated))
        self._updated = now

    def due(self, timestamp: int) -> float | None:
        """When the picture of RTP time ``timestamp`` is to be shown (None: nothing arrived yet)."""
        if not self._lows:
            return None
        return self._lows[0][1] + self._extend(timestamp) / RTP_CLOCK + self.delay + self.extra
