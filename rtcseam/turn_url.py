"""TURN URLs (RFC 7065) as WebRTC uses them, read without aioice: the server checks its
``--turn-server`` URLs with this, the app reads the ones it is handed (``rtcseam.relay``)."""

from __future__ import annotations

import re

_URL = re.compile(r"(?P<scheme>turns?):(?P<host>\[[0-9A-Fa-f:.]+\]|[^?:\[\]/@\s]+)"
                  r"(?::(?P<port>[0-9]{1,5}))?(?:\?transport=(?P<transport>udp|tcp))?")


def parse_turn_url(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, transport)`` of a ``turn:``/``turns:`` URL; ValueError with a
    sentence for anything else (a ``turns:`` URL over UDP included: aioice cannot do DTLS)."""
    match = _URL.fullmatch(url.strip())
    if match is None:
        raise ValueError(f"{url!r} is not a TURN URL (turn:HOST[:PORT][?transport=udp|tcp] or "
                         "turns:HOST[:PORT][?transport=tcp])")
    scheme, host = match["scheme"], match["host"].strip("[]")
    if match["port"] is not None and not 0 < int(match["port"]) <= 65535:
        raise ValueError(f"{url!r}: port {match['port']} is not between 1 and 65535")
    port = int(match["port"]) if match["port"] else (5349 if scheme == "turns" else 3478)
    transport = match["transport"] or ("tcp" if scheme == "turns" else "udp")
    if scheme == "turns" and transport != "tcp":
        raise ValueError(f"{url!r}: TURN over TLS runs over TCP only (transport=tcp)")
    return scheme, host, port, transport
