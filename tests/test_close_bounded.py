"""A peer connection whose close hangs is given up within a bound, and nothing of it lives on:
its receivers' decoder threads stop too (rtcseam/peer.py). aiortc 1.16's close sometimes never
returns; before, the decoder threads of a given-up connection stayed until the process ended."""

from __future__ import annotations

import asyncio
import threading

from aiortc import RTCConfiguration, RTCPeerConnection

from rtcseam.ice import host_addresses
from rtcseam.peer import close_bounded

DECODER_NAMES = ("audio-decoder", "video-decoder")


def decoder_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name in DECODER_NAMES and t.is_alive()}


async def connected_pair() -> tuple[RTCPeerConnection, RTCPeerConnection]:
    """A sends audio and video sections to B over loopback; B's receivers are running."""
    sender = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiver = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sender.addTransceiver("audio", direction="sendonly")
    sender.addTransceiver("video", direction="sendonly")
    with host_addresses(["127.0.0.1"]):
        await sender.setLocalDescription(await sender.createOffer())
        await receiver.setRemoteDescription(sender.localDescription)
        await receiver.setLocalDescription(await receiver.createAnswer())
        await sender.setRemoteDescription(receiver.localDescription)
    for _ in range(200):
        if receiver.connectionState == "connected":
            break
        await asyncio.sleep(0.05)
    assert receiver.connectionState == "connected"
    return sender, receiver


async def test_a_hung_close_is_given_up_and_stops_the_decoders(caplog) -> None:
    before = decoder_threads()
    sender, receiver = await connected_pair()
    started = decoder_threads() - before
    assert len(started) == 2, "one decoder thread per received section"

    async def hang() -> None:  # aiortc's close, stuck for ever
        await asyncio.Event().wait()

    real_close = receiver.close
    receiver.close = hang
    try:
        await close_bounded(receiver, "the receiving side", timeout=0.2)
        assert "did not close within 0.2 s" in caplog.text
        for thread in started:
            thread.join(timeout=5)
        assert not any(thread.is_alive() for thread in started), "the dropped connection's decoders stopped"
    finally:
        await real_close()
        await sender.close()


async def test_a_close_that_returns_is_not_touched(caplog) -> None:
    before = decoder_threads()
    sender, receiver = await connected_pair()
    await close_bounded(receiver, "the receiving side", timeout=5)
    await sender.close()
    assert "did not close" not in caplog.text
    for thread in decoder_threads() - before:
        thread.join(timeout=5)
    assert decoder_threads() - before == set()
