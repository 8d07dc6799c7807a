"""The forwarding model: up tracks (what a publisher sends) and down tracks (what a subscriber
receives), moving RTP packets between them without decoding or holding a frame.

An :class:`UpTrack` is fed packet by packet from a publisher's receiver (see seam.tap_receiver)
and writes each packet to its :class:`DownTrack` s. A down track rewrites the header (its own
SSRC, payload type, continuous sequence numbers and timestamps) and sends the packet on the
subscriber's connection at once. A video down track that starts (or switches source) waits for
a keyframe, and asks the publisher for one (a subscriber starting: at once, see
``UpTrack.request_keyframe``). Loss is repaired hop by hop: the server NACKs the publisher
(seam.tap_receiver; RTX on that leg) and answers a subscriber's NACKs by resending the packet
as it was, from a short history (not over RTX: see ``DownTrack._on_nack``), within
the subscriber's repair budget (repair.py); what cannot be repaired in time gets a keyframe
instead, coalesced per up track and per down track (repair.KeyframeGate).

Forwarded video carries the abs-send-time header extension (when the subscriber's section
negotiated it), stamped as the packet leaves, so the subscriber's receiver can estimate its
downlink and send REMB, which each down track keeps (``remb_bps``) for the allocation
(downlink.py). A down track can be paused (``pause``): it forwards nothing until resumed, and
resumes at a keyframe, continuing its sequence numbers and timestamps.

Each down track's RTCP sender reports carry its publisher's clock (sender_clock.py: the
publisher's own reports, translated into the down track's timestamps), so a subscriber can play
one person's voice and video in step; a layer switch keeps that mapping.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Awaitable, Callable

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc import RTCRtpSender
from aiortc.rtp import RtpPacket

from rtcseam.vp8 import vp8_keyframe_height, vp8_keyframe_start
from wire import VideoLayer

from . import seam
from .rtp_in import ReceivedPacket
from .repair import (
    KEYFRAME_MIN_INTERVAL,
    LOSS_KEYFRAME_INTERVAL,
    UPSTREAM_LOSS_RECENT,
    KeyframeGate,
    RepairBudget,
    UplinkNacks,
)
from .sender_clock import SenderClock, aligned_offset, publisher_clock

logger = logging.getLogger(__name__)

HISTORY_SIZE = 512  # packets kept per down track for retransmission (a power of two)
KEYFRAME_RETRY = 1.0  # a waiting down track asks again after this long
#: Seconds a keyframe asked for is expected to take to come (the publisher encodes its next
#: frame as one: at 15 fps that is within 67 ms, plus the round trip); a subscriber starting
#: meanwhile waits for it instead of asking for another.
KEYFRAME_IN_FLIGHT = 0.3
#: A video up track keeps the packets since its latest keyframe began (at most RECENT_PACKETS),
#: and a subscriber starting within RECENT_AGE seconds of that keyframe gets them at once (its
#: own keyframe, asked for when it answered, usually comes before its connection is up).
RECENT_AGE = 0.3
RECENT_PACKETS = 128
#: A subscriber whose own loss broke a picture of a layer others take, while its keyframe
#: request is held (LOSS_KEYFRAME_INTERVAL), takes the camera's small layer for at least this
#: long when nobody else takes that one (``DownTrack._recover``): its keyframes cost no one else.
#: Mending again within RECOVER_AGAIN seconds of going back up doubles the hold, up to
#: RECOVER_HOLD_MAX: the whole picture did not hold there.
RECOVER_HOLD = 3.0
RECOVER_AGAIN = 10.0
RECOVER_HOLD_MAX = 30.0
_HEADER = struct.Struct("!BBHII")
#: the header with one one-byte header extension, abs-send-time: 0xBEDE, 1 word, then id|len
#: and the 24-bit time in one 32-bit word
_HEADER_ABS_SEND_TIME = struct.Struct("!BBHIIHHI")


#: The codec each kind of up track forwards (as aiortc names it): what the publisher's answer
#: negotiates (peers.PREFERRED_MIME) and what every subscriber section is told it carries.
FORWARDED_MIME = {"audio": "audio/opus", "video": "video/vp8"}
#: Their RTP clock rates.
CLOCK_RATE = {"audio": 48000, "video": 90000}


def keyframe_start(mime_type: str, payload: bytes) -> bool:
    """True when ``payload``, of the codec ``mime_type``, begins a keyframe. Only VP8 is
    forwarded as video (FORWARDED_MIME): anything else is never a keyframe."""
    return mime_type.lower() == "video/vp8" and vp8_keyframe_start(payload)


async def _wait_all(pending: list[Awaitable[object]]) -> None:
    for sending in pending:
        await sending


class UpTrack:
    """One published track (an attendee's microphone or camera) on the server."""

    def __init__(
        self,
        attendee_id: str,
        kind: str,
        request_pli: Callable[[int], object],
        clock_fn: Callable[[], float] = time.monotonic,
        layer: str | None = None,
    ) -> None:
        self.attendee_id = attendee_id
        self.kind = kind
        #: which encoding of the publisher's camera this is ("high": its only one, or its best)
        self.layer = layer or "high"
        #: every encoding of this camera by layer name (shared by them all), and the one that
        #: stands for the camera (what the room and the subscriber's ``desired`` name)
        self.layers: dict[str, UpTrack] = {self.layer: self}
        self.primary: UpTrack = self
        self.height: int | None = None  # from the latest keyframe
        #: its rate as a subscriber's downlink last measured it (bit/s; downlink.py): what a
        #: newcomer's allocation counts it at before measuring it itself
        self.measured_bps: float | None = None
        #: the publisher may send it (False: its uplink carries only the smaller layers now)
        self.available = True
        self.downs: set[DownTrack] = set()
        self.media_ssrc: int | None = None
        self.packets_received = 0
        self.bytes_received = 0
        #: Packets not forwarded because they are not of the negotiated codec (a payload type
        #: the answer did not accept, or a codec other than FORWARDED_MIME[kind]).
        self.packets_dropped = 0
        self._mime = FORWARDED_MIME[kind]
        self._request_pli = request_pli
        self._clock = clock_fn
        self.loss_counts: Callable[[], tuple[int, int]] | None = None  # (received, lost) so far
        #: called with this track when a subscriber starts taking it (the publisher may not be
        #: sending this layer: peers.PublisherPeer tells it at once)
        self.on_wanted: Callable[[UpTrack], None] | None = None
        self._loss_mark = (0, 0)
        self.keyframes = KeyframeGate(KEYFRAME_MIN_INTERVAL)
        self._pli_pending: asyncio.TimerHandle | None = None
        self._asked_at = float("-inf")  # when a keyframe was last asked for (clock_fn)
        self._keyframe_at = float("-inf")  # when the latest keyframe began to arrive
        self._since_keyframe: list | None = None  # its packets and those after it (RECENT_PACKETS)
        self.keyframes_for_starts = 0  # keyframes asked for at once for subscribers starting
        #: what the server asks again of the publisher's link for this track (peers.PublisherPeer
        #: sets it): it sees every gap in the sequence numbers as they arrive
        self.uplink: UplinkNacks | None = None
        #: the publisher's clock for this track, from its sender reports (``on_sender_report``)
        self.sender_clock = SenderClock(CLOCK_RATE[kind], publisher_clock(attendee_id))

    def on_sender_report(self, ntp: int, rtp: int) -> None:
        """The publisher's RTCP sender report for this track: ``rtp`` is at its NTP time ``ntp``."""
        self.sender_clock.on_report(ntp, rtp, seam.current_ntp_time())

    async def on_packet(self, packet: RtpPacket | ReceivedPacket, codec: RTCRtpCodecParameters) -> None:
        """``receive``, and wait for what it could not send at once."""
        pending = self.receive(packet, codec)
        if pending is not None:
            await pending

    def receive(self, packet: RtpPacket | ReceivedPacket,
                codec: RTCRtpCodecParameters) -> Awaitable[None] | None:
        """A packet from the publisher, with the codec its payload type was negotiated for:
        forwarded if that is the codec this track forwards, else dropped and counted.
        Synchronous (seam.tap_receiver calls it as the datagram arrives): None once every
        subscriber has it, else what is left to await (sends through aiortc's own path)."""
        if codec.mimeType.lower() != self._mime:
            self.drop_packet()
            return None
        self.media_ssrc = packet.ssrc
        self.packets_received += 1
        payload = packet.payload
        self.bytes_received += len(payload)
        keyframe = self.kind == "video" and vp8_keyframe_start(payload)
        if keyframe:
            self.height = vp8_keyframe_height(payload) or self.height
            self._keyframe_at = self._clock()
            self._since_keyframe = [packet]
        elif self._since_keyframe is not None:
            if len(self._since_keyframe) < RECENT_PACKETS:
                self._since_keyframe.append(packet)
            else:
                self._since_keyframe = None
        if not self.downs:
            return None
        ntp = seam.current_ntp_time()  # once per packet, for every subscriber's reports
        pending = None
        for down in tuple(self.downs):
            sending = down.forward(packet, ntp, keyframe, self)
            if sending is not None:  # not sent directly: through aiortc's own path
                pending = [sending] if pending is None else pending + [sending]
        return None if pending is None else _wait_all(pending)

    @property
    def upstream_gap_at(self) -> float:
        """When a packet of it last went missing on the publisher's own link (-inf: never, or
        not known; the uplink's clock, the same as the down tracks'): every subscriber misses it
        until it is repaired."""
        return self.uplink.gap_at if self.uplink is not None else float("-inf")

    def recent_picture(self) -> list | None:
        """The packets from the latest keyframe on (in the order they came), when it began at
        most RECENT_AGE ago and all of them were kept; else None."""
        if self._since_keyframe is None or self._clock() - self._keyframe_at > RECENT_AGE:
            return None
        return list(self._since_keyframe)

    def add_layer(self, other: UpTrack) -> None:
        """``other`` is another encoding of this (primary) track's camera."""
        self.layers[other.layer] = other
        other.layers = self.layers
        other.primary = self

    def drop_packet(self) -> None:
        """Count a packet that is not forwarded: not of the negotiated codec."""
        self.packets_dropped += 1

    @property
    def packets_forwarded(self) -> int:
        """Packets sent to the subscribers now carrying this track."""
        return sum(down.packets_sent for down in self.downs)

    def recent_loss(self) -> float | None:
        """The fraction of packets lost on the uplink since the last call (None: nothing new)."""
        if self.loss_counts is None:
            return None
        received, lost = self.loss_counts()
        got, missed = received - self._loss_mark[0], lost - self._loss_mark[1]
        self._loss_mark = (received, lost)
        return missed / (got + missed) if got + missed > 0 else None

    def request_keyframe(self, starting: bool = False) -> None:
        """Ask the publisher for a keyframe, at most one every KEYFRAME_MIN_INTERVAL: one asked
        for meanwhile is sent when the interval is over (one for all who asked).

        ``starting``: a subscriber starts receiving this track, and shows nothing until a
        keyframe comes: asked for at once, past that interval, unless a keyframe asked for at
        most KEYFRAME_IN_FLIGHT ago has not come yet (it serves this subscriber too)."""
        if self.kind != "video" or self.media_ssrc is None:
            return
        now = self._clock()
        if starting:
            if not (self._asked_at > self._keyframe_at and now - self._asked_at < KEYFRAME_IN_FLIGHT):
                self.keyframes_for_starts += 1
                self._ask(now)
            return
        if self.keyframes.may_request(now):
            self._ask(now)
        elif self._pli_pending is None:
            wait = self.keyframes.pending_delay(now)
            loop = asyncio.get_running_loop()

            def later() -> None:
                self._pli_pending = None
                self.request_keyframe()

            self._pli_pending = loop.call_later(wait, later)

    def _ask(self, now: float) -> None:
        self._asked_at = now
        self._request_pli(self.media_ssrc)

    def close(self) -> None:
        if self._pli_pending is not None:
            self._pli_pending.cancel()
            self._pli_pending = None
        for down in tuple(self.downs):
            down.bind(None)


class DownTrack:
    """One media section of a subscriber's connection, carrying one up track at a time."""

    def __init__(self, sender: RTCRtpSender, kind: str, mid: str | None = None,
                 clock_fn: Callable[[], float] = time.monotonic) -> None:
        self.sender = sender
        self.kind = kind
        self.mid = mid
        self.up: UpTrack | None = None
        self.ready = False  # set once the subscriber has answered the offer with this section
        self.packets_sent = 0
        self.bytes_sent = 0
        #: the subscriber's link's repair budget (downlink.py shares one among its down tracks)
        self.repair: RepairBudget | None = None
        #: the latest REMB the subscriber sent for this section (bit/s) and when (clock_fn)
        self.remb_bps: int | None = None
        self.remb_at = float("-inf")
        #: forwarding nothing for now (downlink.py: the allocation did not fit it)
        self.paused = False
        #: when it last started forwarding a source (clock_fn): its REMB needs a while to settle
        self.started_at = float("-inf")
        self.keyframes_asked = 0  # keyframe requests this down track passed on for loss
        #: until when (clock_fn) it takes its camera's small layer to mend its own loss
        #: (``_recover``; downlink.py allocates no more), -inf while it does not
        self.recovering_until = float("-inf")
        self._recover_hold = RECOVER_HOLD
        self._recovered_at = float("-inf")  # when it last went back up
        self._clock = clock_fn
        self._loss_keyframe_at = float("-inf")
        self._ssrc = seam.sender_ssrc(sender)  # what our packets say they are
        self._payload_type: int | None = None
        self._abs_send_time_id: int | None = None
        self._ext_id_byte: int | None = None  # abs-send-time's one-byte extension header, << 24
        self._sent_times = (0, 0)  # RTP and NTP timestamps of the latest packet sent
        # seq -> (seq, packet, when first sent, times resent)
        self._history: list[list | None] = [None] * HISTORY_SIZE
        self._waiting_keyframe = kind == "video"
        self._waiting_since = 0.0
        self._started = False
        self._in_last = 0  # newest upstream sequence number of the current source
        self._in_count = 0  # how far (in packets) that is past where the source started
        self._seq_offset = 0
        self._ts_offset = 0
        self._last_seq: int | None = None
        self._last_ts = 0
        self._direct: Callable[[bytes], bool] | None = None  # seam.direct_rtp_sender, once connected
        self._next: UpTrack | None = None  # switching to this layer at its next keyframe
        self._switched_from: UpTrack | None = None  # the layer a switch left (until _start)
        seam.attach_sender(
            sender, seam.SenderHooks(self._on_keyframe_request, self._on_nack, self._on_started,
                                     self._on_remb)
        )

    @property
    def attendee_id(self) -> str | None:
        return self.up.attendee_id if self.up else None

    @property
    def rtt(self) -> float | None:
        """The subscriber's round trip on this section (seconds, from its receiver reports)."""
        return seam.sender_rtt(self.sender)

    @property
    def rtt_sample(self) -> tuple[float, float] | None:
        """(the newest round trip a receiver report gave, unsmoothed, seconds; when it came:
        time.time())."""
        return seam.sender_rtt_sample(self.sender)

    @property
    def reported_loss(self) -> tuple[float, float] | None:
        """(the share its latest receiver report said was lost, when it came: time.time())."""
        return seam.sender_reported_loss(self.sender)

    def _on_started(self, payload_type: int, abs_send_time_id: int | None = None) -> None:
        """aiortc started the sender: the section is negotiated and its transport connected."""
        self._payload_type = payload_type
        self._abs_send_time_id = abs_send_time_id
        self._ext_id_byte = None if abs_send_time_id is None else ((abs_send_time_id << 4) | 2) << 24
        self.set_ready()

    def _on_remb(self, bitrate: int) -> None:
        self.remb_bps = bitrate
        self.remb_at = self._clock()

    def bind(self, up: UpTrack | None) -> None:
        """Carry ``up`` from now on (None: carry nothing)."""
        self._drop_next()
        if up is self.up:
            return
        if self.up is not None:
            self.up.downs.discard(self)
        self.up = up
        self._restart()
        if up is not None:
            up.downs.add(self)
            if up.on_wanted is not None and not self.paused:
                up.on_wanted(up)
            if self.ready and not self.paused and not self._start_from_recent():
                self._ask_keyframe(starting=True)

    def switch(self, up: UpTrack) -> None:
        """Carry ``up``, another layer of the same camera, from its next keyframe (asked for
        now) on; until then the current layer goes on, so the picture never stops."""
        if up is self.up:
            self._drop_next()
            return
        if self.recovering_until != float("-inf") and up.layer != VideoLayer.LOW:
            # back from mending on the small layer (``_recover``): this keyframe of a layer
            # others take is this subscriber's, and counts as its loss's next one
            self.recovering_until = float("-inf")
            self._loss_keyframe_at = self._recovered_at = self._clock()
        if self.up is None or not self._started or self.paused:
            self.bind(up)
            return
        if up is not self._next:
            self._drop_next()
            self._next = up
            up.downs.add(self)
            if up.on_wanted is not None:
                up.on_wanted(up)
        self._waiting_since = self._clock()
        up.request_keyframe()

    def _drop_next(self) -> None:
        if self._next is not None:
            if self._next is not self.up:
                self._next.downs.discard(self)
            self._next = None

    def _restart(self) -> None:
        """The next packet forwarded starts a source anew (at a keyframe, for video)."""
        self._started = False
        self._waiting_keyframe = self.kind == "video"

    def pause(self, paused: bool) -> None:
        """Stop forwarding (True), or forward again from the next keyframe, asked for now."""
        if paused == self.paused:
            return
        self.paused = paused
        self._restart()
        if not paused and self.up is not None and self.up.on_wanted is not None:
            self.up.on_wanted(self.up)
        if not paused and self.ready and self.up is not None:
            self._ask_keyframe()

    def set_ready(self) -> None:
        if not self.ready:
            self.ready = True
            if self.up is not None and not self.paused and not self._start_from_recent():
                self._ask_keyframe(starting=True)

    def prepare(self) -> None:
        """The subscriber answered an offer with this section, which starts once its connection
        is up: a video section asks for its keyframe now, so that it is there by then (the up
        track keeps it: ``recent_picture``) instead of a frame interval and a round trip later."""
        if self.kind == "video" and not self.ready and self.up is not None and not self.paused:
            self._ask_keyframe(starting=True)

    def _start_from_recent(self) -> bool:
        """A video section starting on a source that had a keyframe lately: forward the
        packets from it on at once (``UpTrack.recent_picture``), then the live ones; whether
        it started so."""
        up = self.up
        if self.kind != "video" or up is None or self._started:
            return False
        packets = up.recent_picture()
        if not packets:
            return False
        ntp = seam.current_ntp_time()
        pending = [sending for i, packet in enumerate(packets)
                   if (sending := self.forward(packet, ntp, i == 0, up)) is not None]
        if pending:  # not connected to the socket directly yet: in order, through aiortc
            asyncio.ensure_future(_wait_all(pending))
        return self._started

    def _ask_keyframe(self, starting: bool = False) -> None:
        self._waiting_since = self._clock()
        if self.up is not None:
            self.up.request_keyframe(starting)

    async def write(self, packet: RtpPacket, ntp_timestamp: int, keyframe: bool = False,
                    source: UpTrack | None = None) -> None:
        """Send ``packet``: ``forward``, and wait for it when it does not go out directly."""
        pending = self.forward(packet, ntp_timestamp, keyframe, source)
        if pending is not None:
            await pending

    def forward(self, packet: RtpPacket, ntp_timestamp: int, keyframe: bool = False,
                source: UpTrack | None = None) -> Awaitable[bool] | None:
        """Send ``packet`` (of the codec this section was negotiated for; ``keyframe``: it
        begins a keyframe, which a video section that starts or switches source waits for;
        ``source``: the up track it comes from, when it may be the layer switched to).

        Synchronous on the usual path (it runs for every packet and every subscriber): None
        once the packet is sent or dropped, or what is left to await when it must go through
        aiortc's own send path (not connected yet, or the direct socket went away)."""
        if not self.ready or self._payload_type is None or self.paused:
            return None
        if source is not None and source is not self.up:
            if source is not self._next:
                return None
            if not keyframe:
                if self._clock() - self._waiting_since > KEYFRAME_RETRY:
                    self._waiting_since = self._clock()
                    source.request_keyframe()
                return None
            self._next = None  # the new layer's keyframe: switch here, seamlessly
            self.up.downs.discard(self)
            self._switched_from = self.up
            self.up = source
            self._restart()
        if not self._started:
            if self._waiting_keyframe:
                if not keyframe:
                    if self._clock() - self._waiting_since > KEYFRAME_RETRY:
                        self._ask_keyframe()
                    return None
                self._waiting_keyframe = False
            self._start(packet)
        else:
            # Position relative to the newest packet seen, unwrapped: anything from before this
            # source started for us (a late retransmission) is not ours to forward.
            delta = ((packet.sequence_number - self._in_last + 0x8000) & 0xFFFF) - 0x8000
            if self._in_count + delta < 0:
                return None
            if delta > 0:
                self._in_last = packet.sequence_number
                self._in_count += delta
        seq = (packet.sequence_number + self._seq_offset) & 0xFFFF
        timestamp = (packet.timestamp + self._ts_offset) & 0xFFFFFFFF
        payload = packet.payload
        if self._ext_id_byte is None:
            data = _HEADER.pack(0x80, (packet.marker << 7) | self._payload_type, seq, timestamp,
                                self._ssrc) + payload
        else:  # abs-send-time: 6.18 fixed-point seconds, 24 bits (what aiortc's senders stamp)
            data = _HEADER_ABS_SEND_TIME.pack(
                0x90, (packet.marker << 7) | self._payload_type, seq, timestamp, self._ssrc,
                0xBEDE, 1, self._ext_id_byte | ((ntp_timestamp >> 14) & 0xFFFFFF)) + payload
        self._history[seq % HISTORY_SIZE] = [seq, data, self._clock(), 0, None]  # .., first NACK at
        last = self._last_seq
        if last is None or 0 < ((seq - last) & 0xFFFF) < 0x8000:  # newer than the newest sent
            self._last_seq = seq
            self._last_ts = timestamp
        direct = self._direct  # the usual path, without a coroutine per packet
        if direct is None or not direct(data):
            return self._send_slowly(data, timestamp, ntp_timestamp, len(payload))
        self.packets_sent += 1  # (``_sent``, inline: it runs per packet and per subscriber)
        self.bytes_sent += len(payload)
        self._sent_times = (timestamp, ntp_timestamp)
        return None

    def _sent(self, timestamp: int, ntp_timestamp: int, size: int) -> None:
        self.packets_sent += 1
        self.bytes_sent += size
        self._sent_times = (timestamp, ntp_timestamp)  # what the next sender report says

    async def _send_slowly(self, data: bytes, timestamp: int, ntp_timestamp: int, size: int) -> bool:
        if not await self._send(data):
            return False
        self._sent(timestamp, ntp_timestamp, size)
        return True

    def report(self) -> bytes | None:
        """This section's RTCP sender report, or None when it sent nothing since its last: the
        publisher's clock (``sender_mapping``), else when its latest packet was sent."""
        if not self.ready:
            return None
        mapping = self.sender_mapping(seam.current_ntp_time()) or self._sent_times
        return seam.sender_report(self.sender, self.packets_sent, self.bytes_sent, *mapping)

    def sender_mapping(self, ntp: int) -> tuple[int, int] | None:
        """(RTP time, ``ntp``): the time in this section's timestamps that the publisher's
        clock gives to the server's NTP time ``ntp`` (sender_clock.py); None before the
        publisher reported on the track it carries, or before it carried anything."""
        if self.up is None or self._last_seq is None:
            return None
        rtp = self.up.sender_clock.rtp_at(ntp)
        if rtp is None:
            return None
        return (rtp + self._ts_offset) & 0xFFFFFFFF, ntp

    async def _send(self, data: bytes) -> bool:
        """Send through aiortc's own path (not connected yet, or the direct socket went away),
        then use the direct one from now on if there is one."""
        self._direct = None
        try:
            await seam.send_rtp(self.sender, data)
        except ConnectionError:
            return False
        self._direct = seam.direct_rtp_sender(self.sender)
        return True

    def _start(self, packet: RtpPacket) -> None:
        """Map a new source onto this section, continuing our sequence and timestamps."""
        self._started = True
        self.started_at = self._clock()
        self._in_last = packet.sequence_number
        self._in_count = 0
        if self._last_seq is None:
            self._seq_offset = 0
            self._ts_offset = 0
        else:
            step = 3000 if self.kind == "video" else 960
            self._seq_offset = (self._last_seq + 1 - packet.sequence_number) & 0xFFFF
            before, self._switched_from = self._switched_from, None
            aligned = None
            if before is not None and self.up is not None and before.primary is self.up.primary:
                # another layer of the same camera: the same instant, the same rewritten time
                aligned = aligned_offset(before.sender_clock, self._ts_offset, self.up.sender_clock,
                                         seam.current_ntp_time(), self._last_ts, packet.timestamp)
            self._ts_offset = aligned if aligned is not None else (self._last_ts + step - packet.timestamp) & 0xFFFFFFFF

    def _on_keyframe_request(self) -> None:
        """The subscriber lost a picture (PLI/FIR): ask for a keyframe, at most one per
        LOSS_KEYFRAME_INTERVAL for this subscriber's loss when others take the same layer (they
        get it too). The layer's own KEYFRAME_MIN_INTERVAL is the only limit when nobody else
        takes it (a small layer only a poor link gets: its keyframes cost nobody else), or when
        the publisher's own link lost a packet of it in the last UPSTREAM_LOSS_RECENT seconds
        (the loss is not this subscriber's: everyone missed that packet)."""
        now = self._clock()
        up = self.up
        if up is None or self.paused:
            return
        own = now - up.upstream_gap_at > UPSTREAM_LOSS_RECENT and self._others_take(up)
        if now - self._loss_keyframe_at < (LOSS_KEYFRAME_INTERVAL if own else KEYFRAME_MIN_INTERVAL):
            if own:
                self._recover(now)
            return
        self._loss_keyframe_at = now
        self.keyframes_asked += 1
        self.up.request_keyframe()

    def _others_take(self, up: UpTrack) -> bool:
        """Another subscriber's section forwards ``up`` now (its keyframes reach them too)."""
        return any(down is not self and not down.paused for down in up.downs)

    def _recover(self, now: float) -> None:
        """This subscriber's own loss broke a picture of a layer others take, and the keyframe
        that would mend it is held (one per LOSS_KEYFRAME_INTERVAL: a keyframe of that layer
        goes to everyone). Near a link's edge a keyframe can itself lose a packet, and the
        picture then stayed broken 5.5-9.6 s (bench/README, "Joining a link"). So it switches
        to the camera's small layer, if nobody else takes that one: its keyframe, asked for now,
        costs no one else, comes within a round trip, and is small; the picture is whole again
        at once, smaller. It stays there RECOVER_HOLD seconds (twice as long each time the
        whole picture failed again soon after going back up), and at least until its next
        keyframe request for the shared layer would be allowed, so that going back up (a
        keyframe of that layer; downlink.py's allocation switches it) is held to the same limit."""
        up = self.up
        if up is None or self.recovering_until > now:
            return
        small = up.layers.get(VideoLayer.LOW)
        if small is None or small is up or not small.available or self._others_take(small):
            return
        again = now - self._recovered_at < RECOVER_AGAIN
        self._recover_hold = min(RECOVER_HOLD_MAX, 2 * self._recover_hold) if again else RECOVER_HOLD
        self.recovering_until = max(now + self._recover_hold, self._loss_keyframe_at + LOSS_KEYFRAME_INTERVAL)
        logger.info("down track %s: mending its own loss on %s's small layer", self.mid, up.attendee_id)
        self.switch(small)

    async def _on_nack(self, seq: int) -> None:
        """A subscriber lost ``seq``: send the very same packet again, if it can still arrive in
        time and the link's repair budget has room; else a video section gets a keyframe
        instead (``_on_keyframe_request``: coalesced), and nothing is resent.

        Not over RTX: aiortc's receiver routes RTX by payload type alone when its SSRC is not
        in the SDP's encodings, and with several bundled video sections sharing the RTX
        payload type it drops every RTX packet. A plain retransmission is routed by SSRC."""
        entry = self._history[seq % HISTORY_SIZE]
        if entry is None or entry[0] != seq or self.paused:
            return
        data: bytes = entry[1]
        now = self._clock()
        if entry[4] is None:
            entry[4] = now
        if self.repair is not None and not self.repair.allow(len(data), entry[2], entry[3], now,
                                                             entry[4], self.rtt):
            if self.kind == "video":
                self._on_keyframe_request()
            return
        entry[3] += 1
        if self._abs_send_time_id is not None:  # stamped anew: it leaves now
            stamp = ((seam.current_ntp_time() >> 14) & 0xFFFFFF).to_bytes(3, "big")
            data = data[:17] + stamp + data[20:]
        try:
            await seam.send_rtp(self.sender, data)
        except ConnectionError:
            pass

    def close(self) -> None:
        self.bind(None)
