"""Where the app reaches into aiortc (1.16.0) and aioice internals; kept to this one module.

- ``count_rtp``: the light receive path of ``parley-bot --light``. A load generator that only
  counts frames need not decrypt, reassemble or decode them: the RTP header (SSRC, marker bit)
  travels in the clear in SRTP, so each packet is counted where aioice hands it over, before
  the four coroutine layers and the queue it would otherwise pass through. DTLS and RTCP
  still take the normal path.
- ``repeat_nacks``: aiortc asks for a lost packet once; we ask again until it comes.
- ``route_keyframe_requests``: a sender of pre-encoded packets cannot "force" a keyframe
  (aiortc only does that for frames it encodes itself); this sends the request to the track.
- ``tap_audio_rtp``: an audio receiver's RTP goes to Parley's jitter buffer
  (``audio_receive``) instead of aiortc's, which loses about five frames per lost packet.
- ``encode_opus_with_fec``: aiortc's Opus encoder (CELT at 96 kbit/s) never puts in-band FEC in
  its packets; this gives an audio sender one that does.
- ``tap_video_rtp``: a video receiver's whole frames go to Parley's own path
  (``video_receive``: frames released only while their references are intact, decoded on a
  worker thread) instead of aiortc's jitter buffer and decoder, which show damaged pictures and
  wait behind holes for seconds. Its NACKs, REMB, receiver reports and RTX stay aiortc's.
- ``receive_estimate`` / ``send_estimate``: the bandwidth aiortc's receive-side estimator
  computes (what the REMB we send says) and the target the publishing encoder follows.
- ``packets_received``: RTP packets received on a connection so far (is media still coming?).
- ``vp8_encoder_threads``: how many threads aiortc's VP8 encoder gives a picture of a size, so
  an encoder of our own (the bot's pre-encoded clips) is set up the same way.
- ``encode_vp8_layer``: a video sender that sends a camera's small layer (media/layers.py)
  gets a VP8 encoder that scales each frame down itself (in aiortc's encoder thread, not on
  the event loop) and follows REMB down to a floor well under aiortc's own 250 kbit/s.
- ``set_sending``: turn a sender's encoding off and on (aiortc's ``_enabled``: its frames are
  still read, and dropped before they are encoded).
- ``observe_rtp``: see each RTP packet a receiver gets (decrypted) before aiortc handles it
  (``receive_counters``: keyframes and repeated packets per received video section).
- ``encoder_target_bitrate``: the bitrate a sender's encoder aims at now (REMB moves it).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import weakref
from collections.abc import Callable

import av
import av.video.reformatter
import numpy as np
from aiortc import RTCPeerConnection, clock
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder, number_of_threads
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket

from .renack import Renack

#: Each video receiver's repeat-NACK schedule, shared by ``repeat_nacks`` (which asks) and
#: ``tap_video_rtp``'s ``stop_nacking`` (which tells it what was given up, so that is not timed
#: as a repair).
_renacks: weakref.WeakKeyDictionary[RTCRtpReceiver, Renack] = weakref.WeakKeyDictionary()


def count_rtp(pc: RTCPeerConnection, on_packet: Callable[[RTCRtpReceiver, bool, int, int], None]) -> None:
    """From now on, RTP arriving on ``pc`` calls ``on_packet(receiver, marker, sequence_number,
    timestamp)`` instead of being decrypted and decoded (the header is in the clear). Call it
    once the remote description is set."""
    transceivers = pc.getTransceivers()
    if not transceivers:
        raise ValueError("count_rtp needs a connection with media sections")
    dtls = transceivers[0].receiver.transport  # BUNDLE: every section shares it
    connection = dtls.transport._connection
    ssrc_table = dtls._rtp_router.ssrc_table
    deliver = connection.data_received

    def data_received(data: bytes, component: int) -> None:
        # RTP: version 2 (first byte 128..191) and not an RTCP packet type (192..208).
        if len(data) >= 12 and 127 < data[0] < 192 and not 192 <= data[1] <= 208:
            receiver = ssrc_table.get(int.from_bytes(data[8:12], "big"))
            if receiver is not None:
                on_packet(receiver, data[1] >= 128, int.from_bytes(data[2:4], "big"),
                          int.from_bytes(data[4:8], "big"))
            return
        deliver(data, component)

    connection.data_received = data_received


async def repeat_nacks(pc: RTCPeerConnection, interval: float = 0.02) -> None:
    """Ask again for video packets still missing, until closed: each one a little over a repair
    time after it was last asked for (``renack.Renack``), looked at every ``interval`` seconds.

    aiortc's receiver sends a NACK once, when it first sees a gap; if the retransmission is
    lost too, the frame waits behind the hole until the receive path gives up on it. Repeating
    the request, as browsers do, repairs it."""
    loop = asyncio.get_running_loop()
    while pc.connectionState not in ("closed", "failed"):
        await asyncio.sleep(interval)
        now = loop.time()
        for transceiver in pc.getTransceivers():
            receiver = transceiver.receiver
            nacks = receiver._RTCRtpReceiver__nack_generator  # type: ignore[attr-defined]
            streams = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
            if nacks is None or not streams:
                continue
            schedule = _renacks.get(receiver)
            if schedule is None:
                if not nacks.missing:
                    continue
                schedule = _renacks[receiver] = Renack()
            again = schedule.due(nacks.missing, now)
            if again:
                media_ssrc = next(iter(streams))
                await receiver._send_rtcp_nack(media_ssrc, again)


def route_keyframe_requests(sender: RTCRtpSender, on_request: Callable[[], None]) -> None:
    """Picture loss reported for what ``sender`` sends calls ``on_request``."""
    sender._send_keyframe = on_request  # type: ignore[method-assign]


def tap_audio_rtp(receiver: RTCRtpReceiver, on_packet: Callable[[RtpPacket], None]) -> None:
    """From now on, Opus RTP arriving for ``receiver`` (an audio receiver) calls
    ``on_packet(packet)`` (decrypted and parsed) instead of entering aiortc's jitter buffer and
    decoder; receiver reports and ``getStats`` keep their counts. Call it before media flows.

    aiortc's audio buffer (16 packets, 4 prefetched) waits behind a lost packet until it
    overflows, then drops the four packets before the hole too: about five frames lost per lost
    packet, and the delay stays near 300 ms."""
    codecs = receiver._RTCRtpReceiver__codecs  # type: ignore[attr-defined] # filled by receive()
    streams = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    active = receiver._RTCRtpReceiver__active_ssrc  # type: ignore[attr-defined]

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        if not receiver._enabled:
            return
        codec = codecs.get(packet.payload_type)
        if codec is None or codec.mimeType.lower() != "audio/opus":
            return
        active[packet.ssrc] = clock.current_datetime()
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stats.add(packet)
        if packet.payload:
            on_packet(packet)

    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]


class _VideoTap:
    """Takes the place of an aiortc video receiver's jitter buffer: every parsed packet goes to
    ``on_packet`` and nothing is ever handed to aiortc's decoder."""

    capacity = 512

    def __init__(self, on_packet: Callable[[RtpPacket], None]) -> None:
        self._on_packet = on_packet
        self.ssrc: int | None = None
        self.sending: set[asyncio.Future] = set()  # PLIs on their way (kept until sent)

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        self.ssrc = packet.ssrc
        if packet.payload:
            self._on_packet(packet)
        return False, None


