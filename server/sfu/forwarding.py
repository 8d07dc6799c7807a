"""The forwarding model: up tracks (what a publisher sends) and down tracks (what a subscriber
receives), moving RTP packets between them without decoding or holding a frame.

An :class:`UpTrack` is fed packet by packet from a publisher's receiver (see seam.tap_receiver)
and writes each packet to its :class:`DownTrack` s. A down track rewrites the header (its own
SSRC, payload type, continuous sequence numbers and timestamps) and sends the packet on the
subscriber's connection at once. A video down track that starts (or switches source) waits for
a keyframe, and asks the publisher for one. Loss is repaired hop by hop: the server NACKs the
publisher (seam.tap_receiver; RTX on that leg) and answers a subscriber's NACKs by resending the
packet as it was, from a short history (not over RTX: see ``DownTrack._on_nack``).
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Callable

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc import RTCRtpSender
from aiortc.rtp import RtpPacket

from . import seam

logger = logging.getLogger(__name__)

HISTORY_SIZE = 512  # packets kept per down track for retransmission (a power of two)
KEYFRAME_MIN_INTERVAL = 0.25  # seconds between keyframe requests to one publisher
KEYFRAME_RETRY = 1.0  # a waiting down track asks again after this long
_HEADER = struct.Struct("!BBHII")


#: The codec each kind of up track forwards (as aiortc names it): what the publisher's answer
#: negotiates (peers.PREFERRED_MIME) and what every subscriber section is told it carries.
FORWARDED_MIME = {"audio": "audio/opus", "video": "video/vp8"}
_VP8_START_CODE = b"\x9d\x01\x2a"


def vp8_keyframe_start(payload: bytes) -> bool:
    """True when this VP8 RTP payload begins a keyframe: RFC 7741's payload descriptor, then
    the frame tag's key-frame bit and the start code every key frame carries (RFC 6386 9.1),
    so that no other codec's payload (an H264 STAP-A, say) passes for one."""
    if len(payload) < 2:
        return False
    b0 = payload[0]
    if not b0 & 0x10 or b0 & 0x07:  # not the start of partition 0
        return False
    pos = 1
    if b0 & 0x80:  # extended control bits
        b1 = payload[1]
        pos = 2
        if b1 & 0x80:  # picture id, 7 or 15 bits
            if len(payload) <= pos:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if b1 & 0x40:  # TL0PICIDX
            pos += 1
        if b1 & 0x30:  # TID / KEYIDX
            pos += 1
    return (len(payload) >= pos + 6 and not payload[pos] & 0x01
            and payload[pos + 3:pos + 6] == _VP8_START_CODE)


def keyframe_start(mime_type: str, payload: bytes) -> bool:
    """True when ``payload``, of the codec ``mime_type``, begins a keyframe. Only VP8 is
    forwarded as video (FORWARDED_MIME): anything else is never a keyframe."""
    return mime_type.lower() == "video/vp8" and vp8_keyframe_start(payload)


