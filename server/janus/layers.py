"""Which of a camera's layers feeds one subscriber's section on Janus.

A camera is published as two video sections (desktop/media/layers.py: the whole picture, then a
small one), which Janus holds as two streams of the publisher's feed. The backend points each
subscriber's section for that camera at one of them by ``switch`` (no renegotiation), or parks
it (switched to the room's parking feed) while the subscriber's tile is hidden. The rule
(:func:`choose_layer`) is the built-in unit's as far as Janus's figures allow:

* the tile (``video_needs``): the smallest layer at least as tall as the tile; a hidden tile
  (height 0) gets nothing, which is not a pause; no word from the subscriber: the whole picture;
* the link: while the subscriber's downlink loses packets (:class:`LinkWatch`, from the receiver
  reports Janus counts, read through the Admin API), every camera comes at its smallest layer.

The layers' heights are the app's nominal ones (360 and 180 lines, ``LAYER_HEIGHT``): Janus does
not tell Parley the size of the pictures it forwards. There is no "paused for bandwidth" on
Janus: Janus does not estimate a subscriber's downlink, so the small layer is the least a
subscriber on a poor link gets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from wire import TileNeed

from ..sfu.uplink import LAYER_HEIGHT

logger = logging.getLogger(__name__)

#: The downlink counts as poor once this share of the packets sent to it is lost (over one
#: Admin API reading, at least admin.MIN_PACKETS packets)...
POOR_LOSS = 0.10
#: ...and as good again once the loss stayed under this share for GOOD_AFTER seconds.
GOOD_LOSS = 0.03
GOOD_AFTER = 10.0


def choose_layer(layers: list[str], need: TileNeed | None, poor_link: bool) -> str | None:
    """The layer to forward of a camera offering ``layers`` (names, any order), or None: the
    tile is hidden, forward nothing."""
    if need is not None and need.height <= 0:
        return None
    by_height = sorted(layers, key=lambda name: LAYER_HEIGHT.get(name, LAYER_HEIGHT["high"]))
    if poor_link:
        return by_height[0]
    if need is None:
        return by_height[-1]
    for name in by_height:
        if LAYER_HEIGHT.get(name, LAYER_HEIGHT["high"]) >= need.height:
            return name
    return by_height[-1]


class LinkWatch:
    """Whether one subscriber's downlink is poor now, from the share of packets lost on it at
    each reading: poor at once at :data:`POOR_LOSS`, good again only after :data:`GOOD_AFTER`
    seconds under :data:`GOOD_LOSS` (a link that drops packets now and then does not flap
    between the layers)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.poor = False
        self._good_since: float | None = None

    def observe(self, loss: float | None) -> bool:
        """A reading (None: too few packets to tell, which changes nothing); True when
        ``poor`` changed."""
        if loss is None:
            return False
        now = self._clock()
        if loss >= POOR_LOSS:
            self._good_since = None
            if not self.poor:
                self.poor = True
                return True
            return False
        if not self.poor:
            return False
        if loss >= GOOD_LOSS:
            self._good_since = None
            return False
        if self._good_since is None:
            self._good_since = now
        if now - self._good_since >= GOOD_AFTER:
            self.poor = False
            self._good_since = None
            return True
        return False
