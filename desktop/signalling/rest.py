"""The few REST calls an attendee makes with its own join token (no Qt).

``check_join`` asks, before joining, whether the token would get in and as whom:
``GET /v1/meetings/{id}/join-check`` (the lobby's check).

``update_settings`` is how the Extend button changes the meeting's duration limit:
``PATCH /v1/meetings/{id}`` with ``Authorization: Bearer <join token>``; the server checks the
attendee's role for ``change-max-duration``. A refusal raises ``wire.ProtocolError`` with the
server's code. The server's certificate is checked as for signalling (tls.py): an untrusted
one raises ``UntrustedCertificate``.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from wire import ErrorCode, ProtocolError, code_of

from .client import JoinUrl
from .tls import ServerTls, TrustStore


async def _call(method: str, endpoint: str, token: str, timeout: float, trust: TrustStore,
                body: dict[str, Any] | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    tls = ServerTls(endpoint, trust)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        try:
            async with http.request(method, endpoint, json=body, headers=headers,
                                    ssl=tls.ssl_argument()) as response:
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = None
        except aiohttp.ClientError as exc:
            untrusted = await tls.untrusted(exc)
            if untrusted is not None:
                raise untrusted from exc
            raise
    return response.status, data


def _refusal(status: int, data: Any) -> ProtocolError:
    error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
    code = code_of(error.get("code", "")) if error else ErrorCode.INTERNAL_ERROR
    return ProtocolError(code, error.get("message") or f"HTTP {status}")


async def check_join(url: JoinUrl, timeout: float = 5.0, *, trust: TrustStore) -> dict[str, Any]:
    """Whether ``url``'s token would get in now: the server's ``JoinCheck`` (``name``, null for
    an invite link; ``role``; ``invite``), or ``ProtocolError`` with the refusal ``join`` would
    get (``meeting_ended``, ``invalid_token``, …); unreachable: ``aiohttp.ClientError`` or
    ``TimeoutError``."""
    endpoint = f"{url.http_base}/v1/meetings/{url.meeting_id}/join-check"
    status, data = await _call("GET", endpoint, url.token, timeout, trust)
    if status != 200:
        raise _refusal(status, data)
    if not isinstance(data, dict) or not isinstance(data.get("role"), str):
        raise ProtocolError(ErrorCode.INTERNAL_ERROR, "the server's reply is not a join check")
    return data


async def update_settings(url: JoinUrl, override: dict[str, Any], timeout: float = 10.0, *,
                          trust: TrustStore) -> dict[str, Any]:
    """Lay ``override`` over the meeting's settings; returns the meeting as the server shows it.

    ``trust``: the certificates the user trusted."""
    endpoint = f"{url.http_base}/v1/meetings/{url.meeting_id}"
    status, data = await _call("PATCH", endpoint, url.token, timeout, trust, {"settings_override": override})
    if status != 200:
        raise _refusal(status, data)
    if not isinstance(data, dict) or not isinstance(data.get("meeting"), dict):
        raise ProtocolError(ErrorCode.INTERNAL_ERROR, "the server's reply holds no meeting")
    return data["meeting"]
