"""What the forwarding unit's per-packet work costs, in-process, without bots.

    PYTHONPATH=TREE python bench/sfu_cost.py [--packets 20000] [--subscribers 15] [--send]

Measures, with the ``server.sfu`` of whatever tree is first on PYTHONPATH (so one run against
an older tree and one against this one compare the same machine at the same moment):

1. fan-out: one video up track forwarding ``--packets`` packets of 1000 bytes to
   ``--subscribers`` down tracks of real aiortc senders, the socket replaced by a no-op
   (``seam.send_rtp``, and the direct socket path where the tree has one): process CPU µs per
   forwarded packet. This is the Python part of
   forwarding (header rewrite, history, abs-send-time); SRTP and ``sendto`` are the same in
   both trees and not included.
   ``--send``: the same with each packet SRTP-protected and sent through the tree's direct send
   path (``seam.direct_rtp_sender``) on a real loopback UDP socket to one sink socket per
   subscriber (drained between batches of 100 packets, outside the timing): process CPU µs
   per forwarded packet, the kernel's part of ``sendto`` included.
2. uplink estimation (when the tree has it): µs per received video packet for aiortc's
   abs-send-time estimator as the tap feeds it.
3. allocation (when the tree has it): µs per ``Downlink.tick`` of a subscriber receiving
   ``--subscribers`` two-layer cameras.

Prints figures (one JSON line at the end), never pass/fail. bench/bots are not needed: on a
machine too busy for bench/forwarding.py's 16 bots this still compares the trees.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time


def cpu() -> float:
    return time.process_time()


async def _direct_sender(sink: tuple[str, int]):  # noqa: ANN202
    """The tree's direct send path on a fake connected transport: a real asyncio UDP endpoint
    and a real SRTP session, sending to ``sink``; (the send function, the transport)."""
    import types

    import pylibsrtp

    from server.sfu import seam

    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    pair = types.SimpleNamespace(protocol=types.SimpleNamespace(transport=transport), remote_addr=sink)
    dtls = types.SimpleNamespace(
        state="connected", _state=None, _tx_srtp=pylibsrtp.Session(
            pylibsrtp.Policy(key=bytes(range(30)), ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND)),
        transport=types.SimpleNamespace(_connection=types.SimpleNamespace(_nominated={1: pair})))
    send = seam.direct_rtp_sender(types.SimpleNamespace(transport=dtls))
    send.keep = dtls  # (a tree whose send path does not keep the SRTP session alive)
    return send, transport


async def fan_out(packets: int, subscribers: int, send: bool = False) -> float:
    from aiortc import RTCPeerConnection
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters
    from aiortc.rtp import RtpPacket

    from server.sfu import seam
    from server.sfu.forwarding import DownTrack, UpTrack

    async def send_rtp(sender, data: bytes) -> None:
        return None

    seam.send_rtp = send_rtp
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    up = UpTrack("ada", "video", request_pli=lambda ssrc: None)
    pcs, sinks, transports = [], [], []
    for _ in range(subscribers):
        pc = RTCPeerConnection()
        down = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video")
        if send:
            import socket

            sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sink.bind(("127.0.0.1", 0))
            sink.setblocking(False)
            sinks.append(sink)
            direct, transport = await _direct_sender(sink.getsockname())
            transports.append(transport)
        try:
            down._on_started(100, 2)  # with abs-send-time negotiated (this tree)
        except TypeError:
            down._on_started(100)  # an older tree: payload type only
        down.bind(up)
        if send:
            down._direct = direct
        elif hasattr(down, "_direct"):  # connected: the direct socket path, here a no-op socket
            down._direct = lambda data: True
        pcs.append(pc)
    keyframe = b"\x10\x00\x00\x00\x9d\x01\x2a\x80\x02\x68\x01" + bytes(989)
    delta = b"\x10\x01" + bytes(998)
    await up.on_packet(RtpPacket(payload_type=96, sequence_number=0, timestamp=0, ssrc=5, payload=keyframe), vp8)
    batch = [RtpPacket(payload_type=96, sequence_number=n & 0xFFFF, timestamp=3000 * (n // 3), ssrc=5,
                       payload=delta) for n in range(1, packets + 1)]
    spent = 0.0
    for first in range(0, packets, 100):  # the sinks drained between batches, outside the timing
        start = cpu()
        for packet in batch[first:first + 100]:
            await up.on_packet(packet, vp8)
        spent += cpu() - start
        for sink in sinks:
            try:
                while sink.recv(2048):
                    pass
            except BlockingIOError:
                pass
    for pc in pcs:
        await pc.close()
    for closing in (*sinks, *transports):
        closing.close()
    return 1e6 * spent / (packets * subscribers)


def estimation(packets: int) -> float | None:
    try:
        from server.sfu.uplink import Uplink
    except ImportError:
        return None
    uplink = Uplink()
    gap = 8000 / 500_000
    start = cpu()
    for n in range(packets):
        sent = n * gap
        uplink.on_arrival(int((sent + 0.02) * 1000), int(sent * (1 << 18)) & 0xFFFFFF, 1000, 5)
    return 1e6 * (cpu() - start) / packets


async def allocation(subscribers: int, ticks: int = 200) -> float | None:
    try:
        from aiortc import RTCPeerConnection

        from server.sfu.downlink import Downlink
        from server.sfu.forwarding import DownTrack, UpTrack
    except ImportError:
        return None
    downlink = Downlink()
    downs, sources, pcs = [], {}, []
    for i in range(subscribers):
        high = UpTrack(f"cam{i}", "video", request_pli=lambda ssrc: None, layer="high")
        high.add_layer(UpTrack(f"cam{i}", "video", request_pli=lambda ssrc: None, layer="low"))
        pc = RTCPeerConnection()
        down = DownTrack(pc.addTransceiver("video", direction="sendonly").sender, "video")
        down.bind(high)
        downs.append(down)
        sources[id(down)] = high
        pcs.append(pc)
    start = cpu()
    for _ in range(ticks):
        downlink.tick(downs, sources)
    spent = cpu() - start
    for pc in pcs:
        await pc.close()
    return 1e6 * spent / ticks


async def main_async(args) -> dict:
    figures = {}
    if args.send:
        figures["fan_out_sent_us_per_forwarded_packet"] = round(await fan_out(args.packets, args.subscribers, True), 2)
    return figures | {
        "fan_out_us_per_forwarded_packet": round(await fan_out(args.packets, args.subscribers), 2),
        "uplink_estimation_us_per_received_video_packet": (lambda v: v if v is None else round(v, 2))(
            estimation(args.packets)),
        "allocation_us_per_tick": (lambda v: v if v is None else round(v, 1))(await allocation(args.subscribers)),
    }


def main() -> int:
    p = argparse.ArgumentParser(description="The forwarding unit's per-packet CPU: prints figures.")
    p.add_argument("--packets", type=int, default=20000)
    p.add_argument("--subscribers", type=int, default=15)
    p.add_argument("--send", action="store_true", help="also with SRTP and sendto on loopback (see 1.)")
    args = p.parse_args()
    figures = asyncio.run(main_async(args))
    import server.sfu.forwarding as forwarding

    figures["tree"] = forwarding.__file__
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
