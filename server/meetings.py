"""Call types and the rules of a meeting's life, in one place.

A meeting is created from a call type (its role grants and default settings) and may override
those settings. Attendees are added server-side and get a join token. The session starts at the
first join and its timer, when the settings limit the duration, ends ``max_duration_seconds``
later. A meeting ends once (deleted, timed out, ended by a host) and refuses newcomers from then
on. Everything here is driven by the injected clock.
"""

from __future__ import annotations

import copy
import dataclasses
import secrets
from dataclasses import dataclass
from typing import Any

from wire import MAX_NAME_CHARS, ErrorCode, ProtocolError, from_dict

from .clock import Clock, iso
from .config import ServerConfig, host_port
from .store import AttendeeRecord, MeetingRecord, Store
from .tokens import TokenSigner

CAPABILITIES: list[str] = [
    "join-call",
    "send-audio",
    "send-video",
    "screenshare",
    "update-call-settings",
    "change-max-duration",
    "mute-others",
    "remove-participant",
    "end-call",
]

MAX_USER_ID_CHARS = 256


@dataclass(frozen=True)
class CallType:
    name: str
    grants: dict[str, list[str]] = dataclasses.field(hash=False)
    settings: dict[str, Any] = dataclasses.field(hash=False)

    def __post_init__(self) -> None:
        for role, capabilities in self.grants.items():
            unknown = set(capabilities) - set(CAPABILITIES)
            if unknown:
                raise ValueError(f"role {role!r} of {self.name!r} grants unknown {sorted(unknown)}")
        parse_settings(self.settings)


# --- settings ------------------------------------------------------------------------------
# The typed view of a meeting's settings: what validates an override and what the rules read.


@dataclass(frozen=True)
class Limits:
    max_duration_seconds: int | None
    max_participants: int
    #: a client asks "Are you still there?" after this long without input (the shorter of this
    #: and the user's own setting wins); None: only the user's setting
    inactivity_timeout_seconds: int | None = None

    def __post_init__(self) -> None:
        if self.inactivity_timeout_seconds is not None and self.inactivity_timeout_seconds <= 0:
            raise ValueError("settings.limits.inactivity_timeout_seconds must be positive or null")
        if self.max_duration_seconds is not None and self.max_duration_seconds <= 0:
            raise ValueError("settings.limits.max_duration_seconds must be positive or null")
        if self.max_participants <= 0:
            raise ValueError("settings.limits.max_participants must be positive")


@dataclass(frozen=True)
class MeetingSettings:
    limits: Limits


def parse_settings(settings: dict[str, Any]) -> MeetingSettings:
    """Validate complete settings; ProtocolError ``bad_request`` names the offending field."""
    return from_dict(MeetingSettings, settings, "settings")


