"""The receive path reads each RTP packet once with ``struct`` (server/sfu/rtp_in.py) instead
of aiortc's ``RtpPacket``: what it reads must be what aiortc reads, forwarded packets must
leave intact (payload, marker, timestamps continuous) with their header extensions replaced by
the subscriber's own abs-send-time, and a malformed packet is dropped without touching the
packets around it."""

from __future__ import annotations

import struct

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from server.sfu import seam
from server.sfu.forwarding import DownTrack, UpTrack
from server.sfu.rtp_in import ReceivedPacket, parse_rtp, unwrap_rtx

ABS_ID, MID_ID, LEVEL_ID = 3, 1, 5
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
RTX = RTCRtpCodecParameters(mimeType="video/rtx", clockRate=90000, payloadType=97, parameters={"apt": 96})
KEYFRAME = bytes([0x10, 0x00, 0x00, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xB4, 0x00]) + b"k" * 40
DELTA = bytes([0x10, 0x01]) + b"d" * 30


def extensions_map() -> HeaderExtensionsMap:
    ext = HeaderExtensionsMap()
    ext.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=MID_ID, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
        RTCRtpHeaderExtensionParameters(id=ABS_ID, uri=seam.ABS_SEND_TIME_URI),
        RTCRtpHeaderExtensionParameters(id=LEVEL_ID, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
    ]))
    return ext


def aiortc_packet(seq: int, payload: bytes, *, abs_send_time: int | None = 0x123456, mid: str | None = "1",
                  level: tuple[bool, int] | None = None, csrc: tuple[int, ...] = (), padding: int = 0,
                  marker: int = 0, ts: int = 9000, pt: int = 96, ssrc: int = 4321) -> bytes:
    packet = RtpPacket(payload_type=pt, marker=marker, sequence_number=seq, timestamp=ts, ssrc=ssrc,
                       payload=payload)
    packet.extensions.abs_send_time = abs_send_time
    packet.extensions.mid = mid
    packet.extensions.audio_level = level
    packet.csrc = list(csrc)
    packet.padding_size = padding
    return packet.serialize(extensions_map())


@pytest.mark.parametrize("kwargs", [
    {},
    {"abs_send_time": None},
    {"abs_send_time": None, "mid": None},
    {"level": (True, 40), "marker": 1},
    {"csrc": (7, 8, 9), "padding": 13},
    {"padding": 1, "ts": 0xFFFFFFFF, "ssrc": 0xFFFFFFFF},
])
def test_what_is_read_is_what_aiortc_reads(kwargs) -> None:
    data = aiortc_packet(65535, DELTA, **kwargs)
    theirs = RtpPacket.parse(data, extensions_map())
    parsed = parse_rtp(data, ABS_ID)
    assert parsed is not None
    ours, abs_send_time = parsed
    assert (ours.payload_type, ours.marker, ours.sequence_number, ours.timestamp, ours.ssrc, ours.payload,
            ours.padding_size) == (theirs.payload_type, theirs.marker, theirs.sequence_number, theirs.timestamp,
                                   theirs.ssrc, theirs.payload, theirs.padding_size)
    assert abs_send_time == theirs.extensions.abs_send_time