def tap_video_rtp(receiver: RTCRtpReceiver, on_packet: Callable[[RtpPacket], None]
                  ) -> tuple[Callable[[], None], Callable[[list[int]], None]]:
    """From now on, VP8 RTP arriving for ``receiver`` (a video receiver; RTX unwrapped, NACKed,
    counted in its stats and bandwidth estimate as before) calls ``on_packet(packet)`` instead
    of entering aiortc's jitter buffer and decoder. Returns ``(request_keyframe,
    stop_nacking)``: send a PLI for the stream; stop asking again for these 16-bit sequence
    numbers (given up). Call it before media flows."""
    tap = _VideoTap(on_packet)
    receiver._RTCRtpReceiver__jitter_buffer = tap  # type: ignore[attr-defined]

    def request_keyframe() -> None:
        if tap.ssrc is not None:
            sending = asyncio.ensure_future(receiver._send_rtcp_pli(tap.ssrc))
            tap.sending.add(sending)
            sending.add_done_callback(tap.sending.discard)

    def stop_nacking(seqs: list[int]) -> None:
        nacks = receiver._RTCRtpReceiver__nack_generator  # type: ignore[attr-defined]
        if nacks is not None:
            nacks.missing.difference_update(seqs)
        schedule = _renacks.get(receiver)
        if schedule is not None:
            schedule.given_up(seqs)

    return request_keyframe, stop_nacking


