"""Fixtures shared by the tests: a real Parley server on loopback, with an injected clock."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # Qt tests never need a display

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from server.app import start_server
from server.clock import ManualClock
from support import Server, bounded, config_for


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def pytest_addoption(parser) -> None:
    parser.addoption("--server-store", choices=("sqlite", "postgresql"), default="sqlite",
                     help="the store of the `server` fixture's servers (default sqlite; postgresql runs "
                     "every test that uses it on a throwaway PostgreSQL cluster)")


@pytest.fixture
async def server(request, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Server]:
    data_dir = tmp_path / "data"
    config = config_for(data_dir)
    if request.config.getoption("--server-store") == "postgresql":
        config = dataclasses.replace(config, store=request.getfixturevalue("postgres_url"))
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(base_url, session, clock, app, data_dir)
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")




@pytest.fixture
def themed(qapp, monkeypatch):
    """apply_theme for one test (the app may apply one itself, from its settings); the
    application's look is put back afterwards."""
    from PySide6.QtGui import QPalette

    from desktop.ui import theme

    palette, sheet, style = QPalette(qapp.palette()), qapp.styleSheet(), qapp.style().name()
    monkeypatch.setattr(theme, "watcher", None)
    yield lambda mode: theme.apply_theme(qapp, mode)
    hints = qapp.styleHints()
    if hasattr(hints, "unsetColorScheme"):
        hints.unsetColorScheme()
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setStyle(style)


# --- threads left running ---------------------------------------------------------------------
# A thread a test leaves running is a leak: aiortc's decoder threads for a receiver nobody
# stopped, a worker nobody joined. It keeps working (and holding memory) in later tests, and a
# non-daemon one keeps the interpreter from exiting. So every test is checked: a thread it started
# that is still alive once all its fixtures are torn down, and after a grace period of
# THREAD_GRACE seconds to finish, fails it (an error at teardown), naming the threads. At the very
# end the process exits with the run's status instead of waiting for any that still run.
#
# Not counted:
# - threads Python did not start (foreign threads that once called into Python, such as Qt's or
#   PortAudio's, appear as threading._DummyThread and can be neither joined nor seen to end);
# - the allowlist _PROCESS_WIDE, each with its reason.
#
# A connection whose close hangs (aiortc 1.16 sometimes never returns from close()) is given up
# by rtcseam.peer.close_bounded, which stops its receivers' decoder threads too: those end, and a
# test that leaves one running fails like any other.

import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

#: seconds a test's threads get, after its teardown, to finish (the wait ends as soon as they do)
THREAD_GRACE = 5.0

#: name prefixes of threads that live as long as the process by design
_PROCESS_WIDE = (
    # the shared audio decoder's worker: one for the process, started on first use and stopped
    # by the interpreter at exit like any executor's (desktop/media/audio_receive.py)
    "parley-audio-decode",
)


def _running() -> set[threading.Thread]:
    return {t for t in threading.enumerate()
            if t is not threading.main_thread() and not isinstance(t, threading._DummyThread)
            and t.is_alive() and not t.name.startswith(_PROCESS_WIDE)}


def _describe(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    where = f", running {target.__module__}.{target.__qualname__}" if hasattr(target, "__qualname__") else ""
    return f"{thread.name!r} ({'daemon' if thread.daemon else 'non-daemon'}{where})"


@pytest.fixture(autouse=True)
def _no_thread_left_behind():
    before = _running()
    yield
    left = _running() - before
    deadline = time.monotonic() + THREAD_GRACE
    for thread in sorted(left, key=lambda t: t.name):
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    left = {t for t in left if t.is_alive()}
    if left:
        pytest.fail(f"threads left running {THREAD_GRACE:.0f} s after the test ended: "
                    + ", ".join(_describe(t) for t in sorted(left, key=lambda t: t.name)), pytrace=False)


def pytest_unconfigure(config) -> None:
    left = {t for t in _running() if not t.daemon}
    if left:
        print(f"\nnon-daemon threads still running at exit: {sorted(t.name for t in left)}; exiting without them",
              file=sys.__stderr__, flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
        status = getattr(config, "_parley_exitstatus", 0)
        os._exit(int(status))


def pytest_sessionfinish(session, exitstatus) -> None:
    session.config._parley_exitstatus = exitstatus


# --- PostgreSQL (tests/pg_cluster.py): one cluster a session, a schema a test -----------------------


@pytest.fixture(scope="session")
def postgres_cluster():
    from pg_cluster import PostgresCluster, find_binaries

    bin_dir = find_binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster):
    """A PostgreSQL URL to an empty schema of its own."""
    url, schema = postgres_cluster.fresh_url()
    yield url
    postgres_cluster.drop(schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path: Path) -> str:
    """Each store a server can use: a SQLite file, and a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite3")
    return request.getfixturevalue("postgres_url")
