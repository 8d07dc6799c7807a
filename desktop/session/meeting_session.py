"""MeetingSession: one meeting as the user lives it. No Qt.

It joins over the signalling client, publishes the chosen microphone and camera, answers
the server's offers for what it receives, keeps the roster and the map of which media
section carries whom, and emits past-tense events (session/events.py). The desktop app and
``parley-bot`` are two front-ends over it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from wire import (
    MAX_SCREEN_SHARES,
    REACTIONS,  # noqa: F401  (the UI's reaction menu reads it from here)
    AttendeeInfo,
    Camera,
    CameraState,
    CapabilitiesUpdated,
    ChatHistory,
    ChatInfo,
    ChatMessage,
    EndMeeting,
    Error,
    ErrorCode,
    Join,
    Joined,
    Leave,
    MeetingEnded,
    MeetingInfo,
    MeetingUpdated,
    Message,
    Moderate,
    Mute,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ProtocolError,
    Publish,
    PublishAnswer,
    RaiseHand,
    React,
    Reaction,
    SendChat,
    ServerRestarting,
    SubscribeAnswer,
    SubscribeOffer,
    TrackInfo,
    TracksUpdated,
    VideoAvailable,
    VolumeInfo,
    Volumes,
)

from ..media.ice import ice_addresses_for
from ..media.peers import PublishConnection, ReceiveConnection
from ..media.sender_track import for_sending
from ..media.stats import LinkStats, StatsSampler
from ..signalling import rest
from ..signalling.client import JoinUrl, SignallingClient
from ..signalling.tls import UntrustedCertificate
from ..translatable import QT_TRANSLATE_NOOP
from .active_speaker import ActiveSpeakerDetector
from .health import ConnectionHealthPolicy, quality
from .screen_share import ScreenShare, ShareRefused
from .timer import SessionTimer, parse_iso
from .volume import VOLUME_INTERVAL, VolumeReporter, volume_from_level
from .events import (
    ActiveSpeakersChanged,
    AttendeeJoined,
    AttendeeLeft,
    AttendeeUpdated,
    AudioFrameReceived,
    CameraChanged,
    CameraRefused,
    CapabilitiesChanged,
    ChatReceived,
    ConnectionStatsUpdated,
    EventEmitter,
    MeetingJoined,
    MeetingLeft,
    ReactionReceived,
    SpeakingWhileMuted,
    Reconnected,
    Reconnecting,
    ScreenShareRefused,
    ScreenShareStarted,
    ScreenShareStopped,
    ShareAvailabilityChanged,
    VideoFrameReceived,
    VideoSlotFreed,
    VolumesUpdated,
)

logger = logging.getLogger(__name__)


class Speaker(Protocol):
    """Where remote voices go (desktop.media.devices implements it)."""

    def play(self, source_id: str, frame: Any) -> None: ...

    def remove_source(self, source_id: str) -> None: ...


STATS_INTERVAL = 2.0  # connection figures are sampled this often (seconds)
#: "You're muted": speech (a volume indicator this high) for this long, at most this often
MUTED_SPEECH_VOLUME = 0.4
MUTED_SPEECH_SECONDS = 1.0
MUTED_HINT_EVERY = 60.0

#: After a drop, the session tries to come back for this long (seconds), then gives up with
#: ``connection_lost``; it waits these delays between attempts (the last one repeats).
RECONNECT_BUDGET = 120.0
#: Capped at 1 s so that a network that comes back is used within about a second (a join is
#: one small WebSocket exchange: cheap for the server even when many retry).
RECONNECT_DELAYS = (0.1, 0.25, 0.5, 1.0)
#: Joining again after these refusals may work a moment later; any other refusal is final.
RETRYABLE = frozenset({ErrorCode.SERVER_RESTARTING, ErrorCode.RATE_LIMITED, ErrorCode.INTERNAL_ERROR})


class JoinFailed(Exception):
    """Joining did not work: ``reason`` is a stable code (see session/reasons.py).

    With ``untrusted_certificate``, ``certificate`` says what the server presented
    (``host_port``, ``fingerprint``, ``reason``, ``changed``); ``certificate.trust()`` is the
    user's explicit "Trust this server", after which a new session may join."""

    def __init__(self, reason: str, message: str,
                 certificate: UntrustedCertificate | None = None) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.certificate = certificate


