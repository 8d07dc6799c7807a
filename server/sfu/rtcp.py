"""RTCP with ``struct`` (standard library only): the sender reports the forwarding unit makes,
and the compound packets it receives most often, read without aiortc's parser.

aiortc parses every RTCP packet into dataclasses (one per packet, per report block, per SDES
chunk and item) and routes each through a coroutine per recipient; it serialises its own with
the same dataclasses. At 1 → 15 the server receives about a hundred compound packets a second
of three kinds (bench/README.md, issue 22 item 5, fourth session): every aiortc sender's report
and SDES, about once a second per section, camera on or not; every subscriber's receiver
reports; and their REMB. :func:`read_compound` reads those, and only those; anything else (a
NACK, a PLI, a BYE, a sender report with report blocks, what is malformed) makes it answer None,
and the caller hands the whole compound packet to aiortc as before, so nothing is reordered.
"""

from __future__ import annotations

import struct

__all__ = ["RTCP_SDES", "RTCP_SR", "ReceiverBlock", "Remb", "SenderReport", "read_compound", "sdes",
           "sender_report"]

RTCP_SR, RTCP_RR, RTCP_SDES, RTCP_PSFB = 200, 201, 202, 206
PSFB_REMB = 15  # payload-specific feedback, application layer: REMB
_HEADER = struct.Struct("!BBH")
#: a sender report without report blocks (RFC 3550 6.4.1: header, SSRC, NTP time, RTP time,
#: packet and octet counts), as aiortc's ``RtcpSrPacket`` serialises it
_SR = struct.Struct("!BBHLQLLL")
_SR_BODY = struct.Struct("!LQL")  # SSRC, NTP time, RTP time
_BLOCK = struct.Struct("!LB3xLLLL")  # SSRC, fraction lost, (lost), highest seq, jitter, LSR, DLSR
_SSRC = struct.Struct("!L")


def sender_report(ssrc: int, ntp: int, rtp: int, packets: int, octets: int) -> bytes:
    """A sender report without report blocks, as aiortc serialises one (counts modulo 2**32)."""
    return _SR.pack(0x80, RTCP_SR, 6, ssrc, ntp, rtp & 0xFFFFFFFF, packets & 0xFFFFFFFF, octets & 0xFFFFFFFF)


def sdes(ssrc: int, cname: bytes) -> bytes:
    """One SDES packet with one chunk (``ssrc``'s CNAME), as aiortc's ``RtcpSdesPacket``
    serialises it (the item list ended by two zero bytes, then padded to 32 bits)."""
    chunk = struct.pack("!LBB", ssrc, 1, len(cname)) + cname + b"\x00\x00"
    chunk += bytes(-len(chunk) % 4)
    return _HEADER.pack(0x81, RTCP_SDES, len(chunk) // 4) + chunk


class SenderReport(tuple):
    """(SSRC, NTP time, RTP time) of a sender report without report blocks."""

    __slots__ = ()


class ReceiverBlock(tuple):
    """(SSRC reported on, fraction lost (of 256), LSR, DLSR) of one report block."""

    __slots__ = ()


class Remb(tuple):
    """(bit rate, the SSRCs it is for) of a Receiver Estimated Maximum Bitrate."""

    __slots__ = ()


def read_compound(data: bytes) -> list[tuple] | None:
    """The sender reports (no report blocks), receiver reports' blocks and REMBs of a decrypted
    compound RTCP packet, in order (SDES skipped unread); None when it holds anything else, or
    when its packets' headers and lengths are not what aiortc's parser accepts."""
    size, pos = len(data), 0
    found: list[tuple] = []
    while pos < size:
        if size - pos < 4:
            return None
        first, kind, words = _HEADER.unpack_from(data, pos)
        end = pos + 4 + 4 * words
        if first >> 6 != 2 or first & 0x20 or end > size:  # (padding: aiortc's)
            return None
        count = first & 0x1F
        if kind == RTCP_SR:
            if count or words != 6:
                return None
            found.append(SenderReport(_SR_BODY.unpack_from(data, pos + 4)))
        elif kind == RTCP_RR:
            if words != 1 + 6 * count:
                return None
            for at in range(pos + 8, end, 24):
                ssrc, fraction, _seq, _jitter, lsr, dlsr = _BLOCK.unpack_from(data, at)
                found.append(ReceiverBlock((ssrc, fraction, lsr, dlsr)))
        elif kind == RTCP_PSFB and count == PSFB_REMB:
            fci = data[pos + 12:end]
            if words < 2 or len(fci) < 8 or fci[:4] != b"REMB" or len(fci) < 8 + 4 * fci[4]:
                return None
            bitrate = (((fci[5] & 0x03) << 16) | (fci[6] << 8) | fci[7]) << ((fci[5] & 0xFC) >> 2)
            found.append(Remb((bitrate, [_SSRC.unpack_from(fci, 8 + 4 * i)[0] for i in range(fci[4])])))
        elif kind != RTCP_SDES:
            return None
        pos = end
    return found