def test_two_byte_header_extensions_are_read_too() -> None:
    block = bytes([MID_ID, 1]) + b"1" + bytes([ABS_ID, 3]) + bytes([0xAB, 0xCD, 0xEF]) + b"\x00" * 4
    assert len(block) % 4 == 0
    data = struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + struct.pack("!HH", 0x1000, len(block) // 4) + block + DELTA
    parsed = parse_rtp(data, ABS_ID)
    assert parsed is not None and parsed[1] == 0xABCDEF and parsed[0].payload == DELTA


@pytest.mark.parametrize("data", [
    b"",
    b"\x80\x60\x00\x01",  # shorter than the fixed header
    struct.pack("!BBHII", 0x40, 96, 1, 2, 3) + DELTA,  # version 1
    struct.pack("!BBHII", 0x8F, 96, 1, 2, 3) + b"\x00" * 8,  # 15 CSRCs announced, 2 there
    struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + b"\xbe\xde",  # extension header cut short
    struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + struct.pack("!HH", 0xBEDE, 9) + b"\x00" * 8,  # block too long
    struct.pack("!BBHII", 0xA0, 96, 1, 2, 3) + b"ab" + bytes([0]),  # padding of 0
    struct.pack("!BBHII", 0xA0, 96, 1, 2, 3) + b"ab" + bytes([9]),  # more padding than payload
])
def test_what_aiortc_refuses_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        RtpPacket.parse(data, extensions_map())
    assert parse_rtp(data, ABS_ID) is None


def test_an_extension_running_past_its_block_is_not_read() -> None:
    block = bytes([(ABS_ID << 4) | 2, 1, 2]) + bytes([(MID_ID << 4) | 7])  # mid says 8 bytes, none follow
    data = struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + struct.pack("!HH", 0xBEDE, 1) + block + DELTA
    parsed = parse_rtp(data, MID_ID)
    assert parsed is not None and parsed[1] is None and parsed[0].payload == DELTA


def test_an_rtx_packet_unwraps_to_its_original() -> None:
    rtx = ReceivedPacket(97, 1, 500, 9000, 99, struct.pack("!H", 1234) + DELTA)
    original = unwrap_rtx(rtx, 96, 4321)
    assert original is not None
    assert (original.payload_type, original.marker, original.sequence_number, original.timestamp,
            original.ssrc, original.payload) == (96, 1, 1234, 9000, 4321, DELTA)
    assert unwrap_rtx(ReceivedPacket(97, 0, 1, 2, 3, b"\x01"), 96, 4321) is None


@pytest.fixture
async def tapped(monkeypatch):
    """A publisher's receiver tapped into an up track whose packets go to a video down track
    (its socket replaced by a list), fed datagrams as the direct receive path hands them on."""
    sent: list[bytes] = []

    async def send_rtp(sender, data: bytes) -> None:
        sent.append(data)

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    receiver._RTCRtpReceiver__codecs.update({96: VP8, 97: RTX})
    receiver._RTCRtpReceiver__rtx_ssrc[99] = 4321
    receiver.transport._rtp_header_extensions_map = extensions_map()
    receiver._enabled = True
    up = UpTrack("ada", "video", request_pli=lambda ssrc: None)
    nacked: list[int] = []

    def nacks(seq: int) -> list[int]:
        nacked.append(seq)
        return []

    seam.tap_receiver(receiver, up.receive, up.drop_packet, nacks=nacks)
    down = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video")
    down._on_started(100, abs_send_time_id=7)
    down.bind(up)
    receiver.transport._parley_direct = True
    receiver.transport._parley_fast = {}
    # aiortc's path hands the first packet of an SSRC over; the tap takes its next ones directly
    await receiver._handle_rtp_packet(RtpPacket.parse(aiortc_packet(1, KEYFRAME, marker=1), extensions_map()),
                                      arrival_time_ms=0)
    direct = receiver.transport._parley_fast[4321]
    yield direct, sent, up, nacked
    await pc.close()


def header(data: bytes) -> tuple[int, int, int, int, int]:
    first, marker_pt, seq, ts, ssrc = struct.unpack_from("!BBHII", data)
    return first, marker_pt, seq, ts, ssrc


async def test_packets_taken_straight_off_the_socket_are_forwarded_intact(tapped) -> None:
    direct, sent, up, nacked = tapped
    direct(aiortc_packet(2, DELTA, level=(True, 3), csrc=(5,), ts=12000, marker=1), 0)
    direct(aiortc_packet(3, DELTA + b"!", abs_send_time=None, padding=4, ts=15000), 0)
    assert len(sent) == 3 and nacked == [1, 2, 3] and up.packets_received == 3
    first_seq = header(sent[0])[2]
    for i, (data, payload, marker, ts) in enumerate(zip(sent, (KEYFRAME, DELTA, DELTA + b"!"), (1, 1, 0),
                                                        (9000, 12000, 15000))):
        first, marker_pt, seq, timestamp, ssrc = header(data)
        # the subscriber's own header: one extension, its abs-send-time (id 7), nothing else of
        # the publisher's (mid, audio level, CSRCs, padding)
        assert first == 0x90 and marker_pt == (marker << 7) | 100
        assert seq == (first_seq + i) & 0xFFFF and timestamp == ts
        assert ssrc == seam.sender_ssrc(up.downs.copy().pop().sender)
        profile, words, ext = struct.unpack_from("!HHI", data, 12)
        assert (profile, words, ext >> 24) == (0xBEDE, 1, (7 << 4) | 2)
        assert data[20:] == payload


async def test_a_retransmission_is_forwarded_as_its_original(tapped) -> None:
    direct, sent, up, nacked = tapped
    direct(aiortc_packet(3, DELTA, ts=15000), 0)  # 2 is missing
    rtx = aiortc_packet(40, struct.pack("!H", 2) + DELTA[::-1], pt=97, ssrc=99, ts=12000)
    parsed = parse_rtp(rtx, ABS_ID)
    assert parsed is not None
    # (in the server aiortc routes the RTX SSRC to this receiver first, and the tap takes it on)
    direct(rtx, 0)
    assert nacked == [1, 3, 2]
    assert [header(d)[3] for d in sent] == [9000, 15000, 12000]
    assert sent[-1][20:] == DELTA[::-1]


async def test_a_malformed_packet_is_dropped_and_the_next_goes_on(tapped) -> None:
    direct, sent, up, nacked = tapped
    good = aiortc_packet(2, DELTA, ts=12000)
    direct(good[:12] + b"\xbe", 0)  # nothing after the fixed header makes sense
    bad_padding = bytearray(aiortc_packet(3, DELTA, ts=12000, padding=2))
    bad_padding[-1] = 200
    direct(bytes(bad_padding), 0)
    direct(struct.pack("!BBHII", 0x80, 111, 9, 9, 4321) + DELTA, 0)  # a payload type not negotiated
    direct(good, 0)
    assert len(sent) == 2 and up.packets_dropped == 1 and up.packets_received == 2
    assert sent[-1][20:] == DELTA and header(sent[-1])[3] == 12000
