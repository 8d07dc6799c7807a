"""The protocol's words: capabilities, why a meeting ends or a participant leaves, what a host
may do to another attendee, and how a screen share ends.

They are string enums (``StrEnum``): each member *is* its wire string, so they are written to
JSON as is and compare equal to the strings an older peer sends. Both ``server`` and
``desktop`` use these names instead of string literals, so a rename cannot silently break the
other side. On the wire, reasons stay open strings (``str`` fields): a newer server may send a
reason an older app does not know, and the app still shows "The call ended (reason)".
"""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    """What a role may do in a meeting (a call type grants a list of these per role)."""

    JOIN_CALL = "join-call"
    SEND_AUDIO = "send-audio"
    SEND_VIDEO = "send-video"
    SCREENSHARE = "screenshare"
    UPDATE_CALL_SETTINGS = "update-call-settings"
    CHANGE_MAX_DURATION = "change-max-duration"
    MUTE_OTHERS = "mute-others"
    REMOVE_PARTICIPANT = "remove-participant"
    END_CALL = "end-call"


class EndReason(StrEnum):
    """Why a meeting ended for someone (``meeting_ended.reason``, the REST ``end_reason``,
    ``participant_left.reason``, and the app's own ends)."""

    # the meeting ended for everyone
    ENDED = "ended"                    # ended by the API (DELETE /v1/meetings/ID)
    DELETED = "deleted"
    ENDED_BY_HOST = "ended_by_host"
    TIMER_EXPIRED = "timer_expired"
    MAX_DURATION = "max_duration"
    EMPTY = "empty"
    ALONE = "alone"
    SERVER_SHUTDOWN = "server_shutdown"
    # one participant's end
    LEFT = "left"
    IDLE = "idle"
    REMOVED = "removed"
    REPLACED = "replaced"              # the same attendee joined from another connection
    DISCONNECTED = "disconnected"      # the socket dropped and the seat's grace ran out
    CONNECTION_LOST = "connection_lost"  # the app's own: it could not get back
    MEDIA_BLOCKED = "media_blocked"    # the app's own: it got in, but no media connection ever did


class ModerationAction(StrEnum):
    """What a host may do to another attendee (``moderate.action``)."""

    MUTE = "mute"
    ALLOW_UNMUTE = "allow_unmute"
    REMOVE = "remove"
    LOWER_HAND = "lower_hand"
    MAKE_HOST = "make_host"  # give them the host's own role (kept: reconnects and restarts)
    SPOTLIGHT = "spotlight"  # put them on everyone's stage
    UNSPOTLIGHT = "unspotlight"  # take them off it

    @property
    def capability(self) -> Capability:
        """The capability this action needs."""
        if self is ModerationAction.REMOVE:
            return Capability.REMOVE_PARTICIPANT
        if self is ModerationAction.MAKE_HOST:
            return Capability.UPDATE_CALL_SETTINGS
        return Capability.MUTE_OTHERS


class ShareEnd(StrEnum):
    """How my screen share ended (besides the refusal codes of ``ErrorCode``)."""

    STOPPED = "stopped"            # I stopped it
    SOURCE_ENDED = "source_ended"  # the screen, window or file is gone
    REMOVED = "removed"            # a host stopped it
    NOT_JOINED = "not_joined"      # asked before the meeting was joined
    CONNECTION_FAILED = "connection_failed"
    CONNECTION_LOST = "connection_lost"


class VideoLayer(StrEnum):
    """Which encoding of a camera a subscriber receives (``video_paused.layer``) or a publisher
    is asked to send (``publish_layers.layers``): its full picture, or the small one."""

    HIGH = "high"
    LOW = "low"


class PauseReason(StrEnum):
    """Why the server stopped forwarding a video to me (``video_paused.reason``)."""

    BANDWIDTH = "bandwidth"  # my downlink cannot carry it now; it resumes by itself
