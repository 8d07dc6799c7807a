"""A down track switching between a camera's layers, and pausing (server/sfu/forwarding.py), with
synthetic packets through a real aiortc sender (the socket replaced by a list): the subscriber
sees one continuous stream, the old layer goes on until the new one's keyframe, which is asked
for once, and a paused section sends nothing and resumes at a keyframe without a gap."""

from __future__ import annotations

import struct

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from server.sfu import seam
from rtcseam.vp8 import vp8_keyframe_height
from server.sfu.forwarding import DownTrack, UpTrack

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
KEYFRAME_360 = b"\x10" + b"\x00\x00\x00\x9d\x01\x2a\x80\x02\x68\x01" + bytes(100)  # 640x360
KEYFRAME_180 = b"\x10" + b"\x00\x00\x00\x9d\x01\x2a\x40\x01\xb4\x00" + bytes(100)  # 320x180
DELTA = b"\x10\x01" + bytes(100)


@pytest.fixture
async def section(monkeypatch):
    sent: list[bytes] = []

    async def send_rtp(sender, data: bytes) -> None:
        sent.append(data)

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    plis: dict[str, int] = {"high": 0, "low": 0}
    high = UpTrack("ada", "video", request_pli=lambda ssrc: plis.__setitem__("high", plis["high"] + 1), layer="high")
    low = UpTrack("ada", "video", request_pli=lambda ssrc: plis.__setitem__("low", plis["low"] + 1), layer="low")
    high.add_layer(low)
    pc = RTCPeerConnection()
    down = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video")
    down._on_started(100)
    yield high, low, down, sent, plis
    await pc.close()


class Source:
    """One layer's packets: its own SSRC, sequence numbers and timestamps."""

    def __init__(self, up: UpTrack, ssrc: int, seq: int, ts: int) -> None:
        self.up, self.ssrc, self.seq, self.ts = up, ssrc, seq, ts

    async def frame(self, payload: bytes = DELTA) -> None:
        await self.up.on_packet(RtpPacket(payload_type=96, sequence_number=self.seq, timestamp=self.ts,
                                          ssrc=self.ssrc, payload=payload, marker=1), VP8)
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + 3000) & 0xFFFFFFFF


def headers(sent: list[bytes]) -> list[tuple[int, int, int]]:
    return [struct.unpack_from("!HII", data, 2) for data in sent]


def payloads(sent: list[bytes]) -> list[bytes]:
    return [data[12:] for data in sent]


async def test_a_switch_waits_for_the_new_layers_keyframe_and_keeps_the_stream_continuous(section) -> None:
    high, low, down, sent, plis = section
    big, small = Source(high, 1111, 500, 90_000), Source(low, 2222, 40_000, 7_000_000)
    down.bind(high)
    await big.frame(KEYFRAME_360)
    for _ in range(4):
        await big.frame()
        await small.frame()  # the other layer goes nowhere yet
    assert len(sent) == 5 and high.height == 360

    down.switch(low)
    assert plis["low"] == 1  # a keyframe of the small layer is asked for at once
    await small.frame()  # not a keyframe: not switched yet...
    await big.frame()  # ...so the whole picture goes on
    assert len(sent) == 6 and payloads(sent)[-1] == DELTA
    await small.frame(KEYFRAME_180)  # the switch happens here
    await big.frame()  # and the old layer is no longer sent
    await small.frame()
    assert down.up is low and low.height == 180
    assert payloads(sent)[6:] == [KEYFRAME_180, DELTA]
    seqs = [h[0] for h in headers(sent)]
    stamps = [h[1] for h in headers(sent)]
    ssrcs = {h[2] for h in headers(sent)}
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(len(seqs))]  # no gap, no jump
    assert all(0 < (b - a) & 0xFFFFFFFF <= 6000 for a, b in zip(stamps, stamps[1:]))  # forward, about a frame
    assert ssrcs == {seam.sender_ssrc(down.sender)}  # one stream for the subscriber


async def test_switching_back_before_the_keyframe_came_cancels_the_switch(section) -> None:
    high, low, down, sent, _ = section
    big, small = Source(high, 1111, 1, 0), Source(low, 2222, 1, 0)
    down.bind(high)
    await big.frame(KEYFRAME_360)
    down.switch(low)
    down.switch(high)
    await small.frame(KEYFRAME_180)
    await big.frame()
    assert down.up is high and payloads(sent) == [KEYFRAME_360, DELTA]
    assert down not in low.downs


