"""Numbers both sides agree on."""

PROTOCOL_VERSION = 1

#: Largest WebSocket message either side accepts (SDP of a 16-video meeting fits well).
MAX_MESSAGE_BYTES = 256 * 1024
#: Largest SDP carried in a message.
MAX_SDP_CHARS = 200_000
#: Longest display name.
MAX_NAME_CHARS = 64
#: Forwarded per meeting at once.
MAX_CAMERAS = 16
MAX_SCREEN_SHARES = 2
