"""Which local addresses the forwarding unit offers to peers as ICE host candidates.

aioice offers every address of the machine except 127.0.0.1. A server names its addresses
instead (``parley-server --ice-address``): 127.0.0.1 for a server on this machine, which is
also what every test uses, so no packet ever leaves loopback.
"""

from __future__ import annotations

import ipaddress

import aioice.ice

_configured: list[str] = []


def use_addresses(addresses: list[str]) -> None:
    """Gather exactly these host addresses from now on, in this process."""
    for address in addresses:
        ipaddress.ip_address(address)  # ValueError for anything that is not an IP address
    _configured[:] = addresses

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [
            a for a in _configured
            if (use_ipv4 and ipaddress.ip_address(a).version == 4)
            or (use_ipv6 and ipaddress.ip_address(a).version == 6)
        ]

    aioice.ice.get_host_addresses = get_host_addresses
