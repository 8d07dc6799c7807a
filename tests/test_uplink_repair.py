"""A publisher's lost packet is asked for and comes again, on the connection a layered camera
uses (two video sections sharing the RTX payload type: aiortc alone drops every RTX packet
there). Real aiortc on both ends, on loopback; the loss is one packet of each layer dropped as it
comes off the server's socket, before anything else sees it."""

from __future__ import annotations

import asyncio

from desktop.media.peers import PublishConnection
from desktop.media.synthetic.capture import SyntheticCamera
from server.sfu.peers import PublisherPeer
from support import eventually


async def test_a_packet_lost_on_the_way_in_is_retransmitted_and_reaches_its_layer() -> None:
    camera = SyntheticCamera(320, 180, 15)
    publisher = PublishConnection(None, camera, audio=False, video=True, ice_addresses=("127.0.0.1",),
                                  layers=True)
    server = PublisherPeer("ada", ("127.0.0.1",))
    try:
        await publisher.accept(await server.answer(await publisher.offer()))
        publisher.send_camera(True)
        layers = server.tracks["video"].layers
        await eventually(lambda: all(up.packets_received > 20 for up in layers.values()), timeout=15,
                         what="both layers flow")
        dropped: list[int] = []
        # lose one packet of each layer, once, as it comes off the socket (an SRTP packet's
        # header is in the clear: its SSRC and sequence number can be read before decryption)
        transport = server._receivers["high"].transport.transport._connection  # both share it
        protocol = transport._nominated[1].protocol
        arrive = protocol.datagram_received
        lose = {up.media_ssrc for up in layers.values()}

        def lossy(data: bytes, addr) -> None:
            ssrc = int.from_bytes(data[8:12], "big") if len(data) >= 12 else None
            if 127 < data[0] < 192 and not 192 <= data[1] <= 208 and ssrc in lose:
                lose.discard(ssrc)
                dropped.append(int.from_bytes(data[2:4], "big"))
                return
            arrive(data, addr)

        protocol.datagram_received = lossy
        await eventually(lambda: len(dropped) == 2, what="a packet of each layer lost")
        # the server asks again for each, and each comes (as RTX, on the section it belongs to)
        await eventually(lambda: all(n.repaired >= 1 for n in server._nacks.values()), timeout=5,
                         what="both lost packets came again")
        assert all(n.given_up == 0 for n in server._nacks.values())
    finally:
        await asyncio.gather(publisher.close(), server.close())
        camera.stop()
