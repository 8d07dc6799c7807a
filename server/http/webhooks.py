"""The webhook REST calls under ``/v1/webhooks``, all with the API key (rows of ``routes.py``)."""

from __future__ import annotations

from aiohttp import web

from ..clock import iso
from ..store import DeliveryRecord, WebhookRecord
from .bodies import (
    CreateWebhook,
    DeliveryView,
    NewWebhookReply,
    NewWebhookView,
    WebhookDetail,
    WebhookList,
    WebhookReply,
    WebhookView,
)
from .contract import Read
from .keys import WEBHOOKS_KEY


def webhook_view(webhook: WebhookRecord) -> WebhookView:
    return WebhookView(id=webhook.id, url=webhook.url, events=list(webhook.events),
                       created_at=iso(webhook.created_at))


def delivery_view(delivery: DeliveryRecord) -> DeliveryView:
    return DeliveryView(
        id=delivery.id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        created_at=iso(delivery.created_at),
        next_attempt_at=iso(delivery.next_attempt_at),
        delivered_at=iso(delivery.delivered_at),
    )


async def create_webhook(request: web.Request, read: Read) -> NewWebhookReply:
    """``POST /v1/webhooks`` → 201 ``{"webhook": {..., "secret"}}`` (the only time it is shown)."""
    body: CreateWebhook = await read()
    webhook = await request.app[WEBHOOKS_KEY].create_webhook(body.url, body.events)
    return NewWebhookReply(NewWebhookView(id=webhook.id, url=webhook.url, events=list(webhook.events),
                                          created_at=iso(webhook.created_at), secret=webhook.secret))


async def list_webhooks(request: web.Request) -> WebhookList:
    """``GET /v1/webhooks`` → ``{"webhooks": [...]}``, oldest first, without secrets."""
    return WebhookList([webhook_view(w) for w in request.app[WEBHOOKS_KEY].list_webhooks()])


async def get_webhook(request: web.Request) -> WebhookDetail:
    """``GET /v1/webhooks/{id}`` → ``{"webhook": {...}, "deliveries": [...]}`` (newest 50 first)."""
    dispatcher = request.app[WEBHOOKS_KEY]
    webhook = dispatcher.get_webhook(request.match_info["webhook_id"])
    return WebhookDetail(webhook_view(webhook), [delivery_view(d) for d in dispatcher.deliveries(webhook.id)])


async def delete_webhook(request: web.Request) -> WebhookReply:
    """``DELETE /v1/webhooks/{id}`` → 200 ``{"webhook": {...}}``, the webhook as it was."""
    return WebhookReply(webhook_view(request.app[WEBHOOKS_KEY].delete_webhook(request.match_info["webhook_id"])))
