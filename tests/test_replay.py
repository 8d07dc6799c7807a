"""Pre-encoded replay clips and tracks (desktop/media/synthetic/replay.py)."""

from __future__ import annotations

import fractions
import math

import av
import numpy as np
import pytest
from aiortc.codecs import depayload, get_encoder
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from desktop.media.synthetic.replay import (
    EncodedClip,
    ReplayAudioTrack,
    ReplayVideoTrack,
    encode_audio_clip,
    encode_video_clip,
)
from desktop.media.synthetic.stamp import read_stamp

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)


@pytest.fixture
def clip() -> EncodedClip:
    """A two-second 320x180 clip with a keyframe every 15 frames (cached across tests)."""
    return encode_video_clip(320, 180, fps=30, seconds=2.0, keyframe_interval=15, bitrate=300_000)


@pytest.fixture
def short_clip() -> EncodedClip:
    """Ten frames at 100 fps, keyframes at 0 and 5: tracks over it loop within 100 ms."""
    return encode_video_clip(160, 96, fps=100, seconds=0.1, keyframe_interval=5, bitrate=300_000)


def decode_stamps(packets: list[bytes] | tuple[bytes, ...]) -> list[int | None]:
    """Frame numbers read from packets decoded in order on one fresh VP8 decoder."""
    decoder = av.CodecContext.create("libvpx", "r")
    numbers: list[int | None] = []
    for data in packets:
        for frame in decoder.decode(av.Packet(data)):
            stamp = read_stamp(frame)
            numbers.append(stamp.frame_number if stamp else None)
    return numbers


def test_clip_decodes_to_frames_stamped_with_their_index(clip: EncodedClip) -> None:
    assert (clip.width, clip.height, clip.fps) == (320, 180, 30)
    assert len(clip.packets) == 60
    assert decode_stamps(clip.packets) == list(range(60))


def test_clip_keyframes_decode_on_a_fresh_decoder(clip: EncodedClip) -> None:
    assert clip.keyframes == (0, 15, 30, 45)
    for index in clip.keyframes:
        assert decode_stamps(clip.packets[index : index + 3]) == [index, index + 1, index + 2]
    # An inter frame alone is not decodable: the keyframes really are the entry points.
    with pytest.raises(av.error.InvalidDataError):
        decode_stamps(clip.packets[16:17])


def test_clips_are_cached_per_arguments(clip: EncodedClip) -> None:
    assert encode_video_clip(320, 180, fps=30, seconds=2.0, keyframe_interval=15,
                             bitrate=300_000) is clip
    assert encode_audio_clip(0.2) is encode_audio_clip(0.2)


def test_encoded_clip_is_validated() -> None:
    with pytest.raises(ValueError):
        EncodedClip(packets=(b"x",), keyframes=(), fps=30, width=2, height=2)
    with pytest.raises(ValueError):
        EncodedClip(packets=(b"x", b"y"), keyframes=(0, 2), fps=30, width=2, height=2)


async def test_video_track_loops_with_strictly_increasing_pts(short_clip: EncodedClip) -> None:
    track = ReplayVideoTrack(short_clip)
    assert track.kind == "video"
    packets = [await track.recv() for _ in range(14)]
    track.stop()

    assert track.frames_sent == 14
    assert all(p.time_base == fractions.Fraction(1, 90000) for p in packets)
    pts = [p.pts for p in packets]
    assert pts[0] == 0 and all(b > a for a, b in zip(pts, pts[1:]))
    assert [p.is_keyframe for p in packets[:6]] == [True, False, False, False, False, True]
    # One decoder across the loop: the clip restarts at its first keyframe.
    assert decode_stamps([bytes(p) for p in packets]) == list(range(10)) + list(range(4))


async def test_request_keyframe_jumps_forward_and_wraps(short_clip: EncodedClip) -> None:
    track = ReplayVideoTrack(short_clip)
    first = [await track.recv() for _ in range(2)]  # frames 0, 1
    track.request_keyframe()
    jumped = await track.recv()
    after = await track.recv()
    assert decode_stamps([bytes(jumped)]) == [5]  # decodable on its own, by a fresh decoder
    assert jumped.is_keyframe and not after.is_keyframe
    assert decode_stamps([bytes(jumped), bytes(after)]) == [5, 6]

    for _ in range(2):
        await track.recv()  # frames 7, 8
    track.request_keyframe()
    wrapped = await track.recv()
    assert decode_stamps([bytes(wrapped)]) == [0]  # no keyframe after 8: back to the start

    pts = [p.pts for p in [*first, jumped, after, wrapped]]
    assert pts == sorted(set(pts))
    track.stop()
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


def test_audio_clip_decodes_to_the_tone() -> None:
    packets = encode_audio_clip(0.2)
    assert len(packets) >= 10
    decoder = av.CodecContext.create("libopus", "r")
    frames = [frame for data in packets for frame in decoder.decode(av.Packet(data))]
    assert all((f.samples, f.sample_rate) == (960, 48000) for f in frames)
    samples = frames[5].to_ndarray().astype(np.float64)  # past the codec's start-up
    rms = math.sqrt(float(np.mean(samples**2))) / 32767
    assert 20 * math.log10(rms) == pytest.approx(-20.0, abs=1.0)


async def test_audio_track_loops_opus_packets_every_20ms() -> None:
    packets = encode_audio_clip(0.2)
    track = ReplayAudioTrack(packets[:2])
    assert track.kind == "audio"
    sent = [await track.recv() for _ in range(3)]
    track.stop()
    assert [bytes(p) for p in sent] == [packets[0], packets[1], packets[0]]
    assert [p.pts for p in sent] == [0, 960, 1920]
    assert all(p.time_base == fractions.Fraction(1, 48000) for p in sent)
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_aiortc_encoders_pack_the_replayed_packets(short_clip: EncodedClip) -> None:
    """What RTCRtpSender._next_encoded_frame does with an av.Packet from a track."""
    video = ReplayVideoTrack(short_clip)
    vp8 = get_encoder(VP8)
    for _ in range(2):
        packet = await video.recv()
        payloads, timestamp = vp8.pack(packet)
        assert timestamp == packet.pts
        assert b"".join(depayload(VP8, payload) for payload in payloads) == bytes(packet)
    video.stop()

    audio = ReplayAudioTrack(encode_audio_clip(0.2))
    opus = get_encoder(OPUS)
    for _ in range(2):
        packet = await audio.recv()
        assert opus.pack(packet) == ([bytes(packet)], packet.pts)
    audio.stop()
