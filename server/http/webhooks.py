"""The webhook REST calls under ``/v1/webhooks``, all with the API key."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..clock import iso
from ..store import DeliveryRecord, WebhookRecord
from .bodies import CreateWebhookBody, read_body
from .keys import WEBHOOKS_KEY


def webhook_json(webhook: WebhookRecord, *, with_secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": webhook.id,
        "url": webhook.url,
        "events": list(webhook.events),
        "created_at": iso(webhook.created_at),
    }
    if with_secret:
        data["secret"] = webhook.secret
    return data


def delivery_json(delivery: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "created_at": iso(delivery.created_at),
        "next_attempt_at": iso(delivery.next_attempt_at),
        "delivered_at": iso(delivery.delivered_at),
    }


async def create_webhook(request: web.Request) -> web.Response:
    """``POST /v1/webhooks`` → 201 ``{"webhook": {..., "secret"}}`` (the only time it is shown)."""
    body = await read_body(request, CreateWebhookBody)
    webhook = request.app[WEBHOOKS_KEY].create_webhook(body.url, body.events)
    return web.json_response({"webhook": webhook_json(webhook, with_secret=True)}, status=201)


async def list_webhooks(request: web.Request) -> web.Response:
    """``GET /v1/webhooks`` → ``{"webhooks": [...]}``, oldest first, without secrets."""
    webhooks = request.app[WEBHOOKS_KEY].list_webhooks()
    return web.json_response({"webhooks": [webhook_json(w) for w in webhooks]})


async def get_webhook(request: web.Request) -> web.Response:
    """``GET /v1/webhooks/{id}`` → ``{"webhook": {...}, "deliveries": [...]}`` (newest 50 first)."""
    dispatcher = request.app[WEBHOOKS_KEY]
    webhook = dispatcher.get_webhook(request.match_info["webhook_id"])
    deliveries = dispatcher.deliveries(webhook.id)
    return web.json_response(
        {"webhook": webhook_json(webhook), "deliveries": [delivery_json(d) for d in deliveries]}
    )


async def delete_webhook(request: web.Request) -> web.Response:
    """``DELETE /v1/webhooks/{id}`` → 200 ``{"webhook": {...}}``, the webhook as it was."""
    webhook = request.app[WEBHOOKS_KEY].delete_webhook(request.match_info["webhook_id"])
    return web.json_response({"webhook": webhook_json(webhook)})
