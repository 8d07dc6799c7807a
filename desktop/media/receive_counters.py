"""What arrives on a received video section, counted at the packet (no Qt, no decoding).

``VideoReceiveCounter.on_packet`` sees every RTP packet of one video section as it arrives
(decrypted, before aiortc's jitter buffer: ``seam.observe_rtp``): how many came, how many came
again (the same sequence number: a retransmission that arrived after the original had), and the
keyframes (their first packets, and the RTP timestamps they carry, so a decoded picture can be
told to be a keyframe by its ``pts``, which aiortc sets to the RTP timestamp). The bot reports
these per remote; they cost a few attribute updates a packet.
"""

from __future__ import annotations

from collections import deque

from rtcseam.vp8 import vp8_keyframe_start

__all__ = ["VideoReceiveCounter", "vp8_keyframe_start"]

SEQ_WINDOW = 1024  # sequence numbers remembered to recognise a packet that comes again
KEYFRAMES_KEPT = 64  # RTP timestamps of the latest keyframes


class VideoReceiveCounter:
    """Counts of one received video section since it was made."""

    def __init__(self) -> None:
        self.packets = 0
        self.repeated = 0  # packets whose sequence number had come already
        self.keyframes = 0  # keyframes begun (counted once per RTP timestamp)
        self.keyframe_timestamps: deque[int] = deque(maxlen=KEYFRAMES_KEPT)
        self._seen: set[int] = set()
        self._order: deque[int] = deque()

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
        if vp8_keyframe_start(packet.payload) and packet.timestamp not in self.keyframe_timestamps:
            self.keyframes += 1
            self.keyframe_timestamps.append(packet.timestamp)

    def is_keyframe(self, timestamp: int | None) -> bool:
        """Whether the picture of RTP timestamp ``timestamp`` began a keyframe (of the latest
        ``KEYFRAMES_KEPT``)."""
        return timestamp is not None and timestamp in self.keyframe_timestamps
