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

from wire import TrackInfo


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


class Subscriber(Protocol):
    """The connection a participant receives on: the backend offers, the participant answers."""

    async def update(self, desired: Desired) -> None:
        """Forward exactly ``desired`` from now on (calling ``send_offer`` or ``send_tracks``
        when what the participant must know changes)."""

    async def on_answer(self, answer_sdp: str) -> None: ...

    async def close(self) -> None: ...


class PeerFactory(Protocol):
    def publisher(self, attendee_id: str) -> Publisher: ...

    def subscriber(self, send_offer: SendOffer, send_tracks: SendTracks) -> Subscriber: ...


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
