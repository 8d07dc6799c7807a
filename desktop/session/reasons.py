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
    "timer_expired": "The time has run out.",
    "max_duration": "The meeting reached the longest a meeting may run on this server.",
    "empty": "The meeting ended because nobody was in it.",
    "alone": "The meeting ended because you were alone in it for a long time.",
    # why joining failed
    "invalid_token": "This meeting link is not valid.",
    "token_expired": "This meeting link has expired. Ask for a new one.",
    "meeting_ended": "This meeting has already ended.",
    "meeting_not_found": "There is no such meeting on this server.",
    "meeting_full": "This meeting is full.",
    "missing_capability": "You are not allowed to join this meeting.",
    "connection_failed": "Could not reach the meeting server.",
    "untrusted_certificate": "Parley did not connect: the meeting server's certificate is not trusted.",
}

#: Why my screen share stopped or did not start.
_SHARE_REASONS = {
    "stopped": "You stopped sharing.",
    "source_ended": "Sharing stopped: the screen or window you shared is gone.",
    "removed": "A host stopped your screen share.",
    "content_share_unavailable": "Two people are sharing already. You can share when one of them stops.",
    "missing_capability": "Your role in this meeting may not share its screen.",
    "connection_failed": "Could not reach the meeting server to share.",
    "connection_lost": "Sharing stopped: the connection was lost.",
    "not_joined": "Join the meeting before sharing.",
}


def describe_share(reason: str) -> str:
    """A sentence for the user about why their screen share stopped or was refused."""
    return _SHARE_REASONS.get(reason) or _REASONS.get(reason) or f"Sharing stopped ({reason})."


def describe(reason: str | None) -> str:
    """A sentence for the user about ``reason`` (never empty)."""
    if reason is None:
        return "The call ended."
    return _REASONS.get(reason, f"The call ended ({reason}).")
