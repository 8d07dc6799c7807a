"""What a hostile publishing offer makes the forwarding unit send to addresses nobody proved.

    python bench/hostile_offer.py [--candidates N] [--wait S]

An offer's ICE candidates are addresses and ports the offerer chose; the server sends STUN
connectivity checks to each (aioice: one transaction per candidate pair, sent 1 + 6 times, at
0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s, unless answered). This script makes such an offer, as
the issue's attacker did, with N host candidates pointing at N silent UDP sinks on loopback,
hands it to the forwarding unit's ``PublisherPeer`` in this process (gathering on 127.0.0.1
only: one local candidate), and counts the datagrams and bytes the sinks receive until aioice
gives up (or ``--wait`` seconds). It also times the vetting and the answer (CPU seconds).

Since issue 20 an offer with more than 16 candidates in a section is refused before aiortc
sees it (server/sfu/offer.py): nothing is sent. At the cap, 16 candidates × 1 local address × 7
sends = 112 datagrams at most. It prints figures, never pass/fail: a few lines, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time

from aiortc import RTCConfiguration, RTCPeerConnection

from server.sfu.offer import vet_publish_offer
from server.sfu.peers import PublisherPeer
from wire import ProtocolError


class Sink(asyncio.DatagramProtocol):
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def datagram_received(self, data: bytes, addr) -> None:
        self.counts["datagrams"] += 1
        self.counts["bytes"] += len(data)


async def hostile_offer(ports: list[int]) -> str:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio", direction="sendonly")
    pc.addTransceiver("video", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    sdp = "".join(line + "\r\n" for line in sdp.splitlines() if not line.startswith("a=candidate:"))
    candidates = "".join(f"a=candidate:{i} 1 udp {2130706431 - i} 127.0.0.1 {port} typ host\r\n"
                         for i, port in enumerate(ports))
    sections = re.split(r"(?=^m=)", sdp, flags=re.M)
    return "".join(sections[:1] + [s + candidates for s in sections[1:]])  # in every section, as aiortc does


async def main(candidates: int, wait: float) -> dict:
    loop = asyncio.get_running_loop()
    counts = {"datagrams": 0, "bytes": 0}
    sinks = [await loop.create_datagram_endpoint(lambda: Sink(counts), local_addr=("127.0.0.1", 0))
             for _ in range(candidates)]
    ports = [transport.get_extra_info("sockname")[1] for transport, _ in sinks]
    offer = await hostile_offer(ports)
    figures: dict = {"candidates": candidates, "offer_bytes": len(offer.encode())}

    cpu = time.process_time()
    try:
        vet_publish_offer(offer)
        figures["vetting"] = "accepted"
    except ProtocolError as refusal:
        figures["vetting"] = f"refused: {refusal.message}"
    figures["vetting_cpu_ms"] = round((time.process_time() - cpu) * 1000, 3)

    peer = PublisherPeer("mallory", ("127.0.0.1",))
    try:
        cpu = time.process_time()
        try:
            await peer.answer(offer)
        except ProtocolError:
            wait = 0.0  # refused: there is no connection to watch
        figures["answer_cpu_ms"] = round((time.process_time() - cpu) * 1000, 3)
        deadline = loop.time() + wait
        while loop.time() < deadline and peer.pc.iceConnectionState not in ("failed", "closed"):
            await asyncio.sleep(0.25)
        figures["ice_state"] = peer.pc.iceConnectionState
        figures["seconds_watched"] = round(wait - max(0.0, deadline - loop.time()), 1)
    finally:
        await peer.close()
        await asyncio.sleep(0.1)
        for transport, _ in sinks:
            transport.close()
    figures["stun_datagrams_sent"] = counts["datagrams"]
    figures["stun_bytes_sent"] = counts["bytes"]
    figures["bytes_out_per_byte_in"] = round(counts["bytes"] / figures["offer_bytes"], 3)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=16)
    parser.add_argument("--wait", type=float, default=40.0, help="seconds to watch at most")
    args = parser.parse_args()
    result = asyncio.run(main(args.candidates, args.wait))
    print(f"offer: {result['candidates']} candidates per section, {result['offer_bytes']} bytes; "
          f"{result['vetting']} ({result['vetting_cpu_ms']} ms CPU)")
    print(f"STUN sent to the offer's addresses: {result['stun_datagrams_sent']} datagrams, "
          f"{result['stun_bytes_sent']} bytes ({result['bytes_out_per_byte_in']}x the offer), "
          f"ICE {result['ice_state']} after {result['seconds_watched']} s")
    print(json.dumps(result))
