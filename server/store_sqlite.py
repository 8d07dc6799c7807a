"""The store in one SQLite file (or ``":memory:"``): the default, for one server.

The schema version is SQLite's ``PRAGMA user_version``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .store import Store, StoreError
from .store_schema import MIGRATIONS, SCHEMA_VERSION, SQLITE, statements


class SqliteStore(Store):
    """Meetings and the rest in one SQLite file; one server uses it (the data dir's lock)."""

    dialect = SQLITE
    _integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self._path = str(path)
        if self._path != ":memory:" and not os.path.exists(self._path):
            # Attendee names are personal data: keep the file (and its -wal, -shm) private.
            os.close(os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600))
        # isolation_level=None: no implicit transactions; ``transaction()`` opens them.
        self._db = sqlite3.connect(self._path, isolation_level=None)
        self._depth = 0
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

    @property
    def location(self) -> str:
        return self._path

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _run(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[tuple[Any, ...]], int]:
        cursor = self._db.execute(sql, params)
        rows = cursor.fetchall()
        return rows, cursor.rowcount

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:  # already in one: it commits with the outermost
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self._path} has schema version {version}, newer than this server "
                f"understands ({SCHEMA_VERSION}); upgrade parley-server"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in statements(MIGRATIONS[target - 1], SQLITE):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {target:d}")