async def test_a_paused_section_sends_nothing_and_resumes_at_a_keyframe_without_a_gap(section) -> None:
    high, _, down, sent, plis = section
    big = Source(high, 1111, 65_530, 0)  # across the 16-bit wrap, too
    down.bind(high)
    await big.frame(KEYFRAME_360)
    await big.frame()
    down.pause(True)
    for _ in range(10):
        await big.frame()
    assert len(sent) == 2
    asked = plis["high"]
    down.pause(False)
    assert plis["high"] == asked + 1
    await big.frame()  # waits for the keyframe
    await big.frame(KEYFRAME_360)
    await big.frame()
    assert payloads(sent)[2:] == [KEYFRAME_360, DELTA]
    seqs = [h[0] for h in headers(sent)]
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(4)]


def test_the_height_is_read_from_a_vp8_keyframe() -> None:
    assert vp8_keyframe_height(KEYFRAME_360) == 360
    assert vp8_keyframe_height(KEYFRAME_180) == 180
    assert vp8_keyframe_height(DELTA) is None


async def test_a_keyframe_request_goes_to_the_layer_the_subscriber_receives() -> None:
    from server.sfu.peers import SubscriberPeer

    async def nothing(*args) -> None:
        return None

    plis: list[str] = []
    high = UpTrack("ada", "video", request_pli=lambda ssrc: plis.append("high"), layer="high")
    low = UpTrack("ada", "video", request_pli=lambda ssrc: plis.append("low"), layer="low")
    high.add_layer(low)
    high.media_ssrc, low.media_ssrc = 1, 2
    peer = SubscriberPeer(nothing, nothing, ("127.0.0.1",))
    try:
        await peer.update({("ada", "video"): high})
        down = next(s.down for s in peer._sections if s.down.up is high)
        down.bind(low)  # the allocation gave this subscriber the small layer
        assert peer.request_keyframe("ada") and plis == ["low"]
        assert not peer.request_keyframe("nobody")
    finally:
        await peer.close()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def camera_and_two_subscribers(clock: Clock, pc: RTCPeerConnection, plis: dict | None = None):
    """Bob's camera (two layers; keyframe requests counted in ``plis``), the down tracks of two
    subscribers, Ada and Carl, on its whole picture (sections of ``pc``), and each layer's
    packets: (high, low, ada, carl, big, small)."""
    def asker(name: str):
        return (lambda ssrc: None) if plis is None else (lambda ssrc: plis.__setitem__(name, plis[name] + 1))

    high = UpTrack("bob", "video", request_pli=asker("high"), clock_fn=clock, layer="high")
    low = UpTrack("bob", "video", request_pli=asker("low"), clock_fn=clock, layer="low")
    high.add_layer(low)
    ada, carl = (DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video", clock_fn=clock)
                 for _ in range(2))
    for down in (ada, carl):
        down._on_started(100)
        down.bind(high)
    return high, low, ada, carl, Source(high, 1111, 500, 90_000), Source(low, 2222, 40_000, 7_000_000)


