"""A subscriber's first picture: its keyframe is asked for when it answers (not when its
connection is up), and an up track keeps the packets since its latest keyframe, so a section
that starts soon after one gets that picture at once instead of waiting a frame interval and a
round trip for a keyframe of its own. Clocks are injected; the socket is a list."""

from __future__ import annotations

import asyncio
import struct

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from server.clock import ManualClock
from server.sfu import seam
from server.sfu.forwarding import RECENT_AGE, RECENT_PACKETS, DownTrack, UpTrack
from server.sfu.rtp_in import ReceivedPacket

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
KEYFRAME = bytes([0x10, 0x00, 0x00, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xB4, 0x00]) + b"k" * 40
DELTA = bytes([0x10, 0x01]) + b"d" * 30


def packet(seq: int, payload: bytes, ts: int) -> ReceivedPacket:
    return ReceivedPacket(96, 0, seq, ts, 4321, payload)


@pytest.fixture
async def meeting(monkeypatch):
    sent: list[bytes] = []

    async def send_rtp(sender, data: bytes) -> None:
        sent.append(data)

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    clock = ManualClock(100.0)
    plis: list[int] = []
    up = UpTrack("ada", "video", request_pli=plis.append, clock_fn=clock.now)
    up.media_ssrc = 4321
    pc = RTCPeerConnection()
    down = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video", clock_fn=clock.now)
    yield up, down, sent, plis, clock
    await pc.close()


async def test_a_section_starting_after_a_recent_keyframe_gets_that_picture_at_once(meeting) -> None:
    up, down, sent, plis, clock = meeting
    down.bind(up)
    down.prepare()  # the subscriber answered: the keyframe is asked for now
    assert plis == [4321]
    await up.on_packet(packet(10, KEYFRAME, 9000), VP8)
    for i in range(1, 4):
        await up.on_packet(packet(10 + i, DELTA, 9000 + 6000 * i), VP8)
    assert sent == []  # its connection is not up yet
    clock.advance(0.05)
    down._on_started(100)  # aiortc starts the sender: the connection is up
    await asyncio.sleep(0)  # (sent in a task: this socket is not the direct one)
    assert plis == [4321]  # no second request
    assert len(sent) == 4
    seqs = [struct.unpack_from("!H", d, 2)[0] for d in sent]
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(4)]
    assert sent[0][12:] == KEYFRAME and all(d[12:] == DELTA for d in sent[1:])
    await up.on_packet(packet(14, DELTA, 33000), VP8)  # and the live packets follow on
    assert len(sent) == 5 and struct.unpack_from("!H", sent[4], 2)[0] == (seqs[0] + 4) & 0xFFFF


async def test_an_old_keyframe_is_not_replayed_a_new_one_is_asked_for(meeting) -> None:
    up, down, sent, plis, clock = meeting
    await up.on_packet(packet(10, KEYFRAME, 9000), VP8)
    await up.on_packet(packet(11, DELTA, 15000), VP8)
    clock.advance(RECENT_AGE + 0.1)
    down._on_started(100)
    down.bind(up)
    await asyncio.sleep(0)
    assert sent == [] and plis == [4321]
    await up.on_packet(packet(12, DELTA, 21000), VP8)
    assert sent == []  # still waiting for a keyframe
    await up.on_packet(packet(13, KEYFRAME, 27000), VP8)
    assert len(sent) == 1 and sent[0][12:] == KEYFRAME


async def test_a_picture_too_long_to_keep_is_not_replayed(meeting) -> None:
    up, down, sent, plis, clock = meeting
    await up.on_packet(packet(0, KEYFRAME, 0), VP8)
    for i in range(1, RECENT_PACKETS + 1):  # one more than is kept after the keyframe's start
        await up.on_packet(packet(i, DELTA, 3000 * i), VP8)
    down._on_started(100)
    down.bind(up)
    await asyncio.sleep(0)
    assert sent == [] and plis == [4321]


async def test_audio_keeps_nothing_and_starts_with_the_next_packet(monkeypatch) -> None:
    sent: list[bytes] = []

    async def send_rtp(sender, data: bytes) -> None:
        sent.append(data)

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    opus = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)
    up = UpTrack("ada", "audio", request_pli=lambda ssrc: None)
    await up.on_packet(ReceivedPacket(111, 0, 1, 960, 7, b"opus"), opus)
    assert up.recent_picture() is None
    pc = RTCPeerConnection()
    try:
        down = DownTrack(pc.addTransceiver("audio", direction="sendonly").sender, "audio")
        down._on_started(111)
        down.bind(up)
        assert sent == []
        await up.on_packet(ReceivedPacket(111, 0, 2, 1920, 7, b"opus"), opus)
        assert len(sent) == 1
    finally:
        await pc.close()


async def test_a_layer_the_publisher_does_not_send_is_asked_for_as_soon_as_someone_takes_it(monkeypatch) -> None:
    """Dynacast: nobody took the whole picture, so the publisher sends only its small layer. The
    first subscriber to take the whole picture waits for its first frame (a keyframe): the
    publisher is told at once, not at its next steer, up to half a second later."""
    from server.sfu.peers import PublisherPeer

    async def send_rtp(sender, data: bytes) -> None:
        pass

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    told: list[list[str]] = []
    peer = PublisherPeer("ada", ("127.0.0.1",), on_layers=told.append)
    high = UpTrack("ada", "video", request_pli=lambda ssrc: None, layer="high")
    low = UpTrack("ada", "video", request_pli=lambda ssrc: None, layer="low")
    high.add_layer(low)
    peer.tracks["video"] = high
    high.on_wanted = low.on_wanted = peer._wanted
    peer._layers_told = ["low"]  # what the last steer said: nobody takes the whole picture
    pc = RTCPeerConnection()
    try:
        small = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video")
        small.bind(low)
        await asyncio.sleep(0)
        assert told == []  # sent already: nothing to say
        whole = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video")
        whole.bind(high)
        whole.bind(None)
        whole.bind(high)  # (asked twice in a row: told once)
        await asyncio.sleep(0)
        assert told == [["high", "low"]]
    finally:
        await pc.close()
        await peer.close()
