"""Reading VP8 RTP payloads (RFC 7741's payload descriptor, RFC 6386's frame header) without
decoding: where a keyframe starts and how tall it is. Shared by the server's forwarding unit
and the app's receive counters; stdlib only."""

from __future__ import annotations

__all__ = ["parse_vp8_descriptor", "vp8_keyframe_height", "vp8_keyframe_start", "vp8_picture_id"]

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


def vp8_keyframe_height(payload: bytes) -> int | None:
    """The picture height a VP8 keyframe's first packet says (RFC 6386 9.1: after the start
    code, 14 bits of width then 14 of height), or None."""
    at = payload.find(_VP8_START_CODE, 0, 16)
    if at < 0 or len(payload) < at + 7:
        return None
    return int.from_bytes(payload[at + 5:at + 7], "little") & 0x3FFF


def parse_vp8_descriptor(payload: bytes) -> tuple[bool, int | None, int, int]:
    """RFC 7741's VP8 payload descriptor: (start of partition 0, picture id or None, picture id
    modulus, where the VP8 data starts). ValueError when it is truncated."""
    if not payload:
        raise ValueError("empty VP8 payload")
    octet = payload[0]
    start = bool(octet & 0x10) and (octet & 0x0F) == 0
    pos = 1
    picture_id, modulus = None, 1 << 15
    if octet & 0x80:
        if len(payload) < 2:
            raise ValueError("truncated VP8 descriptor")
        ext = payload[1]
        pos = 2
        if ext & 0x80:  # I: picture id
            if len(payload) <= pos:
                raise ValueError("truncated picture id")
            if payload[pos] & 0x80:
                if len(payload) <= pos + 1:
                    raise ValueError("truncated picture id")
                picture_id = ((payload[pos] & 0x7F) << 8) | payload[pos + 1]
                pos += 2
            else:
                picture_id, modulus = payload[pos], 1 << 7
                pos += 1
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T or K: one octet
            pos += 1
    if pos > len(payload):
        raise ValueError("truncated VP8 descriptor")
    return start, picture_id, modulus, pos


def vp8_picture_id(payload: bytes) -> int | None:
    """The picture id of a VP8 RTP payload (RFC 7741), or None when it has none or is truncated."""
    try:
        return parse_vp8_descriptor(payload)[1]
    except ValueError:
        return None
