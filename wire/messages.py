"""Every message of the signalling protocol, as a frozen dataclass validated when built.

docs/protocol.md documents each one with an example; keep the two together.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from .limits import (
    MAX_CHAT_CHARS,
    MAX_CHAT_PAGE,
    MAX_NAME_CHARS,
    MAX_SDP_CHARS,
    MAX_SDP_MEDIA_SECTIONS,
    REACTIONS,
)
from .vocabulary import ModerationAction, PauseReason, VideoLayer

Kind = Literal["audio", "video"]

#: A screen share joins as its own attendee: the owner's id with this suffix.
CONTENT_SUFFIX = "#content"


def content_attendee_id(owner_id: str) -> str:
    return owner_id + CONTENT_SUFFIX


def content_owner(attendee_id: str) -> str | None:
    """The attendee sharing, when ``attendee_id`` is a screen share; else None."""
    if attendee_id.endswith(CONTENT_SUFFIX) and len(attendee_id) > len(CONTENT_SUFFIX):
        return attendee_id[: -len(CONTENT_SUFFIX)]
    return None


def is_content_attendee(attendee_id: str) -> bool:
    """Whether ``attendee_id`` is a screen share's."""
    return content_owner(attendee_id) is not None


#: Most tiles one ``video_needs`` may describe (16 cameras and 2 shares, with room to spare).
MAX_TILE_NEEDS = 64
#: Largest tile size accepted, in pixels (an 8K screen).
MAX_TILE_PIXELS = 8192


def _check_sdp(sdp: str) -> None:
    if not sdp.strip():
        raise ValueError("sdp must not be empty")
    if len(sdp) > MAX_SDP_CHARS:
        raise ValueError(f"sdp longer than {MAX_SDP_CHARS} characters")
    # Lines as aiortc's parser splits them, so no other line break can hide a section.
    sections = sum(1 for line in sdp.splitlines() if line.startswith("m="))
    if sections > MAX_SDP_MEDIA_SECTIONS:
        raise ValueError(
            f"sdp has {sections} media sections (m= lines); at most {MAX_SDP_MEDIA_SECTIONS} are accepted"
        )


#: Unicode categories a display name may not hold: controls (NUL, newlines, ...), format
#: characters (the bidi overrides and isolates U+202A–U+202E and U+2066–U+2069, the zero-width
#: U+200B–U+200F, U+2060 and U+FEFF, ...), lone surrogates and the line and paragraph separators.
NAME_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def name_forbids(char: str) -> bool:
    """Whether ``char`` may not be part of a display name."""
    return unicodedata.category(char) in NAME_FORBIDDEN_CATEGORIES


def display_name(raw: str) -> str:
    """``raw`` as a display name: trimmed, 1 to MAX_NAME_CHARS characters, none of them a
    control, format (bidi, zero-width), surrogate or line-separator character, which could
    hide or reorder what others read. Raises ValueError saying what is wrong."""
    name = raw.strip()
    if not name:
        raise ValueError("a name must not be blank")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"a name is at most {MAX_NAME_CHARS} characters")
    bad = next((c for c in name if name_forbids(c)), None)
    if bad is not None:
        raise ValueError(f"a name may not hold U+{ord(bad):04X} ({unicodedata.name(bad, 'a control character')}): "
                         "no control, bidi or zero-width characters")
    return name


# --- value types -------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeInfo:
    """One person (or content) in a meeting as others see it."""

    attendee_id: str
    user_id: str
    name: str
    role: str
    muted: bool = False
    video: bool = False
    #: a host muted this attendee and did not allow unmuting yet
    mute_locked: bool = False
    #: a screen share (``OWNER_ID#content``), not a person
    content: bool = False
    #: when this attendee raised their hand (ISO 8601 UTC); None: not raised
    hand_raised_at: str | None = None
    #: it publishes, but its publishing media connection has not connected (yet, or since it
    #: came back): nothing it sends reaches the server, whatever its signal strength says
    connecting: bool = False

    def __post_init__(self) -> None:
        if not self.attendee_id:
            raise ValueError("attendee_id must not be empty")
        if len(self.name) > MAX_NAME_CHARS:
            raise ValueError(f"name longer than {MAX_NAME_CHARS} characters")


