"""The store, SQLite and PostgreSQL alike: what a restarted server still knows."""

from __future__ import annotations

import dataclasses
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.store import SCHEMA_VERSION, AttendeeRecord, MeetingRecord, Store, StoreError
from server.store_open import open_store
from server.store_sqlite import SqliteStore

MEETING = MeetingRecord(
    id="m-1", call_type="default", settings={"limits": {"max_duration_seconds": 600}},
    created_at=100.0,
)


def attendee(id_: str, created_at: float, meeting_id: str = "m-1") -> AttendeeRecord:
    return AttendeeRecord(id=id_, meeting_id=meeting_id, user_id=f"u-{id_}", name=f"Name {id_}",
                          role="participant", created_at=created_at)


@pytest.fixture
def store(store_location: str, tmp_path: Path) -> Iterator[Store]:
    store = open_store(store_location, tmp_path / "unused.sqlite3")
    yield store
    store.close()


def test_meeting_round_trip(store: Store) -> None:
    store.create_meeting(MEETING)
    assert store.get_meeting("m-1") == MEETING
    assert store.get_meeting("m-2") is None


def test_update_replaces_mutable_fields(store: Store) -> None:
    store.create_meeting(MEETING)
    changed = dataclasses.replace(MEETING, settings={}, started_at=110.0, ended_at=170.5,
                                  end_reason="deleted")
    store.update_meeting(changed)
    assert store.get_meeting("m-1") == changed


def test_update_of_unknown_meeting_fails(store: Store) -> None:
    with pytest.raises(StoreError, match="no meeting 'm-1'"):
        store.update_meeting(MEETING)


def test_duplicate_meeting_fails(store: Store) -> None:
    store.create_meeting(MEETING)
    with pytest.raises(StoreError, match="already exists"):
        store.create_meeting(MEETING)


def test_attendees_listed_per_meeting_in_order(store: Store) -> None:
    store.create_meeting(MEETING)
    store.create_meeting(dataclasses.replace(MEETING, id="m-2"))
    for rec in (attendee("b", 5.0), attendee("a", 7.0), attendee("c", 6.0, "m-2")):
        store.add_attendee(rec)
    assert [a.id for a in store.list_attendees("m-1")] == ["b", "a"]
    assert store.get_attendee("c") == attendee("c", 6.0, "m-2")
    assert store.get_attendee("zz") is None
    assert store.list_attendees("m-3") == []


def test_attendee_of_unknown_meeting_fails(store: Store) -> None:
    with pytest.raises(StoreError, match="no meeting 'nope'"):
        store.add_attendee(attendee("a", 1.0, "nope"))


def test_file_store_persists_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "parley.sqlite3"
    store = SqliteStore(path)
    store.create_meeting(MEETING)
    store.add_attendee(attendee("a", 1.0))
    store.close()
    store.close()  # idempotent

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reopened = SqliteStore(path)
    try:
        assert reopened.get_meeting("m-1") == MEETING
        assert reopened.list_attendees("m-1") == [attendee("a", 1.0)]
        assert reopened.schema_version == SCHEMA_VERSION
    finally:
        reopened.close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "parley.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this server"):
        SqliteStore(path)


def test_a_removed_attendee_stays_removed(tmp_path) -> None:

    path = tmp_path / "parley.sqlite3"
    store = SqliteStore(path)
    store.create_meeting(MeetingRecord("m", "default", {}, 1.0))
    store.add_attendee(AttendeeRecord("a", "m", "u", "Ada", "participant", 1.0))
    store.mark_removed("a", 5.0)
    store.mark_removed("a", 9.0)  # the first removal stands
    store.close()
    assert SqliteStore(path).get_attendee("a").removed_at == 5.0


def test_a_database_of_an_older_version_is_migrated_with_its_data(tmp_path: Path) -> None:
    from server.store_schema import MIGRATIONS, SQLITE, statements

    path = tmp_path / "parley.sqlite3"
    db = sqlite3.connect(path)
    for version, step in enumerate(MIGRATIONS[:5], start=1):  # as the release before leases left it
        for statement in statements(step, SQLITE):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {version}")
    db.execute("INSERT INTO meetings VALUES ('m-1', 'default', '{}', 100.0, 110.0, NULL, NULL)")
    db.execute("INSERT INTO webhooks VALUES ('w', 'http://example.invalid/', '[\"*\"]', 's', 1.0)")
    db.execute("INSERT INTO webhook_deliveries (webhook_id, event_type, body, created_at) "
               "VALUES ('w', 'meeting.started', '{}', 110.0)")
    db.commit()
    db.close()
    store = SqliteStore(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert [m.id for m in store.live_meetings()] == ["m-1"]
        assert [d.event_type for d in store.claim_deliveries("local", 120.0, own=True)] == ["meeting.started"]
        assert store.claim_orphans("local", 120.0, 130.0) == ["m-1"]
    finally:
        store.close()
