"""Pre-encoded replay tracks: publish video and audio without running an encoder.

``parley-bot --light`` encodes a short stamped clip once per process and then loops over its
packets. The tracks return ``av.Packet`` objects, which aiortc's ``RTCRtpSender`` packetizes
without encoding (``encoder.pack``). On that path aiortc ignores keyframe requests (PLI/FIR end in
``RTCRtpSender._send_keyframe``, which does nothing for packets), so whoever owns the sender calls
``ReplayVideoTrack.request_keyframe()`` instead. A replayed camera may carry its small layer
too (``low_layer``: the pattern pre-encoded at half the size and half the rate, as
media/layers.py would encode a live camera's), so a bot that encodes nothing still publishes
two layers.
"""

from __future__ import annotations

import bisect
import fractions
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import av
from aiortc.mediastreams import (
    VIDEO_CLOCK_RATE,
    VIDEO_TIME_BASE,
    MediaStreamTrack,
)

from ..seam import vp8_encoder_threads
from .capture import AUDIO_PTIME, RealTimePacer, tone_amplitude, tone_samples
from .patterns import MovingPattern

__all__ = [
    "EncodedClip",
    "ReplayAudioTrack",
    "ReplayVideoTrack",
    "create_vp8_encoder",
    "encode_audio_clip",
    "encode_video_clip",
]

OPUS_SAMPLE_RATE = 48000
OPUS_SAMPLES_PER_FRAME = 960  # 20 ms
OPUS_TIME_BASE = fractions.Fraction(1, OPUS_SAMPLE_RATE)


@dataclass(frozen=True)
class EncodedClip:
    """A VP8 clip, one packet per frame. Tuples, because clips are cached and shared."""

    packets: tuple[bytes, ...]
    keyframes: tuple[int, ...]  # indices into packets, ascending; the first is 0
    fps: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if not self.packets:
            raise ValueError("a clip needs at least one packet")
        if not self.keyframes or self.keyframes[0] != 0:
            raise ValueError("a clip must start with a keyframe")
        if list(self.keyframes) != sorted(set(self.keyframes)) or self.keyframes[-1] >= len(
            self.packets
        ):
            raise ValueError(f"bad keyframe indices: {self.keyframes}")
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")


def create_vp8_encoder(width: int, height: int, fps: int, bitrate: int) -> av.VideoCodecContext:
    """A libvpx VP8 encoder set up as aiortc's ``Vp8Encoder`` sets it up (CBR, realtime).

    Keyframes come only when asked for (``frame.pict_type = I``); with no lag every input frame
    yields exactly one packet at once.
    """
    codec = av.CodecContext.create("libvpx", "w")
    assert isinstance(codec, av.VideoCodecContext)
    codec.width = width
    codec.height = height
    codec.bit_rate = bitrate
    codec.pix_fmt = "yuv420p"
    codec.framerate = fractions.Fraction(fps, 1)
    codec.time_base = fractions.Fraction(1, fps)
    codec.gop_size = 3000  # kf_max_dist: no keyframes unless forced
    codec.qmin = 2
    codec.qmax = 56
    codec.options = {
        "bufsize": str(bitrate),
        "cpu-used": "-6",
        "deadline": "realtime",
        "lag-in-frames": "0",
        "minrate": str(bitrate),
        "maxrate": str(bitrate),
        "noise-sensitivity": "4",
        "overshoot-pct": "15",
        "partitions": "0",
        "static-thresh": "1",
        "undershoot-pct": "100",
    }
    codec.thread_count = vp8_encoder_threads(width * height)
    return codec


@functools.lru_cache(maxsize=8)
def encode_video_clip(
    width: int = 640,
    height: int = 360,
    fps: int = 30,
    seconds: float = 2.0,
    keyframe_interval: int = 30,
    bitrate: int = 500_000,
) -> EncodedClip:
    """Render ``seconds`` of the stamped moving pattern and encode it once with VP8.

    Frame ``i`` carries ``Stamp(i, captured_ms=0)``; frames ``0, keyframe_interval, ...`` are
    keyframes. Cached per process by arguments.
    """
    count = max(1, round(seconds * fps))
    if keyframe_interval <= 0:
        raise ValueError(f"keyframe_interval must be positive, got {keyframe_interval}")
    pattern = MovingPattern(width, height)
    codec = create_vp8_encoder(width, height, fps, bitrate)
    packets: list[av.Packet] = []
    for index in range(count):
        frame = pattern.render(index, 0)
        frame.pts = index
        frame.time_base = codec.time_base
        if index % keyframe_interval == 0:
            frame.pict_type = av.video.frame.PictureType.I
        packets.extend(codec.encode(frame))
    packets.extend(codec.encode(None))
    if len(packets) != count:  # libvpx dropped or held a frame: stamps would not match indices
        raise RuntimeError(f"VP8 encoder returned {len(packets)} packets for {count} frames")
    return EncodedClip(
        packets=tuple(bytes(p) for p in packets),
        keyframes=tuple(i for i, p in enumerate(packets) if p.is_keyframe),
        fps=fps,
        width=width,
        height=height,
    )


