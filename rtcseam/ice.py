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

``install`` also bounds what aioice sends to addresses nobody signalled. A connectivity check
that arrives from an unknown address teaches aioice a peer-reflexive candidate, and aioice then
checks it back: one STUN request sent up to 7 times (1 + ``aioice.stun.RETRY_MAX``). The check
is authenticated, but a UDP source address can be forged, so whoever holds the credentials (a
meeting's participant holds the server's, from the answer) could make a connection send those
requests to any address it names. At most :data:`MAX_PEER_REFLEXIVE` such candidates are learned
per connection; past that a check from a new address is still answered (as STUN wants: one
response for one request), and nothing more is sent there.

``gathering(...)`` is ``host_addresses`` with two more choices for the same block:

- ``announced`` (the server's ``--announced-address``): a host candidate on a private address is
  offered under the public address a 1:1 NAT maps to it. The socket stays bound to the private
  address; only what the SDP says changes.
- ``relays`` (the app, with the TURN credentials its server handed out): a relayed candidate
  from each TURN server at once (``rtcseam.relay``), beside the host candidates.
- ``kernel_arrival_times`` (the app's receiving connection): the host candidates' sockets say
  when each datagram arrived (``rtcseam.arrival``), for the bandwidth estimate.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
from collections.abc import Iterable, Iterator, Mapping

import aioice.ice

from . import arrival
from .relay import Relay, relay_candidates

_original = aioice.ice.get_host_addresses
_check_incoming = aioice.ice.Connection.check_incoming
_component_candidates = aioice.ice.Connection.get_component_candidates

#: Peer-reflexive candidates one ICE connection learns at most (a client behind a NAT needs one
#: or two: its mapped address for each of its host candidates the server can reach).
MAX_PEER_REFLEXIVE = 8

#: The host addresses the current caller wants gathered; None: aioice's own choice.
_wanted: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "parley_ice_host_addresses", default=None)
#: private address -> the public address offered for it (``--announced-address``)
_announced: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "parley_ice_announced", default=None)
#: the TURN servers to allocate a relayed candidate on
_relays: contextvars.ContextVar[tuple[Relay, ...]] = contextvars.ContextVar(
    "parley_ice_relays", default=())
#: whether the host candidates' sockets note each datagram's kernel receive time
_kernel_times: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "parley_ice_kernel_arrival_times", default=False)


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    wanted = _wanted.get()
    if wanted is None:
        return _original(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    return [a for a in wanted
            if (use_ipv4 and ipaddress.ip_address(a).version == 4)
            or (use_ipv6 and ipaddress.ip_address(a).version == 6)]


def _bounded_check_incoming(self: aioice.ice.Connection, message, addr, protocol) -> None:
    remote = self._remote_candidates
    known = any(c._network_host == addr[0] and c.port == addr[1] for c in remote)
    if not known and sum(c.type == "prflx" for c in remote) >= MAX_PEER_REFLEXIVE:
        return  # answered already; no candidate learned, no check sent back
    _check_incoming(self, message, addr, protocol)


async def _gathered(self: aioice.ice.Connection, component: int, addresses: list[str],
                    timeout: int = 5) -> list:
    relays = _relays.get()
    if relays:  # ours, every one of them, instead of aioice's single TURN server
        turn_server, self.turn_server = self.turn_server, None
        try:
            candidates = await _component_candidates(self, component, addresses, timeout)
        finally:
            self.turn_server = turn_server
        candidates += await relay_candidates(self, component, relays, timeout)
    else:
        candidates = await _component_candidates(self, component, addresses, timeout)
    if _kernel_times.get():
        for protocol in self._protocols:  # the host candidates' sockets (TURN's are not these)
            arrival.stamp_transport(getattr(protocol, "transport", None))
    announced = _announced.get()
    if announced:
        for candidate in candidates:
            if candidate.type == "host" and candidate.host in announced:
                candidate.host = announced[candidate.host]  # the socket stays on the private one
    return candidates


def install() -> None:
    """Put the per-caller choice in aioice's place (again, if something put the original back),
    bound the peer-reflexive candidates each connection learns, and gather with the caller's
    announced addresses and relays."""
    aioice.ice.get_host_addresses = _host_addresses
    aioice.ice.Connection.check_incoming = _bounded_check_incoming
    aioice.ice.Connection.get_component_candidates = _gathered


def checked(addresses: Iterable[str] | None) -> tuple[str, ...] | None:
    """``addresses`` as a tuple; ValueError for anything that is not an IP address."""
    if addresses is None:
        return None
    addresses = tuple(addresses)
    for address in addresses:
        ipaddress.ip_address(address)
    return addresses


def checked_announced(announced: Mapping[str, str] | None) -> dict[str, str] | None:
    """``announced`` (private -> public address) as a dict; ValueError for what is not an IP
    address."""
    if not announced:
        return None
    for private, public in announced.items():
        ipaddress.ip_address(private)
        ipaddress.ip_address(public)
    return dict(announced)


@contextlib.contextmanager
def gathering(addresses: Iterable[str] | None, *, announced: Mapping[str, str] | None = None,
              relays: Iterable[Relay] = (), kernel_arrival_times: bool = False) -> Iterator[None]:
    """Inside the block (this context and the tasks started from it, nowhere else): gather
    exactly ``addresses`` (None: aioice's choice), offer a host candidate on a private address
    of ``announced`` under its public address, ask each of ``relays`` for a relayed candidate,
    and with ``kernel_arrival_times`` have the host candidates' sockets note when each datagram
    arrived (``rtcseam.arrival.stamp_transport``; where the system cannot, nothing changes)."""
    install()
    tokens = (_wanted.set(checked(addresses)), _announced.set(checked_announced(announced)),
              _relays.set(tuple(relays)))
    kernel_token = _kernel_times.set(kernel_arrival_times)
    try:
        yield
    finally:
        _kernel_times.reset(kernel_token)
        _relays.reset(tokens[2])
        _announced.reset(tokens[1])
        _wanted.reset(tokens[0])


def host_addresses(addresses: Iterable[str] | None) -> contextlib.AbstractContextManager[None]:
    """Gather exactly ``addresses`` (None: aioice's choice) inside the block: in this context
    and the tasks started from it, nowhere else."""
    return gathering(addresses)


def set_host_addresses(addresses: Iterable[str] | None) -> None:
    """Gather exactly ``addresses`` from now on in the current context (the rest of the current
    task and the tasks it starts): for a task that does nothing else, such as a test."""
    install()
    _wanted.set(checked(addresses))


def unbindable(addresses: Iterable[str]) -> list[str]:
    """Those of ``addresses`` no UDP socket can be bound to here (not an address of this
    machine): ICE on them would fail every call."""
    found = []
    for address in addresses:
        family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((address, 0))
            except OSError:
                found.append(address)
    return found
