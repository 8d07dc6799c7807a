"""Why a call ended (or never started), in words, from the stable reason codes.

The session ends with a reason code: one the server sent (``meeting_ended``), one of the
client's own (``left``, ``connection_lost``, ``replaced``), or a refusal code when joining
failed. The UI shows the sentence; later features add their codes here.

The sentences are English source texts marked for translation (context ``Reasons``); the UI
passes its translate function (``desktop.ui.i18n.translator("Reasons")``), the bot none.
"""

from __future__ import annotations

from enum import StrEnum

from wire import EndReason, ErrorCode, ShareEnd

from ..translatable import QT_TRANSLATE_NOOP, Translate, untranslated

CONTEXT = "Reasons"


class JoinProblem(StrEnum):
    """Why joining failed when the server did not refuse (its refusals are ``ErrorCode``s)."""

    CONNECTION_FAILED = "connection_failed"
    UNTRUSTED_CERTIFICATE = "untrusted_certificate"


class CallEnd(StrEnum):
    """How a call ended as only this side knows it."""

    ENDED_BY_ME = "ended_by_me"  # the server says ``ended_by_host``: I was that host


_REASONS: dict[str, str] = {
    # how a call ends
    EndReason.LEFT: QT_TRANSLATE_NOOP("Reasons", "You left the meeting."),
    EndReason.IDLE: QT_TRANSLATE_NOOP("Reasons", "You left because you were inactive."),
    EndReason.DELETED: QT_TRANSLATE_NOOP("Reasons", "The meeting was ended."),
    EndReason.ENDED: QT_TRANSLATE_NOOP("Reasons", "The meeting was ended."),
    EndReason.REMOVED: QT_TRANSLATE_NOOP("Reasons", "You were removed from the meeting."),
    EndReason.ENDED_BY_HOST: QT_TRANSLATE_NOOP("Reasons", "The host ended the meeting."),
    CallEnd.ENDED_BY_ME: QT_TRANSLATE_NOOP("Reasons", "You ended the meeting for everyone."),
    EndReason.CONNECTION_LOST: QT_TRANSLATE_NOOP("Reasons", "The connection to the meeting was lost."),
    EndReason.MEDIA_BLOCKED: QT_TRANSLATE_NOOP(
        "Reasons", "Your network seems to block calls: Parley reached the meeting, but no sound or "
        "video could get through. Try another network, or ask the meeting's organiser about a "
        "TURN server."),
    EndReason.REPLACED: QT_TRANSLATE_NOOP("Reasons", "You joined this meeting from another window or device."),
    EndReason.SERVER_SHUTDOWN: QT_TRANSLATE_NOOP("Reasons", "The meeting server shut down."),
    EndReason.TIMER_EXPIRED: QT_TRANSLATE_NOOP("Reasons", "The time has run out."),
    EndReason.MAX_DURATION: QT_TRANSLATE_NOOP("Reasons", "The meeting reached the longest a meeting may run on this server."),
    EndReason.EMPTY: QT_TRANSLATE_NOOP("Reasons", "The meeting ended because nobody was in it."),
    EndReason.ALONE: QT_TRANSLATE_NOOP("Reasons", "The meeting ended because you were alone in it for a long time."),
    # why joining failed
    ErrorCode.INVALID_TOKEN: QT_TRANSLATE_NOOP("Reasons", "This meeting link is not valid."),
    ErrorCode.TOKEN_EXPIRED: QT_TRANSLATE_NOOP("Reasons", "This meeting link has expired. Ask for a new one."),
    ErrorCode.MEETING_ENDED: QT_TRANSLATE_NOOP("Reasons", "This meeting has already ended."),
    ErrorCode.MEETING_NOT_FOUND: QT_TRANSLATE_NOOP("Reasons", "There is no such meeting on this server."),
    ErrorCode.MEETING_FULL: QT_TRANSLATE_NOOP("Reasons", "This meeting is full."),
    ErrorCode.MISSING_CAPABILITY: QT_TRANSLATE_NOOP("Reasons", "You are not allowed to join this meeting."),
    JoinProblem.CONNECTION_FAILED: QT_TRANSLATE_NOOP("Reasons", "Could not reach the meeting server."),
    JoinProblem.UNTRUSTED_CERTIFICATE: QT_TRANSLATE_NOOP(
        "Reasons", "Parley did not connect: the meeting server's certificate is not trusted."),
}

