"""How often one caller may call: REST requests per caller, and ``join`` attempts per token.

A caller is who it proves to be, else where it comes from:

* the API key's holder (the operator's backend): :data:`API_KEY_RATE`;
* anyone else — a join token, a wrong key, no key at all — is counted by remote address
  (:data:`ADDRESS_RATE`, generous: people behind one NAT share it) and, when it presents a
  bearer token, by that token too (:data:`TOKEN_RATE`, what a person clicking needs). Made-up
  tokens each get a fresh token bucket, but never more requests than the address allows.

A refused call is ``429 rate_limited`` with ``Retry-After`` (whole seconds). The WebSocket at
``/v1/rtc`` is not counted here: the socket has limits of its own.

``join`` attempts are limited per remote address in ``ratelimit.JoinLimiter``; an address
changes easily and is shared behind a NAT, so :class:`TokenJoinLimiter` also limits them per
join token (an invite link, shared by everyone it was sent to, gets ten times as many).
Tokens are kept only as their SHA-256, and buckets of quiet callers are forgotten.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from wire import ErrorCode, ProtocolError

from ..tokens import TokenSigner
from .errors import error_response
from .ratelimit import TokenBucket


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


API_KEY_RATE = Rate(100.0, 1000)
ADDRESS_RATE = Rate(20.0, 200)
TOKEN_RATE = Rate(2.0, 20)
#: Buckets kept at most; past it, those that have refilled are forgotten, then the oldest
#: (down to nine tenths of it).
MAX_BUCKETS = 10_000


class Buckets:
    """A token bucket per key, all at one rate; quiet keys are forgotten."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 if there was one, else the seconds until there is."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._prune()
            bucket = self._buckets[key] = TokenBucket(self.rate.per_second, self.rate.burst, self._clock)
        return bucket.take()

    def __len__(self) -> int:
        return len(self._buckets)

    def _prune(self) -> None:
        self._buckets = {k: b for k, b in self._buckets.items() if not b.full()}
        excess = len(self._buckets) - MAX_BUCKETS * 9 // 10
        if excess > 0:  # all busy: forget the oldest tenth at once, so pruning stays rare
            for key in list(itertools.islice(self._buckets, excess)):
                del self._buckets[key]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class RestLimiter:
    """REST requests per caller (see the module's doc)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._api_key = Buckets(API_KEY_RATE, clock)
        self._addresses = Buckets(ADDRESS_RATE, clock)
        self._tokens = Buckets(TOKEN_RATE, clock)

    def tracked(self) -> int:
        """How many callers have a bucket now (bounded by ``MAX_BUCKETS`` per kind)."""
        return len(self._api_key) + len(self._addresses) + len(self._tokens)

    def wait(self, remote: str | None, presented: str, api_key: bool) -> float:
        """0.0 if a request may go on, else the seconds its caller must wait. ``remote``: its
        address; ``presented``: its bearer token ("" for none); ``api_key``: whether that is
        the API key."""
        if api_key:
            return self._api_key.take("")
        wait = self._addresses.take(remote or "")
        if wait or not presented:
            return wait
        return self._tokens.take(_digest(presented))


def too_many(wait: float, who: str) -> web.Response:
    """The ``429 rate_limited`` answer, with ``Retry-After``."""
    response = error_response(ErrorCode.RATE_LIMITED, f"too many requests from {who}; try again later")
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


class TokenJoinLimiter:
    """``join`` attempts per join token, from whatever address."""

    def __init__(self, signer: TokenSigner, per_minute: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._signer = signer
        self._attendees = Buckets(Rate(per_minute / 60.0, per_minute), clock)
        self._invites = Buckets(Rate(per_minute * 10 / 60.0, per_minute * 10), clock)

    def check(self, token: str) -> None:
        """Count one ``join`` with ``token``; ``rate_limited`` when it has had its share. A
        token that is not ours is not counted here (the join refuses it anyway)."""
        if self.per_minute <= 0:
            return
        try:
            claims = self._signer.verify(token)
        except ProtocolError:
            return
        buckets = self._invites if claims.is_invite else self._attendees
        if buckets.take(_digest(token)):
            limit = buckets.rate.burst
            raise ProtocolError(ErrorCode.RATE_LIMITED,
                                f"too many joins with this {'invite link' if claims.is_invite else 'token'}; "
                                f"at most {limit} a minute")
