"""What one peer connection sends of a device's track.

aiortc stops a sender's track when the sender's connection closes. The session closes its
connections on every reconnect, and the screen share on every stop, but the microphone, the
camera and a shared screen must go on into the next connection. A SenderTrack is the
connection's own handle on the device: stopping it leaves the device running.
"""

from __future__ import annotations

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack


class SenderTrack(MediaStreamTrack):
    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = source.kind
        self.source = source
        request = getattr(source, "request_keyframe", None)
        if request is not None:  # pre-encoded video answers picture loss itself
            self.request_keyframe = request
        low = getattr(source, "low_layer", None)
        if low is not None:  # a pre-encoded camera's small layer: this connection's handle on it
            self.low_layer = SenderTrack(low)

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        return await self.source.recv()


def for_sending(track: MediaStreamTrack | None) -> MediaStreamTrack | None:
    """``track`` wrapped for one connection (None stays None)."""
    return None if track is None else SenderTrack(track)
