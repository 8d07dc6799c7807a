"""Helpers shared by the tests: a real Parley server on loopback, with an injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from server.app import MEETINGS_KEY
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
    return ServerConfig(port=0, data_dir=data_dir, api_key=API_KEY)
