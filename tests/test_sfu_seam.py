"""The forwarding unit's seam with aiortc: what it relies on is still there and still works."""

from __future__ import annotations

import fractions

import aiortc
import av
import pytest
from aiortc import RTCPeerConnection
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

from desktop.media.synthetic.replay import encode_video_clip
from server.sfu import rtcp, seam, srtp
from rtcseam.vp8 import vp8_keyframe_start


def test_pinned_aiortc_version() -> None:
    assert aiortc.__version__ == seam.AIORTC_VERSION
    seam.check_version()


async def test_receiver_and_sender_internals_the_seam_uses_exist() -> None:
    pc = RTCPeerConnection()
    try:
        transceiver = pc.addTransceiver("video")
        receiver, sender = transceiver.receiver, transceiver.sender
        assert isinstance(receiver, RTCRtpReceiver) and isinstance(sender, RTCRtpSender)
        for name in ("codecs", "rtx_ssrc", "remote_streams", "nack_generator"):
            assert hasattr(receiver, f"_RTCRtpReceiver__{name}"), name
        for name in ("_send_rtcp_pli", "_send_rtcp_nack", "_handle_rtp_packet", "_enabled"):
            assert hasattr(receiver, name), name
        for name in ("ntp_timestamp", "rtp_timestamp", "octet_count", "packet_count"):
            assert hasattr(sender, f"_RTCRtpSender__{name}"), name
        for name in ("_send_keyframe", "_retransmit", "_ssrc", "_rtx_ssrc", "send"):
            assert hasattr(sender, name), name
        assert hasattr(sender.transport, "_send_rtp")

        # attaching replaces the hooks on this sender only
        calls: list[object] = []

        async def on_nack(seq: int) -> None:
            calls.append(seq)

        seam.attach_sender(sender, seam.SenderHooks(lambda: calls.append("pli"), on_nack, lambda pt: None))
        sender._send_keyframe()
        await sender._retransmit(7)
        assert calls == ["pli", 7]
        assert sender.track is not None and sender.track.kind == "video"
        other = pc.addTransceiver("video").sender
        assert other._send_keyframe != sender._send_keyframe
    finally:
        await pc.close()


def _payloads(packet_bytes: bytes, pts: int) -> list[bytes]:
    packet = av.Packet(packet_bytes)
    packet.pts = pts
    packet.time_base = fractions.Fraction(1, 90000)
    payloads, _ = Vp8Encoder().pack(packet)
    return payloads


def test_vp8_keyframe_start_finds_keyframes_in_real_rtp_payloads() -> None:
    clip = encode_video_clip(width=160, height=90, fps=10, seconds=2.0, keyframe_interval=10)
    assert clip.keyframes[:2] == (0, 10)
    for index, data in enumerate(clip.packets):
        payloads = _payloads(data, index * 9000)
        assert vp8_keyframe_start(payloads[0]) is (index in clip.keyframes), index
        # a keyframe's later packets do not start it
        assert not any(vp8_keyframe_start(p) for p in payloads[1:])


@pytest.mark.parametrize("payload", [b"", b"\x10", b"\x90\x80", b"\x00\x00\x00"])
def test_vp8_keyframe_start_rejects_truncated_or_middle_payloads(payload: bytes) -> None:
    assert vp8_keyframe_start(payload) is False


def test_the_direct_send_path_protects_packets_exactly_as_pylibsrtp_does() -> None:
    import struct

    import pylibsrtp

    key = bytes(range(30))  # 16-byte master key + 14-byte salt
    ours = pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
    theirs = pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
    receiver = pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))
    protect = srtp.protect(ours)
    for seq, size in ((1, 100), (2, 1200), (3, 20)):
        packet = struct.pack("!BBHII", 0x80, 96, seq, 3000 * seq, 1234) + bytes([seq]) * size
        protected = protect(packet)
        assert protected == theirs.protect(packet)
        assert receiver.unprotect(protected) == packet
    with pytest.raises(ValueError):
        protect(bytes(1500))


async def test_a_received_packet_is_handled_at_once_and_what_waits_goes_on_in_a_task() -> None:
    import asyncio

    done: list[str] = []

    async def quick() -> None:
        done.append("quick")

    seam._run_now(quick())
    assert done == ["quick"]  # handled before the datagram callback returns
    gate = asyncio.get_running_loop().create_future()

    async def waits() -> None:
        done.append("before")
        done.append(await gate)

    seam._run_now(waits())
    assert done == ["quick", "before"]
    gate.set_result("after")
    for _ in range(3):
        await asyncio.sleep(0)
    assert done == ["quick", "before", "after"]


