"""How long one PostgreSQL store call holds the event loop (server/store_postgres.py is
synchronous psycopg: the loop, and all media and signalling on it, waits for every round trip).

    python bench/pg_blocking.py [--calls 500] [--postgres URL]

Without ``--postgres`` it starts two throwaway clusters from Debian's binaries on a unix socket
(as the tests do, tests/pg_cluster.py): one as the tests run it (``fsync``, ``synchronous_commit``
off) and one with PostgreSQL's defaults (a commit waits for its WAL to reach the disk), which is
what an operator's database does. For each it times, call by call on the event loop:

* a read: ``get_meeting`` (one SELECT);
* a lease: ``claim_meeting`` (a transaction: an INSERT ... ON CONFLICT, a SELECT);
* a write: ``add_chat`` (one INSERT ... RETURNING);
* the heartbeat: ``renew_node`` (a transaction of two UPDATEs);

and the event loop's lag as a 5 ms ticker sees it (how late its wake-ups come), first for 2 s
with the loop idle (the machine's own share), then while the calls run one after another
(yielding between calls). Figures: p50 / p99 / max milliseconds. One JSON line follows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tests/pg_cluster.py: the throwaway cluster

from server.store import ChatRecord, MeetingRecord  # noqa: E402
from server.store_postgres import PostgresStore  # noqa: E402


def quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered), 3),
            "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
            "max": round(ordered[-1], 3)}


async def measure(url: str, calls: int) -> dict[str, dict[str, float]]:
    store = PostgresStore(url)
    try:
        now = time.time()
        store.register_node("bench", "http://127.0.0.1:1", now, now + 3600)
        for i in range(calls):
            store.create_meeting(MeetingRecord(f"m{i}", "default", {}, now, now))
        operations = {
            "read (get_meeting)": lambda i: store.get_meeting(f"m{i}"),
            "lease (claim_meeting)": lambda i: store.claim_meeting(f"m{i}", "bench", now, now + 3600),
            "write (add_chat)": lambda i: store.add_chat(ChatRecord(None, "m0", "a", "Ada", None, f"text {i}", now)),
            "heartbeat (renew_node)": lambda i: store.renew_node("bench", now + 3600 + i),
        }
        figures: dict[str, dict[str, float]] = {}
        lags: list[float] = []
        loop = asyncio.get_running_loop()
        done = asyncio.Event()

        async def ticker() -> None:
            while not done.is_set():
                due = loop.time() + 0.005
                await asyncio.sleep(0.005)
                lags.append((loop.time() - due) * 1000)

        probe = loop.create_task(ticker())  # the machine's own lag first: the loop idle
        await asyncio.sleep(2.0)
        figures["loop lag, idle"] = quantiles(lags)
        lags.clear()
        for name, operation in operations.items():
            samples = []
            for i in range(calls):
                start = time.perf_counter()
                operation(i)
                samples.append((time.perf_counter() - start) * 1000)
                await asyncio.sleep(0)  # the ticker gets its turn between calls, as other work would
            figures[name] = quantiles(samples)
        done.set()
        await probe
        figures["loop lag, during the calls"] = quantiles(lags)
        return figures
    finally:
        store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--postgres", default=None, metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    if args.postgres:
        results["given"] = await measure(args.postgres, args.calls)
    else:
        from pg_cluster import PostgresCluster, find_binaries

        bin_dir = find_binaries()
        if bin_dir is None:
            sys.exit("PostgreSQL is not installed (apt-get install postgresql), and no --postgres given")
        for mode in ("as the tests (fsync off)", "durable (PostgreSQL's defaults)"):
            cluster = PostgresCluster(bin_dir)
            try:
                if mode.startswith("durable"):
                    start_durable(cluster)
                else:
                    cluster.start()
                url, _ = cluster.fresh_url()
                results[mode] = await measure(url, args.calls)
            finally:
                cluster.stop()
    for mode, figures in results.items():
        print(mode)
        for name, q in figures.items():
            print(f"  {name:26s} p50 {q['p50']:7.3f} ms   p99 {q['p99']:7.3f} ms   max {q['max']:7.3f} ms")
    print(json.dumps(results))


def start_durable(cluster) -> None:
    """``PostgresCluster.start`` with fsync and synchronous commits on (the defaults)."""
    cluster._run(str(cluster.bin_dir / "initdb"), "-D", str(cluster.data), "-U", "parley", "--auth=trust",
                 "--encoding=UTF8")
    cluster._run(str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.data), "-l", str(cluster.dir / "log"), "-w",
                 "-t", "60", "-o", f"-k {cluster.dir} -c listen_addresses=''", "start")
    cluster._started = True


if __name__ == "__main__":
    asyncio.run(main())
