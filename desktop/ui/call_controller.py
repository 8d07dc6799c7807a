"""CallController: one call, from the join to the reason it ended.

One per call window. It puts the session's events on the window (through the bridge: people,
pictures, hands, reactions, chat, the timer, the connection), turns the window's buttons into
session requests (microphone, camera, chat, Extend, moderation, Leave, End), plays the
notification sounds, and owns what lives only during the call: the screen share
(ShareController), "Are you still there?" (IdlePrompt), the connection panel and the countdown.
When the meeting is left it closes the window and emits ``ended`` with the reason; the flow
takes the user back to the start.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import logging

from PySide6.QtCore import QLocale, QObject, QTimer, Signal
from shiboken6 import isValid

from ..idle.watcher import IdleSource
from ..media.devices import Device, DeviceKind
from ..media.screens import ScreenCatalog
from ..media.sounds import CHAT, HAND, JOIN, LEAVE, SoundPolicy, sound
from ..session import REACTIONS, Capability, EndReason, ModerationAction, content_owner
from ..session.meeting_session import MeetingSession
from ..session.reasons import CallEnd
from ..session.timer import format_left
from .bridge import SessionBridge
from .call_window import SELF, CallWindow
from .connection_panel import ConnectionPanel
from .device_controller import DeviceController
from .idle_prompt import IdlePrompt
from .call_stats import note_timeline, write_stats
from .media_notices import MediaNotices
from .leave_prompt import LeavePrompt
from .settings import Settings
from .share_controller import ShareController
from .video_needs import VideoNeedsReporter
from .spotlight import show_spotlight
from ..tasks import TaskOwner

logger = logging.getLogger(__name__)
SOUND_SETTINGS = {JOIN: "sounds/join_leave", LEAVE: "sounds/join_leave", CHAT: "sounds/chat", HAND: "sounds/hand"}


@dataclass(frozen=True)
class CallOptions:
    """What this run asks of every call (from the command line and the environment)."""

    idle_timeout: float | None = None  # overrides the setting (--idle-timeout)
    idle_prompt: float | None = None  # --idle-prompt
    share_screen: bool = False  # share the first screen as soon as the call starts (--share-screen)
    stats_file: str | None = None  # where to note what each tile showed (bench/app.py)


class CallController(QObject):
    ended = Signal(str)  # the meeting was left (the window is closed): the reason code

    def __init__(self, session: MeetingSession, name: str, devices: DeviceController, settings: Settings,
                 tasks: TaskOwner, options: CallOptions, invite_url: str | None = None,
                 screens: ScreenCatalog | None = None, idle_source: IdleSource | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        """``session``: made, not yet joined; ``name``: mine, on the self-view until the server
        says; ``clock``: wall time for the sounds' pacing (tests move it)."""
        super().__init__()
        self.session = session
        self.devices = devices
        self.settings = settings
        self.tasks = tasks
        self.options = options
        self.idle_source = idle_source
        self.joined = False  # the join succeeded (until then, the window is not shown)
        self._closed = False
        self._ending = False  # I asked to end the meeting for everyone
        self.idle: IdlePrompt | None = None
        self.connection_panel: ConnectionPanel | None = None
        self._sounds = SoundPolicy(clock)
        self._hands: set[str] = set()
        self._timer_ends_at: float | None = None
        self._started: float | None = None
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self.update_countdown)
        call = self.window = CallWindow()
        settings.restore_splitter(call.splitter, "CallWindow")  # the side panels' widths
        call.set_self(name)
        call.set_invite(invite_url)
        call.set_layout(settings.get("call/layout"))  # as last chosen
        call.bar.layout_chosen.connect(lambda mode: settings.set("call/layout", mode))
        bridge = self.bridge = SessionBridge(session, call)
        self.share = ShareController(session, call, bridge, screens, tasks)
        self.video_needs = VideoNeedsReporter(session, call.grid, bridge, tasks, SELF)
        self.media_notices = MediaNotices(call, bridge, self._tile_key)
        self.leave_prompt = LeavePrompt(call, lambda: self.tasks.spawn(self.leave()))
        call.destroyed.connect(self._on_window_destroyed)
        self._connect(call, bridge, session)

    def _connect(self, call: CallWindow, bridge: SessionBridge, session: MeetingSession) -> None:
        spawn = self.tasks.spawn
        bridge.attendee_joined.connect(call.add_attendee)
        bridge.attendee_joined.connect(lambda info: self._notify(JOIN, info.attendee_id))
        bridge.attendee_joined.connect(lambda info: info.hand_raised_at and self._hands.add(info.attendee_id))
        bridge.attendee_left.connect(lambda attendee_id, _reason: self._notify(LEAVE, attendee_id))
        bridge.chat_received.connect(
            lambda chat: call.chat.isVisible() or self._notify(CHAT, chat.from_id))
        bridge.reconnected.connect(lambda _seconds: self._sounds.joined())  # the roster again is not news
        bridge.attendee_updated.connect(self._on_attendee_updated)
        bridge.attendee_left.connect(lambda attendee_id, _reason: call.remove_attendee(attendee_id))
        bridge.video_frame.connect(call.stage.show_frame)
        bridge.camera_changed.connect(lambda _on: self._sync_camera_button())
        bridge.camera_refused.connect(self._on_camera_refused)
        bridge.video_slot_freed.connect(self._sync_camera_button)
        bridge.meeting_left.connect(self._on_meeting_left)
        bridge.active_speakers_changed.connect(self._on_active_speakers)
        bridge.volumes_updated.connect(call.roster.show_volumes)
        call.roster.moderate_requested.connect(lambda who, action: spawn(self.moderate(who, action)))
        call.mic_toggled.connect(lambda on: spawn(self.set_mic(on)))
        call.camera_toggled.connect(lambda on: spawn(self.set_camera(on)))
        call.device_chosen.connect(self.choose_device)
        call.leave_requested.connect(lambda: spawn(self.leave()))
        call.end_requested.connect(lambda: spawn(self.end_meeting()))
        bridge.timer_changed.connect(self._on_timer_changed)
        bridge.time_warning.connect(lambda _left: call.show_time_notice(self.tr("Less than 5 minutes remaining.")))
        bridge.time_up.connect(lambda: call.show_time_notice(self.tr("The time has run out.")))
        bridge.capabilities_changed.connect(self._on_capabilities_changed)
        bridge.spotlight_changed.connect(lambda who: show_spotlight(call, who, self._tile_key))
        bridge.stats_updated.connect(self._on_stats)
        bridge.connection_poor.connect(lambda _loss, video_off: call.show_connection_poor(video_off))
        bridge.volumes_updated.connect(self._on_volumes)
        call.connection_requested.connect(self.open_connection_panel)
        bridge.chat_received.connect(call.add_chat)
        bridge.reaction_received.connect(lambda who, emoji: call.show_reaction(self._tile_key(who), emoji))
        bridge.attendee_joined.connect(lambda info: info.content or call.chat.add_person(info.attendee_id, info.name))
        bridge.attendee_left.connect(lambda attendee_id, _reason: call.chat.remove_person(attendee_id))
        call.chat.send_requested.connect(lambda text, to: spawn(self.send_chat(text, to)))
        call.hand_toggled.connect(lambda raised: spawn(session.raise_hand(raised)))
        call.react_requested.connect(lambda emoji: spawn(session.react(emoji)))
        bridge.speaking_while_muted.connect(call.show_muted_hint)
        call.push_to_talk.connect(self._push_to_talk)
        bridge.reconnecting.connect(lambda: call.set_reconnecting(True))
        bridge.reconnected.connect(lambda seconds: (call.set_reconnecting(False),
                                                    call.show_notice(self.tr("Reconnected after {seconds} s.").format(
                                                        seconds=QLocale().toString(float(seconds), "f", 1)), 4)))
        call.extend_requested.connect(lambda seconds: spawn(self.extend(seconds)))
        self.devices.device_lost.connect(self._on_device_lost)
        self.devices.lists_changed.connect(self._show_devices)

    # --- the join -----------------------------------------------------------------------------

    def start(self, mic_on: bool) -> None:
        """The join succeeded: fill the window with the meeting as the server has it."""
        session, call = self.session, self.window
        self.joined = True
        call.ask_before_closing = True  # its ✕ asks "Leave the meeting?"
        self._started = asyncio.get_event_loop().time()
        self._sounds.joined()
        call.set_self(session.me.name)  # the name the server knows me by (an invited name stays)
        call.roster.set_me(session.me.attendee_id, session.capabilities)
        call.roster.upsert(session.me)
        call.set_me(session.me.attendee_id)
        call.chat.me = session.me.attendee_id
        call.chat.set_people({a.attendee_id: a.name for a in session.attendees.values() if not a.content})
        call.set_reactions(REACTIONS)
        call.set_hand(session.hand_raised)
        call.set_can_end(Capability.END_CALL in session.capabilities)
        call.set_can_extend(session.can_extend)
        self.update_countdown()
        self._countdown.start()
        call.bar.share_button.setVisible(self.share.offered and Capability.SCREENSHARE in session.capabilities)
        self.share.sync_button()
        if self.idle_source is not None:
            self.idle = IdlePrompt.for_session(
                self.idle_source, session, self.options.idle_timeout or self.settings.get("idle/timeout"),
                self.options.idle_prompt or self.settings.get("idle/prompt"), call,
                chime=self.devices.test_speaker, leave=lambda: self.tasks.spawn(self.leave()),
                time_out=lambda: self.tasks.spawn(session.leave(EndReason.IDLE)))
        for attendee in session.attendees.values():
            call.add_attendee(attendee)
            if attendee.hand_raised_at:  # raised before we came: not news when it is updated
                self._hands.add(attendee.attendee_id)
        call.set_mic(mic_on)
        self._sync_camera_button()
        self._show_devices()

    def start_sharing_if_asked(self) -> None:
        """--share-screen: share once the window shows (when this user may share here)."""
        if self.options.share_screen and self.window.bar.share_button.isVisible():
            self.share.share_first_screen()

    def _on_meeting_left(self, reason: str) -> None:
        if reason == EndReason.ENDED_BY_HOST and self._ending:  # I was the host who ended it
            reason = CallEnd.ENDED_BY_ME
        self.close()
        self.ended.emit(reason)

    def close(self) -> None:
        """The call is over (or never began): stop what runs with it and close the window (once)."""
        if self._closed:
            return
        self._closed = True
        call = self.window
        alive = isValid(call)  # not when destroyed from outside (_on_window_destroyed)
        if self.idle is not None:
            if alive:
                self.idle.stop()
            else:  # its dialog went with the window
                self.idle.watcher.stop()
            self.idle = None
        self._sounds.left()
        self._hands.clear()
        self._countdown.stop()
        self.bridge.close()
        self.devices.device_lost.disconnect(self._on_device_lost)
        self.devices.lists_changed.disconnect(self._show_devices)
        if not alive:
            return
        self.share.close()
        self._write_stats()
        call = self.window
        call.stage.scaler.close()
        call.ask_before_closing = False
        self.settings.save_splitter(call.splitter, "CallWindow")
        call.hide()
        call.deleteLater()

    def _on_window_destroyed(self) -> None:
        """The window went without the call ending (deleted from outside): never stay in the
        meeting with no window — leave it, and let the flow take the user back to the start."""
        if self._closed:
            return
        logger.warning("the call window was destroyed during the call: leaving the meeting")
        self.joined = False  # nothing is shown in it any more (the flow's session is None)
        self.close()  # the bridge first: nothing may reach the deleted widgets
        self.tasks.spawn(self._leave_without_window())

    async def _leave_without_window(self) -> None:
        await self.session.leave()
        self.ended.emit(self.session.end_reason or EndReason.LEFT)

    def _write_stats(self) -> None:
        """With a stats file asked for, note what the call showed (bench/app.py, app_load.py)."""
        if self.options.stats_file and self._started is not None:
            write_stats(self.options.stats_file, asyncio.get_event_loop().time() - self._started,
                        self.window.grid, self.session.remote)

    # --- people -------------------------------------------------------------------------------

    def _is_me(self, attendee_id: str) -> bool:
        return self.session.me is not None and attendee_id == self.session.me.attendee_id

    def _tile_key(self, attendee_id: str) -> str:
        return SELF if self._is_me(attendee_id) else attendee_id

    def _on_attendee_updated(self, info) -> None:
        if not self.joined:
            return
        call = self.window
        if self._is_me(info.attendee_id):
            call.roster.upsert(info)
            call.set_hand(bool(info.hand_raised_at))
            call.set_mic(not self.session.muted)  # a host may have muted us (the session decides:
            # the server's echo of my own earlier mute can come after Space unmuted me again)
            call.set_mic_locked(self.tr("A host muted you. You can unmute once they allow it.")
                                if info.mute_locked else None)
            return
        if info.hand_raised_at and info.attendee_id not in self._hands:
            self._notify(HAND, info.attendee_id)
        self._hands.discard(info.attendee_id)
        if info.hand_raised_at:
            self._hands.add(info.attendee_id)
        call.update_attendee(info)

    def _notify(self, kind: str, attendee_id: str) -> None:
        """A notification sound for something another person did, if the settings want it."""
        media = self.devices.media
        if not self.joined or media is None or media.speaker is None or "#" in attendee_id:
            return  # not in the call yet, nowhere to play, or a screen share coming and going
        if self._is_me(attendee_id):
            return
        if self.settings.get(SOUND_SETTINGS[kind]) and self._sounds.allow():
            media.speaker.play_sound(sound(kind))

    def _on_active_speakers(self, ranking: tuple) -> None:
        if self.joined:
            self.window.stage.set_active_speaker(self._tile_key(ranking[0]) if ranking else None)

    async def moderate(self, attendee_id: str, action: ModerationAction) -> None:
        try:
            await self.session.moderate(attendee_id, action)
        except Exception as exc:  # the server refused (e.g. missing_capability): say so
            failed = {
                ModerationAction.MUTE: self.tr("Could not mute them: {error}"),
                ModerationAction.ALLOW_UNMUTE: self.tr("Could not allow them to unmute: {error}"),
                ModerationAction.LOWER_HAND: self.tr("Could not lower their hand: {error}"),
                ModerationAction.MAKE_HOST: self.tr("Could not make them a host: {error}"),
                ModerationAction.SPOTLIGHT: self.tr("Could not spotlight them: {error}"),
                ModerationAction.UNSPOTLIGHT: self.tr("Could not remove the spotlight: {error}"),
                ModerationAction.REMOVE: self.tr("Could not stop their screen share: {error}") if content_owner(attendee_id)
                else self.tr("Could not remove them from the meeting: {error}"),
            }.get(action) or self.tr("Could not do that: {error}")
            self.window.show_notice(failed.format(error=getattr(exc, "message", exc)))

    def _on_capabilities_changed(self, capabilities: tuple) -> None:
        if not self.joined:
            return
        call, session = self.window, self.session
        call.set_can_extend(session.can_extend)
        call.set_can_end(Capability.END_CALL in capabilities)
        call.bar.share_button.setVisible(self.share.offered and Capability.SCREENSHARE in capabilities)
        call.roster.set_me(session.me.attendee_id if session.me else "", capabilities)

    # --- microphone and camera ------------------------------------------------------------------

    async def set_mic(self, on: bool) -> None:
        self.settings.set_flag("mic_on", on)
        media = self.devices.media
        if on and media is not None and media.microphone_device is not None:
            self.session.use_microphone(media.microphone_track)
        await self.session.set_muted(not on)

    async def set_camera(self, on: bool) -> None:
        if self.devices.media is None:
            return
        self.settings.set_flag("camera_on", on)
        if on:
            if not self.devices.camera_on():
                self.window.set_camera(False)
                self.window.show_notice(self.tr("There is no camera to turn on."))
                return
            await self.session.set_camera(True)
        else:
            await self.session.set_camera(False)
            self.devices.camera_off()  # the camera's light goes off
        self._sync_camera_button()

    def _push_to_talk(self, talking: bool) -> None:
        """Space held while muted: unmuted until it is released."""
        if self.joined:
            self.window.set_mic(talking)
            self.tasks.spawn(self.session.set_muted(not talking))

    def _no_video_slot(self) -> str:
        return self.tr("all 16 video slots are in use; it turns on when one frees")

    def _on_camera_refused(self, message: str) -> None:
        self.window.set_camera(False, unavailable=self._no_video_slot())
        self.window.show_notice(self.tr("Video unavailable: {reason}").format(reason=message))

    def _sync_camera_button(self) -> None:
        if not self.joined:
            return
        session, media = self.session, self.devices.media
        if session.camera_on:
            self.window.set_camera(True)
        elif session.wants_camera and session.camera is not None and media and media.camera_device:
            self.window.set_camera(False, unavailable=self._no_video_slot())
        else:
            self.window.set_camera(False)

    def choose_device(self, kind: DeviceKind, device: Device | None) -> None:
        """The user picked another device mid-call: the meeting hears and sees the new one."""
        self.devices.choose(kind, device, camera_wanted=self.session.wants_camera)
        media = self.devices.media
        if kind == DeviceKind.MICROPHONE and media.microphone_device is not None:
            self.session.use_microphone(media.microphone_track)  # joined without one, maybe
        elif kind == DeviceKind.SPEAKER:
            self.session.use_speaker(media.speaker)

    def _on_device_lost(self, kind: DeviceKind, fallback: Device | None) -> None:
        if not self.joined:
            return
        media = self.devices.media
        if kind == DeviceKind.SPEAKER and media is not None:
            self.session.use_speaker(media.speaker)
        if kind == DeviceKind.CAMERA and fallback is None:
            self.tasks.spawn(self.session.set_camera(False))
            self.window.set_camera(False)

    def _show_devices(self) -> None:
        self.devices.show_in(self.window)

    def show_self_frame(self, frame) -> None:
        self.window.show_self_frame(frame)

    # --- leaving, chat, the timer, the connection ----------------------------------------------

    async def leave(self) -> None:
        await self.session.leave()

    async def end_meeting(self) -> None:
        self._ending = True
        await self.session.end_meeting()

    async def send_chat(self, text: str, to: str | None) -> None:
        try:
            await self.session.send_chat(text, to)
            self.window.chat.show_error("")
        except Exception as exc:  # too long, too fast, they left: say so where they typed
            self.window.chat.show_error(self.tr("Not sent: {error}").format(error=getattr(exc, "message", exc)))

    def update_countdown(self) -> None:
        """Show the time left (every second, and at once when the server moves the end)."""
        if not self.joined:
            return
        self.session.tick_timer()  # the warning and time's up, if due
        left = self.session.timer.remaining()
        self.window.show_time_left(left, format_left(left) if left is not None else "")

    async def extend(self, seconds: int) -> None:
        try:
            await self.session.extend(seconds)
        except Exception as exc:  # refused (e.g. missing_capability) or unreachable: say so
            self.window.show_notice(self.tr("Could not extend the meeting: {error}").format(
                error=getattr(exc, "message", exc)))

    def _on_timer_changed(self) -> None:
        ends_at = self.session.timer.ends_at  # also while joining
        before, self._timer_ends_at = self._timer_ends_at, ends_at
        if before is not None and ends_at is not None and ends_at > before:
            self.window.time_notice.setVisible(False)  # the warning no longer holds
            minutes = max(1, round((ends_at - before) / 60))  # "by 30 minutes", not "by 30:00"
            self.window.show_notice(self.tr("The meeting was extended by %n minutes.", "", minutes))
        self.update_countdown()

    def open_connection_panel(self) -> None:
        if self.connection_panel is None or not isValid(self.connection_panel):  # gone: a new one
            self.connection_panel = ConnectionPanel(self.window)
        self.connection_panel.show()
        self.connection_panel.raise_()

    def _on_stats(self, stats, frame_rates: dict, quality) -> None:
        if self._closed:  # a tick after the call (its widgets are going)
            return
        if self.options.stats_file and self.joined:
            note_timeline(self.options.stats_file, self.window.grid, self.session.remote)
        self.window.show_quality(SELF, quality)
        panel = self.connection_panel
        if panel is not None and isValid(panel) and panel.isVisible():
            remote = self.session.remote
            self.connection_panel.show_stats(stats, frame_rates, quality, self.window.names,
                                             videos=remote.video_totals(), paused=remote.paused,
                                             served=remote.video_states)

    def _on_volumes(self, updates: tuple) -> None:
        for info in updates:
            self.window.show_quality(info.attendee_id, info.signal_strength)
