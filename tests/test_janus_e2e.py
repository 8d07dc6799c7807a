"""End to end on loopback with Janus VideoRoom as the media backend (``--media janus``): a real
Janus (Debian's ``janus``, started by the fixture on a free port, loopback only: see
bench/janus_local.py), a real server and real bots. The bots cannot tell the difference: the
end-to-end tests of test_meeting_e2e.py and test_screen_share_e2e.py run here again, unchanged,
with this module's ``server`` fixture behind them.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from server.app import start_server
from server.clock import ManualClock
from support import Server, bounded, config_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench/ under plain pytest
from bench.janus_local import JANUS, LocalJanus  # noqa: E402

pytestmark = pytest.mark.skipif(JANUS is None, reason="the janus binary is not installed (apt-get install janus)")


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[LocalJanus]:
    instance = LocalJanus(tmp_path / "janus").start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
async def server(tmp_path: Path, clock: ManualClock, janus: LocalJanus) -> AsyncIterator[Server]:
    """The server of the shared end-to-end tests, on Janus."""
    data_dir = tmp_path / "data"
    config = replace(config_for(data_dir), media="janus", janus_urls=[janus.url])
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(base_url, session, clock, app, data_dir)
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


from test_meeting_e2e import (  # noqa: E402  the same tests, on Janus
    test_three_participants_see_and_hear_each_other as test_janus_three_see_and_hear_each_other,
)
