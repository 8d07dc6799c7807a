"""Down tracks rewrite each forwarded packet's header: continuous sequence numbers and
timestamps for the subscriber, across 16-bit wrap-around and across a change of source.

The packets go through a real aiortc sender of a real peer connection; only the last step,
the socket, is replaced by a list (the connection is not connected in a unit test)."""

from __future__ import annotations

import struct

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from server.sfu import seam
from server.sfu.forwarding import DownTrack, UpTrack

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)


@pytest.fixture
async def wire_out(monkeypatch):
    sent: list[bytes] = []

    async def send_rtp(sender, data: bytes) -> None:
        sent.append(data)

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    pc = RTCPeerConnection()
    down = DownTrack(pc.addTransceiver("audio", direction="sendonly").sender, "audio")
    down._on_started(111)  # what aiortc reports when it starts the sender
    yield down, sent
    await pc.close()


def header(data: bytes) -> tuple[int, int, int, int]:
    _, marker_pt, seq, ts, ssrc = struct.unpack_from("!BBHII", data)
    return marker_pt & 0x7F, seq, ts, ssrc


def packet(seq: int, ts: int, ssrc: int = 1234) -> RtpPacket:
    return RtpPacket(payload_type=96, sequence_number=seq & 0xFFFF, timestamp=ts & 0xFFFFFFFF,
                     ssrc=ssrc, payload=b"opus")


async def test_long_stream_survives_sequence_wraparound(wire_out) -> None:
    down, sent = wire_out
    up = UpTrack("alice", "audio", request_pli=lambda ssrc: None)
    down.bind(up)
    total = 70_000  # more than 2**16: wraps the 16-bit sequence space
    for i in range(total):
        await up.on_packet(packet(60_000 + i, 5000 + 960 * i), OPUS)
    assert len(sent) == total
    first = header(sent[0])
    assert first[0] == 111 and first[3] == seam.sender_ssrc(down.sender)
    for i in (1, 5_535, 5_536, 40_000, total - 1):
        pt, seq, ts, _ = header(sent[i])
        assert seq == (first[1] + i) & 0xFFFF
        assert ts == (first[2] + 960 * i) & 0xFFFFFFFF


async def test_switching_source_keeps_the_subscriber_stream_continuous(wire_out) -> None:
    down, sent = wire_out
    alice = UpTrack("alice", "audio", request_pli=lambda ssrc: None)
    bob = UpTrack("bob", "audio", request_pli=lambda ssrc: None)
    down.bind(alice)
    for i in range(10):
        await alice.on_packet(packet(100 + i, 1000 + 960 * i, ssrc=1), OPUS)
    down.bind(bob)
    await alice.on_packet(packet(110, 1000 + 9600, ssrc=1), OPUS)  # no longer ours
    for i in range(5):
        await bob.on_packet(packet(50_000 + i, 777 + 960 * i, ssrc=2), OPUS)
    await bob.on_packet(packet(49_990, 1, ssrc=2), OPUS)  # from before bob started for us: dropped
    assert len(sent) == 15
    seqs = [header(d)[1] for d in sent]
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(15)]
    ts = [header(d)[2] for d in sent]
    assert ts[10] == ts[9] + 960  # one frame after alice's last
    assert {header(d)[3] for d in sent} == {seam.sender_ssrc(down.sender)}


async def test_nack_is_answered_from_history(wire_out) -> None:
    down, sent = wire_out
    up = UpTrack("alice", "audio", request_pli=lambda ssrc: None)
    down.bind(up)
    for i in range(20):
        await up.on_packet(packet(i, 960 * i), OPUS)
    lost = header(sent[7])[1]
    await down.sender._retransmit(lost)  # what aiortc calls for a NACK from the subscriber
    assert sent[-1] == sent[7]  # the same packet again
    await down.sender._retransmit((lost + 1000) & 0xFFFF)  # never sent: nothing to repeat
    assert len(sent) == 21



async def test_a_section_reports_only_when_it_sent_since_its_last_report(wire_out) -> None:
    """aiortc's senders each sent a report (with SDES) about every second, from the spare and
    paused sections too; a down track's report (sent by its connection, one compound packet
    for all sections) says only what was sent since the last."""
    from aiortc.rtp import RtcpPacket, RtcpSrPacket

    down, _ = wire_out
    assert down.report() is None  # a spare section: never sent anything
    up = UpTrack("alice", "audio", request_pli=lambda ssrc: None)
    down.bind(up)
    for i in range(3):
        await up.on_packet(packet(i, 960 * i), OPUS)
    report = RtcpPacket.parse(down.report())[0]
    assert isinstance(report, RtcpSrPacket) and report.ssrc == seam.sender_ssrc(down.sender)
    assert report.sender_info.packet_count == 3 and report.sender_info.octet_count == 3 * len(b"opus")
    assert down.report() is None  # nothing new since
    down.pause(True)
    await up.on_packet(packet(3, 960 * 3), OPUS)
    assert down.report() is None  # paused: sends nothing, says nothing
    down.pause(False)
    await up.on_packet(packet(4, 960 * 4), OPUS)
    assert RtcpPacket.parse(down.report())[0].sender_info.packet_count == 4
