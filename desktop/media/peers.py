"""The app's two peer connections to the server: one it publishes on, one it receives on.

No Qt, no signalling: these classes turn tracks into SDP and SDP into received tracks; the
session moves the SDP over the WebSocket.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from rtcseam.arrival import ArrivalCount, use_kernel_arrival_times
from rtcseam.ice import gathering
from rtcseam.peer import close_bounded
from rtcseam.relay import Relay
from rtcseam.sender_reports import watch_sender_reports

from . import seam
from .audio_receive import AudioReceiveTrack
from .layers import LOW_BITRATE, LOW_CEILING, LOW_FLOOR, LOW_SCALE, CameraLayers
from .lipsync import LipSync, StreamClock
from .video_receive import VideoReceiveTrack
from .voice_count import VoicePacketCount
from .receive_counters import VideoReceiveCounter

logger = logging.getLogger(__name__)


#: VP8 (cheap to encode, see DESIGN.md) with RTX, which NACK repair needs; Opus for audio.
PREFERRED_MIME = {"audio": ("audio/opus",), "video": ("video/VP8", "video/rtx")}

#: The loss rate the Opus encoder prepares its in-band FEC for (percent).
OPUS_FEC_LOSS = 10


def _configuration() -> RTCConfiguration:
    # Never a STUN server: aiortc would add a public one by default. TURN relays are gathered
    # through rtcseam.ice (all of them; aiortc would use only the first).
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


def _prefer_codecs(transceiver) -> None:
    caps = RTCRtpSender.getCapabilities(transceiver.kind)
    wanted = PREFERRED_MIME[transceiver.kind]
    transceiver.setCodecPreferences([c for c in caps.codecs if c.mimeType in wanted])


class PublishConnection:
    """Sends this participant's microphone and camera to the server.

    Its sections are negotiated once (``audio``/``video``), with or without a device behind
    them; devices are attached, swapped and detached later without a new negotiation. With
    ``layers`` the camera goes out twice, as two video sections in this order: the whole
    picture, and a small one (media/layers.py), of which the server asks for those anyone takes
    (``use_layers``). A camera of pre-encoded packets (it answers ``request_keyframe``) has one
    layer, or two when it carries its small layer pre-encoded too (``low_layer``)."""

    def __init__(self, microphone: MediaStreamTrack | None, camera: MediaStreamTrack | None,
                 audio: bool = True, video: bool = True,
                 ice_addresses: tuple[str, ...] | None = None, relays: tuple[Relay, ...] = (),
                 layers: bool = False) -> None:
        self.pc = RTCPeerConnection(_configuration())
        self._ice_addresses = ice_addresses  # None: aioice's choice (media/ice.py)
        self._relays = relays  # TURN servers to gather relayed candidates from
        self.microphone = microphone
        self.camera = camera
        self._video_sender: RTCRtpSender | None = None
        self._low_sender: RTCRtpSender | None = None
        self._layers: CameraLayers | None = None
        self._low_replay: MediaStreamTrack | None = None  # a pre-encoded camera's small layer
        self._audio_sender: RTCRtpSender | None = None
        if audio:
            transceiver = self.pc.addTransceiver(microphone or "audio", direction="sendonly")
            _prefer_codecs(transceiver)
            seam.encode_opus_with_fec(transceiver.sender, OPUS_FEC_LOSS)
            self._audio_sender = transceiver.sender
        if video:
            request = getattr(camera, "request_keyframe", None)
            layered = layers and request is None
            transceiver = self.pc.addTransceiver("video" if layered else camera or "video", direction="sendonly")
            _prefer_codecs(transceiver)
            self._video_sender = transceiver.sender
            if request is not None:  # pre-encoded video answers picture loss itself
                seam.route_keyframe_requests(transceiver.sender, request)
            low_replay = getattr(camera, "low_layer", None) if request is not None and layers else None
            if low_replay is not None:  # pre-encoded, with its small layer pre-encoded too
                low = self.pc.addTransceiver(low_replay, direction="sendonly")
                _prefer_codecs(low)
                seam.route_keyframe_requests(low.sender, low_replay.request_keyframe)
                self._low_sender, self._low_replay = low.sender, low_replay
            if layered:
                low = self.pc.addTransceiver("video", direction="sendonly")
                _prefer_codecs(low)
                seam.encode_vp8_layer(low.sender, LOW_SCALE, LOW_BITRATE, LOW_FLOOR, LOW_CEILING)
                self._low_sender = low.sender

    async def offer(self) -> str:
        offer = await self.pc.createOffer()
        with gathering(self._ice_addresses, relays=self._relays):
            await self.pc.setLocalDescription(offer)
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))

    def send_camera(self, on: bool) -> None:
        """Start or stop sending camera frames (the sections stay negotiated)."""
        if self._video_sender is None:
            return
        if self._low_sender is None or self._low_replay is not None:
            self._video_sender.replaceTrack(self.camera if on else None)
            if self._low_sender is not None:
                self._low_sender.replaceTrack(self._low_replay if on else None)
            return
        if self._layers is not None and (not on or self._layers.camera is not self.camera):
            self._layers.stop()
            self._layers = None
        if on and self.camera is not None and self._layers is None:
            self._layers = CameraLayers(self.camera)
        self._video_sender.replaceTrack(self._layers.high if self._layers else None)
        self._low_sender.replaceTrack(self._layers.low if self._layers else None)

    @property
    def layered(self) -> bool:
        """The camera goes out as two layers."""
        return self._low_sender is not None

    def use_layers(self, layers: set[str]) -> None:
        """Encode only these layers (``high``, ``low``): the others nobody receives."""
        if self._low_sender is not None and self._video_sender is not None:
            seam.set_sending(self._video_sender, "high" in layers)
            seam.set_sending(self._low_sender, "low" in layers)

    def use_microphone(self, track: MediaStreamTrack | None) -> None:
        self.microphone = track
        if self._audio_sender is not None:
            self._audio_sender.replaceTrack(track)

    def send_microphone(self, on: bool) -> None:
        """Muted: stop sending audio (Opus frames are not even encoded)."""
        if self._audio_sender is not None:
            self._audio_sender._enabled = on

    @property
    def video_target_bitrate(self) -> int | None:
        """What the camera's encoder aims at now (bit/s); None before its first frame."""
        return seam.encoder_target_bitrate(self._video_sender)

    async def close(self) -> None:
        await close_bounded(self.pc, "publish connection")


