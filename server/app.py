"""The meeting server as one aiohttp application: what it is made of, and how it starts."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from aiohttp import web

from wire import MAX_MESSAGE_BYTES

from .clock import Clock, SystemClock
from .cluster import LOCAL_NODE, CallTypeWatch, Cluster, new_node_id
from .config import (
    API_KEY_FILE,
    STORE_FILE,
    DataDirLock,
    ServerConfig,
    ensure_data_dir,
    host_port,
    resolve_api_key,
    using_data_dir,
)
from .events import MEETING_ENDED, ServerEvent
from .http.connections import GUARD_KEY, ConnectionGuard, GuardedSite
from .http.errors import error_middleware
from .http.keys import (
    API_KEY_KEY,
    CLUSTER_KEY,
    CONFIG_KEY,
    JOIN_LIMITER_KEY,
    TOKEN_JOIN_LIMITER_KEY,
    LIFECYCLE_KEY,
    MEETINGS_KEY,
    ROOMS_KEY,
    WEBHOOKS_KEY,
)
from .http.access_log import scrub_access_log
from .http.callers import TokenJoinLimiter
from .http.ratelimit import JoinLimiter
from .http import relay
from .http.routes import add_routes
from .lifecycle import Lifecycle
from .meetings import MeetingService
from .rooms.registry import RoomRegistry
from .rooms.media import MediaBackend
from .sfu.backend import BuiltinMedia
from .store import Store
from .store_open import open_store
from .tls import tls_context
from .tokens import TokenSigner, load_or_create_secret
from .webhooks import WebhookDispatcher


#: An idle keep-alive HTTP connection is closed after this long (aiohttp's own default is an
#: hour); longer than aiohttp's client keeps one (15 s), so a client never reuses one that is
#: being closed. Connections are capped per address besides (``connections_per_address``).
KEEPALIVE_SECONDS = 75.0


def build_app(config: ServerConfig, clock: Clock | None = None) -> web.Application:
    """The server's parts, built and wired: the composition root.

    The data dir is locked for as long as the app lives (released at cleanup): a second server
    on it fails here. A data dir that cannot be written (read-only, full) fails here too; both
    with a :class:`~server.config.DataDirError` that says so in a sentence."""
    clock = clock or SystemClock()
    media = media_backend(config)
    with using_data_dir(config.data_dir):
        ensure_data_dir(config.data_dir)
    lock = DataDirLock.acquire(config.data_dir)
    store: Store | None = None
    try:
        with using_data_dir(config.data_dir):
            api_key, _ = resolve_api_key(config)
            store = open_store(config.store, config.data_dir / STORE_FILE)
            if store.shared:  # every node signs and checks tokens, and takes calls, alike
                secret = base64.b64decode(store.shared_secret(
                    "token_secret", lambda: base64.b64encode(load_or_create_secret(config.data_dir)).decode()))
                if config.api_key is None:
                    api_key = _shared_api_key(store, config.data_dir, api_key)
            else:
                secret = load_or_create_secret(config.data_dir)
            signer = TokenSigner(secret, clock)
            meetings = MeetingService(store, clock, signer, config)
        cluster = Cluster(store, clock, config.node_id or (new_node_id() if store.shared else LOCAL_NODE),
                          config.lease_seconds)
        rooms = RoomRegistry(meetings, config, media)
        lifecycle = Lifecycle(meetings, rooms, config, cluster)
        webhooks = WebhookDispatcher(store, clock, config, meetings.events, cluster.node_id)
        cluster.on_lost = rooms.hand_over
        share_cluster = getattr(media, "share_cluster", None)
        if share_cluster is not None:  # Janus: any node can destroy the rooms of a node that died
            share_cluster(base64.b64decode(store.shared_secret(
                "janus_room_key", lambda: base64.b64encode(secrets.token_bytes(32)).decode())), cluster.owner_url)
        cluster.on_heartbeat.append(webhooks.adopt)
        if store.shared:  # call types changed through another node reach the rooms here
            def call_type_changed(name: str) -> None:
                rooms.refresh_call_type(name)
                lifecycle.forget()  # the timers of its live meetings may have changed

            cluster.on_heartbeat.append(CallTypeWatch(store, call_type_changed))

        def on_meeting_event(event: ServerEvent) -> None:
            if event.type == MEETING_ENDED:
                cluster.ended(event.meeting_id)

        meetings.events.subscribe(on_meeting_event)
    except BaseException:
        if store is not None:
            store.close()
        lock.release()
        raise

    scrub_access_log()  # a join link opened in a browser must not leave its token in the log
    app = web.Application(client_max_size=MAX_MESSAGE_BYTES, middlewares=[error_middleware, relay.relay_middleware])
    app[CONFIG_KEY] = config
    app[API_KEY_KEY] = api_key
    app[MEETINGS_KEY] = meetings
    app[ROOMS_KEY] = rooms
    app[LIFECYCLE_KEY] = lifecycle
    app[WEBHOOKS_KEY] = webhooks
    app[CLUSTER_KEY] = cluster
    app[JOIN_LIMITER_KEY] = JoinLimiter(config.joins_per_minute)
    app[TOKEN_JOIN_LIMITER_KEY] = TokenJoinLimiter(signer, config.joins_per_token_per_minute)
    app[GUARD_KEY] = ConnectionGuard(config.connections_per_address, config.header_timeout_seconds,
                                     config.tls_handshake_timeout_seconds)
    add_routes(app)
    relay.install(app)

    async def start(app: web.Application) -> None:
        await media.start()  # Janus: connects (instances not up yet are tried in the background)
        webhooks.start()  # resumes the deliveries a previous run left pending
        lifecycle.start()

    async def end_rooms(app: web.Application) -> None:
        # On shutdown, before aiohttp waits for open requests: every participant is told the
        # server is going away and its socket closes, so no WebSocket handler holds the stop.
        await lifecycle.close()
        await cluster.stop()  # the other nodes (if any) take this node's meetings over
        await rooms.close()

    async def close(app: web.Application) -> None:
        await lifecycle.close()
        try:
            await rooms.close()  # idempotent; rooms may still write to the store while closing
            await media.close()
        finally:
            try:
                await webhooks.close()  # what is not delivered stays pending for the next start
                await cluster.close()  # ... or for another node
            finally:
                try:
                    store.close()
                finally:
                    lock.release()

    app.on_startup.append(start)
    app.on_shutdown.append(end_rooms)
    app.on_cleanup.append(close)
    return app


def media_backend(config: ServerConfig) -> MediaBackend:
    """The media backend ``config`` asks for (``--media``)."""
    if config.media == "janus":
        from .janus.backend import JanusBackend

        return JanusBackend(list(config.janus_urls), config.janus_api_secret,
                            admin_urls=list(config.janus_admin_urls), admin_secret=config.janus_admin_secret)
    if config.media != "builtin":
        raise ValueError(f"unknown media backend {config.media!r} (builtin or janus)")
    return BuiltinMedia(config.ice_addresses, config.announced)  # what the forwarding unit offers peers


async def start_server(
    config: ServerConfig, clock: Clock | None = None
) -> tuple[web.AppRunner, str, web.Application]:
    """Build the app and listen; returns the runner (``await runner.cleanup()`` to stop), the
    base URL with the port really bound, and the app."""
    ssl_context = tls_context(config)  # before anything starts: a bad certificate stops here
    app = build_app(config, clock)
    runner = web.AppRunner(app, handle_signals=False, keepalive_timeout=KEEPALIVE_SECONDS)
    await runner.setup()
    try:
        site = GuardedSite(runner, config.host, config.port, app[GUARD_KEY], ssl_context=ssl_context)
        await site.start()
        port = _bound_port(runner, config.port)
    except BaseException:
        await runner.cleanup()
        raise
    app[MEETINGS_KEY].set_bound_address(config.host, port)
    scheme = "https" if ssl_context is not None else "http"
    base_url = f"{scheme}://{host_port(config.host, port)}"
    try:
        if app[CLUSTER_KEY].shared and not config.internal_url and config.host in ("0.0.0.0", "::", ""):
            raise RuntimeError(f"with a shared store, give --internal-url: {base_url} is no address the "
                               "other nodes can reach this one at")
        app[CLUSTER_KEY].start(config.internal_url or base_url)
    except BaseException:
        await runner.cleanup()
        raise
    return runner, base_url, app


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested


def _shared_api_key(store: Store, data_dir: Path, own: str) -> str:
    """The API key every node of a shared store takes calls with: the first node's, which each
    node also keeps in its data dir's ``api_key`` file for the operator to read."""
    key = store.shared_secret("api_key", lambda: own)
    if key != own:
        path = data_dir / API_KEY_FILE
        temporary = path.with_name(path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(key)
        os.replace(temporary, path)
    return key
