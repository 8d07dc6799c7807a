"""My screen or video-file share, from start to end, and whether I could share now. No Qt.

A share runs as its own attendee (``ME#content``, see screen_share.py). The meeting runs at
most 2 shares, so sharing is available while fewer run, or while one of them is mine
(ShareAvailabilityChanged says when that changes). A share the network stopped (not the user)
is shared again, with the same capture, once the session is back in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from aiortc import MediaStreamTrack

from wire import MAX_SCREEN_SHARES, EndReason, ErrorCode, ShareEnd

from ..signalling.client import JoinUrl
from ..signalling.tls import TrustStore
from ..translatable import QT_TRANSLATE_NOOP
from .events import ScreenShareRefused, ScreenShareStarted, ScreenShareStopped, ShareAvailabilityChanged
from .participant import Participant
from .screen_share import ScreenShare, ShareRefused
from ..tasks import TaskOwner

logger = logging.getLogger(__name__)

#: share_screen's and share_file's result when the share runs (else the refusal code)
PUBLISHED = "published"
#: share_file's result when the file cannot be shared (``Sharing.file_error`` says why)
BAD_FILE = "bad_file"

#: A share that ended for one of these reasons is shared again once the session is back in.
RESUMABLE = frozenset({ShareEnd.CONNECTION_LOST, EndReason.DISCONNECTED, ErrorCode.SERVER_RESTARTING})


class SharingContext(Protocol):
    """What sharing reads from the session above it."""

    @property
    def closed(self) -> bool: ...

    @property
    def me(self) -> Participant | None: ...

    @property
    def end_reason(self) -> str | None: ...

    @property
    def shares(self) -> list[Participant]: ...

    @property
    def reconnect(self) -> bool: ...

    @property
    def reconnecting(self) -> bool: ...

    @property
    def connected(self) -> bool: ...


class Sharing:
    def __init__(self, url: JoinUrl, trust: TrustStore, context: SharingContext, tasks: TaskOwner,
                 emit: Callable[[object], None]) -> None:
        """``url``, ``trust``: where a share joins (with my join token) and whose certificates it
        accepts."""
        self._url = url
        self._trust = trust
        self._context = context
        self._tasks = tasks
        self._emit = emit
        self.screen_share: ScreenShare | None = None
        self.file_source: Any = None  # the video file being shared (pause/resume), if any
        self.file_error: str | None = None
        self._to_resume: tuple[MediaStreamTrack, MediaStreamTrack | None, Callable[[], float] | None] | None = None
        self._available = True

    @property
    def sharing(self) -> bool:
        return self.screen_share is not None

    @property
    def available(self) -> bool:
        """I could start sharing now: the meeting runs fewer than 2 shares (or one is mine)."""
        return self.sharing or len(self._context.shares) < MAX_SCREEN_SHARES

    def check_available(self) -> None:
        """ShareAvailabilityChanged when whether I could share changed."""
        available = self.available
        if available != self._available:
            self._available = available
            self._emit(ShareAvailabilityChanged(available))

    async def share_file(self, path: str, loop: bool = False) -> str:
        """Share a video file (picture and sound) as content, paced in real time; ends at the
        file's end (unless ``loop``) or when stopped. Returns ``"published"``, the refusal code,
        or ``"bad_file"`` (``file_error`` says why)."""
        from ..media.file_share.decoder import FileShareError
        from ..media.file_share.source import FileSource

        self.file_error = None
        try:
            source = await FileSource.open(path, loop=loop)
        except FileShareError as exc:
            self.file_error = exc.message
            return BAD_FILE
        if source.video is None:
            await source.aclose()
            self.file_error = QT_TRANSLATE_NOOP("FileShare", "this file has no picture to share")
            return BAD_FILE
        self.file_source = source
        result = await self.share_screen(source.video, audio=source.audio, level=lambda: source.level)
        if result != PUBLISHED:
            await source.aclose()
            self.file_source = None
        return result

    async def share_screen(self, track: MediaStreamTrack, audio: MediaStreamTrack | None = None,
                           level: Callable[[], float] | None = None) -> str:
        """Share ``track`` (a screen or window capture) as ``ME#content``, replacing my running
        share. Returns ``"published"`` or the refusal code (``content_share_unavailable`` when
        two others share). Sharing owns ``track`` from now on and stops it when the share
        ends."""
        context = self._context
        if context.closed or context.me is None:
            track.stop()
            return ShareEnd.NOT_JOINED
        if self.screen_share is not None:
            await self.screen_share.stop(EndReason.REPLACED)
        share = ScreenShare(self._url, track, lambda reason: self._ended(share, reason), audio=audio,
                            level=level, trust=self._trust)
        try:
            await share.start()
        except ShareRefused as exc:
            track.stop()
            self._emit(ScreenShareRefused(exc.reason, exc.message))
            return exc.reason
        if context.closed:  # the meeting ended while the share started
            await share.stop(context.end_reason or EndReason.LEFT)
            return context.end_reason or EndReason.LEFT
        self.screen_share = share
        assert share.attendee_id is not None
        self._emit(ScreenShareStarted(share.attendee_id))
        self.check_available()
        return PUBLISHED

    async def stop(self) -> None:
        """Stop my share (ScreenShareStopped ``stopped``)."""
        if self.screen_share is not None:
            await self.screen_share.stop(ShareEnd.STOPPED)

    def _ended(self, share: ScreenShare, reason: str) -> None:
        context = self._context
        if reason in RESUMABLE and self.screen_share is share and not context.closed and context.reconnect:
            # the network, not the user, stopped it: share the same capture again once back
            self.screen_share = None
            self._to_resume = (share.track, share.audio, share.level)
            if not context.reconnecting and context.connected:
                self._to_resume = None
                self._tasks.spawn(self.share_screen(share.track, share.audio, share.level))
            return
        share.track.stop()
        if share.audio is not None:
            share.audio.stop()
        source, self.file_source = self.file_source, None
        if source is not None:
            source.close()
        if self.screen_share is share:
            self.screen_share = None
            self._emit(ScreenShareStopped(reason))
            self.check_available()

    async def resume(self) -> None:
        """Share again what the network stopped (after a reconnect), if its capture still runs."""
        resume, self._to_resume = self._to_resume, None
        if resume is not None and resume[0].readyState == "live":
            await self.share_screen(*resume)

    async def close(self, reason: str) -> None:
        """The session ends (``reason``): stop my share, and a capture waiting to be shared again."""
        if self.screen_share is not None:
            await self.screen_share.stop(reason)
        if self._to_resume is not None:
            self._to_resume[0].stop()
            self._to_resume = None
