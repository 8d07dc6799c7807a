"""How the HTTP edge refuses: every refusal is ``{"error": {"code": ..., "message": ...}}`` with a
stable code from ``wire.ErrorCode`` and the HTTP status of ``HTTP_STATUS``; nothing else (no
traceback) ever reaches the client."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from wire import ErrorCode, ProtocolError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.MESSAGE_TOO_LARGE: 413,
    ErrorCode.UNKNOWN_TYPE: 400,
    ErrorCode.UNSUPPORTED_VERSION: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.MISSING_CAPABILITY: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.MEETING_NOT_FOUND: 404,
    ErrorCode.MEETING_ENDED: 409,
    ErrorCode.UNKNOWN_CALL_TYPE: 400,
    ErrorCode.UNKNOWN_ROLE: 400,
    ErrorCode.NOT_JOINED: 409,
    ErrorCode.ALREADY_JOINED: 409,
    ErrorCode.NEGOTIATION_FAILED: 400,
    ErrorCode.VIDEO_UNAVAILABLE: 409,
    ErrorCode.CONTENT_SHARE_UNAVAILABLE: 409,
    ErrorCode.ALREADY_EXISTS: 409,
    ErrorCode.MEETING_FULL: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVER_RESTARTING: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}

#: Codes for aiohttp's own refusals (unknown path, wrong method, body too large, ...).
_CODE_OF_HTTP_STATUS: dict[int, ErrorCode] = {
    401: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.NOT_FOUND,
    413: ErrorCode.MESSAGE_TOO_LARGE,
    429: ErrorCode.RATE_LIMITED,
}


def error_response(code: ErrorCode, message: str, status: int | None = None) -> web.Response:
    response = web.json_response(
        {"error": {"code": str(code), "message": message}},
        status=status or HTTP_STATUS.get(code, 500),
    )
    if code is ErrorCode.UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="parley"'
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProtocolError as exc:
        return error_response(exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects and the like are not errors
        code = _CODE_OF_HTTP_STATUS.get(
            exc.status, ErrorCode.BAD_REQUEST if exc.status < 500 else ErrorCode.INTERNAL_ERROR
        )
        message = exc.text if code is ErrorCode.MESSAGE_TOO_LARGE and exc.text else exc.reason
        response = error_response(code, message, exc.status)
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(ErrorCode.INTERNAL_ERROR, "internal server error")
