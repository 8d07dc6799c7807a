"""The protocol the Parley app and server speak: typed messages, codec, error codes, limits.

Standard library only; both ``server`` and ``desktop`` depend on it, it depends on neither.
"""

from .codec import decode, encode, from_dict, load_object, to_dict
from .errors import ErrorCode, ProtocolError, code_of
from .limits import (
    MAX_CAMERAS,
    MAX_CHAT_CHARS,
    MAX_JSON_DEPTH,
    MAX_LIMIT_SECONDS,
    MAX_MESSAGE_BYTES,
    MAX_NAME_CHARS,
    MAX_SCREEN_SHARES,
    MAX_SDP_CHARS,
    MAX_SDP_MEDIA_SECTIONS,
    PROTOCOL_VERSION,
    REACTIONS,
)
from .messages import *  # noqa: F403
from .times import iso, parse_iso
from .vocabulary import Capability, EndReason, ModerationAction, PauseReason, ShareEnd, VideoLayer
from .messages import __all__ as _messages_all

__all__ = [
    "Capability", "EndReason", "ModerationAction", "PauseReason", "ShareEnd", "VideoLayer",
    "iso", "parse_iso", "decode", "encode", "from_dict", "load_object", "to_dict", "ErrorCode", "ProtocolError", "code_of",
    "MAX_CAMERAS", "MAX_CHAT_CHARS", "REACTIONS", "MAX_JSON_DEPTH", "MAX_LIMIT_SECONDS", "MAX_MESSAGE_BYTES", "MAX_NAME_CHARS",
    "MAX_SCREEN_SHARES", "MAX_SDP_CHARS", "MAX_SDP_MEDIA_SECTIONS", "PROTOCOL_VERSION", *_messages_all,
]
