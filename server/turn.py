"""TURN credentials for each participant (``--turn-server``, ``--turn-secret``).

A client whose network blocks UDP (a hotel, many offices) reaches the meeting through a TURN
server such as coturn, over TCP or TLS, and the relay sends on to the server's own UDP
addresses. The server does not relay anything itself and its own peer connections need no
TURN: it hands each participant, in ``joined``, credentials made for that participant alone
with the TURN REST API scheme that coturn implements as ``use-auth-secret`` /
``static-auth-secret``:

    username   = "<unix time the credential expires>:<attendee id>"
    credential = base64(HMAC-SHA1(secret, username))

coturn, which knows the same secret, recomputes the credential and refuses a username whose
time has passed. A participant gets fresh ones at every join, a reconnect included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from rtcseam.turn_url import parse_turn_url
from wire import IceServer

#: How long a participant's TURN credentials stay good: longer than any meeting may run (a
#: relay checks them again when its allocation is refreshed), and renewed at every join.
CREDENTIAL_SECONDS = 24 * 3600 + 3600


def check_turn_url(url: str) -> str:
    """``url`` when it is a TURN URL the app can use; ValueError with a sentence otherwise."""
    parse_turn_url(url)
    return url.strip()


def turn_credential(secret: str, username: str) -> str:
    """base64(HMAC-SHA1(secret, username)): what coturn's ``static-auth-secret`` expects."""
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class TurnCredentials:
    """Makes each participant's ``ice_servers``: the operator's TURN URLs, with credentials for
    that participant expiring ``lifetime`` seconds from ``now()``."""

    urls: tuple[str, ...]
    secret: str
    now: Callable[[], float]
    lifetime: float = CREDENTIAL_SECONDS

    def __post_init__(self) -> None:
        for url in self.urls:
            check_turn_url(url)
        if self.urls and not self.secret:
            raise ValueError("TURN servers need the secret they share with this server")

    def for_attendee(self, attendee_id: str) -> list[IceServer]:
        if not self.urls:
            return []
        username = f"{int(self.now() + self.lifetime)}:{attendee_id}"
        return [IceServer(urls=list(self.urls), username=username,
                          credential=turn_credential(self.secret, username))]
