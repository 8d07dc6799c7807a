"""The store's one schema, for SQLite and PostgreSQL alike: versioned migrations.

``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``; append to it, never edit a
released step. Statements are written in SQLite's words and :func:`statements` says them in the
other dialect (``REAL`` is ``DOUBLE PRECISION``, an ``AUTOINCREMENT`` key an identity column);
a statement given as ``(dialect, sql)`` runs in that dialect only (e.g. a column SQLite has
built in, like ``rowid``).
"""

from __future__ import annotations

import re
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]
SQLITE: Dialect = "sqlite"
POSTGRESQL: Dialect = "postgresql"

Statement = str | tuple[Dialect, str]

MIGRATIONS: tuple[tuple[Statement, ...], ...] = (
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
    # 5 -> 6: several server nodes on one database (server/cluster.py): the nodes alive, which
    # node owns each live meeting (a lease it renews), which node sends each webhook delivery,
    # and the secrets every node must share (the join-token key, the API key).
    (
        """
        CREATE TABLE nodes (
            id            TEXT PRIMARY KEY,
            internal_url  TEXT NOT NULL,
            started_at    REAL NOT NULL,
            expires_at    REAL NOT NULL
        )
        """,
        """
        CREATE TABLE meeting_leases (
            meeting_id  TEXT PRIMARY KEY REFERENCES meetings(id) ON DELETE CASCADE,
            node_id     TEXT NOT NULL,
            expires_at  REAL NOT NULL
        )
        """,
        "CREATE INDEX leases_by_node ON meeting_leases(node_id)",
        "ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT",
        """
        CREATE TABLE shared_secrets (
            name   TEXT PRIMARY KEY,
            value  TEXT NOT NULL
        )
        """,
        # SQLite orders rows of equal time by its built-in rowid; PostgreSQL has none.
        (POSTGRESQL, "ALTER TABLE attendees ADD COLUMN seq BIGSERIAL"),
        (POSTGRESQL, "ALTER TABLE invites ADD COLUMN seq BIGSERIAL"),
        (POSTGRESQL, "ALTER TABLE webhooks ADD COLUMN seq BIGSERIAL"),
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

_POSTGRES_WORDS = (
    (re.compile(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
)


def statements(step: tuple[Statement, ...], dialect: Dialect) -> list[str]:
    """The SQL of one migration step in ``dialect``."""
    out = []
    for statement in step:
        if isinstance(statement, tuple):
            only, sql = statement
            if only != dialect:
                continue
        else:
            sql = statement
            if dialect == POSTGRESQL:
                for pattern, words in _POSTGRES_WORDS:
                    sql = pattern.sub(words, sql)
        out.append(sql)
    return out
