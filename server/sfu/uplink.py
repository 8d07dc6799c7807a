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
:data:`DECREASE_INTERVAL` and rises at most every :data:`INCREASE_INTERVAL`.
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


class Uplink:
    """The estimate of one publisher's uplink, from the video it receives."""

    def __init__(self) -> None:
        self._estimator = seam.BitrateEstimator()
        self.estimate_bps: int | None = None
        self._sent: dict[str, tuple[int, float]] = {}  # layer -> (target sent, when)

    def on_arrival(self, arrival_ms: int, abs_send_time: int, size: int, ssrc: int) -> None:
        """A video packet arrived (seam.tap_receiver's ``on_arrival``)."""
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