def receive_estimate(pc: RTCPeerConnection) -> int | None:
    """What aiortc's receive-side estimators (abs-send-time) make of the link to us, in bit/s:
    the sum of the REMB values its video receivers send (each estimates its own section, about
    1.08 times what that section carries when it is not limited). None before any has an
    estimate (e.g. the packets carry no abs-send-time)."""
    total = None
    for transceiver in pc.getTransceivers():
        estimator = getattr(transceiver.receiver, "_RTCRtpReceiver__remote_bitrate_estimator", None)
        control = getattr(estimator, "rate_control", None)
        if control is None or not getattr(control, "current_bitrate_initialized", False):
            continue
        total = (total or 0) + control.current_bitrate
    return total


def send_estimate(pc: RTCPeerConnection) -> int | None:
    """The bitrate my video encoder aims at now (what the server's REMB told it), bit/s; None
    while nothing is encoded."""
    for transceiver in pc.getTransceivers():
        if transceiver.kind != "video":
            continue
        encoder = getattr(transceiver.sender, "_RTCRtpSender__encoder", None)
        target = getattr(encoder, "target_bitrate", None)
        if isinstance(target, int):
            return target
    return None


def packets_received(pc: RTCPeerConnection) -> int:
    """RTP packets received on ``pc`` so far, every section together."""
    total = 0
    for transceiver in pc.getTransceivers():
        streams = getattr(transceiver.receiver, "_RTCRtpReceiver__remote_streams", {})
        total += sum(stream.packets_received for stream in streams.values())
    return total


class FecOpusEncoder(OpusEncoder):
    """aiortc's Opus encoder with in-band FEC on, tuned for ``packet_loss`` percent of loss.

    With FEC on, libopus codes in SILK or hybrid mode and adds to each packet of speech a
    low-bitrate copy of the one before (LBRR), which the receiver decodes when that one is lost.
    aiortc's own encoder runs CELT at 96 kbit/s, which has no FEC at all."""

    def __init__(self, packet_loss: int = 10) -> None:
        super().__init__()
        # libopus reads these when PyAV opens the codec, at the first frame.
        self.codec.options = {"application": "voip", "fec": "1", "packet_loss": str(packet_loss)}

    def encode(self, frame, force_keyframe: bool = False):
        """Mono is sent as two equal channels: aiortc's resampler would upmix it at -3 dB each
        (FFmpeg's centre mix level), so every voice would arrive 3 dB quieter than it was said."""
        if frame.layout.name == "mono" and frame.format.name == "s16":
            mono = frame.to_ndarray().reshape(-1)
            stereo = av.AudioFrame.from_ndarray(np.repeat(mono, 2).reshape(1, -1), format="s16", layout="stereo")
            stereo.sample_rate, stereo.pts, stereo.time_base = frame.sample_rate, frame.pts, frame.time_base
            frame = stereo
        return super().encode(frame, force_keyframe)


def encode_opus_with_fec(sender: RTCRtpSender, packet_loss: int = 10) -> None:
    """When ``sender`` (an audio sender) starts with Opus, it encodes with in-band FEC."""
    send = sender.send

    async def send_with_fec(parameters: RTCRtpSendParameters) -> None:
        codec = parameters.codecs[0] if parameters.codecs else None
        attribute = "_RTCRtpSender__encoder"
        if codec is not None and codec.mimeType.lower() == "audio/opus" and getattr(sender, attribute) is None:
            setattr(sender, attribute, FecOpusEncoder(packet_loss))  # used instead of get_encoder()
        await send(parameters)

    sender.send = send_with_fec  # type: ignore[method-assign]


