"""Repair with a budget in the forwarding unit (server/sfu/repair.py, forwarding.DownTrack):
synthetic packets through real aiortc senders, the socket replaced by a list, clocks injected.

- a NACK is answered only while the packet can still arrive and within 15 % of the estimate;
- a NACK that cannot be answered turns into one keyframe request, not a retransmission;
- keyframe requests are coalesced: one per publisher layer per interval, and one subscriber's
  loss asks for at most one keyframe per 5 s;
- forwarded video carries abs-send-time, so the subscriber's receiver can estimate."""

from __future__ import annotations

import asyncio
import struct

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from server.sfu import seam
from server.sfu.forwarding import RECENT_AGE, DownTrack, UpTrack
from server.sfu.repair import (
    KEYFRAME_MIN_INTERVAL,
    LOSS_KEYFRAME_INTERVAL,
    REPAIR_DEADLINE,
    REPAIR_SHARE,
    UPLINK_DEADLINE,
    UPLINK_MAX_ASKS,
    UPLINK_MAX_GAP,
    UPLINK_NACK_FLOOR,
    UPLINK_NACK_SHARE,
    UPLINK_RETRY,
    UPSTREAM_LOSS_RECENT,
    RepairBudget,
    UplinkNacks,
)

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
PAYLOAD = b"\x10" + bytes(999)  # a VP8 payload descriptor (start of partition), not a keyframe
KEYFRAME = b"\x10" + b"\x00\x00\x00\x9d\x01\x2a\x80\x02\x68\x01" + bytes(989)  # 640x360


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def link(monkeypatch):
    """A publisher's video up track and two subscribers' down tracks on it."""
    sent: dict[int, list[bytes]] = {}

    async def send_rtp(sender, data: bytes) -> None:
        sent.setdefault(id(sender), []).append(data)

    monkeypatch.setattr(seam, "send_rtp", send_rtp)
    clock = Clock()
    plis: list[int] = []
    up = UpTrack("ada", "video", request_pli=plis.append, clock_fn=clock)
    pcs, downs = [], []
    for _ in range(2):
        pc = RTCPeerConnection()
        down = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video", clock_fn=clock)
        down._on_started(100, 2)  # what aiortc reports when it starts the sender: PT, abs-send-time id
        down.repair = RepairBudget(1_000_000, clock())
        down.bind(up)
        pcs.append(pc)
        downs.append(down)
    yield up, downs, sent, plis, clock
    for pc in pcs:
        await pc.close()


def packet(seq: int, payload: bytes = PAYLOAD) -> RtpPacket:
    return RtpPacket(payload_type=96, sequence_number=seq, timestamp=3000 * seq, ssrc=555, payload=payload)


async def start(up, clock, count: int = 20) -> None:
    await up.on_packet(packet(1000, KEYFRAME), VP8)
    for i in range(1, count):
        clock.now += 0.01
        await up.on_packet(packet(1000 + i), VP8)


def seq_of(data: bytes) -> int:
    return struct.unpack_from("!H", data, 2)[0]


NTP = 0xE8F1_2345_6789_ABCD  # a 64-bit NTP time: 3,908,117,317.4 s since 1900


async def test_forwarded_video_carries_abs_send_time(link, monkeypatch) -> None:
    monkeypatch.setattr(seam, "current_ntp_time", lambda: NTP)
    up, (down, _), sent, _, clock = link
    await start(up, clock, 3)
    data = sent[id(down.sender)][0]
    assert data[0] & 0x10  # the header extension bit
    assert data[12:16] == b"\xbe\xde\x00\x01" and data[16] == (2 << 4) | 2
    extensions = HeaderExtensionsMap()
    extensions.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=2, uri=seam.ABS_SEND_TIME_URI)]))
    parsed = RtpPacket.parse(data, extensions)  # as the subscriber's aiortc receiver reads it
    assert parsed.extensions.abs_send_time == (NTP >> 14) & 0xFFFFFF
    assert parsed.payload == KEYFRAME  # the payload follows the extension untouched


