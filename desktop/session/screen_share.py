"""Sharing my screen: a second signalling socket and publish connection, as ``ME#content``.

Like Chime's content share, a share joins the meeting as an attendee of its own. It needs its
owner in the meeting (the same join token), only publishes video, never receives, and ends
when its source ends, its owner leaves, or a host stops it. The server runs at most 2 at once
and refuses a third with ``content_share_unavailable``. No Qt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiortc import MediaStreamTrack

from wire import (
    CONTENT_SUFFIX,
    Join,
    Joined,
    Leave,
    MeetingEnded,
    Message,
    ProtocolError,
    Publish,
    PublishAnswer,
    ShareEnd,
    content_attendee_id,
    content_owner,
)

__all__ = ["CONTENT_SUFFIX", "ScreenShare", "ShareRefused", "content_attendee_id", "content_owner"]

from ..media.ice import IceRoute
from ..media.peers import PublishConnection
from ..media.sender_track import SenderTrack
from ..signalling.client import JoinUrl, SignallingClient
from ..signalling.tls import TrustStore
from ..tasks import TaskOwner
from .volume import VOLUME_INTERVAL, VolumeReporter

logger = logging.getLogger(__name__)


class ShareRefused(Exception):
    """The share did not start: ``reason`` is a stable code (``content_share_unavailable``,
    ``missing_capability``, ``connection_failed`` ...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class ScreenShare:
    """One running share of ``track``; ``on_ended(reason)`` once, when it stops for any reason
    (``stopped``: we stopped it; ``source_ended``; ``removed``: a host stopped it; or the
    meeting's end reason)."""

    def __init__(self, url: JoinUrl, track: MediaStreamTrack, on_ended: Callable[[str], None],
                 audio: MediaStreamTrack | None = None, level: Callable[[], float] | None = None, *,
                 trust: TrustStore) -> None:
        """``audio``: the share's sound (a video file's), whose ``level()`` (RMS 0..1) is sent as
        the share's volume indicator; ``trust``: the certificates the user trusted."""
        self.url = url
        self.track = track
        self.audio = audio
        self.level = level
        self.attendee_id: str | None = None
        self.end_reason: str | None = None
        self._on_ended = on_ended
        self._signalling = SignallingClient(url.websocket_url, self._on_message, trust=trust)
        self._publish: PublishConnection | None = None
        self._tasks = TaskOwner("screen share")

    async def start(self) -> None:
        """Join as content and publish; raises ShareRefused when the server says no."""
        try:
            await self._signalling.connect()
            joined = await self._signalling.request(
                Join(meeting_id=self.url.meeting_id, token=self.url.token, content=True))
            assert isinstance(joined, Joined)
            self.attendee_id = joined.attendee.attendee_id
            # the capture outlives this connection (a share resumed after a reconnect); whoever
            # ends the share for good stops it
            audio = SenderTrack(self.audio) if self.audio is not None else None
            route = IceRoute.for_host(self.url.host)
            route.use(joined.ice_servers)  # the share's own TURN credentials
            self._publish = PublishConnection(audio, SenderTrack(self.track), audio=audio is not None, video=True,
                                              ice_addresses=route.addresses, relays=route.relays)
            answer = await self._signalling.request(
                Publish(sdp=await self._publish.offer(), audio=audio is not None))
            assert isinstance(answer, PublishAnswer)
            await self._publish.accept(answer.sdp)
            self._publish.send_camera(True)
        except ProtocolError as exc:
            await self._close()
            raise ShareRefused(exc.code, exc.message) from None
        except (ConnectionError, OSError, asyncio.TimeoutError) as exc:
            await self._close()
            raise ShareRefused(ShareEnd.CONNECTION_FAILED, str(exc) or type(exc).__name__) from None
        except BaseException:
            await self._close()
            raise
        self.track.on("ended", self._source_ended)
        self._tasks.spawn(self._watch_socket())
        if self.audio is not None and self.level is not None:
            self._tasks.spawn(self._send_volume())

    async def _send_volume(self) -> None:
        """The share's sound level, about 5 times a second while it changes (as a microphone's)."""
        reporter = VolumeReporter()
        while self.end_reason is None:
            await asyncio.sleep(VOLUME_INTERVAL)
            await reporter.report(self._signalling.send, self.level() if self.level else 0.0)

    async def stop(self, reason: str = ShareEnd.STOPPED) -> None:
        if self.end_reason is not None:
            return
        self.end_reason = reason
        try:
            await self._signalling.send(Leave())
        except (ConnectionError, RuntimeError):
            pass
        await self._close()
        self._on_ended(reason)

    def _source_ended(self) -> None:
        if self.end_reason is None:
            self._tasks.spawn(self.stop(ShareEnd.SOURCE_ENDED))

    def _on_message(self, message: Message) -> None:
        if isinstance(message, MeetingEnded) and self.end_reason is None:
            # a host stopped the share, our owner connection left, or the meeting ended
            self._tasks.spawn(self.stop(message.reason))

    async def _watch_socket(self) -> None:
        await self._signalling.closed.wait()
        await asyncio.sleep(0)  # a meeting_ended that came with the close is handled first
        if self.end_reason is None:
            await self.stop(ShareEnd.CONNECTION_LOST)

    async def _close(self) -> None:
        await self._tasks.close()
        await self._signalling.close()
        if self._publish is not None:
            await self._publish.close()
            self._publish = None
