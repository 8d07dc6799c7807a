"""The REST side of the meeting server, under /v1, plus /healthz.

Server-side calls carry ``Authorization: Bearer <api key>``. Every refusal is
``{"error": {"code": ..., "message": ...}}`` with a stable code from ``wire.ErrorCode`` and the
HTTP status of ``HTTP_STATUS``; nothing else (no traceback) ever reaches the client.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from wire import EndReason, ErrorCode, ProtocolError, from_dict, load_object

from .app import API_KEY_KEY, MEETINGS_KEY, ROOMS_KEY
from .meetings import DEFAULT_CALL_TYPE, merge_settings
from .store import AttendeeRecord

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.MESSAGE_TOO_LARGE: 413,
    ErrorCode.UNKNOWN_TYPE: 400,
    ErrorCode.UNSUPPORTED_VERSION: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.MISSING_CAPABILITY: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.MEETING_NOT_FOUND: 404,
    ErrorCode.MEETING_ENDED: 409,
    ErrorCode.UNKNOWN_CALL_TYPE: 400,
    ErrorCode.UNKNOWN_ROLE: 400,
    ErrorCode.NOT_JOINED: 409,
    ErrorCode.ALREADY_JOINED: 409,
    ErrorCode.NEGOTIATION_FAILED: 400,
    ErrorCode.VIDEO_UNAVAILABLE: 409,
    ErrorCode.CONTENT_SHARE_UNAVAILABLE: 409,
    ErrorCode.ALREADY_EXISTS: 409,
    ErrorCode.MEETING_FULL: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVER_RESTARTING: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}

#: Codes for aiohttp's own refusals (unknown path, wrong method, body too large, ...).
_CODE_OF_HTTP_STATUS: dict[int, ErrorCode] = {
    401: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.NOT_FOUND,
    413: ErrorCode.MESSAGE_TOO_LARGE,
    429: ErrorCode.RATE_LIMITED,
}


def error_response(code: ErrorCode, message: str, status: int | None = None) -> web.Response:
    response = web.json_response(
        {"error": {"code": str(code), "message": message}},
        status=status or HTTP_STATUS.get(code, 500),
    )
    if code is ErrorCode.UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="parley"'
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProtocolError as exc:
        return error_response(exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects and the like are not errors
        code = _CODE_OF_HTTP_STATUS.get(
            exc.status, ErrorCode.BAD_REQUEST if exc.status < 500 else ErrorCode.INTERNAL_ERROR
        )
        message = exc.text if code is ErrorCode.MESSAGE_TOO_LARGE and exc.text else exc.reason
        response = error_response(code, message, exc.status)
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(ErrorCode.INTERNAL_ERROR, "internal server error")


# --- request bodies --------------------------------------------------------------------------


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


_Body = TypeVar("_Body")


async def _read_body(request: web.Request, cls: type[_Body]) -> _Body:
    """The JSON object of the request as ``cls``; an empty body counts as ``{}``."""
    raw = await request.read()
    data = load_object(raw, "body") if raw.strip() else {}
    return from_dict(cls, data, "body")


# --- auth -----------------------------------------------------------------------------------


def _bearer(request: web.Request, what: str = "api key") -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ProtocolError(ErrorCode.UNAUTHORIZED, f"this call needs 'Authorization: Bearer <{what}>'")
    return presented.strip()


def _is_api_key(request: web.Request, presented: str) -> bool:
    presented_bytes = presented.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(presented_bytes, request.app[API_KEY_KEY].encode("utf-8"))


def _require_api_key(request: web.Request) -> None:
    if not _is_api_key(request, _bearer(request)):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "wrong API key")


def server_side(handler: Handler) -> Handler:
    """Mark a handler as callable with the API key only."""

    async def checked(request: web.Request) -> web.StreamResponse:
        _require_api_key(request)
        return await handler(request)

    checked.__name__ = handler.__name__
    checked.__doc__ = handler.__doc__
    return checked


# --- handlers -------------------------------------------------------------------------------


def _attendee_json(attendee: AttendeeRecord) -> dict[str, str]:
    return {
        "id": attendee.id,
        "user_id": attendee.user_id,
        "name": attendee.name,
        "role": attendee.role,
    }


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@server_side
async def create_meeting(request: web.Request) -> web.Response:
    body = await _read_body(request, CreateMeetingBody)
    meetings = request.app[MEETINGS_KEY]
    meeting = meetings.create_meeting(body.call_type, body.settings_override)
    return web.json_response({"meeting": meetings.meeting_json(meeting, [])}, status=201)


@server_side
async def get_meeting(request: web.Request) -> web.Response:
    meetings = request.app[MEETINGS_KEY]
    meeting = meetings.get_meeting(request.match_info["meeting_id"])
    return web.json_response({"meeting": meetings.meeting_json(meeting)})


@dataclass(frozen=True)
class UpdateMeetingBody:
    settings_override: Any

    def __post_init__(self) -> None:
        if not isinstance(self.settings_override, dict):
            raise ValueError("settings_override must be an object")


async def update_meeting(request: web.Request) -> web.Response:
    """Change a meeting's settings (e.g. extend its timer): with the API key, or with an
    attendee's join token when that attendee's role has the capability. Everyone in the
    meeting gets the new ``timer_ends_at`` at once."""
    meetings = request.app[MEETINGS_KEY]
    meeting_id = request.match_info["meeting_id"]
    presented = _bearer(request, "api key or join token")
    capabilities = None
    if not _is_api_key(request, presented):
        meeting, attendee = meetings.attendee_for_token(meeting_id, presented)
        capabilities = meetings.capabilities(meeting, attendee.role)
    meetings.get_meeting(meeting_id)  # an unknown meeting is 404 before the body is judged
    body = await _read_body(request, UpdateMeetingBody)
    meeting = meetings.update_settings(meeting_id, body.settings_override, capabilities)
    request.app[ROOMS_KEY].refresh(meeting.id)
    return web.json_response({"meeting": meetings.meeting_json(meeting)})


@server_side
async def delete_meeting(request: web.Request) -> web.Response:
    """End the meeting (reason "deleted"); its record stays, so it can still be read."""
    meetings = request.app[MEETINGS_KEY]
    meeting = meetings.end_meeting(request.match_info["meeting_id"], EndReason.DELETED)
    rooms = request.app[ROOMS_KEY]
    await rooms.end_meeting(meeting.id, EndReason.DELETED)
    return web.json_response({"meeting": meetings.meeting_json(meeting)})


# --- call types -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateCallTypeBody:
    name: str
    grants: Any
    settings: Any = None


@dataclass(frozen=True)
class UpdateCallTypeBody:
    grants: Any = None
    settings: Any = None


@server_side
async def create_call_type(request: web.Request) -> web.Response:
    body = await _read_body(request, CreateCallTypeBody)
    settings = body.settings if body.settings is not None else {}
    if not isinstance(settings, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "settings must be an object")
    # settings not given fall back to the default call type's (no limit, 100 participants)
    kind = request.app[MEETINGS_KEY].create_call_type(
        body.name, body.grants, merge_settings(DEFAULT_CALL_TYPE.settings, settings))
    return web.json_response({"call_type": kind.to_json()}, status=201)


@server_side
async def list_call_types(request: web.Request) -> web.Response:
    return web.json_response({"call_types": [k.to_json() for k in request.app[MEETINGS_KEY].call_types()]})


@server_side
async def get_call_type(request: web.Request) -> web.Response:
    kind = request.app[MEETINGS_KEY].call_type(request.match_info["name"])
    return web.json_response({"call_type": kind.to_json()})


@server_side
async def update_call_type(request: web.Request) -> web.Response:
    """Replace a call type's grants and/or settings; live meetings of it follow at once."""
    meetings = request.app[MEETINGS_KEY]
    name = request.match_info["name"]
    meetings.call_type(name)  # unknown: 400 unknown_call_type before the body is judged
    body = await _read_body(request, UpdateCallTypeBody)
    settings = body.settings
    if settings is not None:
        if not isinstance(settings, dict):
            raise ProtocolError(ErrorCode.BAD_REQUEST, "settings must be an object")
        settings = merge_settings(DEFAULT_CALL_TYPE.settings, settings)
    kind = meetings.update_call_type(name, body.grants, settings)
    request.app[ROOMS_KEY].refresh_call_type(name)
    return web.json_response({"call_type": kind.to_json()})


