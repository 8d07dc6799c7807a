"""The server's two peer connections per participant.

- :class:`PublisherPeer`: the participant offers, the server answers; it receives the
  participant's microphone and camera and turns each into an :class:`UpTrack`.
- :class:`SubscriberPeer`: the server offers, the participant answers; each media section
  is a :class:`DownTrack` that carries one other participant's track. Sections are reused
  when their source leaves; a new offer is made only when more sections are needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.rtcconfiguration import RTCBundlePolicy

from rtcseam.ice import checked, checked_announced, gathering
from rtcseam.peer import close_bounded
from wire import ErrorCode, ProtocolError, TrackInfo

from . import seam
from .forwarding import DownTrack, UpTrack
from .offer import vet_publish_offer, vet_subscribe_answer

logger = logging.getLogger(__name__)


#: Codecs the forwarding unit receives from publishers: VP8 with RTX (leaving rtx out turns
#: RTX off), and Opus. One video section per publisher connection, so RTX routes fine there.
PREFERRED_MIME = {"audio": ("audio/opus",), "video": ("video/VP8", "video/rtx")}
#: Codecs it sends to subscribers: no RTX. A subscriber has many bundled video sections that
#: would share one RTX payload type, and aiortc's receiver cannot route RTX among them;
#: the down tracks retransmit lost packets as they were (forwarding.DownTrack._on_nack).
SUBSCRIBER_MIME = {"audio": ("audio/opus",), "video": ("video/VP8",)}
#: Idle sections of each kind added whenever a subscriber's connection is renegotiated anyway.
SPARE_SECTIONS = 2


def _configuration() -> RTCConfiguration:
    # No STUN/TURN: the server offers its configured host addresses only (``ice_addresses``,
    # gathered through rtcseam.ice).
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


def _prefer_codecs(transceiver, mime: dict[str, tuple[str, ...]] = PREFERRED_MIME) -> None:
    caps = RTCRtpSender.getCapabilities(transceiver.kind)
    wanted = mime[transceiver.kind]
    transceiver.setCodecPreferences([c for c in caps.codecs if c.mimeType in wanted])


class PublisherPeer:
    """Receives one participant's media; hands each track to the room as an UpTrack."""

    def __init__(self, attendee_id: str, ice_addresses: tuple[str, ...],
                 announced: dict[str, str] | None = None) -> None:
        self.attendee_id = attendee_id
        self.pc = RTCPeerConnection(_configuration())
        self.tracks: dict[str, UpTrack] = {}
        self._ice_addresses = ice_addresses
        self._announced = announced

    async def answer(self, offer_sdp: str) -> str:
        """The answer to a participant's publishing offer, vetted first (offer.py): nothing of
        an offer that is refused reaches aiortc. The answer carries only the codecs forwarded
        (PREFERRED_MIME), whatever order the offer lists its codecs in: the transceivers exist,
        with those preferences, before aiortc matches the offer's sections to them."""
        vetted = vet_publish_offer(offer_sdp)
        for kind in vetted.kinds:
            _prefer_codecs(self.pc.addTransceiver(kind, direction="recvonly"))
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        except Exception as exc:  # aiortc's parser trips on bad SDP with anything (AssertionError,
            # IndexError, StopIteration turned RuntimeError, ...): the offer is unusable
            raise ProtocolError(ErrorCode.NEGOTIATION_FAILED,
                                f"cannot use this offer: {exc or type(exc).__name__}") from None
        try:
            for transceiver in self.pc.getTransceivers():
                receiver = transceiver.receiver

                def pli(ssrc: int, receiver=receiver) -> None:
                    asyncio.ensure_future(seam.request_keyframe(receiver, ssrc))

                up = UpTrack(self.attendee_id, transceiver.kind, pli)
                up.loss_counts = lambda receiver=receiver: seam.receive_counts(receiver)
                seam.tap_receiver(receiver, up.on_packet, up.drop_packet)
                self.tracks[transceiver.kind] = up
            answer = await self.pc.createAnswer()
            with gathering(self._ice_addresses, announced=self._announced):
                await self.pc.setLocalDescription(answer)
        except ProtocolError:
            raise
        except (ValueError, AttributeError, TypeError, KeyError) as exc:
            raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, f"cannot use this offer: {exc}") from None
        except Exception as exc:  # aiortc raises its own InvalidStateError / OperationError
            if type(exc).__module__.startswith("aiortc"):
                raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, f"cannot use this offer: {exc}") from None
            raise
        return self.pc.localDescription.sdp

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected"

    def on_connection_change(self, changed: Callable[[], None]) -> None:
        self.pc.on("connectionstatechange", changed)

    async def close(self) -> None:
        for up in self.tracks.values():
            up.close()
        try:
            await close_bounded(self.pc, f"publisher {self.attendee_id}")
        except Exception:  # a half-negotiated connection: transceivers without a transport
            logger.debug("publisher %s: close after a failed negotiation", self.attendee_id, exc_info=True)


