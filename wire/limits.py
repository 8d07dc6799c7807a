"""Numbers both sides agree on."""

PROTOCOL_VERSION = 1

#: Largest WebSocket message either side accepts (SDP of a 16-video meeting fits well).
MAX_MESSAGE_BYTES = 256 * 1024
#: Largest SDP carried in a message.
MAX_SDP_CHARS = 200_000
#: Most media sections (``m=`` lines) in an SDP a client sends. The server's receiving offer,
#: which the client's ``subscribe_answer`` mirrors, has one audio section per other participant,
#: up to 16 cameras and 2 shares, and idle spares: 35 sections for 16 people, about 170 for 100
#: (server/sfu/peers.py). At aiortc's 1.1 kB or more a section, MAX_SDP_CHARS binds before this
#: for real SDPs; this stops an SDP of a thousand bare sections, which costs aiortc a second.
MAX_SDP_MEDIA_SECTIONS = 200
#: Deepest nesting of JSON arrays and objects in a message or a REST body (messages need 3).
MAX_JSON_DEPTH = 32
#: Longest display name.
MAX_NAME_CHARS = 64
#: Longest duration a meeting's settings may hold (``limits.max_duration_seconds``,
#: ``limits.inactivity_timeout_seconds``): a year. Beyond some 3e11 s, ``timer_ends_at`` is past
#: the year 9999 and no clock can show it.
MAX_LIMIT_SECONDS = 365 * 24 * 3600
#: Forwarded per meeting at once.
MAX_CAMERAS = 16
MAX_SCREEN_SHARES = 2
#: Longest chat message, in characters.
MAX_CHAT_CHARS = 4000
#: A ``chat_history`` frame holds at most this many bytes of encoded messages, so it fits in
#: MAX_MESSAGE_BYTES (and far under the client's socket limit, 4 × that) however much was said:
#: the worst single message (4000 characters that each encode to 6 bytes) is 24 kB.
MAX_CHAT_HISTORY_BYTES = 64 * 1024
#: Most chat messages in one ``chat_history`` page (the byte bound may stop a page sooner).
MAX_CHAT_PAGE = 100
#: The reactions anyone may send (shown briefly over the sender's tile).
REACTIONS = ("👍", "👏", "😂", "❤️", "🎉", "😮", "🙌", "🤔")
