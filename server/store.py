"""What the server remembers across restarts: call types, meetings and their attendees,
webhooks and their deliveries, in SQLite.

Live media state (who is connected, which tracks flow) stays in memory and never comes here.
The schema is versioned with ``PRAGMA user_version``: ``_MIGRATIONS[i]`` takes a database from
version ``i`` to ``i + 1``; append to it, never edit a released step.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class MeetingRecord:
    id: str
    call_type: str
    #: The meeting's override of its call type's settings (server/meetings.py merges them).
    settings: dict[str, Any] = field(hash=False)
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class AttendeeRecord:
    id: str
    meeting_id: str
    user_id: str
    name: str
    role: str
    created_at: float
    #: a host removed this attendee: its token lets it in no more
    removed_at: float | None = None
    #: the invite link it joined through (None: added over REST)
    invite_id: str | None = None


@dataclass(frozen=True)
class InviteRecord:
    """An invite link: whoever joins with it becomes a new attendee of ``role``, until it
    expires or is revoked."""

    id: str
    meeting_id: str
    role: str
    created_at: float
    expires_at: float
    revoked_at: float | None = None


@dataclass(frozen=True)
class CallTypeRecord:
    name: str
    grants: dict[str, list[str]] = field(hash=False)
    settings: dict[str, Any] = field(hash=False)
    created_at: float = 0.0


@dataclass(frozen=True)
class WebhookRecord:
    id: str
    url: str
    events: list[str] = field(hash=False)
    secret: str
    created_at: float


@dataclass(frozen=True)
class DeliveryRecord:
    """One event for one webhook: what was sent, how often, and how it went."""

    id: int | None  # None until stored
    webhook_id: str
    event_type: str
    body: str  # the exact bytes signed and sent, as text
    created_at: float
    attempts: int = 0
    status: str = "pending"  # pending | delivered | failed
    last_error: str | None = None
    next_attempt_at: float | None = None
    delivered_at: float | None = None


@dataclass(frozen=True)
class ChatRecord:
    id: int | None  # None until stored
    meeting_id: str
    sender_id: str
    sender_name: str
    recipient_id: str | None  # None: to everyone
    text: str
    sent_at: float


class StoreError(Exception):
    """The store cannot do what was asked (unknown or duplicate id, newer schema)."""


_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 -> 1
    (
        """
        CREATE TABLE meetings (
            id          TEXT PRIMARY KEY,
            call_type   TEXT NOT NULL,
            settings    TEXT NOT NULL,
            created_at  REAL NOT NULL,
            started_at  REAL,
            ended_at    REAL,
            end_reason  TEXT
        )
        """,
        """
        CREATE TABLE attendees (
            id          TEXT PRIMARY KEY,
            meeting_id  TEXT NOT NULL REFERENCES meetings(id),
            user_id     TEXT NOT NULL,
            name        TEXT NOT NULL,
            role        TEXT NOT NULL,
            created_at  REAL NOT NULL
        )
        """,
        "CREATE INDEX attendees_by_meeting ON attendees(meeting_id, created_at)",
    ),
    # 1 -> 2: call types beyond the built-in one, webhooks and their deliveries
    (
        """
        CREATE TABLE call_types (
            name        TEXT PRIMARY KEY,
            grants      TEXT NOT NULL,
            settings    TEXT NOT NULL,
            created_at  REAL NOT NULL
        )
        """,
        """
        CREATE TABLE webhooks (
            id          TEXT PRIMARY KEY,
            url         TEXT NOT NULL,
            events      TEXT NOT NULL,
            secret      TEXT NOT NULL,
            created_at  REAL NOT NULL
        )
        """,
        """
        CREATE TABLE webhook_deliveries (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            webhook_id      TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
            event_type      TEXT NOT NULL,
            body            TEXT NOT NULL,
            created_at      REAL NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            status          TEXT NOT NULL DEFAULT 'pending',
            last_error      TEXT,
            next_attempt_at REAL,
            delivered_at    REAL
        )
        """,
        "CREATE INDEX deliveries_by_webhook ON webhook_deliveries(webhook_id, id)",
        "CREATE INDEX deliveries_pending ON webhook_deliveries(status, next_attempt_at)",
        "CREATE INDEX meetings_live ON meetings(ended_at, started_at)",
    ),
    # 2 -> 3: removed attendees stay removed across restarts
    ("ALTER TABLE attendees ADD COLUMN removed_at REAL",),
    # 3 -> 4: each meeting's chat
    (
        """
        CREATE TABLE chat_messages (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            meeting_id    TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            sender_id     TEXT NOT NULL,
            sender_name   TEXT NOT NULL,
            recipient_id  TEXT,
            text          TEXT NOT NULL,
            sent_at       REAL NOT NULL
        )
        """,
        "CREATE INDEX chat_by_meeting ON chat_messages(meeting_id, id)",
    ),
    # 4 -> 5: invite links, revocable, and which one each guest came through
    (
        """
        CREATE TABLE invites (
            id          TEXT PRIMARY KEY,
            meeting_id  TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            role        TEXT NOT NULL,
            created_at  REAL NOT NULL,
            expires_at  REAL NOT NULL,
            revoked_at  REAL
        )
        """,
        "CREATE INDEX invites_by_meeting ON invites(meeting_id, created_at)",
        "ALTER TABLE attendees ADD COLUMN invite_id TEXT",
    ),
)

SCHEMA_VERSION = len(_MIGRATIONS)

_MEETING_COLUMNS = "id, call_type, settings, created_at, started_at, ended_at, end_reason"
_ATTENDEE_COLUMNS = "id, meeting_id, user_id, name, role, created_at, removed_at, invite_id"
_INVITE_COLUMNS = "id, meeting_id, role, created_at, expires_at, revoked_at"
_CHAT_COLUMNS = "id, meeting_id, sender_id, sender_name, recipient_id, text, sent_at"
#: SQLite's largest integer (a larger one given to it is an OverflowError)
_MAX_ROWID = 2**63 - 1
_DELIVERY_COLUMNS = ("id, webhook_id, event_type, body, created_at, attempts, status, last_error, "
                     "next_attempt_at, delivered_at")


class Store:
    """Meetings and attendees in one SQLite file (or ``":memory:"``).

    Calls are synchronous and short; use the store from the thread that opened it.
    """

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        if self._path != ":memory:" and not os.path.exists(self._path):
            # Attendee names are personal data: keep the file (and its -wal, -shm) private.
            os.close(os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600))
        # isolation_level=None: no implicit transactions; migrations open their own.
        self._db = sqlite3.connect(self._path, isolation_level=None)
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            if self._path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except BaseException:
            self._db.close()
            raise
        self._closed = False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self._path} has schema version {version}, newer than this server "
                f"understands ({SCHEMA_VERSION}); upgrade parley-server"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _MIGRATIONS[target - 1]:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {target:d}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # --- meetings ---------------------------------------------------------------------------

    def create_meeting(self, rec: MeetingRecord) -> None:
        try:
            self._db.execute(
                f"INSERT INTO meetings ({_MEETING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (rec.id, rec.call_type, json.dumps(rec.settings), rec.created_at,
                 rec.started_at, rec.ended_at, rec.end_reason),
            )
        except sqlite3.IntegrityError:
            raise StoreError(f"meeting {rec.id!r} already exists") from None

    def get_meeting(self, meeting_id: str) -> MeetingRecord | None:
        row = self._db.execute(
            f"SELECT {_MEETING_COLUMNS} FROM meetings WHERE id = ?", (meeting_id,)
        ).fetchone()
        if row is None:
            return None
        id_, call_type, settings, created_at, started_at, ended_at, end_reason = row
        return MeetingRecord(id_, call_type, json.loads(settings), created_at,
                             started_at, ended_at, end_reason)

    def live_meetings(self) -> list[MeetingRecord]:
        """Meetings whose session started and that have not ended (the auto-end rules' work)."""
        rows = self._db.execute(
            f"SELECT {_MEETING_COLUMNS} FROM meetings WHERE ended_at IS NULL AND started_at IS NOT NULL"
        ).fetchall()
        return [MeetingRecord(r[0], r[1], json.loads(r[2]), *r[3:]) for r in rows]

    def update_meeting(self, rec: MeetingRecord) -> None:
        """Replace what may change about a meeting: settings and the session's times."""
        cursor = self._db.execute(
            "UPDATE meetings SET settings = ?, started_at = ?, ended_at = ?, end_reason = ? "
            "WHERE id = ?",
            (json.dumps(rec.settings), rec.started_at, rec.ended_at, rec.end_reason, rec.id),
        )
        if cursor.rowcount != 1:
            raise StoreError(f"no meeting {rec.id!r} to update")

    # --- attendees --------------------------------------------------------------------------

    def add_attendee(self, rec: AttendeeRecord) -> None:
        try:
            self._db.execute(
                f"INSERT INTO attendees ({_ATTENDEE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.id, rec.meeting_id, rec.user_id, rec.name, rec.role, rec.created_at, rec.removed_at,
                 rec.invite_id),
            )
        except sqlite3.IntegrityError:
            if self.get_meeting(rec.meeting_id) is None:
                raise StoreError(f"no meeting {rec.meeting_id!r} for attendee {rec.id!r}") from None
            raise StoreError(f"attendee {rec.id!r} already exists") from None

    def get_attendee(self, attendee_id: str) -> AttendeeRecord | None:
        row = self._db.execute(
            f"SELECT {_ATTENDEE_COLUMNS} FROM attendees WHERE id = ?", (attendee_id,)
        ).fetchone()
        return None if row is None else AttendeeRecord(*row)

    def mark_removed(self, attendee_id: str, at: float) -> None:
        self._db.execute("UPDATE attendees SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
                         (at, attendee_id))

    # --- invites --------------------------------------------------------------------------------

    def add_invite(self, rec: InviteRecord) -> None:
        try:
            self._db.execute(
                f"INSERT INTO invites ({_INVITE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (rec.id, rec.meeting_id, rec.role, rec.created_at, rec.expires_at, rec.revoked_at),
            )
        except sqlite3.IntegrityError:
            raise StoreError(f"invite {rec.id!r} already exists, or no meeting {rec.meeting_id!r}") from None

    def get_invite(self, invite_id: str) -> InviteRecord | None:
        row = self._db.execute(f"SELECT {_INVITE_COLUMNS} FROM invites WHERE id = ?", (invite_id,)).fetchone()
        return None if row is None else InviteRecord(*row)

    def list_invites(self, meeting_id: str) -> list[InviteRecord]:
        rows = self._db.execute(
            f"SELECT {_INVITE_COLUMNS} FROM invites WHERE meeting_id = ? ORDER BY created_at, rowid",
            (meeting_id,),
        ).fetchall()
        return [InviteRecord(*row) for row in rows]

    def revoke_invite(self, invite_id: str, at: float) -> None:
        self._db.execute("UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                         (at, invite_id))

    def list_attendees(self, meeting_id: str) -> list[AttendeeRecord]:
        rows = self._db.execute(
            f"SELECT {_ATTENDEE_COLUMNS} FROM attendees WHERE meeting_id = ? "
            "ORDER BY created_at, rowid",
            (meeting_id,),
        ).fetchall()
        return [AttendeeRecord(*row) for row in rows]

    # --- call types ----------------------------------------------------------------------------

    def save_call_type(self, rec: CallTypeRecord) -> None:
        """Create or replace the call type ``rec.name``."""
        self._db.execute(
            "INSERT INTO call_types (name, grants, settings, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET grants = excluded.grants, settings = excluded.settings",
            (rec.name, json.dumps(rec.grants), json.dumps(rec.settings), rec.created_at),
        )

    def get_call_type(self, name: str) -> CallTypeRecord | None:
        row = self._db.execute(
            "SELECT name, grants, settings, created_at FROM call_types WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        return CallTypeRecord(row[0], json.loads(row[1]), json.loads(row[2]), row[3])

    def list_call_types(self) -> list[CallTypeRecord]:
        rows = self._db.execute(
            "SELECT name, grants, settings, created_at FROM call_types ORDER BY name"
        ).fetchall()
        return [CallTypeRecord(r[0], json.loads(r[1]), json.loads(r[2]), r[3]) for r in rows]

    # --- webhooks ------------------------------------------------------------------------------

    def add_webhook(self, rec: WebhookRecord) -> None:
        try:
            self._db.execute(
                "INSERT INTO webhooks (id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                (rec.id, rec.url, json.dumps(rec.events), rec.secret, rec.created_at),
            )
        except sqlite3.IntegrityError:
            raise StoreError(f"webhook {rec.id!r} already exists") from None

    def get_webhook(self, webhook_id: str) -> WebhookRecord | None:
        row = self._db.execute(
            "SELECT id, url, events, secret, created_at FROM webhooks WHERE id = ?", (webhook_id,)
        ).fetchone()
        return None if row is None else WebhookRecord(row[0], row[1], json.loads(row[2]), row[3], row[4])

    def list_webhooks(self) -> list[WebhookRecord]:
        rows = self._db.execute(
            "SELECT id, url, events, secret, created_at FROM webhooks ORDER BY created_at, rowid"
        ).fetchall()
        return [WebhookRecord(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in rows]

    def delete_webhook(self, webhook_id: str) -> bool:
        """Remove the webhook and its deliveries; False if there was none."""
        cursor = self._db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,))
        return cursor.rowcount == 1

    def add_delivery(self, rec: DeliveryRecord) -> DeliveryRecord:
        cursor = self._db.execute(
            "INSERT INTO webhook_deliveries (webhook_id, event_type, body, created_at, attempts, status, "
            "last_error, next_attempt_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rec.webhook_id, rec.event_type, rec.body, rec.created_at, rec.attempts, rec.status,
             rec.last_error, rec.next_attempt_at, rec.delivered_at),
        )
        return DeliveryRecord(cursor.lastrowid, *[getattr(rec, f) for f in (
            "webhook_id", "event_type", "body", "created_at", "attempts", "status", "last_error",
            "next_attempt_at", "delivered_at")])

    def update_delivery(self, rec: DeliveryRecord) -> None:
        self._db.execute(
            "UPDATE webhook_deliveries SET attempts = ?, status = ?, last_error = ?, next_attempt_at = ?, "
            "delivered_at = ? WHERE id = ?",
            (rec.attempts, rec.status, rec.last_error, rec.next_attempt_at, rec.delivered_at, rec.id),
        )

    def list_deliveries(self, webhook_id: str, limit: int = 50) -> list[DeliveryRecord]:
        """The webhook's latest deliveries, newest first."""
        rows = self._db.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
            (webhook_id, limit),
        ).fetchall()
        return [DeliveryRecord(*row) for row in rows]

    def pending_deliveries(self) -> list[DeliveryRecord]:
        """Deliveries still to be tried (after a restart: they go on where they were)."""
        rows = self._db.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status = 'pending' ORDER BY id"
        ).fetchall()
        return [DeliveryRecord(*row) for row in rows]

    # --- chat ----------------------------------------------------------------------------------

    def add_chat(self, rec: ChatRecord) -> ChatRecord:
        cursor = self._db.execute(
            "INSERT INTO chat_messages (meeting_id, sender_id, sender_name, recipient_id, text, sent_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (rec.meeting_id, rec.sender_id, rec.sender_name, rec.recipient_id, rec.text, rec.sent_at),
        )
        return ChatRecord(cursor.lastrowid, rec.meeting_id, rec.sender_id, rec.sender_name, rec.recipient_id,
                          rec.text, rec.sent_at)

    def chat_page(self, meeting_id: str, attendee_id: str, before: int | None, limit: int) -> list[ChatRecord]:
        """The latest ``limit`` messages of the meeting sent before message ``before`` (None:
        the latest of all) that ``attendee_id`` may read (to everyone, or privately to or from
        it), newest first."""
        rows = self._db.execute(
            f"SELECT {_CHAT_COLUMNS} FROM chat_messages "
            "WHERE meeting_id = ? AND id < ? AND (recipient_id IS NULL OR recipient_id = ? OR sender_id = ?) "
            "ORDER BY id DESC LIMIT ?",
            (meeting_id, min(before, _MAX_ROWID) if before is not None else _MAX_ROWID, attendee_id, attendee_id,
             limit),
        ).fetchall()
        return [ChatRecord(*row) for row in rows]

    def purge_chat(self, ended_before: float) -> int:
        """Forget the chat of every meeting that ended at or before ``ended_before``; returns
        how many messages went."""
        cursor = self._db.execute(
            "DELETE FROM chat_messages WHERE meeting_id IN "
            "(SELECT id FROM meetings WHERE ended_at IS NOT NULL AND ended_at <= ?)",
            (ended_before,),
        )
        return cursor.rowcount