@dataclass(frozen=True)
class MeetingInfo:
    meeting_id: str
    call_type: str
    started_at: str | None = None
    timer_ends_at: str | None = None
    #: the meeting's "Are you still there?" limit (settings.limits.inactivity_timeout_seconds)
    inactivity_timeout_seconds: int | None = None


@dataclass(frozen=True)
class TrackInfo:
    """What one media section (mid) of the receiving connection carries right now."""

    mid: str
    kind: Kind
    attendee_id: str | None = None


def signal_strength(loss: float | None) -> float | None:
    """Chime's 0 / 0.5 / 1 signal strength from a share of packets lost (None: unknown)."""
    if loss is None:
        return None
    return 1.0 if loss < 0.05 else 0.5 if loss < 0.2 else 0.0


@dataclass(frozen=True)
class VolumeInfo:
    """An attendee's volume indicator (Chime's semantics): ``volume`` 0..1 as measured by the
    sender, ``muted``, and ``signal_strength`` 0 / 0.5 / 1 from the loss the server sees on that
    attendee's uplink."""

    attendee_id: str
    volume: float
    muted: bool
    signal_strength: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError("volume must be between 0 and 1")
        if self.signal_strength not in (0.0, 0.5, 1.0):
            raise ValueError("signal_strength is 0, 0.5 or 1")


@dataclass(frozen=True)
class IceServer:
    """A TURN server the receiver may relay its media through (WebRTC's ``RTCIceServer``), with
    credentials made for it alone that stop working at the time in their ``username``
    (the TURN REST API scheme: ``"<expiry unix time>:<attendee id>"``)."""

    urls: list[str]
    username: str
    credential: str

    def __post_init__(self) -> None:
        if not self.urls or not all(u.startswith(("turn:", "turns:")) for u in self.urls):
            raise ValueError("urls are turn: or turns: URLs")


@dataclass(frozen=True)
class ChatInfo:
    """One chat message as its readers see it: to everyone (``to`` None) or private."""

    message_id: int
    from_id: str
    from_name: str
    text: str
    sent_at: str
    to: str | None = None


@dataclass(frozen=True)
class TileNeed:
    """How one remote video is shown: its tile's size on screen in device pixels (0 x 0:
    hidden, it needs nothing) and whether it is on stage (the active speaker or pinned: it is
    served before the other cameras when the link is short)."""

    attendee_id: str
    width: int
    height: int
    stage: bool = False

    def __post_init__(self) -> None:
        for side in (self.width, self.height):
            if not 0 <= side <= MAX_TILE_PIXELS:
                raise ValueError(f"a tile's width and height are 0 to {MAX_TILE_PIXELS} pixels")


@dataclass(frozen=True)
class VideoSlots:
    used: int
    max: int


# --- messages ----------------------------------------------------------------------------


class Message:
    """Base of all messages; ``TYPE`` is the ``type`` field on the wire."""

    TYPE: ClassVar[str] = ""


# client -> server


@dataclass(frozen=True)
class Join(Message):
    """First message on a new socket: who I am (the join token) and where I go.

    With ``content`` the socket is a screen share of the attendee the token names (who must be
    in the meeting already): it joins as ``ATTENDEE_ID#content`` and only publishes video. At
    most 2 shares run at once; a third is refused with ``content_share_unavailable``.

    ``name`` names a new guest of an invite link (``display_name``'s rules); an attendee that
    exists keeps its stored name, whatever a ``join`` says."""

    TYPE: ClassVar[str] = "join"
    meeting_id: str
    token: str
    name: str | None = None
    content: bool = False

    def __post_init__(self) -> None:
        if not self.meeting_id or not self.token:
            raise ValueError("meeting_id and token must not be empty")
        if self.name is not None and not self.name.strip():
            object.__setattr__(self, "name", None)  # blank: no name given
        if self.name is not None and len(self.name) > MAX_NAME_CHARS:
            raise ValueError(f"name longer than {MAX_NAME_CHARS} characters")


