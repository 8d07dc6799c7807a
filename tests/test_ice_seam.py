"""One owner for aioice's host addresses (rtcseam/ice.py): a meeting server restricted to its
addresses and an app gathering with its own, in one process (the app hosting a meeting and
joining another), each offer exactly their own candidates, even while gathering at once."""

from __future__ import annotations

import asyncio
import socket

import aioice.ice
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from desktop.media.ice import ice_addresses_for
from desktop.media.peers import PublishConnection
from rtcseam.ice import host_addresses
from server.sfu.peers import PublisherPeer


def host_candidates(sdp: str) -> set[str]:
    """The addresses of the host candidates an SDP offers."""
    found = set()
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            if parts[parts.index("typ") + 1] == "host":
                found.add(parts[4])
    return found


def can_bind(address: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


@pytest.fixture
def other_loopback() -> str:
    if not can_bind("127.0.0.2"):
        pytest.skip("this machine has only 127.0.0.1 on loopback")
    return "127.0.0.2"


async def test_server_and_app_in_one_process_keep_their_own_candidates(other_loopback: str) -> None:
    joining = PublishConnection(None, None, audio=True, video=False, ice_addresses=(other_loopback,))
    hosting = PublishConnection(None, None, audio=True, video=False, ice_addresses=ice_addresses_for("localhost"))
    server = PublisherPeer("ada", ("127.0.0.1",))
    try:
        offer_to_own_server = await hosting.offer()
        # the app gathers for another meeting while its own server answers: at the same time
        offer_elsewhere, answer = await asyncio.gather(joining.offer(), server.answer(offer_to_own_server))
        assert host_candidates(offer_to_own_server) == {"127.0.0.1"}
        assert host_candidates(offer_elsewhere) == {other_loopback}
        assert host_candidates(answer) == {"127.0.0.1"}
        # and a server connection made after the app gathered still offers only its own
        later = PublisherPeer("grace", ("127.0.0.1",))
        try:
            assert host_candidates(await later.answer(offer_elsewhere)) == {"127.0.0.1"}
        finally:
            await later.close()
    finally:
        await asyncio.gather(joining.close(), hosting.close(), server.close())


async def test_each_caller_keeps_its_addresses_while_another_gathers() -> None:
    """Two callers inside their blocks at once (a server's answer, an app's offer): aioice
    asks each for its host addresses and each gets its own."""
    entered, read = asyncio.Barrier(2), asyncio.Barrier(2)

    async def gather_as(address: str) -> list[str]:
        with host_addresses([address]):
            await entered.wait()  # both are inside their blocks now
            addresses = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)
            await read.wait()  # and neither leaves before both have asked
            return addresses

    server, app = await asyncio.gather(gather_as("127.0.0.1"), gather_as("127.0.0.3"))
    assert (server, app) == (["127.0.0.1"], ["127.0.0.3"])


async def test_who_asks_nothing_gets_what_aioice_would_offer() -> None:
    with host_addresses(["127.0.0.1"]):
        pass  # the seam is installed now
    expected = set(aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True))
    assert "127.0.0.1" not in expected  # aioice's own choice leaves loopback out
    plain = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        plain.addTransceiver("audio", direction="sendonly")
        await plain.setLocalDescription(await plain.createOffer())
        offered = host_candidates(plain.localDescription.sdp)
        assert offered <= expected and "127.0.0.1" not in offered
    finally:
        await plain.close()


def test_only_ip_addresses_are_accepted() -> None:
    with pytest.raises(ValueError):
        with host_addresses(["parley.example"]):
            pass
    assert ice_addresses_for("parley.example") is None
    assert ice_addresses_for("[::1]") == ("127.0.0.1",)


def test_the_seam_stands_below_server_and_desktop() -> None:
    """rtcseam may reach aiortc and aioice; the server and the app use it, never the reverse."""
    grimp = pytest.importorskip("grimp")  # comes with import-linter

    graph = grimp.build_graph("rtcseam", include_external_packages=True)
    imported = {m.split(".")[0] for module in graph.modules if module.startswith("rtcseam")
                for m in graph.find_modules_directly_imported_by(module)}
    assert not imported & {"server", "desktop"}, imported
