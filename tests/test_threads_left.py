"""The suite's own guard (tests/conftest.py): a test that leaves a thread running fails."""

from __future__ import annotations

import os
from pathlib import Path

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent


def test_a_thread_left_running_fails_its_test_by_name_and_one_that_ends_does_not(pytester, monkeypatch) -> None:
    pytester.makeconftest((TESTS / "conftest.py").read_text())
    pytester.makepyfile(test_leaks="""
        import threading

        stop = threading.Event()

        def test_leaves_a_worker_running():
            threading.Thread(target=stop.wait, name="forgotten-worker", daemon=True).start()

        def test_joins_its_worker():
            worker = threading.Thread(target=lambda: None, name="joined-worker")
            worker.start()

        def test_releases_the_worker_last():
            stop.set()
    """)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS.parent), str(TESTS)]))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaves_a_worker_running*",
                                 "*threads left running*'forgotten-worker' (daemon, running*"])
    assert "joined-worker" not in result.stdout.str()