class MeetingSession(EventEmitter):
    def __init__(
        self,
        join_url: str,
        *,
        name: str | None = None,
        microphone: MediaStreamTrack | None = None,
        camera: MediaStreamTrack | None = None,
        speaker: Speaker | None = None,
        camera_on: bool = True,
        muted: bool = False,
        decode_video: bool = True,
        retry_camera_when_free: bool = True,
        volume_source: Callable[[], float] | None = None,
        clock: Callable[[], float] = time.time,
        reconnect: bool = True,
        reconnect_budget: float = RECONNECT_BUDGET,
        stats_interval: float = STATS_INTERVAL,
    ) -> None:
        """``camera_on`` / ``muted``: how to start (the devices may be swapped later);
        ``speaker``: where remote voices are played (anything with ``play(source_id, frame)``
        and ``remove_source(source_id)``); ``volume_source``: the microphone's current RMS
        level 0..1, sent to the others as this attendee's volume indicator; ``clock``: wall
        time for the session timer's countdown (tests move it); ``reconnect``: when the
        connection drops, keep the meeting and come back as the same attendee (for up to
        ``reconnect_budget`` seconds) instead of ending with ``connection_lost``."""
        super().__init__()
        self.url = JoinUrl(join_url)
        self.name = name
        self.microphone = microphone
        self.camera = camera
        self.speaker = speaker
        self.wants_camera = camera_on
        self.decode_video = decode_video
        self.retry_camera_when_free = retry_camera_when_free
        self.me: AttendeeInfo | None = None
        self.attendees: dict[str, AttendeeInfo] = {}
        self.capabilities: tuple[str, ...] = ()
        self.meeting: MeetingInfo | None = None
        self.camera_on = False
        self.muted = muted
        self.end_reason: str | None = None
        self.ended = asyncio.Event()
        self._tracks: dict[str, TrackInfo] = {}  # mid -> what it carries
        self._signalling = SignallingClient(self.url.websocket_url, self._on_message)
        self.reconnect = reconnect
        self.reconnect_budget = reconnect_budget
        self.reconnecting = False
        self.reconnects = 0  # how many times the session came back after a drop
        self._restart_hint: float | None = None  # the server said it restarts: wait this long first
        self._share_to_resume: MediaStreamTrack | None = None
        #: connection figures, sampled every ``stats_interval`` s (ConnectionStatsUpdated), and
        #: the poor-connection alerts drawn from them (ConnectionPoor)
        self.stats_interval = stats_interval
        self.link_stats = LinkStats()
        self.frame_rates: dict[str, float] = {}  # attendee id -> video frames a second received
        self.health = ConnectionHealthPolicy()
        self._sampler = StatsSampler()
        self._frames_counted: dict[str, int] = {}
        self._clock = clock
        #: the chat as I may read it, oldest first (history from the server, then live)
        self.chat: list[ChatInfo] = []
        self._chat_ids: set[int] = set()
        self._muted_speech_since: float | None = None
        self._muted_hint_at: float | None = None
        self._publish: PublishConnection | None = None
        self._receive: ReceiveConnection | None = None
        self._tasks: set[asyncio.Task] = set()
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._closed = False
        self.volume_source = volume_source
        self.volumes: dict[str, VolumeInfo] = {}
        self.active_speakers: tuple[str, ...] = ()
        self._speakers = ActiveSpeakerDetector()
        self.screen_share: ScreenShare | None = None
        self.file_source = None  # the video file being shared (pause/resume), if any
        self._share_sound: tuple = (None, None)  # a resumed share's sound and level
        self.file_error: str | None = None
        self._ended_by_server: str | None = None
        #: the countdown to the server's timer_ends_at (events: TimerChanged, TimeWarning, TimeUp)
        self.timer = SessionTimer(clock)
        self._share_available = True

    # --- lifecycle ------------------------------------------------------------------------

    async def join(self) -> Joined:
        """Connect, join, and start publishing; returns the server's welcome.

        Raises JoinFailed with the reason when the server refuses or cannot be reached."""
        try:
            joined = await self._connect()
            self._welcome(joined)
            # Only now handle what came after the welcome, so nobody is lost from the roster.
            self._spawn(self._inbox_loop())
            self._spawn(self._volume_loop())
            self._spawn(self._stats_loop())
            await self._start_media()
        except ProtocolError as exc:
            await self._shutdown()
            raise JoinFailed(str(exc.code), exc.message) from None
        except UntrustedCertificate as exc:  # before ConnectionError, which it is
            await self._shutdown()
            raise JoinFailed("untrusted_certificate", exc.reason, exc) from None
        except (ConnectionError, OSError, asyncio.TimeoutError, aiohttp.ClientError) as exc:
            await self._shutdown()
            if self._ended_by_server is not None:  # the meeting ended while we were setting up
                raise JoinFailed(self._ended_by_server, "the meeting ended while joining") from None
            raise JoinFailed("connection_failed", str(exc) or type(exc).__name__) from None
        except BaseException:
            await self._shutdown()
            raise
        if self.ended.is_set():  # the meeting ended while we were still setting up
            raise JoinFailed(self.end_reason or "connection_lost", "the meeting ended while joining")
        return joined

    async def _connect(self) -> Joined:
        """A new signalling connection, joined; its loss is watched."""
        signalling = self._signalling = SignallingClient(self.url.websocket_url, self._on_message)
        await signalling.connect()
        self._spawn(self._watch_signalling(signalling))
        joined = await signalling.request(
            Join(meeting_id=self.url.meeting_id, token=self.url.token, name=self.name))
        assert isinstance(joined, Joined)
        return joined

    async def _start_media(self) -> None:
        """Say I am muted (if so; after a reconnect, whatever I am) and publish what my role may
        send."""
        if self.muted or self.reconnects or self.reconnecting:
            await self._signalling.send(Mute(muted=self.muted))
        if {"send-audio", "send-video"} & set(self.capabilities):
            await self._start_publishing()

    def _welcome(self, joined: Message) -> None:
        assert isinstance(joined, Joined)
        self.me = joined.attendee
        self.meeting = joined.meeting
        self.capabilities = tuple(joined.capabilities)
        self.attendees = {a.attendee_id: a for a in joined.roster}
        self.emit(MeetingJoined(joined.attendee, tuple(joined.roster), self.capabilities))
        self._check_share_available()
        self._update_timer(joined.meeting, joined.server_time)

    def _update_timer(self, meeting: MeetingInfo, server_time: str | None) -> None:
        self.timer.sync(server_time)
        changed = self.timer.set_end(meeting.timer_ends_at)
        if changed is not None:
            self.emit(changed)

    def tick_timer(self) -> None:
        """Emit the timer's warning and time's-up when due (the volume loop calls this 5 times a
        second; a UI may call it too)."""
        for event in self.timer.tick():
            self.emit(event)

    @property
    def can_extend(self) -> bool:
        return "change-max-duration" in self.capabilities

    async def extend(self, seconds: float) -> None:
        """Add ``seconds`` to the meeting's timer (needs ``change-max-duration``); everyone's
        countdown moves when the server says so. Raises ProtocolError when refused."""
        meeting = self.meeting
        started = parse_iso(meeting.started_at) if meeting else None
        if meeting is None or started is None or self.timer.ends_at is None:
            raise ProtocolError(ErrorCode.BAD_REQUEST, "this meeting has no timer to extend")
        limit = round(self.timer.ends_at + seconds - started)
        await rest.update_settings(self.url, {"limits": {"max_duration_seconds": limit}})
    async def leave(self, reason: str = "left") -> None:
        """Leave the meeting; ``reason`` is ``left``, or ``idle`` when nobody answered."""
        if self._closed:
            return
        try:
            await self._signalling.send(Leave(reason=reason))
        except (ConnectionError, RuntimeError):
            pass
        await self._finish(reason)

    async def _finish(self, reason: str) -> None:
        if self.ended.is_set():
            return  # already finished (leave() and meeting_ended can cross)
        if self.end_reason is None:
            self.end_reason = reason
        await self._shutdown()
        self.ended.set()
        self.emit(MeetingLeft(self.end_reason))

    async def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.screen_share is not None:
            await self.screen_share.stop(self.end_reason or "left")
        if self._share_to_resume is not None:
            self._share_to_resume.stop()
            self._share_to_resume = None
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        await self._signalling.close()
        if self._publish is not None:
            await self._publish.close()
        if self._receive is not None:
            await self._receive.close()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _watch_signalling(self, signalling: SignallingClient) -> None:
        await signalling.closed.wait()
        await asyncio.sleep(0)  # let queued messages (meeting_ended) be handled first
        while not self._inbox.empty():
            await asyncio.sleep(0.01)
        if self._closed or signalling is not self._signalling or self.reconnecting:
            return  # over, or an old connection (a reconnect replaced it)
        reason = self.end_reason or self._ended_by_server
        if reason is None and self.reconnect and self.me is not None:
            self._spawn(self._reconnect())
        else:
            await self._finish(reason or "connection_lost")

    # --- coming back after a drop ----------------------------------------------------------

    def connection_lost(self) -> None:
        """The media or the network failed: come back (as after a signalling drop)."""
        if not (self._closed or self.reconnecting) and self.reconnect and self.me is not None:
            self._spawn(self._reconnect())

    def _watch_media(self, pc) -> None:
        """A peer connection that fails (ICE lost the path) is a drop like a signalling one."""

        def changed() -> None:
            if pc.connectionState == "failed" and (pc is getattr(self._publish, "pc", None)
                                                   or pc is getattr(self._receive, "pc", None)):
                logger.warning("session: a media connection failed; reconnecting")
                self.connection_lost()

        pc.on("connectionstatechange", changed)

    async def _reconnect(self) -> None:
        """Keep the meeting on screen, and join again as the same attendee with backoff:
        republish, resubscribe, share again. Gives up after the budget (``connection_lost``) or
        at a final refusal (e.g. ``meeting_ended``, ``removed`` attendees' ``missing_capability``)."""
        if self.reconnecting or self._closed:
            return
        self.reconnecting = True
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.emit(Reconnecting())
        await self._drop_connections()
        delays = iter(RECONNECT_DELAYS)
        delay = self._restart_hint if self._restart_hint is not None else next(delays)
        while not self._closed:
            await asyncio.sleep(delay)
            delay = next(delays, RECONNECT_DELAYS[-1])
            if self._closed:
                return
            if loop.time() - started > self.reconnect_budget:
                self.reconnecting = False
                await self._finish("connection_lost")
                return
            try:
                joined = await self._connect()
                self._rewelcome(joined)
                await self._start_media()
            except ProtocolError as exc:
                if exc.code in RETRYABLE:
                    await self._drop_connections()
                    continue
                self.reconnecting = False
                await self._finish(self._ended_by_server or str(exc.code))
                return
            except UntrustedCertificate:  # the server's certificate changed: never carry on
                self.reconnecting = False
                await self._finish("untrusted_certificate")
                return
            except Exception as exc:  # the network is not back yet (aiohttp's own errors included)
                logger.info("session: reconnect attempt failed: %s", exc or type(exc).__name__)
                await self._drop_connections()
                continue
            break
        if self._closed:
            return
        self.reconnecting = False
        self._restart_hint = None
        self._sampler.reset()
        self.reconnects += 1
        self.emit(Reconnected(loop.time() - started))
        track, self._share_to_resume = self._share_to_resume, None
        if track is not None and track.readyState == "live":
            await self.share_screen(track, *self._share_sound)

    async def _drop_connections(self) -> None:
        """Close the signalling and both peer connections (the devices stay open)."""
        signalling = self._signalling
        await signalling.close()
        publish, self._publish = self._publish, None
        receive, self._receive = self._receive, None
        self._tracks = {}
        for connection in (publish, receive):
            if connection is not None:
                await connection.close()

    def _rewelcome(self, joined: Joined) -> None:
        """Back in: take the server's view again, telling who came and went meanwhile."""
        self.me = joined.attendee
        self.meeting = joined.meeting
        self.capabilities = tuple(joined.capabilities)
        roster = {a.attendee_id: a for a in joined.roster}
        for attendee_id in [a for a in self.attendees if a not in roster]:
            self.attendees.pop(attendee_id)
            self.volumes.pop(attendee_id, None)
            self._speakers.remove(attendee_id)
            if self.speaker is not None:
                self.speaker.remove_source(attendee_id)
            self.emit(AttendeeLeft(attendee_id, "left"))
        for attendee_id, info in roster.items():
            known = self.attendees.get(attendee_id)
            self.attendees[attendee_id] = info
            if known is None:
                self.emit(AttendeeJoined(info))
            elif known != info:
                self.emit(AttendeeUpdated(info))
        self._check_share_available()
        self._update_timer(joined.meeting, joined.server_time)

    # --- publishing -----------------------------------------------------------------------

    async def _start_publishing(self) -> None:
        # Both sections are negotiated whenever the role may send, so that a camera or a
        # microphone can be switched on or swapped later without a new negotiation.
        audio = "send-audio" in self.capabilities
        video = "send-video" in self.capabilities
        # each connection gets its own handles on the devices: closing it (a reconnect) must not
        # stop them (aiortc stops a closing sender's track)
        self._publish = PublishConnection(for_sending(self.microphone), for_sending(self.camera),
                                          audio=audio, video=video, ice_addresses=ice_addresses_for(self.url.host))
        self._watch_media(self._publish.pc)
        self._publish.send_microphone(not self.muted)
        wants_video = video and self.wants_camera and self.camera is not None
        answer = await self._signalling.request(
            Publish(sdp=await self._publish.offer(), audio=audio, video=wants_video)
        )
        assert isinstance(answer, PublishAnswer)
        await self._publish.accept(answer.sdp)
        self._set_camera(answer.video == "on")
        if answer.video == "video_unavailable":
            self.emit(CameraRefused("All 16 video slots are in use: you are in the meeting with audio."))

    def _set_camera(self, on: bool) -> None:
        if self._publish is not None:
            self._publish.send_camera(on)
        if on != self.camera_on:
            self.camera_on = on
            self.emit(CameraChanged(on))

    async def set_camera(self, on: bool) -> bool:
        """Turn the camera on or off; False when the meeting has no free video slot."""
        self.wants_camera = on
        if on and self.camera is None:
            return False
        try:
            state = await self._signalling.request(Camera(on=on))
        except ProtocolError as exc:
            if exc.code == ErrorCode.VIDEO_UNAVAILABLE:
                self.emit(CameraRefused(exc.message))
                return False
            raise
        assert isinstance(state, CameraState)
        self._set_camera(state.on)
        return state.on

    def use_camera(self, track: MediaStreamTrack | None) -> None:
        """Send this camera from now on (a device switch); None: no camera device."""
        self.camera = track
        if self._publish is not None:
            self._publish.camera = for_sending(track)
            self._publish.send_camera(self.camera_on and track is not None)

    def use_microphone(self, track: MediaStreamTrack | None) -> None:
        """Send this microphone from now on (a device switch)."""
        self.microphone = track
        if self._publish is not None:
            self._publish.use_microphone(for_sending(track))
            self._publish.send_microphone(not self.muted)

    def use_speaker(self, speaker: Speaker | None) -> None:
        """Play remote voices on this speaker from now on."""
        self.speaker = speaker

    @property
    def mute_locked(self) -> bool:
        """A host muted us and has not allowed unmuting yet."""
        return bool(self.me and self.me.mute_locked)

    async def moderate(self, attendee_id: str, action: str) -> None:
        """Host controls: ``mute`` (locks their unmute), ``allow_unmute``, ``remove``.
        Raises ProtocolError ``missing_capability`` when our role may not."""
        await self._signalling.request(Moderate(attendee_id=attendee_id, action=action))

    async def end_meeting(self) -> None:
        """End the meeting for everyone (needs ``end-call``); ends this session too."""
        await self._signalling.send(EndMeeting())

    # --- screen share -------------------------------------------------------------------------

    @property
    def shares(self) -> list[AttendeeInfo]:
        """The screen shares running in the meeting (others' and mine)."""
        return [a for a in self.attendees.values() if a.content]

    @property
    def share_available(self) -> bool:
        """I could start sharing now: the meeting runs fewer than 2 shares (or one is mine)."""
        return self.sharing or len(self.shares) < MAX_SCREEN_SHARES

    @property
    def sharing(self) -> bool:
        return self.screen_share is not None

    async def share_file(self, path: str, loop: bool = False) -> str:
        """Share a video file (picture and sound) as content, paced in real time; ends at the
        file's end (unless ``loop``) or when stopped. Returns ``"published"``, the refusal code,
        or ``"bad_file"`` (``self.file_error`` says why)."""
        from ..media.file_share import FileShareError, FileSource

        self.file_error = None
        try:
            source = await FileSource.open(path, loop=loop)
        except FileShareError as exc:
            self.file_error = exc.message
            return "bad_file"
        if source.video is None:
            await source.aclose()
            self.file_error = QT_TRANSLATE_NOOP("FileShare", "this file has no picture to share")
            return "bad_file"
        self.file_source = source
        result = await self.share_screen(source.video, audio=source.audio, level=lambda: source.level)
        if result != "published":
            await source.aclose()
            self.file_source = None
        return result

    async def share_screen(self, track: MediaStreamTrack, audio: MediaStreamTrack | None = None,
                           level: Callable[[], float] | None = None) -> str:
        """Share ``track`` (a screen or window capture) as ``ME#content``, replacing my running
        share. Returns ``"published"`` or the refusal code (``content_share_unavailable`` when
        two others share). The session owns ``track`` from now on and stops it when the share
        ends."""
        if self._closed or self.me is None:
            track.stop()
            return "not_joined"
        if self.screen_share is not None:
            await self.screen_share.stop("replaced")
        share = ScreenShare(self.url, track, lambda reason: self._share_ended(share, reason), audio=audio, level=level)
        try:
            await share.start()
        except ShareRefused as exc:
            track.stop()
            self.emit(ScreenShareRefused(exc.reason, exc.message))
            return exc.reason
        if self._closed:  # the meeting ended while the share started
            await share.stop(self.end_reason or "left")
            return self.end_reason or "left"
        self.screen_share = share
        assert share.attendee_id is not None
        self.emit(ScreenShareStarted(share.attendee_id))
        self._check_share_available()
        return "published"

    async def stop_screen_share(self) -> None:
        if self.screen_share is not None:
            await self.screen_share.stop("stopped")

    def _share_ended(self, share: ScreenShare, reason: str) -> None:
        resumable = reason in ("connection_lost", "disconnected", "server_restarting")
        if resumable and self.screen_share is share and not self._closed and self.reconnect:
            # the network, not the user, stopped it: share the same capture again once back
            self.screen_share = None
            self._share_to_resume = share.track
            self._share_sound = (share.audio, share._level)
            if not self.reconnecting and self._signalling is not None and not self._signalling.closed.is_set():
                track, self._share_to_resume = share.track, None
                self._spawn(self.share_screen(track, *self._share_sound))
            return
        share.track.stop()
        if share.audio is not None:
            share.audio.stop()
        source, self.file_source = self.file_source, None
        if source is not None:
            source.close()
        if self.screen_share is share:
            self.screen_share = None
            self.emit(ScreenShareStopped(reason))
            self._check_share_available()

    def _check_share_available(self) -> None:
        available = self.share_available
        if available != self._share_available:
            self._share_available = available
            self.emit(ShareAvailabilityChanged(available))

    async def set_muted(self, muted: bool) -> None:
        if not muted and self.mute_locked:
            return  # the server would refuse it: a host muted us
        self.muted = muted
        if self._publish is not None:
            self._publish.send_microphone(not muted)
        if self.reconnecting:
            return  # said when the session is back in
        await self._signalling.send(Mute(muted=muted))

    # --- what the server tells us -----------------------------------------------------------

    async def _volume_loop(self) -> None:
        """5 times a second: send my volume when it changed, and rank who is talking."""
        reporter = VolumeReporter()
        while True:
            await asyncio.sleep(VOLUME_INTERVAL)
            source = self.volume_source
            level = source() if source is not None and not self.muted and self.microphone is not None else 0.0
            if not self.reconnecting:  # a drop: the reconnect takes over; said again once back
                await reporter.report(self._signalling.send, level)
            if self.muted and source is not None and self.microphone is not None:
                self.check_muted_speech(source())
            self.tick_timer()
            self._speakers.tick()
            ranking = tuple(self._speakers.ranking())
            if ranking != self.active_speakers:
                self.active_speakers = ranking
                self.emit(ActiveSpeakersChanged(ranking))

    def check_muted_speech(self, level: float) -> None:
        """While muted: speech into the microphone for more than a second emits
        SpeakingWhileMuted ("You're muted"), at most once a minute. ``level`` is the (processed)
        microphone's RMS 0..1."""
        now = self._clock()
        if not self.muted or volume_from_level(level) < MUTED_SPEECH_VOLUME:
            self._muted_speech_since = None
            return
        if self._muted_speech_since is None:
            self._muted_speech_since = now
        elif now - self._muted_speech_since >= MUTED_SPEECH_SECONDS and (
                self._muted_hint_at is None or now - self._muted_hint_at >= MUTED_HINT_EVERY):
            self._muted_hint_at = now
            self._muted_speech_since = None
            self.emit(SpeakingWhileMuted())

    # --- chat, hands, reactions -----------------------------------------------------------------

    async def send_chat(self, text: str, to: str | None = None) -> ChatInfo:
        """Say ``text`` to everyone, or privately ``to`` one attendee. Raises ProtocolError
        (too long, too fast, nobody by that id)."""
        reply = await self._signalling.request(SendChat(text=text, to=to))
        assert isinstance(reply, ChatMessage)
        self._add_chat(reply.message)
        return reply.message

    @property
    def hand_raised(self) -> bool:
        return bool(self.me and self.me.hand_raised_at)

    async def raise_hand(self, raised: bool = True) -> None:
        await self._signalling.send(RaiseHand(raised=raised))

    async def react(self, emoji: str) -> None:
        await self._signalling.send(React(emoji=emoji))

    def hands(self) -> list[AttendeeInfo]:
        """Everyone with a hand up (me included), in the order the hands went up."""
        people = list(self.attendees.values()) + ([self.me] if self.me else [])
        return sorted((a for a in people if a.hand_raised_at), key=lambda a: a.hand_raised_at or "")

    def _add_chat(self, message: ChatInfo) -> None:
        if message.message_id in self._chat_ids:
            return  # seen already (history again after a reconnect)
        self._chat_ids.add(message.message_id)
        self.chat.append(message)
        self.emit(ChatReceived(message))

    # --- connection health -------------------------------------------------------------------

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(self.stats_interval)
            if self.reconnecting:
                self._sampler.reset()
                continue
            await self.sample_stats()

    async def sample_stats(self) -> LinkStats:
        """Read the connections' stats now: figures, frame rates per tile, and the alert."""
        stats = await self._sampler.sample(getattr(self._publish, "pc", None), getattr(self._receive, "pc", None))
        counted, self._frames_counted = self._frames_counted, {}
        self.frame_rates = {who: round(n / self.stats_interval, 1) for who, n in counted.items()}
        self.link_stats = stats
        self.emit(ConnectionStatsUpdated(stats, dict(self.frame_rates), quality(stats.uplink_audio_loss)))
        alert = self.health.sample(stats.uplink_audio_loss, self._clock(), self.camera_on)
        if alert is not None:
            self.emit(alert)
        return stats

    def _on_message(self, message: Message) -> None:
        if isinstance(message, MeetingEnded):
            self._ended_by_server = message.reason  # known at once, even while still joining
        elif isinstance(message, ServerRestarting):
            self._restart_hint = message.retry_after_ms / 1000  # the socket closes next: come back
        self._inbox.put_nowait(message)

    async def _inbox_loop(self) -> None:
        while True:
            message = await self._inbox.get()
            try:
                await self._handle(message)
            except Exception:
                logger.exception("session: failed to handle %s", message.TYPE)

    async def _handle(self, message: Message) -> None:
        if isinstance(message, SubscribeOffer):
            await self._on_subscribe_offer(message)
        elif isinstance(message, TracksUpdated):
            self._tracks = {t.mid: t for t in message.tracks}
        elif isinstance(message, ParticipantJoined):
            self.attendees[message.attendee.attendee_id] = message.attendee
            self.emit(AttendeeJoined(message.attendee))
            self._check_share_available()
        elif isinstance(message, ParticipantUpdated):
            if self.me is not None and message.attendee.attendee_id == self.me.attendee_id:
                self.me = message.attendee
                if message.attendee.muted and not self.muted:  # a host muted us
                    self.muted = True
                    if self._publish is not None:
                        self._publish.send_microphone(False)
            else:
                self.attendees[message.attendee.attendee_id] = message.attendee
            self.emit(AttendeeUpdated(message.attendee))
        elif isinstance(message, ParticipantLeft):
            self.attendees.pop(message.attendee_id, None)
            self.volumes.pop(message.attendee_id, None)
            self._speakers.remove(message.attendee_id)
            if self.speaker is not None:
                self.speaker.remove_source(message.attendee_id)
            self.emit(AttendeeLeft(message.attendee_id, message.reason))
            self._check_share_available()
        elif isinstance(message, VideoAvailable):
            self.emit(VideoSlotFreed(message.video_slots.used, message.video_slots.max))
            if self.retry_camera_when_free and not self.camera_on and self._publish and self._publish.camera:
                self._spawn(self.set_camera(True))
        elif isinstance(message, ChatMessage):
            self._add_chat(message.message)
        elif isinstance(message, ChatHistory):
            for item in message.messages:
                self._add_chat(item)
        elif isinstance(message, Reaction):
            self.emit(ReactionReceived(message.attendee_id, message.emoji))
        elif isinstance(message, MeetingUpdated):
            self.meeting = message.meeting
            self._update_timer(message.meeting, message.server_time)
        elif isinstance(message, CapabilitiesUpdated):
            self.capabilities = tuple(message.capabilities)
            self.emit(CapabilitiesChanged(self.capabilities))
        elif isinstance(message, Volumes):
            for info in message.updates:
                self.volumes[info.attendee_id] = info
                self._speakers.indicate(info.attendee_id, info.volume, info.muted)
            self.emit(VolumesUpdated(tuple(message.updates)))
        elif isinstance(message, Error) and message.code == ErrorCode.ALREADY_JOINED:
            self.end_reason = "replaced"  # we joined from another connection; this one closes
        elif isinstance(message, MeetingEnded):
            self.end_reason = message.reason
            self._spawn(self._finish(message.reason))

    async def _on_subscribe_offer(self, offer: SubscribeOffer) -> None:
        if self._receive is None:
            counted = None if self.decode_video else self._on_counted
            self._receive = ReceiveConnection(self._on_track, on_counted=counted, ice_addresses=ice_addresses_for(self.url.host))
            self._watch_media(self._receive.pc)
        self._tracks = {t.mid: t for t in offer.tracks}
        answer = await self._receive.answer(offer.sdp)
        await self._signalling.send(SubscribeAnswer(sdp=answer))

    def carrier(self, mid: str) -> str | None:
        """Which attendee the media section ``mid`` carries now."""
        info = self._tracks.get(mid)
        return info.attendee_id if info else None

    def _on_track(self, mid: str, track: MediaStreamTrack) -> None:
        if self.decode_video:
            self._spawn(self._pump(mid, track))

    def _on_counted(self, mid: str, kind: str) -> None:
        """Light path: a frame arrived and was counted, not decoded."""
        attendee_id = self.carrier(mid)
        if attendee_id is None:
            return
        if kind == "video":
            self._frames_counted[attendee_id] = self._frames_counted.get(attendee_id, 0) + 1
            self.emit(VideoFrameReceived(attendee_id, None, False))
        else:
            self._speakers.heard(attendee_id)
            self.emit(AudioFrameReceived(attendee_id, None))

    async def _pump(self, mid: str, track: MediaStreamTrack) -> None:
        video = track.kind == "video"
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            attendee_id = self.carrier(mid)
            if attendee_id is None:
                continue
            if video:
                self._frames_counted[attendee_id] = self._frames_counted.get(attendee_id, 0) + 1
                self.emit(VideoFrameReceived(attendee_id, frame, True))
            else:
                if self.speaker is not None:
                    self.speaker.play(attendee_id, frame)
                self._speakers.heard(attendee_id)
                self.emit(AudioFrameReceived(attendee_id, frame))
