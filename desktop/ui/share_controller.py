"""ShareController: my screen, window or video file shared in one call.

It opens the picker, starts the share through the session, keeps the Share button and the
sharing bar true to what the session says (mine running, two others sharing, the platform
unable to), and tells the user why a share stopped or was refused. One per call, made and
dropped by the CallController.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QObject

from ..media.screens import ScreenCatalog, ScreenSource
from ..session import EndReason, ShareEnd
from ..session.meeting_session import MeetingSession
from ..session.reasons import describe_share
from .bridge import SessionBridge
from .call_window import CallWindow
from .i18n import FILE_SHARE, REASONS, SCREEN_SHARING, translator
from .screen_picker import ScreenPicker
from ..tasks import TaskOwner

logger = logging.getLogger(__name__)

#: share outcomes the user caused or expects, said nothing about
QUIET_ENDS = (ShareEnd.STOPPED, EndReason.REPLACED, EndReason.LEFT)


class ShareController(QObject):
    def __init__(self, session: MeetingSession, call: CallWindow, bridge: SessionBridge,
                 screens: ScreenCatalog | None, tasks: TaskOwner) -> None:
        """``screens``: what can be shared (None: sharing is not offered)."""
        super().__init__(call)
        self.session = session
        self.call = call
        self.screens = screens
        self.tasks = tasks
        self.picker: ScreenPicker | None = None
        self._shared_what: str | None = None  # the window's or file's name; None: "your screen"
        call.share_requested.connect(self.open_picker)
        call.stop_share_requested.connect(lambda: tasks.spawn(session.stop_screen_share()))
        call.sharing_bar.pause_toggled.connect(self._pause_toggled)
        bridge.share_started.connect(lambda _id: self._on_share_changed(True))
        bridge.share_stopped.connect(self._on_share_stopped)
        bridge.share_refused.connect(self._on_share_refused)
        bridge.share_available.connect(lambda _available: self.sync_button())

    @property
    def offered(self) -> bool:
        """Whether this computer can share at all (the button is shown for those allowed to)."""
        return self.screens is not None

    def open_picker(self) -> None:
        if self.screens is None:
            return
        if self.picker is not None:
            self.picker.deleteLater()
        picker = self.picker = ScreenPicker(self.screens, self.call)
        picker.chosen.connect(lambda source: self.tasks.spawn(self.share(source)))
        picker.file_chosen.connect(lambda path: self.tasks.spawn(self.share_file(path)))
        picker.open()  # window-modal, no nested event loop

    def share_first_screen(self) -> None:
        """--share-screen: share the first screen at once (or say there is none)."""
        sources = self.screens.sources() if self.screens and not self.screens.unavailable_reason() else []
        if sources:
            self.tasks.spawn(self.share(sources[0]))
        else:
            self.call.show_notice(self.tr("There is no screen to share here."))

    async def share(self, source: ScreenSource) -> str:
        """Share ``source``: "published", or why not (the user is told)."""
        if self.screens is None:
            return ShareEnd.NOT_JOINED
        try:
            track = self.screens.open(source)
        except Exception as exc:
            logger.warning("could not capture %s: %s", source.name, exc)
            self.call.show_notice(self.tr("Could not share {name}: {error}").format(name=source.name, error=exc))
            return ShareEnd.SOURCE_ENDED
        self._shared_what = None if source.kind == "screen" else source.name
        return await self.session.share_screen(track)

    async def share_file(self, path: str) -> str:
        """Share a video file: its picture and sound, as content."""
        session = self.session
        self._shared_what = os.path.basename(path)
        result = await session.share_file(path)
        if result == "bad_file":
            self.call.show_notice(self.tr("Cannot share {name}: {error}").format(
                name=os.path.basename(path), error=translator(FILE_SHARE)(session.file_error or "")))
        return result

    def _pause_toggled(self, paused: bool) -> None:
        source = self.session.file_source
        if source is not None:
            source.pause() if paused else source.resume()

    def sync_button(self) -> None:
        """The Share button: enabled, or disabled saying why (two others share, or the platform
        cannot)."""
        why = self.screens.unavailable_reason() if self.screens is not None else None
        if why is None and not self.session.share_available:
            names = [a.name.removesuffix(" (screen)") for a in self.session.shares]
            why = (self.tr("{first} and {second} are sharing; you can share when one stops").format(
                first=names[0], second=names[1]) if len(names) >= 2
                else self.tr("Two people are sharing; you can share when one stops"))
        elif why is not None:
            why = translator(SCREEN_SHARING)(why)
        self.call.set_share_unavailable(why)

    def _on_share_changed(self, sharing: bool) -> None:
        self.call.set_sharing(sharing, self._shared_what, file=self.session.file_source is not None)
        self.sync_button()

    def _on_share_stopped(self, reason: str) -> None:
        self._on_share_changed(False)
        if reason not in QUIET_ENDS:
            self.call.show_notice(describe_share(reason, translator(REASONS)))

    def _on_share_refused(self, reason: str, message: str) -> None:
        self.sync_button()
        self.call.show_notice(describe_share(reason, translator(REASONS)))

    def close(self) -> None:
        """The call is over: the picker goes with it."""
        if self.picker is not None:
            self.picker.close()
            self.picker.deleteLater()
            self.picker = None
