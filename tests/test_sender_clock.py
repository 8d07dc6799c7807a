"""The forwarding unit's sender reports carry the publisher's clock (server/sfu/sender_clock.py):
each down track reports, in its own rewritten timestamps, the RTP time the publisher's reports
give to the server's time, so that a subscriber relates one person's voice and video to one
clock; across a layer switch the mapping (and so the subscriber's last report) stays true.
Synthetic packets through a real aiortc sender (the socket replaced by a list), an injected NTP
clock."""

from __future__ import annotations

import struct

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtcpPacket, RtcpSrPacket, RtpPacket

from server.sfu import seam
from server.sfu.forwarding import DownTrack, UpTrack
from server.sfu.sender_clock import PublisherClock, SenderClock

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)
KEYFRAME_360 = b"\x10" + b"\x00\x00\x00\x9d\x01\x2a\x80\x02\x68\x01" + bytes(100)
KEYFRAME_180 = b"\x10" + b"\x00\x00\x00\x9d\x01\x2a\x40\x01\xb4\x00" + bytes(100)
DELTA = b"\x10\x01" + bytes(100)
OPUS_FRAME = b"\xfc" + bytes(60)
NTP_ONE = 1 << 32
SERVER_AHEAD = 1000.25  # the server's clock minus the publisher's (seconds)
UPLINK = 0.030  # the fastest uplink transit


def ntp(seconds: float) -> int:
    return round(seconds * NTP_ONE)


class Clock:
    """The server's NTP clock, in seconds (the test moves it)."""

    def __init__(self) -> None:
        self.now = 5000.0

    def ntp(self) -> int:
        return ntp(self.now)


class Publisher:
    """One stream of a publisher: RTP time = origin + rate * (its capture time)."""

    def __init__(self, up: UpTrack, ssrc: int, origin: int, rate: int, codec) -> None:
        self.up, self.ssrc, self.origin, self.rate, self.codec = up, ssrc, origin, rate, codec
        self.seq = 100

    def rtp(self, captured: float) -> int:
        return (self.origin + round(captured * self.rate)) & 0xFFFFFFFF

    async def packet(self, clock: Clock, captured: float, payload: bytes) -> None:
        """Captured at ``captured`` (publisher's clock), it reaches the server a transit later."""
        await self.up.on_packet(RtpPacket(payload_type=self.codec.payloadType, sequence_number=self.seq,
                                          timestamp=self.rtp(captured), ssrc=self.ssrc, payload=payload,
                                          marker=1), self.codec)
        self.seq += 1

    def report(self, clock: Clock, sent: float, transit: float = UPLINK) -> None:
        """Its sender report made at ``sent`` (publisher's clock): ``sent`` <-> the RTP time then."""
        clock.now = sent + SERVER_AHEAD + transit
        self.up.on_sender_report(ntp(sent), self.rtp(sent))


@pytest.fixture
async def meeting(monkeypatch):
    sent: dict[str, list[bytes]] = {"audio": [], "video": []}
    clock = Clock()
    monkeypatch.setattr(seam, "current_ntp_time", clock.ntp)
    pc = RTCPeerConnection()
    downs = {}
    for kind in ("audio", "video"):
        down = downs[kind] = DownTrack(pc.addTransceiver(kind, direction="sendonly").sender, kind)
        down._on_started(100 if kind == "video" else 111)

        async def send_rtp(data: bytes, kind=kind) -> bool:
            sent[kind].append(data)
            return True

        down._send = send_rtp
    yield clock, downs, sent
    await pc.close()


def rewritten(data: bytes) -> int:
    return struct.unpack_from("!I", data, 4)[0]


def reported(down: DownTrack) -> tuple[int, int]:
    """(NTP, RTP) of the sender report the down track sends now."""
    data = down.report()
    assert data is not None
    report = next(p for p in RtcpPacket.parse(data) if isinstance(p, RtcpSrPacket))
    return report.sender_info.ntp_timestamp, report.sender_info.rtp_timestamp


def server_time_of(report: tuple[int, int], rtp: int, rate: int) -> float:
    """What a subscriber reads from ``report``: the server-clock time of RTP time ``rtp``."""
    report_ntp, report_rtp = report
    ticks = ((rtp - report_rtp + 0x80000000) & 0xFFFFFFFF) - 0x80000000
    return report_ntp / NTP_ONE + ticks / rate


