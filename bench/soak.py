"""A soak: several meetings of light bots for minutes, with joins, leaves and dropped networks.

    python bench/soak.py [--meetings 4] [--bots 8] [--minutes 10] [--every 5]

Starts a server and ``--meetings`` x ``--bots`` light bots (separate processes, 160x90 video
at 10 fps and a tone). Each bot reaches the server's signalling through its own TCP relay in
this process, so its network can be cut. Every ``--every`` seconds one thing happens to a
random bot: it leaves and a new one takes its place, or its network is gone for 2-5 s (it must
come back by itself). Every 10 s the bench compares each meeting's participants (REST) with
who should be there, and samples the server's CPU and memory. At the end it prints dropped
participants (someone who should be there and is not, or a bot that ended other than by
leaving: target 0), the reconnect times, and CPU/memory over time. Loopback only; every
process is stopped by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from harness import REPO, Api, Relay, bot_command, bot_env, cpu_seconds, start_server, stop_process

from wire import EndReason


@dataclass
class SoakBot:
    name: str
    meeting: str
    relay: Relay
    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    report: dict | None = None


@dataclass
class Figures:
    samples: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)  # someone who should be there was not
    events: dict[str, int] = field(default_factory=lambda: {"replaced": 0, "outage": 0})


async def run(args: argparse.Namespace) -> dict:
    rng = random.Random(args.seed)
    key = secrets.token_urlsafe(16)
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="parley-bench-soak-") as tmp_name:
        tmp = Path(tmp_name)
        server, base, _ = start_server(tmp, key, timeout=30)
        port = int(base.rsplit(":", 1)[1])
        api = Api(base, key)
        env = bot_env()
        proc = psutil.Process(server.pid)
        meetings = [api.create_meeting() for _ in range(args.meetings)]
        bots: list[SoakBot] = []
        finished: list[SoakBot] = []
        counter = 0

        async def add_bot(meeting: str) -> SoakBot:
            nonlocal counter
            counter += 1
            name = f"Bot {counter}"
            _, url = api.add_attendee(meeting, f"bot-{counter}", name)
            relay = Relay(port)
            await relay.start()
            url = url.replace(f":{port}/", f":{relay.port}/")
            p = subprocess.Popen(
                bot_command(url, "--name", name, "--light", "--size", "160x90", "--fps", "10",
                            "--duration", str(args.minutes * 60 + 120), "--json"),
                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            bot = SoakBot(name, meeting, relay, p)
            bots.append(bot)
            return bot

        async def finish(bot: SoakBot) -> None:
            bots.remove(bot)
            await asyncio.to_thread(stop_process, bot.proc, bot.name, 15)
            out = bot.proc.stdout.read() if bot.proc.stdout else ""
            lines = [line for line in out.strip().splitlines() if line.startswith("{")]
            bot.report = json.loads(lines[-1]) if lines else {}
            await bot.relay.close()
            finished.append(bot)

        async def outage(bot: SoakBot, seconds: float) -> None:
            bot.relay.cut()
            await asyncio.sleep(seconds)
            bot.relay.restore()

        try:
            for meeting in meetings:
                for _ in range(args.bots):
                    await add_bot(meeting)
                    await asyncio.sleep(0.1)
            await asyncio.sleep(10)
            print(f"{len(bots)} bots in {args.meetings} meetings; soaking {args.minutes:g} minutes", flush=True)
            cpu0, t0 = cpu_seconds(proc), time.monotonic()
            start = t0
            end = t0 + args.minutes * 60
            next_sample = t0 + 10
            tasks: set[asyncio.Task] = set()
            while time.monotonic() < end:
                await asyncio.sleep(args.every)
                bot = rng.choice(bots)
                if rng.random() < 0.5:
                    figures.events["replaced"] += 1
                    await finish(bot)
                    await add_bot(bot.meeting)
                else:
                    figures.events["outage"] += 1
                    task = asyncio.ensure_future(outage(bot, rng.uniform(2, 5)))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if time.monotonic() >= next_sample:
                    next_sample += 10
                    cpu1, t1 = cpu_seconds(proc), time.monotonic()
                    figures.samples.append({"t_s": round(t1 - start), "cpu_pct": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
                                            "rss_mb": round(proc.memory_info().rss / 2**20, 1)})
                    cpu0, t0 = cpu1, t1
                    for meeting in meetings:  # who should be there, and is
                        there = {p["name"] for p in api.call("GET", f"/v1/meetings/{meeting}")["meeting"]["session"]["participants"]}
                        # a bot that just started may not be in yet: expect those started 10 s ago
                        expected = {b.name for b in bots if b.meeting == meeting and t1 - b.started >= 10}
                        for name in expected - there:
                            figures.missing.append({"t_s": figures.samples[-1]["t_s"], "meeting": meeting, "name": name})
            await asyncio.gather(*tasks)
            await asyncio.sleep(5)
            for bot in list(bots):
                await finish(bot)
        finally:
            for bot in bots:
                stop_process(bot.proc, bot.name, 5)
                await bot.relay.close()
            stop_process(server, "server", 10)

    reports = [b.report or {} for b in finished]
    ended_badly = [(b.name, (b.report or {}).get("end_reason")) for b in finished
                   if (b.report or {}).get("end_reason") != EndReason.LEFT]
    reconnect_ms = sorted(ms for r in reports for ms in r.get("reconnect_ms", []))
    return {
        "bench": "soak", "meetings": args.meetings, "bots_per_meeting": args.bots, "minutes": args.minutes,
        "events": figures.events, "bots_run": len(finished),
        "missing_samples": figures.missing, "ended_badly": ended_badly,
        "reconnects": sum(r.get("reconnects", 0) for r in reports),
        "reconnect_ms_p50": reconnect_ms[len(reconnect_ms) // 2] if reconnect_ms else None,
        "reconnect_ms_max": reconnect_ms[-1] if reconnect_ms else None,
        "server": figures.samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=4)
    parser.add_argument("--bots", type=int, default=8, help="per meeting")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between events")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    f = asyncio.run(run(args))
    cpu = [s["cpu_pct"] for s in f["server"]]
    rss = [s["rss_mb"] for s in f["server"]]
    print(f"events: {f['events']}; bots run: {f['bots_run']}")
    print(f"dropped participants: {len(f['missing_samples'])} missing in the 10 s checks, "
          f"{len(f['ended_badly'])} bots ended other than by leaving (target 0)")
    print(f"reconnects: {f['reconnects']}, drop to media p50 {f['reconnect_ms_p50']} ms, max {f['reconnect_ms_max']} ms")
    if cpu:
        print(f"server CPU % of a core: first {cpu[0]}, last {cpu[-1]}, max {max(cpu)}; "
              f"resident MB: first {rss[0]}, last {rss[-1]}, max {max(rss)}")
    print(json.dumps(f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
