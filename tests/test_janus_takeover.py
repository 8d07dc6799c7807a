"""The VideoRooms of a node that dies do not stay in Janus: two parley-server nodes on one
PostgreSQL and one real Janus. Node A (a process) runs a meeting, whose VideoRoom it made on
Janus; node B (in this process) leaves that room alone while A lives, and destroys it once A is
killed and nobody runs the meeting any more (server/janus/backend.py, ``sweep``)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from server.app import start_server
from server.http.keys import ROOMS_KEY
from server.janus.backend import SWEEP_SECONDS
from server.janus.connection import JanusConnection, plugin_data
from server.janus.tracks import VIDEOROOM
from support import API_KEY, AUTH, LIGHT_SMALL, RunningBot, bounded, config_for, eventually

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench/ under plain pytest
from bench.janus_local import JANUS, LocalJanus  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(JANUS is None, reason="the janus binary is not installed (apt-get install janus)")]

ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = 1.5


async def parley_rooms(janus: LocalJanus) -> dict[int, str]:
    """Room id -> description of every Parley VideoRoom on ``janus``, as any Janus client lists them."""
    connection = await JanusConnection.open(janus.url, None, lambda: None)
    try:
        handle = await connection.attach(VIDEOROOM, lambda event: None)
        rooms = plugin_data(await connection.message(handle, {"request": "list"})).get("list") or []
        return {int(r["room"]): str(r["description"]) for r in rooms if str(r.get("description", "")).startswith("parley ")}
    finally:
        await connection.close()


async def test_the_room_of_a_killed_node_is_destroyed_once_nobody_runs_its_meeting(
        postgres_url: str, tmp_path: Path) -> None:
    janus = LocalJanus(tmp_path / "janus").start()
    env = {**os.environ, "PARLEY_API_KEY": API_KEY, "PYTHONPATH": str(ROOT)}
    a = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--port", "0", "--data-dir", str(tmp_path / "a"), "--store", postgres_url,
        "--node-id", "a", "--lease-seconds", str(LEASE_SECONDS), "--media", "janus", "--janus-url", janus.url,
        env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    runner = None
    try:
        async with asyncio.timeout(30):
            while "listening on " not in (line := (await a.stdout.readline()).decode()):
                assert line, "node A exited before listening"
        a_url = line.split("listening on ", 1)[1].strip()
        async with aiohttp.ClientSession(headers=AUTH) as http:
            async with http.post(f"{a_url}/v1/meetings", json={}) as response:
                meeting_id = (await response.json())["meeting"]["id"]
            async with http.post(f"{a_url}/v1/meetings/{meeting_id}/attendees",
                                 json={"user_id": "u-ada", "name": "Ada", "role": "host"}) as response:
                join_url = (await response.json())["join_url"]
        ada = RunningBot(join_url, **LIGHT_SMALL)
        await eventually(lambda: ada.report.attendee_id is not None, what="Ada is in, on node A")
        rooms: dict[int, str] = {}

        async def listed() -> bool:
            rooms.update(await parley_rooms(janus))
            return f"parley {meeting_id}" in rooms.values()

        for _ in range(50):
            if await listed():
                break
            await asyncio.sleep(0.1)
        assert f"parley {meeting_id}" in rooms.values(), rooms

        # node B joins the cluster while A lives: A's room is A's, and stays
        config = replace(config_for(tmp_path / "b"), store=postgres_url, node_id="b", lease_seconds=LEASE_SECONDS,
                         media="janus", janus_urls=[janus.url])
        runner, _, app = await start_server(config)
        backend = app[ROOMS_KEY].media
        assert await backend.sweep(backend.instances[0]) == 0
        assert f"parley {meeting_id}" in (await parley_rooms(janus)).values()

        os.kill(a.pid, signal.SIGKILL)  # A dies; its Janus session lives on for up to a minute
        await a.wait()
        await ada.finish()
        gone: list[bool] = []

        async def check() -> None:
            gone.append(f"parley {meeting_id}" not in (await parley_rooms(janus)).values())

        deadline = asyncio.get_running_loop().time() + SWEEP_SECONDS + 3 * LEASE_SECONDS + 5
        while not (gone and gone[-1]):
            assert asyncio.get_running_loop().time() < deadline, "the dead node's room is still in Janus"
            await check()
            await asyncio.sleep(0.5)
    finally:
        if a.returncode is None:
            os.kill(a.pid, signal.SIGKILL)
            await a.wait()
        if runner is not None:
            await bounded(runner.cleanup(), 45, "node B's cleanup")
        janus.stop()
