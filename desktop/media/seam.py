"""Where the app reaches into aiortc (1.16.0) and aioice internals; kept to this one module.

- ``count_rtp``: the light receive path of ``parley-bot --light``. A load generator that only
  counts frames need not decrypt, reassemble or decode them: the RTP header (SSRC, marker bit)
  travels in the clear in SRTP, so each packet is counted where aioice hands it over, before
  the four coroutine layers and the queue it would otherwise pass through. DTLS and RTCP
  still take the normal path.
- ``repeat_nacks``: aiortc asks for a lost packet once; we ask again until it comes.
- ``route_keyframe_requests``: a sender of pre-encoded packets cannot "force" a keyframe
  (aiortc only does that for frames it encodes itself); this sends the request to the track.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiortc import RTCPeerConnection
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender


def count_rtp(pc: RTCPeerConnection, on_packet: Callable[[RTCRtpReceiver, bool], None]) -> None:
    """From now on, RTP arriving on ``pc`` calls ``on_packet(receiver, marker)`` instead of
    being decrypted and decoded. Call it once the remote description is set."""
    transceivers = pc.getTransceivers()
    if not transceivers:
        raise ValueError("count_rtp needs a connection with media sections")
    dtls = transceivers[0].receiver.transport  # BUNDLE: every section shares it
    connection = dtls.transport._connection
    ssrc_table = dtls._rtp_router.ssrc_table
    deliver = connection.data_received

    def data_received(data: bytes, component: int) -> None:
        # RTP: version 2 (first byte 128..191) and not an RTCP packet type (192..208).
        if len(data) >= 12 and 127 < data[0] < 192 and not 192 <= data[1] <= 208:
            receiver = ssrc_table.get(int.from_bytes(data[8:12], "big"))
            if receiver is not None:
                on_packet(receiver, data[1] >= 128)
            return
        deliver(data, component)

    connection.data_received = data_received


async def repeat_nacks(pc: RTCPeerConnection, interval: float = 0.2) -> None:
    """Ask again for video packets still missing, every ``interval`` seconds, until closed.

    aiortc's receiver sends a NACK once, when it first sees a gap; if the retransmission is
    lost too, the jitter buffer waits behind the hole until it overflows (512 packets, ~15 s
    of video) and the picture freezes. Repeating the request, as browsers do, repairs it."""
    while pc.connectionState not in ("closed", "failed"):
        await asyncio.sleep(interval)
        for transceiver in pc.getTransceivers():
            receiver = transceiver.receiver
            nacks = receiver._RTCRtpReceiver__nack_generator  # type: ignore[attr-defined]
            streams = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
            if nacks is None or not nacks.missing or not streams:
                continue
            media_ssrc = next(iter(streams))
            await receiver._send_rtcp_nack(media_ssrc, sorted(nacks.missing))


def route_keyframe_requests(sender: RTCRtpSender, on_request: Callable[[], None]) -> None:
    """Picture loss reported for what ``sender`` sends calls ``on_request``."""
    sender._send_keyframe = on_request  # type: ignore[method-assign]
