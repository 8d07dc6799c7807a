"""The REST API described as an OpenAPI 3.1 document, served at ``GET /v1/openapi.json``.

The document is plain data built here, next to nothing else: no framework generates it, so it
says exactly what the handlers in ``server/http/rest.py`` and ``server/http/webhooks.py`` accept and
answer. Where the server refuses unknown fields, the request schemas say
``additionalProperties: false``; every refusal is ``{"error": {"code", "message"}}`` with the
codes ``wire.ErrorCode`` has for that HTTP status (``server.http.errors.HTTP_STATUS``).

Kept honest by tests: ``tests/test_fuzz_rest.py`` checks that every route of the aiohttp app
is documented (and nothing else), and runs schemathesis against a live server with this
document, so a handler that answers something the document does not say fails there.

``HEAD`` is not listed: aiohttp answers it for every ``GET`` route, like the ``GET``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import types
import typing
from typing import Any, Literal, Union

from aiohttp import web

from wire import MAX_LIMIT_SECONDS, MAX_MESSAGE_BYTES, MAX_NAME_CHARS, AttendeeInfo, ErrorCode

from ..events import EVENT_TYPES
from ..meetings import CAPABILITIES, MAX_CALL_TYPE_NAME, MAX_USER_ID_CHARS
from ..webhooks import ALL_EVENTS, MAX_URL_CHARS
from .errors import HTTP_STATUS
from .keys import OPENAPI_KEY

OPENAPI_PATH = "/v1/openapi.json"
API_VERSION = "1"

#: What Python's ``str.strip()`` removes and JSON Schema's ``\\s`` does not agree on: a name
#: must hold at least one character outside this set (the server refuses blank names).
_PY_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null`` (OpenAPI 3.1 / JSON Schema 2020-12 spelling)."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    schema = dict(schema)
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _char_class(chars: str) -> str:
    """A regex character class matching anything but ``chars`` (ranges collapsed)."""
    codes = sorted(ord(c) for c in chars)
    parts, start, prev = [], codes[0], codes[0]
    for code in codes[1:] + [-1]:
        if code == prev + 1:
            prev = code
            continue
        parts.append(_esc(start) if start == prev else f"{_esc(start)}-{_esc(prev)}")
        start = prev = code
    return "[^" + "".join(parts) + "]"


def _esc(code: int) -> str:
    return f"\\u{code:04x}"


def schema_of_dataclass(cls: type, *, all_required: bool = False) -> dict[str, Any]:
    """The JSON schema of a wire value type, from its annotations (as ``wire.to_dict`` writes
    it: every field present when ``all_required``, else those without a default)."""
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        properties[f.name] = _schema_of_type(hints[f.name])
        if all_required or (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING):
            required.append(f.name)
    return {"type": "object", "additionalProperties": False, "required": required,
            "properties": properties}


def _schema_of_type(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _schema_of_type(args[0]) if len(args) == 1 else {"anyOf": [_schema_of_type(a) for a in args]}
        return _nullable(inner) if len(args) < len(typing.get_args(tp)) else inner
    if origin in (list, tuple):
        return {"type": "array", "items": _schema_of_type(typing.get_args(tp)[0])}
    if origin is Literal:
        return {"type": "string", "enum": list(typing.get_args(tp))}
    if dataclasses.is_dataclass(tp):
        return schema_of_dataclass(tp, all_required=True)
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"no JSON schema for {tp!r}")


# --- schemas ------------------------------------------------------------------------------------


def _limits(*, override: bool) -> dict[str, Any]:
    positive = {"type": "integer", "minimum": 1}
    seconds = {**positive, "maximum": MAX_LIMIT_SECONDS}
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "max_duration_seconds": {
                **_nullable(seconds),
                "description": "The session ends this long after it started (reason "
                               "`timer_expired`); `null`: no limit.",
            },
            "max_participants": {**positive, "description": "People in the meeting at once."},
            "inactivity_timeout_seconds": {
                **_nullable(seconds),
                "description": "Clients ask \"Are you still there?\" after this long without input.",
            },
        },
    }
    if not override:
        schema["required"] = ["max_duration_seconds", "max_participants"]
    return schema


def _schemas() -> dict[str, Any]:
    time = {"type": "string", "format": "date-time",
            "description": "ISO 8601 UTC with milliseconds and a `Z`."}
    capability = {"type": "string", "enum": list(CAPABILITIES)}
    grants = {
        "type": "object",
        "description": "Role → the capabilities it grants.",
        "minProperties": 1,
        "propertyNames": {"minLength": 1},
        "additionalProperties": {"type": "array", "items": _ref("Capability")},
    }
    events_list = {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(EVENT_TYPES)}}
    all_events = {"type": "array", "minItems": 1, "items": {"const": ALL_EVENTS},
                  "description": f"`[{ALL_EVENTS!r}]`: every event type, now and later."}
    webhook = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "url", "events", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}},
            "created_at": _ref("Time"),
        },
    }
    return {
        "ErrorCode": {"type": "string", "enum": [str(c) for c in ErrorCode]},
        "Error": _error_schema(list(ErrorCode)),
        "Time": time,
        "Capability": capability,
        "Grants": grants,
        "Limits": _limits(override=False),
        "LimitsOverride": _limits(override=True),
        "Settings": {
            "type": "object",
            "additionalProperties": False,
            "required": ["limits"],
            "properties": {"limits": _ref("Limits")},
        },
        "SettingsOverride": {
            "type": "object",
            "description": "Laid key by key over the settings below it; the result must be "
                           "valid settings.",
            "additionalProperties": False,
            "properties": {"limits": _ref("LimitsOverride")},
        },
        "AttendeeInfo": schema_of_dataclass(AttendeeInfo, all_required=True),
        "Meeting": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "call_type", "settings", "settings_override", "created_at",
                         "session", "ended_at", "end_reason"],
            "properties": {
                "id": {"type": "string"},
                "call_type": {"type": "string"},
                "settings": _ref("Settings"),
                "settings_override": _ref("SettingsOverride"),
                "created_at": _ref("Time"),
                "session": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["started_at", "participants", "timer_ends_at"],
                    "properties": {
                        "started_at": _nullable(_ref("Time")),
                        "participants": {"type": "array", "items": _ref("AttendeeInfo")},
                        "timer_ends_at": _nullable(_ref("Time")),
                    },
                },
                "ended_at": _nullable(_ref("Time")),
                "end_reason": {
                    "type": ["string", "null"],
                    "description": "`deleted`, `ended_by_host`, `timer_expired`, `max_duration`, "
                                   "`empty`, `alone`, `server_shutdown`, ...",
                },
            },
        },
        "MeetingReply": _wrap("meeting", _ref("Meeting")),
        "CallType": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "grants", "settings"],
            "properties": {"name": {"type": "string"}, "grants": _ref("Grants"),
                           "settings": _ref("Settings")},
        },
        "CallTypeReply": _wrap("call_type", _ref("CallType")),
        "Attendee": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "user_id", "name", "role"],
            "properties": {k: {"type": "string"} for k in ("id", "user_id", "name", "role")},
        },
        "Webhook": webhook,
        "NewWebhook": {
            **webhook,
            "required": [*webhook["required"], "secret"],
            "properties": {**webhook["properties"], "secret": {"type": "string"}},
        },
        "Delivery": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "event_type", "status", "attempts", "last_error", "created_at",
                         "next_attempt_at", "delivered_at"],
            "properties": {
                "id": {"type": "integer"},
                "event_type": {"type": "string", "enum": list(EVENT_TYPES)},
                "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
                "attempts": {"type": "integer", "minimum": 0},
                "last_error": {"type": ["string", "null"]},
                "created_at": _ref("Time"),
                "next_attempt_at": _nullable(_ref("Time")),
                "delivered_at": _nullable(_ref("Time")),
            },
        },
        # request bodies
        "CreateMeeting": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "call_type": {"type": "string", "default": "default"},
                "settings_override": _nullable(_ref("SettingsOverride")),
            },
        },
        "UpdateMeeting": {
            "type": "object",
            "additionalProperties": False,
            "required": ["settings_override"],
            "properties": {
                "settings_override": {
                    **copy.deepcopy(_ref("SettingsOverride")),
                    "minProperties": 1,
                    "description": "Merged over the meeting's current override. With a join "
                                   "token, `limits.max_duration_seconds` needs "
                                   "`change-max-duration` and anything else "
                                   "`update-call-settings`.",
                },
            },
        },
        "AddAttendee": {
            "type": "object",
            "additionalProperties": False,
            "required": ["user_id", "name"],
            "properties": {
                "user_id": {"type": "string", "minLength": 1, "maxLength": MAX_USER_ID_CHARS},
                "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS,
                         "pattern": _char_class(_PY_WHITESPACE),
                         "description": "Not blank."},
                "role": {"type": "string", "default": "participant",
                         "description": "A role of the meeting's call type."},
            },
        },
        "CreateInvite": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"role": {"type": "string", "default": "participant"}},
        },
        "CreateCallType": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "grants"],
            "properties": {
                "name": {"type": "string",
                         "pattern": f"^[A-Za-z0-9._-]{{1,{MAX_CALL_TYPE_NAME}}}$"},
                "grants": _ref("Grants"),
                "settings": {**_nullable(_ref("SettingsOverride")),
                             "description": "Laid over the default settings (no limit, 100 "
                                            "participants)."},
            },
        },
        "UpdateCallType": {
            "type": "object",
            "additionalProperties": False,
            "description": "Replaces what is given; `null` or absent keeps it.",
            "properties": {
                "grants": _nullable(_ref("Grants")),
                "settings": _nullable(_ref("SettingsOverride")),
            },
        },
        "CreateWebhook": {
            "type": "object",
            "additionalProperties": False,
            "required": ["url", "events"],
            "properties": {
                "url": {"type": "string", "minLength": 1, "maxLength": MAX_URL_CHARS,
                        "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\u0000-\\u0020\\u007f/?#]+([/?#][^\\u0000-\\u0020\\u007f]*)?$",
                        "description": "An absolute http:// or https:// URL with a host."},
                "events": {"oneOf": [events_list, all_events]},
            },
        },
    }


def _wrap(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": [key],
            "properties": {key: schema}}


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


# --- responses ----------------------------------------------------------------------------------

_STATUS_TEXT = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
                405: "Method not allowed", 409: "Conflict", 413: "Body too large",
                429: "Too many requests", 500: "Internal error", 503: "Unavailable"}


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


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(name: str, *, required: bool) -> dict[str, Any]:
    note = "" if required else " An empty body counts as `{}`."
    return {
        "required": required,
        "description": f"A JSON object; unknown fields are refused with `bad_request`.{note}",
        "content": {"application/json": {"schema": _ref(name)}},
    }


def _errors(*statuses: int | str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status in statuses:
        name = "ApiKeyRefused" if status == "key" else f"Error{status}"
        out["401" if status == "key" else str(status)] = {"$ref": f"#/components/responses/{name}"}
    return out


_MEETING_ID = {"name": "meeting_id", "in": "path", "required": True, "schema": {"type": "string"}}
_CALL_TYPE_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_WEBHOOK_ID = {"name": "webhook_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _links_from_meeting() -> dict[str, Any]:
    meeting_id = {"meeting_id": "$response.body#/meeting/id"}
    return {
        "GetMeeting": {"operationId": "getMeeting", "parameters": meeting_id},
        "UpdateMeeting": {"operationId": "updateMeeting", "parameters": meeting_id},
        "AddAttendee": {"operationId": "addAttendee", "parameters": meeting_id},
        "CreateInvite": {"operationId": "createInvite", "parameters": meeting_id},
        "DeleteMeeting": {"operationId": "deleteMeeting", "parameters": meeting_id},
    }


def _paths() -> dict[str, Any]:
    meeting_reply = _ref("MeetingReply")
    call_type_reply = _ref("CallTypeReply")
    open_call = {"security": []}
    return {
        "/healthz": {
            "get": {
                "operationId": "healthz", "tags": ["server"], **open_call,
                "summary": "Is the server up? No key needed.",
                "responses": {"200": _json(
                    {"type": "object", "additionalProperties": False, "required": ["status"],
                     "properties": {"status": {"const": "ok"}}}, "Up.")},
            },
        },
        "/metrics": {
            "get": {
                "operationId": "metrics", "tags": ["server"], **open_call,
                "summary": "What the server is doing, in Prometheus' text format. No key needed.",
                "responses": {"200": {"description": "Prometheus text exposition format.",
                                      "content": {"text/plain": {"schema": {"type": "string"}}}}},
            },
        },
        OPENAPI_PATH: {
            "get": {
                "operationId": "openapi", "tags": ["server"], **open_call,
                "summary": "This document. No key needed.",
                "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
            },
        },
        "/v1/rtc": {
            "get": {
                "operationId": "signalling", "tags": ["signalling"], **open_call,
                "summary": "The signalling WebSocket (docs/protocol.md §3). The client proves "
                           "who it is with the join token in its first message, `join`.",
                "responses": {
                    "101": {"description": "Switched to the WebSocket protocol."},
                    **_errors(400),
                },
            },
        },
        "/v1/meetings": {
            "post": {
                "operationId": "createMeeting", "tags": ["meetings"],
                "summary": "Create a meeting.",
                "requestBody": _body("CreateMeeting", required=False),
                "responses": {
                    "201": {**_json(meeting_reply, "Created; no session yet."),
                            "links": _links_from_meeting()},
                    **_errors(400, "key", 413),
                },
            },
        },
        "/v1/meetings/{meeting_id}": {
            "parameters": [_MEETING_ID],
            "get": {
                "operationId": "getMeeting", "tags": ["meetings"],
                "summary": "A meeting with its live participants.",
                "responses": {"200": _json(meeting_reply, "The meeting."), **_errors("key", 404)},
            },
            "patch": {
                "operationId": "updateMeeting", "tags": ["meetings"],
                "summary": "Change a meeting's settings (e.g. extend its timer), with the API key "
                           "or an attendee's join token.",
                "security": [{"apiKey": []}, {"joinToken": []}],
                "requestBody": _body("UpdateMeeting", required=True),
                "responses": {
                    "200": _json(meeting_reply, "Changed; everyone connected gets `meeting_updated`."),
                    **_errors(400, 401, 403, 404, 409, 413),
                },
            },
            "delete": {
                "operationId": "deleteMeeting", "tags": ["meetings"],
                "summary": "End a meeting (reason `deleted`); its record stays readable.",
                "responses": {"200": _json(meeting_reply, "Ended (or already ended)."),
                              **_errors("key", 404)},
            },
        },
        "/v1/meetings/{meeting_id}/attendees": {
            "parameters": [_MEETING_ID],
            "post": {
                "operationId": "addAttendee", "tags": ["meetings"],
                "summary": "Add an attendee; returns its join token and join URL.",
                "requestBody": _body("AddAttendee", required=True),
                "responses": {
                    "201": _json({
                        "type": "object", "additionalProperties": False,
                        "required": ["attendee", "join_token", "join_url"],
                        "properties": {
                            "attendee": _ref("Attendee"),
                            "join_token": {"type": "string"},
                            "join_url": {"type": "string", "pattern": "^parleys?://"},
                        },
                    }, "Added."),
                    **_errors(400, "key", 404, 409, 413),
                },
            },
        },
        "/v1/meetings/{meeting_id}/invites": {
            "parameters": [_MEETING_ID],
            "post": {
                "operationId": "createInvite", "tags": ["meetings"],
                "summary": "A link many people can join with, each as a new attendee of `role`.",
                "requestBody": _body("CreateInvite", required=False),
                "responses": {
                    "201": _json({
                        "type": "object", "additionalProperties": False,
                        "required": ["invite_token", "invite_url", "role"],
                        "properties": {
                            "invite_token": {"type": "string"},
                            "invite_url": {"type": "string", "pattern": "^parleys?://"},
                            "role": {"type": "string"},
                        },
                    }, "Created."),
                    **_errors(400, "key", 404, 409, 413),
                },
            },
        },
        "/v1/call-types": {
            "post": {
                "operationId": "createCallType", "tags": ["call types"],
                "summary": "Create a call type: role grants and default settings.",
                "requestBody": _body("CreateCallType", required=True),
                "responses": {"201": _json(call_type_reply, "Created."),
                              **_errors(400, "key", 409, 413)},
            },
            "get": {
                "operationId": "listCallTypes", "tags": ["call types"],
                "summary": "Every call type, the built-in first.",
                "responses": {
                    "200": _json({"type": "object", "additionalProperties": False,
                                  "required": ["call_types"],
                                  "properties": {"call_types": {"type": "array",
                                                                "items": _ref("CallType")}}},
                                 "The call types."),
                    **_errors("key"),
                },
            },
        },
        "/v1/call-types/{name}": {
            "parameters": [_CALL_TYPE_NAME],
            "get": {
                "operationId": "getCallType", "tags": ["call types"],
                "summary": "One call type; an unknown name is 400 `unknown_call_type`.",
                "responses": {"200": _json(call_type_reply, "The call type."),
                              **_errors(400, "key")},
            },
            "patch": {
                "operationId": "updateCallType", "tags": ["call types"],
                "summary": "Replace a stored call type's grants and/or settings; its live "
                           "meetings follow at once. The built-in `default` cannot change.",
                "requestBody": _body("UpdateCallType", required=False),
                "responses": {"200": _json(call_type_reply, "Changed."),
                              **_errors(400, "key", 413)},
            },
        },
        "/v1/webhooks": {
            "post": {
                "operationId": "createWebhook", "tags": ["webhooks"],
                "summary": "Register a URL for meeting events; the reply is the only time the "
                           "signing secret is shown.",
                "requestBody": _body("CreateWebhook", required=True),
                "responses": {
                    "201": _json(_wrap("webhook", _ref("NewWebhook")), "Registered."),
                    **_errors(400, "key", 413),
                },
            },
            "get": {
                "operationId": "listWebhooks", "tags": ["webhooks"],
                "summary": "Every webhook, oldest first, without secrets.",
                "responses": {
                    "200": _json({"type": "object", "additionalProperties": False,
                                  "required": ["webhooks"],
                                  "properties": {"webhooks": {"type": "array",
                                                              "items": _ref("Webhook")}}},
                                 "The webhooks."),
                    **_errors("key"),
                },
            },
        },
        "/v1/webhooks/{webhook_id}": {
            "parameters": [_WEBHOOK_ID],
            "get": {
                "operationId": "getWebhook", "tags": ["webhooks"],
                "summary": "A webhook and its newest 50 deliveries, newest first.",
                "responses": {
                    "200": _json({"type": "object", "additionalProperties": False,
                                  "required": ["webhook", "deliveries"],
                                  "properties": {"webhook": _ref("Webhook"),
                                                 "deliveries": {"type": "array",
                                                                "items": _ref("Delivery")}}},
                                 "The webhook."),
                    **_errors("key", 404),
                },
            },
            "delete": {
                "operationId": "deleteWebhook", "tags": ["webhooks"],
                "summary": "Forget a webhook; no more deliveries.",
                "responses": {"200": _json(_wrap("webhook", _ref("Webhook")), "The webhook as it was."),
                              **_errors("key", 404)},
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The whole document, freshly built (callers may change their copy)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Parley meeting server",
            "version": API_VERSION,
            "description": (
                "REST API of a Parley meeting server (docs/protocol.md §2). Server-side calls "
                "carry `Authorization: Bearer API_KEY`; `PATCH /v1/meetings/{meeting_id}` also "
                "takes an attendee's join token. Request bodies are JSON objects of at most "
                f"{MAX_MESSAGE_BYTES} bytes (413 `message_too_large` beyond). Every refusal is "
                '`{"error": {"code", "message"}}`; act on the code. An unknown path is 404 '
                "`not_found`, a method a path does not have 405 `bad_request` with an `Allow` "
                "header."
            ),
        },
        "security": [{"apiKey": []}],
        "tags": [{"name": n} for n in ("meetings", "call types", "webhooks", "server", "signalling")],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http", "scheme": "bearer",
                    "description": "The server's API key (`$PARLEY_API_KEY`, or `DATA_DIR/api_key`).",
                },
                "joinToken": {
                    "type": "http", "scheme": "bearer", "bearerFormat": "parley join token",
                    "description": "An attendee's join token (from `POST .../attendees`), limited "
                                   "by the capabilities of the attendee's role. Invite tokens "
                                   "name nobody and are refused.",
                },
            },
            "schemas": _schemas(),
            "responses": _responses(HTTP_STATUS),
        },
    }


async def openapi_handler(request: web.Request) -> web.Response:
    """``GET /v1/openapi.json``: the document, no key needed."""
    return web.Response(body=request.app[OPENAPI_KEY], content_type="application/json")


def document_bytes() -> bytes:
    """The document as served (built once, when the app is built)."""
    return json.dumps(openapi_document(), separators=(",", ":")).encode("utf-8")