async def test_a_nack_is_answered_while_the_packet_can_arrive_and_never_after(link) -> None:
    up, (down, _), sent, plis, clock = link
    await start(up, clock)
    out = sent[id(down.sender)]
    first = seq_of(out[0])
    before = len(out)
    await down._on_nack(first + 19)  # sent just now
    assert len(out) == before + 1 and seq_of(out[-1]) == first + 19
    plis.clear()
    clock.now += REPAIR_DEADLINE + 0.01
    await down._on_nack(first + 18)  # too old to arrive in time: nothing is resent...
    assert len(out) == before + 1
    assert len(plis) == 1  # ...the subscriber gets a keyframe instead
    assert down.repair.refused_late == 1


async def test_retransmissions_stay_within_their_share_of_the_estimate(link) -> None:
    up, (down, _), sent, plis, clock = link
    down.repair = RepairBudget(400_000, clock())  # a poor link: 15 % is 7.5 kB/s
    out = sent.setdefault(id(down.sender), [])
    resent = 0
    elapsed = 0.0
    seq = 2000
    await up.on_packet(packet(seq, KEYFRAME), VP8)
    for _ in range(100):  # 2 s of a subscriber losing everything and asking for it all again
        for _ in range(5):
            seq += 1
            await up.on_packet(packet(seq), VP8)
        before = len(out)
        first = seq_of(out[-1]) - 4
        for i in range(5):
            await down._on_nack((first + i) & 0xFFFF)
        resent += len(out) - before
        clock.now += 0.02
        elapsed += 0.02
    bytes_resent = resent * len(out[-1])
    allowed = REPAIR_SHARE * 400_000 / 8 * elapsed + max(1500, REPAIR_SHARE * 400_000 / 8 * 0.25)
    assert 0 < bytes_resent <= allowed
    assert down.repair.refused_budget > 0


async def test_keyframe_requests_are_coalesced_per_layer_and_per_subscriber(link) -> None:
    up, (ada_down, bob_down), _, plis, clock = link
    await start(up, clock)
    plis.clear()
    clock.now += 10
    ada_down._on_keyframe_request()
    bob_down._on_keyframe_request()  # at the same moment: shares Ada's
    assert len(plis) == 1
    for _ in range(20):  # Ada keeps losing pictures for 4 s: her loss alone asks for nothing more
        clock.now += 0.2
        ada_down._on_keyframe_request()
    assert len(plis) == 1
    clock.now += LOSS_KEYFRAME_INTERVAL - 4 + 0.01
    ada_down._on_keyframe_request()
    assert len(plis) == 2


async def test_a_burst_of_requests_to_one_layer_sends_one_keyframe_per_interval(link) -> None:
    up, _, _, plis, clock = link
    await start(up, clock)
    plis.clear()
    clock.now += 10
    for _ in range(10):
        up.request_keyframe()
    assert len(plis) == 1
    assert up.keyframes.pending_delay(clock()) == pytest.approx(KEYFRAME_MIN_INTERVAL)
    up.close()  # the one left waiting is dropped with the track


async def test_a_subscriber_starting_a_video_gets_a_keyframe_asked_for_at_once(link) -> None:
    """Its picture waits for a keyframe: that request does not wait for the per-layer interval,
    but a keyframe already asked for and still on its way serves the newcomer too."""
    up, _, sent, plis, clock = link
    await start(up, clock)
    clock.now += 10
    up.request_keyframe()  # someone's loss: the layer's interval starts now
    assert len(plis) == 1
    pcs = []

    def newcomer() -> DownTrack:
        pc = RTCPeerConnection()
        pcs.append(pc)
        down = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video", clock_fn=clock)
        down.bind(up)
        down._on_started(100, 2)  # its connection is up: it starts
        return down

    try:
        clock.now += 0.1
        cleo = newcomer()
        assert len(plis) == 1  # the keyframe asked for 100 ms ago is on its way: hers too
        await up.on_packet(packet(1100), VP8)  # held back: not a keyframe
        assert id(cleo.sender) not in sent
        clock.now += 0.05
        await up.on_packet(packet(1101, KEYFRAME), VP8)
        assert len(sent[id(cleo.sender)]) == 1  # her first packet is the keyframe's
        clock.now += 0.15
        dora = newcomer()  # came 150 ms after that keyframe: its picture is kept, she gets it at once
        await asyncio.sleep(0)
        assert len(sent[id(dora.sender)]) == 1 and len(plis) == 1
        clock.now += RECENT_AGE
        newcomer()  # that picture is too old to replay now, still inside the layer's 1 s interval
        assert len(plis) == 2  # asked for at once
        up.request_keyframe()  # loss is still held to the interval
        assert len(plis) == 2
    finally:
        up.close()
        for pc in pcs:
            await pc.close()


