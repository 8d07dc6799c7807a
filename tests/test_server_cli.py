"""``parley-server`` as a real process: starts, reports where it listens, stops on a signal."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import stat
import sys
from pathlib import Path

import aiohttp
import pytest

from server.cli import parse_args
from server.config import ServerConfig, default_data_dir, resolve_api_key

REPO = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"parley-server listening on (http://127\.0\.0\.1:(\d+))\n")
STARTUP_TIMEOUT = 20.0


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PARLEY_API_KEY", "PARLEY_DATA_DIR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


async def run_server(
    data_dir: Path, stderr_path: Path
) -> tuple[asyncio.subprocess.Process, list[str]]:
    """Start the server; returns it with the stdout lines up to the listening line."""
    with stderr_path.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "--port", "0", "--data-dir", str(data_dir),
            stdout=asyncio.subprocess.PIPE, stderr=stderr, env=server_env(), cwd=REPO,
        )
    lines: list[str] = []
    try:
        while not lines or not LISTENING.fullmatch(lines[-1]):
            line = await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT)
            assert line, f"server exited early:\n{stderr_path.read_text()}"
            lines.append(line.decode())
    except BaseException:
        if process.returncode is None:
            process.kill()
        await process.wait()
        raise
    return process, lines


async def stop(process: asyncio.subprocess.Process, sig: signal.Signals) -> int:
    process.send_signal(sig)
    return await asyncio.wait_for(process.wait(), 10)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_server_starts_reports_its_port_and_stops_on_signals(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stderr_path = tmp_path / "stderr.log"

    process, lines = await run_server(data_dir, stderr_path)
    try:
        key_file = data_dir / "api_key"
        api_key = key_file.read_text().strip()
        assert lines == [
            f"API key generated: read it from {key_file} (mode 0600)\n",
            lines[-1],
        ]
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert api_key not in "".join(lines) + stderr_path.read_text()  # never printed or logged
        base_url, port = LISTENING.fullmatch(lines[-1]).groups()
        assert int(port) > 0

        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base_url}/healthz") as response:
                assert (response.status, await response.json()) == (200, {"status": "ok"})
            async with session.post(f"{base_url}/v1/meetings", json={},
                                    headers={"Authorization": f"Bearer {api_key}"}) as response:
                assert response.status == 201
                meeting_id = (await response.json())["meeting"]["id"]
    finally:
        code = await stop(process, signal.SIGTERM)
    assert code == 0, stderr_path.read_text()

    # Second start on the same data dir: same key (not printed again), same meetings; SIGINT.
    process, lines = await run_server(data_dir, stderr_path)
    try:
        assert len(lines) == 1
        base_url = LISTENING.fullmatch(lines[0]).group(1)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base_url}/v1/meetings/{meeting_id}",
                                   headers={"Authorization": f"Bearer {api_key}"}) as response:
                assert response.status == 200
    finally:
        code = await stop(process, signal.SIGINT)
    assert code == 0, stderr_path.read_text()
    assert "Traceback" not in stderr_path.read_text()


def test_arguments(tmp_path: Path) -> None:
    config = parse_args(["--host", "0.0.0.0", "--port", "9000", "--data-dir", str(tmp_path),
                         "--ice-address", "127.0.0.2", "::1", "--ice-address", "127.0.0.3",
                         "--public-host", "meet.example.org:443", "--max-meeting-minutes", "120",
                         "--empty-minutes", "2.5", "--alone-minutes", "10"])
    assert (config.host, config.port, config.data_dir) == ("0.0.0.0", 9000, tmp_path)
    assert config.ice_addresses == ["127.0.0.2", "::1", "127.0.0.3"]
    assert config.public_host == "meet.example.org:443"
    assert (config.max_meeting_seconds, config.empty_timeout_seconds, config.alone_timeout_seconds) == (7200, 150, 600)

    environ = {"PARLEY_DATA_DIR": str(tmp_path / "from-env")}
    config = parse_args([], environ)
    assert (config.host, config.port, config.ice_addresses, config.public_host) == (
        "127.0.0.1", 8750, ["127.0.0.1"], None,
    )
    assert config.data_dir == tmp_path / "from-env" == default_data_dir(environ, tmp_path / "home")
    assert (config.max_meeting_seconds, config.empty_timeout_seconds, config.alone_timeout_seconds) == (
        86400, 300, 1800)


@pytest.mark.parametrize("argv", [["--port", "70000"], ["--port", "http"],
                                  ["--public-host", "no-port"], ["--public-host", ":80"],
                                  ["--empty-minutes", "0"], ["--alone-minutes", "soon"]])
def test_bad_arguments_exit_with_usage(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2
    assert "usage: parley-server" in capsys.readouterr().err


def test_api_key_comes_from_env_then_file(tmp_path: Path) -> None:
    config = parse_args(["--data-dir", str(tmp_path / "data")], {})
    generated, created = resolve_api_key(config)
    assert created and len(generated) >= 32
    assert resolve_api_key(config) == (generated, False)

    for blank in ("", "  "):
        assert parse_args(["--data-dir", str(tmp_path / "data")], {"PARLEY_API_KEY": blank}).api_key is None
    from_env = parse_args(["--data-dir", str(tmp_path / "data")], {"PARLEY_API_KEY": " from-env\n"})
    assert resolve_api_key(from_env) == ("from-env", False)
    assert resolve_api_key(ServerConfig(data_dir=tmp_path, api_key="given")) == ("given", False)


def test_data_dir_follows_the_platform_conventions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    if sys.platform == "win32":
        expected = home / "AppData" / "Local" / "parley-server"
    elif sys.platform == "darwin":
        expected = home / "Library" / "Application Support" / "parley-server"
    else:
        expected = home / ".local" / "share" / "parley-server"
        assert default_data_dir({"XDG_DATA_HOME": str(tmp_path / "xdg")}, home) == tmp_path / "xdg" / "parley-server"
    assert default_data_dir({}, home) == expected


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_server_process_forwards_a_meeting_without_any_video_codec(tmp_path: Path) -> None:
    """The forwarding unit moves encoded packets: during a meeting with three cameras, the
    server process creates no encoder and no decoder (it counts them; /metrics shows it)."""
    from desktop.bot.options import BotOptions
    from desktop.bot.runner import Bot

    data_dir = tmp_path / "data"
    process, lines = await run_server(data_dir, tmp_path / "stderr.log")
    try:
        base_url = LISTENING.fullmatch(lines[-1]).group(1)
        auth = {"Authorization": f"Bearer {(data_dir / 'api_key').read_text().strip()}"}
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{base_url}/v1/meetings", json={}, headers=auth) as response:
                meeting_id = (await response.json())["meeting"]["id"]
            urls = []
            for name in ("Ada", "Grace", "Linus"):
                async with session.post(f"{base_url}/v1/meetings/{meeting_id}/attendees",
                                        json={"user_id": name, "name": name}, headers=auth) as response:
                    urls.append((await response.json())["join_url"])

            bots = [Bot(BotOptions(url, duration=3.0, width=320, height=180, fps=15)) for url in urls]
            running = asyncio.gather(*(bot.run() for bot in bots))
            await asyncio.sleep(2.0)  # mid-meeting
            async with session.get(f"{base_url}/metrics", headers=auth) as response:  # needs the key
                metrics = dict(
                    line.rsplit(" ", 1) for line in (await response.text()).splitlines()
                    if line and not line.startswith("#")
                )
            reports = await running

        # the bots decoded real pictures from each other...
        assert all(len(r.frames_received) == 2 and min(r.frames_received.values()) > 10 for r in reports)
        # ...which the server forwarded without a codec
        assert int(metrics["parley_participants"]) == 3
        assert int(metrics["parley_cameras_forwarded"]) == 3
        assert int(metrics["parley_rtp_packets_forwarded_total"]) > 200
        assert metrics['parley_codec_instances_total{kind="encoder"}'] == "0"
        assert metrics['parley_codec_instances_total{kind="decoder"}'] == "0"
    finally:
        assert await stop(process, signal.SIGTERM) == 0


def test_links_say_parleys_behind_a_tls_proxy(tmp_path: Path) -> None:
    from server.clock import ManualClock
    from server.meetings import MeetingService
    from server.store_sqlite import SqliteStore
    from server.tokens import TokenSigner

    config = parse_args(["--public-host", "meet.example.org:443", "--public-tls", "--data-dir", str(tmp_path)],
                        environ={}, home=tmp_path)
    assert config.public_tls and not config.tls
    store = SqliteStore(":memory:")
    try:
        meetings = MeetingService(store, ManualClock(), TokenSigner(b"k" * 32, ManualClock()), config)
        meeting = meetings.create_meeting()
        _, _, url = meetings.add_attendee(meeting.id, "u-ada", "Ada", "host")
        assert url.startswith(f"parleys://meet.example.org:443/m/{meeting.id}?token=")
    finally:
        store.close()
