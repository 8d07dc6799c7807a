"""Only the codecs the forwarding unit forwards travel through it (issue 20, item 10): a client
that prefers H264 and PCMU still publishes VP8 and Opus, a packet of another payload type is
dropped and counted, and no other codec's payload passes for a VP8 keyframe."""

from __future__ import annotations

import re
import struct

import pytest
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

import desktop.media.peers
from desktop.media.synthetic.replay import encode_video_clip
from server.sfu import seam
from rtcseam.vp8 import vp8_keyframe_start
from server.sfu.forwarding import DownTrack, UpTrack, keyframe_start
from support import RunningBot, Server, eventually

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=99)
#: An H264 STAP-A (RFC 6184 5.7.1): NAL header type 24, then a 16-bit size and an SPS NAL unit.
#: Read as VP8 its first byte has the S bit set and partition 0, and the next byte's low bit is 0.
STAP_A = bytes([0x78, 0x00, 0x0A, 0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xE8, 0x00, 0x04, 0x68, 0xCE])


def vp8_keyframe_payload() -> bytes:
    import fractions

    import av
    from aiortc.codecs.vpx import Vp8Encoder

    clip = encode_video_clip(width=160, height=90, fps=10, seconds=0.2, keyframe_interval=10)
    packet = av.Packet(clip.packets[0])
    packet.pts = 0
    packet.time_base = fractions.Fraction(1, 90000)
    return Vp8Encoder().pack(packet)[0][0]


@pytest.fixture
async def video_out(monkeypatch):
    sent: list[bytes] = []

    async def send_rtp(sender, data: bytes) -> None:
        sent.append(data)

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    pc = RTCPeerConnection()
    down = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video")
    down._on_started(97)
    yield down, sent
    await pc.close()


def packet(seq: int, payload: bytes, payload_type: int = 97) -> RtpPacket:
    return RtpPacket(payload_type=payload_type, sequence_number=seq, timestamp=3000 * seq, ssrc=42, payload=payload)


def test_an_h264_stap_a_is_not_a_vp8_keyframe() -> None:
    # The descriptor check alone (S bit, partition 0, frame tag's low bit) would have said yes.
    assert STAP_A[0] & 0x10 and not STAP_A[0] & 0x07 and not STAP_A[1] & 0x01
    assert vp8_keyframe_start(STAP_A) is False
    assert keyframe_start("video/H264", STAP_A) is False
    keyframe = vp8_keyframe_payload()
    assert keyframe_start("video/VP8", keyframe) is True
    assert keyframe_start("video/H264", keyframe) is False  # only VP8 is forwarded as video


async def test_a_waiting_section_does_not_start_on_an_h264_stap_a(video_out) -> None:
    down, sent = video_out
    up = UpTrack("ada", "video", request_pli=lambda ssrc: None)
    down.bind(up)
    down.set_ready()
    await up.on_packet(packet(1, STAP_A), VP8)  # labelled VP8, but not a VP8 keyframe
    await up.on_packet(packet(2, b"\x90\x80" + bytes(20)), VP8)
    assert sent == []
    await up.on_packet(packet(3, vp8_keyframe_payload()), VP8)
    assert len(sent) == 1


async def test_a_packet_of_another_codec_is_dropped_and_counted(video_out) -> None:
    down, sent = video_out
    up = UpTrack("ada", "video", request_pli=lambda ssrc: None)
    down.bind(up)
    down.set_ready()
    keyframe = vp8_keyframe_payload()
    await up.on_packet(packet(1, keyframe, payload_type=99), H264)  # even a VP8-looking payload
    assert sent == [] and up.packets_dropped == 1 and up.packets_received == 0
    await up.on_packet(packet(2, keyframe), VP8)
    assert len(sent) == 1 and up.packets_received == 1
    _, marker_pt, *_ = struct.unpack_from("!BBHII", sent[0])
    assert marker_pt & 0x7F == 97


async def test_a_payload_type_the_answer_did_not_negotiate_never_reaches_the_up_track() -> None:
    pc = RTCPeerConnection()
    try:
        receiver = pc.addTransceiver("video", direction="recvonly").receiver
        up = UpTrack("ada", "video", request_pli=lambda ssrc: None)
        forwarded: list[RtpPacket] = []

        async def on_packet(p, codec) -> None:
            forwarded.append(p)

        seam.tap_receiver(receiver, on_packet, up.drop_packet)
        receiver._enabled = True
        await receiver._handle_rtp_packet(packet(1, STAP_A, payload_type=99), arrival_time_ms=0)
        assert forwarded == [] and up.packets_dropped == 1
    finally:
        await pc.close()


async def test_a_client_preferring_h264_and_pcmu_publishes_vp8_that_others_decode(server: Server, monkeypatch) -> None:
    """Safari's order: H264 before VP8 (and a client may list PCMU before Opus). The server answers
    VP8 and Opus all the same, and a subscriber decodes the pictures (their stamps are read)."""
    offered: list[tuple[str, ...]] = []

    def prefer_h264(transceiver) -> None:
        order = {"audio": ("audio/PCMU", "audio/opus"), "video": ("video/H264", "video/VP8", "video/rtx")}
        caps = RTCRtpSender.getCapabilities(transceiver.kind).codecs
        wanted = [c for m in order[transceiver.kind] for c in caps if c.mimeType == m]
        offered.append(tuple(c.mimeType for c in wanted))
        transceiver.setCodecPreferences(wanted)

    monkeypatch.setattr(desktop.media.peers, "_prefer_codecs", prefer_h264)
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), width=160, height=90, fps=10)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), width=160, height=90, fps=10, mic="none")
    try:
        await eventually(lambda: ada.report.attendee_id is not None
                         and grace.report.frames_received.get(ada.report.attendee_id, 0) >= 10
                         and grace.report.audio_frames_received.get(ada.report.attendee_id, 0) >= 10,
                         timeout=15, what="Grace sees and hears Ada")
        assert {prefs[0] for prefs in offered} == {"video/H264", "audio/PCMU"}  # what the offers put first
        assert len(grace.report.latency_samples) >= 5  # decoded: the frames' stamps were read
        answer = ada.session.publisher.connection.pc.remoteDescription.sdp
        rtpmap = dict(re.findall(r"^a=rtpmap:(\d+) ([^/\s]+)", answer, flags=re.M))
        media = {line.split()[0]: [rtpmap[pt] for pt in line.split()[3:]]
                 for line in answer.splitlines() if line.startswith("m=")}
        assert media == {"m=audio": ["opus"], "m=video": ["VP8", "rtx"]}
    finally:
        for bot in (ada, grace):
            await bot.finish()
