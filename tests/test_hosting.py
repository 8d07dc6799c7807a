"""The meeting hosted on this computer runs as a child process, stops with the app (also when the
app dies), and keeps the data dir's one-server lock."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from desktop.hosted_server import HostedServer, HostingFailed, child_environment
from support import eventually

ROOT = Path(__file__).resolve().parent.parent


def gone(pid: int) -> bool:
    """The process exited (a zombie no one reaped counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


async def test_the_hosted_meeting_runs_in_a_child_process_and_stops_with_the_app(tmp_path: Path) -> None:
    hosted = HostedServer(tmp_path / "data", environ=child_environment(os.environ))
    host_url, invite_url = await hosted.start_meeting("Ada")
    try:
        assert host_url.startswith("parley://127.0.0.1:") and invite_url.startswith("parley://127.0.0.1:")
        assert hosted.running and hosted.process.pid != os.getpid()
        async with aiohttp.ClientSession() as http, http.get(f"{hosted.base_url}/healthz") as response:
            assert response.status == 200
        # a second meeting on the same server: it was started once
        pid = hosted.process.pid
        await hosted.start_meeting("Ada")
        assert hosted.process.pid == pid
        # one server per data dir, as before: a second one says who holds it
        other = HostedServer(tmp_path / "data", environ=child_environment(os.environ))
        with pytest.raises(HostingFailed, match="another parley-server"):
            await other.start_meeting("Grace")
        assert not other.running
    finally:
        process = hosted.process
        await hosted.close()
    assert process.returncode == 0  # a clean stop: its input closed, it shut down


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see the orphan exit")
async def test_the_hosted_server_stops_by_itself_when_the_app_dies(tmp_path: Path) -> None:
    app = subprocess.Popen(
        [sys.executable, "-c", (
            "import asyncio, os, signal, sys\n"
            "from desktop.hosted_server import HostedServer, child_environment\n"
            "async def main():\n"
            f"    hosted = HostedServer({str(tmp_path / 'data')!r}, environ=child_environment(os.environ))\n"
            "    await hosted.start_meeting('Ada')\n"
            "    print(hosted.process.pid, flush=True)\n"
            "    os.kill(os.getpid(), signal.SIGKILL)  # the app crashes: no close(), no cleanup\n"
            "asyncio.run(main())\n")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE)
    line = await asyncio.get_running_loop().run_in_executor(None, app.stdout.readline)
    app.wait(30)
    server_pid = int(line)
    await eventually(lambda: gone(server_pid), timeout=30, what="the orphaned server stopping")
