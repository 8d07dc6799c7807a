"""What an ICE connection sends to addresses nobody signalled is bounded (rtcseam/ice.py): checks
arriving from ever new source addresses (forgeable, for UDP) teach aioice at most
MAX_PEER_REFLEXIVE candidates, so a connection checks back at most that many of them."""

from __future__ import annotations

import asyncio

import aioice.ice
from aioice import Candidate, stun

from rtcseam.ice import MAX_PEER_REFLEXIVE, install


class RecordingProtocol:
    """A local candidate's socket that records the STUN requests sent on it and never hears back."""

    def __init__(self) -> None:
        self.local_candidate = Candidate(foundation="1", component=1, transport="udp", priority=2130706431,
                                         host="127.0.0.1", port=5000, type="host")
        self.sent_to: list[tuple[str, int]] = []

    async def request(self, request, addr, integrity_key=None, retransmissions=None):
        self.sent_to.append(addr)
        raise stun.TransactionTimeout()


def binding_request() -> stun.Message:
    message = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    message.attributes["PRIORITY"] = 1853824767
    return message


async def test_checks_from_many_forged_addresses_are_checked_back_at_most_max_peer_reflexive() -> None:
    install()
    connection = aioice.ice.Connection(ice_controlling=False)
    connection.remote_username, connection.remote_password = "mallory", "m" * 22
    connection._early_checks_done = True
    protocol = RecordingProtocol()
    try:
        for i in range(100):  # as if each check came from another (forged) source address
            connection.check_incoming(binding_request(), (f"127.1.{i // 250}.{i % 250 + 1}", 4000 + i), protocol)
        for _ in range(10):
            await asyncio.sleep(0)
        learned = [c for c in connection.remote_candidates if c.type == "prflx"]
        assert len(learned) == MAX_PEER_REFLEXIVE
        assert len(set(protocol.sent_to)) == MAX_PEER_REFLEXIVE
        # A check from an address already learned is still taken (a real peer's keepalives).
        first = (learned[0].host, learned[0].port)
        connection.check_incoming(binding_request(), first, protocol)
        assert len(connection.remote_candidates) == MAX_PEER_REFLEXIVE
    finally:
        await connection.close()
