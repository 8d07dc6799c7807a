"""Host controls: what one attendee may do to another, or to the whole meeting. Each is
capability-gated here, whatever the client shows."""

from __future__ import annotations

import dataclasses

from wire import (
    CapabilitiesUpdated,
    Capability,
    EndReason,
    ErrorCode,
    Message,
    ModerationAction,
    ParticipantLeft,
    ParticipantUpdated,
    ProtocolError,
)

from .participant import Participant
from .room import Room


async def moderate(room: Room, host: Participant, attendee_id: str, action: ModerationAction,
                   revoke_invite: bool = False) -> Message:
    """Do ``action`` to ``attendee_id``, and return the reply for the host (what everyone else
    is told too, when the attendee was here). Each action needs the capability ``ModerationAction.capability`` names.

    ``make_host`` gives an attendee who is here the host's own role (``make_host``);
    ``spotlight`` puts them on everyone's stage (``unspotlight``: takes them off), replying with
    the ``spotlight`` everyone gets. Neither works on a screen share.

    ``remove`` works on any attendee of the meeting, connected or not: its token lets it in no
    more (restarts included), and with ``revoke_invite`` neither does the invite link it came
    through."""
    action = ModerationAction(action)
    if action.capability not in host.capabilities:
        raise ProtocolError(ErrorCode.MISSING_CAPABILITY, f"your role may not {action.replace('_', ' ')} others")
    target = room.participants.get(attendee_id)
    if target is not None and target.is_content:
        if action is ModerationAction.MAKE_HOST:
            raise ProtocolError(ErrorCode.BAD_REQUEST, "a screen share cannot be made a host; make its owner one")
        if action in (ModerationAction.SPOTLIGHT, ModerationAction.UNSPOTLIGHT):
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                "a screen share cannot be spotlighted; it is on the stage already")
        if action is not ModerationAction.REMOVE:
            raise ProtocolError(ErrorCode.BAD_REQUEST, "a screen share has no microphone")
        await room.expel(target, EndReason.REMOVED)  # stop their share; they may share again
        return ParticipantLeft(attendee_id=attendee_id, reason=EndReason.REMOVED)
    if action is ModerationAction.REMOVE:
        room.meetings.remove_attendee(room.meeting_id, attendee_id, revoke_invite)  # not_found: no such attendee
        await room.remove(attendee_id)
        return ParticipantLeft(attendee_id=attendee_id, reason=EndReason.REMOVED)
    if target is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"{attendee_id!r} is not in the meeting")
    if action is ModerationAction.UNSPOTLIGHT:  # whoever it was on, if it is on them
        return room.spotlight.set(None if room.spotlight.attendee_id == attendee_id else room.spotlight.attendee_id)
    if action is ModerationAction.SPOTLIGHT:
        return room.spotlight.set(attendee_id)
    if action is ModerationAction.MAKE_HOST:
        make_host(room, target, host.attendee.role)
    elif action is ModerationAction.LOWER_HAND:
        target.hand_raised_at = None
    else:
        target.mute_locked = action is ModerationAction.MUTE
        if action is ModerationAction.MUTE:
            target.muted = True
    room.broadcast(ParticipantUpdated(target.info()))
    return ParticipantUpdated(target.info())


def make_host(room: Room, target: Participant, role: str) -> None:
    """``target`` gets ``role`` (the host's own), stored so a reconnect or a restart keeps it,
    and that role's capabilities now (``capabilities_updated``). The caller tells everyone."""
    capabilities = room.meetings.capabilities(room.meetings.get_meeting(room.meeting_id), role)
    room.meetings.store.set_attendee_role(target.attendee_id, role)  # their next join has it
    target.attendee = dataclasses.replace(target.attendee, role=role)
    if capabilities != target.capabilities:
        target.capabilities = capabilities
        target.outbox.put(CapabilitiesUpdated(capabilities=capabilities))


def end_for_everyone(room: Room, host: Participant) -> None:
    """The host ends the meeting (``end-call``); the room ends with it (``RoomRegistry``)."""
    if Capability.END_CALL not in host.capabilities:
        raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "your role may not end the meeting")
    room.meetings.end(room.meeting_id, EndReason.ENDED_BY_HOST)
