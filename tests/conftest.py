"""Fixtures shared by the tests: a real Parley server on loopback, with an injected clock."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # Qt tests never need a display

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from server.app import start_server
from server.clock import ManualClock
from support import Server, bounded, config_for


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def server(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Server]:
    data_dir = tmp_path / "data"
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(base_url, session, clock, app, data_dir)
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