@server_side
async def add_attendee(request: web.Request) -> web.Response:
    body = await _read_body(request, AddAttendeeBody)
    attendee, token, join_url = request.app[MEETINGS_KEY].add_attendee(
        request.match_info["meeting_id"], body.user_id, body.name, body.role
    )
    return web.json_response(
        {"attendee": _attendee_json(attendee), "join_token": token, "join_url": join_url},
        status=201,
    )


@dataclass(frozen=True)
class CreateInviteBody:
    role: str = "participant"


@server_side
async def create_invite(request: web.Request) -> web.Response:
    """A link many people can join with, each as a new attendee of ``role``."""
    body = await _read_body(request, CreateInviteBody)
    token, url = request.app[MEETINGS_KEY].create_invite(request.match_info["meeting_id"], body.role)
    return web.json_response({"invite_token": token, "invite_url": url, "role": body.role}, status=201)


def add_routes(app: web.Application) -> None:
    from . import openapi  # it reads HTTP_STATUS from here

    app.router.add_get("/healthz", healthz)
    openapi.add_routes(app)  # GET /v1/openapi.json, no key
    app.router.add_post("/v1/meetings", create_meeting)
    app.router.add_get("/v1/meetings/{meeting_id}", get_meeting)
    app.router.add_delete("/v1/meetings/{meeting_id}", delete_meeting)
    app.router.add_patch("/v1/meetings/{meeting_id}", update_meeting)
    app.router.add_post("/v1/call-types", create_call_type)
    app.router.add_get("/v1/call-types", list_call_types)
    app.router.add_get("/v1/call-types/{name}", get_call_type)
    app.router.add_patch("/v1/call-types/{name}", update_call_type)
    app.router.add_post("/v1/meetings/{meeting_id}/attendees", add_attendee)
    app.router.add_post("/v1/meetings/{meeting_id}/invites", create_invite)