@dataclass(frozen=True)
class Publish(Message):
    """Offer of the connection the client sends on; says whether it wants its camera on."""

    TYPE: ClassVar[str] = "publish"
    sdp: str
    audio: bool = True
    video: bool = True

    def __post_init__(self) -> None:
        _check_sdp(self.sdp)


@dataclass(frozen=True)
class Camera(Message):
    """Turn my camera on or off. On is refused with ``video_unavailable`` when 16 are on."""

    TYPE: ClassVar[str] = "camera"
    on: bool


@dataclass(frozen=True)
class Mute(Message):
    TYPE: ClassVar[str] = "mute"
    muted: bool


@dataclass(frozen=True)
class SubscribeAnswer(Message):
    """Answer to the server's ``subscribe_offer`` for the connection the client receives on."""

    TYPE: ClassVar[str] = "subscribe_answer"
    sdp: str

    def __post_init__(self) -> None:
        _check_sdp(self.sdp)


@dataclass(frozen=True)
class Volume(Message):
    """How loud my microphone is right now (0..1, measured from what it captures), about 5 times
    a second while it changes."""

    TYPE: ClassVar[str] = "volume"
    volume: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError("volume must be between 0 and 1")


@dataclass(frozen=True)
class Moderate(Message):
    """A host acts on another attendee: ``mute`` (and lock their unmute), ``allow_unmute``,
    ``lower_hand``, ``remove`` them from the meeting (connected or not: their token lets them in
    no more; with ``revoke_invite`` neither does the invite link they came through), or
    ``make_host`` (they get the host's own role, stored), ``spotlight`` them on everyone's stage
    or ``unspotlight`` them. Needs ``mute-others`` /
    ``remove-participant`` / ``update-call-settings`` (``ModerationAction.capability``)."""

    TYPE: ClassVar[str] = "moderate"
    attendee_id: str
    action: ModerationAction
    revoke_invite: bool = False


@dataclass(frozen=True)
class SendChat(Message):
    """Say something in the meeting's chat: to everyone, or privately ``to`` one attendee.
    The reply is the ``chat_message`` everyone it reaches gets."""

    TYPE: ClassVar[str] = "chat"
    text: str
    to: str | None = None

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a chat message must not be empty")
        if len(self.text) > MAX_CHAT_CHARS:
            raise ValueError(f"a chat message is at most {MAX_CHAT_CHARS} characters")


@dataclass(frozen=True)
class ChatHistoryRequest(Message):
    """Ask for older chat: the messages I may read sent before message ``before`` (None: the
    latest), at most ``limit``, and fewer when they would not fit in MAX_CHAT_HISTORY_BYTES.
    The reply is a ``chat_history`` page."""

    TYPE: ClassVar[str] = "chat_history_request"
    before: int | None = None
    limit: int = MAX_CHAT_PAGE

    def __post_init__(self) -> None:
        if self.before is not None and self.before < 1:
            raise ValueError("before is a message_id (1 or more)")
        if not 1 <= self.limit <= MAX_CHAT_PAGE:
            raise ValueError(f"limit is 1 to {MAX_CHAT_PAGE}")


@dataclass(frozen=True)
class RaiseHand(Message):
    TYPE: ClassVar[str] = "raise_hand"
    raised: bool


@dataclass(frozen=True)
class React(Message):
    """A reaction, shown briefly over my tile for everyone: one of ``REACTIONS``."""

    TYPE: ClassVar[str] = "react"
    emoji: str

    def __post_init__(self) -> None:
        if self.emoji not in REACTIONS:
            raise ValueError(f"a reaction is one of {' '.join(REACTIONS)}")


@dataclass(frozen=True)
class EndMeeting(Message):
    """End the meeting for everyone (reason ``ended_by_host``). Needs ``end-call``."""

    TYPE: ClassVar[str] = "end_meeting"


@dataclass(frozen=True)
class RequestKeyframe(Message):
    """Ask the server for a fresh picture of one attendee (e.g. after a decoder error)."""

    TYPE: ClassVar[str] = "request_keyframe"
    attendee_id: str