class ReceiveConnection:
    """Receives other participants' media; the server offers, we answer.

    ``on_track(mid, track)`` is called for each new media section's track; which attendee
    a mid carries is told separately (``tracks`` of the offer, or ``tracks_updated``).
    With ``on_counted`` given, media is counted instead of decoded (the light path):
    ``on_counted(mid, kind)`` once per audio packet and once per complete video frame; each
    audio section's packets are counted in ``voice_counts`` (``voice_count.VoicePacketCount``).

    Audio sections are received by Parley's own path (``audio_receive.AudioReceiveTrack``:
    adaptive jitter buffer, Opus FEC and concealment) rather than aiortc's, unless
    ``audio_jitter_buffer`` is False; video sections likewise (``video_receive.VideoReceiveTrack``:
    never a damaged picture, bounded delay, decoding off the loop) unless ``video_path`` is False.
    On the decoded path each video section's packets are also counted as they arrive
    (``video_counters``: repeats, keyframes), and aiortc's bandwidth estimators (the REMB we
    send, which the server reads as our downlink) get each packet's kernel receive time
    (``rtcseam.arrival``: a late event loop is not a queue on the link); ``arrivals`` counts
    the packets that had one and those that had only the loop's time.

    On the decoded path each person's voice and video are played in step (``lipsync``): each
    section's sender reports are read (``sender_clocks``), and ``sync_people`` (told which
    attendee each section carries) keeps one ``LipSync`` per person with both (``lipsync``).
    """

    def __init__(self, on_track: Callable[[str, MediaStreamTrack], None],
                 on_counted: Callable[[str, str], None] | None = None,
                 audio_jitter_buffer: bool = True,
                 ice_addresses: tuple[str, ...] | None = None, relays: tuple[Relay, ...] = (),
                 video_path: bool = True) -> None:
        self.pc = RTCPeerConnection(_configuration())
        self._ice_addresses = ice_addresses  # None: aioice's choice (media/ice.py)
        self._relays = relays  # TURN servers to gather relayed candidates from
        self._on_track = on_track
        self._on_counted = on_counted
        self._audio_jitter_buffer = audio_jitter_buffer
        self.audio_tracks: dict[str, AudioReceiveTrack] = {}  # mid -> our track for that section
        self.video_tracks: dict[str, VideoReceiveTrack] = {}  # mid -> our track for that section
        self._video_path = video_path
        #: mid -> packets, repeats and keyframes of that video section (decoded path only)
        self.video_counters: dict[str, VideoReceiveCounter] = {}
        self._counting = False
        self._packets_counted = 0  # the light path's packets (they never reach aiortc's receivers)
        #: the light path: mid -> that audio section's packets, late ones and sequence numbers
        self.voice_counts: dict[str, VoicePacketCount] = {}
        self._mids: dict[object, tuple[str, str]] = {}
        self._lock = asyncio.Lock()
        self._renack: asyncio.Task | None = None
        self.arrivals: ArrivalCount | None = None  # decoded path: which arrival times were used
        self.sender_clocks: dict[str, StreamClock] = {}  # mid -> its latest sender report
        self.lipsync: dict[str, LipSync] = {}  # attendee id -> their voice and video in step
        self._lipsync_mids: dict[str, tuple[str, str]] = {}  # attendee id -> (audio, video mid)
        self._carriers: dict[str, str] = {}  # mid -> attendee id (``sync_people``)
        #: PARLEY_LIP_SYNC=off: lip sync measures only (a bench's "before")
        self._lip_sync_steers = os.environ.get("PARLEY_LIP_SYNC", "on") != "off"
        self.pc.on("track", self._track_event)
        self.pc.on("connectionstatechange", self._connection_state)

    def _connection_state(self) -> None:
        # aiortc ends its own tracks when the transport goes; ours end with the connection.
        if self.pc.connectionState in ("closed", "failed"):
            for track in (*self.audio_tracks.values(), *self.video_tracks.values()):
                track.stop()

    def _count(self, receiver, marker: bool, sequence_number: int, timestamp: int) -> None:
        self._packets_counted += 1
        section = self._mids.get(receiver)
        if section is None:
            self._mids = {t.receiver: (t.mid, t.kind) for t in self.pc.getTransceivers()}
            section = self._mids.get(receiver)
            if section is None:
                return
        mid, kind = section
        if kind == "audio":
            count = self.voice_counts.get(mid)
            if count is None:
                count = self.voice_counts[mid] = VoicePacketCount()
            count.on_packet(sequence_number, timestamp, time.monotonic())
        if kind == "audio" or marker:  # a video frame ends with the marker bit
            self._on_counted(mid, kind)

    def _track_event(self, track: MediaStreamTrack) -> None:
        for transceiver in self.pc.getTransceivers():
            if transceiver.receiver.track is track:
                if track.kind == "audio" and self._audio_jitter_buffer and self._on_counted is None:
                    try:
                        audio = AudioReceiveTrack()
                    except OSError as exc:  # no libopus to be found: aiortc's path still works
                        logger.warning("audio receive path unavailable, using aiortc's: %s", exc)
                        self._audio_jitter_buffer = False
                    else:
                        seam.tap_audio_rtp(transceiver.receiver, audio.push_packet)
                        self.audio_tracks[transceiver.mid] = audio
                        self._watch_reports(transceiver, 48000)
                        track = audio
                if track.kind == "video" and self._on_counted is None:
                    counter = self.video_counters[transceiver.mid] = VideoReceiveCounter()
                    seam.observe_rtp(transceiver.receiver, counter.on_packet)
                    if self._video_path:
                        video = VideoReceiveTrack()
                        request, forget = seam.tap_video_rtp(transceiver.receiver, video.push_packet)
                        video.request_keyframe_with(request)
                        video.stop_nacking_with(forget)
                        self.video_tracks[transceiver.mid] = video
                        self._watch_reports(transceiver, 90000)
                        track = video
                self.sync_people(self._carriers)
                self._on_track(transceiver.mid, track)
                return

    def _watch_reports(self, transceiver, clock_rate: int) -> None:
        clock = self.sender_clocks[transceiver.mid] = StreamClock(clock_rate)
        watch_sender_reports(transceiver.receiver, clock.on_report)

    def sync_people(self, carriers: dict[str, str]) -> None:
        """``carriers``: which attendee each section (mid) carries now. Each person with a
        voice and a video section received here gets a ``LipSync`` of those two; one whose
        sections changed gets a new one (the old one lets go of its delays)."""
        self._carriers = dict(carriers)
        pairs: dict[str, list[str | None]] = {}
        for mid, who in carriers.items():
            slot = 0 if mid in self.audio_tracks else 1 if mid in self.video_tracks else None
            if slot is not None and mid in self.sender_clocks:
                pairs.setdefault(who, [None, None])[slot] = mid
        wanted = {who: (a, v) for who, (a, v) in pairs.items() if a is not None and v is not None}
        for who in list(self.lipsync):
            if self._lipsync_mids.get(who) != wanted.get(who):
                self._unpair(who)
        for who, (audio_mid, video_mid) in wanted.items():
            if who not in self.lipsync:
                self._pair(who, audio_mid, video_mid)

    def _pair(self, who: str, audio_mid: str, video_mid: str) -> None:
        audio, video = self.audio_tracks[audio_mid], self.video_tracks[video_mid]
        for mid in (audio_mid, video_mid):  # a section moved here from someone else
            for other, mids in list(self._lipsync_mids.items()):
                if mid in mids:
                    self._unpair(other)

        def hold_voice(seconds: float) -> None:
            audio.buffer.extra_delay = seconds

        def hold_video(seconds: float) -> None:
            video.playout.extra = seconds

        sync = LipSync(self.sender_clocks[audio_mid], self.sender_clocks[video_mid], hold_voice, hold_video,
                       steer=self._lip_sync_steers)
        audio.on_played, video.on_shown = sync.audio_played, sync.video_shown
        self.lipsync[who], self._lipsync_mids[who] = sync, (audio_mid, video_mid)

    def _unpair(self, who: str) -> None:
        sync = self.lipsync.pop(who)
        audio_mid, video_mid = self._lipsync_mids.pop(who)
        sync.release()
        self.audio_tracks[audio_mid].on_played = None
        self.video_tracks[video_mid].on_shown = None

    async def answer(self, offer_sdp: str) -> str:
        async with self._lock:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            if self._on_counted is None:
                self.arrivals = use_kernel_arrival_times(self.pc)
            if self._on_counted is not None and not self._counting:
                seam.count_rtp(self.pc, self._count)
                self._counting = True
            if self._on_counted is None and self._renack is None:
                self._renack = asyncio.ensure_future(seam.repeat_nacks(self.pc))
            for transceiver in self.pc.getTransceivers():
                if transceiver.kind in PREFERRED_MIME and transceiver.currentDirection is None:
                    _prefer_codecs(transceiver)
            answer = await self.pc.createAnswer()
            with gathering(self._ice_addresses, relays=self._relays,
                           kernel_arrival_times=self._on_counted is None):
                await self.pc.setLocalDescription(answer)
            return self.pc.localDescription.sdp

    def packets_received(self) -> int:
        """RTP packets received so far, every section together (is media still coming?)."""
        return seam.packets_received(self.pc) + self._packets_counted

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected"

    async def close(self) -> None:
        if self._renack is not None:
            self._renack.cancel()
        for track in (*self.audio_tracks.values(), *self.video_tracks.values()):
            track.stop()
        await close_bounded(self.pc, "receive connection")
