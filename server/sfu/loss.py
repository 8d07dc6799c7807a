"""The loss side of a subscriber's downlink estimate: GCC's loss-based controller (libwebrtc's
``SendSideBandwidthEstimation``), on the loss the subscriber's receiver reports say.

The delay-based estimate (the REMB each video section sends, downlink.py) sees a queue while it
grows; once a small cap's queue is full and dropping, the delay stops growing and the REMB says
all is well again, so a link a few percent short of what is sent stays a few percent short for
ever, every dropped packet a frozen picture. Loss says it plainly: downlink.py counts the
packets lost from each section's receiver reports (RFC 3550's fraction lost, in which a
retransmission that arrived counts as received; the NACKs were tried first, but a receiver
NACKs what a publisher's own uplink lost too, and what a repair mended). Over the last
:data:`WINDOW` seconds of what was forwarded to the subscriber (video, at least
:data:`MIN_PACKETS` packets to judge):

* loss above :data:`HIGH`: the link carries less than is sent: the cap is what was sent times
  (1 - loss / 2) (GCC's decrease);
* loss between :data:`LOW` and ``HIGH`` with a queue standing (:attr:`LossControl.queueing`,
  below): the cap is what got through (what
  was sent, less the loss): a full queue a few percent short is drained (GCC's delay-based side
  would have caught the queue; here the REMB no longer does); without a queue (random loss, a
  radio link) it holds, as GCC does: repair is what helps there, not fewer pictures;
* loss under ``LOW``: the cap grows :data:`GROWTH` a second, and goes away once it is twice what
  is sent (it no longer binds); it grows too while too little is sent to judge.

After each cut the window starts again, so the same losses do not cut twice.

A queue stands (:attr:`LossControl.queueing`) when every round trip the receiver reports gave
over the last :data:`QUEUE_SPAN` seconds is :data:`QUEUE_DELAY` over the least one ever seen
(the link without a queue). Each is taken as measured, not smoothed (aiortc's smoothing kept
85 % of the old value at each report, so a 200 ms queue that built in two seconds showed as
one only once it overflowed, and the least round trip it kept was the first one's, queue
included), and the least of a span: a keyframe's burst queues one sender report, a link that
carries less than is sent queues them all.
:attr:`LossControl.lossy` (loss at or above ``LOW``) also tells the allocation to keep no slack
for what is already on (downlink.OVERUSE_SHARE is for a queue that carried everything).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

__all__ = ["GROWTH", "HIGH", "LOW", "LossControl", "MIN_PACKETS", "QUEUE_DELAY", "QUEUE_SPAN", "WINDOW"]

LOW = 0.02
HIGH = 0.10
WINDOW = 1.0  # seconds of forwarding the loss share is taken over
MIN_PACKETS = 20
GROWTH = 1.08  # a second, while the loss is low
#: A round trip this much (seconds) over the least one seen: a queue is standing on the link.
QUEUE_DELAY = 0.05
#: Seconds of round trips judged together (the subscriber connection sends a sender report
#: every 0.5 s, peers.REPORT_INTERVAL: two or three of them).
QUEUE_SPAN = 1.0


class LossControl:
    """Feed it the subscriber's cumulative video counters each tick; ``cap`` is the loss-based
    limit in bit/s (None: none)."""

    def __init__(self) -> None:
        self.cap: float | None = None
        self.base_rtt: float | None = None  # the least round trip seen: the link without a queue
        #: the least round trip of the last QUEUE_SPAN over base_rtt (seconds; None: none came)
        self.queue_delay: float | None = None
        self.queueing = False  # queue_delay is over QUEUE_DELAY
        #: the most any round trip of the last QUEUE_SPAN was over base_rtt: a link is calm only
        #: while it is under QUEUE_DELAY (seconds; None: none came)
        self.queue_peak: float | None = None
        self._rtts: deque[tuple[float, float]] = deque()  # (when it came, round trip)
        self.loss: float | None = None  # over the window (None: too little sent to judge)
        #: what was forwarded over the last window judged (bit/s; None: nothing judged yet)
        self.rate: float | None = None
        self._mark: tuple[int, int, int] | None = None
        self._at: float | None = None
        #: per tick: (when it began, packets, packets NACKed, bytes)
        self._samples: deque[tuple[float, int, int, int]] = deque()

    @property
    def lossy(self) -> bool:
        """Losing what a queue drops: no slack for what is on."""
        return self.loss is not None and (self.loss > HIGH or (self.loss >= LOW and self.queueing))

    @property
    def heavy(self) -> bool:
        """Losing more than HIGH: what does not fit must go now, not after the allocation's
        damping (which is there for an estimate's noise, not for a link that drops)."""
        return self.loss is not None and self.loss > HIGH

    def update(self, packets: int, nacked: int, sent_bytes: int, now: float,
               rtts: Iterable[float] = ()) -> float | None:
        """The counters so far (packets and bytes forwarded, packets lost on the way), and the
        round trips (seconds) the subscriber's receiver reports gave since the last call."""
        for rtt in rtts:
            self.base_rtt = rtt if self.base_rtt is None else min(self.base_rtt, rtt)
            self._rtts.append((now, rtt))
        while self._rtts and now - self._rtts[0][0] > QUEUE_SPAN + 1e-6:
            self._rtts.popleft()
        if self._rtts and self.base_rtt is not None:
            self.queue_delay = min(rtt for _, rtt in self._rtts) - self.base_rtt
            self.queue_peak = max(rtt for _, rtt in self._rtts) - self.base_rtt
        else:  # no report came lately: nothing known of a queue
            self.queue_delay = self.queue_peak = None
        self.queueing = self.queue_delay is not None and self.queue_delay > QUEUE_DELAY
        mark, self._mark = self._mark, (packets, nacked, sent_bytes)
        before, self._at = self._at, now
        if mark is None or before is None:
            return self.cap
        self._samples.append((before, max(0, packets - mark[0]), max(0, nacked - mark[1]),
                              max(0, sent_bytes - mark[2])))
        while self._samples and now - self._samples[0][0] > WINDOW + 1e-6:
            self._samples.popleft()
        sent = sum(s[1] for s in self._samples)
        if sent < MIN_PACKETS or not self._samples:  # too little sent to judge (all paused, say)
            self.loss = None
            if self.cap is not None:
                self.cap *= GROWTH ** (now - before)
            return self.cap
        rate = self.rate = 8 * sum(s[3] for s in self._samples) / (now - self._samples[0][0])
        loss = self.loss = min(1.0, sum(s[2] for s in self._samples) / sent)
        if loss > HIGH:
            limit = rate * (1 - loss / 2)
            self.cap = limit if self.cap is None else min(self.cap, limit)
            self._samples.clear()  # judged: the next cut looks only at what is sent after this one
        elif loss >= LOW and self.queueing:
            limit = rate * (1 - loss)  # what got through
            self.cap = limit if self.cap is None else min(self.cap, limit)
            self._samples.clear()
        elif loss >= LOW:
            pass  # loss without a queue (a lossy radio link): hold, as GCC does
        elif self.cap is not None:
            self.cap *= GROWTH ** (now - before)
            if self.cap > 2 * rate:
                self.cap = None
        return self.cap
