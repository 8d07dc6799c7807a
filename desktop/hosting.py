"""Where a meeting hosted on this computer ("Start a meeting on this computer") listens, so its
invite link works for the people it is meant for. No Qt, no server: whatever starts the server
(in the app's process or a child process) asks :func:`hosting_address` for the address to
listen on and offer media on.

- :attr:`Reach.THIS_COMPUTER` (the default): loopback; the link works only on this computer.
- :attr:`Reach.THIS_NETWORK`: the machine's address on its local network (the same Wi-Fi, the
  same office), asked for only after the user agreed; the link works for anyone who can reach
  that address, and nowhere else (a home router lets nobody in from outside).

The LAN address comes from a small function the caller may replace (tests hand in a loopback
address such as 127.0.0.2): :func:`lan_address` asks the operating system which of the
machine's addresses it would send from toward another network, without sending anything.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from enum import StrEnum

#: An address the operating system routes off the machine (TEST-NET-1, RFC 5737): a UDP socket
#: "connected" to it learns the source address of that route. Nothing is sent.
_PROBE = ("192.0.2.1", 9)

LOOPBACK = "127.0.0.1"


class Reach(StrEnum):
    """Who a meeting hosted here lets in."""

    THIS_COMPUTER = "this_computer"
    THIS_NETWORK = "this_network"


class NoNetworkAddress(Exception):
    """This computer has no address on a local network (offline, or only loopback)."""


def lan_address() -> str | None:
    """This machine's IPv4 address on its local network (the one its default route sends
    from), or None when it has none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_PROBE)  # UDP: only picks the route and the source address
            address = probe.getsockname()[0]
    except OSError:
        return None
    ip = ipaddress.ip_address(address)
    return None if ip.is_loopback or ip.is_unspecified else address


def hosting_address(reach: Reach, find_lan: Callable[[], str | None] = lan_address) -> str:
    """The address a meeting hosted here listens on and offers media on, for ``reach``;
    NoNetworkAddress when ``THIS_NETWORK`` is asked for and there is none."""
    if reach is Reach.THIS_COMPUTER:
        return LOOPBACK
    address = find_lan()
    if not address:
        raise NoNetworkAddress("this computer is not connected to a local network")
    return address
