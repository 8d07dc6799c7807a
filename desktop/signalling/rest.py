"""The few REST calls an attendee makes with its own join token (no Qt).

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


async def update_settings(url: JoinUrl, override: dict[str, Any], timeout: float = 10.0, *,
                          trust: TrustStore) -> dict[str, Any]:
    """Lay ``override`` over the meeting's settings; returns the meeting as the server shows it.

    ``trust``: the certificates the user trusted."""
    endpoint = f"{url.http_base}/v1/meetings/{url.meeting_id}"
    headers = {"Authorization": f"Bearer {url.token}"}
    tls = ServerTls(endpoint, trust)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        try:
            async with http.patch(endpoint, json={"settings_override": override}, headers=headers,
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
    if response.status != 200:
        error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
        code = code_of(error.get("code", "")) if error else ErrorCode.INTERNAL_ERROR
        raise ProtocolError(code, error.get("message") or f"HTTP {response.status}")
    if not isinstance(data, dict) or not isinstance(data.get("meeting"), dict):
        raise ProtocolError(ErrorCode.INTERNAL_ERROR, "the server's reply holds no meeting")
    return data["meeting"]
