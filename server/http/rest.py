"""The REST calls under ``/v1``: meetings, their attendees and invites, and call types.

Server-side calls carry ``Authorization: Bearer <api key>``; ``PATCH /v1/meetings/{id}`` also
takes an attendee's join token (``auth.py``). Refusals are ProtocolErrors, which
``errors.error_middleware`` turns into ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from aiohttp import web

from wire import EndReason, ErrorCode, ProtocolError

from ..meetings import DEFAULT_CALL_TYPE, merge_settings
from ..store import AttendeeRecord
from .auth import bearer, is_api_key, server_side
from .bodies import (
    AddAttendeeBody,
    CreateCallTypeBody,
    CreateInviteBody,
    CreateMeetingBody,
    UpdateCallTypeBody,
    UpdateMeetingBody,
    read_body,
)
from .keys import MEETINGS_KEY, ROOMS_KEY


# --- handlers -------------------------------------------------------------------------------


def _attendee_json(attendee: AttendeeRecord) -> dict[str, str]:
    return {
        "id": attendee.id,
        "user_id": attendee.user_id,
        "name": attendee.name,
        "role": attendee.role,
    }


@server_side
async def create_meeting(request: web.Request) -> web.Response:
    body = await read_body(request, CreateMeetingBody)
    meetings = request.app[MEETINGS_KEY]
    meeting = meetings.create_meeting(body.call_type, body.settings_override)
    return web.json_response({"meeting": meetings.meeting_json(meeting, [])}, status=201)


@server_side
async def get_meeting(request: web.Request) -> web.Response:
    meetings = request.app[MEETINGS_KEY]
    meeting = meetings.get_meeting(request.match_info["meeting_id"])
    return web.json_response({"meeting": meetings.meeting_json(meeting)})


async def update_meeting(request: web.Request) -> web.Response:
    """Change a meeting's settings (e.g. extend its timer): with the API key, or with an
    attendee's join token when that attendee's role has the capability. Everyone in the
    meeting gets the new ``timer_ends_at`` at once."""
    meetings = request.app[MEETINGS_KEY]
    meeting_id = request.match_info["meeting_id"]
    presented = bearer(request, "api key or join token")
    capabilities = None
    if not is_api_key(request, presented):
        meeting, attendee = meetings.attendee_for_token(meeting_id, presented)
        capabilities = meetings.capabilities(meeting, attendee.role)
    meetings.get_meeting(meeting_id)  # an unknown meeting is 404 before the body is judged
    body = await read_body(request, UpdateMeetingBody)
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


@server_side
async def create_call_type(request: web.Request) -> web.Response:
    body = await read_body(request, CreateCallTypeBody)
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
    body = await read_body(request, UpdateCallTypeBody)
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
    body = await read_body(request, AddAttendeeBody)
    attendee, token, join_url = request.app[MEETINGS_KEY].add_attendee(
        request.match_info["meeting_id"], body.user_id, body.name, body.role
    )
    return web.json_response(
        {"attendee": _attendee_json(attendee), "join_token": token, "join_url": join_url},
        status=201,
    )


@server_side
async def create_invite(request: web.Request) -> web.Response:
    """A link many people can join with, each as a new attendee of ``role``."""
    body = await read_body(request, CreateInviteBody)
    token, url = request.app[MEETINGS_KEY].create_invite(request.match_info["meeting_id"], body.role)
    return web.json_response({"invite_token": token, "invite_url": url, "role": body.role}, status=201)
