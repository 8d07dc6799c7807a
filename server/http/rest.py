"""The REST calls under ``/v1``: meetings, their attendees and invites, and call types.

Each handler is one row of the route table (``routes.py``), which says who may call it, what
body it takes and what it answers; a handler returns the reply dataclass. ``PATCH
/v1/meetings/{id}`` takes the API key or an attendee's join token and tells them apart here.
Refusals are ProtocolErrors, which ``errors.error_middleware`` turns into
``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from aiohttp import web

from wire import Capability, EndReason, ErrorCode, ProtocolError

from ..clock import iso
from ..meetings import DEFAULT_CALL_TYPE, merge_settings
from ..store import AttendeeRecord, InviteRecord
from .auth import bearer, is_api_key
from .bodies import (
    AddAttendee,
    AttendeeAdded,
    AttendeeRemoved,
    AttendeeView,
    CallTypeList,
    CallTypeReply,
    CreateCallType,
    CreateInvite,
    CreateMeeting,
    Health,
    InviteCreated,
    InviteList,
    InviteReply,
    InviteView,
    JoinCheck,
    MeetingReply,
    RemoveAttendee,
    UpdateCallType,
    UpdateMeeting,
)
from .contract import Read
from .keys import CLUSTER_KEY, LIFECYCLE_KEY, MEETINGS_KEY, ROOMS_KEY

async def healthz(request: web.Request) -> Health:
    try:
        request.app[CLUSTER_KEY].store.schema_version  # one round trip to the store
    except Exception:
        raise ProtocolError(ErrorCode.SERVER_RESTARTING, "the server cannot reach its store") from None
    return Health(status="ok")


# --- meetings ------------------------------------------------------------------------------------


async def create_meeting(request: web.Request, read: Read) -> MeetingReply:
    body: CreateMeeting = await read()
    meetings = request.app[MEETINGS_KEY]
    meeting = meetings.create_meeting(body.call_type, body.settings_override)
    return MeetingReply(meetings.view(meeting, []))


async def get_meeting(request: web.Request) -> MeetingReply:
    meetings = request.app[MEETINGS_KEY]
    return MeetingReply(meetings.view(meetings.get_meeting(request.match_info["meeting_id"])))


async def check_join(request: web.Request) -> JoinCheck:
    """Would this join token get in now, and as whom? The same checks as ``join`` (token,
    meeting, ended, removed, a revoked invite), without joining: the lobby asks before Join."""
    token = bearer(request, "join token")
    name, role, invite = request.app[MEETINGS_KEY].check_join(request.match_info["meeting_id"], token)
    return JoinCheck(meeting_id=request.match_info["meeting_id"], name=name, role=role, invite=invite)


async def update_meeting(request: web.Request, read: Read) -> MeetingReply:
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
    before = meetings.get_meeting(meeting_id)  # an unknown meeting is 404 before the body is judged
    body: UpdateMeeting = await read()
    meeting = meetings.update_settings(meeting_id, body.settings_override, capabilities)
    if meeting.settings != before.settings:  # a change that changes nothing tells nobody
        request.app[ROOMS_KEY].refresh(meeting.id)
    return MeetingReply(meetings.view(meeting))


async def delete_meeting(request: web.Request) -> MeetingReply:
    """End the meeting (reason "deleted"); its record stays, so it can still be read."""
    meetings = request.app[MEETINGS_KEY]
    meeting = meetings.end(request.match_info["meeting_id"], EndReason.DELETED)  # its room follows
    return MeetingReply(meetings.view(meeting))


async def add_attendee(request: web.Request, read: Read) -> AttendeeAdded:
    body: AddAttendee = await read()
    attendee, token, join_url = request.app[MEETINGS_KEY].add_attendee(
        request.match_info["meeting_id"], body.user_id, body.name, body.role
    )
    return AttendeeAdded(attendee=_attendee_view(attendee), join_token=token, join_url=join_url)


async def remove_attendee(request: web.Request, read: Read) -> AttendeeRemoved:
    """Revoke an attendee (Chime's ``DeleteAttendee``): its token lets it in no more, and if it
    is connected it is sent away (reason ``removed``). With the API key, or a join token whose
    role has ``remove-participant``."""
    meeting_id = request.match_info["meeting_id"]
    _may_remove(request, meeting_id)
    body: RemoveAttendee = await read()
    attendee = request.app[MEETINGS_KEY].remove_attendee(
        meeting_id, request.match_info["attendee_id"], body.revoke_invite)
    room = request.app[ROOMS_KEY].live_room(meeting_id)
    if room is not None:
        await room.remove(attendee.id)
    revoked = attendee.invite_id if body.revoke_invite else None
    return AttendeeRemoved(attendee=_attendee_view(attendee), removed_at=iso(attendee.removed_at) or "",
                           revoked_invite_id=revoked)


async def create_invite(request: web.Request, read: Read) -> InviteCreated:
    """A link many people can join with, each as a new attendee of ``role``."""
    body: CreateInvite = await read()
    invite, token, url = request.app[MEETINGS_KEY].create_invite(request.match_info["meeting_id"], body.role)
    return InviteCreated(invite_id=invite.id, invite_token=token, invite_url=url, role=invite.role,
                         expires_at=iso(invite.expires_at) or "")


async def list_invites(request: web.Request) -> InviteList:
    meeting_id = request.match_info["meeting_id"]
    _may_remove(request, meeting_id)
    return InviteList([_invite_view(i) for i in request.app[MEETINGS_KEY].list_invites(meeting_id)])


async def revoke_invite(request: web.Request) -> InviteReply:
    """Nobody joins with this invite link any more; who joined with it stays an attendee."""
    meeting_id = request.match_info["meeting_id"]
    _may_remove(request, meeting_id)
    invite = request.app[MEETINGS_KEY].revoke_invite(meeting_id, request.match_info["invite_id"])
    return InviteReply(_invite_view(invite))


def _may_remove(request: web.Request, meeting_id: str) -> None:
    """The caller holds the API key, or a join token of this meeting whose role may remove
    participants (and so revoke who may come in)."""
    meetings = request.app[MEETINGS_KEY]
    presented = bearer(request, "api key or join token")
    if is_api_key(request, presented):
        return
    meeting, attendee = meetings.attendee_for_token(meeting_id, presented)
    if Capability.REMOVE_PARTICIPANT not in meetings.capabilities(meeting, attendee.role):
        raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "your role may not remove participants")


def _attendee_view(attendee: AttendeeRecord) -> AttendeeView:
    return AttendeeView(id=attendee.id, user_id=attendee.user_id, name=attendee.name, role=attendee.role)


def _invite_view(invite: InviteRecord) -> InviteView:
    return InviteView(id=invite.id, role=invite.role, created_at=iso(invite.created_at) or "",
                      expires_at=iso(invite.expires_at) or "", revoked_at=iso(invite.revoked_at))


# --- call types ----------------------------------------------------------------------------------


async def create_call_type(request: web.Request, read: Read) -> CallTypeReply:
    body: CreateCallType = await read()
    settings = body.settings if body.settings is not None else {}
    if not isinstance(settings, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "settings must be an object")
    # settings not given fall back to the default call type's (no limit, 100 participants)
    kind = request.app[MEETINGS_KEY].create_call_type(
        body.name, body.grants, merge_settings(DEFAULT_CALL_TYPE.settings, settings))
    return CallTypeReply(kind)


async def list_call_types(request: web.Request) -> CallTypeList:
    return CallTypeList(request.app[MEETINGS_KEY].call_types())


async def get_call_type(request: web.Request) -> CallTypeReply:
    return CallTypeReply(request.app[MEETINGS_KEY].call_type(request.match_info["name"]))


async def update_call_type(request: web.Request, read: Read) -> CallTypeReply:
    """Replace a call type's grants and/or settings; live meetings of it follow at once."""
    meetings = request.app[MEETINGS_KEY]
    name = request.match_info["name"]
    meetings.call_type(name)  # unknown: 400 unknown_call_type before the body is judged
    body: UpdateCallType = await read()
    settings = body.settings
    if settings is not None:
        if not isinstance(settings, dict):
            raise ProtocolError(ErrorCode.BAD_REQUEST, "settings must be an object")
        settings = merge_settings(DEFAULT_CALL_TYPE.settings, settings)
    kind = meetings.update_call_type(name, body.grants, settings)
    request.app[ROOMS_KEY].refresh_call_type(name)
    request.app[LIFECYCLE_KEY].forget()  # the timers of its live meetings may have changed
    return CallTypeReply(kind)
