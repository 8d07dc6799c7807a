"""Every route of the HTTP edge, once: the table both the server (``contract.install``) and
its OpenAPI document (``openapi.openapi_document``) are made from."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import metrics, rest, signalling, webhooks
from .bodies import (
    AddAttendee,
    AttendeeAdded,
    AttendeeRemoved,
    CallTypeList,
    CallTypeReply,
    CreateCallType,
    CreateInvite,
    CreateMeeting,
    CreateWebhook,
    Health,
    InviteCreated,
    InviteList,
    InviteReply,
    JoinCheck,
    MeetingReply,
    NewWebhookReply,
    RemoveAttendee,
    UpdateCallType,
    UpdateMeeting,
    WebhookDetail,
    WebhookList,
    WebhookReply,
)
from .contract import Auth, Raw, Route, install
from .keys import OPENAPI_KEY
from .openapi import OPENAPI_PATH, document_bytes, openapi_handler
from .openapi import openapi_document as _document

MEETINGS, CALL_TYPES, WEBHOOKS, SERVER, SIGNALLING = "meetings", "call types", "webhooks", "server", "signalling"

ROUTES: tuple[Route, ...] = (
    # --- meetings
    Route("POST", "/v1/meetings", rest.create_meeting, "createMeeting", MEETINGS,
          "Create a meeting.",
          body=CreateMeeting, reply=MeetingReply, status=201, answer="Created; no session yet.",
          links={"meeting_id": "$response.body#/meeting/id"}),
    Route("GET", "/v1/meetings/{meeting_id}", rest.get_meeting, "getMeeting", MEETINGS,
          "A meeting with its live participants.",
          reply=MeetingReply, answer="The meeting.", errors=(404,)),
    Route("PATCH", "/v1/meetings/{meeting_id}", rest.update_meeting, "updateMeeting", MEETINGS,
          "Change a meeting's settings (e.g. extend its timer), with the API key or an "
          "attendee's join token.",
          auth=Auth.API_KEY_OR_JOIN_TOKEN, body=UpdateMeeting, reply=MeetingReply,
          answer="Changed; everyone connected gets `meeting_updated`.", errors=(403, 404, 409)),
    Route("DELETE", "/v1/meetings/{meeting_id}", rest.delete_meeting, "deleteMeeting", MEETINGS,
          "End a meeting (reason `deleted`); its record stays readable.",
          reply=MeetingReply, answer="Ended (or already ended).", errors=(404,)),
    Route("GET", "/v1/meetings/{meeting_id}/join-check", rest.check_join, "checkJoin", MEETINGS,
          "Would this join token (an attendee's, or an invite link's) get in now, and as whom? "
          "The checks of a `join` without joining: the app's lobby asks before Join.",
          auth=Auth.JOIN_TOKEN, reply=JoinCheck, answer="It would get in; the attendee's name "
          "and role (no name for an invite link).", errors=(403, 404, 409)),
    Route("POST", "/v1/meetings/{meeting_id}/attendees", rest.add_attendee, "addAttendee", MEETINGS,
          "Add an attendee; returns its join token and join URL.",
          body=AddAttendee, reply=AttendeeAdded, status=201, answer="Added.", errors=(404, 409)),
    Route("POST", "/v1/meetings/{meeting_id}/invites", rest.create_invite, "createInvite", MEETINGS,
          "A link many people can join with, each as a new attendee of `role`.",
          body=CreateInvite, reply=InviteCreated, status=201, answer="Created.", errors=(404, 409)),
    Route("DELETE", "/v1/meetings/{meeting_id}/attendees/{attendee_id}", rest.remove_attendee,
          "removeAttendee", MEETINGS,
          "Revoke an attendee, with the API key or a join token whose role has "
          "`remove-participant`: its token lets it in no more (restarts included), and if it is "
          "connected it is sent away (`removed`). `revoke_invite` also revokes the invite link "
          "it came through.",
          auth=Auth.API_KEY_OR_JOIN_TOKEN, body=RemoveAttendee, reply=AttendeeRemoved,
          answer="Removed (or removed already).", errors=(403, 404)),
    Route("GET", "/v1/meetings/{meeting_id}/invites", rest.list_invites, "listInvites", MEETINGS,
          "The meeting's invite links, oldest first (without their tokens), with the API key or "
          "a join token whose role has `remove-participant`.",
          auth=Auth.API_KEY_OR_JOIN_TOKEN, reply=InviteList, answer="The invites.", errors=(403, 404)),
    Route("DELETE", "/v1/meetings/{meeting_id}/invites/{invite_id}", rest.revoke_invite,
          "revokeInvite", MEETINGS,
          "Revoke an invite link: nobody joins with it any more (who did stays an attendee). "
          "With the API key or a join token whose role has `remove-participant`.",
          auth=Auth.API_KEY_OR_JOIN_TOKEN, reply=InviteReply, answer="Revoked (or revoked already).",
          errors=(403, 404)),
    # --- call types
    Route("POST", "/v1/call-types", rest.create_call_type, "createCallType", CALL_TYPES,
          "Create a call type: role grants and default settings.",
          body=CreateCallType, reply=CallTypeReply, status=201, answer="Created.", errors=(409,)),
    Route("GET", "/v1/call-types", rest.list_call_types, "listCallTypes", CALL_TYPES,
          "Every call type, the built-in first.",
          reply=CallTypeList, answer="The call types."),
    Route("GET", "/v1/call-types/{name}", rest.get_call_type, "getCallType", CALL_TYPES,
          "One call type; an unknown name is 400 `unknown_call_type`.",
          reply=CallTypeReply, answer="The call type.", errors=(400,)),
    Route("PATCH", "/v1/call-types/{name}", rest.update_call_type, "updateCallType", CALL_TYPES,
          "Replace a stored call type's grants and/or settings; its live meetings follow at "
          "once. The built-in `default` cannot change.",
          body=UpdateCallType, reply=CallTypeReply, answer="Changed."),
    # --- webhooks
    Route("POST", "/v1/webhooks", webhooks.create_webhook, "createWebhook", WEBHOOKS,
          "Register a URL for meeting events; the reply is the only time the signing secret "
          "is shown.",
          body=CreateWebhook, reply=NewWebhookReply, status=201, answer="Registered."),
    Route("GET", "/v1/webhooks", webhooks.list_webhooks, "listWebhooks", WEBHOOKS,
          "Every webhook, oldest first, without secrets.",
          reply=WebhookList, answer="The webhooks."),
    Route("GET", "/v1/webhooks/{webhook_id}", webhooks.get_webhook, "getWebhook", WEBHOOKS,
          "A webhook and its newest 50 deliveries, newest first.",
          reply=WebhookDetail, answer="The webhook.", errors=(404,)),
    Route("DELETE", "/v1/webhooks/{webhook_id}", webhooks.delete_webhook, "deleteWebhook", WEBHOOKS,
          "Forget a webhook; no more deliveries.",
          reply=WebhookReply, answer="The webhook as it was.", errors=(404,)),
    # --- the server itself
    Route("GET", "/healthz", rest.healthz, "healthz", SERVER,
          "Is the server up, and can it reach its store? No key needed (a load balancer's health check).",
          auth=Auth.NONE, reply=Health, answer="Up.", errors=(503,)),
    Route("GET", "/metrics", metrics.metrics_handler, "metrics", SERVER,
          "What the server is doing, in Prometheus' text format. Needs the API key unless "
          "the server runs with `--metrics-public`.",
          auth=Auth.API_KEY_UNLESS_PUBLIC, reply=Raw("Prometheus text exposition format.", "text/plain", {"type": "string"})),
    Route("GET", OPENAPI_PATH, openapi_handler, "openapi", SERVER,
          "This document. No key needed.",
          auth=Auth.NONE, reply=Raw("The OpenAPI 3.1 document.", "application/json", {"type": "object"})),
    # --- signalling
    Route("GET", "/v1/rtc", signalling.rtc_handler, "signalling", SIGNALLING,
          "The signalling WebSocket (docs/protocol.md §3). The client proves who it is with the "
          "join token in its first message, `join`.",
          auth=Auth.NONE, reply=Raw("Switched to the WebSocket protocol."), status=101, errors=(400,)),
)


def openapi_document() -> dict[str, Any]:
    """The REST API's OpenAPI 3.1 document, freshly built (callers may change their copy)."""
    return _document(ROUTES)


def add_routes(app: web.Application) -> None:
    """Every route of ``ROUTES`` on ``app``, and the document they make."""
    app[OPENAPI_KEY] = document_bytes(ROUTES)
    install(app, ROUTES)