async def test_packets_keep_arriving_once_they_are_handled_as_they_arrive() -> None:
    """A tapped receiver switches its connection to the direct receive path at its first packet;
    what follows (RTP, and the RTCP that comes with it) still reaches the tap, in order."""
    import asyncio

    from aiortc import RTCConfiguration, RTCRtpCodecParameters
    from aiortc.mediastreams import AudioStreamTrack

    sender_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiver_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    seqs: list[int] = []
    try:
        sender_pc.addTrack(AudioStreamTrack())
        await sender_pc.setLocalDescription(await sender_pc.createOffer())
        await receiver_pc.setRemoteDescription(sender_pc.localDescription)
        receiver = receiver_pc.getTransceivers()[0].receiver

        async def on_packet(packet, codec: RTCRtpCodecParameters) -> None:
            seqs.append(packet.sequence_number)

        reports: list[tuple[int, int]] = []
        seam.tap_receiver(receiver, on_packet, on_sender_report=lambda ntp, rtp: reports.append((ntp, rtp)))
        await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
        await sender_pc.setRemoteDescription(receiver_pc.localDescription)
        for _ in range(100):  # 20 ms a packet: 25 packets in about half a second
            if len(seqs) >= 25:
                break
            await asyncio.sleep(0.05)
        assert getattr(receiver.transport, "_parley_direct", False)
        assert len(seqs) >= 25
        assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:]))  # none lost, none reordered
        # the sender's reports (one every 0.5-1.5 s) reach the tap, the first through aiortc's
        # path, the next as they arrive; aiortc's receiver reports still echo them (LSR)
        for _ in range(80):
            if len(reports) >= 2:
                break
            await asyncio.sleep(0.05)
        assert len(reports) >= 2 and reports[-1][0] > reports[0][0]
        ssrc = sender_pc.getSenders()[0]._ssrc
        assert receiver.transport._parley_reports[ssrc][0] is receiver
        assert receiver._RTCRtpReceiver__lsr[ssrc] == (reports[-1][0] >> 16) & 0xFFFFFFFF
    finally:
        await sender_pc.close()
        await receiver_pc.close()


async def test_forwarding_sections_are_made_without_aiortcs_receive_estimator() -> None:
    """A section the forwarding unit adds carries no aiortc estimator (it would never be fed:
    1000 objects per video section for nothing), and one added the usual way still does."""
    pc = RTCPeerConnection()
    try:
        seam.fixed_fingerprints(pc)
        ours = seam.add_transceiver(pc, "video", "sendonly")
        theirs = pc.addTransceiver("video", direction="sendonly")
        assert ours.direction == "sendonly" and ours.kind == "video"
        assert ours.receiver._RTCRtpReceiver__remote_bitrate_estimator is None
        assert theirs.receiver._RTCRtpReceiver__remote_bitrate_estimator is not None
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        fingerprints = pc._RTCPeerConnection__certificates[0].getFingerprints()
        assert [f.algorithm for f in fingerprints] == ["sha-256", "sha-384", "sha-512"]
        assert f"a=fingerprint:sha-256 {fingerprints[0].value}" in pc.localDescription.sdp
    finally:
        await pc.close()


def test_sender_reports_are_made_byte_for_byte_as_aiortc_makes_them() -> None:
    from aiortc.rtp import RtcpSdesPacket, RtcpSenderInfo, RtcpSourceInfo, RtcpSrPacket

    for cname in ("", "a", "abcd", "{8c3b7e1e-0b7e-4a8e-9d6f-3a2c1b0d9e8f}"):
        ssrc, ntp, rtp = 0x12345678, (3_900_000_000 << 32) | 0x9ABCDEF0, 0xFEDCBA98
        theirs = bytes(RtcpSrPacket(ssrc=ssrc, sender_info=RtcpSenderInfo(
            ntp_timestamp=ntp, rtp_timestamp=rtp, packet_count=7, octet_count=7000)))
        theirs += bytes(RtcpSdesPacket(chunks=[RtcpSourceInfo(ssrc=ssrc, items=[(1, cname.encode())])]))
        ours = rtcp.sender_report(ssrc, ntp, rtp, 7, 7000) + rtcp.sdes(ssrc, cname.encode())
        assert ours == theirs, cname


def test_the_server_clock_reads_as_aiortcs() -> None:
    import aiortc.clock

    before = aiortc.clock.current_ntp_time()
    ours = seam.current_ntp_time()
    after = aiortc.clock.current_ntp_time()
    assert before - (1 << 22) <= ours <= after + (1 << 22)  # (aiortc's is to the microsecond)


def _sr(ssrc: int, ntp: int, rtp: int, reports: int = 0) -> bytes:
    from aiortc.rtp import RtcpSenderInfo, RtcpSrPacket

    return bytes(RtcpSrPacket(ssrc=ssrc, sender_info=RtcpSenderInfo(
        ntp_timestamp=ntp, rtp_timestamp=rtp, packet_count=1, octet_count=1), reports=[_block(9)] * reports))


def _block(ssrc: int, fraction_lost: int = 0, lsr: int = 0, dlsr: int = 0):  # noqa: ANN202
    from aiortc.rtp import RtcpReceiverInfo

    return RtcpReceiverInfo(ssrc=ssrc, fraction_lost=fraction_lost, packets_lost=3, highest_sequence=1000,
                            jitter=5, lsr=lsr, dlsr=dlsr)


