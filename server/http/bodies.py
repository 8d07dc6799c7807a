"""What the REST calls take and what they answer: one frozen dataclass per request body (read
with ``wire.from_dict``: unknown fields, wrong types and missing fields are ``bad_request``)
and per reply (written with ``wire.to_dict``). Their annotations are the contract:
``server/http/openapi.py`` turns them into the OpenAPI document (see ``server/schema.py`` for the
``Annotated`` markers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from wire import MAX_NAME_CHARS, name_forbids

from ..clock import Time
from ..events import EVENT_TYPES
from ..meetings import (
    MAX_CALL_TYPE_NAME,
    MAX_USER_ID_CHARS,
    CallType,
    Grants,
    MeetingSettings,
    MeetingView,
)
from ..schema import Override, Schema, Shape
from ..webhooks import ALL_EVENTS, MAX_URL_CHARS

#: What Python's ``str.strip()`` removes and JSON Schema's ``\\s`` does not agree on: a name
#: must hold at least one character outside this set (the server refuses blank names).
_PY_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
#: What a name may not hold at all (``wire.display_name``: controls, bidi, zero-width, ...).
#: Lone surrogates are left out: no regex engine of JSON Schema takes them in a class, and a
#: body holding one is refused as malformed anyway.
_NAME_FORBIDDEN = "".join(chr(c) for c in range(0x110000)
                          if name_forbids(chr(c)) and not 0xD800 <= c <= 0xDFFF)


def _name_pattern() -> str:
    """A name: none of ``_NAME_FORBIDDEN``, and at least one character that is not
    whitespace either."""
    allowed = _not_only(_NAME_FORBIDDEN)
    return f"^{allowed}*{_not_only(_NAME_FORBIDDEN + _PY_WHITESPACE)}{allowed}*$"


def _not_only(chars: str) -> str:
    """A regex character class matching anything but ``chars`` (ranges collapsed)."""
    codes = sorted({ord(c) for c in chars})
    parts, start, prev = [], codes[0], codes[0]
    for code in codes[1:] + [-1]:
        if code == prev + 1:
            prev = code
            continue
        parts.append(_esc(start) if start == prev else f"{_esc(start)}-{_esc(prev)}")
        start = prev = code
    return "[^" + "".join(parts) + "]"


def _esc(code: int) -> str:
    # past the BMP as the character itself: a \\u escape has 4 hex digits, and regex dialects
    # disagree on longer ones
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


_OVERRIDE = Shape(Override[MeetingSettings])
_OPTIONAL_OVERRIDE = Shape(Override[MeetingSettings] | None)
_JOIN_URL = Schema(pattern="^parleys?://")


# --- request bodies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateMeeting:
    call_type: str = "default"
    settings_override: Annotated[Any, _OPTIONAL_OVERRIDE] = None

    def __post_init__(self) -> None:
        if self.settings_override is not None and not isinstance(self.settings_override, dict):
            raise ValueError("settings_override must be an object")


@dataclass(frozen=True)
class UpdateMeeting:
    settings_override: Annotated[Any, _OVERRIDE, Schema(
        minProperties=1,
        description="Merged over the meeting's current override. With a join token, "
                    "`limits.max_duration_seconds` needs `change-max-duration` and anything else "
                    "`update-call-settings`.")]

    def __post_init__(self) -> None:
        if not isinstance(self.settings_override, dict):
            raise ValueError("settings_override must be an object")


@dataclass(frozen=True)
class AddAttendee:
    user_id: Annotated[str, Schema(minLength=1, maxLength=MAX_USER_ID_CHARS)]
    name: Annotated[str, Schema(minLength=1, maxLength=MAX_NAME_CHARS, pattern=_name_pattern(),
                                description="Not blank; trimmed. No control, bidi (U+202A–U+202E, "
                                            "U+2066–U+2069) or zero-width (U+200B–U+200F, U+2060, "
                                            "U+FEFF) characters, no newlines: `bad_request`.")]
    role: Annotated[str, Schema(description="A role of the meeting's call type.")] = "participant"


@dataclass(frozen=True)
class CreateInvite:
    role: str = "participant"


@dataclass(frozen=True)
class RemoveAttendee:
    revoke_invite: Annotated[bool, Schema(
        description="Also revoke the invite link the attendee joined through, if any.")] = False


@dataclass(frozen=True)
class CreateCallType:
    name: Annotated[str, Schema(pattern=f"^[A-Za-z0-9._-]{{1,{MAX_CALL_TYPE_NAME}}}$")]
    grants: Annotated[Any, Shape(Grants)]
    settings: Annotated[Any, _OPTIONAL_OVERRIDE, Schema(
        description="Laid over the default settings (no limit, 100 participants).")] = None


@dataclass(frozen=True)
class UpdateCallType:
    SCHEMA: ClassVar[Schema] = Schema(description="Replaces what is given; `null` or absent keeps it.")

    grants: Annotated[Any, Shape(Grants | None)] = None
    settings: Annotated[Any, _OPTIONAL_OVERRIDE] = None


_EVENT_LISTS = [
    {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(EVENT_TYPES)}},
    {"type": "array", "minItems": 1, "items": {"const": ALL_EVENTS},
     "description": f"`[{ALL_EVENTS!r}]`: every event type, now and later."},
]


@dataclass(frozen=True)
class CreateWebhook:
    url: Annotated[str, Schema(
        minLength=1, maxLength=MAX_URL_CHARS,
        pattern="^[Hh][Tt][Tt][Pp][Ss]?://[^\\u0000-\\u0020\\u007f/?#]+([/?#][^\\u0000-\\u0020\\u007f]*)?$",
        description="An absolute http:// or https:// URL with a host.")]
    events: Annotated[list[str], Schema(oneOf=_EVENT_LISTS)]


# --- replies -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    status: Literal["ok"]


@dataclass(frozen=True)
class JoinCheck:
    """What a join link will meet, asked before joining (the lobby's check)."""

    meeting_id: str
    #: the attendee's name as created (a join cannot change it); null for an invite link,
    #: whose joiners name themselves
    name: str | None
    role: str
    invite: bool


@dataclass(frozen=True)
class MeetingReply:
    meeting: MeetingView


@dataclass(frozen=True)
class AttendeeView:
    SCHEMA: ClassVar[Schema] = Schema(name="Attendee")

    id: str
    user_id: str
    name: str
    role: str


@dataclass(frozen=True)
class AttendeeAdded:
    attendee: AttendeeView
    join_token: str
    join_url: Annotated[str, _JOIN_URL]


@dataclass(frozen=True)
class AttendeeRemoved:
    attendee: AttendeeView
    removed_at: Time
    #: the invite link revoked with it (``revoke_invite``), if any
    revoked_invite_id: str | None


@dataclass(frozen=True)
class InviteCreated:
    invite_id: str
    invite_token: str
    invite_url: Annotated[str, _JOIN_URL]
    role: str
    expires_at: Time


@dataclass(frozen=True)
class InviteView:
    SCHEMA: ClassVar[Schema] = Schema(name="Invite")

    id: str
    role: str
    created_at: Time
    expires_at: Time
    revoked_at: Time | None


@dataclass(frozen=True)
class InviteReply:
    invite: InviteView


@dataclass(frozen=True)
class InviteList:
    invites: list[InviteView]


@dataclass(frozen=True)
class CallTypeReply:
    call_type: CallType


@dataclass(frozen=True)
class CallTypeList:
    call_types: list[CallType]


@dataclass(frozen=True)
class WebhookView:
    SCHEMA: ClassVar[Schema] = Schema(name="Webhook")

    id: str
    url: str
    events: list[str]
    created_at: Time


@dataclass(frozen=True)
class NewWebhookView(WebhookView):
    """A webhook as its creator sees it, the only time: with its signing secret."""

    SCHEMA: ClassVar[Schema] = Schema(name="NewWebhook")

    secret: str


@dataclass(frozen=True)
class DeliveryView:
    SCHEMA: ClassVar[Schema] = Schema(name="Delivery")

    id: int
    event_type: Annotated[str, Schema(enum=list(EVENT_TYPES))]
    status: Literal["pending", "delivered", "failed"]
    attempts: Annotated[int, Schema(minimum=0)]
    last_error: str | None
    created_at: Time
    next_attempt_at: Time | None
    delivered_at: Time | None


@dataclass(frozen=True)
class WebhookReply:
    webhook: WebhookView


@dataclass(frozen=True)
class NewWebhookReply:
    webhook: NewWebhookView


@dataclass(frozen=True)
class WebhookList:
    webhooks: list[WebhookView]


@dataclass(frozen=True)
class WebhookDetail:
    webhook: WebhookView
    deliveries: list[DeliveryView]
