"""Issue 22 item 5: negotiating a newcomer's connection gives the event loop turns, so the
forwarding (socket reads handled by the same loop) is not held behind a whole negotiation while
people join: a subscriber's first offer lets the loop run between the sections it adds."""

from __future__ import annotations

import asyncio

from server.sfu.forwarding import UpTrack
from server.sfu.peers import SPARE_SECTIONS, ForwardingPeers
from wire import TrackInfo


async def test_a_subscribers_first_offer_lets_the_loop_run_between_its_sections() -> None:
    loop = asyncio.get_running_loop()
    offers: list[tuple[str, list[TrackInfo]]] = []
    seen_sections: list[int] = []  # how many sections the connection had at each loop turn

    async def send_offer(sdp: str, tracks: list[TrackInfo]) -> None:
        offers.append((sdp, tracks))

    async def send_tracks(tracks: list[TrackInfo]) -> None:
        raise AssertionError("a first negotiation makes an offer")

    def look() -> None:  # what a datagram arriving for forwarding would get: a loop turn
        seen_sections.append(len(subscriber.pc.getTransceivers()))
        if not offers:
            loop.call_soon(look)

    subscriber = ForwardingPeers(["127.0.0.1"]).subscriber(send_offer, send_tracks)
    ups = {("ada", "audio"): UpTrack("ada", "audio", lambda ssrc: None),
           ("ada", "video"): UpTrack("ada", "video", lambda ssrc: None)}
    try:
        loop.call_soon(look)
        await subscriber.update(ups)
        assert len(offers) == 1
        sdp, tracks = offers[0]
        assert [(t.kind, t.attendee_id) for t in tracks if t.attendee_id] == [("audio", "ada"), ("video", "ada")]
        assert len(tracks) == 2 * (1 + SPARE_SECTIONS)  # the spare sections are offered too
        assert sdp.count("m=audio") == sdp.count("m=video") == 1 + SPARE_SECTIONS
        # the loop ran after each section was added, not only once all six were there
        assert set(range(1, 2 * (1 + SPARE_SECTIONS) + 1)) <= set(seen_sections)
    finally:
        await subscriber.close()
        for up in ups.values():
            up.close()
