"""What arrives on a received video section, counted at the packet (no Qt, no decoding).

``VideoReceiveCounter.on_packet`` sees every RTP packet of one video section as it arrives
(decrypted, before aiortc's jitter buffer: ``seam.observe_rtp``): how many came, how many came
again (the same sequence number: a retransmission that arrived after the original had), and the
keyframes (their first packets, and the RTP timestamps they carry, so a decoded picture can be
told to be a keyframe by its ``pts``, which is the RTP timestamp), and each recent picture's VP8
picture id (so the bot can tell a picture that never arrived from one its camera never took).
The bot reports these per remote; they cost a few attribute updates a packet.
"""

from __future__ import annotations

from collections import deque

from rtcseam.vp8 import vp8_keyframe_start, vp8_picture_id

__all__ = ["VideoReceiveCounter", "vp8_keyframe_start"]

SEQ_WINDOW = 1024  # sequence numbers remembered to recognise a packet that comes again
KEYFRAMES_KEPT = 64  # RTP timestamps of the latest keyframes
PICTURES_KEPT = 256  # RTP timestamp -> picture id of the latest pictures


class VideoReceiveCounter:
    """Counts of one received video section since it was made."""

    def __init__(self) -> None:
        self.packets = 0
        self.repeated = 0  # packets whose sequence number had come already
        self.keyframes = 0  # keyframes begun (counted once per RTP timestamp)
        self.keyframe_timestamps: deque[int] = deque(maxlen=KEYFRAMES_KEPT)
        self._seen: set[int] = set()
        self._order: deque[int] = deque()
        self._picture_ids: dict[int, int] = {}  # RTP timestamp -> VP8 picture id (insertion order)

    def on_packet(self, packet) -> None:
        """One RTP packet (aiortc's ``RtpPacket``: ``sequence_number``, ``timestamp``, ``payload``)."""
        self.packets += 1
        seq = packet.sequence_number
        if seq in self._seen:
            self.repeated += 1
            return
        self._seen.add(seq)
        self._order.append(seq)
        if len(self._order) > SEQ_WINDOW:
            self._seen.discard(self._order.popleft())
        if packet.timestamp not in self._picture_ids:
            picture_id = vp8_picture_id(packet.payload)
            if picture_id is not None:
                self._picture_ids[packet.timestamp] = picture_id
                if len(self._picture_ids) > PICTURES_KEPT:
                    del self._picture_ids[next(iter(self._picture_ids))]
        if vp8_keyframe_start(packet.payload) and packet.timestamp not in self.keyframe_timestamps:
            self.keyframes += 1
            self.keyframe_timestamps.append(packet.timestamp)

    def is_keyframe(self, timestamp: int | None) -> bool:
        """Whether the picture of RTP timestamp ``timestamp`` began a keyframe (of the latest
        ``KEYFRAMES_KEPT``)."""
        return timestamp is not None and timestamp in self.keyframe_timestamps

    def picture_id(self, timestamp: int | None) -> int | None:
        """The VP8 picture id of the picture of RTP timestamp ``timestamp`` (of the latest
        ``PICTURES_KEPT``), or None."""
        return None if timestamp is None else self._picture_ids.get(timestamp)
