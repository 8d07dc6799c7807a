"""Which local addresses aioice offers as ICE host candidates, chosen per caller.

aioice gathers its host candidates from one module-level function,
``aioice.ice.get_host_addresses`` (every address of the machine but 127.0.0.1). The meeting
server wants its configured addresses (``--ice-address``), the app wants loopback when its
server is on this machine, and an app can host a meeting in its own process and then join
another: if each overwrote the global, one would silently change the other's candidates.

So this module is that function's one owner. It replaces it once (``install``) with one that
offers the addresses the *current caller* asked for, kept in a ``contextvars.ContextVar``, and
otherwise what aioice itself would offer. A caller asks around its gathering — aiortc gathers in
``RTCPeerConnection.setLocalDescription``, in tasks that inherit the caller's context::

    with host_addresses(["127.0.0.1"]):
        await pc.setLocalDescription(await pc.createOffer())

aioice gathers once per connection, at its first local description.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
from collections.abc import Iterable, Iterator

import aioice.ice

_original = aioice.ice.get_host_addresses

#: The host addresses the current caller wants gathered; None: aioice's own choice.
_wanted: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "parley_ice_host_addresses", default=None)


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    wanted = _wanted.get()
    if wanted is None:
        return _original(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    return [a for a in wanted
            if (use_ipv4 and ipaddress.ip_address(a).version == 4)
            or (use_ipv6 and ipaddress.ip_address(a).version == 6)]


def install() -> None:
    """Put the per-caller choice in aioice's place (again, if something put the original back)."""
    aioice.ice.get_host_addresses = _host_addresses


def checked(addresses: Iterable[str] | None) -> tuple[str, ...] | None:
    """``addresses`` as a tuple; ValueError for anything that is not an IP address."""
    if addresses is None:
        return None
    addresses = tuple(addresses)
    for address in addresses:
        ipaddress.ip_address(address)
    return addresses


@contextlib.contextmanager
def host_addresses(addresses: Iterable[str] | None) -> Iterator[None]:
    """Gather exactly ``addresses`` (None: aioice's choice) inside the block: in this context
    and the tasks started from it, nowhere else."""
    install()
    token = _wanted.set(checked(addresses))
    try:
        yield
    finally:
        _wanted.reset(token)


def set_host_addresses(addresses: Iterable[str] | None) -> None:
    """Gather exactly ``addresses`` from now on in the current context (the rest of the current
    task and the tasks it starts): for a task that does nothing else, such as a test."""
    install()
    _wanted.set(checked(addresses))
