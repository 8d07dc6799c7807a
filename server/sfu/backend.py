"""The built-in forwarding unit as the server's media backend (``server.rooms.media.MediaBackend``):
every meeting's peers are this process's own (``peers.ForwardingPeers``), so placing a meeting
is handing out the one factory, and nothing is ever lost under a meeting."""

from __future__ import annotations

from collections.abc import Callable

from .peers import ForwardingPeers


class BuiltinMedia:
    """Media forwarded by this process (``--media builtin``, the default)."""

    def __init__(self, ice_addresses: list[str], announced: dict[str, str] | None = None) -> None:
        # ValueError for what is not an IP address (--ice-address, --announced-address)
        self.peers = ForwardingPeers(ice_addresses, announced)

    def place(self, meeting_id: str) -> ForwardingPeers:
        return self.peers

    def release(self, meeting_id: str) -> None:
        pass  # the peers close with their participants; the unit has no per-meeting state

    def watch(self, on_lost: Callable[[str], None]) -> None:
        pass  # in-process media is never lost under a meeting

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass
