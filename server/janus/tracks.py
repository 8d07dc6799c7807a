"""What a meeting's publishers and subscribers on Janus share: the published streams
(:class:`JanusTrack`, the room's ``PublishedTrack``), VideoRoom's name, its refusals."""

from __future__ import annotations

import time
from typing import Protocol

from wire import ErrorCode, ProtocolError

from .admin import LossMeter
from .connection import JanusError

VIDEOROOM = "janus.plugin.videoroom"
#: Keyframe requests per publisher are coalesced to one in this many seconds (as the built-in unit).
KEYFRAME_INTERVAL = 0.25
#: VideoRoom's error code for a feed that is not (or no longer) there
NO_SUCH_FEED = 428


def missing_feed(error: JanusError) -> int | None:
    """The feed a ``No such feed (ID)`` refusal names, if that is what it is."""
    if error.code != NO_SUCH_FEED:
        return None
    digits = "".join(c if c.isdigit() else " " for c in error.reason).split()
    return int(digits[-1]) if digits else None


def unavailable() -> ProtocolError:
    # retryable for the clients (desktop/session/link.py): they come back and publish again
    return ProtocolError(ErrorCode.SERVER_RESTARTING, "the media server is not reachable; try again")


class Source(Protocol):
    """The publisher a track belongs to."""

    attendee_id: str

    def ask_keyframe(self, mid: str) -> None: ...


class JanusTrack:
    """One published stream: the publisher's feed id and mid (``PublishedTrack``). A camera
    published as two layers is the track of its whole picture, with the small one beside it
    in ``layers`` (name -> track; a single stream is its own one layer, ``high``).

    The packet counts and the uplink loss are Janus's own figures, read through the Admin API
    (``backend.AdminPoller``); without it they stay 0 and None."""

    def __init__(self, publisher: Source, kind: str, feed_id: int, mid: str, layer: str = "high") -> None:
        self.publisher = publisher
        self.kind = kind
        self.feed_id = feed_id
        self.mid = mid
        self.layer = layer
        self.layers: dict[str, JanusTrack] = {layer: self}
        self.received = 0  # packets Janus received of this stream
        self.forwarded = 0  # packets Janus sent of it to subscribers
        self.uplink = LossMeter()
        self._last_keyframe_request = float("-inf")

    @property
    def attendee_id(self) -> str:
        return self.publisher.attendee_id

    @property
    def packets_received(self) -> int:
        return sum(track.received for track in self.layers.values())

    @property
    def packets_forwarded(self) -> int:
        return sum(track.forwarded for track in self.layers.values())

    def request_keyframe(self) -> None:
        now = time.monotonic()
        if self.kind != "video" or now - self._last_keyframe_request < KEYFRAME_INTERVAL:
            return
        self._last_keyframe_request = now
        self.publisher.ask_keyframe(self.mid)

    def recent_loss(self) -> float | None:
        """The share of this stream's packets lost on the uplink at the latest Admin API
        reading (None without the Admin API, or too few packets)."""
        return self.uplink.loss