# --- the uplink: what the server asks its publishers for again ----------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_lost_packet_is_asked_for_now_and_again_later_never_when_too_old() -> None:
    clock = Clock()
    nacks = UplinkNacks(clock)
    assert nacks.add(100) == [] and nacks.add(101) == []
    assert nacks.add(104) == [102, 103]  # the gap: asked for once
    clock.now += 0.05
    assert nacks.add(105) == []  # not again so soon (aiortc would ask for both at every new loss)
    clock.now += UPLINK_RETRY - 0.05
    assert nacks.add(106) == [102, 103]  # still missing: again
    assert nacks.add(102) == []  # it came: nothing more to ask for it
    seq = 106
    for _ in range(UPLINK_MAX_ASKS - 2):  # a NACK or its answer lost once more: asked again
        clock.now += UPLINK_RETRY
        seq += 1
        assert nacks.add(seq) == [103]
    assert clock.now < UPLINK_DEADLINE  # every ask came while a repair is still of use
    clock.now += UPLINK_RETRY
    assert nacks.add(seq + 1) == []  # 103 was asked for enough (and is too old now)
    assert nacks.add(seq + 4) == [seq + 2, seq + 3]
    clock.now += UPLINK_DEADLINE + 0.01
    assert nacks.add(seq + 5) == []  # too old to be any use


def test_a_burst_beyond_the_gap_limit_or_the_share_is_not_asked_for() -> None:
    clock = Clock()
    nacks = UplinkNacks(clock)
    nacks.add(0)
    assert nacks.add(UPLINK_MAX_GAP + 2) == []  # a burst (or a restart): a keyframe, not a repair
    for seq in range(UPLINK_MAX_GAP + 3, UPLINK_MAX_GAP + 103):  # 100 packets arrive in the second
        nacks.add(seq)
    asked = nacks.add(UPLINK_MAX_GAP + 150)  # 46 lost at once: at most 15 % of what arrived
    assert len(asked) == max(UPLINK_NACK_FLOOR, int(UPLINK_NACK_SHARE * 101)) and nacks.refused_total > 0


def test_sequence_numbers_wrap() -> None:
    clock = Clock()
    nacks = UplinkNacks(clock)
    nacks.add(65534)
    assert nacks.add(1) == [65535, 0]


def test_a_packet_lost_for_good_upstream_is_counted_for_a_keyframe() -> None:
    clock = Clock()
    nacks = UplinkNacks(clock)
    nacks.add(1)
    assert nacks.add(3) == [2]
    clock.now += UPLINK_RETRY
    assert nacks.add(4) == [2]
    assert nacks.given_up == 0
    clock.now += UPLINK_DEADLINE
    nacks.add(5)  # 2 never came: every subscriber misses it
    assert nacks.given_up == 1
    nacks.add(5 + UPLINK_MAX_GAP + 2)  # a gap too large to ask for: given up at once
    assert nacks.given_up == 2


def test_a_retransmission_lost_too_is_asked_for_again_after_a_round_trip_not_a_fixed_wait() -> None:
    clock = Clock()
    nacks = UplinkNacks(clock)
    seq = 0
    nacks.add(seq)
    for _ in range(30):  # thirty repairs, each back 40 ms after its NACK
        assert nacks.add(seq + 2) == [seq + 1]
        clock.now += 0.04
        nacks.add(seq + 1)
        clock.now += 0.1  # a few losses a second: within the NACK budget
        seq += 2
    assert abs(nacks.repair_time - 0.04) < 1e-6
    assert nacks.add(seq + 2) == [seq + 1]  # lost, and its retransmission lost too:
    clock.now += 0.065
    assert nacks.add(seq + 3) == [seq + 1]  # asked again after 1.5 round trips, not 120 ms
    assert 0.065 < UPLINK_RETRY


