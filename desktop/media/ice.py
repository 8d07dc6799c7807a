"""Which local addresses the app offers as ICE candidates.

Talking to a server on this machine (127.0.0.0/8, ::1, localhost), the app offers its
loopback address, which aioice would otherwise skip; everywhere else it keeps aioice's
choice (every address of the machine but loopback). The app never adds a STUN server.

The choice is made per connection (``PublishConnection``/``ReceiveConnection`` take it), and
applied by ``rtcseam.ice`` around that connection's gathering only: a meeting server running in
the app's own process keeps its own addresses.
"""

from __future__ import annotations

import ipaddress


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
