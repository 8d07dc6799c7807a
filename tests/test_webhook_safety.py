"""Webhooks as an attacker with the API key would use them (issue 20, item 11): to reach what
only the server can reach (loopback, cloud metadata, a private network), to learn which ports
are open from ``last_error``, or to replay a recorded delivery to its receiver.

The receiver is on 127.0.0.1; the server refuses it unless run with ``allow_private_webhooks``.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from server.clock import ManualClock
from server.config import ServerConfig
from server.events import EventBus, ServerEvent
from server.store import WebhookRecord
from server.store_sqlite import SqliteStore
from server.webhook_targets import ForbiddenAddress, GuardedResolver, forbidden
from server.webhooks import (
    ADDRESS_REFUSED,
    CONNECTION_FAILED,
    SIGNATURE_TOLERANCE_SECONDS,
    TIMED_OUT,
    WebhookDispatcher,
    sign,
    verify_signature,
)
from support import T0, eventually
from wire import ErrorCode, ProtocolError

PRIVATE_URLS = [
    "http://127.0.0.1:8750/v1/meetings",
    "http://127.1/",
    "http://localhost:8750/",                   # a name that resolves to loopback
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://[fe80::1]/",
    "http://[::1]:22/",
    "http://[::ffff:127.0.0.1]/",               # loopback wearing IPv6
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/admin",
    "http://[fd00::1]/",
    "http://100.64.0.1/",                        # shared address space (carrier NAT)
    "http://0.0.0.0:8750/",
    "http://224.0.0.1/",
]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[web.Request]]]:
    received: list[web.Request] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(request)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"127.0.0.1:{runner.addresses[0][1]}", received
    finally:
        await runner.cleanup()


@pytest.fixture
async def dispatcher(tmp_path: Path) -> AsyncIterator[WebhookDispatcher]:
    store = SqliteStore(tmp_path / "store.sqlite3")
    config = ServerConfig(data_dir=tmp_path, webhook_retry_delays=(), webhook_timeout_seconds=5.0)
    webhooks = WebhookDispatcher(store, ManualClock(T0), config, EventBus())
    webhooks.start()
    try:
        yield webhooks
    finally:
        await webhooks.close()
        store.close()


def meeting_event() -> ServerEvent:
    return ServerEvent("meeting.started", T0, {"id": "m-1"})


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_private_destinations_are_refused_at_registration(dispatcher: WebhookDispatcher, url: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        await dispatcher.create_webhook(url, ["*"])
    assert refused.value.code is ErrorCode.BAD_REQUEST
    assert "--allow-private-webhooks" in refused.value.message
    assert dispatcher.list_webhooks() == []


async def test_the_operator_may_allow_them(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    config = ServerConfig(data_dir=tmp_path, allow_private_webhooks=True)
    webhooks = WebhookDispatcher(store, ManualClock(T0), config, EventBus())
    try:
        for url in PRIVATE_URLS:
            await webhooks.create_webhook(url, ["*"])
        assert len(webhooks.list_webhooks()) == len(PRIVATE_URLS)
    finally:
        store.close()


async def test_a_destination_that_turned_private_gets_nothing(
    dispatcher: WebhookDispatcher, receiver: tuple[str, list[web.Request]]
) -> None:
    """A webhook registered when its name was public (here: stored directly, as DNS changing
    afterwards would leave it) is checked again at each delivery, on the address connected to."""
    address, received = receiver
    port = address.rsplit(":", 1)[1]
    store = dispatcher._store
    for n, url in enumerate((f"http://localhost:{port}/hook", f"http://{address}/hook")):
        store.add_webhook(WebhookRecord(f"wh_{n}", url, ["*"], "secret", T0))
    dispatcher.on_event(meeting_event())
    await eventually(lambda: all(dispatcher.deliveries(f"wh_{n}")[0].status == "failed" for n in (0, 1)))
    assert received == []
    assert {dispatcher.deliveries(f"wh_{n}")[0].last_error for n in (0, 1)} == {ADDRESS_REFUSED}


async def test_the_guarded_resolver_keeps_only_public_addresses() -> None:
    resolver = GuardedResolver()
    try:
        with pytest.raises(ForbiddenAddress):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()
    assert not forbidden("93.184.215.14") and not forbidden("2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert forbidden("::ffff:10.0.0.1") and forbidden("fe80::1%eth0") and forbidden("not an address")


async def test_last_error_never_tells_which_ports_are_open(tmp_path: Path) -> None:
    """A closed port and a port that answers garbage look alike: a category, not the OS's words."""
    garbage = socket.socket()
    garbage.bind(("127.0.0.1", 0))
    garbage.listen()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
    store = SqliteStore(tmp_path / "store.sqlite3")
    config = ServerConfig(data_dir=tmp_path, allow_private_webhooks=True, webhook_retry_delays=(),
                          webhook_timeout_seconds=1.0)
    webhooks = WebhookDispatcher(store, ManualClock(T0), config, EventBus())
    webhooks.start()
    try:
        closed_hook = await webhooks.create_webhook(f"http://127.0.0.1:{closed_port}/", ["*"])
        silent_hook = await webhooks.create_webhook(f"http://127.0.0.1:{garbage.getsockname()[1]}/", ["*"])
        webhooks.on_event(meeting_event())
        await eventually(lambda: all(webhooks.deliveries(h.id)[0].status == "failed"
                                     for h in (closed_hook, silent_hook)))
        errors = {h.id: webhooks.deliveries(h.id)[0].last_error for h in (closed_hook, silent_hook)}
        assert errors[closed_hook.id] == CONNECTION_FAILED
        assert errors[silent_hook.id] in (TIMED_OUT, CONNECTION_FAILED)  # listening, never answers
        for error in errors.values():
            assert "Errno" not in error and "refused" not in error.lower() and "127.0.0.1" not in error
    finally:
        await webhooks.close()
        store.close()
        garbage.close()


