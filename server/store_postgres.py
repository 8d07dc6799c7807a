"""The store in PostgreSQL (psycopg 3): several server nodes share one database.

Statements run in autocommit, each on its own, unless a ``transaction()`` groups them. The
schema version is the one row of ``parley_schema``; a node that migrates holds an advisory lock
meanwhile, so nodes starting together migrate once. A connection that breaks (a database
restart, a network cut) fails the call that met it, and the next call connects again.

The calls are synchronous, like SQLite's: each is one round trip on the event loop's thread,
a fraction of a millisecond to a database on the same network (bench/pg_blocking.py: 0.1-0.4 ms
a statement on a local socket, the heartbeat 1.5 ms for 500 leases). So a database that is down
costs a node at most one connect timeout every ``RECONNECT_PAUSE_SECONDS`` (calls fail at once
in between), and one that stops answering mid-call holds the node until TCP keepalives find
the connection dead: keep the database on a reliable network near the nodes.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from .store import Store, StoreError
from .store_schema import MIGRATIONS, POSTGRESQL, SCHEMA_VERSION, statements

#: Any number, the same on every node: the lock held while one node migrates.
_MIGRATION_LOCK = 0x7061726C6579  # "parley"
CONNECT_TIMEOUT_SECONDS = 3
#: After a failed connection, calls fail at once for this long instead of each waiting for
#: the connect timeout (the calls are on the event loop: media would stall meanwhile).
RECONNECT_PAUSE_SECONDS = 2.0
#: TCP keepalives: a connection whose database vanished (no reset) is found dead in ~10 s.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2}


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class PostgresStore(Store):
    """The store in the PostgreSQL database at ``url`` (``postgresql://USER:PASS@HOST/DB``)."""

    shared = True
    dialect = POSTGRESQL
    _integrity_errors = (psycopg.errors.IntegrityError,)

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._conn: psycopg.Connection[Any] | None = None
        self._closed = False
        self._retry_at = 0.0
        self._connect()
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    @property
    def location(self) -> str:
        return redact(self._url)

    def _connect(self) -> psycopg.Connection[Any]:
        if time.monotonic() < self._retry_at:
            raise StoreError(f"PostgreSQL at {self.location} is unreachable; trying again in a moment")
        try:
            self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                         application_name="parley-server", **_KEEPALIVES)
        except psycopg.Error as exc:
            self._retry_at = time.monotonic() + RECONNECT_PAUSE_SECONDS
            raise StoreError(f"cannot connect to PostgreSQL at {self.location}: {_first_line(exc)}") from None
        return self._conn

    def _connection(self) -> psycopg.Connection[Any]:
        if self._closed:
            raise StoreError("the store is closed")
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            conn = self._connect()
        return conn

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._conn is not None:
                self._conn.close()

    @property
    def schema_version(self) -> int:
        row = self._run("SELECT max(version) FROM parley_schema")[0]
        return int(row[0][0] or 0)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[tuple[Any, ...]], int]:
        cursor = self._connection().execute(sql, params, prepare=False)
        rows = cursor.fetchall() if cursor.description is not None else []
        return rows, cursor.rowcount

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._connection().transaction():
            yield

    def _migrate(self) -> None:
        with self.transaction():
            self._run("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            self._run("CREATE TABLE IF NOT EXISTS parley_schema (version INTEGER NOT NULL)")
            version = self.schema_version
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database at {self.location} has schema version {version}, newer than this "
                    f"server understands ({SCHEMA_VERSION}); upgrade parley-server"
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in statements(MIGRATIONS[target - 1], POSTGRESQL):
                    self._run(statement)
                self._run("INSERT INTO parley_schema (version) VALUES (%s)", (target,))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
