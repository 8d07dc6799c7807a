"""What several server nodes sharing one store rely on: the lease of each live meeting, ends
and starts that happen once, webhook deliveries claimed by one node, shared secrets. Every test
runs on SQLite and on PostgreSQL; the ones with two nodes at once need PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import psycopg
import pytest

from server.clock import ManualClock
from server.cluster import Cluster
from server.store import ChatRecord, DeliveryRecord, InviteRecord, MeetingRecord, Store, StoreError, WebhookRecord
from server.store_open import open_store
from server.store_postgres import PostgresStore
from server.store_schema import SCHEMA_VERSION
from wire import ErrorCode, ProtocolError

T0 = 1_800_000_000.0
LIVE = MeetingRecord("m", "default", {}, T0, started_at=T0)


@pytest.fixture
def store(store_location: str, tmp_path: Path):
    store = open_store(store_location, tmp_path / "unused.sqlite3")
    yield store
    store.close()


def test_a_meeting_starts_and_ends_once(store: Store) -> None:
    store.create_meeting(dataclasses.replace(LIVE, started_at=None))
    assert store.start_meeting("m", T0 + 1)
    assert not store.start_meeting("m", T0 + 2)
    assert store.end_meeting("m", T0 + 3, "deleted")
    assert not store.end_meeting("m", T0 + 4, "ended_by_host")
    meeting = store.get_meeting("m")
    assert (meeting.started_at, meeting.ended_at, meeting.end_reason) == (T0 + 1, T0 + 3, "deleted")
    assert not store.set_meeting_settings("m", {"limits": {}})  # an ended meeting's settings stay
    assert store.get_meeting("m").settings == {}


def test_a_lease_is_one_nodes_until_it_runs_out(store: Store) -> None:
    store.create_meeting(LIVE)
    assert store.claim_meeting("m", "a", T0, T0 + 10) == "a"
    assert store.claim_meeting("m", "b", T0 + 5, T0 + 15) == "a"
    assert store.lease_holder("m", T0 + 10) == "a"
    assert store.claim_meeting("m", "b", T0 + 10.5, T0 + 20) == "b"  # a's ran out
    assert store.lease_holder("m", T0 + 11) == "b"
    # the auto-end rules of a node that lost the lease end nothing; the holder's do
    assert not store.end_meeting("m", T0 + 12, "timer_expired", holder="a")
    assert store.end_meeting("m", T0 + 12, "timer_expired", holder="b")
    assert store.lease_holder("m", T0 + 12) is None  # the lease went with the meeting


def test_orphans_are_taken_once_and_renewed_by_the_heartbeat(store: Store) -> None:
    store.create_meeting(LIVE)
    store.create_meeting(MeetingRecord("booked", "default", {}, T0))  # never started: nobody's
    store.register_node("a", "http://a", T0, T0 + 10)
    assert store.claim_orphans("a", T0, T0 + 10) == ["m"]
    assert store.claim_orphans("b", T0 + 1, T0 + 11) == []
    assert store.renew_node("a", T0 + 20) == {"m"}
    assert store.claim_orphans("b", T0 + 15, T0 + 25) == []  # renewed: still a's
    assert store.claim_orphans("b", T0 + 21, T0 + 31) == ["m"]  # a stopped beating
    assert store.renew_node("a", T0 + 40) == set()  # a finds it lost the meeting
    assert store.renew_node("nobody", T0 + 40) is None
    assert store.node_url("a", T0 + 39) == "http://a"
    store.leave("a")
    assert store.node_url("a", T0 + 39) is None


def test_deliveries_are_claimed_by_one_node(store: Store) -> None:
    store.add_webhook(WebhookRecord("w", "http://example.invalid/", ["*"], "s", T0))
    mine = store.add_delivery(DeliveryRecord(None, "w", "meeting.ended", "{}", T0), claimed_by="a")
    loose = store.add_delivery(DeliveryRecord(None, "w", "meeting.ended", "{}", T0))
    store.register_node("a", "http://a", T0, T0 + 10)
    store.register_node("b", "http://b", T0, T0 + 20)
    assert [d.id for d in store.claim_deliveries("b", T0 + 1)] == [loose.id]  # a lives: its own stay its
    assert store.claim_deliveries("b", T0 + 2) == []
    assert [d.id for d in store.claim_deliveries("a", T0 + 3, own=True)] == [mine.id]  # a restarted
    assert [d.id for d in store.claim_deliveries("b", T0 + 11)] == [mine.id]  # a died
    store.update_delivery(dataclasses.replace(mine, status="delivered", attempts=1))
    assert store.claim_deliveries("c", T0 + 30) == [loose]  # b died too; delivered ones stay
    assert [d.id for d in store.pending_deliveries()] == [loose.id]


def test_rows_of_the_same_time_keep_their_order(store: Store) -> None:
    store.create_meeting(LIVE)
    for name in ("zed", "amy", "kim"):
        store.add_invite(InviteRecord(name, "m", "participant", T0, T0 + 60))
        store.add_webhook(WebhookRecord(name, "http://example.invalid/", ["*"], "s", T0))
    assert [i.id for i in store.list_invites("m")] == ["zed", "amy", "kim"]
    assert [w.id for w in store.list_webhooks()] == ["zed", "amy", "kim"]
    first = store.add_chat(ChatRecord(None, "m", "a", "Ada", None, "hello", T0))
    second = store.add_chat(ChatRecord(None, "m", "b", "Bob", "a", "psst", T0))
    assert second.id > first.id
    assert store.chat_page("m", "c", None, 10) == [first]  # not Bob's private word to Ada
    assert store.chat_page("m", "a", None, 10) == [second, first]
    assert store.chat_page("m", "a", 2**70, 1) == [second]


def test_a_shared_secret_is_the_first_nodes(store: Store) -> None:
    assert store.shared_secret("api_key", lambda: "first") == "first"
    assert store.shared_secret("api_key", lambda: "second") == "first"


async def test_a_join_runs_where_the_lease_is(store: Store) -> None:
    clock = ManualClock(T0)
    store.create_meeting(LIVE)
    here = Cluster(store, clock, "a", lease_seconds=10)
    there = Cluster(store, clock, "b", lease_seconds=10)
    here.start("http://a.internal:8750")
    there.start("http://b.internal:8750")
    try:
        assert here.place("m") is None and here.holds("m")
        assert there.place("m") == "http://a.internal:8750"  # relayed to a
        assert there.owner_url("m") == "http://a.internal:8750" and here.owner_url("m") is None
        clock.advance(11)  # a stalls: its lease and its heartbeat run out, and b takes over
        assert there.place("m") is None and there.holds("m")
        # b's lease still counts but b stopped beating (it is stopping, or died): come back later
        store.register_node("b", "http://b.internal:8750", T0, clock.now() - 1)
        with pytest.raises(ProtocolError) as refused:
            here.place("m")
        assert refused.value.code == ErrorCode.SERVER_RESTARTING
    finally:
        await there.close()
        await here.close()


async def test_a_node_that_lost_a_lease_hands_its_people_over(store: Store) -> None:
    clock = ManualClock(T0)
    store.create_meeting(LIVE)
    lost: list[set[str]] = []
    here = Cluster(store, clock, "a", lease_seconds=10)

    async def on_lost(ids: set[str]) -> None:
        lost.append(ids)

    here.on_lost = on_lost
    here.start("http://a.internal:8750")
    try:
        assert here.adopt_orphans() == ["m"]
        await here.heartbeat()
        assert lost == []
        clock.advance(30)  # a stalled; b takes the meeting over
        assert store.claim_meeting("m", "b", clock.now(), clock.now() + 10) == "b"
        await here.heartbeat()
        assert lost == [{"m"}] and not here.holds("m")
    finally:
        await here.close()


# --- two nodes on one PostgreSQL database --------------------------------------------------------


def test_nodes_starting_together_migrate_once(postgres_url: str) -> None:
    stores: list[Store] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(postgres_url))
        except BaseException as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == [] and len(stores) == 3
        assert {s.schema_version for s in stores} == {SCHEMA_VERSION}
        count = stores[0]._rows("SELECT count(*) FROM parley_schema")[0][0]
        assert count == stores[0].schema_version
    finally:
        for s in stores:
            s.close()


def test_two_nodes_never_claim_the_same_delivery_or_end_a_meeting_twice(postgres_url: str) -> None:
    a, b = PostgresStore(postgres_url), PostgresStore(postgres_url)
    try:
        a.create_meeting(LIVE)
        a.add_webhook(WebhookRecord("w", "http://example.invalid/", ["*"], "s", T0))
        ids = [a.add_delivery(DeliveryRecord(None, "w", "e", "{}", T0)).id for _ in range(20)]
        a.register_node("a", "http://a", T0, T0 + 10)
        b.register_node("b", "http://b", T0, T0 + 10)
        with a.transaction():  # a's claim is not committed yet: b skips its rows, never waits
            claimed_by_a = [d.id for d in a.claim_deliveries("a", T0)]
            assert b.claim_deliveries("b", T0) == []
        assert claimed_by_a == ids
        assert b.claim_deliveries("b", T0 + 1) == []  # a lives: they are a's to send
        assert [d.id for d in b.claim_deliveries("b", T0 + 11)] == ids  # a died: b sends them
        assert [a.end_meeting("m", T0 + 1, "deleted"), b.end_meeting("m", T0 + 1, "deleted")] == [True, False]
    finally:
        a.close()
        b.close()


def test_an_unreachable_database_is_one_sentence_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://parley:hunter2@/parley?host={tmp_path}"  # no server listens there
    with pytest.raises(StoreError) as refused:
        PostgresStore(url)
    assert "cannot connect to PostgreSQL at postgresql://parley:***@/parley" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_connection_that_broke_is_made_again(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    try:
        store.create_meeting(LIVE)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'parley-server' AND pid <> pg_backend_pid()")
        with pytest.raises(psycopg.OperationalError):
            store.get_meeting("m")  # the call that meets the break fails...
        assert store.get_meeting("m") == LIVE  # ... and the next one connects again
    finally:
        store.close()


def test_call_types_changed_elsewhere_are_noticed_once(store: Store) -> None:
    from server.cluster import CallTypeWatch
    from server.store import CallTypeRecord

    refreshed: list[str] = []
    store.save_call_type(CallTypeRecord("webinar", {"host": ["join-call"]}, {}, T0))
    watch = CallTypeWatch(store, refreshed.append)
    watch()
    assert refreshed == []  # as it was when the node started
    store.save_call_type(CallTypeRecord("webinar", {"host": ["join-call", "send-audio"]}, {}, T0))  # another node
    store.save_call_type(CallTypeRecord("class", {"teacher": ["join-call"]}, {}, T0))
    watch()
    watch()
    assert sorted(refreshed) == ["class", "webinar"]
