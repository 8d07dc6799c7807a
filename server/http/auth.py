"""Who may call: server-side calls carry ``Authorization: Bearer <api key>``; some attendee
calls carry the attendee's join token instead."""

from __future__ import annotations

import hmac

from aiohttp import web

from wire import ErrorCode, ProtocolError

from .keys import API_KEY_KEY


def bearer(request: web.Request, what: str = "api key") -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ProtocolError(ErrorCode.UNAUTHORIZED, f"this call needs 'Authorization: Bearer <{what}>'")
    return presented.strip()


def presented_bearer(request: web.Request) -> str:
    """The bearer token the request presents, or "" for none."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return presented.strip() if scheme.lower() == "bearer" else ""


def is_api_key(request: web.Request, presented: str) -> bool:
    presented_bytes = presented.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(presented_bytes, request.app[API_KEY_KEY].encode("utf-8"))


def require_api_key(request: web.Request) -> None:
    if not is_api_key(request, bearer(request)):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "wrong API key")
