"""Why a call ended (or never started), in words, from the stable reason codes.

The session ends with a reason code: one the server sent (``meeting_ended``), one of the
client's own (``left``, ``connection_lost``, ``replaced``), or a refusal code when joining
failed. The UI shows the sentence; later features add their codes here.

The sentences are English source texts marked for translation (context ``Reasons``); the UI
passes its translate function (``desktop.ui.i18n.translator("Reasons")``), the bot none.
"""

from __future__ import annotations

from ..translatable import QT_TRANSLATE_NOOP, Translate, untranslated

CONTEXT = "Reasons"

_REASONS = {
    # how a call ends
    "left": QT_TRANSLATE_NOOP("Reasons", "You left the meeting."),
    "idle": QT_TRANSLATE_NOOP("Reasons", "You left because you were inactive."),
    "deleted": QT_TRANSLATE_NOOP("Reasons", "The meeting was ended."),
    "ended": QT_TRANSLATE_NOOP("Reasons", "The meeting was ended."),
    "removed": QT_TRANSLATE_NOOP("Reasons", "You were removed from the meeting."),
    "ended_by_host": QT_TRANSLATE_NOOP("Reasons", "The host ended the meeting."),
    "connection_lost": QT_TRANSLATE_NOOP("Reasons", "The connection to the meeting was lost."),
    "replaced": QT_TRANSLATE_NOOP("Reasons", "You joined this meeting from another window or device."),
    "server_shutdown": QT_TRANSLATE_NOOP("Reasons", "The meeting server shut down."),
    "timer_expired": QT_TRANSLATE_NOOP("Reasons", "The time has run out."),
    "max_duration": QT_TRANSLATE_NOOP("Reasons", "The meeting reached the longest a meeting may run on this server."),
    "empty": QT_TRANSLATE_NOOP("Reasons", "The meeting ended because nobody was in it."),
    "alone": QT_TRANSLATE_NOOP("Reasons", "The meeting ended because you were alone in it for a long time."),
    # why joining failed
    "invalid_token": QT_TRANSLATE_NOOP("Reasons", "This meeting link is not valid."),
    "token_expired": QT_TRANSLATE_NOOP("Reasons", "This meeting link has expired. Ask for a new one."),
    "meeting_ended": QT_TRANSLATE_NOOP("Reasons", "This meeting has already ended."),
    "meeting_not_found": QT_TRANSLATE_NOOP("Reasons", "There is no such meeting on this server."),
    "meeting_full": QT_TRANSLATE_NOOP("Reasons", "This meeting is full."),
    "missing_capability": QT_TRANSLATE_NOOP("Reasons", "You are not allowed to join this meeting."),
    "connection_failed": QT_TRANSLATE_NOOP("Reasons", "Could not reach the meeting server."),
    "untrusted_certificate": QT_TRANSLATE_NOOP(
        "Reasons", "Parley did not connect: the meeting server's certificate is not trusted."),
}

#: Why my screen share stopped or did not start.
_SHARE_REASONS = {
    "stopped": QT_TRANSLATE_NOOP("Reasons", "You stopped sharing."),
    "source_ended": QT_TRANSLATE_NOOP("Reasons", "Sharing stopped: the screen or window you shared is gone."),
    "removed": QT_TRANSLATE_NOOP("Reasons", "A host stopped your screen share."),
    "content_share_unavailable": QT_TRANSLATE_NOOP(
        "Reasons", "Two people are sharing already. You can share when one of them stops."),
    "missing_capability": QT_TRANSLATE_NOOP("Reasons", "Your role in this meeting may not share its screen."),
    "connection_failed": QT_TRANSLATE_NOOP("Reasons", "Could not reach the meeting server to share."),
    "connection_lost": QT_TRANSLATE_NOOP("Reasons", "Sharing stopped: the connection was lost."),
    "not_joined": QT_TRANSLATE_NOOP("Reasons", "Join the meeting before sharing."),
}

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
