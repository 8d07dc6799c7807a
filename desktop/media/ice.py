"""Which local addresses the app offers as ICE candidates.

Talking to a server on this machine (127.0.0.0/8, ::1, localhost), the app offers its
loopback address, which aioice would otherwise skip; everywhere else it keeps aioice's
choice (every address of the machine but loopback). The app never adds a STUN server.
"""

from __future__ import annotations

import ipaddress

import aioice.ice

_original = aioice.ice.get_host_addresses


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def prepare_for_server(host: str) -> None:
    """Offer the candidates that can reach ``host``."""
    if not is_loopback_host(host):
        aioice.ice.get_host_addresses = _original
        return

    def loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return (["127.0.0.1"] if use_ipv4 else []) + (["::1"] if use_ipv6 and not use_ipv4 else [])

    aioice.ice.get_host_addresses = loopback