@dataclass(frozen=True)
class VideoNeeds(Message):
    """What each remote video I show needs (LiveKit's adaptive stream): replaces what I said
    before. A video not listed gets any layer; a tile of height 0 gets nothing (not a pause
    for bandwidth: I do not show it)."""

    TYPE: ClassVar[str] = "video_needs"
    tiles: list[TileNeed]

    def __post_init__(self) -> None:
        if len(self.tiles) > MAX_TILE_NEEDS:
            raise ValueError(f"at most {MAX_TILE_NEEDS} tiles")


@dataclass(frozen=True)
class Leave(Message):
    """Leave the meeting; the others see ``reason`` (``idle``: nobody answered "Are you
    still there?")."""

    TYPE: ClassVar[str] = "leave"
    reason: Literal["left", "idle"] = "left"


@dataclass(frozen=True)
class Ping(Message):
    TYPE: ClassVar[str] = "ping"


# server -> client


@dataclass(frozen=True)
class Joined(Message):
    TYPE: ClassVar[str] = "joined"
    attendee: AttendeeInfo
    meeting: MeetingInfo
    roster: list[AttendeeInfo]
    capabilities: list[str]
    video_slots: VideoSlots
    #: the server's clock when it sent this (ISO 8601 UTC): clients count down from
    #: ``meeting.timer_ends_at`` corrected by their offset to it
    server_time: str | None = None
    #: TURN servers to gather relayed candidates from (``--turn-server``), with fresh
    #: credentials at every join; empty: media goes straight to the server's addresses
    ice_servers: list[IceServer] = field(default_factory=list)
    #: the server takes a second video section of a publish offer as the camera's small layer
    #: (its own forwarding unit; not Janus): send two layers only when it says so
    video_layers: bool = False


@dataclass(frozen=True)
class MeetingUpdated(Message):
    """The meeting's settings changed: a new ``timer_ends_at`` (extended, shortened, removed) or
    inactivity limit. Sent to everyone in the meeting at once."""

    TYPE: ClassVar[str] = "meeting_updated"
    meeting: MeetingInfo
    server_time: str | None = None


@dataclass(frozen=True)
class CapabilitiesUpdated(Message):
    """My role's capabilities changed (its call type's grants were changed, or a host made me
    a host)."""

    TYPE: ClassVar[str] = "capabilities_updated"
    capabilities: list[str]


@dataclass(frozen=True)
class PublishAnswer(Message):
    TYPE: ClassVar[str] = "publish_answer"
    sdp: str
    #: "on" when the camera is forwarded, "off" when not asked for, or the refusal code.
    video: Literal["on", "off", "video_unavailable"]


@dataclass(frozen=True)
class CameraState(Message):
    TYPE: ClassVar[str] = "camera_state"
    on: bool


@dataclass(frozen=True)
class ParticipantJoined(Message):
    TYPE: ClassVar[str] = "participant_joined"
    attendee: AttendeeInfo


@dataclass(frozen=True)
class ParticipantUpdated(Message):
    TYPE: ClassVar[str] = "participant_updated"
    attendee: AttendeeInfo


@dataclass(frozen=True)
class ParticipantLeft(Message):
    TYPE: ClassVar[str] = "participant_left"
    attendee_id: str
    reason: str = "left"


@dataclass(frozen=True)
class SubscribeOffer(Message):
    TYPE: ClassVar[str] = "subscribe_offer"
    sdp: str
    tracks: list[TrackInfo]


@dataclass(frozen=True)
class TracksUpdated(Message):
    """The media sections were reassigned without a new offer."""

    TYPE: ClassVar[str] = "tracks_updated"
    tracks: list[TrackInfo]


@dataclass(frozen=True)
class VideoAvailable(Message):
    """A camera slot freed up: a participant whose camera was refused may try again."""

    TYPE: ClassVar[str] = "video_available"
    video_slots: VideoSlots


