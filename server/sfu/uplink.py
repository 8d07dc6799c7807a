"""A publisher's uplink: how fast it can send (estimated from what arrives) and what its
encoders are told (REMB).

Every video packet a publisher sends carries abs-send-time (aiortc stamps it); the server's
packet tap (seam.tap_receiver) bypasses aiortc's receiver, so :class:`Uplink` feeds aiortc's
own estimator (seam.BitrateEstimator: inter-arrival delay gradient, overuse detector, AIMD)
itself, one per publisher connection for all its video layers. ``target`` says what each layer's
encoder should aim at: the lower of what is left of the uplink estimate once the smaller layers
had theirs (the smallest layer first: it is what a poor downlink takes) and what the layer's
subscribers can use (its nominal rate, :data:`LAYER_BITRATE`, while anyone takes it). ``remb_due``
decides when a new value is worth sending: aiortc recreates its VP8 encoder, with a keyframe,
when the target moves by more than 10 %, so smaller moves are not sent, falls at most every
:data:`DECREASE_INTERVAL` and rises at most every :data:`INCREASE_INTERVAL`. ``allow_high``
decides whether the whole picture is sent at all: not on an uplink that stays congested and
losing (or congested under :data:`HIGH_NEEDS`), nor one losing more than :data:`HIGH_LOSS` (then
the small layer and the voice have it), tried again after a hold that doubles after each failed
try; but first a small layer nobody takes (sent for newcomers) stops (``spare_wanted``), which
is often enough: on a 500 kbit/s uplink the whole picture fits once the spare layer is gone.
"""

from __future__ import annotations

from . import seam

#: What each layer is meant to cost (bit/s): the encoder's target while the uplink allows.
LAYER_BITRATE = {"high": 500_000, "low": 150_000}
#: Its picture height, until the publisher's keyframes say.
LAYER_HEIGHT = {"high": 360, "low": 180}
#: aiortc's VP8 encoder works between these (a REMB outside them is clamped by it).
MIN_TARGET, MAX_TARGET = 250_000, 1_500_000
#: A new target is sent when it moves by more than this share of the last one sent.
CHANGE = 0.12
DECREASE_INTERVAL = 1.0
INCREASE_INTERVAL = 3.0
#: The last value is sent again this often (RTCP may be lost).
REFRESH_INTERVAL = 5.0
#: The whole picture needs this much uplink (bit/s): its encoder's least target beside the small
#: layer's and the voice. Under it, only the small layer is sent (Chime's simulcast uplink
#: policy): a 250 kbit/s uplink carries a whole 15 fps small picture, not two broken ones.
HIGH_NEEDS = LAYER_BITRATE["low"] + MIN_TARGET + 60_000
#: Uplink loss (share of the packets sent) that turns the whole picture off without waiting for
#: congestion: read twice in a row (a second), not in the first HIGH_GRACE seconds.
HIGH_LOSS = 0.2
#: The uplink is congested when the estimate is under this share of what arrives (aiortc's
#: estimator answers a queue with 0.85 of it), and losing from this share of packets lost.
CONGESTED = 0.9
LOSING = 0.02
#: Congested and losing (or short) this long in a row (seconds) turns the whole picture off.
HIGH_SUSTAIN = 2.0
#: After the uplink was tight, a layer nobody takes is not sent for this long (seconds).
SPARE_HOLD = 10.0
#: After turning it off, it is tried again after this long (seconds), doubling after each try
#: that fails within HIGH_GRACE_FAILS, up to HIGH_HOLD_MAX.
HIGH_HOLD = 10.0
HIGH_HOLD_MAX = 80.0
#: While it is tried, the estimate (aiortc's grows some 8 % a second from what arrived) is not
#: judged for this long; heavy loss still is.
HIGH_GRACE = 8.0


