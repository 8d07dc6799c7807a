"""Two parley-server processes on one PostgreSQL database behind one address: a meeting whose
node is killed goes on on the other one.

The "one address" is a small TCP front in this test that sends each new connection to the
first node that accepts it (a load balancer with health checks does the same). Ada joins
through it and so reaches node A, which takes the meeting; Grace joins at node B, which relays
her socket to A. Then A is killed (SIGKILL): both reconnect by themselves, B takes the meeting
over once A's lease runs out, and the meeting is intact — the same attendees, the chat (a
newcomer reads it), media again, and the timer, which (shortened through the balancer) fires
once, on B, with one webhook.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import sys
import time
from datetime import datetime
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from support import API_KEY, AUTH, LIGHT_SMALL, RunningBot, eventually

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = 1.5
#: The meeting's first time limit: long enough for every step before the timer is shortened.
TIMER_SECONDS = 600
#: Once the meeting is back on B, its limit is shortened to end it this soon after.
ENDS_IN_SECONDS = 3


class Front:
    """One address in front of the nodes: each connection goes to the first that accepts it."""

    def __init__(self) -> None:
        self.targets: list[int] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for port in list(self.targets):
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                continue
        else:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()


class Node:
    """One ``python -m server`` process."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])


async def start_node(name: str, store: str, data_dir: Path, front: Front) -> Node:
    env = {**os.environ, "PARLEY_API_KEY": API_KEY, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--port", "0", "--data-dir", str(data_dir), "--store", store,
        "--node-id", name, "--lease-seconds", str(LEASE_SECONDS), "--public-host", f"127.0.0.1:{front.port}",
        "--allow-private-webhooks", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)
    try:
        async with asyncio.timeout(30):
            while True:
                line = (await process.stdout.readline()).decode()
                if not line:
                    raise AssertionError(f"node {name} exited before listening ({process.returncode})")
                if "listening on " in line:
                    return Node(process, line.split("listening on ", 1)[1].strip())
    except BaseException:
        stop(process, signal.SIGKILL)
        raise


def stop(process: asyncio.subprocess.Process, sig: int) -> None:
    if process.returncode is None:
        try:
            os.kill(process.pid, sig)
        except ProcessLookupError:
            pass


@pytest.fixture
async def hooks() -> AsyncIterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", received
    finally:
        await runner.cleanup()


