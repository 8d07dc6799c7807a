"""The app reads its environment once, in desktop/app.py, into AppConfig; the modules below get
values, never os.environ."""

from __future__ import annotations

from pathlib import Path

from desktop import logs
from desktop.app import AppConfig


def test_the_environment_becomes_values(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(logs.sys, "platform", "linux")
    config = AppConfig.from_environment({
        "PARLEY_INSTANCE": "profile-2", "XDG_STATE_HOME": str(tmp_path / "state"),
        "PARLEY_RESOURCES": str(tmp_path / "icons-to-try"), "PARLEY_STATS_FILE": str(tmp_path / "stats.json")})
    assert config == AppConfig(instance="profile-2", log_dir=tmp_path / "state" / "parley" / "logs",
                               resources=tmp_path / "icons-to-try", stats_file=str(tmp_path / "stats.json"))
    assert AppConfig.from_environment({"PARLEY_LOG_DIR": str(tmp_path / "logs")}).log_dir == tmp_path / "logs"


def test_an_empty_environment_means_the_defaults(monkeypatch) -> None:
    monkeypatch.setattr(logs.sys, "platform", "linux")
    config = AppConfig.from_environment({"PARLEY_RESOURCES": "", "PARLEY_STATS_FILE": ""})
    assert (config.instance, config.resources, config.stats_file) == ("", None, None)
    assert config.log_dir == Path.home() / ".local" / "state" / "parley" / "logs"