async def test_a_subscribers_own_loss_is_mended_on_the_small_layer_not_after_5_s(monkeypatch) -> None:
    """Ada's downlink lost a packet of Bob's whole picture, which Carl takes too. Her first
    request for a keyframe is granted (everyone gets it); when she loses again within 5 s, a
    keyframe of the whole picture would be held for 5 s (her loss must not cost Carl a keyframe a
    second), and near a link's edge her picture stayed broken that long. Instead she switches to
    Bob's small layer, which nobody else takes: its keyframe comes at once, and her picture is
    whole again, smaller. Her allocation keeps her there for the hold, then takes her back up,
    and that keyframe counts against her 5 s."""
    from server.sfu.downlink import Downlink
    from server.sfu.forwarding import RECOVER_HOLD
    from server.sfu.repair import LOSS_KEYFRAME_INTERVAL
    from wire import TileNeed

    sent: dict[int, list[bytes]] = {}

    async def send_rtp(sender, data: bytes) -> None:
        sent.setdefault(id(sender), []).append(data)

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    clock = Clock()
    plis = {"high": 0, "low": 0}
    pc = RTCPeerConnection()
    high, low, ada, carl, big, small = camera_and_two_subscribers(clock, pc, plis)
    try:
        await big.frame(KEYFRAME_360)
        await small.frame(KEYFRAME_180)  # the small layer flows, to nobody yet
        clock.now += 10
        plis.update(high=0, low=0)

        ada._on_keyframe_request()  # her first loss: a keyframe for all
        assert plis == {"high": 1, "low": 0}
        clock.now += 0.5
        ada._on_keyframe_request()  # again, within 5 s: not the whole picture's keyframe...
        assert plis == {"high": 1, "low": 1}  # ...the small layer's, for her alone
        await big.frame()
        await small.frame(KEYFRAME_180)
        await big.frame()
        await small.frame()
        ada_got = payloads(sent[id(ada.sender)])
        assert ada.up is low and ada_got[-2:] == [KEYFRAME_180, DELTA]  # whole again, smaller
        assert payloads(sent[id(carl.sender)])[-2:] == [DELTA, DELTA] and carl.up is high  # Carl: as before

        # her allocation (a link with room for the whole picture, which moved Bob up to it a
        # moment ago) keeps her small while mending, and neither pauses nor holds him for it
        told = []
        downlink = Downlink(on_video=lambda *notice: told.append(notice), clock_fn=clock)
        downlink.ramping = False
        downlink.set_needs([TileNeed("bob", 640, 360, stage=True)])
        downlink.allocator.current = {"bob": "high"}
        downlink.allocator._changed_at = {"bob": clock.now - 0.5}
        downlink.tick([ada], {id(ada): high})
        assert ada.up is low and ada._next is None and not ada.paused
        assert told == [("bob", False, None, "low")]  # "small", never "paused"
        assert plis["high"] == 1
        clock.now += max(RECOVER_HOLD, LOSS_KEYFRAME_INTERVAL)
        downlink.tick([ada], {id(ada): high})  # then back up, at the next keyframe
        assert ada._next is high and plis["high"] == 2
        await big.frame(KEYFRAME_360)
        assert ada.up is high and payloads(sent[id(ada.sender)])[-1] == KEYFRAME_360
        clock.now += 1
        ada._on_keyframe_request()  # a loss a second after going back up: small again, not all
        assert plis["high"] == 2 and ada._next is low
    finally:
        await pc.close()


async def test_the_small_layer_is_no_refuge_when_others_take_it_too(section) -> None:
    """When someone else takes the small layer, its keyframes are theirs too: the loss waits for
    the 5 s limit as before, and the subscriber stays where the allocation put it."""
    high, low, down, _, plis = section
    clock = Clock()
    pc = RTCPeerConnection()
    others = [DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video", clock_fn=clock)
              for _ in range(2)]
    try:
        for other, layer in zip(others, (high, low)):
            other._on_started(100)
            other.bind(layer)
        high.media_ssrc, low.media_ssrc = 1111, 2222
        me = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video", clock_fn=clock)
        me._on_started(100)
        me.bind(high)
        me._started = True
        me._on_keyframe_request()
        clock.now += 0.5
        me._on_keyframe_request()
        assert me._next is None and me.up is high and me.recovering_until == float("-inf")
    finally:
        await pc.close()


async def test_a_whole_picture_that_fails_again_right_after_going_back_up_waits_longer(monkeypatch) -> None:
    """Each time the whole picture breaks again soon after the subscriber went back up, it stays
    on the small layer twice as long (up to a limit): at a link's edge it is not tried every 5 s."""
    from server.sfu.forwarding import RECOVER_HOLD, RECOVER_HOLD_MAX
    from server.sfu.repair import LOSS_KEYFRAME_INTERVAL

    async def send_rtp(sender, data: bytes) -> None:
        return None

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    clock = Clock()
    pc = RTCPeerConnection()
    high, low, ada, carl, big, small = camera_and_two_subscribers(clock, pc)
    try:
        await big.frame(KEYFRAME_360)
        holds = []
        for _ in range(6):
            clock.now += 0.5
            ada._on_keyframe_request()
            ada._on_keyframe_request()  # held: mends on the small layer
            await small.frame(KEYFRAME_180)
            assert ada.up is low
            holds.append(ada.recovering_until - clock.now)
            clock.now = ada.recovering_until
            ada.switch(high)  # the allocation takes it back up
            await big.frame(KEYFRAME_360)
            assert ada.up is high
        assert holds[0] == max(RECOVER_HOLD, LOSS_KEYFRAME_INTERVAL - 0.0)
        assert holds[1:4] == [2 * RECOVER_HOLD, 4 * RECOVER_HOLD, 8 * RECOVER_HOLD]
        assert holds[-1] == RECOVER_HOLD_MAX
        clock.now += 20  # a while whole: the next mend holds as the first
        ada._on_keyframe_request()
        ada._on_keyframe_request()
        assert ada.recovering_until - clock.now == max(RECOVER_HOLD, LOSS_KEYFRAME_INTERVAL)
    finally:
        await pc.close()
