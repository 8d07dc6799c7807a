"""One server per data dir, and a data dir that cannot be written (issue 20, items 9 and 11):
a second ``parley-server`` on a data dir in use refuses to start, and so does one whose data dir
is full or read-only, each with one sentence on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from server.app import build_app, start_server
from server.cli import EXIT_DATA_DIR
from server.config import DataDirError
from support import config_for
from test_server_cli import LISTENING, REPO, run_server, server_env, stop

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and resource limits")


async def refusal_of(process: asyncio.subprocess.Process) -> tuple[int, str]:
    """The exit code and stderr of a server process expected to refuse to start."""
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 20)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("the server started instead of refusing") from None
    assert not LISTENING.search(stdout.decode()), stdout
    return process.returncode, stderr.decode()


async def run_to_exit(data_dir: Path, preexec=None) -> tuple[int, str]:
    """Start ``parley-server`` expecting it to refuse: its exit code and its stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--port", "0", "--data-dir", str(data_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=server_env(), cwd=REPO,
        preexec_fn=preexec,
    )
    return await refusal_of(process)


def assert_one_sentence(stderr: str, *fragments: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("parley-server: cannot start: "), stderr
    for fragment in fragments:
        assert fragment in lines[0], stderr


async def test_a_second_server_on_the_same_data_dir_refuses_to_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first, lines = await run_server(data_dir, tmp_path / "first.log")
    try:
        code, stderr = await run_to_exit(data_dir)
        assert code == EXIT_DATA_DIR
        assert_one_sentence(stderr, f"another parley-server (pid {first.pid}) is using the data dir {data_dir}")
        # the first one did not notice
        base_url = LISTENING.fullmatch(lines[-1]).group(1)
        async with aiohttp.ClientSession() as session, session.get(base_url + "/healthz") as response:
            assert response.status == 200
    finally:
        assert await stop(first, signal.SIGTERM) == 0
    # once it stopped, the data dir is free again
    second, _ = await run_server(data_dir, tmp_path / "second.log")
    assert await stop(second, signal.SIGTERM) == 0


async def test_one_process_cannot_build_two_apps_on_one_data_dir(tmp_path: Path) -> None:
    runner, base_url, app = await start_server(config_for(tmp_path / "data"))
    try:
        with pytest.raises(DataDirError, match="is using the data dir"):
            build_app(config_for(tmp_path / "data"))
        async with aiohttp.ClientSession() as session, session.get(base_url + "/healthz") as response:
            assert response.status == 200  # the refused one took nothing from the running one
    finally:
        await runner.cleanup()
    runner, _, _ = await start_server(config_for(tmp_path / "data"))  # released at cleanup
    await runner.cleanup()


def _no_file_may_grow() -> None:
    """In the child: any write to a file fails (EFBIG), as on a full disk. Python ignores
    SIGXFSZ, so the write fails instead of killing the process."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


async def test_a_full_disk_at_start_is_one_sentence(tmp_path: Path) -> None:
    code, stderr = await run_to_exit(tmp_path / "data", preexec=_no_file_may_grow)
    assert code == EXIT_DATA_DIR
    assert_one_sentence(stderr, f"no room to write in the data dir {tmp_path / 'data'} (disk full")


async def run_to_exit_read_only(data_dir: Path) -> tuple[int, str]:
    """As run_to_exit, with ``data_dir`` read-only for the server. Root writes into a directory
    whatever its mode, so as root the server runs in a mount namespace of its own where the data
    dir is a read-only bind mount (a real read-only file system, gone with the process)."""
    if os.geteuid() != 0:
        return await run_to_exit(data_dir)
    command = " ".join(shlex.quote(part) for part in (
        sys.executable, "-m", "server", "--port", "0", "--data-dir", str(data_dir)))
    process = await asyncio.create_subprocess_exec(
        "unshare", "--mount", "--propagation", "private", "sh", "-c",
        f"mount --bind -o ro {shlex.quote(str(data_dir))} {shlex.quote(str(data_dir))} && exec {command}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=server_env(), cwd=REPO,
    )
    return await refusal_of(process)


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("unshare") is None,
                    reason="as root, a read-only data dir needs a read-only mount (util-linux unshare)")
async def test_a_read_only_data_dir_at_start_is_one_sentence(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process, _ = await run_server(data_dir, tmp_path / "first.log")  # a data dir with its store
    assert await stop(process, signal.SIGTERM) == 0
    for path in data_dir.iterdir():
        path.chmod(0o400)
    data_dir.chmod(0o500)
    try:
        code, stderr = await run_to_exit_read_only(data_dir)
    finally:
        data_dir.chmod(0o700)
        for path in data_dir.iterdir():
            path.chmod(0o600)
    assert code == EXIT_DATA_DIR
    assert_one_sentence(stderr, "cannot be written (read-only, or not this user's)")
