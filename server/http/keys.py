"""The aiohttp application's keys: what the composition root (``server/app.py``) puts into the
app, and the HTTP handlers read."""

from __future__ import annotations

from aiohttp import web

from ..config import ServerConfig
from ..lifecycle import Lifecycle
from ..meetings import MeetingService
from ..rooms.registry import RoomRegistry
from ..webhooks import WebhookDispatcher
from .ratelimit import JoinLimiter

CONFIG_KEY = web.AppKey("config", ServerConfig)
#: The API key server-side calls must present (resolved once at start).
API_KEY_KEY = web.AppKey("api_key", str)
MEETINGS_KEY = web.AppKey("meetings", MeetingService)
ROOMS_KEY = web.AppKey("rooms", RoomRegistry)
LIFECYCLE_KEY = web.AppKey("lifecycle", Lifecycle)
WEBHOOKS_KEY = web.AppKey("webhooks", WebhookDispatcher)
#: ``join`` attempts per remote address (``ServerConfig.joins_per_minute``).
JOIN_LIMITER_KEY = web.AppKey("join_limiter", JoinLimiter)
#: The OpenAPI document, serialised once when the app is built.
OPENAPI_KEY = web.AppKey("openapi_document", bytes)
