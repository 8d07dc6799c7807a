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
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from wire import (
    MAX_LIMIT_SECONDS,
    AttendeeInfo,
    Capability,
    EndReason,
    ErrorCode,
    ProtocolError,
    display_name,
    from_dict,
    to_dict,
)

from .clock import Clock, Time, iso
from .config import ServerConfig, host_port
from .events import MEETING_ENDED, EventBus, ServerEvent
from .schema import Override, Schema, Shape
from .store import AttendeeRecord, CallTypeRecord, InviteRecord, MeetingRecord, Store
from .tokens import TokenSigner

#: Every capability a call type may grant, in the order the docs list them.
CAPABILITIES: list[Capability] = list(Capability)

MAX_USER_ID_CHARS = 256


MAX_CALL_TYPE_NAME = 64


# --- settings ------------------------------------------------------------------------------
# The typed view of a meeting's settings: what validates an override and what the rules read.


_SECONDS = Schema(minimum=1, maximum=MAX_LIMIT_SECONDS)


@dataclass(frozen=True)
class Limits:
    max_duration_seconds: Annotated[int | None, _SECONDS, Schema(
        description="The session ends this long after it started (reason `timer_expired`); "
                    "`null`: no limit.")]
    max_participants: Annotated[int, Schema(minimum=1, description="People in the meeting at once.")]
    #: a client asks "Are you still there?" after this long without input (the shorter of this
    #: and the user's own setting wins); None: only the user's setting
    inactivity_timeout_seconds: Annotated[int | None, _SECONDS, Schema(
        description="Clients ask \"Are you still there?\" after this long without input.")] = None

    def __post_init__(self) -> None:
        if self.inactivity_timeout_seconds is not None and self.inactivity_timeout_seconds <= 0:
            raise ValueError("settings.limits.inactivity_timeout_seconds must be positive or null")
        if self.max_duration_seconds is not None and self.max_duration_seconds <= 0:
            raise ValueError("settings.limits.max_duration_seconds must be positive or null")
        if self.max_participants <= 0:
            raise ValueError("settings.limits.max_participants must be positive")
        for key in ("max_duration_seconds", "inactivity_timeout_seconds"):
            value = getattr(self, key)
            if value is not None and value > MAX_LIMIT_SECONDS:
                # past the year 9999: no clock could show its timer_ends_at
                raise ValueError(f"settings.limits.{key} must be at most {MAX_LIMIT_SECONDS} (a year)")


@dataclass(frozen=True)
class MeetingSettings:
    SCHEMA: ClassVar[Schema] = Schema(name="Settings")
    OVERRIDE: ClassVar[Schema] = Schema(
        description="Laid key by key over the settings below it; the result must be valid settings.")

    limits: Limits


#: Settings as JSON (validated by ``parse_settings``), and an override laid over them.
SettingsJson = Annotated[dict[str, Any], Shape(MeetingSettings)]
SettingsOverrideJson = Annotated[dict[str, Any], Shape(Override[MeetingSettings])]
#: Role -> the capabilities it grants.
Grants = Annotated[dict[str, list[Capability]], Schema(
    name="Grants", description="Role → the capabilities it grants.", minProperties=1,
    propertyNames={"minLength": 1})]


@dataclass(frozen=True)
class CallType:
    """Role grants (role -> capabilities) and default settings for the meetings made from it.
    Invalid ones raise ProtocolError ``bad_request`` naming what is wrong. REST shows it as it
    is (``wire.to_dict``)."""

    name: str
    grants: Grants = dataclasses.field(hash=False)
    settings: SettingsJson = dataclasses.field(hash=False)

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > MAX_CALL_TYPE_NAME or not all(
                c.isascii() and (c.isalnum() or c in "-_.") for c in self.name):
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                f"a call type name is 1 to {MAX_CALL_TYPE_NAME} letters, digits, '-', '_' or '.'")
        if not isinstance(self.grants, dict) or not self.grants:
            raise ProtocolError(ErrorCode.BAD_REQUEST, "grants must map at least one role to its capabilities")
        for role, capabilities in self.grants.items():
            if not role or not isinstance(capabilities, list) or not all(isinstance(c, str) for c in capabilities):
                raise ProtocolError(ErrorCode.BAD_REQUEST, f"grants.{role} must be a list of capabilities")
            unknown = set(capabilities) - set(CAPABILITIES)
            if unknown:
                raise ProtocolError(ErrorCode.BAD_REQUEST,
                                    f"role {role!r} of {self.name!r} grants unknown {sorted(unknown)} "
                                    f"(known: {', '.join(CAPABILITIES)})")
        parse_settings(self.settings)


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
    grants={"host": list(CAPABILITIES),
            "participant": [Capability.JOIN_CALL, Capability.SEND_AUDIO, Capability.SEND_VIDEO,
                            Capability.SCREENSHARE]},
    settings={"limits": {"max_duration_seconds": None, "max_participants": 100}},
)