async def test_a_meeting_survives_its_node_being_killed(postgres_url: str, tmp_path: Path, hooks) -> None:
    hook_url, received = hooks
    front = Front()
    await front.start()
    nodes: list[Node] = []
    bots: list[RunningBot] = []
    try:
        a = await start_node("a", postgres_url, tmp_path / "a", front)
        nodes.append(a)
        b = await start_node("b", postgres_url, tmp_path / "b", front)
        nodes.append(b)
        front.targets = [a.port, b.port]
        base = f"http://127.0.0.1:{front.port}"
        async with aiohttp.ClientSession(headers=AUTH) as http:
            async def call(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
                async with http.request(method, base + path, json=body) as response:
                    return response.status, await response.json()

            status, _ = await call("POST", "/v1/webhooks", {"url": hook_url, "events": ["*"]})
            assert status == 201
            status, data = await call("POST", "/v1/meetings",
                                      {"settings_override": {"limits": {"max_duration_seconds": TIMER_SECONDS}}})
            meeting_id = data["meeting"]["id"]

            async def join_url(name: str, node: Node | None = None) -> str:
                status, data = await call("POST", f"/v1/meetings/{meeting_id}/attendees",
                                          {"user_id": f"u-{name}", "name": name, "role": "participant"})
                assert status == 201, data
                url = data["join_url"]
                return url if node is None else url.replace(f"127.0.0.1:{front.port}", f"127.0.0.1:{node.port}")

            ada = RunningBot(await join_url("Ada"), duration=120, **LIGHT_SMALL)  # front -> A, the owner
            bots.append(ada)
            await eventually(lambda: ada.report.attendee_id is not None, timeout=20, what="Ada in, on A")
            grace = RunningBot(await join_url("Grace", b), duration=120, **LIGHT_SMALL)  # B relays her to A
            bots.append(grace)
            await eventually(lambda: grace.report.attendee_id is not None, timeout=20, what="Grace in, through B")
            await eventually(lambda: ada.report.frames_received.get(grace.report.attendee_id, 0) >= 5
                             and grace.report.frames_received.get(ada.report.attendee_id, 0) >= 5,
                             timeout=20, what="video both ways through A's forwarding unit")
            await ada.session.send_chat("before the crash")
            await eventually(lambda: any(c.text == "before the crash" for c in grace.session.chat), what="chat")
            await eventually(lambda: any(h["type"] == "meeting.started" for h in received), what="A's webhook")
            for node_url in (base, b.url):  # A itself (through the front), and B, which asks A
                async with http.get(f"{node_url}/v1/meetings/{meeting_id}") as response:
                    data = await response.json()
                assert {p["name"] for p in data["meeting"]["session"]["participants"]} == {"Ada", "Grace"}
            timer_ends_at = data["meeting"]["session"]["timer_ends_at"]
            ids = {ada.report.attendee_id, grace.report.attendee_id}

            stop(a.process, signal.SIGKILL)  # the owner dies, with no goodbye
            await a.process.wait()
            await eventually(lambda: ada.report.reconnects >= 1 and grace.report.reconnects >= 1,
                             timeout=30, what="both back, on B")
            assert {ada.report.attendee_id, grace.report.attendee_id} == ids  # the same attendees
            before = {bot: dict(bot.report.frames_received) for bot in (ada, grace)}
            await eventually(lambda: all(
                bot.report.frames_received.get(other, 0) >= before[bot].get(other, 0) + 5
                for bot in (ada, grace) for other in ids - {bot.report.attendee_id}),
                timeout=20, what="video both ways again, through B")

            linus = RunningBot(await join_url("Linus"), duration=120, **LIGHT_SMALL)  # a newcomer, on B
            bots.append(linus)
            await eventually(lambda: linus.report.attendee_id is not None, timeout=20, what="Linus in")
            assert any(c.text == "before the crash" for c in linus.session.chat)  # the chat is intact
            status, data = await call("GET", f"/v1/meetings/{meeting_id}")
            assert {p["name"] for p in data["meeting"]["session"]["participants"]} == {"Ada", "Grace", "Linus"}
            assert data["meeting"]["session"]["timer_ends_at"] == timer_ends_at  # the same timer

            # shorten the timer (through the front, to B, which runs the meeting now), so that it
            # fires a few seconds from now, whatever time the steps above took on this machine
            started = datetime.fromisoformat(data["meeting"]["session"]["started_at"].replace("Z", "+00:00"))
            limit = math.ceil(time.time() - started.timestamp()) + ENDS_IN_SECONDS
            status, data = await call("PATCH", f"/v1/meetings/{meeting_id}",
                                      {"settings_override": {"limits": {"max_duration_seconds": limit}}})
            assert status == 200, data
            await eventually(lambda: all(bot.session.meeting.timer_ends_at == data["meeting"]["session"]
                                         ["timer_ends_at"] for bot in bots), what="everyone told the new timer")
            reports = await asyncio.wait_for(asyncio.gather(*(bot.task for bot in bots)), ENDS_IN_SECONDS + 30)
            assert [r.end_reason for r in reports] == ["timer_expired"] * 3
            status, data = await call("GET", f"/v1/meetings/{meeting_id}")
            assert data["meeting"]["end_reason"] == "timer_expired"
            await eventually(lambda: any(h["type"] == "meeting.ended" for h in received), what="the end's webhook")
            await asyncio.sleep(2 * LEASE_SECONDS)  # time for a second end or delivery, were there one
            kinds = [h["type"] for h in received]
            assert kinds.count("meeting.started") == 1 and kinds.count("meeting.ended") == 1, kinds
    finally:
        for bot in bots:
            if not bot.task.done():
                bot.stop.set()
        await asyncio.gather(*(asyncio.wait_for(bot.task, 20) for bot in bots), return_exceptions=True)
        for node in nodes:
            stop(node.process, signal.SIGTERM)
        for node in nodes:
            try:
                await asyncio.wait_for(node.process.wait(), 20)
            except asyncio.TimeoutError:
                stop(node.process, signal.SIGKILL)
                await node.process.wait()
        await front.close()
