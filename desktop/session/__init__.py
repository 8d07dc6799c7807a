"""One meeting as the user lives it (no Qt): ``meeting_session.MeetingSession`` and its parts.

The front-ends (the UI, the bot) read the session's own words from here, never the protocol
package: the participant value type, and the protocol's vocabulary they need to name things
(what a role may do, why a call ended or never started, what a host may do, how a share
ended, the reactions).
"""

from wire import (
    CONTENT_SUFFIX,
    REACTIONS,
    Capability,
    EndReason,
    ModerationAction,
    PauseReason,
    ShareEnd,
    TileNeed,
    VideoLayer,
    content_attendee_id,
    content_owner,
)

from .participant import Participant
from .reasons import JoinProblem

__all__ = [
    "CONTENT_SUFFIX", "REACTIONS", "Capability", "EndReason", "JoinProblem", "ModerationAction", "Participant",
    "PauseReason", "ShareEnd", "TileNeed", "VideoLayer",
    "content_attendee_id", "content_owner",
]
