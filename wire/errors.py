"""Stable error codes: every refusal, over REST or the WebSocket, carries one."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ErrorCode(StrEnum):
    # malformed input
    BAD_REQUEST = "bad_request"
    MESSAGE_TOO_LARGE = "message_too_large"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED_VERSION = "unsupported_version"
    # who you are
    UNAUTHORIZED = "unauthorized"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    MISSING_CAPABILITY = "missing_capability"
    # what you asked about
    NOT_FOUND = "not_found"
    MEETING_NOT_FOUND = "meeting_not_found"
    MEETING_ENDED = "meeting_ended"
    UNKNOWN_CALL_TYPE = "unknown_call_type"
    UNKNOWN_ROLE = "unknown_role"
    ALREADY_EXISTS = "already_exists"
    # order of things on the signalling channel
    NOT_JOINED = "not_joined"
    ALREADY_JOINED = "already_joined"
    NEGOTIATION_FAILED = "negotiation_failed"
    # limits
    VIDEO_UNAVAILABLE = "video_unavailable"
    CONTENT_SHARE_UNAVAILABLE = "content_share_unavailable"
    MEETING_FULL = "meeting_full"
    RATE_LIMITED = "rate_limited"
    # the server
    SERVER_RESTARTING = "server_restarting"
    # ours
    INTERNAL_ERROR = "internal_error"


class CloseCode(IntEnum):
    """Why the server closed a signalling socket, besides the standard codes (1000 normal,
    1009 frame too big). RFC 6455 leaves 4000-4999 to the application; the close frame's
    reason says the same in words."""

    #: the socket sent no ``join`` in time (``join_timeout_seconds``, 10 s)
    JOIN_TIMEOUT = 4001
    #: the socket sent more messages before ``join`` (``join`` aside) than the server answers
    TOO_MANY_MESSAGES = 4002
    #: the client did not read what the server sent (1000 messages unread, or a send that
    #: could not go out within ``send_timeout_seconds``)
    TOO_SLOW = 4003


class ProtocolError(Exception):
    """A refusal with a stable code, sent back to whoever caused it."""

    def __init__(self, code: ErrorCode, message: str, rid: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = ErrorCode(code)
        self.message = message
        self.rid = rid


def code_of(text: str) -> ErrorCode:
    """The ErrorCode for a code received from the other side (unknown ones map to internal_error)."""
    try:
        return ErrorCode(text)
    except ValueError:
        return ErrorCode.INTERNAL_ERROR
