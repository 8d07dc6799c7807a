"""``parley`` names the system library Qt lacks instead of letting Qt abort (issue 21: on a
Debian machine with only Python, Qt aborted blaming libxcb-cursor0 while libxcb-icccm4 and
libxcb-keysyms1 were the ones missing)."""

from __future__ import annotations

import pytest

from desktop import app, system_libraries
from desktop.system_libraries import missing_libraries, missing_message, uses_xcb

DEBIAN_WITH_ONLY_PYTHON = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}


def _loader(absent: set[str]):
    tried: list[str] = []

    def load(soname: str) -> bool:
        tried.append(soname)
        return soname not in absent
    return load, tried


def test_the_missing_xcb_libraries_are_named_by_their_debian_packages() -> None:
    load, tried = _loader(DEBIAN_WITH_ONLY_PYTHON)
    assert missing_libraries("Linux", {"DISPLAY": ":0"}, load) == ["libxcb-icccm4", "libxcb-keysyms1"]
    assert "libxcb-cursor.so.0" in tried and "libpulse.so.0" in tried
    message = missing_message(["libxcb-icccm4", "libxcb-keysyms1"])
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence


def test_nothing_is_missing_when_everything_loads() -> None:
    load, _tried = _loader(set())
    assert missing_libraries("Linux", {}, load) == []


def test_only_xcb_needs_the_xcb_family() -> None:
    load, tried = _loader(DEBIAN_WITH_ONLY_PYTHON)
    assert missing_libraries("Linux", {"QT_QPA_PLATFORM": "offscreen"}, load) == []
    assert not any(name.startswith("libxcb") for name in tried)
    assert missing_libraries("Windows", {}, load) == [] and missing_libraries("Darwin", {}, load) == []
    assert uses_xcb("Linux", {"QT_QPA_PLATFORM": "xcb:display=:1"})
    assert not uses_xcb("Linux", {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"})
    assert uses_xcb("Linux", {"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"})


def test_parley_says_which_library_is_missing_and_exits_1(monkeypatch, capsys) -> None:
    load, _tried = _loader(DEBIAN_WITH_ONLY_PYTHON)
    monkeypatch.setattr(system_libraries, "_loads", load)
    monkeypatch.setattr(app.platform, "system", lambda: "Linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    started = []
    monkeypatch.setattr(app, "run_app", lambda *a, **k: started.append(a))
    assert app.main(["--new-instance"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm4 libxcb-keysyms1" in err and "Parley cannot start" in err
    assert started == []


def test_the_readme_line_and_ci_install_every_package_parley_checks() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    apt_line = next(line for line in (root / "README.md").read_text().splitlines()
                    if line.strip().startswith("sudo apt install"))
    ci = (root / ".ci" / "run").read_text()
    tables = (system_libraries.QT_GUI_LIBRARIES, system_libraries.XCB_LIBRARIES, system_libraries.AUDIO_LIBRARIES)
    for package in {p for table in tables for p in table.values()}:
        assert f" {package} " in f"{apt_line} ", package
        assert f" {package} " in ci.replace("\\\n", " ").replace(";", " "), package
