"""What the benchmarks share: a throwaway parley-server, meetings and attendees over REST, bot
commands, CPU readings, a relay whose network can be cut, and small statistics.

Benchmarks run as ``python bench/NAME.py`` have bench/ on ``sys.path`` and import this module
plainly (``from harness import ...``). Every process started through it is stopped by PID
(``stop_process``); every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import psutil

__all__ = [
    "REPO", "Api", "Relay", "bot_command", "meeting_of_bots", "bot_env", "cpu_seconds", "fmt", "log", "pct", "rnd",
    "start_server", "stop_process",
]

REPO = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"parley-server listening on (http://\S+)")


def log(text: str = "") -> None:
    print(text, flush=True)


# --- small statistics -------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank, as the bot computes its own latency figures)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rnd(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def fmt(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:g}{unit}"


# --- REST ---------------------------------------------------------------------------------------


class Api:
    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        # No proxy: a proxy set in the environment must not see loopback calls.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 5.0) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with self._opener.open(request, timeout=timeout) as reply:
            return json.loads(reply.read() or b"{}")

    def create_meeting(self) -> str:
        """A new meeting of the default call type; its id."""
        return self.call("POST", "/v1/meetings", {})["meeting"]["id"]

    def add_attendee(self, meeting_id: str, user_id: str, name: str, role: str = "participant") -> tuple[str, str]:
        """A new attendee of ``meeting_id``: (attendee id, join link)."""
        reply = self.call("POST", f"/v1/meetings/{meeting_id}/attendees",
                          {"user_id": user_id, "name": name, "role": role})
        return reply["attendee"]["id"], reply["join_url"]

    def metrics(self) -> dict[str, float]:
        """``GET /metrics`` as {sample name with labels: value}; {} when it is not there."""
        request = urllib.request.Request(self.base_url + "/metrics")
        request.add_header("Authorization", f"Bearer {self.key}")  # /metrics needs the key
        try:
            with self._opener.open(request, timeout=2.0) as reply:
                text = reply.read().decode("utf-8", errors="replace")
        except (OSError, urllib.error.URLError):
            return {}
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                try:
                    out[name] = float(value)
                except ValueError:
                    pass
        return out

    def participants(self, meeting_id: str) -> list[dict] | None:
        try:
            return self.call("GET", f"/v1/meetings/{meeting_id}", timeout=2.0)["meeting"]["session"]["participants"]
        except (OSError, urllib.error.URLError, KeyError, ValueError):
            return None


# --- processes ----------------------------------------------------------------------------------


def bot_command(join_url: str, *options: str) -> list[str]:
    """The command line of one ``parley-bot`` in this checkout (run it with ``bot_env()``)."""
    return [sys.executable, "-m", "desktop.bot", join_url, *options]


def bot_env() -> dict[str, str]:
    """The environment for processes that must run this checkout's code (bots, the app)."""
    return dict(os.environ, PYTHONPATH=str(REPO))


def cpu_seconds(proc: psutil.Process) -> float | None:
    try:
        t = proc.cpu_times()
        return t.user + t.system + t.children_user + t.children_system
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def stop_process(proc: subprocess.Popen, name: str, grace: float) -> None:
    """SIGTERM, wait ``grace`` seconds, then SIGKILL — this one PID only."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        print(f"bench: {name} (pid {proc.pid}) ignored SIGTERM; killing it", file=sys.stderr, flush=True)
        proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            print(f"bench: {name} (pid {proc.pid}) did not die", file=sys.stderr, flush=True)
    except ProcessLookupError:
        pass


def start_server(tmp: Path, key: str, timeout: float, port: int = 0, host: str = "127.0.0.1",
                 wrap: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str, Path]:
    """A parley-server listening (and gathering ICE) on ``host``; ``wrap``: a command prefix
    that execs it (``ip netns exec NS``, so the PID is still the server's)."""
    env = dict(os.environ, PARLEY_API_KEY=key, PYTHONPATH=str(REPO))
    stderr_path = tmp / "server.stderr"
    proc = subprocess.Popen(
        [*wrap, sys.executable, "-m", "server", "--host", host, "--port", str(port),
         "--data-dir", str(tmp / "data"), "--ice-address", host],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=stderr_path.open("wb"), text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:  # keep reading so the server never blocks on a full pipe
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"parley-server did not report its address within {timeout:.0f} s")
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError(f"parley-server exited (code {proc.wait(5)}): see {stderr_path}")
        match = LISTENING.search(line)
        if match:
            return proc, match.group(1), stderr_path


# --- the network --------------------------------------------------------------------------------


class Relay:
    """A TCP relay on 127.0.0.1 that can be cut (the network goes) and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = True
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except asyncio.CancelledError:
            pass
        self._writers -= {writer, up_writer}

    def cut(self) -> None:
        self.up = False
        for writer in list(self._writers):
            writer.transport.abort()  # a reset, as when a network goes away under a socket
        self._writers.clear()

    def restore(self) -> None:
        self.up = True

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


@contextlib.contextmanager
def meeting_of_bots(prefix: str, count: int, options: Sequence[str],
                    pause: float) -> Iterator[tuple[Api, str, list[tuple[str, subprocess.Popen]]]]:
    """A server and ``count`` bots (``bot_command`` ``options``, started ``pause`` s apart) in
    one meeting: yields the server's API, the meeting and the processes (add your own to stop
    them too); every process is stopped on the way out."""
    key = secrets.token_urlsafe(16)
    processes: list[tuple[str, subprocess.Popen]] = []
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp_name:
        try:
            server, base, _ = start_server(Path(tmp_name), key, timeout=30)
            processes.append(("server", server))
            api = Api(base, key)
            meeting = api.create_meeting()
            for i in range(count):
                url = api.add_attendee(meeting, f"bot-{i}", f"Bot {i + 1}")[1]
                processes.append((f"bot {i}", subprocess.Popen(bot_command(url, *options), cwd=REPO, env=bot_env(),
                                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
                time.sleep(pause)
            yield api, meeting, processes
        finally:
            for name, process in reversed(processes):
                stop_process(process, name, grace=10)