def test_a_recorded_delivery_cannot_be_replayed() -> None:
    body = b'{"type":"meeting.ended"}'
    now = T0
    headers = {"X-Parley-Timestamp": str(int(now)), "X-Parley-Delivery": "7",
               "X-Parley-Signature": sign("s3cret", int(now), 7, body)}
    signed = f"{int(now)}.7.".encode() + body
    assert headers["X-Parley-Signature"] == "sha256=" + hmac.new(b"s3cret", signed, hashlib.sha256).hexdigest()
    assert verify_signature("s3cret", body, headers, now)
    assert verify_signature("s3cret", body, headers, now + SIGNATURE_TOLERANCE_SECONDS)
    # later than the tolerance, under another delivery id, with another body or timestamp: no
    assert not verify_signature("s3cret", body, headers, now + SIGNATURE_TOLERANCE_SECONDS + 1)
    assert not verify_signature("s3cret", body, {**headers, "X-Parley-Delivery": "8"}, now)
    assert not verify_signature("s3cret", body + b" ", headers, now)
    assert not verify_signature("s3cret", body, {**headers, "X-Parley-Timestamp": str(int(now) + 1)}, now)
    assert not verify_signature("s3cret", body, {**headers, "X-Parley-Timestamp": "soon"}, now)
    assert not verify_signature("other", body, headers, now)


async def test_registration_over_rest_refuses_the_metadata_address(tmp_path: Path) -> None:
    from server.app import start_server

    config = ServerConfig(port=0, data_dir=tmp_path / "data", api_key="k" * 20)
    runner, base_url, _ = await start_server(config, ManualClock(T0))
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base_url}/v1/webhooks", headers={"Authorization": "Bearer " + "k" * 20},
                                 json={"url": "http://169.254.169.254/latest/meta-data/", "events": ["*"]}) as r:
                assert r.status == 400 and (await r.json())["error"]["code"] == "bad_request"
    finally:
        await runner.cleanup()
