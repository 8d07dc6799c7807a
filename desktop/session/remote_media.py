"""What I receive: the receive connection, which media section carries whom, the pumps that take
received frames to the speaker and the screen, and the connection figures. No Qt.

The server offers what I may receive (``subscribe_offer``) and says which attendee each media
section (``mid``) carries (the offer's tracks, then ``tracks_updated``); a section may carry
someone else later. Received audio goes to the :class:`Speaker`; every frame is also an event
(VideoFrameReceived, AudioFrameReceived). On the light path (no decoding, for bots) frames are
only counted. Every ``stats_interval`` seconds both connections' figures are sampled
(ConnectionStatsUpdated), with the health alerts drawn from them (ConnectionPoor, UplinkWeak,
ReceivePoor: blamed on this computer, not the network, while it is busy) and the signal bars
from both directions.

Two watches run beside the media (``watch_loop``, once a second): ``media_watch`` notices media
that stopped arriving while someone sends (IncomingMediaStalled: keyframes asked for, then the
connection repaired through ``repair``; IncomingMediaRestored), and, with ``step_down``,
``load_governor`` pauses the videos this computer cannot keep up with, least important first
(VideoPaused with reason ``load``, ComputerBusy) and asks the server for less (those videos'
tiles hidden, the others off the stage at the small layer: ``load_governor.needs_under_load``),
and resumes them, with the tiles' real sizes, when the load passes.
``video_stats`` keeps, per remote person, what their video's receive path did (frames decoded,
damaged pictures withheld, frames skipped, ...: ``media.video_receive.VideoReceiveStats``).

The server spends my downlink on the videos by priority: it says when one is paused or
resumed, and which layer it forwards (``video_paused``, kept in ``video_states`` and emitted
as RemoteVideoChanged); I tell it what each tile needs (``tell_needs``: its size on screen,
hidden, on stage), so it sends no more than is shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from aiortc import MediaStreamError, MediaStreamTrack

from wire import SubscribeAnswer, SubscribeOffer, TileNeed, TrackInfo, TracksUpdated, VideoNeeds
from wire import VideoPaused as ServerVideoPaused  # the server's notice; VideoPaused here is the event

from ..media.ice import IceRoute
from ..media.peers import ReceiveConnection
from ..media.stats import LinkStats, StatsSampler
from ..media.video_receive import VideoReceiveStats
from .dispatch import MessageTable
from .events import (AudioFrameReceived, ComputerBusy, ConnectionStatsUpdated, IncomingMediaRestored,
                     IncomingMediaStalled, RemoteVideoChanged, VideoFrameReceived, VideoPaused)
from .health import ConnectionHealthPolicy, DirectionalHealth, link_quality
from .load_governor import PAUSED_FOR_LOAD, LoadGovernor, LoadSample, needs_under_load
from .loop_lag import LoopLagMonitor
from .media_watch import REPAIR, RESTORED, STALLED, MediaWatchdog
from .ports import Signalling, Speaker
from ..tasks import TaskOwner

STATS_INTERVAL = 2.0  # connection figures are sampled this often (seconds)
WATCH_INTERVAL = 1.0  # the media and load watches look this often (seconds)


class Uplink(Protocol):
    """My sending side, as the stats read it (desktop.session.publishing.Publisher)."""

    @property
    def pc(self) -> Any: ...

    @property
    def camera_on(self) -> bool: ...


class RemoteMedia:
    def __init__(self, signalling: Signalling, uplink: Uplink, tasks: TaskOwner,
                 emit: Callable[[object], None], clock: Callable[[], float], *,
                 watch_media: Callable[[Any, Callable[[], bool]], None],
                 heard: Callable[[str], None], speaker: Speaker | None, decode_video: bool,
                 stats_interval: float = STATS_INTERVAL,
                 route: IceRoute | None = None,
                 expecting: Callable[[], bool] = lambda: False, repair: Callable[[], None] = lambda: None,
                 priorities: Callable[[list[str]], list[str]] = lambda videos: videos,
                 step_down: bool = False) -> None:
        """``heard(attendee_id)``: sound arrived from them (who is talking);
        ``decode_video``: False is the light path (frames counted, not decoded);
        ``route``: the host candidates to offer and the TURN relays to gather from
        (media/ice.py); ``expecting()``: someone sends (unmuted or camera on), so silence is a
        stall; ``repair()``: reconnect the receiving connection; ``priorities(videos)``: the
        videos most important first; ``step_down``: pause videos when this computer cannot keep up."""
        self._signalling = signalling
        self._uplink = uplink
        self._tasks = tasks
        self._emit = emit
        self._clock = clock
        self._watch_media = watch_media
        self._heard = heard
        self.speaker = speaker
        self.decode_video = decode_video
        self._route = route or IceRoute()
        self.connection: ReceiveConnection | None = None
        self._tracks: dict[str, TrackInfo] = {}  # mid -> what it carries
        self.stats_interval = stats_interval
        self.link_stats = LinkStats()
        self.frame_rates: dict[str, float] = {}  # attendee id -> video frames a second received
        self.health = ConnectionHealthPolicy()
        self._sampler = StatsSampler()
        self._frames_counted: dict[str, int] = {}
        #: attendee id -> what the server last said of their video (paused, layer)
        self.video_states: dict[str, RemoteVideoChanged] = {}
        self._needs: tuple[TileNeed, ...] | None = None  # what the tiles need, as last said
        #: what this connection's server heard (the tiles' needs with the load's pauses on top)
        self._needs_told: tuple[TileNeed, ...] | None = None
        self.directions = DirectionalHealth()
        self._expecting = expecting
        self._repair = repair
        self._priorities = priorities
        self.step_down = step_down
        self.watchdog = MediaWatchdog()
        self.governor = LoadGovernor()
        self.loop_lag = LoopLagMonitor()
        self.busy = False
        self.paused: dict[str, str] = {}  # attendee id -> why their video is paused on my side
        #: attendee id -> what their video's receive path did (summed over the sections that carried them)
        self.video_stats: dict[str, VideoReceiveStats] = {}
        self._seen: dict[str, VideoReceiveStats] = {}  # mid -> its counters when last accounted
        self._load_last: tuple[float, float, int, int] | None = None
        self._audio_closed = {"decoded": 0, "fec": 0, "concealed": 0}  # connections closed so far

    def register(self, table: MessageTable) -> None:
        table.register(SubscribeOffer, self._on_subscribe_offer)
        table.register(TracksUpdated, self._on_tracks_updated)
        table.register(ServerVideoPaused, self._on_video_paused)

    # --- what the server sends of each video, what each tile needs --------------------------------

    def _on_video_paused(self, message: ServerVideoPaused) -> None:
        event = RemoteVideoChanged(message.attendee_id, message.paused,
                                   str(message.reason) if message.reason else None,
                                   str(message.layer) if message.layer else None)
        self.video_states[message.attendee_id] = event
        self._emit(event)

    async def tell_needs(self, tiles: list[TileNeed]) -> None:
        """Tell the server what each remote video needs (sent only when it changed; the videos
        paused for load are told as hidden, see ``needs_under_load``)."""
        self._needs = tuple(sorted(tiles, key=lambda tile: tile.attendee_id))
        if self.connection is not None:
            await self._send_needs()

    async def _send_needs(self) -> None:
        needs = needs_under_load(self._needs, self.paused, self.busy)
        if needs is None and self._needs_told:
            needs = ()  # the load's pauses are over and no tile ever said anything: any layer again
        if needs is not None and needs != self._needs_told:
            self._needs_told = needs
            try:
                await self._signalling.send(VideoNeeds(tiles=list(needs)))
            except ConnectionError:  # the socket is going (a drop, a leave): said again when back
                self._needs_told = None

    # --- the receive connection -------------------------------------------------------------

    async def _on_subscribe_offer(self, offer: SubscribeOffer) -> None:
        if self.connection is None:
            counted = None if self.decode_video else self._on_counted
            connection = self.connection = ReceiveConnection(self._on_track, on_counted=counted,
                                                             ice_addresses=self._route.addresses,
                                                             relays=self._route.relays)
            self._watch_media(connection.pc, lambda: connection is self.connection)
        self._account()
        self._tracks = {t.mid: t for t in offer.tracks}
        answer = await self.connection.answer(offer.sdp)
        self._sync_people()
        await self._signalling.send(SubscribeAnswer(sdp=answer))
        await self._send_needs()  # a new connection (after a reconnect): the server hears them again

    def _on_tracks_updated(self, message: TracksUpdated) -> None:
        self._account()
        self._tracks = {t.mid: t for t in message.tracks}
        self._sync_people()
        self._apply_pauses()

    def _sync_people(self) -> None:
        """Each person's voice and video played in step (media/lipsync.py): the receive
        connection hears who each section carries now."""
        if self.connection is not None:
            self.connection.sync_people({mid: info.attendee_id for mid, info in self._tracks.items()
                                         if info.attendee_id is not None})

    async def close(self) -> None:
        """Close the receive connection; a new offer opens another (and the server hears the
        tiles' needs again)."""
        self._account()
        self._audio_closed = self.audio_totals()
        self._seen = {}
        self.watchdog.reset()
        self._load_last = None
        connection, self.connection = self.connection, None
        self._tracks = {}
        self._needs_told = None
        if connection is not None:
            await connection.close()

    def carrier(self, mid: str) -> str | None:
        """Which attendee the media section ``mid`` carries now."""
        info = self._tracks.get(mid)
        return info.attendee_id if info else None

    # --- received frames ------------------------------------------------------------------------

    def use_speaker(self, speaker: Speaker | None) -> None:
        """Play remote voices on this speaker from now on."""
        self.speaker = speaker

    def expects_media(self, attendees: dict) -> bool:
        """Should packets be arriving? A section carries someone unmuted (``attendees``: the
        roster, id -> Participant), or a camera the server sends me (not paused for my link, not
        hidden, not paused on my side). Someone unmuted in the roster who publishes nothing (no
        microphone at all) is carried by no section, and expects nothing."""
        for info in self._tracks.values():
            who = attendees.get(info.attendee_id) if info.attendee_id is not None else None
            if who is None:
                continue
            if info.kind == "audio" and not who.muted:
                return True
            if info.kind == "video" and who.video and info.attendee_id not in self.paused:
                state = self.video_states.get(info.attendee_id)
                if state is None or (not state.paused and state.layer is not None):
                    return True
        return False

    def forget(self, attendee_id: str) -> None:
        """The attendee left: their voice is no longer mixed in."""
        self.video_states.pop(attendee_id, None)
        if self.speaker is not None:
            self.speaker.remove_source(attendee_id)

    def _on_track(self, mid: str, track: MediaStreamTrack) -> None:
        if self.decode_video:
            self._tasks.spawn(self._pump(mid, track))

    def _count_frame(self, attendee_id: str) -> None:
        self._frames_counted[attendee_id] = self._frames_counted.get(attendee_id, 0) + 1

    def _on_counted(self, mid: str, kind: str) -> None:
        """Light path: a frame arrived and was counted, not decoded."""
        attendee_id = self.carrier(mid)
        if attendee_id is None:
            return
        if kind == "video":
            self._count_frame(attendee_id)
            self._emit(VideoFrameReceived(attendee_id, None, False))
        else:
            self._heard(attendee_id)
            self._emit(AudioFrameReceived(attendee_id, None))

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
                self._count_frame(attendee_id)
                self._emit(VideoFrameReceived(attendee_id, frame, True))
            else:
                if self.speaker is not None:
                    self.speaker.play(attendee_id, frame)
                self._heard(attendee_id)
                self._emit(AudioFrameReceived(attendee_id, frame))

    # --- connection figures ---------------------------------------------------------------------

    async def stats_loop(self, reconnecting: Callable[[], bool]) -> None:
        """Sample every ``stats_interval`` seconds (not while ``reconnecting()``)."""
        while True:
            await asyncio.sleep(self.stats_interval)
            if reconnecting():
                self._sampler.reset()
                continue
            await self.sample_stats()

    def reset_stats(self) -> None:
        """New connections (after a reconnect): the figures' counters start again."""
        self._sampler.reset()

    async def sample_stats(self) -> LinkStats:
        """Read the connections' stats now: figures, frame rates per tile, and the alert."""
        stats = await self._sampler.sample(self._uplink.pc, self.connection.pc if self.connection else None)
        counted, self._frames_counted = self._frames_counted, {}
        self.frame_rates = {who: round(n / self.stats_interval, 1) for who, n in counted.items()}
        self.link_stats = stats
        self._emit(ConnectionStatsUpdated(stats, dict(self.frame_rates), link_quality(stats)))
        now = self._clock()
        alert = self.health.sample(stats.uplink_audio_loss, now, self._uplink.camera_on)
        if alert is not None:
            self._emit(alert)
        for alert in self.directions.sample(stats, now, self._uplink.camera_on, self.computer_busy()):
            self._emit(alert)
        return stats

    def computer_busy(self) -> bool:
        """This computer could not keep up lately: videos paused for load, or the loop late over
        the last stats interval (as the load governor reads it), step-down or not. What is
        received badly then is not blamed on the network (health.ReceivePoor.computer)."""
        return self.busy or self.loop_lag.p99_over(self.stats_interval) > self.governor.lag_overload_ms

    # --- what each video's receive path did -------------------------------------------------

    def _account(self) -> None:
        """Add what each video section did since last time to the person it carried."""
        if self.connection is None:
            return
        for mid, track in self.connection.video_tracks.items():
            now = track.stats
            delta = now - self._seen.get(mid, VideoReceiveStats())
            self._seen[mid] = now
            who = self.carrier(mid)
            if who is not None:
                self.video_stats[who] = self.video_stats.get(who, VideoReceiveStats()) + delta

    def audio_totals(self) -> dict[str, int]:
        """What the audio receive paths did (earlier connections included): packets decoded,
        rebuilt from FEC, and concealed (a share of voice lost)."""
        totals = dict(self._audio_closed)
        for track in (self.connection.audio_tracks.values() if self.connection else ()):
            stats = track.buffer.stats
            totals["decoded"] += stats.decoded
            totals["fec"] += stats.fec
            totals["concealed"] += stats.concealed
        return totals

    def video_totals(self) -> dict[str, VideoReceiveStats]:
        """Per remote person, what their video's receive path did so far."""
        self._account()
        return dict(self.video_stats)

    # --- the media and load watches ---------------------------------------------------------

    async def watch_loop(self, reconnecting: Callable[[], bool], interval: float = WATCH_INTERVAL) -> None:
        """Once a second: is media still coming, and can this computer keep up?"""
        while True:
            await asyncio.sleep(interval)
            if reconnecting():
                self.watchdog.reset()
                continue
            self.check_media()
            if self.step_down:
                self.check_load()

    def check_media(self) -> None:
        connection = self.connection
        if connection is None or not connection.connected:
            self.watchdog.reset()
            return
        action = self.watchdog.sample(self._clock(), connection.packets_received(), self._expecting())
        if action == STALLED:
            for track in connection.video_tracks.values():
                track.want_keyframe()
            self._emit(IncomingMediaStalled(repairing=False))
        elif action == REPAIR:
            self._emit(IncomingMediaStalled(repairing=True))
            self._repair()
        elif action == RESTORED:
            self._emit(IncomingMediaRestored())

    def measure_load(self) -> LoadSample:
        """The load since the last measurement: the loop's lag, decoding, pictures dropped."""
        tracks = list(self.connection.video_tracks.values()) if self.connection else []
        now = asyncio.get_running_loop().time()
        decode = sum(t.decode_seconds for t in tracks)
        decoded = sum(t.frames_decoded for t in tracks)
        superseded = sum(t.frames_superseded for t in tracks)
        last, self._load_last = self._load_last, (now, decode, decoded, superseded)
        if last is None or now <= last[0]:
            return LoadSample(self.loop_lag.recent_p99(), 0.0, 0.0)
        frames = decoded - last[2]
        return LoadSample(self.loop_lag.recent_p99(), (decode - last[1]) / (now - last[0]),
                          (superseded - last[3]) / frames if frames > 0 else 0.0)

    def check_load(self, sample: LoadSample | None = None) -> None:
        """Pause (or resume) videos as the governor decides from ``sample`` (measured if None)."""
        sample = sample if sample is not None else self.measure_load()
        videos = [who for mid in (self.connection.video_tracks if self.connection else ())
                  if (who := self.carrier(mid)) is not None]
        decision = self.governor.sample(self._clock(), sample, self._priorities(videos))
        paused = {who: PAUSED_FOR_LOAD for who in decision.paused}
        for who in set(self.paused) | set(paused):
            if self.paused.get(who) != paused.get(who):
                self._emit(VideoPaused(who, paused.get(who)))
        changed = paused != self.paused or decision.busy != self.busy
        self.paused = paused
        self._apply_pauses()
        if decision.busy != self.busy:
            self.busy = decision.busy
            self._emit(ComputerBusy(decision.busy))
        if changed and self.connection is not None:
            self._tasks.spawn(self._send_needs())  # the server sends what is shown, no more

    def _apply_pauses(self) -> None:
        if self.connection is None:
            return
        for mid, track in self.connection.video_tracks.items():
            track.set_paused(self.carrier(mid) in self.paused)
