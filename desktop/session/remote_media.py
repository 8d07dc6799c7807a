"""What I receive: the receive connection, which media section carries whom, the pumps that take
received frames to the speaker and the screen, and the connection figures. No Qt.

The server offers what I may receive (``subscribe_offer``) and says which attendee each media
section (``mid``) carries (the offer's tracks, then ``tracks_updated``); a section may carry
someone else later. Received audio goes to the :class:`Speaker`; every frame is also an event
(VideoFrameReceived, AudioFrameReceived). On the light path (no decoding, for bots) frames are
only counted. Every ``stats_interval`` seconds both connections' figures are sampled
(ConnectionStatsUpdated), with the poor-connection alert drawn from them (ConnectionPoor).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from aiortc import MediaStreamError, MediaStreamTrack

from wire import SubscribeAnswer, SubscribeOffer, TrackInfo, TracksUpdated

from ..media.ice import IceRoute
from ..media.peers import ReceiveConnection
from ..media.stats import LinkStats, StatsSampler
from .dispatch import MessageTable
from .events import AudioFrameReceived, ConnectionStatsUpdated, VideoFrameReceived
from .health import ConnectionHealthPolicy, quality
from .ports import Signalling, Speaker
from ..tasks import TaskOwner

STATS_INTERVAL = 2.0  # connection figures are sampled this often (seconds)


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
                 route: IceRoute | None = None) -> None:
        """``heard(attendee_id)``: sound arrived from them (who is talking);
        ``decode_video``: False is the light path (frames counted, not decoded);
        ``route``: the host candidates to offer and the TURN relays to gather from
        (media/ice.py)."""
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

    def register(self, table: MessageTable) -> None:
        table.register(SubscribeOffer, self._on_subscribe_offer)
        table.register(TracksUpdated, self._on_tracks_updated)

    # --- the receive connection -------------------------------------------------------------

    async def _on_subscribe_offer(self, offer: SubscribeOffer) -> None:
        if self.connection is None:
            counted = None if self.decode_video else self._on_counted
            connection = self.connection = ReceiveConnection(self._on_track, on_counted=counted,
                                                             ice_addresses=self._route.addresses,
                                                             relays=self._route.relays)
            self._watch_media(connection.pc, lambda: connection is self.connection)
        self._tracks = {t.mid: t for t in offer.tracks}
        answer = await self.connection.answer(offer.sdp)
        await self._signalling.send(SubscribeAnswer(sdp=answer))

    def _on_tracks_updated(self, message: TracksUpdated) -> None:
        self._tracks = {t.mid: t for t in message.tracks}

    async def close(self) -> None:
        """Close the receive connection; a new offer opens another."""
        connection, self.connection = self.connection, None
        self._tracks = {}
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

    def forget(self, attendee_id: str) -> None:
        """The attendee left: their voice is no longer mixed in."""
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
        self._emit(ConnectionStatsUpdated(stats, dict(self.frame_rates), quality(stats.uplink_audio_loss)))
        alert = self.health.sample(stats.uplink_audio_loss, self._clock(), self._uplink.camera_on)
        if alert is not None:
            self._emit(alert)
        return stats
