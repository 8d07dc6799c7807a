"""The store under a meeting's writes, SQLite beside PostgreSQL, and the meeting-rules tick.

    python bench/store.py [--joins 300] [--chats 1000] [--meetings 50] [--ticks 200] [--postgres URL]

For each store (a SQLite file in a temporary dir; PostgreSQL at ``--postgres``, else a
throwaway cluster started from Debian's binaries as the tests do, on a unix socket):

* join: what the server does with the store when someone joins — check the token's attendee and
  the meeting (``MeetingService.authenticate``), take the meeting's lease (``Cluster.place``),
  start the session (``mark_started``) — per join, over ``--joins`` attendees;
* chat: one stored chat message (``Store.add_chat``), over ``--chats`` messages;
* tick: one meeting-rules check (``Lifecycle.check``: adopt orphans, the rules over
  ``--meetings`` live meetings with a timer), over ``--ticks`` ticks;
* tick, settings re-validated: the same as it was before this was fixed — every meeting's
  settings merged and validated on every tick (``MeetingService.limits`` without its cache),
  with ``wire.codec`` resolving the settings classes' annotations on each call
  (``typing.get_type_hints``, before they were cached per class).

Each figure is the mean wall time per operation on this machine, whatever else runs on it:
compare the stores within one run. One JSON line follows the human-readable ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tests/pg_cluster.py: the throwaway cluster

from server.clock import ManualClock  # noqa: E402
from server.cluster import Cluster  # noqa: E402
from server.config import ServerConfig  # noqa: E402
from server.lifecycle import Lifecycle  # noqa: E402
from server.meetings import MeetingService, parse_settings  # noqa: E402
from server.rooms.registry import RoomRegistry  # noqa: E402
from server.store import ChatRecord, Store  # noqa: E402
from server.store_open import open_store  # noqa: E402
from server.tokens import TokenSigner  # noqa: E402
from wire import codec  # noqa: E402


def per_op(action, count: int) -> float:
    """Mean milliseconds per call of ``action(i)`` over ``count`` calls."""
    start = time.perf_counter()
    for i in range(count):
        action(i)
    return (time.perf_counter() - start) / count * 1000


async def measure(store: Store, args: argparse.Namespace, data_dir: Path) -> dict[str, float]:
    clock = ManualClock()
    config = ServerConfig(data_dir=data_dir)
    meetings = MeetingService(store, clock, TokenSigner(b"k" * 32, clock), config)
    cluster = Cluster(store, clock, "bench", lease_seconds=10)
    rooms = RoomRegistry(meetings, config, None)  # no media: no room is ever made here
    lifecycle = Lifecycle(meetings, rooms, config, cluster)
    figures: dict[str, float] = {}

    meeting = meetings.create_meeting()
    tokens = [meetings.add_attendee(meeting.id, f"u{i}", f"Person {i}", "participant")[1] for i in range(args.joins)]

    def join(i: int) -> None:
        record, _attendee = meetings.authenticate(meeting.id, tokens[i])
        cluster.place(record.id)
        meetings.mark_started(record.id)

    figures["join_ms"] = per_op(join, args.joins)
    figures["chat_ms"] = per_op(lambda i: store.add_chat(ChatRecord(
        None, meeting.id, "a", "Ada", None, f"message {i}", clock.now())), args.chats)

    meetings.end(meeting.id, "deleted")
    for _ in range(args.meetings):
        live = meetings.create_meeting(settings_override={"limits": {"max_duration_seconds": 3600}})
        meetings.mark_started(live.id)
    await lifecycle.check()  # takes the leases
    start = time.perf_counter()
    for _ in range(args.ticks):
        await lifecycle.check()
    figures["tick_ms"] = (time.perf_counter() - start) / args.ticks * 1000

    # as before: every meeting's settings merged and validated on every tick, each validation
    # resolving the settings classes' annotations again
    cached = codec._shape
    codec._shape = cached.__wrapped__
    meetings.limits = lambda meeting: parse_settings(meetings.effective_settings(meeting)).limits
    try:
        start = time.perf_counter()
        for _ in range(args.ticks):
            await lifecycle.check()
        figures["tick_revalidating_ms"] = (time.perf_counter() - start) / args.ticks * 1000
    finally:
        codec._shape = cached
        del meetings.limits
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joins", type=int, default=300)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--meetings", type=int, default=50)
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--postgres", default=None, metavar="URL",
                        help="an empty PostgreSQL database (default: a throwaway cluster)")
    args = parser.parse_args()

    results: dict[str, dict[str, float]] = {}
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = open_store(str(Path(tmp) / "bench.sqlite3"), Path(tmp) / "unused")
        try:
            results["sqlite"] = await measure(sqlite, args, Path(tmp))
        finally:
            sqlite.close()
        url = args.postgres
        if url is None:
            from pg_cluster import PostgresCluster, find_binaries

            bin_dir = find_binaries()
            if bin_dir is None:
                print("PostgreSQL is not installed: SQLite only (apt-get install postgresql)")
            else:
                cluster = PostgresCluster(bin_dir)
                cluster.start()
                url = cluster.url
        try:
            if url is not None:
                pg = open_store(url, Path(tmp) / "unused")
                try:
                    results["postgresql"] = await measure(pg, args, Path(tmp))
                finally:
                    pg.close()
        finally:
            if cluster is not None:
                cluster.stop()

    for name, figures in results.items():
        print(f"{name:>10}: join {figures['join_ms']:.3f} ms, chat message {figures['chat_ms']:.3f} ms, "
              f"tick over {args.meetings} meetings {figures['tick_ms']:.3f} ms "
              f"(re-validating settings as before: {figures['tick_revalidating_ms']:.3f} ms)")
    print(json.dumps({"args": vars(args), "results": results}))


if __name__ == "__main__":
    asyncio.run(main())
