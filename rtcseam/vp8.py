"""Reading VP8 RTP payloads (RFC 7741's payload descriptor, RFC 6386's frame header) without
decoding: where a keyframe starts and how tall it is. Shared by the server's forwarding unit
and the app's receive counters; stdlib only."""

from __future__ import annotations

__all__ = ["vp8_keyframe_height", "vp8_keyframe_start"]

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
