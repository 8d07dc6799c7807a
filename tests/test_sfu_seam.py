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
from server.sfu import seam
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
    protect = seam._protector(ours)
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

        seam.tap_receiver(receiver, on_packet)
        await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
        await sender_pc.setRemoteDescription(receiver_pc.localDescription)
        for _ in range(100):  # 20 ms a packet: 25 packets in about half a second
            if len(seqs) >= 25:
                break
            await asyncio.sleep(0.05)
        assert getattr(receiver.transport, "_parley_direct", False)
        assert len(seqs) >= 25
        assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:]))  # none lost, none reordered
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
