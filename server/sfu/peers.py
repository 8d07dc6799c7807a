"""The server's two peer connections per participant.

- :class:`PublisherPeer`: the participant offers, the server answers; it receives the
  participant's microphone and camera and turns each into an :class:`UpTrack` (a second video
  section is the camera's small layer). It estimates the uplink from what arrives and tells the
  publisher's encoders their targets by REMB (uplink.py), and which layers anyone takes
  (``publish_layers``, dynacast).
- :class:`SubscriberPeer`: the server offers, the participant answers; each media section
  is a :class:`DownTrack` that carries one other participant's track. Sections are reused
  when their source leaves; a new offer is made only when more sections are needed. Every
  ``downlink.INTERVAL`` its :class:`Downlink` spends the estimate on the videos (a layer each,
  or paused, with a ``video_paused`` notice).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.rtcconfiguration import RTCBundlePolicy

from rtcseam.ice import checked, checked_announced, gathering
from rtcseam.peer import close_bounded
from wire import ErrorCode, ProtocolError, TileNeed, TrackInfo, VideoLayer

from . import downlink, seam
from .downlink import Downlink, VideoNotice
from .forwarding import DownTrack, UpTrack
from .repair import UplinkNacks
from .offer import vet_publish_offer, vet_subscribe_answer
from .uplink import Uplink

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
#: Seconds between a publisher's encoder targets being looked at (REMB, dynacast).
UPLINK_INTERVAL = 0.5
#: Seconds between a subscriber connection's RTCP sender reports (aiortc's own senders report
#: every 0.5-1.5 s each): one compound packet for all its sections that sent since the last.
#: Their round trips are how the downlink sees a queue stand (loss.py): at 1 s, one that
#: overflowed two seconds after it began was seen once or not at all.
REPORT_INTERVAL = 0.5
#: The publisher's video sections in order: its camera's layers, best first.
LAYER_ORDER = (VideoLayer.HIGH, VideoLayer.LOW)

#: The layers of a publisher's camera anyone receives changed (the room tells the publisher).
LayersNotice = Callable[[list[str]], None]


async def _turn() -> None:
    """Let the event loop read its sockets (and so forward what arrived) before going on. Work
    that runs for many milliseconds at once is cut into such turns: on a machine whose cores are
    busy, the process is preempted in the middle of a long callback, and everything that arrived
    meanwhile waits until that callback ends (while people joined at 1 → 15, single callbacks held
    the loop 30-290 ms of wall time for 2-60 ms of CPU: bench/README.md, janus_vs_builtin.py)."""
    await asyncio.sleep(0)


async def _every(interval: float, step: Callable[[], Awaitable[None] | None], what: str) -> None:
    """Run ``step`` every ``interval`` seconds until cancelled; a failing step is logged."""
    while True:
        await asyncio.sleep(interval)
        try:
            result = step()
            if result is not None:
                await result
        except Exception:
            logger.exception("%s failed", what)


#: Wall-clock seconds the beat runs subscribers' duties before it lets the loop read its sockets
#: (a turn after every subscriber cost a loop iteration, a ``select`` call, each at 1 → 15; a
#: process preempted in the middle still turns at the next subscriber).
BEAT_TURN = 0.002


class _Beat:
    """One timer for all the subscriber connections of an event loop: each one's allocation
    every ``downlink.INTERVAL`` and its sender reports every ``REPORT_INTERVAL``. (A task and a
    timer per subscriber and per duty cost more event-loop work than the duties themselves at
    1 → 15.) A loop turn once ``BEAT_TURN`` has passed. A failing duty is logged; the others
    go on."""

    _of_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Beat] = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.peers: dict[SubscriberPeer, None] = {}  # in the order they came
        self._task: asyncio.Task | None = None

    @classmethod
    def of_running_loop(cls) -> _Beat:
        loop = asyncio.get_running_loop()
        beat = cls._of_loop.get(loop)
        if beat is None:
            beat = cls._of_loop[loop] = cls()
        return beat

    def add(self, peer: SubscriberPeer) -> None:
        self.peers[peer] = None
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    def discard(self, peer: SubscriberPeer) -> None:
        self.peers.pop(peer, None)

    async def _run(self) -> None:
        every = max(1, round(REPORT_INTERVAL / downlink.INTERVAL))
        ticks = 0
        clock = asyncio.get_running_loop().time
        while self.peers:
            await asyncio.sleep(downlink.INTERVAL)
            ticks += 1
            turned = clock()
            for peer in tuple(self.peers):
                try:
                    peer.allocate()
                except Exception:
                    logger.exception("subscriber allocation failed")
                if clock() - turned >= BEAT_TURN:
                    await _turn()
                    turned = clock()
            if ticks % every:
                continue
            for peer in tuple(self.peers):
                try:
                    await peer.report()
                except Exception:
                    logger.exception("subscriber reports failed")
                if clock() - turned >= BEAT_TURN:
                    await _turn()
                    turned = clock()


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
                 announced: dict[str, str] | None = None, on_layers: LayersNotice | None = None) -> None:
        self.attendee_id = attendee_id
        self.pc = RTCPeerConnection(_configuration())
        seam.fixed_fingerprints(self.pc)
        #: kind -> its track ("video": the camera's best layer; its others in ``layers``)
        self.tracks: dict[str, UpTrack] = {}
        self.uplink = Uplink()
        self._receivers: dict[str, object] = {}  # layer name -> its receiver
        self._nacks: dict[str, UplinkNacks] = {}  # layer name -> what is asked again of it
        self._uplink_mark = (0, 0)  # its packets arrived and seen missing, at the last steer
        self._given_up: dict[str, int] = {}  # layer -> its packets given up on, at the last steer
        self._repair_logged = 0.0
        self._ice_addresses = ice_addresses
        self._announced = announced
        self._on_layers = on_layers
        self._layers_told: list[str] | None = None
        self._telling: asyncio.Handle | None = None  # _wanted's call, scheduled
        self._loop: asyncio.Task | None = None

    async def answer(self, offer_sdp: str) -> str:
        """The answer to a participant's publishing offer, vetted first (offer.py): nothing of
        an offer that is refused reaches aiortc. The answer carries only the codecs forwarded
        (PREFERRED_MIME), whatever order the offer lists its codecs in: the transceivers exist,
        with those preferences, before aiortc matches the offer's sections to them."""
        vetted = vet_publish_offer(offer_sdp)
        for kind in vetted.kinds:
            _prefer_codecs(seam.add_transceiver(self.pc, kind, "recvonly"))
        await _turn()
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        except Exception as exc:  # aiortc's parser trips on bad SDP with anything (AssertionError,
            # IndexError, StopIteration turned RuntimeError, ...): the offer is unusable
            raise ProtocolError(ErrorCode.NEGOTIATION_FAILED,
                                f"cannot use this offer: {exc or type(exc).__name__}") from None
        try:
            videos = 0
            for transceiver in self.pc.getTransceivers():
                receiver = transceiver.receiver

                def pli(ssrc: int, receiver=receiver) -> None:
                    asyncio.ensure_future(seam.request_keyframe(receiver, ssrc))

                layer = None
                if transceiver.kind == "video":
                    layer = LAYER_ORDER[videos]
                    videos += 1
                    self._receivers[layer] = receiver
                up = UpTrack(self.attendee_id, transceiver.kind, pli, layer=layer)
                up.loss_counts = lambda receiver=receiver: seam.receive_counts(receiver)
                if layer is not None:
                    up.on_wanted = self._wanted
                nacks = up.uplink = UplinkNacks(time.monotonic)
                if layer is not None:
                    self._nacks[layer] = nacks
                seam.tap_receiver(receiver, up.receive, up.drop_packet,
                                  self.uplink.on_arrival if transceiver.kind == "video" else None,
                                  nacks.add, up.on_sender_report)  # its clock (sender_clock.py)
                if transceiver.kind in self.tracks:  # another layer of the camera
                    self.tracks[transceiver.kind].add_layer(up)
                else:
                    self.tracks[transceiver.kind] = up
            await _turn()
            answer = await self.pc.createAnswer()
            await _turn()
            # the uplink estimator times each packet by when the kernel received it, not when a
            # busy event loop got to it (rtcseam.arrival; seam.receive_directly)
            with gathering(self._ice_addresses, announced=self._announced, kernel_arrival_times=True):
                await self.pc.setLocalDescription(answer)
        except ProtocolError:
            raise
        except (ValueError, AttributeError, TypeError, KeyError) as exc:
            raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, f"cannot use this offer: {exc}") from None
        except Exception as exc:  # aiortc raises its own InvalidStateError / OperationError
            if type(exc).__module__.startswith("aiortc"):
                raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, f"cannot use this offer: {exc}") from None
            raise
        if "video" in self.tracks:
            self._loop = asyncio.ensure_future(
                _every(UPLINK_INTERVAL, self.steer, f"publisher {self.attendee_id}"))
        return self.pc.localDescription.sdp

    async def steer(self) -> None:
        """Tell the encoders their targets (REMB), and which layers anyone takes (dynacast)."""
        layers = self.tracks["video"].layers
        now = time.monotonic()
        if now - self._repair_logged >= 10.0 and any(n.missing_total for n in self._nacks.values()):
            self._repair_logged = now
            logger.info(f"publisher {self.attendee_id}: uplink repair " + ", ".join(
                f"{name} {n.missing_total} missing, {n.asked_total} asked, {n.repaired} came, {n.given_up} given up"
                for name, n in self._nacks.items()))
        for name, nacks in self._nacks.items():  # a packet lost for good upstream: everyone misses
            if nacks.given_up > self._given_up.get(name, 0) and name in layers:  # it, so a keyframe
                layers[name].request_keyframe()  # (at most one a second per layer)
            self._given_up[name] = nacks.given_up
        if len(layers) > 1:  # the whole picture only where the uplink carries it beside the small one
            arrived = sum(n.arrived_total for n in self._nacks.values())
            missing = sum(n.missing_total for n in self._nacks.values())
            got, lost = arrived - self._uplink_mark[0], missing - self._uplink_mark[1]
            self._uplink_mark = (arrived, missing)
            smallest = LAYER_ORDER[len(layers) - 1]
            spare = ((self._layers_told is None or str(smallest) in self._layers_told)  # (None: all sent)
                     and not any(not down.paused for down in layers[smallest].downs))
            loss = lost / (got + lost) if got + lost >= 20 else None
            allowed = self.uplink.allow_high(loss, now, spare)
            if allowed != layers[VideoLayer.HIGH].available if VideoLayer.HIGH in layers else False:
                logger.info(f"publisher {self.attendee_id}: the whole picture {'on' if allowed else 'off'} "
                            "(uplink estimate %s kbit/s, loss %s)",
                            "n/a" if self.uplink.estimate_bps is None else self.uplink.estimate_bps // 1000,
                            "n/a" if loss is None else f"{loss:.1%}")
            for name, up in layers.items():
                up.available = allowed or name != VideoLayer.HIGH
        taken = self._taken(layers)
        for name, target in self.uplink.targets(taken).items():
            up = layers[name]
            receiver = self._receivers.get(name)
            if up.media_ssrc is not None and receiver is not None and self.uplink.remb_due(name, target, now):
                await seam.send_remb(receiver, target, [up.media_ssrc])
        self._tell_layers(layers, taken, now)

    @staticmethod
    def _taken(layers: dict[str, UpTrack]) -> dict[str, bool]:
        return {name: up.available and any(not down.paused for down in up.downs) for name, up in layers.items()}

    def _wanted(self, up: UpTrack) -> None:
        """A subscriber starts taking ``up`` (UpTrack.on_wanted): if the publisher does not send
        that layer now (dynacast), tell it at once rather than at the next steer (up to
        UPLINK_INTERVAL later; its first frame is a keyframe, which the subscriber waits for)."""
        if self._layers_told is None or str(up.layer) in self._layers_told or self._telling is not None:
            return

        def tell() -> None:
            self._telling = None
            layers = self.tracks["video"].layers
            self._tell_layers(layers, self._taken(layers), time.monotonic())

        self._telling = asyncio.get_running_loop().call_soon(tell)

    def _tell_layers(self, layers: dict[str, UpTrack], taken: dict[str, bool], now: float) -> None:
        """Tell the publisher which layers to send, when that changed (``publish_layers``)."""
        if len(layers) > 1 and self._on_layers is not None:
            # the smallest layer is sent even when nobody takes it (what a newcomer on a poor link
            # starts on), unless the uplink was tight lately: then it is the first to go
            smallest = LAYER_ORDER[len(layers) - 1]
            spare = self.uplink.spare_wanted(now) or not any(taken.values())
            wanted = [str(n) for n in LAYER_ORDER if n in layers and (taken[n] or (n == smallest and spare))]
            if wanted != self._layers_told:
                logger.info(f"publisher {self.attendee_id}: sends {'+'.join(wanted)}")
                self._layers_told = wanted
                self._on_layers(wanted)

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected"

    def on_connection_change(self, changed: Callable[[], None]) -> None:
        self.pc.on("connectionstatechange", changed)

    async def close(self) -> None:
        if self._telling is not None:
            self._telling.cancel()
        if self._loop is not None:
            self._loop.cancel()
        for up in self.tracks.values():
            for layer in list(up.layers.values()):
                layer.close()
        try:
            await close_bounded(self.pc, f"publisher {self.attendee_id}")
        except Exception:  # a half-negotiated connection: transceivers without a transport
            logger.debug("publisher %s: close after a failed negotiation", self.attendee_id, exc_info=True)


