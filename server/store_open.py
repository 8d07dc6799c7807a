"""Which store ``--store`` names: a ``postgresql://`` URL (several nodes share it), else a
SQLite file (the data dir's ``parley.sqlite3`` by default)."""

from __future__ import annotations

from pathlib import Path

from .store import Store, StoreError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(location: str | None) -> bool:
    return location is not None and location.startswith(POSTGRES_SCHEMES)


def open_store(location: str | None, default_file: Path) -> Store:
    """The store at ``location`` (None: the SQLite file ``default_file``)."""
    if is_postgres(location):
        try:
            from .store_postgres import PostgresStore
        except ImportError as exc:  # psycopg is a dependency; a broken install says so
            raise StoreError(f"PostgreSQL needs the psycopg package ({exc})") from None
        return PostgresStore(location)
    from .store_sqlite import SqliteStore
    if location is not None and location.startswith(("sqlite://", "sqlite:")):
        location = location.split(":", 1)[1].removeprefix("//")
    return SqliteStore(Path(location) if location else default_file)
