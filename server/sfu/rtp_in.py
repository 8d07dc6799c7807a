"""Reading a received RTP packet once, with ``struct``, into what forwarding needs.

aiortc parses every received packet into an ``RtpPacket`` with a ``HeaderExtensions`` object
(each extension it knows decoded, a CSRC list, a dataclass per packet) and routes it through
three coroutines. A forwarding unit reads only the fixed header, the payload and one
extension (abs-send-time, for the uplink's estimate): :func:`parse_rtp` reads those and nothing
else, and refuses what aiortc's parser refuses (too short, not version 2, a CSRC list, an
extension block or padding longer than the packet). Standard library only.
"""

from __future__ import annotations

import struct

_FIXED = struct.Struct("!BBHII")
_PROFILE = struct.Struct("!HH")
_SEQ = struct.Struct("!H")
ONE_BYTE_PROFILE = 0xBEDE  # RFC 8285 one-byte header extensions
TWO_BYTE_PROFILE = 0x1000  # RFC 8285 two-byte header extensions (low 4 bits: app bits)


class ReceivedPacket:
    """One received RTP packet: the fields a forwarding unit reads (named as aiortc's
    ``RtpPacket`` names them, so either can be forwarded)."""

    __slots__ = ("payload_type", "marker", "sequence_number", "timestamp", "ssrc", "payload", "padding_size")

    def __init__(self, payload_type: int, marker: int, sequence_number: int, timestamp: int, ssrc: int,
                 payload: bytes, padding_size: int = 0) -> None:
        self.payload_type = payload_type
        self.marker = marker
        self.sequence_number = sequence_number
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.payload = payload
        self.padding_size = padding_size

    def __repr__(self) -> str:
        return (f"ReceivedPacket(seq={self.sequence_number}, ts={self.timestamp}, marker={self.marker}, "
                f"pt={self.payload_type}, ssrc={self.ssrc}, {len(self.payload)} bytes)")


def _extension(profile: int, block: bytes, wanted: int) -> bytes | None:
    """The value of extension ``wanted`` in an extension block; None when absent, or when the
    block is malformed (a length running past its end)."""
    pos, end = 0, len(block)
    if profile == ONE_BYTE_PROFILE:
        while pos < end:
            byte = block[pos]
            if byte == 0:  # padding
                pos += 1
                continue
            ext_id = byte >> 4
            if ext_id == 15:  # RFC 8285: stop reading
                return None
            size = (byte & 0x0F) + 1
            pos += 1
            if pos + size > end:
                return None
            if ext_id == wanted:
                return block[pos:pos + size]
            pos += size
    elif profile & 0xFFF0 == TWO_BYTE_PROFILE:
        while pos < end:
            if block[pos] == 0:
                pos += 1
                continue
            if pos + 2 > end:
                return None
            ext_id, size = block[pos], block[pos + 1]
            pos += 2
            if pos + size > end:
                return None
            if ext_id == wanted:
                return block[pos:pos + size]
            pos += size
    return None


def parse_rtp(data: bytes, abs_send_time_id: int | None = None) -> tuple[ReceivedPacket, int | None] | None:
    """``data`` (a decrypted RTP packet) read into a :class:`ReceivedPacket`, with its
    abs-send-time (24 bits; None when it carries none, or ``abs_send_time_id`` is None);
    None for a malformed packet."""
    size = len(data)
    if size < 12:
        return None
    first, m_pt, seq, timestamp, ssrc = _FIXED.unpack_from(data)
    if first >> 6 != 2:
        return None
    pos = 12 + 4 * (first & 0x0F)
    if size < pos:
        return None
    abs_send_time = None
    if first & 0x10:
        if size < pos + 4:
            return None
        profile, words = _PROFILE.unpack_from(data, pos)
        pos += 4
        end = pos + 4 * words
        if size < end:
            return None
        if abs_send_time_id:
            value = _extension(profile, data[pos:end], abs_send_time_id)
            if value is not None and len(value) == 3:
                abs_send_time = int.from_bytes(value, "big")
        pos = end
    padding = 0
    if first & 0x20:
        padding = data[-1]
        if not padding or padding > size - pos:
            return None
        payload = data[pos:size - padding]
    else:
        payload = data[pos:]
    return ReceivedPacket(m_pt & 0x7F, m_pt >> 7, seq, timestamp, ssrc, payload, padding), abs_send_time


def unwrap_rtx(rtx, payload_type: int, ssrc: int) -> ReceivedPacket | None:  # noqa: ANN001 - any RTP packet
    """The packet an RTX packet (RFC 4588) carries, as ``payload_type`` on ``ssrc``; None when
    its payload is too short to hold the original sequence number."""
    payload = rtx.payload
    if len(payload) < 2:
        return None
    return ReceivedPacket(payload_type, rtx.marker, _SEQ.unpack_from(payload)[0], rtx.timestamp, ssrc,
                          payload[2:])
