"""AppFlow: which window the user is in — start, lobby, call — and what moves them on.

It owns the user's devices (LocalMedia) from the lobby through the call, creates the
MeetingSession when they join, wires session events to the call window through the bridge,
and brings them back to the start window, saying why, however the call ends. Every way out
of the app (closing a window, a signal) resolves one shutdown future; a call is left first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ..media.devices import Device, DeviceKind, DeviceManager
from ..idle.watcher import (
    IdleCountdown,
    IdlePromptShown,
    IdleResumed,
    IdleSource,
    IdleTimedOut,
    IdleWatcher,
    effective_timeout,
)
from ..media.background.effect import BackgroundEffect
from ..media.local_media import LocalMedia
from ..media.sounds import CHAT, HAND, JOIN, LEAVE, SoundPolicy, sound
from ..media.screens import ScreenCatalog, ScreenSource
from ..session.meeting_session import JoinFailed, JoinUrl, MeetingSession
from ..session.reasons import describe, describe_share
from ..session.screen_share import content_owner
from ..session.timer import format_left
from ..session.meeting_session import REACTIONS
from .about_dialog import AboutDialog
from .backgrounds import SETTING as BACKGROUND_SETTING, background_choices
from .bridge import SessionBridge
from .call_window import SELF, CallWindow
from .connection_panel import ConnectionPanel
from .i18n import FILE_SHARE, REASONS, SCREEN_SHARING, translator
from .idle_dialog import IdleDialog
from .preferences import INACTIVITY
from .settings_dialog import SettingsDialog, describe_idle_detection
from .lobby_window import LobbyWindow
from .screen_picker import ScreenPicker
from .settings import Settings
from .start_window import StartWindow
from .theme import apply_theme
from .trust_dialog import TrustDialog

logger = logging.getLogger(__name__)

#: First-run window sizes (after that, each window comes back where the user left it).
DEFAULT_SIZES = {"StartWindow": (600, 560), "LobbyWindow": (1040, 620), "CallWindow": (1200, 760)}

#: Starts a meeting on this computer: returns (the host's join link, an invite link).
LocalHost = Callable[[str], Awaitable[tuple[str, str]]]


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


SOUND_SETTINGS = {JOIN: "sounds/join_leave", LEAVE: "sounds/join_leave", CHAT: "sounds/chat", HAND: "sounds/hand"}


class AppFlow(QObject):
    def __init__(self, devices: DeviceManager, settings: Settings, options: FlowOptions,
                 local_host: LocalHost | None = None, idle_source: IdleSource | None = None,
                 screens: ScreenCatalog | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        """``idle_source``: how long since the user last touched the computer (None: no watcher);
        ``screens``: what can be shared (None: sharing is not offered); ``clock``: wall time for
        the meeting's countdown (tests move it)."""
        super().__init__()
        self.clock = clock
        self._sounds = SoundPolicy(clock)
        self._hands: set[str] = set()
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self.update_countdown)
        self.screens = screens
        self.picker: ScreenPicker | None = None
        self.connection_panel: ConnectionPanel | None = None
        # The flow decides when the app ends (after leaving a call), not the last window closing:
        # between windows (a dialog hidden, the call window gone) none may be visible.
        QApplication.instance().setQuitOnLastWindowClosed(False)
        self.idle_source = idle_source
        self.idle: IdleWatcher | None = None
        self.idle_dialog: IdleDialog | None = None
        self.devices = devices
        self.settings = settings
        self.options = options
        self.local_host = local_host
        self.shutdown: asyncio.Future[int] = asyncio.get_event_loop().create_future()
        self.start_window = StartWindow()
        self.lobby: LobbyWindow | None = None
        self.call: CallWindow | None = None
        self.session: MeetingSession | None = None
        self.media: LocalMedia | None = None
        self.join_url: str | None = None
        self.invite_url: str | None = None
        self._bridge: SessionBridge | None = None
        self._tasks: set[asyncio.Task] = set()
        self._quitting = False
        self._call_started: float | None = None

        self.settings_dialog: SettingsDialog | None = None
        self.switch_box: QMessageBox | None = None
        self._pending_link: str | None = None
        self.about_dialog: AboutDialog | None = None
        self.trust_dialog: TrustDialog | None = None
        self.start_window.join_requested.connect(self.open_lobby)
        self.start_window.settings_requested.connect(self.open_settings)
        self.start_window.about_requested.connect(self.open_about)
        self.start_window.host_requested.connect(lambda: self._spawn(self.host_meeting()))
        self.start_window.host_button.setVisible(local_host is not None)
        self.start_window.installEventFilter(self)
        devices.on_changed(self._on_devices_changed)
        self._apply_default_server()

    # --- plumbing -------------------------------------------------------------------------------

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("task failed", exc_info=task.exception())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and not self._quitting:
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
                self.open_media()
                self._spawn(self.join(self.options.join_url, self.options.name or self.settings.name or self.tr("Guest"),
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
        self._spawn(self._quit(code))

    async def _quit(self, code: int) -> None:
        if self.session is not None:
            await self.session.leave()
        await self._release_media()
        if self.call is not None:
            self.settings.save_splitter(self.call.splitter, "CallWindow")
        for window in (self.start_window, self.lobby, self.call, self.settings_dialog):
            if window is not None:
                if window.isVisible():
                    self.settings.save_geometry(window, window.objectName())
                window.close()
        self.settings.sync()
        if not self.shutdown.done():
            self.shutdown.set_result(code)

    # --- devices --------------------------------------------------------------------------------

    def open_media(self) -> LocalMedia:
        """Open the remembered devices (or the defaults)."""
        if self.media is not None:
            return self.media
        width, height = self.options.video_size
        media = LocalMedia(self.devices, width, height, self.options.fps)
        self._apply_voice_settings(media)
        media.background = BackgroundEffect.from_setting(self.settings.get(BACKGROUND_SETTING))
        # "your computer is busy", "it stopped working" (sentences marked in media/background.py)
        media.on_background_notice = lambda message: self._notice(QCoreApplication.translate("Background", message))
        media.on_preview = self._on_preview
        media.on_device_lost = self._on_device_lost
        for kind, select in ((DeviceKind.SPEAKER, media.select_speaker),
                             (DeviceKind.MICROPHONE, media.select_microphone)):
            self._open(kind, select, self.devices.choose(kind, *self.settings.device(kind)))
        if self.settings.flag("camera_on"):
            self._open(DeviceKind.CAMERA, media.select_camera,
                       self.devices.choose(DeviceKind.CAMERA, *self.settings.device(DeviceKind.CAMERA)))
        else:
            media.camera_device = self.devices.choose(DeviceKind.CAMERA, *self.settings.device(DeviceKind.CAMERA))
        self.media = media
        return media

    def _open(self, kind: DeviceKind, select: Callable[[Device | None], None], device: Device | None) -> None:
        try:
            select(device)
        except Exception as exc:  # a device that fails to open must not stop anything else
            logger.warning("could not open %s %r: %s", kind, device and device.name, exc)
            select(None)
            self._notice(self.tr("Could not open {device}: {error}").format(
                device=device.name if device else self._kind_name(kind), error=exc))

    def _kind_name(self, kind: DeviceKind) -> str:
        return {DeviceKind.CAMERA: self.tr("the camera"), DeviceKind.MICROPHONE: self.tr("the microphone"),
                DeviceKind.SPEAKER: self.tr("the speaker")}[kind]

    def _close_media(self) -> None:
        if self.media is not None:
            self._spawn(self.media.aclose())
            self.media = None

    async def _release_media(self) -> None:
        media, self.media = self.media, None
        if media is not None:
            await media.aclose()
        if self._tasks:  # closings already under way
            await asyncio.gather(*[t for t in self._tasks if t is not asyncio.current_task()],
                                 return_exceptions=True)

    def _on_setting_changed(self, key: str) -> None:
        """A preference changed in the settings dialog: apply it now."""
        if key in ("join/echo_cancellation", "join/noise_suppression", "join/auto_gain_control"):
            self._apply_voice_settings()
        elif key == "general/default_server":
            self._apply_default_server()
        elif key == BACKGROUND_SETTING:
            self.set_background(self.settings.get(key))
        elif key == "appearance/theme":
            app = QApplication.instance()
            if app is not None:
                apply_theme(app, self.settings.get(key))
        elif key.startswith("devices/") and self.media is not None:
            kind = DeviceKind(key.split("/", 1)[1])
            self.choose_device(kind, self.devices.choose(kind, *self.settings.device(kind)))

    def set_background(self, setting: str) -> None:
        """The user chose a background (in the lobby, the call's menu or the settings)."""
        if self.settings.get(BACKGROUND_SETTING) != setting:
            self.settings.set(BACKGROUND_SETTING, setting)
        if self.media is not None:
            self.media.set_background(BackgroundEffect.from_setting(setting))
        for window in (self.lobby, self.call):
            menu = getattr(window, "background_menu", None)
            if menu is not None:
                menu.set_current(setting)
        if self.lobby is not None:
            self._mark_background_button(self.lobby.background_button, setting)
        if self.settings_dialog is not None:
            self.settings_dialog.refresh(BACKGROUND_SETTING)

    @staticmethod
    def _mark_background_button(button, setting: str) -> None:
        """The lobby's background button is lit while an effect is on."""
        button.setProperty("active", BackgroundEffect.from_setting(setting).active)
        button.style().unpolish(button)
        button.style().polish(button)

    def _apply_voice_settings(self, media: LocalMedia | None = None) -> None:
        """Echo cancellation and noise suppression as the settings say (next 10 ms block)."""
        media = media or self.media
        if media is not None:
            media.voice.echo_cancellation = self.settings.flag("echo_cancellation")
            media.voice.noise_suppression = self.settings.flag("noise_suppression")
            media.voice.auto_gain_control = self.settings.flag("auto_gain_control")

    def _on_preview(self, frame) -> None:
        if self.call is not None and self.session is not None:
            self.call.show_self_frame(frame)
        elif self.lobby is not None and self.lobby.isVisible():
            self.lobby.show_frame(frame)

    def _on_device_lost(self, kind: DeviceKind, lost: Device, fallback: Device | None) -> None:
        if fallback:
            text = self.tr("{device} stopped working; switched to {fallback}.").format(
                device=lost.name, fallback=fallback.name)
        else:
            text = {
                DeviceKind.CAMERA: self.tr("{device} stopped working, and there is no other camera to use."),
                DeviceKind.MICROPHONE: self.tr("{device} stopped working, and there is no other microphone to use."),
                DeviceKind.SPEAKER: self.tr("{device} stopped working, and there is no other speaker to use."),
            }[kind].format(device=lost.name)
        self._notice(text)
        if self.session is not None:
            if kind == DeviceKind.SPEAKER and self.media is not None:
                self.session.use_speaker(self.media.speaker)
            if kind == DeviceKind.CAMERA and fallback is None:
                self._spawn(self.session.set_camera(False))
                if self.call is not None:
                    self.call.set_camera(False)
        self._refresh_device_lists()

    def _on_devices_changed(self) -> None:
        self._refresh_device_lists()

    def _refresh_device_lists(self) -> None:
        media = self.media
        current = {
            DeviceKind.CAMERA: media.camera_device if media else None,
            DeviceKind.MICROPHONE: media.microphone_device if media else None,
            DeviceKind.SPEAKER: media.speaker_device if media else None,
        }
        for kind in DeviceKind:
            for window in (self.lobby, self.call):
                if window is not None:
                    window.set_devices(kind, self.devices.devices(kind), current[kind])
            if self.settings_dialog is not None:
                self.settings_dialog.refresh(f"devices/{kind}")

    def choose_device(self, kind: DeviceKind, device: Device | None) -> None:
        """The user picked another device (in the lobby or mid-call)."""
        media = self.open_media()
        if kind == DeviceKind.CAMERA:
            camera_wanted = self.session.wants_camera if self.session else (self.lobby.camera_on if self.lobby else True)
            if camera_wanted:
                self._open(kind, media.select_camera, device)
            else:
                media.camera_device = device
        elif kind == DeviceKind.MICROPHONE:
            self._open(kind, media.select_microphone, device)
            if self.session is not None and media.microphone_device is not None:
                self.session.use_microphone(media.microphone_track)  # joined without one, maybe
        else:
            self._open(kind, media.select_speaker, device)
            if self.session is not None:
                self.session.use_speaker(media.speaker)
        if device is not None:
            self.settings.set_device(kind, device.id, device.name)
        self._refresh_device_lists()

    def _notice(self, text: str) -> None:
        if self.call is not None and self.session is not None:
            self.call.show_notice(text)
        elif self.lobby is not None and self.lobby.isVisible():
            self.lobby.show_error(text)
        elif self.start_window.isVisible():
            self.start_window.show_error(text)

    # --- start window -> lobby --------------------------------------------------------------------

    async def host_meeting(self) -> None:
        """Start a meeting on this computer and go to its lobby, with an invite link to share."""
        assert self.local_host is not None
        self.start_window.set_busy(True, self.tr("Starting a meeting on this computer…"))
        try:
            host_url, invite_url = await self.local_host(self.settings.name or self.tr("Host"))
        except Exception as exc:
            logger.exception("could not start a local meeting")
            self.start_window.set_busy(False)
            self.start_window.show_error(self.tr("Could not start a meeting here: {error}").format(error=exc))
            return
        self.start_window.set_busy(False)
        self.start_window.show_notice("")
        self.invite_url = invite_url
        self.open_lobby(host_url)

    def open_lobby(self, join_url: str) -> None:
        JoinUrl(join_url)  # checked by the start window; a command-line link is checked in main
        self.join_url = join_url
        if self.lobby is None:
            lobby = self.lobby = LobbyWindow()
            lobby.installEventFilter(self)
            lobby.join_requested.connect(self._join_from_lobby)
            lobby.back_requested.connect(self.back_to_start)
            lobby.device_chosen.connect(self.choose_device)
            lobby.camera_toggled.connect(self._lobby_camera_toggled)
            lobby.test_speaker_requested.connect(lambda: self.media and self.media.test_speaker())
            lobby.background_menu.chosen.connect(self.set_background)
            lobby.background_menu.set_current(self.settings.get(BACKGROUND_SETTING))
            self._mark_background_button(lobby.background_button, self.settings.get(BACKGROUND_SETTING))
            lobby.level_source = lambda: self.media.mic_level if self.media else 0.0
        lobby = self.lobby
        lobby.show_error("")
        lobby.set_busy(False)
        lobby.set_invite(self.invite_url)
        lobby.set_choices(self.options.name or self.settings.name,
                          self.settings.flag("camera_on"), self.settings.flag("mic_on"))
        lobby.set_preview_name(lobby.name.text())
        self._show(lobby, "LobbyWindow")
        self.open_media()
        self._refresh_device_lists()

    def open_link(self, url: str) -> None:
        """A join link from outside: a second launch of Parley, or the system's URL handler."""
        try:
            JoinUrl(url)
        except ValueError as exc:
            self.bring_to_front()
            self._notice(self.tr("That meeting link cannot be opened: {why}").format(why=exc))
            return
        if self.session is None and self.call is not None:  # joining: decided once the join settles
            self._pending_link = url
        elif self.session is not None:  # in a call: ask before leaving it
            self._ask_to_switch(url)
        else:
            self.open_lobby(url)
        self.bring_to_front()

    def _ask_to_switch(self, url: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Join another meeting?"),
                          self.tr("You are in a meeting. Leave it and go to the other meeting?"),
                          parent=self.call)
        box.setObjectName("SwitchMeetingBox")
        switch = box.addButton(self.tr("Leave and join"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Stay here"), QMessageBox.ButtonRole.RejectRole)
        box.buttonClicked.connect(lambda button: button is switch and self._spawn(self._switch_to(url)))
        box.finished.connect(box.deleteLater)
        self.switch_box = box
        box.open()  # never exec() inside the loop

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
        media = self.open_media()
        if on:
            self._open(DeviceKind.CAMERA, media.select_camera,
                       media.camera_device or self.devices.default(DeviceKind.CAMERA))
        else:
            device = media.camera_device
            media.select_camera(None)
            media.camera_device = device  # remembered for when it is turned on again

    def back_to_start(self) -> None:
        self._close_media()
        self.invite_url = None
        self._show(self.start_window, "StartWindow")

    def _join_from_lobby(self) -> None:
        lobby = self.lobby
        assert lobby is not None and self.join_url is not None
        name = lobby.name.text().strip() or self.tr("Guest")
        self.settings.name = name
        self.settings.set_flag("camera_on", lobby.camera_button.isChecked())
        self.settings.set_flag("mic_on", lobby.mic_on)
        lobby.set_busy(True)
        self._spawn(self.join(self.join_url, name, lobby.camera_on, lobby.mic_on))

    # --- the call -------------------------------------------------------------------------------

    async def join(self, join_url: str, name: str, camera_on: bool, mic_on: bool) -> None:
        try:
            await self._join(join_url, name, camera_on, mic_on)
        finally:  # a link that came while joining: now that it is settled, open it (or ask)
            url, self._pending_link = self._pending_link, None
            if url is not None and not self._quitting:
                self.open_link(url)

    async def _join(self, join_url: str, name: str, camera_on: bool, mic_on: bool) -> None:
        media = self.open_media()
        session = MeetingSession(
            join_url, name=name,
            microphone=media.microphone_track if media.microphone_device else None,
            camera=media.camera_track, speaker=media.speaker,
            camera_on=camera_on and media.camera_device is not None, muted=not mic_on,
            volume_source=lambda: self.media.mic_level if self.media is not None else 0.0,
            clock=self.clock, trust=self.settings.trusted_certificates,
        )
        call = self._new_call_window(session, name)
        try:
            await session.join()
        except JoinFailed as exc:
            self._drop_call_window()
            text = describe(exc.reason, translator(REASONS))
            if exc.message:
                text = self.tr("{reason} ({message})").format(reason=text, message=exc.message)
            if self.lobby is not None and not self.options.no_lobby:
                self.lobby.set_busy(False)
                self.lobby.show_error(text)
                self._show(self.lobby, "LobbyWindow")
            else:
                self._close_media()
                self.start_window.show_notice(text)
                self._show(self.start_window, "StartWindow")
            if exc.reason == "untrusted_certificate" and exc.certificate is not None:
                self._ask_trust(exc.certificate, join_url, name, camera_on, mic_on)
            return
        if session.ended.is_set() or self.call is not call:  # it ended while we were joining
            return
        self.session = session
        self._call_started = asyncio.get_event_loop().time()
        self._sounds.joined()
        call.roster.set_me(session.me.attendee_id, session.capabilities)
        call.roster.upsert(session.me)
        call.set_me(session.me.attendee_id)
        call.chat.me = session.me.attendee_id
        call.chat.set_people({a.attendee_id: a.name for a in session.attendees.values() if not a.content})
        call.set_reactions(REACTIONS)
        call.set_hand(session.hand_raised)
        call.set_can_end("end-call" in session.capabilities)
        call.set_can_extend(session.can_extend)
        self.update_countdown()
        self._countdown.start()
        call.share_button.setVisible(self.screens is not None and "screenshare" in session.capabilities)
        self._sync_share_button()
        self._watch_idle(session)
        for attendee in session.attendees.values():
            call.add_attendee(attendee)
            if attendee.hand_raised_at:  # raised before we came: not news when it is updated
                self._hands.add(attendee.attendee_id)
        call.set_mic(mic_on)
        self._sync_camera_button()
        self._refresh_device_lists()
        self._show(call, "CallWindow")
        if self.options.share_screen and call.share_button.isVisible():
            sources = self.screens.sources() if self.screens and not self.screens.unavailable_reason() else []
            if sources:
                self._spawn(self.share(sources[0]))
            else:
                call.show_notice(self.tr("There is no screen to share here."))

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
            self._spawn(self.join(join_url, name, camera_on, mic_on))

        dialog.trusted.connect(trusted)
        dialog.open()  # window-modal, no nested event loop

    def _new_call_window(self, session: MeetingSession, name: str) -> CallWindow:
        call = self.call = CallWindow()
        call.installEventFilter(self)
        self.settings.restore_splitter(call.splitter, "CallWindow")  # the side panels' widths
        self._timer_ends_at: float | None = None
        call.set_self(name)
        call.set_invite(self.invite_url)
        bridge = self._bridge = SessionBridge(session, call)
        bridge.attendee_joined.connect(call.add_attendee)
        bridge.attendee_joined.connect(lambda info: self._notify(JOIN, info.attendee_id))
        bridge.attendee_joined.connect(lambda info: info.hand_raised_at and self._hands.add(info.attendee_id))
        bridge.attendee_left.connect(lambda attendee_id, _reason: self._notify(LEAVE, attendee_id))
        bridge.chat_received.connect(
            lambda chat: call.chat.isVisible() or self._notify(CHAT, chat.from_id))
        bridge.reconnected.connect(lambda _seconds: self._sounds.joined())  # the roster again is not news
        bridge.attendee_updated.connect(self._on_attendee_updated)
        bridge.attendee_left.connect(lambda attendee_id, _reason: call.remove_attendee(attendee_id))
        bridge.video_frame.connect(call.show_frame)
        bridge.camera_changed.connect(lambda _on: self._sync_camera_button())
        bridge.camera_refused.connect(self._on_camera_refused)
        bridge.video_slot_freed.connect(self._sync_camera_button)
        bridge.meeting_left.connect(self._on_meeting_left)
        bridge.active_speakers_changed.connect(self._on_active_speakers)
        bridge.volumes_updated.connect(call.roster.show_volumes)
        call.roster.moderate_requested.connect(lambda who, action: self._spawn(self._moderate(who, action)))
        call.mic_toggled.connect(lambda on: self._spawn(self._set_mic(on)))
        call.camera_toggled.connect(lambda on: self._spawn(self._set_camera(on)))
        call.device_chosen.connect(self.choose_device)
        call.leave_requested.connect(lambda: self._spawn(self.leave()))
        call.end_requested.connect(lambda: self._spawn(session.end_meeting()))
        call.share_requested.connect(self.open_screen_picker)
        call.stop_share_requested.connect(lambda: self._spawn(session.stop_screen_share()))
        call.sharing_bar.pause_toggled.connect(
            lambda paused: session.file_source and (session.file_source.pause() if paused else session.file_source.resume()))
        bridge.share_started.connect(lambda _id: self._on_share_changed(True))
        bridge.share_stopped.connect(self._on_share_stopped)
        bridge.share_refused.connect(self._on_share_refused)
        bridge.share_available.connect(lambda _available: self._sync_share_button())
        bridge.timer_changed.connect(self._on_timer_changed)
        bridge.time_warning.connect(lambda _left: call.show_time_notice(self.tr("Less than 5 minutes remaining.")))
        bridge.time_up.connect(lambda: call.show_time_notice(self.tr("The time has run out.")))
        bridge.capabilities_changed.connect(self._on_capabilities_changed)
        bridge.stats_updated.connect(self._on_stats)
        bridge.connection_poor.connect(lambda _loss, video_off: call.show_connection_poor(video_off))
        bridge.volumes_updated.connect(self._on_volumes)
        call.connection_requested.connect(self.open_connection_panel)
        bridge.chat_received.connect(call.add_chat)
        bridge.reaction_received.connect(
            lambda who, emoji: call.show_reaction(SELF if self.session and self.session.me
                                                  and who == self.session.me.attendee_id else who, emoji))
        bridge.attendee_joined.connect(lambda info: info.content or call.chat.set_people({info.attendee_id: info.name}))
        call.chat.send_requested.connect(lambda text, to: self._spawn(self.send_chat(text, to)))
        call.hand_toggled.connect(lambda raised: self._spawn(session.raise_hand(raised)))
        call.react_requested.connect(lambda emoji: self._spawn(session.react(emoji)))
        bridge.speaking_while_muted.connect(call.show_muted_hint)
        call.push_to_talk.connect(self._push_to_talk)
        bridge.reconnecting.connect(lambda: call.set_reconnecting(True))
        bridge.reconnected.connect(lambda seconds: (call.set_reconnecting(False),
                                                    call.show_notice(self.tr("Reconnected after {seconds} s.").format(
                                                        seconds=QLocale().toString(float(seconds), "f", 1)), 4)))
        call.extend_requested.connect(lambda seconds: self._spawn(self.extend(seconds)))
        call.settings_requested.connect(self.open_settings)
        call.about_requested.connect(self.open_about)
        call.background_menu.chosen.connect(self.set_background)
        call.background_menu.set_current(self.settings.get(BACKGROUND_SETTING))
        return call

    def _drop_call_window(self) -> None:
        self._write_stats()
        if self.call is not None:
            self.settings.save_splitter(self.call.splitter, "CallWindow")
            self.call.removeEventFilter(self)
            self.call.hide()
            self.call.deleteLater()
        self.call = None
        self._bridge = None

    def _write_stats(self) -> None:
        """With PARLEY_STATS_FILE set, note what each tile showed in the call (bench/app.py)."""
        path = os.environ.get("PARLEY_STATS_FILE")
        if not path or self.call is None or self._call_started is None:
            return
        grid = self.call.grid
        stats = {
            "seconds_in_call": asyncio.get_event_loop().time() - self._call_started,
            "frames_shown": {key: grid.tile(key).frames_shown for key in grid.keys() if key != SELF},
        }
        with open(path, "w", encoding="utf-8") as out:
            json.dump(stats, out)

    async def _moderate(self, attendee_id: str, action: str) -> None:
        if self.session is None:
            return
        try:
            await self.session.moderate(attendee_id, action)
        except Exception as exc:  # the server refused (e.g. missing_capability): say so
            if self.call is not None:
                failed = {
                    "mute": self.tr("Could not mute them: {error}"),
                    "allow_unmute": self.tr("Could not allow them to unmute: {error}"),
                    "lower_hand": self.tr("Could not lower their hand: {error}"),
                    "remove": self.tr("Could not stop their screen share: {error}") if content_owner(attendee_id)
                    else self.tr("Could not remove them from the meeting: {error}"),
                }.get(action) or self.tr("Could not do that: {error}")
                self.call.show_notice(failed.format(error=getattr(exc, "message", exc)))

    def _on_active_speakers(self, ranking: tuple) -> None:
        if self.call is None or self.session is None:
            return
        top = ranking[0] if ranking else None
        if top is not None and self.session.me is not None and top == self.session.me.attendee_id:
            top = SELF
        self.call.set_active_speaker(top)

    def _on_attendee_updated(self, info) -> None:
        if self.call is None or self.session is None:
            return
        if self.session.me is not None and info.attendee_id == self.session.me.attendee_id:
            self.call.roster.upsert(info)
            self.call.set_hand(bool(info.hand_raised_at))
            self.call.set_mic(not info.muted)  # a host may have muted us
            self.call.set_mic_locked(self.tr("A host muted you. You can unmute once they allow it.")
                                     if info.mute_locked else None)
            return
        if info.hand_raised_at and info.attendee_id not in self._hands:
            self._notify(HAND, info.attendee_id)
        self._hands.discard(info.attendee_id)
        if info.hand_raised_at:
            self._hands.add(info.attendee_id)
        self.call.update_attendee(info)

    def _notify(self, kind: str, attendee_id: str) -> None:
        """A notification sound for something another person did, if the settings want it."""
        session, media = self.session, self.media
        if session is None or media is None or media.speaker is None or "#" in attendee_id:
            return  # not in a call, nowhere to play, or a screen share coming and going
        if session.me is not None and attendee_id == session.me.attendee_id:
            return
        if self.settings.get(SOUND_SETTINGS[kind]) and self._sounds.allow():
            media.speaker.play_sound(sound(kind))

    def _on_camera_refused(self, message: str) -> None:
        if self.call is not None:
            self.call.set_camera(False, unavailable=self._no_video_slot())
            self.call.show_notice(self.tr("Video unavailable: {reason}").format(reason=message))

    def _no_video_slot(self) -> str:
        return self.tr("all 16 video slots are in use; it turns on when one frees")

    def _sync_camera_button(self) -> None:
        if self.call is None or self.session is None:
            return
        session = self.session
        if session.camera_on:
            self.call.set_camera(True)
        elif session.wants_camera and session.camera is not None and self.media and self.media.camera_device:
            self.call.set_camera(False, unavailable=self._no_video_slot())
        else:
            self.call.set_camera(False)

    async def _set_mic(self, on: bool) -> None:
        self.settings.set_flag("mic_on", on)
        if self.session is not None:
            if on and self.media is not None and self.media.microphone_device is not None:
                self.session.use_microphone(self.media.microphone_track)
            await self.session.set_muted(not on)

    async def _set_camera(self, on: bool) -> None:
        media, session = self.media, self.session
        if session is None or media is None:
            return
        self.settings.set_flag("camera_on", on)
        if on:
            device = media.camera_device or self.devices.default(DeviceKind.CAMERA)
            if device is None:
                self.call.set_camera(False)
                self.call.show_notice(self.tr("There is no camera to turn on."))
                return
            self._open(DeviceKind.CAMERA, media.select_camera, device)
            await session.set_camera(True)
        else:
            await session.set_camera(False)
            device = media.camera_device
            media.select_camera(None)  # the camera's light goes off
            media.camera_device = device
        self._sync_camera_button()

    async def leave(self) -> None:
        if self.session is not None:
            await self.session.leave()

    def _push_to_talk(self, talking: bool) -> None:
        """Space held while muted: unmuted until it is released."""
        if self.call is None or self.session is None:
            return
        self.call.set_mic(talking)
        self._spawn(self.session.set_muted(not talking))

    # --- chat -------------------------------------------------------------------------------------

    async def send_chat(self, text: str, to: str | None) -> None:
        if self.session is None or self.call is None:
            return
        try:
            await self.session.send_chat(text, to)
            self.call.chat.show_error("")
        except Exception as exc:  # too long, too fast, they left: say so where they typed
            if self.call is not None:
                self.call.chat.show_error(self.tr("Not sent: {error}").format(error=getattr(exc, "message", exc)))

    # --- connection health ----------------------------------------------------------------------

    def open_connection_panel(self) -> None:
        if self.call is None:
            return
        if self.connection_panel is None or self.connection_panel.parent() is not self.call:
            self.connection_panel = ConnectionPanel(self.call)
        self.connection_panel.show()
        self.connection_panel.raise_()

    def _on_stats(self, stats, frame_rates: dict, quality) -> None:
        if self.call is None:
            return
        self.call.show_quality(SELF, quality)
        if self.connection_panel is not None and self.connection_panel.isVisible():
            self.connection_panel.show_stats(stats, frame_rates, quality, self.call.names)

    def _on_volumes(self, updates: tuple) -> None:
        if self.call is not None:
            for info in updates:
                self.call.show_quality(info.attendee_id, info.signal_strength)

    # --- the session timer ----------------------------------------------------------------------

    def update_countdown(self) -> None:
        """Show the time left (every second, and at once when the server moves the end)."""
        if self.call is None or self.session is None:
            return
        self.session.tick_timer()  # the warning and time's up, if due
        left = self.session.timer.remaining()
        self.call.show_time_left(left, format_left(left) if left is not None else "")

    async def extend(self, seconds: int) -> None:
        if self.session is None:
            return
        try:
            await self.session.extend(seconds)
        except Exception as exc:  # refused (e.g. missing_capability) or unreachable: say so
            if self.call is not None:
                self.call.show_notice(self.tr("Could not extend the meeting: {error}").format(
                    error=getattr(exc, "message", exc)))
            return

    def _on_timer_changed(self) -> None:
        session = self._bridge.session if self._bridge is not None else None  # also while joining
        ends_at = session.timer.ends_at if session is not None else None
        before, self._timer_ends_at = self._timer_ends_at, ends_at
        if self.call is not None and before is not None and ends_at is not None and ends_at > before:
            self.call.time_notice.setVisible(False)  # the warning no longer holds
            self.call.show_notice(self.tr("The meeting was extended by {time}.").format(time=format_left(ends_at - before)))
        self.update_countdown()

    def _on_capabilities_changed(self, capabilities: tuple) -> None:
        if self.call is None or self.session is None:
            return
        self.call.set_can_extend(self.session.can_extend)
        self.call.set_can_end("end-call" in capabilities)
        self.call.share_button.setVisible(self.screens is not None and "screenshare" in capabilities)
        self.call.roster.set_me(self.session.me.attendee_id if self.session.me else "", capabilities)

    # --- screen share ---------------------------------------------------------------------------

    def open_screen_picker(self) -> None:
        if self.screens is None or self.call is None:
            return
        if self.picker is not None:
            self.picker.deleteLater()
        picker = self.picker = ScreenPicker(self.screens, self.call)
        picker.chosen.connect(lambda source: self._spawn(self.share(source)))
        picker.file_chosen.connect(lambda path: self._spawn(self.share_file(path)))
        picker.open()  # window-modal, no nested event loop

    async def share(self, source: ScreenSource) -> str:
        """Share ``source``: "published", or why not (the user is told)."""
        session = self.session
        if session is None or self.screens is None:
            return "not_joined"
        try:
            track = self.screens.open(source)
        except Exception as exc:
            logger.warning("could not capture %s: %s", source.name, exc)
            if self.call is not None:
                self.call.show_notice(self.tr("Could not share {name}: {error}").format(name=source.name, error=exc))
            return "source_ended"
        self._shared_what = None if source.kind == "screen" else source.name  # None: "your screen"
        return await session.share_screen(track)

    async def share_file(self, path: str) -> str:
        """Share a video file: its picture and sound, as content."""
        session = self.session
        if session is None:
            return "not_joined"
        self._shared_what = os.path.basename(path)
        result = await session.share_file(path)
        if result == "bad_file" and self.call is not None:
            self.call.show_notice(self.tr("Cannot share {name}: {error}").format(
                name=os.path.basename(path), error=translator(FILE_SHARE)(session.file_error or "")))
        return result

    def _sync_share_button(self) -> None:
        if self.call is None or self.session is None:
            return
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
        if self.call is not None:
            self.call.set_sharing(sharing, getattr(self, "_shared_what", None),
                                  file=self.session is not None and self.session.file_source is not None)
        self._sync_share_button()

    def _on_share_stopped(self, reason: str) -> None:
        self._on_share_changed(False)
        if self.call is not None and reason not in ("stopped", "replaced", "left"):
            self.call.show_notice(describe_share(reason, translator(REASONS)))

    def _on_share_refused(self, reason: str, message: str) -> None:
        self._sync_share_button()
        if self.call is not None:
            self.call.show_notice(describe_share(reason, translator(REASONS)))

    # --- "Are you still there?" ------------------------------------------------------------------

    def open_settings(self) -> None:
        source = self.idle_source
        if self.settings_dialog is None:
            providers = {f"devices/{kind}": (lambda k=kind: [(d.id, d.name) for d in self.devices.devices(k)])
                         for kind in DeviceKind}
            providers[BACKGROUND_SETTING] = lambda: background_choices(self.settings.get(BACKGROUND_SETTING))
            self.settings_dialog = SettingsDialog(
                self.settings, providers, {INACTIVITY: describe_idle_detection(source)})
            self.settings_dialog.changed.connect(self._on_setting_changed)
        self.settings_dialog.show()
        self.settings_dialog.raise_()

    def open_about(self) -> None:
        if self.about_dialog is None:
            self.about_dialog = AboutDialog(self._diagnostic_facts)
        self.about_dialog.show()
        self.about_dialog.raise_()

    def _diagnostic_facts(self) -> dict[str, str]:
        """What only the running app knows, for "Copy diagnostics" (names, never tokens)."""
        facts = {}
        for kind in DeviceKind:
            facts[f"{kind.capitalize()}s"] = ", ".join(d.name for d in self.devices.devices(kind)) or "none"
        media = self.media
        if media is not None:
            facts["In use"] = ", ".join(f"{kind}: {device.name}" for kind, device in (
                ("camera", media.camera_device), ("microphone", media.microphone_device),
                ("speaker", media.speaker_device)) if device is not None) or "nothing"
            facts["Audio processing"] = "on" if media.voice.active else "off or unavailable"
        source = self.idle_source
        facts["Inactivity detection"] = (f"{getattr(source, 'name', '?')}"
                                         f"{' (all apps)' if getattr(source, 'system_wide', False) else ''}"
                                         if source is not None else "none")
        facts["In a meeting"] = "yes" if self.session is not None else "no"
        return facts

    def _apply_default_server(self) -> None:
        server = self.settings.get("general/default_server")
        field = self.start_window.server
        if server and not field.text():
            field.setText(server)

    def _watch_idle(self, session: MeetingSession) -> None:
        if self.idle_source is None:
            return
        timeout = effective_timeout(
            self.options.idle_timeout or self.settings.get("idle/timeout"),
            session.meeting.inactivity_timeout_seconds if session.meeting else None,
        )
        prompt = self.options.idle_prompt or self.settings.get("idle/prompt")
        watcher = self.idle = IdleWatcher(self.idle_source, timeout, prompt)
        dialog = self.idle_dialog = IdleDialog(self.call)
        dialog.stay_requested.connect(watcher.confirm)
        dialog.leave_requested.connect(lambda: (dialog.hide(), self._spawn(self.leave())))
        watcher.on(IdlePromptShown, self._on_idle_prompt)
        watcher.on(IdleCountdown, lambda e: dialog.set_seconds_left(e.seconds_left))
        watcher.on(IdleResumed, lambda e: dialog.hide())
        watcher.on(IdleTimedOut, self._on_idle_timed_out)
        watcher.start()

    def _on_idle_prompt(self, event: IdlePromptShown) -> None:
        if self.idle_dialog is not None:
            self.idle_dialog.ask(event.seconds_left)
        if self.media is not None:
            self.media.test_speaker()  # a soft chime on the chosen speaker

    def _on_idle_timed_out(self, event: IdleTimedOut) -> None:
        if self.idle_dialog is not None:
            self.idle_dialog.hide()
        if self.session is not None:
            self._spawn(self.session.leave("idle"))

    def _stop_idle(self) -> None:
        if self.idle is not None:
            self.idle.stop()
            self.idle = None
        if self.idle_dialog is not None:
            self.idle_dialog.hide()
            self.idle_dialog.deleteLater()
            self.idle_dialog = None

    def _on_meeting_left(self, reason: str) -> None:
        self._stop_idle()
        self._sounds.left()
        self._hands.clear()
        self._countdown.stop()
        if self.picker is not None:
            self.picker.close()
            self.picker.deleteLater()
            self.picker = None
        self.session = None
        self._drop_call_window()
        self._close_media()
        self.invite_url = None
        if self._quitting:
            return
        self.start_window.show_notice(describe(reason, translator(REASONS)))
        self._show(self.start_window, "StartWindow")
