"""Helpers shared by the tests: a real Parley server on loopback, with an injected clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from desktop.bot.options import BotOptions
from desktop.bot.runner import Bot
from desktop.session.meeting_session import MeetingSession
from server.http.keys import MEETINGS_KEY
from server.clock import ManualClock
from server.config import ServerConfig
from server.meetings import MeetingService

API_KEY = "test-api-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
T0 = 1_800_000_000.0  # ManualClock's start: 2027-01-15T08:00:00Z


@dataclass
class Server:
    base_url: str
    session: aiohttp.ClientSession
    clock: ManualClock
    app: web.Application
    data_dir: Path

    @property
    def meetings(self) -> MeetingService:
        return self.app[MEETINGS_KEY]

    async def call(
        self, method: str, path: str, body: Any = None, *, auth: bool = True,
        raw: bytes | None = None,
    ) -> tuple[int, dict[str, Any]]:
        async with self.session.request(
            method, self.base_url + path, json=body if raw is None else None,
            data=raw, headers=AUTH if auth else {},
        ) as response:
            return response.status, await response.json()

    async def create_meeting(self, **body: Any) -> dict[str, Any]:
        status, data = await self.call("POST", "/v1/meetings", body)
        assert status == 201, data
        return data["meeting"]

    async def join_url(self, meeting_id: str, name: str, role: str = "participant") -> str:
        data = await self.add_attendee(meeting_id, user_id=f"u-{name}", name=name, role=role)
        return data["join_url"]

    async def add_attendee(self, meeting_id: str, **body: Any) -> dict[str, Any]:
        body = {"user_id": "u-ada", "name": "Ada", "role": "host", **body}
        status, data = await self.call("POST", f"/v1/meetings/{meeting_id}/attendees", body)
        assert status == 201, data
        return data


def config_for(data_dir: Path) -> ServerConfig:
    # every test bot joins from 127.0.0.1, and the fuzz tests join one token many times: the
    # join limits (per address, per token) have tests of their own
    return ServerConfig(port=0, data_dir=data_dir, api_key=API_KEY, joins_per_minute=0,
                        joins_per_token_per_minute=0)


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Wait until ``predicate()`` holds (checked every 20 ms), or fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


class RunningBot:
    """A bot running in the background until stopped (or until its duration ends)."""

    def __init__(self, url: str, **options) -> None:
        options.setdefault("duration", 60.0)
        self.bot = Bot(BotOptions(url, **options))
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.bot.run(self.stop))

    @property
    def report(self):
        return self.bot.report

    @property
    def session(self) -> MeetingSession:
        return self.bot.session

    async def finish(self):
        self.stop.set()
        return await asyncio.wait_for(self.task, 20)


LIGHT_SMALL = dict(light=True, width=160, height=90, fps=10)


async def bounded(awaitable, seconds: float, what: str) -> None:
    """Await a teardown step, but never for ever: past ``seconds`` print every task's stack (what
    it is stuck on) and fail, so a hang shows up as a clear error instead of a stuck run."""
    try:
        await asyncio.wait_for(awaitable, seconds)
    except asyncio.TimeoutError:
        import sys

        print(f"\n--- {what} did not finish within {seconds:g} s; tasks:", file=sys.stderr)
        for task in asyncio.all_tasks():
            task.print_stack(file=sys.stderr)
        raise AssertionError(f"{what} did not finish within {seconds:g} s") from None