#: Why my screen share stopped or did not start.
_SHARE_REASONS: dict[str, str] = {
    ShareEnd.STOPPED: QT_TRANSLATE_NOOP("Reasons", "You stopped sharing."),
    ShareEnd.SOURCE_ENDED: QT_TRANSLATE_NOOP("Reasons", "Sharing stopped: the screen or window you shared is gone."),
    ShareEnd.REMOVED: QT_TRANSLATE_NOOP("Reasons", "A host stopped your screen share."),
    ErrorCode.CONTENT_SHARE_UNAVAILABLE: QT_TRANSLATE_NOOP(
        "Reasons", "Two people are sharing already. You can share when one of them stops."),
    ErrorCode.MISSING_CAPABILITY: QT_TRANSLATE_NOOP("Reasons", "Your role in this meeting may not share its screen."),
    ShareEnd.CONNECTION_FAILED: QT_TRANSLATE_NOOP("Reasons", "Could not reach the meeting server to share."),
    ShareEnd.CONNECTION_LOST: QT_TRANSLATE_NOOP("Reasons", "Sharing stopped: the connection was lost."),
    ShareEnd.NOT_JOINED: QT_TRANSLATE_NOOP("Reasons", "Join the meeting before sharing."),
}

#: What to do about a join that failed, said after its reason (the details go to the log).
_ADVICE: dict[str, str] = {
    ErrorCode.INVALID_TOKEN: QT_TRANSLATE_NOOP("Reasons", "Ask whoever invited you for a new link."),
    ErrorCode.TOKEN_EXPIRED: "",  # the sentence says what to do
    ErrorCode.MEETING_ENDED: QT_TRANSLATE_NOOP("Reasons", "Ask whoever invited you for a new meeting link."),
    ErrorCode.MEETING_NOT_FOUND: QT_TRANSLATE_NOOP("Reasons", "Check the link, or ask for a new one."),
    ErrorCode.MEETING_FULL: QT_TRANSLATE_NOOP("Reasons", "Try again when someone leaves."),
    ErrorCode.MISSING_CAPABILITY: QT_TRANSLATE_NOOP("Reasons", "Ask whoever invited you for a new link."),
    JoinProblem.CONNECTION_FAILED: QT_TRANSLATE_NOOP(
        "Reasons", "Check your network connection and the link, then try again."),
}
_COULD_NOT_JOIN = QT_TRANSLATE_NOOP("Reasons", "Parley could not join the meeting.")
_TRY_AGAIN = QT_TRANSLATE_NOOP("Reasons", "Try again, or ask whoever invited you for a new link.")

_CALL_ENDED = QT_TRANSLATE_NOOP("Reasons", "The call ended.")
_CALL_ENDED_CODE = QT_TRANSLATE_NOOP("Reasons", "The call ended ({reason}).")
_SHARE_STOPPED_CODE = QT_TRANSLATE_NOOP("Reasons", "Sharing stopped ({reason}).")


def describe_share(reason: str, translate: Translate = untranslated) -> str:
    """A sentence for the user about why their screen share stopped or was refused."""
    known = _SHARE_REASONS.get(reason) or _REASONS.get(reason)
    return translate(known) if known else translate(_SHARE_STOPPED_CODE).format(reason=reason)


def describe(reason: str | None, translate: Translate = untranslated) -> str:
    """A sentence for the user about ``reason`` (never empty)."""
    if reason is None:
        return translate(_CALL_ENDED)
    known = _REASONS.get(reason)
    return translate(known) if known else translate(_CALL_ENDED_CODE).format(reason=reason)


def describe_join_failure(reason: str, translate: Translate = untranslated) -> str:
    """Why joining failed and what to do, for people: no codes, no server messages (those go
    to the log)."""
    known = _REASONS.get(reason)
    sentence = translate(known) if known else translate(_COULD_NOT_JOIN)
    advice = _ADVICE.get(reason, _TRY_AGAIN)
    return f"{sentence} {translate(advice)}" if advice else sentence


#: Ends after which the same link may simply be used again ("Rejoin"): the user's own leaving
#: and a lost connection. Not a meeting that ended, nor a removal, nor a join elsewhere.
REJOINABLE = frozenset({EndReason.LEFT, EndReason.IDLE, EndReason.DISCONNECTED, EndReason.CONNECTION_LOST})


def can_rejoin(reason: str) -> bool:
    return reason in REJOINABLE
