"""parley-bot: a headless participant over the same session layer as the desktop app.

It joins with synthetic devices, stays, leaves, and reports what it received. It is the load
generator of bench/ and the backbone of the end-to-end tests. It never imports Qt.

    parley-bot JOIN_URL [--name NAME] [--camera synthetic|none] [--mic synthetic|none]
               [--screen synthetic|none] [--share-file PATH] [--share-for SECONDS] [--say TEXT] [--raise-hand]
               [--duration SECONDS] [--light] [--muted] [--json]
               [--room echo[:DELAY_MS]|headphones] [--no-echo-cancellation] [--voice-seed N]

With ``--screen synthetic`` it also shares a synthetic screen (a scrolling document, 1920x1080
at 15 fps by default); refused because two others share, it tries again when one stops.

With ``--room`` it talks (synthetic speech, a voice of its own chosen by ``--voice-seed``) and
listens in a simulated room (desktop/media/synthetic/acoustic.py) through the app's own ``LocalMedia``, so
its microphone goes through the app's voice processing: ``echo`` is a laptop without headphones
(what its speaker plays comes back into its microphone DELAY_MS later, 80 by default, at -6 dB;
the talker an arm's length away), ``headphones`` a headset (no echo). ``--no-echo-cancellation``
turns echo cancellation off, as the app's setting does. The report then says, per participant,
how strongly the bot's own voice came back in what that participant sent (``own_voice_echo``:
the normalized cross-correlation of the spectrograms, 0..1, peak over lags of 0-1 s, median over
2 s windows after the first 3 s; about 0.1 is chance, 0.3 and more is hearing oneself:
media/synthetic/acoustic.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
import zlib
from dataclasses import dataclass, field

from wire import content_owner

from .session.timer import iso

from .media.synthetic.stamp import read_stamp
from .session.events import (
    AudioFrameReceived,
    CameraRefused,
    ChatReceived,
    Reconnected,
    Reconnecting,
    ScreenShareRefused,
    ScreenShareStopped,
    ShareAvailabilityChanged,
    TimerChanged,
    VideoFrameReceived,
    VolumesUpdated,
)
from .session.meeting_session import JoinFailed, MeetingSession


@dataclass
class BotOptions:
    join_url: str
    name: str | None = None
    camera: str = "synthetic"
    mic: str = "synthetic"
    duration: float = 10.0
    light: bool = False
    muted: bool = False
    width: int = 640
    height: int = 360
    fps: int = 30
    screen: str = "none"
    screen_width: int = 1920
    screen_height: int = 1080
    screen_fps: int = 15
    share_for: float | None = None  # stop sharing after this many seconds (None: until leaving)
    say: str | None = None  # a chat message to everyone, sent once in
    share_file: str | None = None  # a video file to share as content
    raise_hand: bool = False
    #: talk and listen in a simulated room through the app's voice processing: "echo",
    #: "echo:DELAY_MS" (a laptop without headphones) or "headphones"; None: a plain tone
    room: str | None = None
    echo_cancellation: bool = True
    voice_seed: int | None = None  # which synthetic voice (None: one derived from the name)


def parse_room(room: str) -> tuple[str, float | None]:
    """``"echo"``, ``"echo:120"`` or ``"headphones"`` -> (kind, echo delay in ms or None)."""
    kind, _, delay = room.partition(":")
    if kind == "headphones" and not delay:
        return kind, None
    if kind == "echo":
        try:
            delay_ms = float(delay) if delay else 80.0
        except ValueError:
            raise ValueError(f"not an echo delay in ms: {delay!r}") from None
        if not 0 <= delay_ms <= 500:
            raise ValueError(f"echo delay out of range (0-500 ms): {delay_ms:g}")
        return kind, delay_ms
    raise ValueError(f"not a room: {room!r} (echo, echo:DELAY_MS or headphones)")


@dataclass
class BotReport:
    """What the bot saw; ``to_json`` is the documented ``--json`` output."""

    attendee_id: str | None = None
    joined_ms: float | None = None
    camera: str = "off"  # the camera's state when the bot left: "on" or "off"
    camera_refused: bool = False  # the server refused the camera at some point (16 were on)
    first_frame_ms: dict[str, float] = field(default_factory=dict)
    frames_received: dict[str, int] = field(default_factory=dict)
    audio_frames_received: dict[str, int] = field(default_factory=dict)
    latency_samples: list[float] = field(default_factory=list)
    roster: list[dict] = field(default_factory=list)
    volumes: dict[str, dict] = field(default_factory=dict)
    screen_share: str | None = None  # "published", or the refusal code; None: not asked to share
    screen_share_refused: bool = False  # refused at some point (two others were sharing)
    screen_share_ended: str | None = None  # why our share ended, if it did before we left
    content_frames_received: dict[str, int] = field(default_factory=dict)
    timer_ends_at: list[str | None] = field(default_factory=list)  # each timer_ends_at it was told
    reconnects: int = 0  # how many times it came back after its connection dropped
    #: per comeback: ms from noticing the drop to media flowing again (the first frame received
    #: after rejoining; or rejoining itself when nobody else sends anything)
    reconnect_ms: list[float] = field(default_factory=list)
    #: every chat message it could read (history included): sender, text, private or not
    chat_received: list[dict] = field(default_factory=list)
    #: the names with a hand up when it left, in the order the hands went up
    hands_raised: list[str] = field(default_factory=list)
    #: with --room: the room and the voice processing ({"room", "delay_ms", "echo_cancellation",
    #: "noise_suppression", "voice_seed", "processed_blocks", "far_blocks_dropped"})
    voice: dict | None = None
    #: with --room, per participant: how strongly our own voice came back in what they sent
    #: (media/synthetic/acoustic.py ``voice_correlation``: 0..1, median over 2 s windows after the first
    #: 3 s; ~0.1 is chance; high = we heard ourselves: their echo cancellation let us through)
    own_voice_echo: dict[str, float] = field(default_factory=dict)
    #: ... and its details: {"value", "peak" (the best window), "lag_ms", "seconds", "windows"}
    own_voice_echo_detail: dict[str, dict] = field(default_factory=dict)
    end_reason: str | None = None
    error: dict | None = None

    def latency_ms(self) -> dict | None:
        if not self.latency_samples:
            return None
        ordered = sorted(self.latency_samples)

        def pick(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

        return {"p50": pick(0.5), "p95": pick(0.95), "samples": len(ordered)}

    def to_json(self) -> dict:
        out = {
            "attendee_id": self.attendee_id,
            "joined_ms": self.joined_ms,
            "camera": self.camera,
            "camera_refused": self.camera_refused,
            "first_frame_ms": self.first_frame_ms,
            "frames_received": self.frames_received,
            "audio_frames_received": self.audio_frames_received,
            "latency_ms": self.latency_ms(),
            "roster": self.roster,
            "volumes": self.volumes,
            "screen_share": self.screen_share,
            "screen_share_refused": self.screen_share_refused,
            "screen_share_ended": self.screen_share_ended,
            "content_frames_received": self.content_frames_received,
            "timer_ends_at": self.timer_ends_at,
            "reconnects": self.reconnects,
            "reconnect_ms": self.reconnect_ms,
            "chat_received": self.chat_received,
            "hands_raised": self.hands_raised,
            "voice": self.voice,
            "own_voice_echo": self.own_voice_echo,
            "own_voice_echo_detail": self.own_voice_echo_detail,
            "end_reason": self.end_reason,
        }
        if self.error is not None:
            out["error"] = self.error
        return out


def make_devices(options: BotOptions):
    """The bot's microphone and camera: live synthetic devices, or pre-encoded replay.
    (With a room, the microphone is the room's: see ``make_room``.)"""
    camera = microphone = None
    if options.light:
        from .media.synthetic.replay import ReplayAudioTrack, ReplayVideoTrack, encode_audio_clip, encode_video_clip

        if options.camera == "synthetic":
            camera = ReplayVideoTrack(encode_video_clip(options.width, options.height, options.fps))
        if options.mic == "synthetic":
            microphone = ReplayAudioTrack(encode_audio_clip())
    else:
        from .media.synthetic.capture import SyntheticCamera, SyntheticMicrophone

        if options.camera == "synthetic":
            camera = SyntheticCamera(options.width, options.height, options.fps)
        if options.mic == "synthetic" and options.room is None:
            microphone = SyntheticMicrophone()
    return microphone, camera


def make_room(options: BotOptions):
    """A simulated room and the app's ``LocalMedia`` over it (nothing opened yet): the
    microphone then runs through ``LocalMedia.voice``, the speaker feeds its far end."""
    from .media.synthetic.acoustic import AcousticBackend, Room
    from .media.devices import DeviceManager
    from .media.local_media import LocalMedia
    from .media.voice import VoiceProcessor

    kind, delay_ms = parse_room(options.room or "")
    if options.light:
        raise ValueError("a room needs decoded audio: not with light")
    seed = options.voice_seed
    if seed is None:
        seed = zlib.crc32((options.name or options.join_url).encode())
    room = Room.laptop(seed, delay_ms) if kind == "echo" else Room.headset(seed)
    voice = VoiceProcessor(echo_cancellation=options.echo_cancellation)
    media = LocalMedia(DeviceManager([AcousticBackend(room)]), voice=voice)
    return room, media


class Bot:
    def __init__(self, options: BotOptions) -> None:
        self.options = options
        self.report = BotReport()
        microphone, camera = make_devices(options)
        self.room = self.media = None
        #: with a room: what each participant sent us, kept for the echo measurement
        self.heard: dict[str, object] | None = None
        if options.room is not None:
            self.room, self.media = make_room(options)
            self.heard = {}
            if options.mic != "none":
                microphone = self.media.microphone_track
        media = self.media
        self.session = MeetingSession(
            options.join_url,
            name=options.name,
            microphone=microphone,
            camera=camera,
            muted=options.muted,
            decode_video=not options.light,
            volume_source=(lambda: media.mic_level) if media is not None else
            (lambda: getattr(microphone, "level", 0.0) if microphone is not None else 0.0),
        )
        self._t0 = 0.0
        self.session.on(VideoFrameReceived, self._on_video)
        self.session.on(AudioFrameReceived, self._on_audio)
        self.session.on(CameraRefused, self._on_camera_refused)
        self.session.on(VolumesUpdated, self._on_volumes)
        self.session.on(ScreenShareRefused, self._on_share_refused)
        self.session.on(ScreenShareStopped, self._on_share_stopped)
        self.session.on(ShareAvailabilityChanged, self._on_share_available)
        self.session.on(TimerChanged, lambda e: self.report.timer_ends_at.append(iso(e.ends_at)))
        self.session.on(Reconnecting, self._on_reconnecting)
        self.session.on(ChatReceived, self._on_chat)
        self.session.on(Reconnected, self._on_reconnected)
        self._dropped_at: float | None = None  # a drop whose media has not flowed again yet
        self._rejoined = False
        self._sharing_task: asyncio.Task | None = None

    def _elapsed_ms(self) -> float:
        return round((time.monotonic() - self._t0) * 1000.0, 1)

    def _on_chat(self, event: ChatReceived) -> None:
        m = event.message
        if m.from_id != self.report.attendee_id:
            self.report.chat_received.append({"from": m.from_name, "text": m.text, "private": m.to is not None})

    def _on_reconnecting(self, event: Reconnecting) -> None:
        self._dropped_at = time.monotonic()
        self._rejoined = False

    def _on_reconnected(self, event: Reconnected) -> None:
        self.report.reconnects = self.session.reconnects
        self._rejoined = True
        if not any(a.video or not a.muted for a in self.session.attendees.values() if not a.content):
            self._media_back()  # nobody sends anything: being back in is all there is

    def _media_back(self) -> None:
        if self._dropped_at is not None and self._rejoined:
            self.report.reconnect_ms.append(round((time.monotonic() - self._dropped_at) * 1000.0, 1))
            self._dropped_at = None

    def _on_video(self, event: VideoFrameReceived) -> None:
        self._media_back()
        if content_owner(event.attendee_id) is not None:
            content = self.report.content_frames_received
            if event.attendee_id not in content:
                self.report.first_frame_ms[event.attendee_id] = self._elapsed_ms()
            content[event.attendee_id] = content.get(event.attendee_id, 0) + 1
            return
        frames = self.report.frames_received
        if event.attendee_id not in frames:
            self.report.first_frame_ms[event.attendee_id] = self._elapsed_ms()
        frames[event.attendee_id] = frames.get(event.attendee_id, 0) + 1
        if event.decoded:
            stamp = read_stamp(event.frame)
            if stamp is not None and stamp.captured_ms > 0:
                self.report.latency_samples.append(time.time() * 1000.0 - stamp.captured_ms)

    def _on_camera_refused(self, event: CameraRefused) -> None:
        self.report.camera_refused = True
        self.report.camera = "video_unavailable"

    def _on_volumes(self, event: VolumesUpdated) -> None:
        for info in event.updates:
            self.report.volumes[info.attendee_id] = {
                "volume": info.volume, "muted": info.muted, "signal_strength": info.signal_strength,
            }

    # --- screen share ---------------------------------------------------------------------

    def _screen(self):
        from .media.synthetic.capture import SyntheticScreen

        o = self.options
        return SyntheticScreen(o.screen_width, o.screen_height, o.screen_fps)

    async def _share(self) -> None:
        if self.options.share_file:
            self.report.screen_share = await self.session.share_file(self.options.share_file)
        else:
            self.report.screen_share = await self.session.share_screen(self._screen())
        if self.report.screen_share == "published" and self.options.share_for is not None:
            await asyncio.sleep(self.options.share_for)
            await self.session.stop_screen_share()

    def _start_share(self) -> None:
        if self._sharing_task is None or self._sharing_task.done():
            self._sharing_task = asyncio.ensure_future(self._share())

    def _on_share_refused(self, event: ScreenShareRefused) -> None:
        self.report.screen_share_refused = True

    def _on_share_stopped(self, event: ScreenShareStopped) -> None:
        if not self.session.ended.is_set():
            self.report.screen_share_ended = event.reason

    def _on_share_available(self, event: ShareAvailabilityChanged) -> None:
        # refused earlier: try again now that a share ended, as a person would
        if event.available and self.report.screen_share not in (None, "published"):
            self._start_share()

    def _on_audio(self, event: AudioFrameReceived) -> None:
        self._media_back()
        counts = self.report.audio_frames_received
        counts[event.attendee_id] = counts.get(event.attendee_id, 0) + 1
        if self.heard is not None and event.frame is not None:
            heard = self.heard.get(event.attendee_id)
            if heard is None:
                from .media.synthetic.received import ReceivedAudio

                heard = self.heard[event.attendee_id] = ReceivedAudio()
            heard.add(event.frame, time.monotonic())

    # --- the room -------------------------------------------------------------------------

    def _open_room(self) -> None:
        from .media.synthetic.acoustic import AcousticBackend

        self.media.select_speaker(AcousticBackend.SPEAKER)
        self.session.use_speaker(self.media.speaker)
        if self.options.mic != "none":
            self.media.select_microphone(AcousticBackend.MICROPHONE)

    def _report_voice(self) -> None:
        """What the room and its voice processing did, and our own voice in what others sent."""
        from .media.synthetic.received import voice_correlation

        room, voice = self.room, self.media.voice
        kind, delay_ms = parse_room(self.options.room)
        self.report.voice = {
            "room": kind, "delay_ms": delay_ms, "echo_cancellation": voice.echo_cancellation,
            "noise_suppression": voice.noise_suppression, "voice_seed": room.talker.seed,
            "processed_blocks": voice.frames_processed, "far_blocks_dropped": voice.far_blocks_dropped,
        }
        if self.options.mic == "none":
            return
        for attendee_id, heard in self.heard.items():
            found = voice_correlation(room.said, room.origin, heard)
            self.report.own_voice_echo[attendee_id] = round(found.value, 3)
            self.report.own_voice_echo_detail[attendee_id] = found.to_json()

    async def run(self, stop: asyncio.Event | None = None) -> BotReport:
        self._t0 = time.monotonic()
        if self.media is not None:
            self._open_room()
        try:
            joined = await self.session.join()
        except JoinFailed as exc:
            self.report.error = {"code": exc.reason, "message": exc.message}
            self.report.end_reason = "refused" if exc.reason != "connection_failed" else exc.reason
            if self.media is not None:
                await self.media.aclose()
            return self.report
        self.report.joined_ms = self._elapsed_ms()
        self.report.attendee_id = joined.attendee.attendee_id
        if self.session.camera_on:
            self.report.camera = "on"
        if self.options.screen == "synthetic" or self.options.share_file:
            self._start_share()
        if self.options.raise_hand:
            await self.session.raise_hand(True)
        if self.options.say:
            await self.session.send_chat(self.options.say)
        waits = [asyncio.ensure_future(self.session.ended.wait())]
        if stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        await asyncio.wait(waits, timeout=self.options.duration, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
        if self._sharing_task is not None:
            self._sharing_task.cancel()
        self.report.camera = "on" if self.session.camera_on else "off"
        self.report.hands_raised = [a.name for a in self.session.hands()]
        self.report.roster = [
            {"attendee_id": a.attendee_id, "name": a.name, "muted": a.muted, "video": a.video}
            for a in self.session.attendees.values()
        ]
        if not self.session.ended.is_set():
            await self.session.leave()
        self.report.end_reason = self.session.end_reason
        if self.media is not None:
            await self.media.aclose()
            self._report_voice()
        return self.report


def parse_args(argv: list[str] | None) -> tuple[BotOptions, bool]:
    parser = argparse.ArgumentParser(prog="parley-bot", description="A headless Parley participant.")
    parser.add_argument("join_url", help="parley://HOST:PORT/m/MEETING_ID?token=TOKEN")
    parser.add_argument("--name")
    parser.add_argument("--camera", choices=["synthetic", "none"], default="synthetic")
    parser.add_argument("--mic", choices=["synthetic", "none"], default="synthetic")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to stay (default 10)")
    parser.add_argument("--muted", action="store_true", help="join with the microphone muted")
    parser.add_argument("--light", action="store_true",
                        help="publish pre-encoded video and count frames without decoding")
    parser.add_argument("--size", default="640x360", help="camera size WxH (default 640x360)")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--screen", choices=["synthetic", "none"], default="none",
                        help="share a synthetic screen (a scrolling document)")
    parser.add_argument("--screen-size", default="1920x1080", help="shared screen size WxH")
    parser.add_argument("--screen-fps", type=int, default=15)
    parser.add_argument("--share-for", type=float, help="stop sharing after this many seconds")
    parser.add_argument("--say", help="send this chat message to everyone once in")
    parser.add_argument("--share-file", metavar="PATH", help="share a video file (picture and sound) as content")
    parser.add_argument("--raise-hand", action="store_true", help="raise the hand once in")
    parser.add_argument("--room", metavar="echo[:DELAY_MS]|headphones",
                        help="talk (synthetic speech) and listen in a simulated room, through the "
                             "app's voice processing: echo = a laptop without headphones (its "
                             "speaker comes back into its microphone DELAY_MS later, default 80, "
                             "at -6 dB); headphones = no echo")
    parser.add_argument("--no-echo-cancellation", dest="echo_cancellation", action="store_false",
                        help="with --room: turn echo cancellation off")
    parser.add_argument("--voice-seed", type=int, help="with --room: which synthetic voice")
    parser.add_argument("--json", action="store_true", help="print one JSON report on stdout")
    args = parser.parse_args(argv)
    if args.room is not None:
        try:
            parse_room(args.room)
        except ValueError as exc:
            parser.error(f"--room: {exc}")
        if args.light:
            parser.error("--room needs decoded audio: not with --light")
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
        screen_width, screen_height = (int(v) for v in args.screen_size.lower().split("x"))
    except ValueError:
        parser.error("--size and --screen-size take WIDTHxHEIGHT, e.g. 640x360")
    return BotOptions(args.join_url, args.name, args.camera, args.mic, args.duration, args.light,
                      args.muted, width, height, args.fps, args.screen, screen_width, screen_height,
                      args.screen_fps, args.share_for, args.say, args.share_file, args.raise_hand,
                      args.room, args.echo_cancellation, args.voice_seed), args.json


async def _main(options: BotOptions) -> BotReport:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    return await Bot(options).run(stop)


def main(argv: list[str] | None = None) -> int:
    try:
        options, as_json = parse_args(argv)
        report = asyncio.run(_main(options))
    except ValueError as exc:  # a bad join link
        print(f"parley-bot: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(report.to_json()), flush=True)
    else:
        print(f"attendee {report.attendee_id}: end_reason={report.end_reason} "
              f"video frames={report.frames_received} audio frames={report.audio_frames_received}")
    if report.error is not None:
        print(f"parley-bot: {report.error['code']}: {report.error['message']}", file=sys.stderr)
        return 1
    return 0 if report.end_reason in ("left", "deleted") else 1


if __name__ == "__main__":
    sys.exit(main())