class ForwardingPeers:
    """The forwarding unit as a room's peer factory (``server.rooms.media.PeerFactory``): its
    connections offer exactly ``ice_addresses`` as host candidates (``--ice-address``), each
    under its public address from ``announced`` if it has one (``--announced-address``)."""

    def __init__(self, ice_addresses: list[str], announced: dict[str, str] | None = None) -> None:
        self._ice_addresses = checked(ice_addresses)  # ValueError for what is not an IP address
        self._announced = checked_announced(announced)

    def publisher(self, attendee_id: str) -> PublisherPeer:
        return PublisherPeer(attendee_id, self._ice_addresses, self._announced)

    def subscriber(self, send_offer: Callable[[str, list[TrackInfo]], Awaitable[None]],
                   send_tracks: Callable[[list[TrackInfo]], Awaitable[None]]) -> SubscriberPeer:
        return SubscriberPeer(send_offer, send_tracks, self._ice_addresses, self._announced)


@dataclass
class _Section:
    down: DownTrack
    transceiver: object


class SubscriberPeer:
    """Sends other participants' media to one participant."""

    def __init__(self, send_offer: Callable[[str, list[TrackInfo]], Awaitable[None]],
                 send_tracks: Callable[[list[TrackInfo]], Awaitable[None]],
                 ice_addresses: tuple[str, ...], announced: dict[str, str] | None = None) -> None:
        self.pc = RTCPeerConnection(_configuration())
        self._ice_addresses = ice_addresses
        self._announced = announced
        self._send_offer = send_offer
        self._send_tracks = send_tracks
        self._sections: list[_Section] = []
        self._desired: dict[tuple[str, str], UpTrack] = {}
        self._offer_pending = False
        self._dirty = False
        self._lock = asyncio.Lock()
        self._closed = False
        self._told: list[TrackInfo] = []  # the map the subscriber was last given

    def tracks(self) -> list[TrackInfo]:
        return [
            TrackInfo(mid=s.transceiver.mid, kind=s.down.kind, attendee_id=s.down.attendee_id)
            for s in self._sections
            if s.transceiver.mid is not None
        ]

    async def update(self, desired: dict[tuple[str, str], UpTrack]) -> None:
        """Forward exactly ``desired`` ((attendee id, kind) -> up track) from now on."""
        self._desired = dict(desired)
        await self._apply()

    async def _apply(self) -> None:
        async with self._lock:
            if self._closed:
                return
            if self._offer_pending:
                self._dirty = True  # re-applied when the answer comes
                return
            wanted = dict(self._desired)
            for section in self._sections:
                down = section.down
                key = (down.up.attendee_id, down.kind) if down.up else None
                if key is not None and wanted.get(key) is down.up:
                    del wanted[key]
                elif down.up is not None:
                    down.bind(None)
            new_sections = False
            for (attendee_id, kind), up in sorted(wanted.items()):
                section = next((s for s in self._sections if s.down.kind == kind and s.down.up is None), None)
                if section is None:
                    section = self._add_section(kind)
                    new_sections = True
                section.down.bind(up)
            if new_sections:
                # Negotiating anyway: add idle sections for the next people to come, so that they
                # reach this subscriber with a tracks_updated instead of another offer (when
                # many join at once, every subscriber would otherwise renegotiate each time).
                for kind in ("audio", "video"):
                    for _ in range(SPARE_SECTIONS):
                        self._add_section(kind)
            # A section whose source went away (its up track closed) counts as a change too.
            tracks = self.tracks()
            if new_sections:
                offer = await self.pc.createOffer()
                with gathering(self._ice_addresses, announced=self._announced):
                    await self.pc.setLocalDescription(offer)
                self._offer_pending = True
                self._told = self.tracks()
                await self._send_offer(self.pc.localDescription.sdp, self._told)
            elif tracks != self._told:
                self._told = tracks
                await self._send_tracks(tracks)

    def _add_section(self, kind: str) -> _Section:
        transceiver = self.pc.addTransceiver(kind, direction="sendonly")
        _prefer_codecs(transceiver, SUBSCRIBER_MIME)
        section = _Section(DownTrack(transceiver.sender, kind), transceiver)
        self._sections.append(section)
        return section

    async def on_answer(self, answer_sdp: str) -> None:
        async with self._lock:
            if not self._offer_pending:
                raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, "no offer is waiting for an answer")
            vet_subscribe_answer(answer_sdp)  # before aiortc: candidates capped, DTLS present
            try:
                await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))
            except Exception as exc:
                raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, f"cannot use this answer: {exc or type(exc).__name__}") from None
            self._offer_pending = False
            dirty, self._dirty = self._dirty, False
        # Each section's down track becomes ready when aiortc starts its sender.
        if dirty:
            await self._apply()

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
            for section in self._sections:
                section.down.close()
        await close_bounded(self.pc, "subscriber")
