"""Session events become Qt signals: the one bridge between the Qt-free core and widgets.

Under qasync the session runs on the GUI thread already; the bridge still decouples widgets
from the session's event classes, and queues nothing but Qt signals into the widgets.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..session.events import (
    ActiveSpeakersChanged,
    AttendeeJoined,
    AttendeeLeft,
    AttendeeUpdated,
    CameraChanged,
    CameraRefused,
    CapabilitiesChanged,
    IncomingMediaRestored,
    IncomingMediaStalled,
    ChatReceived,
    ComputerBusy,
    ConnectionPoor,
    ConnectionStatsUpdated,
    MeetingLeft,
    ReactionReceived,
    RemoteVideoChanged,
    Reconnected,
    SpeakingWhileMuted,
    SpotlightChanged,
    Reconnecting,
    ScreenShareRefused,
    ScreenShareStarted,
    ScreenShareStopped,
    ShareAvailabilityChanged,
    TimerChanged,
    TimeUp,
    TimeWarning,
    VideoFrameReceived,
    VideoPaused,
    VideoSlotFreed,
    VolumesUpdated,
)
from ..session.health import ReceivePoor, UplinkWeak
from ..session.meeting_session import MeetingSession


class SessionBridge(QObject):
    attendee_joined = Signal(object)  # AttendeeInfo
    attendee_updated = Signal(object)  # AttendeeInfo
    attendee_left = Signal(str, str)  # attendee id, reason
    video_frame = Signal(str, object)  # attendee id, av.VideoFrame
    camera_changed = Signal(bool)
    camera_refused = Signal(str)
    video_slot_freed = Signal()
    meeting_left = Signal(str)  # reason code
    active_speakers_changed = Signal(tuple)  # attendee ids, most active first
    volumes_updated = Signal(tuple)  # VolumeInfo updates
    share_started = Signal(str)  # my share's attendee id
    share_stopped = Signal(str)  # reason
    share_refused = Signal(str, str)  # reason code, message
    share_available = Signal(bool)
    timer_changed = Signal()
    time_warning = Signal(float)  # seconds left
    time_up = Signal()
    capabilities_changed = Signal(tuple)
    spotlight_changed = Signal(object)  # attendee id a host put on everyone's stage, or None
    reconnecting = Signal()
    speaking_while_muted = Signal()
    chat_received = Signal(object)  # wire.ChatInfo
    reaction_received = Signal(str, str)  # attendee id, emoji
    stats_updated = Signal(object, dict, object)  # LinkStats, frame rates, my quality or None
    connection_poor = Signal(float, bool)  # loss, suggest turning the camera off
    reconnected = Signal(float)  # seconds it took
    remote_video_changed = Signal(str, bool, object)  # attendee id, paused, reason (str or None)
    video_paused = Signal(str, object)  # attendee id, reason code or None (resumed)
    computer_busy = Signal(bool)  # some videos paused because this computer cannot keep up
    media_stalled = Signal(bool)  # nothing arrives from the others; True: reconnecting to repair it
    media_restored = Signal()
    uplink_weak = Signal()  # others may not see my video well
    receive_poor = Signal(bool)  # what the others send arrives badly (True: this computer was busy)

    def __init__(self, session: MeetingSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._handlers: list[tuple[type, object]] = []
        on = self._on
        on(AttendeeJoined, lambda e: self.attendee_joined.emit(e.attendee))
        on(AttendeeUpdated, lambda e: self.attendee_updated.emit(e.attendee))
        on(AttendeeLeft, lambda e: self.attendee_left.emit(e.attendee_id, e.reason))
        on(VideoFrameReceived, lambda e: self.video_frame.emit(e.attendee_id, e.frame))
        on(CameraChanged, lambda e: self.camera_changed.emit(e.on))
        on(CameraRefused, lambda e: self.camera_refused.emit(e.message))
        on(VideoSlotFreed, lambda e: self.video_slot_freed.emit())
        on(MeetingLeft, lambda e: self.meeting_left.emit(e.reason))
        on(ActiveSpeakersChanged, lambda e: self.active_speakers_changed.emit(e.ranking))
        on(VolumesUpdated, lambda e: self.volumes_updated.emit(e.updates))
        on(ScreenShareStarted, lambda e: self.share_started.emit(e.attendee_id))
        on(ScreenShareStopped, lambda e: self.share_stopped.emit(e.reason))
        on(ScreenShareRefused, lambda e: self.share_refused.emit(e.reason, e.message))
        on(ShareAvailabilityChanged, lambda e: self.share_available.emit(e.available))
        on(TimerChanged, lambda e: self.timer_changed.emit())
        on(TimeWarning, lambda e: self.time_warning.emit(e.seconds_left))
        on(TimeUp, lambda e: self.time_up.emit())
        on(CapabilitiesChanged, lambda e: self.capabilities_changed.emit(e.capabilities))
        on(SpotlightChanged, lambda e: self.spotlight_changed.emit(e.attendee_id))
        on(Reconnecting, lambda e: self.reconnecting.emit())
        on(SpeakingWhileMuted, lambda e: self.speaking_while_muted.emit())
        on(ChatReceived, lambda e: self.chat_received.emit(e.message))
        on(ReactionReceived, lambda e: self.reaction_received.emit(e.attendee_id, e.emoji))
        on(ConnectionStatsUpdated, lambda e: self.stats_updated.emit(e.stats, e.frame_rates, e.quality))
        on(ConnectionPoor, lambda e: self.connection_poor.emit(e.loss, e.suggest_video_off))
        on(Reconnected, lambda e: self.reconnected.emit(e.seconds))
        on(RemoteVideoChanged, lambda e: self.remote_video_changed.emit(e.attendee_id, e.paused, e.reason))
        on(VideoPaused, lambda e: self.video_paused.emit(e.attendee_id, e.reason))
        on(ComputerBusy, lambda e: self.computer_busy.emit(e.busy))
        on(IncomingMediaStalled, lambda e: self.media_stalled.emit(e.repairing))
        on(IncomingMediaRestored, lambda e: self.media_restored.emit())
        on(UplinkWeak, lambda e: self.uplink_weak.emit())
        on(ReceivePoor, lambda e: self.receive_poor.emit(e.computer))

    def _on(self, event_type: type, handler) -> None:
        self.session.on(event_type, handler)
        self._handlers.append((event_type, handler))

    def close(self) -> None:
        """Stop passing the session's events on (the call is over; its widgets are going)."""
        for event_type, handler in self._handlers:
            self.session.off(event_type, handler)
        self._handlers.clear()
