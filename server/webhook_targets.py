"""Where webhook deliveries may go: never, unless the operator allows it, to the server's own
machine or network.

A webhook URL is chosen by whoever holds the API key, and the server POSTs to it from inside
the operator's network. Without a rule, a URL could reach what only the server can reach: a
service on loopback, the cloud provider's metadata endpoint (169.254.169.254, link-local), an
office's private network. So an address that is not globally routable is refused: loopback,
link-local (169.254.0.0/16, fe80::/10), private (10/8, 172.16/12, 192.168/16, fc00::/7),
shared (100.64/10), unspecified, multicast, reserved and documentation ranges — Python's
``ipaddress`` ``is_global``, with IPv4-mapped IPv6 addresses judged as the IPv4 address they
carry. ``parley-server --allow-private-webhooks`` (``ServerConfig.allow_private_webhooks``)
lifts the rule, for an operator whose receiver runs next to the server.

The rule holds twice: when a webhook is registered (a literal address, or every address its
name resolves to) and at each delivery, because a name may resolve differently later.
Deliveries resolve through :class:`GuardedResolver`, so the connection goes to the very
address that was checked — a name cannot pass the check and then resolve elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from wire import ErrorCode, ProtocolError

#: How long registration waits for a name to resolve.
RESOLVE_SECONDS = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ForbiddenAddress(OSError):
    """The destination resolves only to addresses webhooks may not reach."""


def forbidden(address: str) -> bool:
    """Whether a delivery may not go to ``address`` (an IP address; a zone is ignored)."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True  # not an address at all: nothing to allow
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def literal_address(host: str) -> str | None:
    """``host`` if it is an IP address (brackets and zone allowed), else None."""
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return None
    return bare


async def check_destination(host: str, port: int) -> None:
    """Refuse (``bad_request``) a webhook whose host is, or resolves to, a forbidden address.

    A name that does not resolve (now) is let through: DNS may be down for a moment, and each
    delivery checks again.
    """
    literal = literal_address(host)
    if literal is not None:
        if forbidden(literal):
            raise ProtocolError(ErrorCode.BAD_REQUEST, _REFUSAL.format(what=f"address {literal}"))
        return
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS)
    except (OSError, TimeoutError, UnicodeError):
        return
    addresses = {str(info[4][0]) for info in infos}
    if any(forbidden(a) for a in addresses):
        raise ProtocolError(ErrorCode.BAD_REQUEST, _REFUSAL.format(what=f"host {host!r}"))


_REFUSAL = ("url: {what} is loopback, link-local, private or otherwise not public; webhooks go "
            "there only if the server runs with --allow-private-webhooks")


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, keeping only the addresses a delivery may reach.

    With none left it raises :class:`ForbiddenAddress`. aiohttp connects to what this returns,
    so the address checked is the address used. (aiohttp does not resolve a literal address:
    the dispatcher checks those itself with :func:`forbidden`.)
    """

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if not forbidden(r["host"])]
        if not allowed:
            raise ForbiddenAddress(f"{host} resolves only to addresses webhooks may not reach")
        return allowed

    async def close(self) -> None:
        await self._inner.close()