def merge_settings(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it, nested objects merged key by key."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


DEFAULT_CALL_TYPE = CallType(
    name="default",
    grants={"host": list(CAPABILITIES), "participant": CAPABILITIES[:4]},
    settings={"limits": {"max_duration_seconds": None, "max_participants": 100}},
)

#: The call types this server knows, by name.
CALL_TYPES: dict[str, CallType] = {DEFAULT_CALL_TYPE.name: DEFAULT_CALL_TYPE}


def call_type_of(name: str) -> CallType:
    try:
        return CALL_TYPES[name]
    except KeyError:
        raise ProtocolError(ErrorCode.UNKNOWN_CALL_TYPE, f"unknown call type {name!r}") from None


def effective_settings(meeting: MeetingRecord) -> dict[str, Any]:
    """The meeting's call type settings with the meeting's override merged in."""
    return merge_settings(call_type_of(meeting.call_type).settings, meeting.settings)


def limits_of(meeting: MeetingRecord) -> Limits:
    return parse_settings(effective_settings(meeting)).limits


def timer_ends_at(meeting: MeetingRecord) -> float | None:
    """When the session's duration limit runs out: started_at + max_duration_seconds."""
    if meeting.started_at is None:
        return None
    limit = parse_settings(effective_settings(meeting)).limits.max_duration_seconds
    return None if limit is None else meeting.started_at + limit


def meeting_json(meeting: MeetingRecord, participants: list[dict[str, Any]]) -> dict[str, Any]:
    """A meeting as the REST API shows it; ``participants`` are the live room's."""
    return {
        "id": meeting.id,
        "call_type": meeting.call_type,
        "settings": effective_settings(meeting),
        "created_at": iso(meeting.created_at),
        "session": {
            "started_at": iso(meeting.started_at),
            "participants": participants,
            "timer_ends_at": iso(timer_ends_at(meeting)),
        },
        "ended_at": iso(meeting.ended_at),
        "end_reason": meeting.end_reason,
    }


def _new_id() -> str:
    return secrets.token_urlsafe(9)


class MeetingService:
    """Creates meetings and attendees, lets attendees in, starts and ends sessions."""

    def __init__(
        self, store: Store, clock: Clock, signer: TokenSigner, config: ServerConfig
    ) -> None:
        self._store = store
        self._clock = clock
        self._signer = signer
        self._config = config
        self._public_host = config.public_host or host_port(config.host, config.port)

    @property
    def public_host(self) -> str:
        """host:port written into join URLs."""
        return self._public_host

    def set_bound_address(self, host: str, port: int) -> None:
        """Tell the service where the server really listens (port 0 gets a free port)."""
        if self._config.public_host is None:
            self._public_host = host_port(host, port)

    # --- meetings -----------------------------------------------------------------------

    def create_meeting(
        self, call_type: str = "default", settings_override: dict[str, Any] | None = None
    ) -> MeetingRecord:
        kind = call_type_of(call_type)
        override = copy.deepcopy(settings_override or {})
        parse_settings(merge_settings(kind.settings, override))
        meeting = MeetingRecord(
            id=_new_id(), call_type=kind.name, settings=override, created_at=self._clock.now()
        )
        self._store.create_meeting(meeting)
        return meeting

    def get_meeting(self, meeting_id: str) -> MeetingRecord:
        meeting = self._store.get_meeting(meeting_id)
        if meeting is None:
            raise ProtocolError(ErrorCode.MEETING_NOT_FOUND, f"no meeting {meeting_id!r}")
        return meeting

    def effective_settings(self, meeting: MeetingRecord) -> dict[str, Any]:
        return effective_settings(meeting)

    def timer_ends_at(self, meeting: MeetingRecord) -> float | None:
        return timer_ends_at(meeting)

    def limits(self, meeting: MeetingRecord) -> Limits:
        return limits_of(meeting)

    def capabilities(self, meeting: MeetingRecord, role: str) -> list[str]:
        grants = call_type_of(meeting.call_type).grants
        if role not in grants:
            raise ProtocolError(
                ErrorCode.UNKNOWN_ROLE,
                f"call type {meeting.call_type!r} has no role {role!r} (roles: {sorted(grants)})",
            )
        return list(grants[role])

    def mark_started(self, meeting_id: str) -> MeetingRecord:
        """Start the session at the first join; later calls change nothing."""
        meeting = self.get_meeting(meeting_id)
        if meeting.started_at is not None:
            return meeting
        meeting = dataclasses.replace(meeting, started_at=self._clock.now())
        self._store.update_meeting(meeting)
        return meeting

    def end_meeting(self, meeting_id: str, reason: str) -> MeetingRecord:
        """End the meeting once; ending an ended meeting keeps the first time and reason."""
        meeting = self.get_meeting(meeting_id)
        if meeting.ended_at is not None:
            return meeting
        meeting = dataclasses.replace(meeting, ended_at=self._clock.now(), end_reason=reason)
        self._store.update_meeting(meeting)
        return meeting

    # --- attendees ----------------------------------------------------------------------

    def add_attendee(
        self, meeting_id: str, user_id: str, name: str, role: str
    ) -> tuple[AttendeeRecord, str, str]:
        """A new attendee of the meeting with its join token and join URL."""
        meeting = self.get_meeting(meeting_id)
        if meeting.ended_at is not None:
            raise ProtocolError(ErrorCode.MEETING_ENDED, f"meeting {meeting_id!r} has ended")
        if not user_id or len(user_id) > MAX_USER_ID_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_REQUEST, f"user_id must be 1 to {MAX_USER_ID_CHARS} characters"
            )
        if not name.strip() or len(name) > MAX_NAME_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_REQUEST, f"name must be 1 to {MAX_NAME_CHARS} characters, not blank"
            )
        self.capabilities(meeting, role)  # refuses an unknown role
        attendee = AttendeeRecord(
            id=_new_id(), meeting_id=meeting.id, user_id=user_id, name=name, role=role,
            created_at=self._clock.now(),
        )
        self._store.add_attendee(attendee)
        token = self._signer.issue(meeting.id, attendee.id, self._config.token_ttl_seconds)
        join_url = f"parley://{self._public_host}/m/{meeting.id}?token={token}"
        return attendee, token, join_url

    def get_attendee(self, attendee_id: str) -> AttendeeRecord | None:
        return self._store.get_attendee(attendee_id)

    def list_attendees(self, meeting_id: str) -> list[AttendeeRecord]:
        return self._store.list_attendees(meeting_id)

    def create_invite(self, meeting_id: str, role: str = "participant") -> tuple[str, str]:
        """A link anyone may join the meeting with, as a new attendee of ``role``."""
        meeting = self.get_meeting(meeting_id)
        if meeting.ended_at is not None:
            raise ProtocolError(ErrorCode.MEETING_ENDED, f"meeting {meeting_id!r} has ended")
        self.capabilities(meeting, role)  # refuses an unknown role
        token = self._signer.issue_invite(meeting.id, role, self._config.token_ttl_seconds)
        return token, f"parley://{self._public_host}/m/{meeting.id}?token={token}"

    def authenticate(
        self, meeting_id: str, token: str, name: str | None = None
    ) -> tuple[MeetingRecord, AttendeeRecord]:
        """The meeting and attendee a join token lets in, or the reason it does not.

        An invite token lets in a new attendee of its role, named ``name`` (or "Guest")."""
        claims = self._signer.verify(token)
        if claims.meeting_id != meeting_id:
            raise ProtocolError(ErrorCode.INVALID_TOKEN, "token is for another meeting")
        if claims.is_invite:
            attendee, _, _ = self.add_attendee(
                meeting_id, f"guest-{_new_id()}", (name or "").strip() or "Guest", claims.role
            )
            return self.get_meeting(meeting_id), attendee
        attendee = self._store.get_attendee(claims.attendee_id)
        if attendee is None or attendee.meeting_id != meeting_id:
            raise ProtocolError(ErrorCode.INVALID_TOKEN, "token names an unknown attendee")
        meeting = self.get_meeting(meeting_id)
        if meeting.ended_at is not None:
            raise ProtocolError(ErrorCode.MEETING_ENDED, f"meeting {meeting_id!r} has ended")
        return meeting, attendee
