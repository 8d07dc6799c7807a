"""Anonymous connections against a real server on loopback (issue 20, item 3): idle sockets
beyond the per-address cap, trickled request headers and half-finished TLS handshakes. The excess
is refused with a 429 or cut, the server stays reachable from elsewhere (``/healthz``, a real
join), and the log says so once, not once per connection.

127.0.0.1 plays the attacker and 127.0.0.2 everyone else (all of 127/8 is loopback on Linux).
The server runs with short timeouts; the tests wait for what must happen (bounded), never for a
duration, and assert nothing about time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

import wire
from server.app import start_server
from server.clock import ManualClock
from server.http.connections import GUARD_KEY, ConnectionGuard, GuardedProtocol, address_key
from server.http.ratelimit import LogFlood
from support import Server, bounded, config_for, eventually
from test_server_cli import LISTENING, run_server, stop
from wire import Join

linux_loopback = pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is loopback on Linux")

CAP = 16
NEIGHBOUR = "127.0.0.2"


def guarded_config(data_dir: Path, **changes):
    return dataclasses.replace(config_for(data_dir), connections_per_address=CAP, **changes)


@pytest.fixture
async def server(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Server]:
    config = guarded_config(tmp_path / "data", header_timeout_seconds=30.0)
    runner, base_url, app = await start_server(config, clock)
    try:
        connector = aiohttp.TCPConnector(local_addr=(NEIGHBOUR, 0))
        async with aiohttp.ClientSession(connector=connector) as session:
            yield Server(base_url, session, clock, app, tmp_path / "data")
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


def guard_of(server: Server) -> ConnectionGuard:
    return server.app[GUARD_KEY]


def host_port(server: Server) -> tuple[str, int]:
    host, port = server.base_url.split("//", 1)[1].rsplit(":", 1)
    return host, int(port)


async def read_all(reader: asyncio.StreamReader) -> bytes:
    """What the server sends until it closes the connection (bounded)."""
    data = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), 10):
            data += chunk
    except ConnectionResetError:
        pass
    return data


@linux_loopback
async def test_idle_connections_beyond_the_cap_are_refused_and_the_server_stays_reachable(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="server.http.connections")
    host, port = host_port(server)
    idle = [await asyncio.open_connection(host, port) for _ in range(CAP)]  # say nothing
    await eventually(lambda: guard_of(server).open["127.0.0.1"] == CAP, what="all idle ones admitted")

    excess = [await asyncio.open_connection(host, port) for _ in range(3 * CAP)]
    for reader, writer in excess:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answers = [await read_all(reader) for reader, _ in excess]
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 429 Too Many Requests"), answer
        assert json.loads(body)["error"]["code"] == "rate_limited"
    assert guard_of(server).refused == 3 * CAP
    assert guard_of(server).open["127.0.0.1"] == CAP

    # Everyone else is served: /healthz, and a real join over a WebSocket.
    async with server.session.get(server.base_url + "/healthz") as response:
        assert response.status == 200
    meeting = await server.create_meeting()
    attendee = await server.add_attendee(meeting["id"], user_id="u-ada", name="Ada", role="participant")
    async with server.session.ws_connect(server.base_url.replace("http", "ws", 1) + "/v1/rtc") as ws:
        await ws.send_str(wire.encode(Join(meeting_id=meeting["id"], token=attendee["join_token"]), 1))
        assert json.loads(await asyncio.wait_for(ws.receive_str(), 10))["type"] == "joined"

    # A WebSocket from the capped address is refused before the upgrade, with the 429.
    async with aiohttp.ClientSession() as attacker:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await attacker.ws_connect(server.base_url.replace("http", "ws", 1) + "/v1/rtc")
        assert refused.value.status == 429

    # The log said it once for all those refusals.
    lines = [r for r in caplog.records if r.name == "server.http.connections"]
    assert len(lines) == 1 and "refusing connections from 127.0.0.1" in lines[0].getMessage()

    # The idle ones leave: the address may connect again.
    for _, writer in idle + excess:
        writer.close()
    await eventually(lambda: "127.0.0.1" not in guard_of(server).open, what="the slots freed")
    async with aiohttp.ClientSession() as again, again.get(server.base_url + "/healthz") as response:
        assert response.status == 200


async def test_trickled_headers_are_cut(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="server.http.connections")
    config = guarded_config(tmp_path / "data", header_timeout_seconds=0.5)
    runner, base_url, app = await start_server(config, ManualClock())
    try:
        host, port = base_url.split("//", 1)[1].rsplit(":", 1)
        slow = [await asyncio.open_connection(host, int(port)) for _ in range(CAP)]

        async def trickle(writer: asyncio.StreamWriter) -> None:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            for _ in range(200):  # a header byte now and then, never the blank line
                writer.write(b"X")
                await asyncio.sleep(0.05)

        tricklers = [asyncio.create_task(trickle(writer)) for _, writer in slow]
        for reader, _ in slow:
            assert await read_all(reader) == b""  # closed without a word
        for task in tricklers:
            task.cancel()
        await asyncio.gather(*tricklers, return_exceptions=True)
        guard = app[GUARD_KEY]
        assert guard.cut == CAP
        await eventually(lambda: "127.0.0.1" not in guard.open, what="the slots freed")
        lines = [r for r in caplog.records if r.name == "server.http.connections"]
        assert len(lines) == 1 and "no request headers within 0.5 s" in lines[0].getMessage()
        async with aiohttp.ClientSession() as session, session.get(base_url + "/healthz") as response:
            assert response.status == 200
        for _, writer in slow:
            writer.close()
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


async def test_half_finished_tls_handshakes_are_cut(tmp_path: Path) -> None:
    from test_tls import make_certificate

    certificate = make_certificate(tmp_path / "tls")
    config = guarded_config(tmp_path / "data", header_timeout_seconds=30.0,
                            tls_handshake_timeout_seconds=0.5,
                            tls_cert=certificate.cert, tls_key=certificate.key)
    runner, base_url, app = await start_server(config, ManualClock())
    try:
        host, port = base_url.split("//", 1)[1].rsplit(":", 1)
        # a TCP connection that never sends its ClientHello, and one that sends half of one
        silent = await asyncio.open_connection(host, int(port))
        half = await asyncio.open_connection(host, int(port))
        half[1].write(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        assert await read_all(silent[0]) == b""
        await read_all(half[0])
        await eventually(lambda: "127.0.0.1" not in app[GUARD_KEY].open, what="the slots freed")
        # and a real client is served
        verify = ssl.create_default_context(cafile=str(certificate.cert))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=verify)) as session:
            async with session.get(base_url + "/healthz") as response:
                assert response.status == 200
        for _, writer in (silent, half):
            writer.close()
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


def test_an_ipv6_host_counts_as_its_64() -> None:
    assert address_key("2001:db8::1") == address_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert address_key("2001:db8:0:1::1") != address_key("2001:db8::1")
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_key("192.0.2.7") == "192.0.2.7"


class AcceptedTransport(asyncio.Transport):
    """A connection as asyncio hands it to the protocol, from 192.0.2.7."""

    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    def get_extra_info(self, name, default=None):
        return ("192.0.2.7", 40000) if name == "peername" else default

    def abort(self) -> None:
        self.aborted = True


def test_a_connection_accepted_as_the_loop_stops_is_closed_quietly() -> None:
    """Under qasync, Qt still runs what was queued once the loop has stopped (a test's or the
    app's teardown): a connection made then is closed, not served, and nothing is raised."""
    guard = ConnectionGuard(per_address=4, header_timeout=10, tls_handshake_timeout=10)
    transport = AcceptedTransport()
    GuardedProtocol(guard, lambda: None, None).connection_made(transport)  # no loop runs here
    assert transport.aborted
    assert not guard.open and guard.refused == 0  # not counted against the address


def test_a_flood_of_one_kind_of_log_record_is_held_back() -> None:
    now = [0.0]
    flood = LogFlood(burst=10, interval=60.0, clock=lambda: now[0])

    def record(name: str, msg: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, ("198.51.100.7",), None)

    passed = [flood.filter(record("aiohttp.server", "Error handling request from %s")) for _ in range(1000)]
    assert passed.count(True) == 10
    assert flood.filter(record("server.other", "another kind")) is True  # kinds are apart
    assert all(flood.filter(record("aiohttp.access", "%s GET /")) for _ in range(100))  # served requests
    now[0] = 61.0
    again = record("aiohttp.server", "Error handling request from %s")
    assert flood.filter(again) is True
    assert again.getMessage() == ("Error handling request from 198.51.100.7 "
                                  "[and 990 more like this in the last 60 s, not logged]")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_malformed_requests_do_not_fill_the_servers_log(tmp_path: Path) -> None:
    """A real ``parley-server``: 300 requests aiohttp logs a traceback for, one after another
    (so the per-address cap is not what stops them); its stderr holds at most 10 of them."""
    import signal

    stderr_path = tmp_path / "stderr.log"
    process, lines = await run_server(tmp_path / "data", stderr_path)
    try:
        host, port = LISTENING.fullmatch(lines[-1]).group(1).split("//", 1)[1].rsplit(":", 1)
        for _ in range(300):
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
            assert (await read_all(reader)).split(b" ", 2)[1] == b"400"
            writer.close()
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://{host}:{port}/healthz") as response:
                assert response.status == 200
    finally:
        assert await stop(process, signal.SIGTERM) == 0
    log = stderr_path.read_text()
    assert 1 <= log.count("Error handling request") <= 10, log[-2000:]
    assert len(log) < 100_000


def test_the_cap_is_an_argument(tmp_path: Path) -> None:
    from server.cli import parse_args

    assert parse_args(["--data-dir", str(tmp_path)]).connections_per_address == 64
    assert parse_args(["--data-dir", str(tmp_path), "--max-connections-per-address", "0"]
                      ).connections_per_address == 0
    with pytest.raises(SystemExit):
        parse_args(["--data-dir", str(tmp_path), "--max-connections-per-address", "-1"])
