"""What happens in a meeting, as the user lives it: past-tense events from MeetingSession."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .health import ConnectionPoor  # noqa: F401  (an event of the session too)
from .participant import Participant
from .timer import TimerChanged, TimeUp, TimeWarning  # noqa: F401  (events of the session too)


@dataclass(frozen=True)
class MeetingJoined:
    """In: me, everyone else, and what my role may do."""

    attendee: Participant
    roster: tuple[Participant, ...]
    capabilities: tuple[str, ...]


@dataclass(frozen=True)
class AttendeeJoined:
    attendee: Participant


@dataclass(frozen=True)
class AttendeeUpdated:
    """Someone changed (muted, camera, hand, a host's lock): me included."""

    attendee: Participant


@dataclass(frozen=True)
class AttendeeLeft:
    attendee_id: str
    reason: str


@dataclass(frozen=True)
class CameraRefused:
    """The meeting already forwards 16 cameras; you stay in with audio."""

    message: str


@dataclass(frozen=True)
class VideoSlotFreed:
    used: int
    max: int


@dataclass(frozen=True)
class CameraChanged:
    on: bool


@dataclass(frozen=True)
class RemoteVideoChanged:
    """What I receive of a remote attendee's video changed (the server's ``video_paused``):
    ``paused`` with a ``reason`` (``PauseReason.BANDWIDTH``: my downlink cannot carry it now;
    it resumes by itself), or the ``layer`` now forwarded (``VideoLayer``: ``high``, ``low``;
    None while paused or not shown)."""

    attendee_id: str
    paused: bool
    reason: str | None
    layer: str | None


@dataclass(frozen=True)
class VideoFrameReceived:
    """A picture from a remote attendee: a decoded ``av.VideoFrame``, or None on the light
    path, which counts frames without decoding them (``decoded`` False)."""

    attendee_id: str
    frame: Any
    decoded: bool


@dataclass(frozen=True)
class AudioFrameReceived:
    """Sound from a remote attendee: a decoded ``av.AudioFrame`` (None on the light path)."""

    attendee_id: str
    frame: Any


@dataclass(frozen=True)
class VolumesUpdated:
    """Volume indicators that changed (``wire.VolumeInfo``: volume, muted, signal_strength)."""

    updates: tuple[Any, ...]


@dataclass(frozen=True)
class ActiveSpeakersChanged:
    """Who is talking, most active first (empty: nobody)."""

    ranking: tuple[str, ...]


@dataclass(frozen=True)
class ScreenShareStarted:
    """My screen is shared, as the attendee ``attendee_id`` (``ME#content``)."""

    attendee_id: str


@dataclass(frozen=True)
class ScreenShareStopped:
    """My share ended: ``stopped`` (I stopped it), ``source_ended`` (the screen or window went
    away), ``removed`` (a host stopped it), or the meeting's end reason."""

    reason: str


@dataclass(frozen=True)
class ScreenShareRefused:
    """Sharing did not start: ``reason`` is the code (``content_share_unavailable`` when two
    others share already)."""

    reason: str
    message: str


@dataclass(frozen=True)
class ShareAvailabilityChanged:
    """Whether I could start a share now (fewer than 2 running, or mine is one of them)."""

    available: bool


@dataclass(frozen=True)
class SpotlightChanged:
    """A host put someone on everyone's stage (None: nobody any more)."""

    attendee_id: str | None


@dataclass(frozen=True)
class CapabilitiesChanged:
    """What my role may do changed (its call type's grants were changed)."""

    capabilities: tuple[str, ...]


@dataclass(frozen=True)
class ConnectionStatsUpdated:
    """Connection figures (``desktop.media.stats.LinkStats``) every 2 s, video frames a second
    per attendee, and my uplink's quality 0 / 0.5 / 1 (None: unknown yet)."""

    stats: Any
    frame_rates: dict[str, float]
    quality: float | None


@dataclass(frozen=True)
class ChatReceived:
    """A chat message (``wire.ChatInfo``: from, text, time; ``to`` set when private), mine
    included."""

    message: Any


@dataclass(frozen=True)
class ReactionReceived:
    attendee_id: str
    emoji: str


@dataclass(frozen=True)
class SpeakingWhileMuted:
    """I have been talking into a muted microphone for a second: tell me I am muted."""


@dataclass(frozen=True)
class Reconnecting:
    """The connection dropped: the meeting stays on screen while the session comes back."""


@dataclass(frozen=True)
class Reconnected:
    """Back in the meeting as the same attendee, after ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class IncomingMediaStalled:
    """Nothing has arrived from the others for a few seconds although someone sends: the
    session asks for keyframes, then reconnects the receiving connection (``repairing``)."""

    repairing: bool


@dataclass(frozen=True)
class IncomingMediaRestored:
    """Media from the others arrives again after a stall."""


@dataclass(frozen=True)
class ComputerBusy:
    """This computer cannot keep up (``busy``): some videos are paused until the load passes;
    False when every video is back."""

    busy: bool


@dataclass(frozen=True)
class VideoPaused:
    """Someone's video is paused on my side (``reason``: ``load`` — my computer is busy) or
    resumed (``reason`` None). Their voice goes on."""

    attendee_id: str
    reason: str | None


@dataclass(frozen=True)
class MeetingLeft:
    """The session is over: ``reason`` is ``left`` when we left, else why we had to."""

    reason: str


logger = logging.getLogger(__name__)

Handler = Callable[[Any], None]


class EventEmitter:
    """Typed events to handlers registered per event class; a failing handler is logged."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = {}

    def on(self, event_type: type, handler: Handler) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def off(self, event_type: type, handler: Handler) -> None:
        handlers = self._handlers.get(event_type, [])
        if handler in handlers:
            handlers.remove(handler)

    def emit(self, event: object) -> None:
        for handler in tuple(self._handlers.get(type(event), ())):
            try:
                handler(event)
            except Exception:
                logger.exception("handler failed for %s", type(event).__name__)