def _seq_newer(a: int, b: int) -> bool:
    """a comes after b in 16-bit sequence space."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000


class UpTrack:
    """One published track (an attendee's microphone or camera) on the server."""

    def __init__(
        self,
        attendee_id: str,
        kind: str,
        request_pli: Callable[[int], object],
        clock_fn: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attendee_id = attendee_id
        self.kind = kind
        self.downs: set[DownTrack] = set()
        self.media_ssrc: int | None = None
        self.packets_received = 0
        #: Packets not forwarded because they are not of the negotiated codec (a payload type
        #: the answer did not accept, or a codec other than FORWARDED_MIME[kind]).
        self.packets_dropped = 0
        self._mime = FORWARDED_MIME[kind]
        self._request_pli = request_pli
        self._clock = clock_fn
        self.loss_counts: Callable[[], tuple[int, int]] | None = None  # (received, lost) so far
        self._loss_mark = (0, 0)
        self._last_pli = float("-inf")
        self._pli_pending: asyncio.TimerHandle | None = None

    async def on_packet(self, packet: RtpPacket, codec: RTCRtpCodecParameters) -> None:
        """A packet from the publisher, with the codec its payload type was negotiated for:
        forwarded if that is the codec this track forwards, else dropped and counted."""
        if codec.mimeType.lower() != self._mime:
            self.drop_packet()
            return
        self.media_ssrc = packet.ssrc
        self.packets_received += 1
        if self.downs:
            ntp = seam.current_ntp_time()  # once per packet, for every subscriber's reports
            keyframe = self.kind == "video" and keyframe_start(codec.mimeType, packet.payload)
            for down in tuple(self.downs):
                await down.write(packet, ntp, keyframe)

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

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe, at most every KEYFRAME_MIN_INTERVAL."""
        if self.kind != "video" or self.media_ssrc is None:
            return
        now = self._clock()
        wait = self._last_pli + KEYFRAME_MIN_INTERVAL - now
        if wait <= 0:
            self._last_pli = now
            self._request_pli(self.media_ssrc)
        elif self._pli_pending is None:
            loop = asyncio.get_running_loop()

            def later() -> None:
                self._pli_pending = None
                self.request_keyframe()

            self._pli_pending = loop.call_later(wait, later)

    def close(self) -> None:
        if self._pli_pending is not None:
            self._pli_pending.cancel()
            self._pli_pending = None
        for down in tuple(self.downs):
            down.bind(None)


class DownTrack:
    """One media section of a subscriber's connection, carrying one up track at a time."""

    def __init__(self, sender: RTCRtpSender, kind: str, mid: str | None = None) -> None:
        self.sender = sender
        self.kind = kind
        self.mid = mid
        self.up: UpTrack | None = None
        self.ready = False  # set once the subscriber has answered the offer with this section
        self.packets_sent = 0
        self._ssrc = seam.sender_ssrc(sender)  # what our packets say they are
        self._payload_type: int | None = None
        self._history: list[tuple[int, bytes] | None] = [None] * HISTORY_SIZE
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
        seam.attach_sender(
            sender, seam.SenderHooks(self._on_keyframe_request, self._on_nack, self._on_started)
        )

    @property
    def attendee_id(self) -> str | None:
        return self.up.attendee_id if self.up else None

    def _on_started(self, payload_type: int) -> None:
        """aiortc started the sender: the section is negotiated and its transport connected."""
        self._payload_type = payload_type
        self.set_ready()

    def bind(self, up: UpTrack | None) -> None:
        """Carry ``up`` from now on (None: carry nothing)."""
        if up is self.up:
            return
        if self.up is not None:
            self.up.downs.discard(self)
        self.up = up
        self._started = False
        self._waiting_keyframe = self.kind == "video"
        if up is not None:
            up.downs.add(self)
            if self.ready:
                self._ask_keyframe()

    def set_ready(self) -> None:
        if not self.ready:
            self.ready = True
            if self.up is not None:
                self._ask_keyframe()

    def _ask_keyframe(self) -> None:
        self._waiting_since = time.monotonic()
        if self.up is not None:
            self.up.request_keyframe()

    async def write(self, packet: RtpPacket, ntp_timestamp: int, keyframe: bool = False) -> None:
        """Send ``packet`` (of the codec this section was negotiated for; ``keyframe``: it
        begins a keyframe, which a video section that starts or switches source waits for)."""
        if not self.ready or self._payload_type is None:
            return
        if not self._started:
            if self._waiting_keyframe:
                if not keyframe:
                    if time.monotonic() - self._waiting_since > KEYFRAME_RETRY:
                        self._ask_keyframe()
                    return
                self._waiting_keyframe = False
            self._start(packet)
        else:
            # Position relative to the newest packet seen, unwrapped: anything from before this
            # source started for us (a late retransmission) is not ours to forward.
            delta = ((packet.sequence_number - self._in_last + 0x8000) & 0xFFFF) - 0x8000
            if self._in_count + delta < 0:
                return
            if delta > 0:
                self._in_last = packet.sequence_number
                self._in_count += delta
        seq = (packet.sequence_number + self._seq_offset) & 0xFFFF
        timestamp = (packet.timestamp + self._ts_offset) & 0xFFFFFFFF
        data = _HEADER.pack(
            0x80,
            (packet.marker << 7) | self._payload_type,
            seq,
            timestamp,
            self._ssrc,
        ) + packet.payload
        self._history[seq % HISTORY_SIZE] = (seq, data)
        if self._last_seq is None or _seq_newer(seq, self._last_seq):
            self._last_seq = seq
            self._last_ts = timestamp
        if self._direct is None or not self._direct(data):
            self._direct = None
            try:
                await seam.send_rtp(self.sender, data)
            except ConnectionError:
                return
            self._direct = seam.direct_rtp_sender(self.sender)
        self.packets_sent += 1
        seam.account_sent(self.sender, timestamp, ntp_timestamp, len(data) - 12)

    def _start(self, packet: RtpPacket) -> None:
        """Map a new source onto this section, continuing our sequence and timestamps."""
        self._started = True
        self._in_last = packet.sequence_number
        self._in_count = 0
        if self._last_seq is None:
            self._seq_offset = 0
            self._ts_offset = 0
        else:
            step = 3000 if self.kind == "video" else 960
            self._seq_offset = (self._last_seq + 1 - packet.sequence_number) & 0xFFFF
            self._ts_offset = (self._last_ts + step - packet.timestamp) & 0xFFFFFFFF

    def _on_keyframe_request(self) -> None:
        if self.up is not None:
            self.up.request_keyframe()

    async def _on_nack(self, seq: int) -> None:
        """A subscriber lost ``seq``: send the very same packet again.

        Not over RTX: aiortc's receiver routes RTX by payload type alone when its SSRC is not
        in the SDP's encodings, and with several bundled video sections sharing the RTX
        payload type it drops every RTX packet. A plain retransmission is routed by SSRC."""
        entry = self._history[seq % HISTORY_SIZE]
        if entry is None or entry[0] != seq:
            return
        try:
            await seam.send_rtp(self.sender, entry[1])
        except ConnectionError:
            pass

    def close(self) -> None:
        self.bind(None)
