"""The log: in the platform's log folder, rotated, and never holding a join token."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from desktop import logs


@pytest.fixture
def root_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_the_log_file_is_written_rotated_and_free_of_tokens(tmp_path, root_logging) -> None:
    path = logs.setup_logging(tmp_path / "logs", console=False)
    assert path == tmp_path / "logs" / "parley.log" and logs.current_log_file() == path
    log = logging.getLogger("desktop.test")
    log.info("joining parley://127.0.0.1:8750/m/m-1?token=eyJ0eXAi.payload.signature")
    log.info("headers: Authorization: Bearer sk_live_abcdef123456")
    log.info("sent %r", {"token": "repr-secret-1"})
    log.info("message Join(meeting_id='m', token='repr-secret-2')")
    log.info('{"join_token" : "json-secret-3"}')
    log.info("opened parley%3A%2F%2Fh%2Fm%2Fx%3Ftoken%3Dencoded-secret-4")
    log.info("PARLEY_API_KEY=key-secret-5")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "m-1?token=…" in text and "eyJ0eXAi" not in text and "sk_live" not in text
    assert "secret-" not in text and text.count("…") >= 7
    line = "x" * 1000
    for _ in range(1500):  # 1.5 MB: more than one file holds
        log.info(line)
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["parley.log", "parley.log.1"]
    assert all(p.stat().st_size <= logs.MAX_BYTES + 2000 for p in path.parent.iterdir())
    assert "x" * 1000 in logs.tail(path, 5)


def test_an_unwritable_log_folder_leaves_the_console(tmp_path, root_logging) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert logs.setup_logging(blocker / "logs", console=True) is None
    assert logs.current_log_file() is None


def test_the_log_folder_is_the_platforms(monkeypatch, tmp_path) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path)}
    monkeypatch.setattr(logs.sys, "platform", "linux")
    assert logs.log_dir(environ) == tmp_path / "parley" / "logs"
    assert logs.log_dir({}) == Path.home() / ".local" / "state" / "parley" / "logs"
    monkeypatch.setattr(logs.sys, "platform", "darwin")
    assert logs.log_dir(environ).parts[-3:] == ("Library", "Logs", "Parley")
    monkeypatch.setattr(logs.sys, "platform", "win32")
    assert logs.log_dir({"LOCALAPPDATA": str(tmp_path)}) == tmp_path / "Parley" / "Logs"
    assert logs.log_dir({"PARLEY_LOG_DIR": str(tmp_path / "mine"), **environ}) == tmp_path / "mine"