@functools.lru_cache(maxsize=8)
def encode_audio_clip(seconds: float = 1.0, frequency: float = 440.0) -> tuple[bytes, ...]:
    """Opus packets (48 kHz mono, 20 ms each) of a -20 dBFS tone. Cached per process."""
    codec = av.CodecContext.create("libopus", "w")
    assert isinstance(codec, av.AudioCodecContext)
    codec.sample_rate = OPUS_SAMPLE_RATE
    codec.layout = "mono"
    codec.format = "s16"
    codec.bit_rate = 32000
    codec.time_base = OPUS_TIME_BASE
    # in-band FEC, as the app's microphone sends it: a lost packet is rebuilt from the next one
    codec.options = {"application": "voip", "fec": "1", "packet_loss": "10"}
    amplitude = tone_amplitude(-20.0)
    packets: list[av.Packet] = []
    for index in range(max(1, round(seconds / AUDIO_PTIME))):
        start = index * OPUS_SAMPLES_PER_FRAME
        samples = tone_samples(
            start, OPUS_SAMPLES_PER_FRAME, frequency, amplitude, OPUS_SAMPLE_RATE
        )
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = OPUS_SAMPLE_RATE
        frame.pts = start
        frame.time_base = OPUS_TIME_BASE
        packets.extend(codec.encode(frame))
    packets.extend(codec.encode(None))
    return tuple(bytes(p) for p in packets)


class ReplayVideoTrack(MediaStreamTrack):
    """Loops over an encoded clip in real time, returning one ``av.Packet`` per frame.

    pts (1/90000) follow the real-time grid, not the clip, so they keep increasing across loops
    and keyframe jumps.
    """

    kind = "video"

    def __init__(self, clip: EncodedClip, low_layer: "ReplayVideoTrack | None" = None) -> None:
        super().__init__()
        self.clip = clip
        #: the same pattern pre-encoded smaller, sent as the camera's small layer (peers.py)
        self.low_layer = low_layer
        self.frames_sent = 0
        self._next_index = clip.keyframes[0]
        self._keyframe_requested = False
        self._pacer = RealTimePacer(1.0 / clip.fps, max_lag=1.0 / clip.fps)

    def request_keyframe(self) -> None:
        """Make the next packet the clip's next keyframe (skipping ahead, wrapping round)."""
        self._keyframe_requested = True

    def _next_keyframe(self, index: int) -> int:
        position = bisect.bisect_left(self.clip.keyframes, index)
        return self.clip.keyframes[position % len(self.clip.keyframes)]

    async def recv(self) -> av.Packet:
        slot = await self._pacer.live_slot(self)
        index = self._next_index
        if self._keyframe_requested:
            index = self._next_keyframe(index)
            self._keyframe_requested = False
        packet = av.Packet(self.clip.packets[index])
        packet.pts = slot * VIDEO_CLOCK_RATE // self.clip.fps
        packet.dts = packet.pts
        packet.time_base = VIDEO_TIME_BASE
        packet.is_keyframe = index in self.clip.keyframes
        self._next_index = (index + 1) % len(self.clip.packets)
        self.frames_sent += 1
        return packet


class ReplayAudioTrack(MediaStreamTrack):
    """Loops over Opus packets in real time: one 20 ms ``av.Packet`` per call, pts in 1/48000."""

    kind = "audio"

    def __init__(self, packets: Sequence[bytes]) -> None:
        super().__init__()
        if not packets:
            raise ValueError("need at least one Opus packet")
        self.packets = tuple(packets)
        self.packets_sent = 0
        self.level = 0.1  # the clip's tone is -20 dBFS RMS (as SyntheticMicrophone.level reports)
        self._pacer = RealTimePacer(AUDIO_PTIME, max_lag=0.2)

    async def recv(self) -> av.Packet:
        slot = await self._pacer.live_slot(self)
        packet = av.Packet(self.packets[self.packets_sent % len(self.packets)])
        packet.pts = slot * OPUS_SAMPLES_PER_FRAME
        packet.dts = packet.pts
        packet.time_base = OPUS_TIME_BASE
        self.packets_sent += 1
        return packet
