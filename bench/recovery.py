"""How fast a meeting recovers: a network outage, and a server restart.

    python bench/recovery.py [--bots 3] [--outage 3] [--rounds 3]

Starts a server and N light bots (separate processes). The bots reach the server's signalling
through a TCP relay in this process, so the bench can cut their network: it closes every
relayed connection and refuses new ones for ``--outage`` seconds, then lets them through again.
Then it restarts the server (SIGTERM, and a new process on the same port and data dir). Each
bot reports ``reconnect_ms`` per comeback: from noticing the drop to media flowing again. The
bench prints, per event, how long after the network returned (outage) or after the new server
listened (restart) the bots had media again. Targets (issue 7): within 2 s after the network
returns, within 5 s after a server restart. Loopback only; every process is stopped by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forwarding import REPO, Api, start_server, stop_process  # noqa: E402


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


async def run(args: argparse.Namespace) -> dict:
    key = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="parley-bench-recovery-") as tmp_name:
        tmp = Path(tmp_name)
        server, base, _ = start_server(tmp, key, timeout=30)
        port = int(base.rsplit(":", 1)[1])
        relay = Relay(port)
        await relay.start()
        bots: list[subprocess.Popen] = []
        try:
            api = Api(base, key)
            meeting = api.call("POST", "/v1/meetings", {})["meeting"]["id"]
            stay = args.rounds * (args.outage + 8) + 40
            env = dict(os.environ, PYTHONPATH=str(REPO))
            for i in range(args.bots):
                body = {"user_id": f"bot-{i}", "name": f"Bot {i + 1}", "role": "participant"}
                url = api.call("POST", f"/v1/meetings/{meeting}/attendees", body)["join_url"]
                url = url.replace(f":{port}/", f":{relay.port}/")  # through the relay
                bots.append(subprocess.Popen(
                    [sys.executable, "-m", "desktop.bot", url, "--light", "--size", "320x180", "--fps", "15",
                     "--duration", str(stay), "--json"],
                    cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=(tmp / f"bot{i}.stderr").open("wb"), text=True))
            await asyncio.sleep(6)
            print(f"{args.bots} bots in; {args.rounds} network outages of {args.outage:.0f} s, then a server restart",
                  flush=True)
            events = []
            for _ in range(args.rounds):
                relay.cut()
                await asyncio.sleep(args.outage)
                relay.restore()
                events.append(("outage", args.outage))
                await asyncio.sleep(6)
            stop_process(server, "server", grace=10)
            stopped = time.monotonic()
            server, base, _ = start_server(tmp, key, timeout=30, port=port)
            listening = time.monotonic() - stopped  # the drop was noticed at the stop
            events.append(("restart", listening))
            await asyncio.sleep(8)
            reports = []
            for bot in bots:
                stop_process(bot, "bot", grace=15)  # SIGTERM: it leaves and prints its report
                out = bot.stdout.read() if bot.stdout else ""
                lines = [line for line in out.strip().splitlines() if line.startswith("{")]
                reports.append(json.loads(lines[-1]) if lines else {})
        finally:
            for bot in bots:
                stop_process(bot, "bot", grace=5)
            await relay.close()
            stop_process(server, "server", grace=10)

    rows = []
    for index, (kind, offset) in enumerate(events):
        # each bot's index-th comeback; minus the outage (or the time the server took to listen
        # again): how long after the way was open again media flowed
        took = [r["reconnect_ms"][index] for r in reports if len(r.get("reconnect_ms", [])) > index]
        after = [round(ms - offset * 1000.0) for ms in took]
        rows.append({"event": kind, "open_after_s": round(offset, 2), "reconnect_ms": took,
                     "media_after_open_ms": after})
    return {
        "bench": "recovery", "bots": args.bots, "outage_s": args.outage, "rounds": args.rounds,
        "reconnects": [r.get("reconnects") for r in reports],
        "end_reasons": [r.get("end_reason") for r in reports], "events": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=3)
    parser.add_argument("--outage", type=float, default=3.0, help="seconds the network is gone")
    parser.add_argument("--rounds", type=int, default=3, help="network outages before the restart")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args))
    for row in figures["events"]:
        what = (f"network back after {row['open_after_s']} s" if row["event"] == "outage"
                else f"server restart (listening again {row['open_after_s']} s after the stop)")
        print(f"{what}: media again {row['media_after_open_ms']} ms after the way was open "
              f"(drop to media: {row['reconnect_ms']} ms)")
    print(f"comebacks per bot {figures['reconnects']}; end reasons {figures['end_reasons']}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