def test_the_usual_rtcp_is_read_as_aiortc_reads_it_and_anything_else_is_left_to_aiortc() -> None:
    from aiortc.rtp import RtcpByePacket, RtcpPacket, RtcpPsfbPacket, RtcpRrPacket, pack_remb_fci, unpack_remb_fci

    rr = bytes(RtcpRrPacket(ssrc=5, reports=[_block(1, 64, 0x1234, 0x10000), _block(2, 0, 7, 8)]))
    remb = bytes(RtcpPsfbPacket(fmt=15, ssrc=5, media_ssrc=0, fci=pack_remb_fci(1_234_567, [1, 2])))
    data = _sr(3, 10 << 32, 90) + rtcp.sdes(3, b"cname") + rr + remb
    assert len(RtcpPacket.parse(data)) == 4  # what aiortc reads of it
    items = rtcp.read_compound(data)
    assert items == [(3, 10 << 32, 90), (1, 64, 0x1234, 0x10000), (2, 0, 7, 8),
                     unpack_remb_fci(pack_remb_fci(1_234_567, [1, 2]))]
    assert [type(item) for item in items] == [rtcp.SenderReport, rtcp.ReceiverBlock, rtcp.ReceiverBlock, rtcp.Remb]
    pli = bytes(RtcpPsfbPacket(fmt=1, ssrc=1, media_ssrc=2))
    bye = bytes(RtcpByePacket(sources=[3]))
    for other in (pli, bye, _sr(3, 1, 1, reports=1), _sr(3, 1, 1)[:-4], _sr(3, 1, 1) + b"\x81\xca",
                  _sr(3, 1, 1)[:2] + b"\x00\x07" + _sr(3, 1, 1)[4:]):
        assert rtcp.read_compound(_sr(3, 1, 1) + other) is None, other


def test_rtcp_read_as_it_arrives_goes_where_aiortc_routes_it_or_wholly_aiortcs_way() -> None:
    receiver, other = object(), object()
    got: list[tuple] = []

    class Sender:
        _parley_rtcp = (lambda *block: got.append(("rr", *block)), lambda *remb: got.append(("remb", *remb)))

    sender = Sender()
    reports = {1: (receiver, lambda *sr: got.append(("sr", *sr)))}
    routed, senders = {1: receiver, 2: other}, {7: sender, 8: object()}
    items = [rtcp.SenderReport((1, 10, 90)), rtcp.SenderReport((3, 11, 91)), rtcp.ReceiverBlock((7, 64, 1, 2)),
             rtcp.ReceiverBlock((9, 0, 0, 0)), rtcp.Remb((500_000, [7, 7, 9]))]
    assert seam._handled(items, reports, routed, senders)
    # SSRCs aiortc routes nowhere (3, 9) are dropped, as aiortc drops them
    assert got == [("sr", 1, 10, 90), ("rr", 7, 64, 1, 2), ("remb", 500_000, [7, 7, 9])]
    got.clear()
    for items, routing in (([rtcp.SenderReport((2, 1, 1))], routed),  # not handled so yet
                           ([rtcp.SenderReport((1, 1, 1))], {1: other}),  # routed elsewhere now
                           ([rtcp.SenderReport((1, 1, 1)), rtcp.ReceiverBlock((8, 0, 0, 0))], routed)):
        assert not seam._handled(items, reports, routing, senders)  # (8: a sender not attached)
    assert got == []


async def test_a_subscribers_receiver_reports_give_the_round_trip_and_the_loss_either_way() -> None:
    import time

    from aiortc.rtp import RtcpRrPacket

    pc = RTCPeerConnection()
    try:
        sender = pc.addTransceiver("video", direction="sendonly").sender
        seam.attach_sender(sender, seam.SenderHooks(lambda: None, None, lambda pt, ext=None: None))
        assert seam.sender_reported_loss(sender) is None and seam.sender_rtt(sender) is None
        sender._RTCRtpSender__lsr, sender._RTCRtpSender__lsr_time = 0x1234, time.time() - 0.3
        # as it arrives (receive_directly): 0.1 s held at the subscriber, so a 0.2 s round trip
        sender._parley_rtcp[0](sender._ssrc, 64, 0x1234, 0x10000 // 10)
        assert 0.19 < seam.sender_rtt(sender) < 0.25
        assert seam.sender_reported_loss(sender)[0] == 0.25
        # through aiortc's router: the same, smoothed as aiortc smooths it
        sender._RTCRtpSender__lsr_time = time.time() - 0.5  # 0.4 s this time
        await sender._handle_rtcp_packet(RtcpRrPacket(ssrc=5, reports=[_block(sender._ssrc, 128, 0x1234, 0x10000 // 10)]))
        assert seam.sender_reported_loss(sender)[0] == 0.5
        assert 0.85 * 0.19 + 0.15 * 0.39 < seam.sender_rtt(sender) < 0.85 * 0.25 + 0.15 * 0.45
    finally:
        await pc.close()
