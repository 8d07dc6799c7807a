"""Anonymous and hostile signalling sockets against a real server on loopback (issue 20, items
2, 4 and 8): a socket that never joins, one that floods before joining, one that joins and then
never reads, one that repeats a refused publish. Each is cut off with a clear close code or
error, and the others in the meeting go on: they stay, and still receive what is said.

Nothing here measures time: the server is configured with short timeouts, and each test waits
for what must happen (bounded by ``eventually``), never for a duration.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import wire
from server.app import start_server
from server.clock import ManualClock
from server.http.keys import ROOMS_KEY
from server.http.signalling import BEFORE_JOIN, CHAT, MAX_FAILED_NEGOTIATIONS, PUBLISHES
from support import Server, bounded, config_for, eventually
from wire import Join, Mute, Ping, Publish, SendChat
from wire.errors import CloseCode

REPLY_TIMEOUT = 10.0
CHAT_BURST = CHAT.burst


@pytest.fixture
async def server(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Server]:
    """A server whose join and send timeouts are short, so the tests need not wait long."""
    config = dataclasses.replace(config_for(tmp_path / "data"), join_timeout_seconds=0.5,
                                 send_timeout_seconds=1.0)
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(base_url, session, clock, app, tmp_path / "data")
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


def ws_url(server: Server) -> str:
    return server.base_url.replace("http", "ws", 1) + "/v1/rtc"


async def frames_until_closed(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """Everything the server sent, up to its close frame."""
    frames = []
    while (msg := await asyncio.wait_for(ws.receive(), REPLY_TIMEOUT)).type == aiohttp.WSMsgType.TEXT:
        frames.append(json.loads(msg.data))
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING), msg
    return frames


async def join(http: aiohttp.ClientSession, server: Server, meeting_id: str, name: str,
               ) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    attendee = await server.add_attendee(meeting_id, user_id=f"u-{name}", name=name, role="participant")
    ws = await http.ws_connect(ws_url(server))
    await ws.send_str(wire.encode(Join(meeting_id=meeting_id, token=attendee["join_token"]), 1))
    while (frame := json.loads(await asyncio.wait_for(ws.receive_str(), REPLY_TIMEOUT)))["type"] != "joined":
        assert frame["type"] != "error", frame
    return ws, attendee["attendee"]["id"]


async def exchange(ws: aiohttp.ClientWebSocketResponse, text: str) -> list[dict[str, Any]]:
    """Send ``text`` and a ping; everything received up to the pong."""
    await ws.send_str(text)
    await ws.send_str(wire.encode(Ping(), 424242))
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.receive_str(), REPLY_TIMEOUT))
        if frame["type"] == "pong" and frame.get("rid") == 424242:
            return frames
        frames.append(frame)


async def test_a_socket_that_never_joins_is_closed(server: Server) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url(server)) as ws:
        assert await frames_until_closed(ws) == []
        assert ws.close_code == CloseCode.JOIN_TIMEOUT == 4001
    # and the server still answers
    async with server.session.get(server.base_url + "/healthz") as response:
        assert response.status == 200


async def test_pings_and_garbage_before_join_are_limited(server: Server) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url(server)) as ws:
        for i in range(60):  # sent at once, none read
            await ws.send_str(wire.encode(Ping(), i) if i % 2 else "not json")
        frames = await frames_until_closed(ws)
        assert ws.close_code == CloseCode.TOO_MANY_MESSAGES
        assert len(frames) <= BEFORE_JOIN.burst + 1  # the burst, and what refilled meanwhile
        assert {f["type"] for f in frames} <= {"pong", "error"}
    meeting = await server.create_meeting()
    async with aiohttp.ClientSession() as http:
        ada, _ = await join(http, server, meeting["id"], "Ada")  # a real join still works
        await ada.close()


class RawWebSocket:
    """A WebSocket client on a plain socket with a tiny receive buffer, that never reads."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
        self.sock.connect((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /v1/rtc HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(1)  # the handshake only, byte by byte
        assert response.startswith(b"HTTP/1.1 101"), response

    def send(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def closed_by_server(self) -> bool:
        """Read what is there (without blocking): True once the server closed the connection."""
        self.sock.setblocking(False)
        try:
            while True:
                if not self.sock.recv(1 << 20):
                    return True
        except BlockingIOError:
            return False
        except ConnectionError:
            return True
        finally:
            self.sock.setblocking(True)


class Listener:
    """A joined socket that reads everything in the background, as a client does."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, attendee_id: str) -> None:
        self.ws = ws
        self.attendee_id = attendee_id
        self.frames: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.frames.append(json.loads(msg.data))

    def heard(self, kind: str, attendee_id: str) -> bool:
        return any(f["type"] == kind and f.get("attendee", {}).get("attendee_id") == attendee_id
                   for f in self.frames)

    async def close(self) -> None:
        await self.ws.close()
        await self.task


async def test_a_participant_that_never_reads_is_dropped_and_its_socket_closed(server: Server) -> None:
    meeting = await server.create_meeting()
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:
        talkers = [Listener(*await join(http, server, meeting["id"], f"talker{i}")) for i in range(8)]
        eve = await server.add_attendee(meeting["id"], user_id="u-eve", name="Eve", role="participant")
        slow = await loop.run_in_executor(None, RawWebSocket, ws_url(server))
        await loop.run_in_executor(None, slow.send, wire.encode(Join(meeting_id=meeting["id"], token=eve["join_token"]), 1))
        room = server.app[ROOMS_KEY].room(meeting["id"])
        eve_id = eve["attendee"]["id"]
        await eventually(lambda: eve_id in room.participants, what="Eve in the room")

        # The others talk (16 KB a message, within the chat limit); Eve reads nothing. Bounded:
        # the server must let her go within a few hundred messages.
        text = "\N{GRINNING FACE}" * wire.MAX_CHAT_CHARS
        sent = 0
        while room.participants[eve_id].away_since is None:
            assert sent < 800, "Eve was never dropped"
            for talker in talkers:
                await talker.ws.send_str(wire.encode(SendChat(text=text)))
                sent += 1
            await asyncio.sleep(0.05 if sent <= 8 * CHAT_BURST else 0.5)
        # Eve is away (a dropped connection keeps its seat for the grace), her socket is closed.
        await eventually(lambda: slow.closed_by_server(), what="Eve's socket closed by the server")
        slow.sock.close()

        # The others are still in, and still hear each other.
        for talker in talkers:
            assert room.participants[talker.attendee_id].away_since is None
        await talkers[1].ws.send_str(wire.encode(Mute(muted=True)))
        await eventually(lambda: talkers[0].heard("participant_updated", talkers[1].attendee_id),
                         what="talker 0 hears talker 1 mute")
        for talker in talkers:
            await talker.close()


async def test_a_refused_publish_cannot_be_repeated_in_a_loop(server: Server) -> None:
    meeting = await server.create_meeting()
    async with aiohttp.ClientSession() as http:
        ada, _ = await join(http, server, meeting["id"], "Ada")
        mallory, _ = await join(http, server, meeting["id"], "Mallory")
        bad = wire.encode(Publish(sdp="v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"), 3)
        codes = []
        for _ in range(20):
            errors = [f for f in await exchange(mallory, bad) if f["type"] == "error"]
            codes.append((errors[0]["code"], errors[0]["message"]))
        assert [c for c, _ in codes[:MAX_FAILED_NEGOTIATIONS]] == ["negotiation_failed"] * MAX_FAILED_NEGOTIATIONS
        assert {c for c, _ in codes[MAX_FAILED_NEGOTIATIONS:]} == {"rate_limited"}
        assert codes[MAX_FAILED_NEGOTIATIONS][1].startswith(
            f"{MAX_FAILED_NEGOTIATIONS} negotiations failed on this connection")
        assert codes[-1][1] == "too many publish messages; at most 4, then one every 10 seconds"

        # a new connection gets a few tries again, then the publish bucket holds
        mallory2, _ = await join(http, server, meeting["id"], "Mallory2")
        refusals = [f for _ in range(PUBLISHES.burst + 1) for f in await exchange(mallory2, bad) if f["type"] == "error"]
        assert len(refusals) == PUBLISHES.burst + 1

        # the server is fine, and Ada still hears the meeting (Mallory's mute reaches her)
        async with server.session.get(server.base_url + "/healthz") as response:
            assert response.status == 200
        await mallory.send_str(wire.encode(Mute(muted=True)))
        heard = []
        for _ in range(50):
            heard += await exchange(ada, wire.encode(Ping()))
            if any(f["type"] == "participant_updated" and f["attendee"]["name"] == "Mallory" for f in heard):
                break
        else:
            raise AssertionError("Ada never heard Mallory mute")
        for ws in (ada, mallory, mallory2):
            await ws.close()


class StuckSocket:
    """A WebSocket whose sends never finish, as when the client stops reading and the kernel's
    buffers are full."""

    def __init__(self) -> None:
        self.sent = 0
        self.closed = False
        self.aborted = asyncio.Event()

    async def send_str(self, text: str) -> None:
        self.sent += 1
        await asyncio.Event().wait()  # drain never returns

    async def close(self, **_: Any) -> bool:
        self.closed = True
        return True


async def test_an_outbox_overflow_ends_a_send_that_hangs() -> None:
    """The send deadline is an hour here: only the overflow (1000 messages unsent) can end the
    stuck send, and it does so at once, without waiting for the deadline."""
    from server.http.signalling import ClientConnection

    ws = StuckSocket()
    config = dataclasses.replace(config_for(Path("unused")), send_timeout_seconds=3600.0)
    client = ClientConnection(ws, rooms=None, meetings=None, config=config, abort=ws.aborted.set)
    writer = asyncio.create_task(client._write_loop())
    pong = wire.Pong(server_time="2027-01-15T08:00:00.000Z")
    client.outbox.put(pong)
    await eventually(lambda: ws.sent == 1, what="the writer stuck in its first send")
    for _ in range(1001):  # 1000 fit in the outbox; the next one overflows it
        client.outbox.put(pong)
    await asyncio.wait_for(ws.aborted.wait(), 10)
    assert client.close_code == CloseCode.TOO_SLOW
    assert ws.sent == 1  # the one that hung; nothing else was tried
    await asyncio.wait_for(writer, 10)
