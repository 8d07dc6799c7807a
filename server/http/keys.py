"""The aiohttp application's keys: what the composition root (``server/app.py``) puts into the
app, and the HTTP handlers read."""

from __future__ import annotations

from aiohttp import web

from ..cluster import Cluster
from ..config import ServerConfig
from ..lifecycle import Lifecycle
from ..meetings import MeetingService
from ..rooms.registry import RoomRegistry
from ..webhooks import WebhookDispatcher
from .callers import RestLimiter, TokenJoinLimiter
from .ratelimit import JoinLimiter

CONFIG_KEY = web.AppKey("config", ServerConfig)
#: The API key server-side calls must present (resolved once at start).
API_KEY_KEY = web.AppKey("api_key", str)
MEETINGS_KEY = web.AppKey("meetings", MeetingService)
ROOMS_KEY = web.AppKey("rooms", RoomRegistry)
LIFECYCLE_KEY = web.AppKey("lifecycle", Lifecycle)
WEBHOOKS_KEY = web.AppKey("webhooks", WebhookDispatcher)
#: This node among the nodes sharing the store: leases, where a meeting runs.
CLUSTER_KEY = web.AppKey("cluster", Cluster)
#: ``join`` attempts per remote address (``ServerConfig.joins_per_minute``).
JOIN_LIMITER_KEY = web.AppKey("join_limiter", JoinLimiter)
#: ``join`` attempts per join token (``ServerConfig.joins_per_token_per_minute``).
TOKEN_JOIN_LIMITER_KEY = web.AppKey("token_join_limiter", TokenJoinLimiter)
#: REST requests per caller (``contract.install`` puts it in).
REST_LIMITER_KEY = web.AppKey("rest_limiter", RestLimiter)
#: The OpenAPI document, serialised once when the app is built.
OPENAPI_KEY = web.AppKey("openapi_document", bytes)
