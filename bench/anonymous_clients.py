"""Anonymous clients against a parley-server with the usual 1024 file descriptors (issue 20,
item 3): idle connections past the per-address cap and sockets that ping before joining and
never read. Prints what the neighbours (127.0.0.2) see meanwhile and how much the log grew.

    python bench/anonymous_clients.py [--idle 1030] [--pingers 30] [--seconds 15]

Figures, not pass/fail: run it before and after a change and compare.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

from harness import REPO, cpu_seconds, fmt, log, pct, stop_process

LISTENING = "parley-server listening on "
NEIGHBOUR = "127.0.0.2"


def start(tmp: Path, key: str) -> tuple[subprocess.Popen, str, Path]:
    """parley-server with a soft limit of 1024 descriptors, as on most Linux machines."""
    def limit() -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

    stderr_path = tmp / "server.stderr"
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", "0", "--data-dir", str(tmp / "data")],
        cwd=REPO, env=dict(os.environ, PARLEY_API_KEY=key), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=stderr_path.open("wb"), text=True, preexec_fn=limit)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"parley-server exited: see {stderr_path}")
        if line.startswith(LISTENING):
            return proc, line[len(LISTENING):].strip(), stderr_path
    raise RuntimeError("parley-server did not start")


async def healthz_ms(session: aiohttp.ClientSession, url: str, count: int) -> tuple[list[float], int]:
    times, failures = [], 0
    for _ in range(count):
        started = time.perf_counter()
        try:
            async with session.get(url + "/healthz", timeout=aiohttp.ClientTimeout(total=5)) as response:
                await response.read()
                if response.status != 200:
                    failures += 1
                    continue
        except (aiohttp.ClientError, asyncio.TimeoutError):
            failures += 1
            continue
        times.append((time.perf_counter() - started) * 1000)
    return times, failures


async def join_ms(session: aiohttp.ClientSession, url: str, key: str) -> float | None:
    """How long a neighbour's join takes (None: it failed), from creating the meeting on."""
    auth = {"Authorization": f"Bearer {key}"}
    started = time.perf_counter()
    try:
        async with session.post(url + "/v1/meetings", json={}, headers=auth) as response:
            meeting = (await response.json())["meeting"]["id"]
        async with session.post(f"{url}/v1/meetings/{meeting}/attendees", headers=auth,
                                json={"user_id": "u-n", "name": "Neighbour", "role": "participant"}) as response:
            token = (await response.json())["join_token"]
        async with session.ws_connect(url.replace("http", "ws", 1) + "/v1/rtc") as ws:
            await ws.send_str(json.dumps({"v": 1, "type": "join", "rid": 1, "meeting_id": meeting, "token": token}))
            reply = json.loads(await asyncio.wait_for(ws.receive_str(), 10))
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return None
    return (time.perf_counter() - started) * 1000 if reply["type"] == "joined" else None


async def pinger(host: str, port: int, stop: asyncio.Event) -> None:
    """A WebSocket that pings before joining and never reads."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1)
    except (OSError, asyncio.TimeoutError):
        return
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /v1/rtc HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    payload = b'{"v":1,"type":"ping","rid":1}'
    frame = bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload  # mask of zeros
    try:
        while not stop.is_set():
            writer.write(frame * 50)
            await writer.drain()
            await asyncio.sleep(0.01)
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main(args: argparse.Namespace) -> dict:
    key = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, stderr_path = start(Path(tmp), key)
        server = psutil.Process(proc.pid)
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        figures: dict = {}
        try:
            connector = aiohttp.TCPConnector(local_addr=(NEIGHBOUR, 0), force_close=True)
            async with aiohttp.ClientSession(connector=connector,
                                             timeout=aiohttp.ClientTimeout(total=10)) as neighbour:
                log(f"server at {url}; /healthz from {NEIGHBOUR} before the flood")
                before, _ = await healthz_ms(neighbour, url, args.samples)
                figures["healthz_ms_p50_before"] = pct(before, 0.5)
                cpu0 = cpu_seconds(server)
                stop = asyncio.Event()
                idle, unanswered = [], 0
                for _ in range(args.idle):
                    try:  # a server out of descriptors stops accepting: connects then hang
                        idle.append(await asyncio.wait_for(asyncio.open_connection(host, int(port)), 1))
                    except (OSError, asyncio.TimeoutError):
                        unanswered += 1
                        if unanswered >= 20:
                            break
                figures["idle_connects_unanswered"] = unanswered
                log(f"{len(idle)} idle connections open; {args.pingers} sockets ping without reading")
                pingers = [asyncio.create_task(pinger(host, int(port), stop)) for _ in range(args.pingers)]
                during, failed = await healthz_ms(neighbour, url, args.samples)
                figures.update(idle_opened=len(idle), healthz_ms_p50_during=pct(during, 0.5),
                               healthz_failed_during=failed, join_ms_during=await join_ms(neighbour, url, key))
                log("measured during the flood; reading the refusals")
                refused = 0
                for reader, _ in idle:
                    try:
                        data = await asyncio.wait_for(reader.read(64), 0.01)
                    except (asyncio.TimeoutError, ConnectionError):
                        continue
                    refused += data.startswith(b"HTTP/1.1 429")
                figures["idle_refused_429"] = refused
                await asyncio.sleep(args.seconds)
                stop.set()
                for task in pingers:
                    task.cancel()  # some may be stuck writing to a server that stopped reading
                await asyncio.gather(*pingers, return_exceptions=True)
                figures["server_fds_after"] = server.num_fds()
                figures["server_cpu_s_during"] = round((cpu_seconds(server) or 0) - (cpu0 or 0), 2)
                figures["log_bytes"] = stderr_path.stat().st_size
                figures["log_lines"] = len(stderr_path.read_text(errors="replace").splitlines())
                if args.show_log:
                    log(stderr_path.read_text(errors="replace")[-3000:])
                for _, writer in idle:
                    writer.close()
        finally:
            stop_process(proc, "parley-server", 10)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=1030)
    parser.add_argument("--pingers", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--samples", type=int, default=20, help="/healthz requests before and during")
    parser.add_argument("--show-log", action="store_true", help="print the end of the server's log")
    figures = asyncio.run(main(parser.parse_args()))
    for name, value in figures.items():
        log(f"{name:28} {fmt(value) if isinstance(value, float) else value}")
    print(json.dumps(figures))
