"""AppFlow: which window the user is in — start, lobby, call — and what moves them on.

It shows the start window, opens the lobby for a link (typed, clicked in a browser and handed
over by a second launch, or given on the command line), makes the MeetingSession through the
session factory it was handed when the user joins, gives the call to a CallController, asks
before trusting a server's certificate, and brings the user back to the start window, saying
why, however the call ends. The devices are the DeviceController's, Settings and About are
AppDialogs'. Every way out of the app (closing a window, a signal) resolves one shutdown
future; a call is left first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from shiboken6 import isValid

from ..idle.watcher import IdleSource
from ..media.devices import Device, DeviceKind, DeviceManager
from ..media.local_media import LocalMedia
from ..media.screens import ScreenCatalog
from ..session.meeting_session import JoinFailed, JoinUrl, MeetingSession
from ..session.reasons import can_rejoin, describe, describe_join_failure
from ..signalling.join_link import shareable
from .app_dialogs import AppDialogs
from .backgrounds import SETTING as BACKGROUND_SETTING
from .call_controller import CallController, CallOptions
from .call_window import CallWindow
from .device_controller import VOICE_SETTINGS, DeviceController
from .i18n import REASONS, translator
from .leave_prompt import ask_to_switch
from .lobby_check import LobbyCheck
from .lobby_window import LobbyWindow
from .settings import Settings
from .start_window import StartWindow
from ..tasks import TaskOwner
from .theme import apply_theme
from .trust_dialog import TrustDialog
from .hosting_prompt import choose_reach, invite_caption
from ..hosting import Reach

logger = logging.getLogger(__name__)

#: First-run window sizes (after that, each window comes back where the user left it).
DEFAULT_SIZES = {"StartWindow": (600, 560), "LobbyWindow": (1040, 620), "CallWindow": (1200, 760)}

#: Starts a meeting on this computer: (the host's name, ``reach=``) -> (the host's join link, an
#: invite link).
LocalHost = Callable[..., Awaitable[tuple[str, str]]]


class SessionFactory(Protocol):
    """Makes the session of one join (not joined yet): ``MeetingSession`` itself in the app; a
    test may hand in a fake that speaks the same events."""

    def __call__(self, join_url: str, *, name: str, microphone: Any, camera: Any, speaker: Any,
                 camera_on: bool, muted: bool, volume_source: Callable[[], float],
                 clock: Callable[[], float], trust: Any) -> MeetingSession: ...


@dataclass
class FlowOptions:
    join_url: str | None = None
    name: str | None = None
    no_lobby: bool = False
    video_size: tuple[int, int] = (640, 360)
    fps: int = 30
    idle_timeout: float | None = None  # overrides the setting for this run (--idle-timeout)
    idle_prompt: float | None = None  # --idle-prompt
    share_screen: bool = False  # share the first screen as soon as the call starts (--share-screen)
    stats_file: str | None = None  # note what each tile showed in the call (bench/app.py)

    def call_options(self) -> CallOptions:
        return CallOptions(self.idle_timeout, self.idle_prompt, self.share_screen, self.stats_file)


class AppFlow(QObject):
    def __init__(self, devices: DeviceManager, settings: Settings, options: FlowOptions,
                 local_host: LocalHost | None = None, idle_source: IdleSource | None = None,
                 screens: ScreenCatalog | None = None, *, session_factory: SessionFactory,
                 clock: Callable[[], float] = time.time) -> None:
        """``idle_source``: how long since the user last touched the computer (None: no watcher);
        ``screens``: what can be shared (None: sharing is not offered); ``clock``: wall time for
        the meeting's countdown (tests move it); ``session_factory``: makes each join's
        session."""
        super().__init__()
        self.clock = clock
        self.screens = screens
        self.idle_source = idle_source
        self.settings = settings
        self.options = options
        self.local_host = local_host
        self.session_factory = session_factory
        # The flow decides when the app ends (after leaving a call), not the last window closing:
        # between windows (a dialog hidden, the call window gone) none may be visible.
        QApplication.instance().setQuitOnLastWindowClosed(False)
        self.tasks = TaskOwner("app")
        self.shutdown: asyncio.Future[int] = asyncio.get_event_loop().create_future()
        self.devices = DeviceController(devices, settings, self.tasks, options.video_size, options.fps)
        self.devices.notice.connect(self.notice)
        self.devices.info.connect(lambda text: self.lobby is not None and self.lobby.show_info(text))  # calls: the log
        self.devices.preview_frame.connect(self._on_preview)
        self.devices.lists_changed.connect(self._show_devices)
        self.devices.background_changed.connect(self._on_background_changed)
        self.dialogs = AppDialogs(settings, self.devices, idle_source,
                                  lambda: {"In a meeting": "yes" if self.session is not None else "no"})
        self._apply_settings_from_dialog()
        self.start_window = StartWindow()
        self.lobby: LobbyWindow | None = None
        self.controller: CallController | None = None  # the call, from the join to its end
        self.join_url: str | None = None
        self.invite_url: str | None = None
        self.invite_reach = Reach.THIS_COMPUTER  # where the invite link works
        self._joining = False
        self._quitting = False
        self.switch_box: QMessageBox | None = None
        self._pending_link: str | None = None
        self.trust_dialog: TrustDialog | None = None
        self.lobby_check = LobbyCheck(self.tasks.spawn, settings.trusted_certificates)
        self.start_window.join_requested.connect(self.open_lobby)
        self.start_window.settings_requested.connect(self.open_settings)
        self.start_window.about_requested.connect(self.open_about)
        self.start_window.host_requested.connect(lambda: choose_reach(  # asks before opening up
            self.start_window, self.start_window.network_host.isChecked(), lambda r: self.tasks.spawn(self.host_meeting(r))))
        self.start_window.host_button.setVisible(local_host is not None)
        self.start_window.installEventFilter(self)
        self._apply_default_server()

    # --- what the rest of the app and the tests look at ------------------------------------------

    @property
    def call(self) -> CallWindow | None:
        """The call window, from the moment a join begins until the call ends."""
        controller = self.controller
        return controller.window if controller is not None and isValid(controller.window) else None

    @property
    def session(self) -> MeetingSession | None:
        """The meeting the user is in (None while joining and between calls)."""
        return self.controller.session if self.controller is not None and self.controller.joined else None

    @property
    def media(self) -> LocalMedia | None:
        return self.devices.media

    def open_settings(self) -> None:
        self.dialogs.open_settings()

    def open_about(self) -> None:
        self.dialogs.open_about()

    # --- plumbing -------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        asks = getattr(watched, "ask_before_closing", False)  # the call's ✕ asks first (LeavePrompt)
        if event.type() == QEvent.Type.Close and not self._quitting and not asks:
            self.quit()
        return False

    def _show(self, window: QWidget, key: str) -> None:
        for other in (self.start_window, self.lobby, self.call):
            if other is not None and other is not window and other.isVisible():
                self.settings.save_geometry(other, other.objectName())
                other.hide()
        if not self.settings.restore_geometry(window, key):
            window.resize(*DEFAULT_SIZES.get(key, (900, 600)))
        window.show()
        window.raise_()
        window.activateWindow()

    def start(self) -> None:
        """Show the first window: the lobby (or the call) for a link given on the command line."""
        if self.options.join_url:
            if self.options.no_lobby:
                self.devices.open_media()
                self.tasks.spawn(self.join(self.options.join_url,
                                           self.options.name or self.settings.name or self.tr("Guest"),
                                           self.settings.flag("camera_on"), self.settings.flag("mic_on")))
            else:
                self.open_lobby(self.options.join_url)
        else:
            self._show(self.start_window, "StartWindow")

    def quit(self, code: int = 0) -> None:
        """Leave any call, release the devices, and let the app exit."""
        if self._quitting:
            return
        self._quitting = True
        self.tasks.spawn(self._quit(code))

    async def _quit(self, code: int) -> None:
        if self.session is not None:
            await self.session.leave()
        await self.devices.release_media()
        if self.call is not None:
            self.settings.save_splitter(self.call.splitter, "CallWindow")
            self.call.ask_before_closing = False  # quitting: it closes without asking
        for window in (self.start_window, self.lobby, self.call, self.dialogs.settings_dialog):
            if window is not None:
                if window.isVisible():
                    self.settings.save_geometry(window, window.objectName())
                window.close()
        self.settings.sync()
        if not self.shutdown.done():
            self.shutdown.set_result(code)

    def notice(self, text: str) -> None:
        """Tell the user something, in the window they are in."""
        if self.session is not None:
            self.call.show_notice(text)
        elif self.lobby is not None and self.lobby.isVisible():
            self.lobby.show_error(text)
        elif self.start_window.isVisible():
            self.start_window.show_error(text)

    # --- devices and settings, where the windows show them ---------------------------------------

    def _on_preview(self, frame) -> None:
        if self.session is not None:
            self.controller.show_self_frame(frame)
        elif self.lobby is not None and self.lobby.isVisible():
            self.lobby.show_frame(frame)

    def _show_devices(self) -> None:
        """The device lists of the lobby and the settings (the call's own: its controller)."""
        if self.lobby is not None:
            self.devices.show_in(self.lobby)
        for kind in DeviceKind:
            self.dialogs.refresh(f"devices/{kind}")

    def choose_device(self, kind: DeviceKind, device: Device | None) -> None:
        """The user picked another device (in the lobby or the settings, maybe mid-call)."""
        if self.session is not None:
            self.controller.choose_device(kind, device)
        else:
            self.devices.choose(kind, device, camera_wanted=self.lobby.camera_on if self.lobby else True)

    def _on_background_changed(self, setting: str) -> None:
        if self.lobby is not None:
            self.lobby.set_background(setting)
        if self.call is not None:
            self.call.bar.background_menu.set_current(setting)
        self.dialogs.refresh(BACKGROUND_SETTING)

    def _apply_settings_from_dialog(self) -> None:
        """What each preference changed in the settings dialog does at once."""
        on_change = self.dialogs.on_change
        for key in VOICE_SETTINGS:
            on_change(key, lambda _key: self.devices.apply_voice_settings())
        on_change("general/default_server", lambda _key: self._apply_default_server())
        on_change(BACKGROUND_SETTING, lambda key: self.devices.set_background(self.settings.get(key)))
        on_change("appearance/theme", lambda key: apply_theme(QApplication.instance(), self.settings.get(key)))
        on_change("devices/", self._on_device_setting)

    def _on_device_setting(self, key: str) -> None:
        if self.devices.media is not None:
            kind = DeviceKind(key.split("/", 1)[1])
            self.choose_device(kind, self.devices.remembered(kind))

    def _apply_default_server(self) -> None:
        server = self.settings.get("general/default_server")
        field = self.start_window.server
        if server and not field.text():
            field.setText(server)

    # --- start window -> lobby --------------------------------------------------------------------

    async def host_meeting(self, reach: Reach = Reach.THIS_COMPUTER) -> None:
        """Start a meeting on this computer (for ``reach``) and go to its lobby, with an invite link to share."""
        assert self.local_host is not None
        self.start_window.set_busy(True, self.tr("Starting a meeting on this computer…"))
        try:
            host_url, invite_url = await self.local_host(self.settings.name or self.tr("Host"), reach=reach)
        except Exception as exc:
            logger.exception("could not start a local meeting")
            self.start_window.set_busy(False)
            self.start_window.show_error(self.tr("Could not start a meeting here: {error}").format(error=exc))
            return
        self.start_window.set_busy(False)
        self.start_window.show_notice("")
        self.invite_url, self.invite_reach = invite_url, reach
        self.open_lobby(host_url)

    def open_lobby(self, join_url: str) -> None:
        JoinUrl(join_url)  # checked by the start window; a command-line link is checked in main
        self.join_url = join_url
        self.start_window.show_error("")  # an old error is not about what comes next
        if self.lobby is None:
            lobby = self.lobby = LobbyWindow()
            lobby.installEventFilter(self)
            lobby.join_requested.connect(self._join_from_lobby)
            lobby.back_requested.connect(self.back_to_start)
            lobby.device_chosen.connect(self.choose_device)
            lobby.camera_toggled.connect(self._lobby_camera_toggled)
            lobby.test_speaker_requested.connect(self.devices.test_speaker)
            lobby.background_gallery.chosen.connect(self.devices.set_background)
            lobby.set_background(self.settings.get(BACKGROUND_SETTING))
            lobby.level_source = self.devices.mic_level
        lobby = self.lobby
        lobby.show_error("")
        lobby.set_busy(False)
        lobby.set_invite(self.invite_url)
        lobby.invite_label.setText(invite_caption(self.invite_reach))  # where the link works
        self.invite_url = self.invite_url or shareable(join_url)  # an invite link may be passed on
        lobby.set_choices(self.options.name or self.settings.name,
                          self.settings.flag("camera_on"), self.settings.flag("mic_on"))
        self.lobby_check.start(lobby, join_url)  # an ended meeting, a bad link: known before Join
        self._show(lobby, "LobbyWindow")
        self.devices.open_media()
        self._show_devices()

    def open_link(self, url: str) -> None:
        """A join link from outside: a second launch of Parley, or the system's URL handler."""
        try:
            JoinUrl(url)
        except ValueError as exc:
            self.bring_to_front()
            self.notice(self.tr("That meeting link cannot be opened: {why}").format(why=exc))
            return
        if self._joining:  # decided once the join settles
            self._pending_link = url
        elif self.session is not None:  # in a call: ask before leaving it
            self._ask_to_switch(url)
        else:
            self.open_lobby(url)
        self.bring_to_front()

    def _ask_to_switch(self, url: str) -> None:
        self.switch_box = ask_to_switch(self.call, lambda: self.tasks.spawn(self._switch_to(url)))

    async def _switch_to(self, url: str) -> None:
        await self.leave()
        if not self._quitting:
            self.open_lobby(url)

    def bring_to_front(self) -> None:
        """Show the window in use (restored if minimised) above the others."""
        for window in (self.call, self.lobby, self.start_window):
            if window is not None and window.isVisible():
                if window.isMinimized():
                    window.showNormal()
                window.raise_()
                window.activateWindow()
                return
        self._show(self.start_window, "StartWindow")

    def _lobby_camera_toggled(self, on: bool) -> None:
        if on:
            self.devices.camera_on()
        else:
            self.devices.camera_off()

    def back_to_start(self) -> None:
        self.lobby_check.stop()
        self.devices.close_media()
        self.invite_url = None
        self._show(self.start_window, "StartWindow")

    def _join_from_lobby(self) -> None:
        lobby = self.lobby
        assert lobby is not None and self.join_url is not None
        self.lobby_check.stop()
        name = lobby.name.text().strip() or self.tr("Guest")
        self.settings.name = name
        self.settings.set_flag("camera_on", lobby.camera_button.isChecked())
        self.settings.set_flag("mic_on", lobby.mic_on)
        lobby.set_busy(True)
        self.tasks.spawn(self.join(self.join_url, name, lobby.camera_on, lobby.mic_on))

    # --- lobby -> call -> start -----------------------------------------------------------------

    async def join(self, join_url: str, name: str, camera_on: bool, mic_on: bool) -> None:
        self._joining = True
        try:
            await self._join(join_url, name, camera_on, mic_on)
        finally:  # a link that came while joining: now that it is settled, open it (or ask)
            self._joining = False
            url, self._pending_link = self._pending_link, None
            if url is not None and not self._quitting:
                self.open_link(url)

    async def _join(self, join_url: str, name: str, camera_on: bool, mic_on: bool) -> None:
        media = self.devices.open_media()
        session = self.session_factory(
            join_url, name=name,
            microphone=media.microphone_track if media.microphone_device else None,
            camera=media.camera_track, speaker=media.speaker,
            camera_on=camera_on and media.camera_device is not None, muted=not mic_on,
            volume_source=self.devices.mic_level, clock=self.clock, trust=self.settings.trusted_certificates,
        )
        controller = self.controller = self._new_call(session, name)
        try:
            await session.join()
        except JoinFailed as exc:
            self._drop_call()
            logger.info("joining failed: %s (%s)", exc.reason, exc.message)
            text = describe_join_failure(exc.reason, translator(REASONS))
            if self.lobby is not None and not self.options.no_lobby:
                self.lobby.set_busy(False)
                self.lobby.show_error(text)
                self._show(self.lobby, "LobbyWindow")
            else:
                self.devices.close_media()
                self.start_window.show_notice(text)
                self._show(self.start_window, "StartWindow")
            if exc.reason == "untrusted_certificate" and exc.certificate is not None:
                self._ask_trust(exc.certificate, join_url, name, camera_on, mic_on)
            return
        if session.ended.is_set() or self.controller is not controller:  # it ended while we were joining
            return
        controller.start(mic_on)
        self._show(controller.window, "CallWindow")
        controller.start_sharing_if_asked()

    def _new_call(self, session: MeetingSession, name: str) -> CallController:
        controller = CallController(session, name, self.devices, self.settings, self.tasks,
                                    self.options.call_options(), self.invite_url, self.screens,
                                    self.idle_source, self.clock)
        call = controller.window
        call.installEventFilter(self)
        call.settings_requested.connect(self.open_settings)
        call.about_requested.connect(self.open_about)
        call.bar.background_menu.chosen.connect(self.devices.set_background)
        call.bar.background_menu.set_current(self.settings.get(BACKGROUND_SETTING))
        controller.ended.connect(lambda reason: self._on_call_ended(controller, reason))
        return controller

    def _drop_call(self) -> None:
        controller, self.controller = self.controller, None
        if controller is not None:
            controller.window.removeEventFilter(self)
            controller.close()

    def _ask_trust(self, certificate, join_url: str, name: str, camera_on: bool, mic_on: bool) -> None:
        """The server's certificate cannot be verified: ask, never trust it silently. "Trust this
        server" keeps the decision (the registered trust store) and joins again; Cancel leaves
        the user where the error is shown."""
        parent = self.lobby if self.lobby is not None and self.lobby.isVisible() else self.start_window
        if self.trust_dialog is not None:
            self.trust_dialog.deleteLater()
        dialog = self.trust_dialog = TrustDialog(
            certificate.host_port, certificate.fingerprint, certificate.reason,
            changed=certificate.changed, parent=parent)

        def trusted() -> None:
            if self._quitting:
                return
            certificate.trust()
            if parent is self.lobby:
                self.lobby.show_error("")
                self.lobby.set_busy(True)
            else:
                self.start_window.show_notice(self.tr("Joining…"))
            self.tasks.spawn(self.join(join_url, name, camera_on, mic_on))

        dialog.trusted.connect(trusted)
        dialog.open()  # window-modal, no nested event loop

    async def leave(self) -> None:
        if self.session is not None:
            await self.session.leave()

    def _on_call_ended(self, controller: CallController, reason: str) -> None:
        """The meeting was left (the controller closed the window): back to the start, saying why."""
        if isValid(controller.window):  # not when it was destroyed from outside
            controller.window.removeEventFilter(self)
        if self.controller is controller:
            self.controller = None
        self.devices.close_media()
        self.invite_url = None
        if self._quitting:
            return
        again = (self.join_url or self.options.join_url) if can_rejoin(reason) else None
        self.start_window.show_notice(describe(reason, translator(REASONS)), rejoin=again)
        self._show(self.start_window, "StartWindow")