async def test_a_nack_that_a_queue_delayed_is_still_answered_when_the_round_trip_leaves_time(
        link, monkeypatch) -> None:
    """A downlink whose queue holds packets 200 ms: the NACK reaches the server 320 ms after the
    packet left, yet the receiver saw the hole only just before, and a retransmission taking
    one round trip (250 ms) still arrives within its wait. A second NACK 60 ms later would not."""
    monkeypatch.setattr(seam, "sender_rtt", lambda sender: 0.25)
    up, (down, _), sent, plis, clock = link
    await start(up, clock)
    out = sent[id(down.sender)]
    first = seq_of(out[0])
    before = len(out)
    plis.clear()
    clock.now += 0.32
    await down._on_nack(first + 19)
    assert len(out) == before + 1 and seq_of(out[-1]) == first + 19
    clock.now += 0.06
    await down._on_nack(first + 19)  # its answer could no longer arrive in time
    assert len(out) == before + 1
    assert down.repair.refused_late == 1 and len(plis) == 1


async def test_a_subscriber_alone_on_a_layer_gets_a_keyframe_for_its_loss_each_second(link) -> None:
    """Nobody else takes this layer (a small one that only a poor link gets): its keyframes
    cost no one else, so the subscriber's loss is not held to one keyframe per 5 s."""
    up, (ada_down, bob_down), _, plis, clock = link
    bob_down.bind(None)  # Bob moved to another layer
    await start(up, clock)
    plis.clear()
    clock.now += 10
    for _ in range(20):  # Ada loses a picture every 0.25 s for 5 s
        ada_down._on_keyframe_request()
        clock.now += 0.25
    assert len(plis) == 5  # one a second (KEYFRAME_MIN_INTERVAL), not one in 5 s


async def test_a_picture_lost_on_the_publishers_link_is_not_held_to_one_keyframe_per_5_s(link) -> None:
    """A packet the publisher's own link lost (and its repair did not bring in time) is missing
    for every subscriber: Ada's request for a keyframe is not her link's fault, and waits only
    for the layer's own limit (one a second), not 5 s. Once the publisher's link has been whole
    for a while, her requests are hers again."""
    up, (ada_down, _), _, plis, clock = link
    up.uplink = UplinkNacks(clock)  # what sees the publisher's link (peers.PublisherPeer)
    for seq in range(1000, 1020):
        up.uplink.add(seq)
    await start(up, clock)  # 1000-1019
    clock.now += 10
    for seq in (1020, 1021, 1022, 1024, 1025):  # 1023 never arrives
        clock.now += 0.01
        up.uplink.add(seq)
        await up.on_packet(packet(seq), VP8)
    up.uplink.add(1023)  # a late repair does not count as a new gap
    await up.on_packet(packet(1023), VP8)
    plis.clear()
    for _ in range(8):  # Ada asks every 0.25 s for 2 s
        ada_down._on_keyframe_request()
        clock.now += 0.25
    assert len(plis) == 2  # one a second
    clock.now += UPSTREAM_LOSS_RECENT
    plis.clear()
    for _ in range(16):  # 4 s more, the publisher's link whole: her own loss again
        ada_down._on_keyframe_request()
        clock.now += 0.25
    assert len(plis) == 1


def test_a_packet_is_resent_each_time_it_is_asked_for_while_in_time_three_times_at_most() -> None:
    """On a link losing 5 % each way a retransmission is lost now and then, and so is the NACK
    that follows it: asked again a round trip later, the packet comes again, up to three times,
    while it can still arrive in time; never after."""
    budget = RepairBudget(2_000_000, 0.0)
    asked = [0.0, 0.06, 0.12, 0.18]  # first seen missing at 0.0, asked every 60 ms
    answers = [budget.allow(1200, first_sent=-0.01, resends=n, now=at, asked_at=0.0, rtt=0.04)
               for n, at in enumerate(asked)]
    assert answers == [True, True, True, False]
    assert not budget.allow(1200, first_sent=-0.01, resends=0, now=0.3, asked_at=0.0, rtt=0.04)  # too late
