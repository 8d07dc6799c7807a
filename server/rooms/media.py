"""What a room needs of the media backend: two peer connections per participant, made by a
:class:`PeerFactory` per meeting, which the :class:`MediaBackend` the composition root hands the
room registry places (``server/sfu/backend.py``'s ``BuiltinMedia``, the forwarding unit in this
process, by default; ``server/janus/backend.py``'s ``JanusBackend``, Janus VideoRoom on one or
several Janus instances, with ``--media janus``; a small fake in tests/test_room_rules.py).

The room never sees SDP internals, RTP or aiortc: it asks a publisher to answer an offer and
reads which tracks it publishes, and tells a subscriber exactly which published tracks to
forward (``update``); the subscriber calls back with an offer or a new track map for the
participant's socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from wire import Message, PublishLayers, TileNeed, TrackInfo, VideoLayer, VideoPaused


class PublishedTrack(Protocol):
    """One track a participant publishes (``"audio"`` or ``"video"``)."""

    @property
    def packets_received(self) -> int: ...

    @property
    def packets_forwarded(self) -> int: ...

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe (throttled by the backend)."""

    def recent_loss(self) -> float | None:
        """The share of packets lost on the uplink lately; None: too few to tell."""


class Publisher(Protocol):
    """The connection a participant sends on: it offers, the backend answers."""

    #: kind ("audio", "video") -> the track published on it, once answered
    tracks: dict[str, PublishedTrack]

    async def answer(self, offer_sdp: str) -> str:
        """The answer to the participant's offer; ProtocolError ``negotiation_failed`` when
        the offer cannot be used."""

    @property
    def connected(self) -> bool:
        """The participant's media reaches the backend: the connection has connected (ICE and
        DTLS) and not failed since. A backend without this reads as always connected."""

    def on_connection_change(self, changed: Callable[[], None]) -> None:
        """Call ``changed()`` whenever ``connected`` may have changed."""

    async def close(self) -> None: ...


#: (attendee id, kind) -> the published track a subscriber should receive
Desired = dict[tuple[str, str], PublishedTrack]
SendOffer = Callable[[str, list[TrackInfo]], Awaitable[None]]
SendTracks = Callable[[list[TrackInfo]], Awaitable[None]]
#: What the backend says of one video a subscriber receives: (attendee id, paused, why or None,
#: the layer forwarded or None); the room sends it as ``video_paused``.
VideoNotice = Callable[[str, bool, str | None, str | None], None]
#: Which layers of a publisher's camera anyone receives; the room sends ``publish_layers``.
LayersNotice = Callable[[list[str]], None]


def video_notices(put: Callable[[Message], None]) -> VideoNotice:
    """A subscriber's VideoNotice, as ``video_paused`` messages ``put`` on its socket."""
    def notice(attendee_id: str, paused: bool, reason: str | None, layer: str | None) -> None:
        put(VideoPaused(attendee_id=attendee_id, paused=paused, reason=reason,  # type: ignore[arg-type]
                               layer=VideoLayer(layer) if layer is not None else None))
    return notice


def layers_notices(put: Callable[[Message], None]) -> LayersNotice:
    """A publisher's LayersNotice, as ``publish_layers`` messages ``put`` on its socket."""
    return lambda layers: put(PublishLayers(layers=[VideoLayer(name) for name in layers]))


class Subscriber(Protocol):
    """The connection a participant receives on: the backend offers, the participant answers."""

    async def update(self, desired: Desired) -> None:
        """Forward exactly ``desired`` from now on (calling ``send_offer`` or ``send_tracks``
        when what the participant must know changes)."""

    async def on_answer(self, answer_sdp: str) -> None: ...

    def set_needs(self, tiles: list[TileNeed]) -> None:
        """What the participant shows of each video (``video_needs``): sizes, hidden, stage."""

    async def close(self) -> None: ...


class PeerFactory(Protocol):
    def publisher(self, attendee_id: str, on_layers: LayersNotice | None = None) -> Publisher: ...

    def subscriber(self, send_offer: SendOffer, send_tracks: SendTracks,
                   on_video: VideoNotice | None = None) -> Subscriber: ...


class MediaBackend(Protocol):
    """What moves the media of every meeting of this server. The room registry asks it to
    ``place`` a meeting when its room opens (the meeting's peer factory) and to ``release`` it
    when the room closes; a backend whose media can go away for a meeting (an instance of an
    external SFU that died) says so through the callback given to ``watch``, and the registry
    places that meeting again and has its participants reconnect their media."""

    def place(self, meeting_id: str) -> PeerFactory: ...

    def release(self, meeting_id: str) -> None: ...

    def watch(self, on_lost: Callable[[str], None]) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