class ForwardingPeers:
    """The forwarding unit as a room's peer factory (``server.rooms.media.PeerFactory``): its
    connections offer exactly ``ice_addresses`` as host candidates (``--ice-address``), each
    under its public address from ``announced`` if it has one (``--announced-address``)."""

    #: a publisher's second video section is its camera's small layer (``joined.video_layers``)
    video_layers = True

    def __init__(self, ice_addresses: list[str], announced: dict[str, str] | None = None) -> None:
        self._ice_addresses = checked(ice_addresses)  # ValueError for what is not an IP address
        self._announced = checked_announced(announced)

    def publisher(self, attendee_id: str, on_layers: LayersNotice | None = None) -> PublisherPeer:
        return PublisherPeer(attendee_id, self._ice_addresses, self._announced, on_layers)

    def subscriber(self, send_offer: Callable[[str, list[TrackInfo]], Awaitable[None]],
                   send_tracks: Callable[[list[TrackInfo]], Awaitable[None]],
                   on_video: VideoNotice | None = None) -> SubscriberPeer:
        return SubscriberPeer(send_offer, send_tracks, self._ice_addresses, self._announced, on_video)


@dataclass
class _Section:
    down: DownTrack
    transceiver: object


class SubscriberPeer:
    """Sends other participants' media to one participant."""

    def __init__(self, send_offer: Callable[[str, list[TrackInfo]], Awaitable[None]],
                 send_tracks: Callable[[list[TrackInfo]], Awaitable[None]],
                 ice_addresses: tuple[str, ...], announced: dict[str, str] | None = None,
                 on_video: VideoNotice | None = None) -> None:
        self.pc = RTCPeerConnection(_configuration())
        seam.fixed_fingerprints(self.pc)
        self.downlink = Downlink(on_video)
        self._beat = _Beat.of_running_loop()
        self._beat.add(self)
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

    def set_needs(self, tiles: list[TileNeed]) -> None:
        """What the participant shows of each video (``video_needs``)."""
        self.downlink.set_needs(tiles)
        self.allocate()

    def request_keyframe(self, attendee_id: str) -> bool:
        """Ask for a keyframe of the layer this participant receives of ``attendee_id``'s
        camera (``request_keyframe``); False when it receives none."""
        for section in self._sections:
            down = section.down
            if down.kind == "video" and down.up is not None and down.up.attendee_id == attendee_id:
                down.up.request_keyframe()
                return True
        return False

    def allocate(self) -> None:
        """Spend the downlink estimate on the videos now (downlink.Downlink.tick); nothing
        when it carries no video and carried none at the last tick (nothing to decide or tell)."""
        if self._closed:
            return
        downs = [s.down for s in self._sections]
        sources = {id(d): d.up.primary for d in downs if d.up is not None and d.kind == "video"}
        if not sources and not self.downlink.wants:
            return
        self.downlink.tick(downs, sources)

    async def report(self) -> None:
        """Send the sender reports of the sections that sent since their last, in one RTCP
        packet (the sections share one transport: max-bundle)."""
        if self._closed:
            return
        reports = [(s.down, r) for s in self._sections if (r := s.down.report()) is not None]
        if reports:
            await seam.send_rtcp(reports[0][0].sender, b"".join(r for _, r in reports))

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
                if key is not None and wanted.get(key) is down.up.primary:
                    del wanted[key]
                elif down.up is not None:
                    down.bind(None)
            new_sections = False
            for (attendee_id, kind), up in sorted(wanted.items()):
                section = next((s for s in self._sections if s.down.kind == kind and s.down.up is None), None)
                if section is None:
                    section = self._add_section(kind)
                    new_sections = True
                    await _turn()
                section.down.bind(up)
            if new_sections:
                # Negotiating anyway: add idle sections for the next people to come, so that they
                # reach this subscriber with a tracks_updated instead of another offer (when
                # many join at once, every subscriber would otherwise renegotiate each time).
                for kind in ("audio", "video"):
                    for _ in range(SPARE_SECTIONS):
                        self._add_section(kind)
                        await _turn()
            # A section whose source went away (its up track closed) counts as a change too.
            tracks = self.tracks()
            if new_sections:
                offer = await self.pc.createOffer()
                await _turn()
                with gathering(self._ice_addresses, announced=self._announced):
                    await self.pc.setLocalDescription(offer)
                self._offer_pending = True
                self._told = self.tracks()
                await self._send_offer(self.pc.localDescription.sdp, self._told)
            elif tracks != self._told:
                self._told = tracks
                await self._send_tracks(tracks)

    def _add_section(self, kind: str) -> _Section:
        transceiver = seam.add_transceiver(self.pc, kind, "sendonly")
        _prefer_codecs(transceiver, SUBSCRIBER_MIME)
        down = DownTrack(transceiver.sender, kind)
        down.repair = self.downlink.repair
        section = _Section(down, transceiver)
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
            await _turn()
            self._offer_pending = False
            dirty, self._dirty = self._dirty, False
            for section in self._sections:  # keyframes asked for now arrive by the time they start
                section.down.prepare()
        # Each section's down track becomes ready when aiortc starts its sender.
        if dirty:
            await self._apply()

    async def close(self) -> None:
        self._beat.discard(self)
        async with self._lock:
            self._closed = True
            for section in self._sections:
                section.down.close()
        await close_bounded(self.pc, "subscriber")
