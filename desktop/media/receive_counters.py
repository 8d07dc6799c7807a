"""What arrives on a received video section, counted at the packet (no Qt, no decoding).

``VideoReceiveCounter.on_packet`` sees every RTP packet of one video section as it arrives
(decrypted, before aiortc's jitter buffer: ``seam.observe_rtp``): how many came, how many came
again (the same sequence number: a retransmission that arrived after the original had), and the
keyframes (their first packets, and the RTP timestamps they carry, so a decoded picture can be
told to be a keyframe by its ``pts``, which aiortc sets to the RTP timestamp). The bot reports
these per remote; they cost a few attribute updates a packet.
"""

from __future__ import annotations

from collections import deque

__all__ = ["VideoReceiveCounter", "vp8_keyframe_start"]

_VP8_START_CODE = b"\x9d\x01\x2a"
SEQ_WINDOW = 1024  # sequence numbers remembered to recognise a packet that comes again
KEYFRAMES_KEPT = 64  # RTP timestamps of the latest keyframes


def vp8_keyframe_start(payload: bytes) -> bool:
    """True when this VP8 RTP payload begins a keyframe: RFC 7741's payload descriptor, then
    the frame tag's key-frame bit and the start code every key frame carries (RFC 6386 9.1).
    (The server's forwarding unit reads keyframes the same way, server/sfu/forwarding.py.)"""
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


class VideoReceiveCounter:
    """Counts of one received video section since it was made."""

    def __init__(self) -> None:
        self.packets = 0
        self.repeated = 0  # packets whose sequence number had come already
        self.keyframes = 0  # keyframes begun (counted once per RTP timestamp)
        self.keyframe_timestamps: deque[int] = deque(maxlen=KEYFRAMES_KEPT)
        self._seen: set[int] = set()
        self._order: deque[int] = deque()

    def on_packet(self, packet) -> None:
        """One RTP packet (aiortc's ``RtpPacket``: ``sequence_number``, ``timestamp``, ``payload``)."""
        self.packets += 1
        seq = packet.sequence_number
        if seq in self._seen:
            self.repeated += 1
            return
        self._seen.add(seq)
        self._order.append(seq)
        if len(self._order) > SEQ_WINDOW:
            self._seen.discard(self._order.popleft())
        if vp8_keyframe_start(packet.payload) and packet.timestamp not in self.keyframe_timestamps:
            self.keyframes += 1
            self.keyframe_timestamps.append(packet.timestamp)

    def is_keyframe(self, timestamp: int | None) -> bool:
        """Whether the picture of RTP timestamp ``timestamp`` began a keyframe (of the latest
        ``KEYFRAMES_KEPT``)."""
        return timestamp is not None and timestamp in self.keyframe_timestamps