async def test_voice_and_video_of_one_publisher_map_to_one_clock_across_a_layer_switch(meeting) -> None:
    clock, downs, sent = meeting
    # an attendee id of its own: the clock is shared per attendee while any of its tracks
    # lives, and other tests' "ada" may still be alive in this process
    ada = "ada-sender-clock"
    mic = UpTrack(ada, "audio", request_pli=lambda ssrc: None)
    high = UpTrack(ada, "video", request_pli=lambda ssrc: None, layer="high")
    low = UpTrack(ada, "video", request_pli=lambda ssrc: None, layer="low")
    high.add_layer(low)
    voice = Publisher(mic, 11, 123_456, 48000, OPUS)
    big = Publisher(high, 22, 4_285_922_296, 90000, VP8)  # wraps at its 100.5 s
    small = Publisher(low, 33, 77, 90000, VP8)
    downs["audio"].bind(mic)
    downs["video"].bind(high)

    # Before the publisher's first report: the time its latest packet was sent, as before.
    clock.now = 100.0 + SERVER_AHEAD + UPLINK
    await voice.packet(clock, 100.0, OPUS_FRAME)
    await big.packet(clock, 100.0, KEYFRAME_360)
    assert downs["video"].sender_mapping(clock.ntp()) is None
    assert reported(downs["video"]) == (clock.ntp(), rewritten(sent["video"][-1]))

    # The publisher reports on each stream, some reports later than others.
    voice.report(clock, 100.5)
    big.report(clock, 100.6, transit=UPLINK + 0.050)  # queued behind a keyframe
    small.report(clock, 100.7)
    big.report(clock, 101.6)
    for t in (101.0, 101.02, 101.04):
        clock.now = t + SERVER_AHEAD + UPLINK
        await voice.packet(clock, t, OPUS_FRAME)
    for t in (101.0, 101.033):
        await big.packet(clock, t, DELTA)
        await small.packet(clock, t, DELTA)
    clock.now = 102.0 + SERVER_AHEAD + UPLINK
    audio_report, video_report = reported(downs["audio"]), reported(downs["video"])
    assert audio_report[0] == video_report[0] == clock.ntp()  # the server's time: round trips stay right

    # What the subscriber reads: each packet at its capture time on the server's clock (plus the
    # fastest uplink), the same for the voice and the video of one instant.
    expected = SERVER_AHEAD + UPLINK
    voice_at = server_time_of(audio_report, rewritten(sent["audio"][-1]), 48000)
    video_at = server_time_of(video_report, rewritten(sent["video"][-1]), 90000)
    assert voice_at == pytest.approx(101.04 + expected, abs=1e-4)
    assert video_at == pytest.approx(101.033 + expected, abs=1e-4)

    # A switch to the small layer at its keyframe: its pictures land at their capture times
    # under the report the subscriber already has (its timestamps are aligned to it).
    downs["video"].switch(low)
    await small.packet(clock, 101.066, KEYFRAME_180)
    await big.packet(clock, 101.066, DELTA)  # the old layer goes no more
    await small.packet(clock, 101.133, DELTA)
    assert downs["video"].up is low
    shown = [server_time_of(video_report, rewritten(data), 90000) for data in sent["video"][-2:]]
    assert shown == pytest.approx([101.066 + expected, 101.133 + expected], abs=1e-4)
    clock.now = 103.0 + SERVER_AHEAD + UPLINK
    assert server_time_of(reported(downs["video"]), rewritten(sent["video"][-1]), 90000) == pytest.approx(
        101.133 + expected, abs=1e-4)


def test_a_late_report_moves_no_stream_and_the_offset_follows_the_clock() -> None:
    publisher = PublisherClock(window=10.0)
    audio, video = SenderClock(48000, publisher), SenderClock(90000, publisher)
    audio.on_report(ntp(10.0), 1000, ntp(10.0 + SERVER_AHEAD + UPLINK))
    video.on_report(ntp(10.2), 5000, ntp(10.2 + SERVER_AHEAD + UPLINK + 0.2))  # 200 ms late
    assert publisher.offset == pytest.approx(SERVER_AHEAD + UPLINK)
    # the video's RTP time for the server's time of its report's instant (+ the fastest uplink)
    assert video.rtp_at(ntp(10.2 + SERVER_AHEAD + UPLINK)) == 5000
    # the reports of the last window only: a clock that stepped is followed within it
    audio.on_report(ntp(30.0), 1000 + 20 * 48000, ntp(30.0 + SERVER_AHEAD + UPLINK + 0.5))
    assert publisher.offset == pytest.approx(SERVER_AHEAD + UPLINK + 0.5)
