"""The video receive path: a picture is shown only when every frame it refers to was decoded.

Real VP8 from libvpx, packetized as a WebRTC sender does (RFC 7741 descriptor with a 15-bit
picture id), fed to the path with packets dropped; every picture that comes out is compared
with the picture that was sent, so a damaged one cannot pass unnoticed.
"""

from __future__ import annotations

import asyncio
import fractions

import av
import numpy as np
import pytest

from desktop.media.video_receive import FrameAssembler, VideoReceiveTrack, parse_vp8_descriptor
from desktop.media.synthetic.patterns import MovingPattern

WIDTH, HEIGHT = 320, 180
CHUNK = 300  # bytes of VP8 data per packet: a few packets a frame, like a real sender at this size


def encode(count: int, keyframe_every: int = 1000) -> tuple[list[av.VideoFrame], list[tuple[bytes, bool]]]:
    """``count`` pictures of the moving pattern and their VP8 encoding (data, keyframe)."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.time_base = fractions.Fraction(1, 30)
    codec.bit_rate = 600_000
    codec.options = {"lag-in-frames": "0", "deadline": "realtime", "cpu-used": "8"}
    pattern = MovingPattern(WIDTH, HEIGHT)
    sent, encoded = [], []
    for n in range(count):
        picture = pattern.render(n, 1000 + n)
        picture.pts = n
        if n % keyframe_every == 0:
            picture.pict_type = av.video.frame.PictureType.I
        sent.append(picture)
        packets = codec.encode(picture)
        assert len(packets) == 1
        encoded.append((bytes(packets[0]), packets[0].is_keyframe))
    return sent, encoded


def packetize(encoded: list[tuple[bytes, bool]], seq0: int = 65000) -> list[tuple[int, int, bool, bytes, int]]:
    """RTP packets (seq, timestamp, marker, payload, frame index), in sending order."""
    packets, seq = [], seq0
    for index, (data, _key) in enumerate(encoded):
        chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
        picture_id = (500 + index) % (1 << 15)
        for number, chunk in enumerate(chunks):
            start = 0x10 if number == 0 else 0x00
            descriptor = bytes([0x80 | start, 0x80, 0x80 | (picture_id >> 8), picture_id & 0xFF])
            packets.append((seq & 0xFFFF, 3000 * index, number == len(chunks) - 1, descriptor + chunk, index))
            seq += 1
    return packets


def psnr(a: av.VideoFrame, b: av.VideoFrame) -> float:
    x = a.to_ndarray(format="gray").astype(np.float64)
    y = b.to_ndarray(format="gray").astype(np.float64)
    mse = float(np.mean((x - y) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def test_the_descriptor_is_read_as_rfc_7741_writes_it() -> None:
    start, picture_id, modulus, offset = parse_vp8_descriptor(bytes([0x90, 0x80, 0x81, 0x02, 0x9D]))
    assert (start, picture_id, modulus, offset) == (True, 0x102, 1 << 15, 4)
    assert parse_vp8_descriptor(bytes([0x90, 0x80, 0x05, 0x00])) == (True, 5, 1 << 7, 3)
    assert parse_vp8_descriptor(bytes([0x00, 0x00]))[:2] == (False, None)
    with pytest.raises(ValueError):
        parse_vp8_descriptor(bytes([0x90, 0x80]))


def test_frames_come_out_whole_and_in_order_across_the_sequence_wrap() -> None:
    _sent, encoded = encode(12)
    assembler = FrameAssembler()
    out = []
    for seq, ts, marker, payload, _index in packetize(encoded):
        out += assembler.push(seq, ts, marker, payload, 0.0)
    assert [f.data for f in out] == [data for data, _key in encoded]
    assert out[0].keyframe and not any(f.keyframe for f in out[1:])
    assert assembler.withheld == assembler.skipped == 0


def test_a_hole_repaired_in_time_loses_nothing() -> None:
    _sent, encoded = encode(8)
    packets = packetize(encoded)
    late = packets.pop(9)  # lost once, retransmitted a little later
    packets.insert(14, late)
    assembler = FrameAssembler(max_wait=0.25)
    out = []
    for n, (seq, ts, marker, payload, _index) in enumerate(packets):
        out += assembler.push(seq, ts, marker, payload, n * 0.005)
    assert [f.data for f in out] == [data for data, _key in encoded]


def test_after_a_loss_nothing_is_released_until_the_next_keyframe() -> None:
    _sent, encoded = encode(30, keyframe_every=15)
    packets = packetize(encoded)
    dropped_frame = 4
    lost = next(p[0] for p in packets if p[4] == dropped_frame and p[2])
    packets = [p for p in packets if p[0] != lost]  # its last packet never comes
    assembler = FrameAssembler(max_wait=0.25)
    released: list[int] = []
    index_of = {ts: index for _s, ts, _m, _p, index in packets}
    for n, (seq, ts, marker, payload, _index) in enumerate(packets):
        for frame in assembler.push(seq, ts, marker, payload, n / 90):  # ~30 fps of packets
            released.append(index_of[frame.timestamp])
    assert released == [0, 1, 2, 3, *range(15, 30)]
    assert assembler.skipped >= 1 and assembler.withheld + assembler.skipped == 11
    assert lost in assembler.take_given_up()  # no use asking for it again: a keyframe replaced it


def test_a_whole_frame_lost_is_noticed_from_the_picture_id() -> None:
    # The sequence numbers of a lost frame were never used (a forwarding unit that dropped it
    # whole and renumbered): only the picture id tells.
    _sent, encoded = encode(20, keyframe_every=10)
    packets = packetize([e for i, e in enumerate(encoded) if i != 3])
    renumbered = []
    for n, (seq, ts, marker, payload, index) in enumerate(packets):
        picture = (500 + (index if index < 3 else index + 1)) % (1 << 15)
        payload = payload[:2] + bytes([0x80 | (picture >> 8), picture & 0xFF]) + payload[4:]
        renumbered.append((seq, ts, marker, payload))
    assembler = FrameAssembler()
    out = []
    for seq, ts, marker, payload in renumbered:
        out += assembler.push(seq, ts, marker, payload, 0.0)
    assert len(out) == 3 + 10  # frames 0-2, then nothing until the keyframe (frame 10 sent as index 9)
    assert out[3].keyframe and assembler.withheld == 6


async def decoder_idle(track: VideoReceiveTrack) -> None:
    """Until the decoder thread has taken every frame (bounded)."""
    for _ in range(2000):
        if track._queue.empty():
            break
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.001)


async def _run_track(packets, drop=lambda p: False) -> tuple[VideoReceiveTrack, list[av.VideoFrame], int]:
    requests = []
    now = [0.0]
    track = VideoReceiveTrack(request_keyframe=lambda: requests.append(1), clock=lambda: now[0])
    shown: list[av.VideoFrame] = []
    for seq, ts, marker, payload, _index in packets:
        now[0] = _index / 30  # sent at 30 frames a second
        if drop((seq, ts, marker, payload, _index)):
            continue
        track.push(seq, ts, marker, payload)
        await decoder_idle(track)  # the decoder keeps up (this test is not about a backlog)
        while track._latest is not None:
            shown.append(await track.recv())
    for _ in range(200):  # let the decoder finish
        if track._queue.empty():
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    while track._latest is not None:
        shown.append(await track.recv())
    track.stop()
    return track, shown, len(requests)


async def test_the_track_shows_only_good_pictures_and_asks_for_a_keyframe_once() -> None:
    sent, encoded = encode(40, keyframe_every=20)
    packets = packetize(encoded)
    dropped = {p[0] for p in packets if p[4] == 6 and not p[2]}  # the first packets of frame 6
    track, shown, requests = await _run_track(packets, drop=lambda p: p[0] in dropped)
    by_pts = {3000 * n: picture for n, picture in enumerate(sent)}
    assert shown, "nothing was shown"
    for picture in shown:
        assert psnr(picture, by_pts[picture.pts]) > 30, picture.pts  # the very picture sent, undamaged
    shown_frames = sorted(p.pts // 3000 for p in shown)
    assert not any(6 <= n < 20 for n in shown_frames)  # nothing between the loss and the keyframe
    assert 19 < max(shown_frames)  # and the picture moves again from the keyframe
    stats = track.stats
    assert stats.damaged_withheld + stats.frames_skipped == 14
    assert requests == 1 and stats.keyframes_requested == 1  # one request, however many frames withheld


async def test_a_clean_stream_never_asks_for_a_keyframe() -> None:
    _sent, encoded = encode(10)
    track, shown, requests = await _run_track(packetize(encoded))
    assert requests == 0 and track.stats.frames_decoded == 10 and shown


async def test_a_frame_that_fails_to_decode_holds_the_picture_until_a_keyframe() -> None:
    sent, encoded = encode(30, keyframe_every=15)
    corrupt = list(encoded)
    data, key = corrupt[5]
    corrupt[5] = (data[:10], key)  # cut short inside its first partition: libvpx refuses it
    track, shown, requests = await _run_track(packetize(corrupt))
    by_pts = {3000 * n: picture for n, picture in enumerate(sent)}
    for picture in shown:
        assert psnr(picture, by_pts[picture.pts]) > 30, picture.pts
    assert max(p.pts // 3000 for p in shown) > 15
    assert track.stats.decode_errors == 1
    assert not any(5 <= p.pts // 3000 < 15 for p in shown)
    assert requests == 1


async def test_a_paused_track_decodes_nothing_and_asks_for_a_keyframe_to_resume() -> None:
    _sent, encoded = encode(10)
    packets = packetize(encoded)
    requests = []
    track = VideoReceiveTrack(request_keyframe=lambda: requests.append(1), clock=lambda: 0.0)
    track.set_paused(True)
    for seq, ts, marker, payload, _index in packets:
        track.push(seq, ts, marker, payload)
    await asyncio.sleep(0.05)
    assert track.stats.frames_decoded == 0 and track.packets == 0
    track.set_paused(False)
    assert requests == [1]
    track.stop()


async def test_frames_before_the_keyframe_after_a_pause_are_skipped_not_damaged() -> None:
    _sent, encoded = encode(30, keyframe_every=15)
    packets = packetize(encoded)
    track = VideoReceiveTrack(clock=lambda: 0.0)
    track.set_paused(True)
    track.set_paused(False)
    try:
        for seq, ts, marker, payload, index in packets[len(packetize(encoded[:5])):]:  # resumed at frame 5
            track.push(seq, ts, marker, payload)
            await decoder_idle(track)
        await asyncio.sleep(0.1)
        stats = track.stats
        assert stats.damaged_withheld == 0 and stats.frames_skipped == 10  # frames 5-14, then the keyframe
        assert stats.frames_decoded == 15
    finally:
        track.stop()


def test_a_keyframe_that_is_slow_to_arrive_is_waited_for() -> None:
    # A slow link: the keyframe's packets trickle in over a second, with no hole among them.
    _sent, encoded = encode(3)
    assembler = FrameAssembler(max_wait=0.3)
    out = []
    for n, (seq, ts, marker, payload, _index) in enumerate(packetize(encoded)):
        out += assembler.push(seq, ts, marker, payload, n * 0.1)
    assert [f.data for f in out] == [data for data, _key in encoded]
    assert assembler.skipped == assembler.withheld == 0
