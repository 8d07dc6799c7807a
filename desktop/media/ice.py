"""Which local addresses the app offers as ICE candidates.

Talking to a server on this machine (127.0.0.0/8, ::1, localhost), the app offers its
loopback address, which aioice would otherwise skip; everywhere else it keeps aioice's
choice (every address of the machine but loopback). The app never adds a STUN server. When its
server hands out TURN servers (``joined.ice_servers``), it also gathers a relayed candidate from
each of them (``rtcseam.relay``), so a network that blocks UDP still carries the call over TCP
or TLS.

The choice is made per connection (``PublishConnection``/``ReceiveConnection`` take it), and
applied by ``rtcseam.ice`` around that connection's gathering only: a meeting server running in
the app's own process keeps its own addresses.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from rtcseam.relay import Relay, relay_from

logger = logging.getLogger(__name__)


class IceServer(Protocol):
    """A TURN server with its credentials, as ``wire.IceServer`` carries it."""

    @property
    def urls(self) -> list[str]: ...

    @property
    def username(self) -> str: ...

    @property
    def credential(self) -> str: ...


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def ice_addresses_for(host: str) -> tuple[str, ...] | None:
    """The host addresses to offer a server at ``host``: loopback for one on this machine,
    else None (aioice's own choice)."""
    return ("127.0.0.1",) if is_loopback_host(host) else None


def relays_from(ice_servers: Iterable[IceServer]) -> tuple[Relay, ...]:
    """The TURN relays a ``joined`` handed out, in its order (the first is preferred); a URL
    this app cannot use is left out, with a line in the log."""
    relays = []
    for server in ice_servers:
        for url in server.urls:
            try:
                relays.append(relay_from(url, server.username, server.credential))
            except ValueError as exc:
                logger.warning("TURN server left out: %s", exc)
    return tuple(relays)


@dataclass
class IceRoute:
    """How one session's peer connections gather candidates: the host ``addresses`` for its
    server (``ice_addresses_for``) and the TURN ``relays`` of the latest ``joined`` (fresh
    credentials at every join, a reconnect included)."""

    addresses: tuple[str, ...] | None = None
    relays: tuple[Relay, ...] = ()

    @classmethod
    def for_host(cls, host: str) -> IceRoute:
        return cls(ice_addresses_for(host))

    def use(self, ice_servers: Iterable[IceServer]) -> None:
        """The relays (and credentials) of a new ``joined``."""
        self.relays = relays_from(ice_servers)
