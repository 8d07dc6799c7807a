"""``Bot``: one headless participant over ``MeetingSession``, from join to leave, watching the
session's events and filling in its ``BotReport``."""

from __future__ import annotations

import asyncio
import copy
import time

from wire import content_owner

from ..media.synthetic.stamp import read_stamp
from ..session.events import (
    AttendeeLeft,
    AttendeeUpdated,
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
from ..session.meeting_session import JoinFailed, MeetingSession
from ..session.timer import iso
from ..signalling.tls import MemoryTrustStore
from .devices import make_devices, make_room
from .options import BotOptions, parse_room
from .report import BotReport
from .tiles import BotTiles
from .watch import MediaWatch

__all__ = ["Bot"]


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
            trust=MemoryTrustStore(),  # the bot trusts what the system verifies, nothing more
            ice_addresses=options.ice_addresses,
            **({"media_connect_seconds": options.media_timeout} if options.media_timeout else {}),
        )
        self.watch = MediaWatch(1.0 / options.fps, time.monotonic)
        self.tiles = BotTiles(self.session, self.watch, options.tile)
        self._measuring: asyncio.Task | None = None
        #: the latest receive counters and names seen per attendee (kept after they leave)
        self._seen_video: dict[str, tuple[int, int, int]] = {}
        self._seen_audio: dict[str, tuple[object, float]] = {}
        self._names: dict[str, str] = {}
        self.session.on(AttendeeLeft, lambda e: self._on_gone(e.attendee_id))
        self.session.on(AttendeeUpdated, self._on_attendee_updated)
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
        if not event.decoded:
            self.watch.picture(event.attendee_id, None, None, False, None)
            return
        stamp = read_stamp(event.frame)
        wall_ms = time.time() * 1000.0
        if stamp is not None and stamp.captured_ms > 0:
            self.report.latency_samples.append(wall_ms - stamp.captured_ms)
        keyframe, picture_id, superseded, keys_superseded = self._picture(event.attendee_id, event.frame.pts)
        self.watch.picture(event.attendee_id, stamp.frame_number if stamp else None,
                           stamp.captured_ms if stamp else None, keyframe, wall_ms, picture_id, superseded,
                           keys_superseded)
        connection = self.session.remote.connection
        sync = connection.lipsync.get(event.attendee_id) if connection is not None else None
        voice = sync.audio_latency() if sync is not None else None
        if stamp is not None and stamp.captured_ms > 0 and voice is not None:
            self.watch.av_offset(event.attendee_id, wall_ms - stamp.captured_ms - voice * 1000.0)

    # --- per-remote figures (watch.py) --------------------------------------------------------

    def _on_gone(self, attendee_id: str) -> None:
        self._note_received()
        self.watch.stopped(attendee_id)

    def _on_attendee_updated(self, event: AttendeeUpdated) -> None:
        if not event.attendee.video:
            self._on_gone(event.attendee.attendee_id)

    def _note_received(self) -> None:
        video, audio = self._received()
        self._seen_video.update(video)
        self._seen_audio.update(audio)
        self._names.update((a.attendee_id, a.name) for a in self.session.attendees.values())

    def _picture(self, attendee_id: str, pts: int | None) -> tuple[bool, int | None, int, int]:
        """Of ``attendee_id``'s picture of RTP timestamp ``pts``: whether it began a keyframe, its
        VP8 picture id (None: not known); and how many of their pictures the receive path
        superseded so far, and of those keyframes'. One walk over the sections that carry them."""
        remote = self.session.remote
        connection = remote.connection
        if connection is None:
            return False, None, 0, 0
        keyframe, picture_id, superseded, keys_superseded = False, None, 0, 0
        for mid, counter in connection.video_counters.items():
            if remote.carrier(mid) == attendee_id:
                keyframe = keyframe or counter.is_keyframe(pts)
                picture_id = counter.picture_id(pts) if picture_id is None else picture_id
                track = connection.video_tracks.get(mid)
                if track is not None:
                    superseded += track.frames_superseded
                    keys_superseded += track.keyframes_superseded
        return keyframe, picture_id, superseded, keys_superseded

    def _playout_delays(self) -> dict[str, float]:
        """Per remote person, the playout delay their pictures are held for now (ms)."""
        connection = self.session.remote.connection
        delays: dict[str, float] = {}
        if connection is None:
            return delays
        for mid, track in connection.video_tracks.items():
            if (who := self.session.remote.carrier(mid)) is not None:
                delays[who] = max(delays.get(who, 0.0), round(track.playout_delay * 1000.0, 1))
        return delays

    def _received(self) -> tuple[dict, dict]:
        """The receive counters now, per attendee: video (packets, repeated, keyframes) and
        audio (a copy of its jitter buffer's stats, its delay in s; on the light path its
        packet counts, ``VoiceCountSnapshot``, and None)."""
        remote = self.session.remote
        connection = remote.connection
        video: dict[str, tuple[int, int, int]] = {}
        audio: dict[str, tuple[object, float]] = {}
        if connection is None:
            return video, audio
        for mid, counter in connection.video_counters.items():
            if (who := remote.carrier(mid)) is not None:
                video[who] = (counter.packets, counter.repeated, counter.keyframes)
        for mid, track in connection.audio_tracks.items():
            if (who := remote.carrier(mid)) is not None:
                audio[who] = (copy.copy(track.buffer.stats), track.buffer.target + track.buffer.extra_delay)
        for mid, count in connection.voice_counts.items():  # the light path: counted, not decoded
            if (who := remote.carrier(mid)) is not None and (snapshot := count.snapshot()) is not None:
                audio[who] = (snapshot, None)
        return video, audio

    def _encoder_target(self) -> int | None:
        connection = self.session.publisher.connection
        if connection is None or not self.session.camera_on or self.options.light:
            return None  # a replayed clip is not encoded: no target
        return connection.video_target_bitrate

    async def _measure(self) -> None:
        """Open the window ``--measure-after`` seconds in, then read the encoder's target each second."""
        await asyncio.sleep(self.options.measure_after)
        video, audio = self._received()
        self.watch.open_window(video, {who: stats for who, (stats, _) in audio.items()})
        self.report.measured_from_ms = self._elapsed_ms()
        while True:
            self.watch.encoder_target(self._encoder_target())
            self._note_received()
            await asyncio.sleep(1.0)

    def _close_window(self) -> None:
        if self._measuring is not None:
            self._measuring.cancel()
        if self.watch.window_start is None:
            return
        self._note_received()
        cameras = {a.attendee_id for a in self.session.attendees.values()
                   if a.video and not a.content and a.attendee_id != self.report.attendee_id}
        connection = self.session.remote.connection
        for who, sync in (connection.lipsync.items() if connection is not None else ()):
            self.watch.sync_extras[who] = (sync.audio_extra, sync.video_extra)
        self.report.remotes = self.watch.close(self._seen_video, self._seen_audio, self._names, cameras)
        delays = self._playout_delays()
        for who, stats in self.session.remote.video_totals().items():  # what the receive path did
            video = self.report.remotes.get(who, {}).get("video")
            if video is not None:
                video["receive_path"] = {"decoded": stats.frames_decoded, "withheld": stats.damaged_withheld,
                                         "skipped": stats.frames_skipped, "superseded": stats.frames_superseded,
                                         "keyframes_requested": stats.keyframes_requested,
                                         "decode_errors": stats.decode_errors,
                                         "playout_delay_ms": delays.get(who)}
        self.report.measured_seconds = round(self.watch.closed_at - self.watch.window_start, 2)
        self.report.encoder_target_kbps = self.watch.encoder_json()

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
        from ..media.synthetic.capture import SyntheticScreen

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
                from ..media.synthetic.received import ReceivedAudio

                heard = self.heard[event.attendee_id] = ReceivedAudio()
            heard.add(event.frame, time.monotonic())

    # --- the room -------------------------------------------------------------------------

    def _open_room(self) -> None:
        from ..media.synthetic.acoustic import AcousticBackend

        self.media.select_speaker(AcousticBackend.SPEAKER)
        self.session.use_speaker(self.media.speaker)
        if self.options.mic != "none":
            self.media.select_microphone(AcousticBackend.MICROPHONE)

    def _report_voice(self) -> None:
        """What the room and its voice processing did, and our own voice in what others sent."""
        from ..media.synthetic.received import voice_correlation

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
        self.tiles.tell()
        if self.session.camera_on:
            self.report.camera = "on"
        if self.options.screen == "synthetic" or self.options.share_file:
            self._start_share()
        if self.options.raise_hand:
            await self.session.raise_hand(True)
        if self.options.say:
            await self.session.send_chat(self.options.say)
        self._measuring = asyncio.ensure_future(self._measure())
        waits = [asyncio.ensure_future(self.session.ended.wait())]
        if stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        await asyncio.wait(waits, timeout=self.options.duration, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
        if self._sharing_task is not None:
            self._sharing_task.cancel()
        self._close_window()
        self.tiles.close()
        self.report.camera = "on" if self.session.camera_on else "off"
        self.report.hands_raised = [a.name for a in self.session.hands()]
        self.report.roster = [
            {"attendee_id": a.attendee_id, "name": a.name, "muted": a.muted, "video": a.video,
             "connecting": a.connecting}
            for a in self.session.attendees.values()
        ]
        if not self.session.ended.is_set():
            await self.session.leave()
        self.report.end_reason = self.session.end_reason
        if self.media is not None:
            await self.media.aclose()
            self._report_voice()
        return self.report
