"""Closing an aiortc peer connection within a bound, on the server and in the app alike.

aiortc 1.16's ``RTCPeerConnection.close()`` can wait for ever: ``RTCRtpSender.stop()`` awaits
tasks that may never have started (a connection closed right as it was negotiated). A close
that hangs must not hold up a meeting's end or an app's shutdown, so ``close_bounded`` gives it
``CLOSE_TIMEOUT`` seconds. What the close had not reached yet would keep running: each receiver
of a video or audio section owns a decoder thread, blocked on its queue until the receiver is
stopped. A given-up close therefore stops those threads itself (the same ``None`` the
receiver's own stop puts on the queue), so nothing of the dropped connection lives on.
"""

from __future__ import annotations

import asyncio
import logging
import threading

logger = logging.getLogger(__name__)

#: How long closing a peer connection may take before it is given up.
CLOSE_TIMEOUT = 5.0


async def close_bounded(pc, what: str, timeout: float = CLOSE_TIMEOUT) -> None:
    """Close ``pc``, but never wait longer than ``timeout`` (then logged, and its receivers'
    decoder threads stopped)."""
    try:
        await asyncio.wait_for(pc.close(), timeout)
    except asyncio.TimeoutError:
        stopped = stop_decoders(pc)
        logger.warning("%s: the peer connection did not close within %g s; dropped (%d decoder "
                       "thread(s) stopped)", what, timeout, stopped)


def stop_decoders(pc) -> int:
    """Stop the decoder thread of every receiver of ``pc`` that still has one; returns how many.
    The threads end on their own once they take the stop from their queue (not joined here: a
    decoder may be in the middle of a frame, and this runs on the event loop)."""
    stopped = 0
    for transceiver in pc.getTransceivers():
        receiver = transceiver.receiver
        thread: threading.Thread | None = getattr(receiver, "_RTCRtpReceiver__decoder_thread", None)
        if thread is None:
            continue
        receiver._RTCRtpReceiver__decoder_queue.put(None)
        receiver._RTCRtpReceiver__decoder_thread = None
        stopped += 1
    return stopped