#: Built into every server; ``POST /v1/call-types`` adds others (stored), never replaces these.
BUILTIN_CALL_TYPES: dict[str, CallType] = {DEFAULT_CALL_TYPE.name: DEFAULT_CALL_TYPE}

#: The settings a role needs to change: the duration limit, or anything else.
DURATION_KEY = ("limits", "max_duration_seconds")


# --- a meeting as REST and webhooks show it ----------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    SCHEMA: ClassVar[Schema] = Schema(name="Session")

    started_at: Time | None
    participants: list[AttendeeInfo]
    timer_ends_at: Time | None


_MEETING_ENDS = (EndReason.DELETED, EndReason.ENDED_BY_HOST, EndReason.TIMER_EXPIRED,
                 EndReason.MAX_DURATION, EndReason.EMPTY, EndReason.ALONE, EndReason.SERVER_SHUTDOWN)


@dataclass(frozen=True)
class MeetingView:
    SCHEMA: ClassVar[Schema] = Schema(name="Meeting")

    id: str
    call_type: str
    settings: SettingsJson
    settings_override: SettingsOverrideJson
    created_at: Time
    session: SessionView
    ended_at: Time | None
    end_reason: Annotated[str | None, Schema(
        description=", ".join(f"`{reason}`" for reason in _MEETING_ENDS) + ", ...")]


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
        #: parleys:// when the server (or the proxy in front of it) speaks TLS, parley:// otherwise
        self._scheme = "parleys" if config.tls or config.public_tls else "parley"
        #: What happens to meetings (webhooks listen here).
        self.events = EventBus()
        #: The live participants of a meeting (the room registry, once built, tells them).
        self._live: Callable[[str], list[AttendeeInfo]] = lambda meeting_id: []
        #: when ``purge_chat`` last ran (clock time)
        self._chat_purged_at: float | None = None
        #: validated limits by (call type settings, override), as JSON (``limits``)
        self._limits: dict[tuple[str, str], Limits] = {}

    def show_live_participants(self, live: Callable[[str], list[AttendeeInfo]]) -> None:
        """Where a meeting's live participants come from (``live(meeting_id)``): the rooms,
        which are built after this service."""
        self._live = live

    def now(self) -> float:
        return self._clock.now()

    @property
    def store(self) -> Store:
        return self._store

    # --- call types -----------------------------------------------------------------------

    def call_type(self, name: str) -> CallType:
        builtin = BUILTIN_CALL_TYPES.get(name)
        if builtin is not None:
            return builtin
        record = self._store.get_call_type(name)
        if record is None:
            raise ProtocolError(ErrorCode.UNKNOWN_CALL_TYPE, f"unknown call type {name!r}")
        return CallType(record.name, record.grants, record.settings)

    def call_types(self) -> list[CallType]:
        stored = [CallType(r.name, r.grants, r.settings) for r in self._store.list_call_types()]
        return list(BUILTIN_CALL_TYPES.values()) + stored

    def create_call_type(self, name: str, grants: dict[str, list[str]], settings: dict[str, Any]) -> CallType:
        kind = CallType(name, copy.deepcopy(grants), copy.deepcopy(settings))
        if name in BUILTIN_CALL_TYPES or self._store.get_call_type(name) is not None:
            raise ProtocolError(ErrorCode.ALREADY_EXISTS, f"call type {name!r} exists; PATCH it to change it")
        self._store.save_call_type(CallTypeRecord(kind.name, kind.grants, kind.settings, self._clock.now()))
        return kind

    def update_call_type(self, name: str, grants: dict[str, list[str]] | None,
                         settings: dict[str, Any] | None) -> CallType:
        """Replace the grants and/or settings of a stored call type (live meetings follow)."""
        if name in BUILTIN_CALL_TYPES:
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"the built-in call type {name!r} cannot be changed")
        current = self.call_type(name)
        kind = CallType(name, copy.deepcopy(grants if grants is not None else current.grants),
                        copy.deepcopy(settings if settings is not None else current.settings))
        self._store.save_call_type(CallTypeRecord(kind.name, kind.grants, kind.settings, self._clock.now()))
        return kind

    # --- settings and the timer -------------------------------------------------------------

    def effective_settings(self, meeting: MeetingRecord) -> dict[str, Any]:
        """The meeting's call type settings with the meeting's override merged in."""
        return merge_settings(self.call_type(meeting.call_type).settings, meeting.settings)

    #: How many distinct settings ``limits`` keeps validated.
    LIMITS_KEPT = 1024

    def limits(self, meeting: MeetingRecord) -> Limits:
        """The meeting's validated limits. The meeting-rules tick asks for every live meeting a
        few times a second: settings are merged and validated once per distinct call type
        settings and override, not on every tick."""
        kind = self.call_type(meeting.call_type)
        key = (json.dumps(kind.settings, sort_keys=True), json.dumps(meeting.settings, sort_keys=True))
        limits = self._limits.get(key)
        if limits is None:
            limits = parse_settings(merge_settings(kind.settings, meeting.settings)).limits
            if len(self._limits) >= self.LIMITS_KEPT:
                self._limits.clear()
            self._limits[key] = limits
        return limits

    def timer_ends_at(self, meeting: MeetingRecord) -> float | None:
        """When the session's duration limit runs out: started_at + max_duration_seconds."""
        if meeting.started_at is None:
            return None
        limit = self.limits(meeting).max_duration_seconds
        return None if limit is None else meeting.started_at + limit

    def view(self, meeting: MeetingRecord, participants: list[AttendeeInfo] | None = None) -> MeetingView:
        """A meeting as the REST API shows it; ``participants`` default to the live room's."""
        if participants is None:
            participants = self._live(meeting.id)
        return MeetingView(
            id=meeting.id,
            call_type=meeting.call_type,
            settings=self.effective_settings(meeting),
            settings_override=meeting.settings,
            created_at=iso(meeting.created_at),
            session=SessionView(
                started_at=iso(meeting.started_at),
                participants=participants,
                timer_ends_at=iso(self.timer_ends_at(meeting)),
            ),
            ended_at=iso(meeting.ended_at),
            end_reason=meeting.end_reason,
        )

    def update_settings(self, meeting_id: str, override: dict[str, Any],
                        capabilities: list[str] | None = None) -> MeetingRecord:
        """Lay ``override`` over the meeting's settings override. ``capabilities``: those of
        the attendee asking (None: the API key, which may do anything). Every part of the
        override needs its capability, even one that changes nothing (an empty ``limits``):
        the duration limit ``change-max-duration``, anything else ``update-call-settings``.
        A limit that would have ended the session already is refused. An override that
        leaves the settings as they were is stored and published nowhere (no
        ``meeting.updated``, no webhook): the meeting comes back unchanged."""
        meeting = self.live_meeting(meeting_id)
        if not isinstance(override, dict) or not override:
            raise ProtocolError(ErrorCode.BAD_REQUEST, "settings_override must be a non-empty object")
        if capabilities is not None:
            for needed in _needed_capabilities(override):
                if needed not in capabilities:
                    raise ProtocolError(ErrorCode.MISSING_CAPABILITY, f"changing these settings needs {str(needed)!r}")
        merged = merge_settings(meeting.settings, override)
        updated = dataclasses.replace(meeting, settings=merged)
        if merged == meeting.settings:
            parse_settings(self.effective_settings(updated))  # still refuses what is invalid
            return meeting
        limits = parse_settings(self.effective_settings(updated)).limits  # validates
        now = self._clock.now()
        if meeting.started_at is not None and limits.max_duration_seconds is not None \
                and meeting.started_at + limits.max_duration_seconds <= now:
            raise ProtocolError(
                ErrorCode.BAD_REQUEST,
                f"max_duration_seconds {limits.max_duration_seconds} would end the meeting in the past "
                f"(it started {int(now - meeting.started_at)} s ago)",
            )
        if not self._store.set_meeting_settings(meeting_id, merged):
            raise ProtocolError(ErrorCode.MEETING_ENDED, f"meeting {meeting_id!r} has ended")
        self._publish("meeting.updated", updated)
        return updated

    def _publish(self, event_type: str, meeting: MeetingRecord, attendee: dict[str, Any] | None = None,
                 reason: str | None = None) -> None:
        self.events.publish(ServerEvent(event_type, self._clock.now(), to_dict(self.view(meeting)), attendee, reason))

    def participant_event(self, event_type: str, meeting_id: str, attendee: dict[str, Any],
                          reason: str | None = None) -> None:
        """participant.joined / participant.left, published by the room."""
        meeting = self._store.get_meeting(meeting_id)
        if meeting is not None:
            self._publish(event_type, meeting, attendee, reason)

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
        kind = self.call_type(call_type)
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

    def live_meeting(self, meeting_id: str) -> MeetingRecord:
        """The meeting, if it has not ended (``meeting_ended`` if it has)."""
        meeting = self.get_meeting(meeting_id)
        if meeting.ended_at is not None:
            raise ProtocolError(ErrorCode.MEETING_ENDED, f"meeting {meeting_id!r} has ended")
        return meeting

    def capabilities(self, meeting: MeetingRecord, role: str) -> list[str]:
        grants = self.call_type(meeting.call_type).grants
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
        if not self._store.start_meeting(meeting_id, self._clock.now()):  # another node did
            return self.get_meeting(meeting_id)
        meeting = self.get_meeting(meeting_id)
        self._publish("meeting.started", meeting)
        return meeting

    def end(self, meeting_id: str, reason: EndReason, holder: str | None = None) -> MeetingRecord:
        """End the meeting once, whoever ends it (the REST API, a host, the lifecycle rules),
        on whichever node: record it and publish ``meeting.ended``, which the live room
        (``RoomRegistry``) and the webhooks follow. Ending an ended meeting keeps the first time
        and reason. ``holder``: the node whose auto-end rules end it, which may only while no
        other node holds the meeting's lease (``server/cluster.py``)."""
        return self.ended_now(meeting_id, reason, holder) or self.get_meeting(meeting_id)

    def ended_now(self, meeting_id: str, reason: EndReason, holder: str | None = None) -> MeetingRecord | None:
        """``end``, returning the ended meeting only if this call ended it (None: it had ended,
        or another node holds it)."""
        meeting = self.get_meeting(meeting_id)
        if meeting.ended_at is not None:
            return None
        if not self._store.end_meeting(meeting_id, self._clock.now(), reason, holder):
            return None
        meeting = self.get_meeting(meeting_id)
        self._publish(MEETING_ENDED, meeting, reason=reason)
        if self._config.chat_retention_days == 0:
            self.purge_chat(force=True)  # not kept past the meeting's end
        return meeting

    #: How often (clock seconds) ``purge_chat`` really looks for chat to forget.
    CHAT_PURGE_INTERVAL = 60.0

    def purge_chat(self, force: bool = False) -> int:
        """Forget the chat of meetings that ended more than ``chat_retention_days`` ago (the
        lifecycle calls this on the clock; it looks at most once a ``CHAT_PURGE_INTERVAL``
        unless ``force``). None keeps chat as long as its meeting. Returns how many went."""
        days = self._config.chat_retention_days
        now = self._clock.now()
        if days is None or (not force and self._chat_purged_at is not None
                            and now - self._chat_purged_at < self.CHAT_PURGE_INTERVAL):
            return 0
        self._chat_purged_at = now
        return self._store.purge_chat(now - days * 86400)

    # --- attendees ----------------------------------------------------------------------

    def add_attendee(
        self, meeting_id: str, user_id: str, name: str, role: str
    ) -> tuple[AttendeeRecord, str, str]:
        """A new attendee of the meeting with its join token and join URL."""
        meeting = self.live_meeting(meeting_id)
        if not user_id or len(user_id) > MAX_USER_ID_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_REQUEST, f"user_id must be 1 to {MAX_USER_ID_CHARS} characters"
            )
        self.capabilities(meeting, role)  # refuses an unknown role
        attendee = AttendeeRecord(
            id=_new_id(), meeting_id=meeting.id, user_id=user_id, name=_name(name), role=role,
            created_at=self._clock.now(),
        )
        self._store.add_attendee(attendee)
        token = self._signer.issue(meeting.id, attendee.id, self._config.token_ttl_seconds)
        join_url = f"{self._scheme}://{self._public_host}/m/{meeting.id}?token={token}"
        return attendee, token, join_url

    def remove_attendee(self, meeting_id: str, attendee_id: str, revoke_invite: bool = False) -> AttendeeRecord:
        """Revoke ``attendee_id``'s place in the meeting (a host or the API key): its token no
        longer lets it in, restarts included. ``revoke_invite``: the invite link it came
        through (if any) lets nobody else in either. The live room sends it away
        (``Room.remove``). Removing it again changes nothing."""
        attendee = self._store.get_attendee(attendee_id)
        if attendee is None or attendee.meeting_id != meeting_id:
            self.get_meeting(meeting_id)  # an unknown meeting says so first
            raise ProtocolError(ErrorCode.NOT_FOUND, f"{attendee_id!r} is not an attendee of this meeting")
        now = self._clock.now()
        self._store.mark_removed(attendee_id, now)
        if revoke_invite and attendee.invite_id:
            self._store.revoke_invite(attendee.invite_id, now)
        return self._store.get_attendee(attendee_id) or attendee

    def is_removed(self, attendee_id: str) -> bool:
        attendee = self._store.get_attendee(attendee_id)
        return attendee is not None and attendee.removed_at is not None

    def get_attendee(self, attendee_id: str) -> AttendeeRecord | None:
        return self._store.get_attendee(attendee_id)

    def list_attendees(self, meeting_id: str) -> list[AttendeeRecord]:
        return self._store.list_attendees(meeting_id)

    def create_invite(self, meeting_id: str, role: str = "participant") -> tuple[InviteRecord, str, str]:
        """A link anyone may join the meeting with, as a new attendee of ``role``, until it
        expires or is revoked: the stored invite, its token and its URL."""
        meeting = self.live_meeting(meeting_id)
        self.capabilities(meeting, role)  # refuses an unknown role
        now = self._clock.now()
        ttl = self._config.token_ttl_seconds
        invite = InviteRecord(id=_new_id(), meeting_id=meeting.id, role=role, created_at=now, expires_at=now + ttl)
        self._store.add_invite(invite)
        token = self._signer.issue_invite(meeting.id, role, ttl, invite.id)
        return invite, token, f"{self._scheme}://{self._public_host}/m/{meeting.id}?token={token}"

    def list_invites(self, meeting_id: str) -> list[InviteRecord]:
        self.get_meeting(meeting_id)
        return self._store.list_invites(meeting_id)

    def revoke_invite(self, meeting_id: str, invite_id: str) -> InviteRecord:
        """Nobody joins with this invite link any more (those who did stay attendees)."""
        invite = self._store.get_invite(invite_id)
        if invite is None or invite.meeting_id != meeting_id:
            self.get_meeting(meeting_id)
            raise ProtocolError(ErrorCode.NOT_FOUND, f"{invite_id!r} is not an invite of this meeting")
        self._store.revoke_invite(invite_id, self._clock.now())
        return self._store.get_invite(invite_id) or invite

    def attendee_for_token(self, meeting_id: str, token: str) -> tuple[MeetingRecord, AttendeeRecord]:
        """The attendee a join token names (REST calls made as an attendee). Invite tokens name
        nobody and are refused."""
        claims = self._signer.verify(token)
        if claims.meeting_id != meeting_id:
            raise ProtocolError(ErrorCode.INVALID_TOKEN, "token is for another meeting")
        if claims.is_invite:
            raise ProtocolError(ErrorCode.INVALID_TOKEN, "an invite link names no attendee; join first")
        attendee = self._store.get_attendee(claims.attendee_id)
        if attendee is None or attendee.meeting_id != meeting_id:
            raise ProtocolError(ErrorCode.INVALID_TOKEN, "token names an unknown attendee")
        if attendee.removed_at is not None:
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "you were removed from this meeting")
        return self.get_meeting(meeting_id), attendee

    def check_join(self, meeting_id: str, token: str) -> tuple[str | None, str, bool]:
        """Whether ``token`` would get into the meeting now (``authenticate``'s refusals if
        not): the attendee's name (None for an invite link), its role, whether it is an invite."""
        invite = self._signer.verify(token).is_invite
        _meeting, attendee = self.authenticate(meeting_id, token)
        return (None if invite else attendee.name), attendee.role, invite

    def authenticate(
        self, meeting_id: str, token: str, name: str | None = None
    ) -> tuple[MeetingRecord, AttendeeRecord]:
        """The meeting and attendee a join token lets in, or the reason it does not.

        The attendee's stored name is its name: ``name`` (what ``join`` says) is only used for
        an invite token, which lets in a new attendee of its role named ``name`` (or "Guest").
        That attendee is not stored yet: ``enrol`` stores it once the room has seated it, so a
        refused join (meeting full or ended, a bad name) leaves nothing behind."""
        claims = self._signer.verify(token)
        if claims.meeting_id != meeting_id:
            raise ProtocolError(ErrorCode.INVALID_TOKEN, "token is for another meeting")
        if claims.is_invite:
            return self._invited(meeting_id, claims.invite_id, claims.role or "", name)
        attendee = self._store.get_attendee(claims.attendee_id)
        if attendee is None or attendee.meeting_id != meeting_id:
            raise ProtocolError(ErrorCode.INVALID_TOKEN, "token names an unknown attendee")
        if attendee.removed_at is not None:
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "you were removed from this meeting")
        meeting = self.live_meeting(meeting_id)
        return meeting, attendee

    def _invited(self, meeting_id: str, invite_id: str, role: str,
                 name: str | None) -> tuple[MeetingRecord, AttendeeRecord]:
        invite = self._store.get_invite(invite_id) if invite_id else None
        if invite is None or invite.meeting_id != meeting_id:
            raise ProtocolError(ErrorCode.INVALID_TOKEN, "this invite link is not known here; ask for a new one")
        if invite.revoked_at is not None:
            raise ProtocolError(ErrorCode.INVALID_TOKEN, "this invite link was revoked")
        meeting = self.live_meeting(meeting_id)
        self.capabilities(meeting, role)  # refuses a role its call type no longer has
        attendee = AttendeeRecord(
            id=_new_id(), meeting_id=meeting_id, user_id=f"guest-{_new_id()}",
            name=_name(name) if name is not None and name.strip() else "Guest", role=role,
            created_at=self._clock.now(), invite_id=invite.id,
        )
        return meeting, attendee

    def enrol(self, attendee: AttendeeRecord) -> None:
        """Store ``attendee`` if it is not stored yet (a guest of an invite link, once seated)."""
        if self._store.get_attendee(attendee.id) is None:
            self._store.add_attendee(attendee)


def _name(raw: str) -> str:
    """A display name as it is stored (``wire.display_name``), or ``bad_request``."""
    try:
        return display_name(raw)
    except ValueError as exc:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"name: {exc}") from None


def _needed_capabilities(override: dict[str, Any]) -> set[Capability]:
    """What a role needs to lay ``override`` over a meeting's settings."""
    needed: set[Capability] = set()
    for key, value in override.items():
        if key == DURATION_KEY[0] and isinstance(value, dict) and value:
            if DURATION_KEY[1] in value:
                needed.add(Capability.CHANGE_MAX_DURATION)
            if set(value) - {DURATION_KEY[1]}:
                needed.add(Capability.UPDATE_CALL_SETTINGS)
        else:  # any other key, and an empty or malformed ``limits``, is a settings change
            needed.add(Capability.UPDATE_CALL_SETTINGS)
    return needed
