"""Where the app reaches into aiortc (1.16.0) internals; kept to this one module.

- ``receive_encoded``: a received track whose frames should be counted, not decoded
  (``parley-bot --light``) gets :class:`EncodedFrame` objects instead of decoded frames.
  aiortc's receiver starts its decoder thread on the module-level ``decoder_worker``
  function, which we wrap once: queues registered here bypass the decoder.
- ``route_keyframe_requests``: a sender of pre-encoded packets cannot "force" a keyframe
  (aiortc only does that for frames it encodes itself); this sends the request to the track.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import aiortc.rtcrtpreceiver as _receiver_module
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpsender import RTCRtpSender

_decoder_worker = _receiver_module.decoder_worker
_encoded_queues: weakref.WeakSet[asyncio.Queue] = weakref.WeakSet()
_lock = threading.Lock()


@dataclass(frozen=True)
class EncodedFrame:
    """A reassembled, still encoded frame (light receive path)."""

    data: bytes
    timestamp: int


def _worker(loop: asyncio.AbstractEventLoop, input_q: queue.Queue, output_q: asyncio.Queue,
            decode_error: threading.Event) -> None:
    with _lock:
        encoded = output_q in _encoded_queues
    if not encoded:
        _decoder_worker(loop, input_q, output_q, decode_error)
        return
    while True:
        task = input_q.get()
        if task is None:
            loop.call_soon_threadsafe(output_q.put_nowait, None)
            return
        _codec, frame = task
        loop.call_soon_threadsafe(output_q.put_nowait, EncodedFrame(frame.data, frame.timestamp))


_receiver_module.decoder_worker = _worker


def receive_encoded(track: MediaStreamTrack) -> None:
    """Make a remote track yield EncodedFrame objects instead of decoded frames.

    Call it from the peer connection's ``track`` event, before the connection starts
    receiving (aiortc starts the decoder thread when the transport connects)."""
    with _lock:
        _encoded_queues.add(track._queue)  # type: ignore[attr-defined]


def route_keyframe_requests(sender: RTCRtpSender, on_request: Callable[[], None]) -> None:
    """Picture loss reported for what ``sender`` sends calls ``on_request``."""
    sender._send_keyframe = on_request  # type: ignore[method-assign]
