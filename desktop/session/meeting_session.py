"""MeetingSession: one meeting as the user lives it. No Qt.

A thin front over the session's parts, each in its own module:

- ``link.MeetingLink``: joining, the signalling socket, coming back after a drop;
- ``roster.Roster``: me, the others, my capabilities, volumes, who is talking, the timer;
- ``publishing.Publisher``: my microphone and camera, mute, my volume indicator;
- ``remote_media.RemoteMedia``: what I receive, which section carries whom, the figures;
- ``sharing.Sharing`` (``screen_sharing``): my screen or file share, and whether I could share now;
- ``conversation.Conversation``: chat, raised hands, reactions.

The server's messages reach the part that handles them through one table (``dispatch``);
every background task belongs to one :class:`~desktop.tasks.TaskOwner`, closed when
the session ends. Everything the user lives through is a past-tense event
(session/events.py). The desktop app and ``parley-bot`` are two front-ends over it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiortc import MediaStreamTrack

from wire import (
    REACTIONS,  # noqa: F401  (the UI's reaction menu reads it from here)
    Capability,
    ChatInfo,
    EndMeeting,
    EndReason,
    Error,
    ErrorCode,
    Joined,
    Leave,
    MeetingEnded,
    MeetingInfo,
    Moderate,
    ModerationAction,
    ProtocolError,
    VolumeInfo,
)

from ..media.ice import IceRoute
from ..media.stats import LinkStats
from ..signalling.client import JoinUrl
from ..signalling.tls import TrustStore, UntrustedCertificate
from .conversation import Conversation
from .dispatch import MessageTable
from .events import EventEmitter, MeetingLeft, Reconnected
from .health import ConnectionHealthPolicy
from .link import MEDIA_CONNECT_SECONDS, RECONNECT_BUDGET, JoinFailed, MeetingLink
from .load_governor import by_priority
from .participant import Participant
from .ports import Speaker
from .publishing import Publisher
from .reasons import JoinProblem
from .remote_media import STATS_INTERVAL, RemoteMedia
from .roster import Roster
from .screen_share import ScreenShare, content_owner
from .sharing import Sharing
from ..tasks import TaskOwner
from .timer import SessionTimer
from .volume import VOLUME_INTERVAL

__all__ = ["JoinFailed", "JoinUrl", "MeetingSession", "REACTIONS", "Speaker"]


def is_share(attendee_id: str) -> bool:
    return content_owner(attendee_id) is not None


class MeetingSession(EventEmitter):
    """One meeting: ``join()``, then what the user does, and ``leave()``; events tell the rest.

    Its parts are public for those who need more than the front-ends do: ``link``,
    ``roster``, ``publisher``, ``remote``, ``screen_sharing``, ``conversation``."""

    def __init__(
        self,
        join_url: str,
        *,
        trust: TrustStore,
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
        media_connect_seconds: float = MEDIA_CONNECT_SECONDS,
        ice_addresses: tuple[str, ...] | None = None,
        step_down: bool = False,
    ) -> None:
        """``trust``: the certificates the user trusted (the composition root's trust store);
        ``camera_on`` / ``muted``: how to start (the devices may be swapped later);
        ``speaker``: where remote voices are played (anything with ``play(source_id, frame)``
        and ``remove_source(source_id)``); ``volume_source``: the microphone's current RMS
        level 0..1, sent to the others as this attendee's volume indicator; ``clock``: wall
        time for the session timer's countdown (tests move it); ``reconnect``: when the
        connection drops, keep the meeting and come back as the same attendee (for up to
        ``reconnect_budget`` seconds) instead of ending with ``connection_lost``;
        ``media_connect_seconds``: a media connection not connected this long has failed (a
        few joins in a row like that end the session with ``media_blocked``); ``ice_addresses``:
        the host addresses the media connections offer (None: media/ice.py's choice for the
        server's host; parley-bot's ``--ice-address``, inside a network namespace); ``step_down``:
        pause the videos this computer cannot keep up with (session/load_governor.py)."""
        super().__init__()
        self.url = JoinUrl(join_url)
        self.end_reason: str | None = None
        self.ended = asyncio.Event()
        self._closed = False
        self._tasks = TaskOwner("session")
        table = MessageTable()
        #: the host addresses and TURN relays every media connection gathers with; the link
        #: renews the relays' credentials at every join
        self.route = IceRoute(ice_addresses) if ice_addresses is not None else IceRoute.for_host(self.url.host)
        self.link = MeetingLink(self.url, name, trust=trust, owner=self, table=table, tasks=self._tasks,
                                emit=self.emit, reconnect=reconnect, reconnect_budget=reconnect_budget,
                                route=self.route, media_connect_seconds=media_connect_seconds)
        self.roster = Roster(self.emit, clock, on_changed=lambda: self.screen_sharing.check_available(),
                             on_departed=lambda attendee_id: self.remote.forget(attendee_id),
                             on_me_updated=lambda me: self.publisher.on_me_updated(me))
        self.publisher = Publisher(
            self.link, self, self._tasks, self.emit, clock, watch_media=self.link.watch_media,
            microphone=microphone, camera=camera, camera_on=camera_on, muted=muted,
            retry_camera_when_free=retry_camera_when_free, volume_source=volume_source,
            route=self.route, server_layers=lambda: self.roster.video_layers)
        self.remote = RemoteMedia(
            self.link, self.publisher, self._tasks, self.emit, clock, watch_media=self.link.watch_media,
            heard=self.roster.heard, speaker=speaker, decode_video=decode_video, stats_interval=stats_interval,
            route=self.route, expecting=lambda: self.remote.expects_media(self.roster.attendees), repair=self.link.connection_lost,
            priorities=lambda videos: by_priority(videos, self.roster.active_speakers, is_share),
            step_down=step_down)
        self.screen_sharing = Sharing(self.url, trust, self, self._tasks, self.emit)
        self.conversation = Conversation(self.link, self.emit)
        for part in (self.roster, self.publisher, self.remote, self.conversation):
            part.register(table)
        table.register(Error, self._on_error)
        table.register(MeetingEnded, self._on_meeting_ended)

    # --- lifecycle ------------------------------------------------------------------------

    async def join(self) -> Joined:
        """Connect, join, and start publishing; returns the server's welcome.

        Raises JoinFailed with the reason when the server refuses or cannot be reached."""
        try:
            joined = await self.link.connect()
            self.roster.welcome(joined)
            # Only now handle what came after the welcome, so nobody is lost from the roster.
            self.link.start()
            self._tasks.spawn(self._volume_loop())
            self._tasks.spawn(self.remote.stats_loop(lambda: self.link.reconnecting))
            self._tasks.spawn(self.remote.watch_loop(lambda: self.link.reconnecting))
            self._tasks.spawn(self.remote.loop_lag.run())
            await self.start_media()
        except ProtocolError as exc:
            await self._shutdown()
            raise JoinFailed(exc.code, exc.message) from None
        except UntrustedCertificate as exc:  # before ConnectionError, which it is
            await self._shutdown()
            raise JoinFailed(JoinProblem.UNTRUSTED_CERTIFICATE, exc.reason, exc) from None
        except (ConnectionError, OSError, asyncio.TimeoutError, aiohttp.ClientError) as exc:
            await self._shutdown()
            if self.link.ended_by_server is not None:  # the meeting ended while we were setting up
                raise JoinFailed(self.link.ended_by_server, "the meeting ended while joining") from None
            raise JoinFailed(JoinProblem.CONNECTION_FAILED, str(exc) or type(exc).__name__) from None
        except BaseException:
            await self._shutdown()
            raise
        if self.ended.is_set():  # the meeting ended while we were still setting up
            raise JoinFailed(self.end_reason or EndReason.CONNECTION_LOST, "the meeting ended while joining")
        return joined

    async def start_media(self) -> None:
        """Publish what my role may send (the link calls it again after a reconnect)."""
        await self.publisher.start()

    async def leave(self, reason: str = EndReason.LEFT) -> None:
        """Leave the meeting; ``reason`` is ``left``, or ``idle`` when nobody answered."""
        if self._closed:
            return
        try:
            await self.link.send(Leave(reason=reason))
        except (ConnectionError, RuntimeError):
            pass
        await self._finish(reason)

    @property
    def closed(self) -> bool:
        """The session is over (or never got in): nothing new starts."""
        return self._closed

    async def _finish(self, reason: str) -> None:
        if self.ended.is_set():
            return  # already finished (leave() and meeting_ended can cross)
        if self.end_reason is None:
            self.end_reason = reason
        await self._shutdown()
        if self.ended.is_set():
            return  # another end (the link's, the server's) finished it while this one shut down
        self.ended.set()
        self.emit(MeetingLeft(self.end_reason))

    async def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.screen_sharing.close(self.end_reason or EndReason.LEFT)
        await self._tasks.close()
        await self.link.close()
        await self.publisher.close()
        await self.remote.close()

    def _on_error(self, message: Error) -> None:
        if message.code == ErrorCode.ALREADY_JOINED:
            self.end_reason = EndReason.REPLACED  # we joined from another connection; this one closes

    def _on_meeting_ended(self, message: MeetingEnded) -> None:
        self.end_reason = message.reason
        self._tasks.spawn(self._finish(message.reason))

    async def _volume_loop(self) -> None:
        """5 times a second: send my volume when it changed, count down, rank who is talking."""
        while True:
            await asyncio.sleep(VOLUME_INTERVAL)
            await self.publisher.report_volume()
            self.tick_timer()
            self.roster.rank_speakers()
            self.roster.expire_missing()

    # --- what the link tells (LinkOwner) -------------------------------------------------------

    def on_link_rejoined(self, joined: Joined) -> None:
        self.roster.rewelcome(joined, server_restarted=self.link.server_restarted)

    async def on_link_dropped(self) -> None:
        await self.publisher.close()
        await self.remote.close()

    async def on_link_back(self, seconds: float) -> None:
        self.remote.reset_stats()
        self.emit(Reconnected(seconds))
        if self.roster.hand_lost:  # a restarted server forgot my raised hand: raise it again
            self.roster.hand_lost = False
            await self.raise_hand(True)
        await self.screen_sharing.resume()

    async def on_link_lost(self, reason: str) -> None:
        await self._finish(reason)

    @property
    def reconnect(self) -> bool:
        """Come back as the same attendee after a drop (else end with ``connection_lost``)."""
        return self.link.reconnect

    @reconnect.setter
    def reconnect(self, value: bool) -> None:
        self.link.reconnect = value

    @property
    def reconnecting(self) -> bool:
        return self.link.reconnecting

    @property
    def reconnects(self) -> int:
        """How many times the session came back after a drop."""
        return self.link.reconnects

    @property
    def connected(self) -> bool:
        return self.link.connected

    # --- the roster -------------------------------------------------------------------------------

    @property
    def me(self) -> Participant | None:
        return self.roster.me

    @property
    def attendees(self) -> dict[str, Participant]:
        """Everyone in the meeting but me, by attendee id."""
        return self.roster.attendees

    @property
    def capabilities(self) -> tuple[str, ...]:
        return self.roster.capabilities

    @property
    def meeting(self) -> MeetingInfo | None:
        return self.roster.meeting

    @property
    def volumes(self) -> dict[str, VolumeInfo]:
        return self.roster.volumes

    @property
    def active_speakers(self) -> tuple[str, ...]:
        """Who is talking, most active first."""
        return self.roster.active_speakers

    @property
    def mute_locked(self) -> bool:
        """A host muted us and has not allowed unmuting yet."""
        return self.roster.mute_locked

    @property
    def hand_raised(self) -> bool:
        return self.roster.hand_raised

    def hands(self) -> list[Participant]:
        """Everyone with a hand up (me included), in the order the hands went up."""
        return self.roster.hands()

    @property
    def timer(self) -> SessionTimer:
        """The countdown to the meeting's end (events: TimerChanged, TimeWarning, TimeUp)."""
        return self.roster.timer

    def tick_timer(self) -> None:
        """Emit the timer's warning and time's-up when due (the volume loop calls this 5 times a
        second; a UI may call it too)."""
        self.roster.tick_timer()

    @property
    def can_extend(self) -> bool:
        return self.roster.may(Capability.CHANGE_MAX_DURATION)

    async def extend(self, seconds: float) -> None:
        """Add ``seconds`` to the meeting's timer (needs ``change-max-duration``); everyone's
        countdown moves when the server says so. Raises ProtocolError when refused."""
        await self.roster.extend(seconds, self.link.update_settings)

    async def moderate(self, attendee_id: str, action: ModerationAction | str) -> None:
        """Host controls: ``mute`` (locks their unmute), ``allow_unmute``, ``remove``,
        ``lower_hand``. Raises ProtocolError ``missing_capability`` when our role may not."""
        await self.link.request(Moderate(attendee_id=attendee_id, action=ModerationAction(action)))

    async def end_meeting(self) -> None:
        """End the meeting for everyone (needs ``end-call``); ends this session too."""
        await self.link.send(EndMeeting())

    # --- what I send --------------------------------------------------------------------------

    @property
    def camera(self) -> MediaStreamTrack | None:
        return self.publisher.camera

    @property
    def camera_on(self) -> bool:
        return self.publisher.camera_on

    @property
    def wants_camera(self) -> bool:
        """The user wants the camera on (it may wait for a free video slot)."""
        return self.publisher.wants_camera

    @property
    def muted(self) -> bool:
        return self.publisher.muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self.publisher.muted = value

    async def set_muted(self, muted: bool) -> None:
        await self.publisher.set_muted(muted)

    async def set_camera(self, on: bool) -> bool:
        """Turn the camera on or off; False when the meeting has no free video slot."""
        return await self.publisher.set_camera(on)

    def use_camera(self, track: MediaStreamTrack | None) -> None:
        """Send this camera from now on (a device switch); None: no camera device."""
        self.publisher.use_camera(track)

    def use_microphone(self, track: MediaStreamTrack | None) -> None:
        """Send this microphone from now on (a device switch)."""
        self.publisher.use_microphone(track)

    def check_muted_speech(self, level: float) -> None:
        """While muted, speech for a second emits SpeakingWhileMuted (at most once a minute)."""
        self.publisher.check_muted_speech(level)

    # --- what I receive -----------------------------------------------------------------------

    def use_speaker(self, speaker: Speaker | None) -> None:
        """Play remote voices on this speaker from now on."""
        self.remote.use_speaker(speaker)

    @property
    def stats_interval(self) -> float:
        """Connection figures are sampled this often (seconds)."""
        return self.remote.stats_interval

    @stats_interval.setter
    def stats_interval(self, value: float) -> None:
        self.remote.stats_interval = value

    @property
    def link_stats(self) -> LinkStats:
        return self.remote.link_stats

    @property
    def health(self) -> ConnectionHealthPolicy:
        return self.remote.health

    # --- sharing ------------------------------------------------------------------------------

    @property
    def screen_share(self) -> ScreenShare | None:
        return self.screen_sharing.screen_share

    @property
    def file_source(self) -> Any:
        """The video file being shared (pause/resume), if any."""
        return self.screen_sharing.file_source

    @property
    def file_error(self) -> str | None:
        return self.screen_sharing.file_error

    @property
    def shares(self) -> list[Participant]:
        """The screen shares running in the meeting (others' and mine)."""
        return self.roster.shares

    @property
    def sharing(self) -> bool:
        """My screen (or a file) is shared."""
        return self.screen_sharing.sharing

    @property
    def share_available(self) -> bool:
        """I could start sharing now: the meeting runs fewer than 2 shares (or one is mine)."""
        return self.screen_sharing.available

    async def share_screen(self, track: MediaStreamTrack, audio: MediaStreamTrack | None = None,
                           level: Callable[[], float] | None = None) -> str:
        """Share ``track`` as ``ME#content``; ``"published"`` or the refusal code (sharing.py)."""
        return await self.screen_sharing.share_screen(track, audio, level)

    async def share_file(self, path: str, loop: bool = False) -> str:
        """Share a video file; ``"published"``, the refusal code, or ``"bad_file"`` (sharing.py)."""
        return await self.screen_sharing.share_file(path, loop)

    async def stop_screen_share(self) -> None:
        await self.screen_sharing.stop()

    # --- chat, hands, reactions -----------------------------------------------------------------

    @property
    def chat(self) -> list[ChatInfo]:
        """The chat as I may read it, oldest first."""
        return self.conversation.chat

    async def send_chat(self, text: str, to: str | None = None) -> ChatInfo:
        """Say ``text`` to everyone, or privately ``to`` one attendee. Raises ProtocolError."""
        return await self.conversation.send_chat(text, to)

    async def raise_hand(self, raised: bool = True) -> None:
        await self.conversation.raise_hand(raised)

    async def react(self, emoji: str) -> None:
        await self.conversation.react(emoji)