class LayerVp8Encoder(Vp8Encoder):
    """aiortc's VP8 encoder for a small layer: each frame scaled to ``scale`` of its size
    (even sides), a target of ``bitrate`` to start, REMB followed between ``floor`` and
    ``ceiling`` (aiortc's own stops at 250 kbit/s, more than a 160x90 picture needs)."""

    def __init__(self, scale: float, bitrate: int, floor: int, ceiling: int) -> None:
        super().__init__()
        self.scale = scale
        self.floor, self.ceiling = floor, ceiling
        self.target_bitrate = bitrate
        # Its own scaler: the camera's frame is also scaled for the self-view on another thread,
        # and ``frame.reformat`` would share the frame's cached swscale context between the two
        # (two threads in one SwsContext hung the encoder for good).
        self._reformatter = av.video.reformatter.VideoReformatter()

    @property
    def target_bitrate(self) -> int:  # type: ignore[override]
        return self._Vp8Encoder__target_bitrate  # type: ignore[attr-defined]

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        self._Vp8Encoder__target_bitrate = max(self.floor, min(int(bitrate), self.ceiling))

    def encode(self, frame, force_keyframe: bool = False):
        width = max(2, int(frame.width * self.scale) & ~1)
        height = max(2, int(frame.height * self.scale) & ~1)
        if (frame.width, frame.height) != (width, height) or frame.format.name != "yuv420p":
            scaled = self._reformatter.reformat(frame, width=width, height=height, format="yuv420p", threads=1)
            scaled.pts, scaled.time_base = frame.pts, frame.time_base
            frame = scaled
        return super().encode(frame, force_keyframe)


def encode_vp8_layer(sender: RTCRtpSender, scale: float, bitrate: int, floor: int, ceiling: int) -> None:
    """When ``sender`` (a video sender) starts with VP8, it encodes with a LayerVp8Encoder."""
    send = sender.send

    async def send_layer(parameters: RTCRtpSendParameters) -> None:
        codec = parameters.codecs[0] if parameters.codecs else None
        attribute = "_RTCRtpSender__encoder"
        if codec is not None and codec.mimeType.lower() == "video/vp8" and getattr(sender, attribute) is None:
            setattr(sender, attribute, LayerVp8Encoder(scale, bitrate, floor, ceiling))
        await send(parameters)

    sender.send = send_layer  # type: ignore[method-assign]


def set_sending(sender: RTCRtpSender, on: bool) -> None:
    """Encode and send what ``sender``'s track yields (True), or read and drop it (False)."""
    sender._enabled = on


def vp8_encoder_threads(pixels: int) -> int:
    """The thread count aiortc's ``Vp8Encoder`` uses for pictures of ``pixels`` on this machine."""
    return number_of_threads(pixels, multiprocessing.cpu_count())


def observe_rtp(receiver: RTCRtpReceiver, on_packet: Callable[[RtpPacket], None]) -> None:
    """From now on, each RTP packet arriving for ``receiver`` (decrypted and parsed) is shown to
    ``on_packet(packet)`` first, then handled by aiortc as before. Call it before media flows."""
    handle = receiver._handle_rtp_packet

    async def observed(packet: RtpPacket, arrival_time_ms: int) -> None:
        on_packet(packet)
        await handle(packet, arrival_time_ms)

    receiver._handle_rtp_packet = observed  # type: ignore[method-assign]


def encoder_target_bitrate(sender: RTCRtpSender | None) -> int | None:
    """The bit rate (bit/s) the encoder of ``sender`` aims at now; None before it encodes its
    first frame (aiortc makes the encoder then), or for an encoder without a target."""
    encoder = getattr(sender, "_RTCRtpSender__encoder", None) if sender is not None else None
    target = getattr(encoder, "target_bitrate", None)
    return int(target) if isinstance(target, (int, float)) else None
