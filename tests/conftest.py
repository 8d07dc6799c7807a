"""Fixtures shared by the tests: a real Parley server on loopback, with an injected clock."""

from __future__ import annotations

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


@pytest.fixture
async def server(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Server]:
    data_dir = tmp_path / "data"
    runner, base_url, app = await start_server(config_for(data_dir), clock)
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
# A non-daemon thread still alive at the end (aiortc's decoder threads, for a receiver nobody
# stopped) keeps the interpreter from exiting: the run would hang after its last test. Each test
# is checked for threads it leaves behind (named in the output), and at the very end the process
# exits with the run's status instead of waiting for them.

import sys  # noqa: E402
import threading  # noqa: E402


#: threads that live as long as the process by design (the shared audio decoder's worker, which
#: the interpreter stops at exit like any executor's)
_PROCESS_WIDE = ("parley-audio-decode",)


def _lingering() -> set[threading.Thread]:
    return {t for t in threading.enumerate()
            if not t.daemon and t is not threading.main_thread() and t.is_alive()
            and not t.name.startswith(_PROCESS_WIDE)}


@pytest.fixture(autouse=True)
def _no_thread_left_behind(request):
    before = _lingering()
    yield
    left = _lingering() - before
    if left:
        # a decoder thread ends within moments of its receiver stopping: look again before telling
        for thread in left:
            thread.join(timeout=2)
        left = {t for t in left if t.is_alive()}
    if left:
        _LEAKS.append(f"{request.node.nodeid}: {sorted(t.name for t in left)}")


_LEAKS: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if _LEAKS:
        terminalreporter.section("threads left running")
        for line in _LEAKS:
            terminalreporter.write_line(line)


def pytest_unconfigure(config) -> None:
    left = _lingering()
    if left:
        print(f"\nnon-daemon threads still running at exit: {sorted(t.name for t in left)}; exiting without them",
              file=sys.__stderr__, flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
        status = getattr(config, "_parley_exitstatus", 0)
        os._exit(int(status))


def pytest_sessionfinish(session, exitstatus) -> None:
    session.config._parley_exitstatus = exitstatus
