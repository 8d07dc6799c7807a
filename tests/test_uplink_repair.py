"""A publisher's lost packet is asked for and comes again, on the connection a layered camera
uses (two video sections sharing the RTX payload type: aiortc alone drops every RTX packet
there). Real aiortc on both ends, on loopback; the loss is one packet the server's transport
drops before anything else sees it."""

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
        for name, up in layers.items():  # lose one packet of each layer, once
            transport = server._receivers[name].transport
            route = transport._rtp_router.route_rtp

            def lossy(packet, route=route, ssrc=up.media_ssrc, mine=[]):
                if packet.ssrc == ssrc and not mine:
                    mine.append(packet.sequence_number)
                    dropped.append(packet.sequence_number)
                    return None
                return route(packet)

            transport._rtp_router.route_rtp = lossy
        await eventually(lambda: len(dropped) == 2, what="a packet of each layer lost")
        # the server asks again for each, and each comes (as RTX, on the section it belongs to)
        await eventually(lambda: all(n.repaired >= 1 for n in server._nacks.values()), timeout=5,
                         what="both lost packets came again")
        assert all(n.given_up == 0 for n in server._nacks.values())
    finally:
        await asyncio.gather(publisher.close(), server.close())
        camera.stop()
