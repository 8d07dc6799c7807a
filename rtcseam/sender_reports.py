"""Where a receiver's RTCP sender reports are read (aiortc 1.16.0 keeps only their LSR).

``watch_sender_reports(receiver, on_report)``: each RTCP sender report that aiortc routes to
``receiver`` (by its SSRC, ``RtpRouter.route_rtcp``) is told to ``on_report(ntp, rtp)`` (the
64-bit NTP timestamp and the RTP time it maps) before aiortc handles it as before. The app
reads the forwarding unit's reports so (desktop/media/lipsync.py); the forwarding unit reads
its publishers' in its own tap, as they arrive (server/sfu/seam.py, ``tap_receiver``).
"""

from __future__ import annotations

from collections.abc import Callable

from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtcpSrPacket

__all__ = ["watch_sender_reports"]


def watch_sender_reports(receiver: RTCRtpReceiver, on_report: Callable[[int, int], None]) -> None:
    """From now on, each sender report ``receiver`` gets calls ``on_report(ntp, rtp)``."""
    original = receiver._handle_rtcp_packet

    async def handle_rtcp_packet(packet) -> None:  # noqa: ANN001
        if isinstance(packet, RtcpSrPacket):
            on_report(packet.sender_info.ntp_timestamp, packet.sender_info.rtp_timestamp)
        await original(packet)

    receiver._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]
