"""``HostedServer``: "Start a meeting on this computer" runs a Parley server as a child process.

The meeting's forwarding unit then has its own process, its own event loop and its own share of
the CPU: a busy window (16 videos to draw, a slow paint) never delays the packets it forwards to
the others (issue 18 measured glass-to-glass 14-16 s when it shared the GUI's loop).

- Started once, on the first hosted meeting: ``parley-server --host ADDRESS --port 0
  --data-dir DIR --ice-address ADDRESS --exit-with-stdin`` (``python -m server`` from source,
  the bundle's ``parley-server`` next to the app when frozen), with a fresh API key in its
  environment. ADDRESS is loopback, or this computer's local-network address when the user lets
  people from the network in (``desktop/hosting.py``: ``hosting_address``); another reach
  restarts it on the other address (the meetings stay in the data dir, the links change). The port it bound is read back from its ``listening on`` line; everything it
  prints goes to the app's log.
- It stops with the app: ``close()`` closes its standard input (it shuts down cleanly), waits,
  then terminates and kills it. If the app dies (a crash, ``kill -9``), the kernel closes the
  pipe and the server sees the end of its input and stops by itself.
- One server per data dir still holds: the child takes the data dir's lock (server/config.py
  ``DataDirLock``); if another server holds it, the child exits with that sentence, and
  ``start_meeting`` raises ``HostingFailed`` with it.
- Meetings are made over its REST API with that key, as any integration would.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import aiohttp

from .hosting import Reach, hosting_address, lan_address

logger = logging.getLogger("parley.hosted")

LISTENING = re.compile(r"listening on (https?://\S+)")
START_TIMEOUT = 30.0  # seconds for the child to say it listens
STOP_TIMEOUT = 10.0  # seconds for a clean stop before it is terminated


class HostingFailed(RuntimeError):
    """The server for a meeting on this computer did not start: the sentence it gave."""


def server_command(frozen: bool, executable: str) -> list[str]:
    """How to run ``parley-server``: the bundle's own program beside the app when frozen, else
    this interpreter's ``-m server``."""
    if frozen:
        app = Path(executable)
        return [str(app.with_name("parley-server" + app.suffix))]
    return [executable, "-m", "server"]


class HostedServer:
    def __init__(self, data_dir: Path, command: Sequence[str] | None = None,
                 environ: Mapping[str, str] | None = None,
                 find_lan: Callable[[], str | None] = lan_address) -> None:
        """``command``: how to run parley-server (``server_command``); ``environ``: the child's
        environment (the app's, handed down from the composition root); ``find_lan``: this
        computer's local-network address (tests hand in their own)."""
        self.data_dir = data_dir
        self.find_lan = find_lan
        self.address: str | None = None  # where the server listens, once started
        self.command = list(command or server_command(getattr(sys, "frozen", False), sys.executable))
        self._environ = dict(environ if environ is not None else {})
        self._api_key = secrets.token_urlsafe(32)
        self.process: subprocess.Popen | None = None
        self.base_url: str | None = None
        self._output: list[str] = []
        self._listening: asyncio.Future[str | None] | None = None
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def start(self, address: str = "127.0.0.1") -> str:
        """Start the server on ``address`` (once; again on another address); its base URL."""
        async with self._lock:
            if self.running and self.base_url is not None and self.address == address:
                return self.base_url
            await self._stop()
            return await self._start(address)

    async def _start(self, address: str) -> str:
        loop = asyncio.get_running_loop()
        self._listening = loop.create_future()
        self._output = []
        env = {**self._environ, "PARLEY_API_KEY": self._api_key, "PYTHONUNBUFFERED": "1"}
        args = [*self.command, "--host", address, "--port", "0", "--data-dir", str(self.data_dir),
                "--ice-address", address, "--exit-with-stdin"]
        logger.info("starting the meeting server for this computer: %s", " ".join(args))
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # Windows: no console window
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, env=env, creationflags=flags)
        threading.Thread(target=self._read_output, args=(self.process, loop, self._listening),
                         name="hosted-server-output", daemon=True).start()
        try:
            url = await asyncio.wait_for(asyncio.shield(self._listening), START_TIMEOUT)
        except asyncio.TimeoutError:
            url = None
        if url is None:
            said = next((line for line in reversed(self._output) if "cannot start" in line), None)
            await self._stop()
            raise HostingFailed(said.split("cannot start:", 1)[-1].strip() if said else
                                "the meeting server did not start; see the log")
        self.base_url, self.address = url, address
        logger.info("the meeting server for this computer listens on %s (pid %d)", url, self.process.pid)
        return url

    def _read_output(self, process: subprocess.Popen, loop: asyncio.AbstractEventLoop,
                     listening: asyncio.Future) -> None:
        """The child's output, line by line, into the log; the first ``listening on`` resolves
        ``listening`` (None when the output ends first: it exited)."""
        def settle(value: str | None) -> None:
            if not listening.done():
                listening.set_result(value)

        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self._output.append(line)
            del self._output[:-50]
            logger.info("server: %s", line)
            found = LISTENING.search(line)
            if found and not listening.done():
                loop.call_soon_threadsafe(settle, found.group(1))
        try:
            loop.call_soon_threadsafe(settle, None)
        except RuntimeError:  # the app's loop is gone already
            pass

    async def start_meeting(self, host_name: str, reach: Reach = Reach.THIS_COMPUTER) -> tuple[str, str]:
        """Start the server (once for each reach) and create a meeting; returns (host join link,
        invite link). NoNetworkAddress when this computer is on no local network."""
        base = await self.start(hosting_address(reach, self.find_lan))
        headers = {"Authorization": f"Bearer {self._api_key}"}
        async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=15)) as http:
            meeting = (await _post(http, f"{base}/v1/meetings", {}))["meeting"]
            attendee = await _post(http, f"{base}/v1/meetings/{meeting['id']}/attendees",
                                   {"user_id": "host", "name": host_name, "role": "host"})
            invite = await _post(http, f"{base}/v1/meetings/{meeting['id']}/invites", {"role": "participant"})
        return attendee["join_url"], invite["invite_url"]

    async def close(self) -> None:
        """Stop the server cleanly (its meetings end as the server's do), idempotent."""
        async with self._lock:
            await self._stop()

    async def _stop(self) -> None:
        process, self.process, self.base_url, self.address = self.process, None, None, None
        if process is None:
            return
        loop = asyncio.get_running_loop()
        try:
            if process.stdin is not None:
                process.stdin.close()  # the child stops at the end of its input
        except OSError:
            pass
        try:
            await loop.run_in_executor(None, process.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning("the meeting server did not stop within %g s: terminating it", STOP_TIMEOUT)
            process.terminate()
            try:
                await loop.run_in_executor(None, process.wait, 5)
            except subprocess.TimeoutExpired:
                process.kill()
                await loop.run_in_executor(None, process.wait)
        logger.info("the meeting server for this computer stopped (exit %s)", process.returncode)


async def _post(http: aiohttp.ClientSession, url: str, body: dict) -> dict:
    async with http.post(url, json=body) as response:
        data = await response.json()
        if response.status >= 300:
            message = data.get("error", {}).get("message") if isinstance(data, dict) else None
            raise HostingFailed(message or f"the meeting server answered {response.status}")
        return data


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The child's environment: the app's, without an API key of the user's own (the child
    gets the one its parent chose)."""
    return {k: v for k, v in environ.items() if k != "PARLEY_API_KEY"}


__all__ = ["HostedServer", "HostingFailed", "child_environment", "server_command"]
