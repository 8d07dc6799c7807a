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
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import REPO, Api, Relay, bot_command, bot_env, start_server, stop_process


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
            meeting = api.create_meeting()
            stay = args.rounds * (args.outage + 8) + 40
            env = bot_env()
            for i in range(args.bots):
                _, url = api.add_attendee(meeting, f"bot-{i}", f"Bot {i + 1}")
                url = url.replace(f":{port}/", f":{relay.port}/")  # through the relay
                bots.append(subprocess.Popen(
                    bot_command(url, "--light", "--size", "320x180", "--fps", "15", "--duration", str(stay), "--json"),
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