class Uplink:
    """The estimate of one publisher's uplink, from the video it receives."""

    def __init__(self) -> None:
        self._estimator = seam.BitrateEstimator()
        self.estimate_bps: int | None = None
        self._sent: dict[str, tuple[int, float]] = {}  # layer -> (target sent, when)
        self.high_allowed = True
        self._high_changed: float | None = None  # the first call starts the grace
        self._high_hold = HIGH_HOLD
        self._high_offs = 0  # times it was turned off
        self._short_since: float | None = None  # congested and losing (or short) since
        self._heavy_before = False  # the last reading's loss was heavy
        self._arrived_bytes = 0  # video bytes since the last allow_high
        self._rate_at: float | None = None
        self.tight_at: float | None = None  # when the uplink last read congested and losing

    def spare_wanted(self, now: float) -> bool:
        """Should a layer nobody takes (the small one, kept for newcomers) still be sent? Not
        while the uplink was tight in the last :data:`SPARE_HOLD` seconds: it goes before the
        whole picture does."""
        return self.tight_at is None or now - self.tight_at >= SPARE_HOLD

    def allow_high(self, loss: float | None, now: float, spare_sent: bool = False) -> bool:
        """May the whole picture be sent, with this uplink ``loss`` (share of packets, None: not
        known) seen since the last call? Turned off when the uplink is congested (the estimate
        under :data:`CONGESTED` of what arrives) and losing, or short of :data:`HIGH_NEEDS`, for
        :data:`HIGH_SUSTAIN` seconds in a row, or at once when the loss is heavy; tried again
        after a hold that doubles when a try fails. A busy machine's delay noise (a congestion
        reading now and then, no loss) changes nothing."""
        arrived, self._arrived_bytes = self._arrived_bytes, 0
        rate = 8 * arrived / (now - self._rate_at) if self._rate_at is not None and now > self._rate_at else None
        self._rate_at = now
        if self._high_changed is None:
            self._high_changed = now
        since = now - self._high_changed
        if not self.high_allowed:
            if since >= self._high_hold:
                self.high_allowed, self._high_changed, self._short_since = True, now, None
            return self.high_allowed
        congested = (self.estimate_bps is not None and rate is not None
                     and self.estimate_bps < CONGESTED * rate)
        losing = loss is not None and loss >= LOSING
        short = congested and (losing or self.estimate_bps < HIGH_NEEDS)
        if short:
            self.tight_at = now
        if not short or spare_sent:  # a layer nobody takes is still sent: it goes first
            self._short_since = None
        elif self._short_since is None:
            self._short_since = now
        heavy_now = loss is not None and loss > HIGH_LOSS
        heavy, self._heavy_before = heavy_now and self._heavy_before, heavy_now
        lasting = self._short_since is not None and now - self._short_since >= HIGH_SUSTAIN
        if (heavy or lasting) and since >= HIGH_GRACE:
            failed_try = self._high_offs > 0 and since < HIGH_GRACE + HIGH_HOLD  # (a try, not the start)
            self._high_offs += 1
            self._high_hold = min(HIGH_HOLD_MAX, 2 * self._high_hold) if failed_try else HIGH_HOLD
            self.high_allowed, self._high_changed = False, now
        return self.high_allowed

    def on_arrival(self, arrival_ms: int, abs_send_time: int, size: int, ssrc: int) -> None:
        """A video packet arrived (seam.tap_receiver's ``on_arrival``)."""
        self._arrived_bytes += size
        result = self._estimator.add(arrival_time_ms=arrival_ms, abs_send_time=abs_send_time,
                                     payload_size=size, ssrc=ssrc)
        if result is not None:
            self.estimate_bps = result[0]

    def targets(self, taken: dict[str, bool]) -> dict[str, int]:
        """layer -> bit/s for each layer anyone receives (``taken``), smallest first; a layer
        nobody takes is not encoded at all (``publish_layers``) and gets no target."""
        left = self.estimate_bps
        targets = {}
        for layer in sorted(taken, key=lambda name: LAYER_BITRATE.get(name, 0)):
            if not taken[layer]:
                continue
            want = LAYER_BITRATE.get(layer, LAYER_BITRATE["high"])
            target = want if left is None else max(0, min(want, left))
            targets[layer] = target
            if left is not None:
                left -= target
        return targets

    def remb_due(self, layer: str, target: int, now: float) -> bool:
        """Is ``target`` worth sending to ``layer``'s encoder now? (Records it when it is.)"""
        last = self._sent.get(layer)
        if last is None:
            due = target < LAYER_BITRATE.get(layer, MAX_TARGET)  # aiortc starts at its nominal rate
        else:
            value, at = last
            change = abs(target - value) / max(value, 1)
            interval = DECREASE_INTERVAL if target < value else INCREASE_INTERVAL
            due = (change > CHANGE and now - at >= interval) or now - at >= REFRESH_INTERVAL
        if due:
            self._sent[layer] = (target, now)
        return due
