"""What a meeting forwards at most: ``MAX_CAMERAS`` (16) cameras, each holding a video slot,
and ``MAX_SCREEN_SHARES`` (2) screen shares. A camera asked for while every slot is taken gets
a clear "video unavailable" (the person stays, with audio) and hears when a slot frees up; a
third share is refused likewise."""

from __future__ import annotations

from collections.abc import Iterable

from wire import (
    MAX_CAMERAS,
    MAX_SCREEN_SHARES,
    Capability,
    ErrorCode,
    ProtocolError,
    VideoAvailable,
    VideoSlots,
)

from .participant import Participant


def take_video_slot(participant: Participant, everyone: Iterable[Participant]) -> bool:
    """Give ``participant``'s camera a slot if one is free (it keeps one it holds); False, and
    it is marked as waiting, when all are taken."""
    if Capability.SEND_VIDEO not in participant.capabilities:
        raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "your role may not send video")
    if participant.camera_on:
        return True
    if sum(p.camera_on for p in everyone) >= MAX_CAMERAS:
        participant.camera_refused = True
        return False
    participant.camera_on = True
    participant.camera_refused = False
    return True


def video_slots(everyone: Iterable[Participant]) -> VideoSlots:
    return VideoSlots(used=sum(p.camera_on for p in everyone), max=MAX_CAMERAS)


def announce_free_slot(everyone: Iterable[Participant]) -> None:
    """A slot freed up: whoever was refused one hears it (``video_available``)."""
    everyone = list(everyone)
    slots = video_slots(everyone)
    for p in everyone:
        if p.camera_refused:
            p.outbox.put(VideoAvailable(video_slots=slots))


def check_share_slot(everyone: Iterable[Participant]) -> None:
    """Refuse (``content_share_unavailable``) a share while ``MAX_SCREEN_SHARES`` run."""
    shares = [p for p in everyone if p.is_content]
    if len(shares) >= MAX_SCREEN_SHARES:
        names = " and ".join(p.owner.attendee.name for p in shares if p.owner is not None)
        raise ProtocolError(
            ErrorCode.CONTENT_SHARE_UNAVAILABLE,
            f"{names} are sharing; at most {MAX_SCREEN_SHARES} screens can be shared at once",
        )
