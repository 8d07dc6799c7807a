"""Every route of the HTTP edge, registered in one place."""

from __future__ import annotations

from aiohttp import web

from . import metrics, openapi, rest, signalling, webhooks
from .auth import server_side
from .keys import OPENAPI_KEY


def add_routes(app: web.Application) -> None:
    app[OPENAPI_KEY] = openapi.document_bytes()
    app.router.add_get("/healthz", metrics.healthz)
    app.router.add_get("/metrics", metrics.metrics_handler)
    app.router.add_get(openapi.OPENAPI_PATH, openapi.openapi_handler)  # no key
    app.router.add_get("/v1/rtc", signalling.rtc_handler)
    app.router.add_post("/v1/meetings", rest.create_meeting)
    app.router.add_get("/v1/meetings/{meeting_id}", rest.get_meeting)
    app.router.add_delete("/v1/meetings/{meeting_id}", rest.delete_meeting)
    app.router.add_patch("/v1/meetings/{meeting_id}", rest.update_meeting)
    app.router.add_post("/v1/call-types", rest.create_call_type)
    app.router.add_get("/v1/call-types", rest.list_call_types)
    app.router.add_get("/v1/call-types/{name}", rest.get_call_type)
    app.router.add_patch("/v1/call-types/{name}", rest.update_call_type)
    app.router.add_post("/v1/meetings/{meeting_id}/attendees", rest.add_attendee)
    app.router.add_post("/v1/meetings/{meeting_id}/invites", rest.create_invite)
    app.router.add_post("/v1/webhooks", server_side(webhooks.create_webhook))
    app.router.add_get("/v1/webhooks", server_side(webhooks.list_webhooks))
    app.router.add_get("/v1/webhooks/{webhook_id}", server_side(webhooks.get_webhook))
    app.router.add_delete("/v1/webhooks/{webhook_id}", server_side(webhooks.delete_webhook))
