"""TURN relays for aioice: every relay a server hands out, not only the first.

aiortc turns ``RTCConfiguration.iceServers`` into *one* TURN server for aioice (the first
``turn:``/``turns:`` URL it meets), so a client given ``turn:HOST:3478`` (UDP) and
``turns:HOST:443?transport=tcp`` would only ever try UDP, which is the one a hotel network
blocks. So the app passes no ``iceServers`` to aiortc at all: it hands its relays to
``rtcseam.ice.gathering(...)``, whose patched gathering asks each relay for an allocation at
once (:func:`relay_candidates`), and ICE then checks every relayed candidate like any other.

URLs follow RFC 7065 as WebRTC uses them: ``turn:HOST[:PORT][?transport=udp|tcp]`` (3478 by
default) and ``turns:HOST[:PORT][?transport=tcp]`` (TURN over TLS, 5349 by default; aioice speaks
TLS over TCP only). The credentials are the ones the meeting server made for this attendee.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass

import aioice.ice
from aioice.candidate import candidate_priority

from .turn_url import parse_turn_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Relay:
    """One TURN server to allocate a relayed candidate on."""

    host: str
    port: int
    transport: str  # "udp" or "tcp"
    tls: bool
    username: str
    password: str
    #: how TLS verifies the server (``turns:``): None, the system's trusted authorities
    ssl_context: ssl.SSLContext | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'turns' if self.tls else 'turn'}:{host}:{self.port}?transport={self.transport}"


def relay_from(url: str, username: str, password: str,
               ssl_context: ssl.SSLContext | None = None) -> Relay:
    scheme, host, port, transport = parse_turn_url(url)
    return Relay(host, port, transport, scheme == "turns", username, password, ssl_context)


#: Once one relay gave a candidate, the others are waited for this much longer (seconds).
RELAY_GRACE = 0.5


async def relay_candidates(connection: aioice.ice.Connection, component: int,
                           relays: tuple[Relay, ...], timeout: float) -> list:
    """A relayed candidate from each of ``relays`` that answers in time, asked at once: within
    ``timeout``, or ``RELAY_GRACE`` after the first one answered. The relay listed first is
    preferred when several work (local preference)."""

    async def allocate(index: int, relay: Relay):
        candidate, protocol = await aioice.ice.relayed_candidate(
            component=component, hide_related_address=False,
            protocol_factory=lambda: aioice.ice.StunProtocol(connection),
            turn_server=(relay.host, relay.port), turn_username=relay.username,
            turn_password=relay.password,
            turn_ssl=(relay.ssl_context or True) if relay.tls else False,
            turn_transport=relay.transport)
        candidate.priority = candidate_priority(component, "relay", local_pref=65535 - index)
        return candidate, protocol

    tasks = [asyncio.ensure_future(allocate(i, r)) for i, r in enumerate(relays)]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, timeout=max(0.0, deadline - loop.time()),
                                           return_when=asyncio.FIRST_COMPLETED)
        if not done:
            break
        if any(t.done() and not t.cancelled() and t.exception() is None for t in tasks):
            # one relay answered: the others get a moment more, not the whole timeout (a relay
            # over UDP on a network that drops UDP never answers)
            deadline = min(deadline, loop.time() + RELAY_GRACE)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    done = {t for t in tasks if t.done()}
    candidates = []
    for relay, task in zip(relays, tasks):
        if task in done and not task.cancelled() and task.exception() is None:
            candidate, protocol = task.result()
            connection._protocols.append(protocol)
            candidates.append(candidate)
        else:
            error = "no answer" if task not in done or task.cancelled() else task.exception()
            logger.info("TURN %s gave no relayed candidate: %s", relay.url, error or type(error).__name__)
    return candidates

