"""What the REST calls take: one frozen dataclass per request body, read with
``wire.from_dict`` (unknown fields, wrong types and missing fields are ``bad_request``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from wire import from_dict, load_object

_Body = TypeVar("_Body")


async def read_body(request: web.Request, cls: type[_Body]) -> _Body:
    """The JSON object of the request as ``cls``; an empty body counts as ``{}``."""
    raw = await request.read()
    data = load_object(raw, "body") if raw.strip() else {}
    return from_dict(cls, data, "body")


@dataclass(frozen=True)
class CreateMeetingBody:
    call_type: str = "default"
    settings_override: Any = None

    def __post_init__(self) -> None:
        if self.settings_override is not None and not isinstance(self.settings_override, dict):
            raise ValueError("settings_override must be an object")


@dataclass(frozen=True)
class AddAttendeeBody:
    user_id: str
    name: str
    role: str = "participant"


@dataclass(frozen=True)
class UpdateMeetingBody:
    settings_override: Any

    def __post_init__(self) -> None:
        if not isinstance(self.settings_override, dict):
            raise ValueError("settings_override must be an object")


@dataclass(frozen=True)
class CreateCallTypeBody:
    name: str
    grants: Any
    settings: Any = None


@dataclass(frozen=True)
class UpdateCallTypeBody:
    grants: Any = None
    settings: Any = None


@dataclass(frozen=True)
class CreateInviteBody:
    role: str = "participant"


@dataclass(frozen=True)
class CreateWebhookBody:
    url: str
    events: list[str]
