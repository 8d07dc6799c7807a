"""Before Join: would this link get in now, and as whom? (no Qt)

The lobby asks the server (``GET /v1/meetings/{id}/join-check`` with the link's token) as soon
as it opens, so an ended meeting, a bad link or an unreachable server is known before Join, and
the name the attendee was created with is the lobby's name. Refusals are the reason codes a
failed join would give (``JoinFailed``), in the same words (session/reasons.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from wire import ProtocolError

from ..signalling import rest
from ..signalling.client import JoinUrl
from ..signalling.tls import TrustStore, UntrustedCertificate
from .link import JoinFailed
from .reasons import JoinProblem


@dataclass(frozen=True)
class JoinCheck:
    name: str | None  # the attendee's name as created; None for an invite link (you name yourself)
    role: str
    invite: bool


async def check_join(join_url: str, trust: TrustStore, timeout: float = 5.0) -> JoinCheck:
    """What ``join_url`` will meet; ``JoinFailed`` with the reason a join would fail with."""
    url = JoinUrl(join_url)
    try:
        data = await rest.check_join(url, timeout, trust=trust)
    except ProtocolError as exc:
        raise JoinFailed(exc.code, exc.message) from None
    except UntrustedCertificate as exc:  # before ConnectionError, which it is
        raise JoinFailed(JoinProblem.UNTRUSTED_CERTIFICATE, exc.reason, exc) from None
    except (ConnectionError, OSError, asyncio.TimeoutError, aiohttp.ClientError) as exc:
        raise JoinFailed(JoinProblem.CONNECTION_FAILED, str(exc) or type(exc).__name__) from None
    name = data.get("name")
    return JoinCheck(name=name if isinstance(name, str) and name else None, role=data["role"],
                     invite=bool(data.get("invite")))
