"""The REST API's OpenAPI 3.1 document, generated from the route table (``routes.py``) and the
annotations of its body and reply dataclasses (``bodies.py``, via ``server/schema.py``); served
at ``GET /v1/openapi.json``.

Nothing here describes a route by hand: each operation comes from its ``Route`` row (path
parameters from the path, security from ``auth``, the request body and its requiredness from
the body dataclass, the success reply from the reply dataclass and status, the refusals from
``Route.refusals``). Every refusal is ``{"error": {"code", "message"}}`` with the codes
``wire.ErrorCode`` has for that HTTP status (``errors.HTTP_STATUS``).

Kept honest by tests: ``tests/test_fuzz_rest.py`` checks that every route of the aiohttp app
is documented (and nothing else), and runs schemathesis against a live server with this
document, so a handler that answers something the document does not say fails there.

``HEAD`` is not listed: aiohttp answers it for every ``GET`` route, like the ``GET``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from wire import MAX_MESSAGE_BYTES, ErrorCode

from ..schema import OUTPUT, Schemas
from .contract import Auth, Raw, Route
from .errors import HTTP_STATUS
from .keys import OPENAPI_KEY

OPENAPI_PATH = "/v1/openapi.json"
API_VERSION = "1"

_DESCRIPTION = (
    "REST API of a Parley meeting server (docs/protocol.md §2). Server-side calls carry "
    "`Authorization: Bearer API_KEY`; `PATCH /v1/meetings/{meeting_id}` also takes an "
    "attendee's join token. Request bodies are JSON objects of at most "
    f"{MAX_MESSAGE_BYTES} bytes (413 `message_too_large` beyond). Every refusal is "
    '`{"error": {"code", "message"}}`; act on the code. An unknown path is 404 `not_found`, a '
    "method a path does not have 405 `bad_request` with an `Allow` header."
)

_SECURITY_SCHEMES = {
    "apiKey": {
        "type": "http", "scheme": "bearer",
        "description": "The server's API key (`$PARLEY_API_KEY`, or `DATA_DIR/api_key`).",
    },
    "joinToken": {
        "type": "http", "scheme": "bearer", "bearerFormat": "parley join token",
        "description": "An attendee's join token (from `POST .../attendees`), limited by the "
                       "capabilities of the attendee's role. Invite tokens name nobody and are "
                       "refused, except by `checkJoin`.",
    },
}

_STATUS_TEXT = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
                405: "Method not allowed", 409: "Conflict", 413: "Body too large",
                429: "Too many requests", 500: "Internal error", 503: "Unavailable"}


def openapi_document(routes: Sequence[Route]) -> dict[str, Any]:
    """The whole document for ``routes``, freshly built (callers may change their copy)."""
    schemas = Schemas()
    schemas.of(ErrorCode)
    schemas.components["Error"] = _error_schema(list(ErrorCode))
    paths: dict[str, Any] = {}
    tags: list[str] = []
    for route in routes:
        item = paths.setdefault(route.path, {})
        if route.parameters and "parameters" not in item:
            item["parameters"] = [{"name": name, "in": "path", "required": True,
                                   "schema": {"type": "string"}} for name in route.parameters]
        item[route.method.lower()] = _operation(route, routes, schemas)
        if route.tag not in tags:
            tags.append(route.tag)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Parley meeting server", "version": API_VERSION, "description": _DESCRIPTION},
        "security": [{"apiKey": []}],
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "securitySchemes": copy.deepcopy(_SECURITY_SCHEMES),
            "schemas": schemas.components,
            "responses": _responses(HTTP_STATUS),
        },
    }


def _operation(route: Route, routes: Sequence[Route], schemas: Schemas) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": route.operation_id, "tags": [route.tag],
                                 "summary": route.summary}
    if route.auth is Auth.NONE:
        operation["security"] = []
    elif route.auth is Auth.API_KEY_OR_JOIN_TOKEN:
        operation["security"] = [{"apiKey": []}, {"joinToken": []}]
    elif route.auth is Auth.JOIN_TOKEN:
        operation["security"] = [{"joinToken": []}]
    if route.body is not None:
        note = "" if route.body_required else " An empty body counts as `{}`."
        operation["requestBody"] = {
            "required": route.body_required,
            "description": f"A JSON object; unknown fields are refused with `bad_request`.{note}",
            "content": {"application/json": {"schema": schemas.of(route.body)}},
        }
    if isinstance(route.reply, Raw):
        success: dict[str, Any] = {"description": route.reply.description}
        if route.reply.content_type is not None:
            success["content"] = {route.reply.content_type: {"schema": route.reply.schema}}
    else:
        success = {"description": route.answer,
                   "content": {"application/json": {"schema": schemas.of(route.reply, OUTPUT)}}}
    links = _links(route, routes)
    if links:
        success["links"] = links
    responses = {str(route.status): success}
    for status in route.refusals():
        api_key_only = status == 401 and route.auth is Auth.API_KEY
        name = "ApiKeyRefused" if api_key_only else f"Error{status}"
        responses[str(status)] = {"$ref": f"#/components/responses/{name}"}
    operation["responses"] = responses
    return operation


def _links(route: Route, routes: Sequence[Route]) -> dict[str, Any]:
    """From ``route``'s reply to every other route whose path parameters it holds."""
    links: dict[str, Any] = {}
    if not route.links:
        return links
    for other in routes:
        if other is route or not other.parameters or not set(other.parameters) <= set(route.links):
            continue
        name = other.operation_id[0].upper() + other.operation_id[1:]
        links[name] = {"operationId": other.operation_id,
                       "parameters": {p: route.links[p] for p in other.parameters}}
    return links


def _error_schema(codes: list[ErrorCode]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": [str(c) for c in codes],
                             "description": "A stable code from `wire.ErrorCode`: act on it."},
                    "message": {"type": "string", "description": "For people; may change."},
                },
            },
        },
    }


def _responses(http_status: dict[ErrorCode, int]) -> dict[str, Any]:
    """One error response per HTTP status, listing the codes that status carries."""
    by_status: dict[int, list[ErrorCode]] = {}
    for code, status in http_status.items():
        by_status.setdefault(status, []).append(code)
    responses: dict[str, Any] = {}
    for status, codes in sorted(by_status.items()):
        responses[f"Error{status}"] = {
            "description": f"{_STATUS_TEXT.get(status, 'Error')}: "
                           + ", ".join(f"`{c}`" for c in codes),
            "content": {"application/json": {"schema": _error_schema(codes)}},
        }
    # A call with the API key only: 401 always says how to authenticate.
    responses["ApiKeyRefused"] = {
        **copy.deepcopy(responses["Error401"]),
        "description": "No `Authorization: Bearer API_KEY`, or the wrong key: `unauthorized`.",
        "headers": {"WWW-Authenticate": {"required": True, "schema": {"type": "string"},
                                         "description": 'Bearer realm="parley"'}},
    }
    return responses


def document_bytes(routes: Sequence[Route]) -> bytes:
    """The document as served (built once, when the app is built)."""
    return json.dumps(openapi_document(routes), separators=(",", ":")).encode("utf-8")


async def openapi_handler(request: web.Request) -> web.Response:
    """``GET /v1/openapi.json``: the document, no key needed."""
    return web.Response(body=request.app[OPENAPI_KEY], content_type="application/json")

