"""Why a call ended (or never started), in words, from the stable reason codes.

The session ends with a reason code: one the server sent (``meeting_ended``), one of the
client's own (``left``, ``connection_lost``, ``replaced``), or a refusal code when joining
failed. The UI shows the sentence; later features add their codes here.
"""

from __future__ import annotations

_REASONS = {
    # how a call ends
    "left": "You left the meeting.",
    "idle": "You left because you were inactive.",
    "deleted": "The meeting was ended.",
    "ended": "The meeting was ended.",
    "removed": "You were removed from the meeting.",
    "ended_by_host": "The host ended the meeting.",
    "connection_lost": "The connection to the meeting was lost.",
    "replaced": "You joined this meeting from another window or device.",
    "server_shutdown": "The meeting server shut down.",
    # why joining failed
    "invalid_token": "This meeting link is not valid.",
    "token_expired": "This meeting link has expired. Ask for a new one.",
    "meeting_ended": "This meeting has already ended.",
    "meeting_not_found": "There is no such meeting on this server.",
    "meeting_full": "This meeting is full.",
    "missing_capability": "You are not allowed to join this meeting.",
    "connection_failed": "Could not reach the meeting server.",
}


def describe(reason: str | None) -> str:
    """A sentence for the user about ``reason`` (never empty)."""
    if reason is None:
        return "The call ended."
    return _REASONS.get(reason, f"The call ended ({reason}).")