@dataclass(frozen=True)
class VideoPaused(Message):
    """What I receive of one attendee's video changed: ``paused`` (``reason`` ``bandwidth``: my
    downlink cannot carry it now; it resumes by itself, with another of these), or the ``layer``
    forwarded (``high``, ``low``; None while paused or not shown)."""

    TYPE: ClassVar[str] = "video_paused"
    attendee_id: str
    paused: bool
    reason: PauseReason | None = None
    layer: VideoLayer | None = None


@dataclass(frozen=True)
class PublishLayers(Message):
    """Which encodings of my camera anyone receives (dynacast): encode only these. Sent when
    it changes; until the first one, send every layer offered."""

    TYPE: ClassVar[str] = "publish_layers"
    layers: list[VideoLayer]


@dataclass(frozen=True)
class Volumes(Message):
    """The volume indicators that changed since the last one (about 5 a second)."""

    TYPE: ClassVar[str] = "volumes"
    updates: list[VolumeInfo]


@dataclass(frozen=True)
class Spotlight(Message):
    """Who a host put on everyone's stage (``moderate spotlight``); None: nobody any more (a host
    took it off, or they left). A newcomer gets it right after ``joined`` while someone is."""

    TYPE: ClassVar[str] = "spotlight"
    attendee_id: str | None = None


@dataclass(frozen=True)
class ChatMessage(Message):
    TYPE: ClassVar[str] = "chat_message"
    message: ChatInfo


@dataclass(frozen=True)
class ChatHistory(Message):
    """Right after ``joined``, and the reply to ``chat_history_request``: a page of the chat
    I may read, oldest first, never more than MAX_CHAT_HISTORY_BYTES of messages. ``more``:
    older messages remain (ask with ``before`` the first message's id)."""

    TYPE: ClassVar[str] = "chat_history"
    messages: list[ChatInfo]
    more: bool = False


@dataclass(frozen=True)
class Reaction(Message):
    TYPE: ClassVar[str] = "reaction"
    attendee_id: str
    emoji: str


@dataclass(frozen=True)
class ServerRestarting(Message):
    """The server is going away (restarting): the socket closes next, the meeting does not end.
    Reconnect (with backoff) and join again with the same token; the seat is kept for a while."""

    TYPE: ClassVar[str] = "server_restarting"
    retry_after_ms: int = 1000


@dataclass(frozen=True)
class MeetingEnded(Message):
    TYPE: ClassVar[str] = "meeting_ended"
    reason: str


@dataclass(frozen=True)
class Pong(Message):
    TYPE: ClassVar[str] = "pong"
    server_time: str | None = None


@dataclass(frozen=True)
class Error(Message):
    TYPE: ClassVar[str] = "error"
    code: str
    message: str = ""


CLIENT_MESSAGES: tuple[type[Message], ...] = (
    Join, Publish, Camera, Mute, Volume, SubscribeAnswer, RequestKeyframe, Moderate, EndMeeting,
    SendChat, ChatHistoryRequest, RaiseHand, React, VideoNeeds, Leave, Ping,
)
SERVER_MESSAGES: tuple[type[Message], ...] = (
    Joined, PublishAnswer, CameraState, ParticipantJoined, ParticipantUpdated,
    ParticipantLeft, SubscribeOffer, TracksUpdated, VideoAvailable, Volumes, MeetingUpdated,
    CapabilitiesUpdated, ChatMessage, ChatHistory, Reaction, ServerRestarting, MeetingEnded, Pong,
    VideoPaused, PublishLayers, Spotlight, Error,
)
MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.TYPE: cls for cls in CLIENT_MESSAGES + SERVER_MESSAGES
}

__all__ = [
    "CONTENT_SUFFIX", "content_attendee_id", "content_owner", "is_content_attendee", "TileNeed",
    "MAX_TILE_NEEDS", "MAX_TILE_PIXELS", "signal_strength", "display_name", "name_forbids",
    "AttendeeInfo", "ChatInfo", "IceServer", "MeetingInfo", "TrackInfo", "VideoSlots", "VolumeInfo", "Message", "Kind",
    *[cls.__name__ for cls in CLIENT_MESSAGES + SERVER_MESSAGES],
    "CLIENT_MESSAGES", "SERVER_MESSAGES", "MESSAGE_TYPES",
]
