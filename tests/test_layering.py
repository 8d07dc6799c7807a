"""The layering rules of DESIGN.md, checked on the source and on a real interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Top-level names of the modules a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            else:
                names.add(node.module or "")
    return names


def sources(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def offenders(package: str, forbidden: tuple[str, ...], allow: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sources(package):
        rel = path.relative_to(REPO).as_posix()
        if rel in allow:
            continue
        for name in imports_of(path):
            if name.split(".")[0] in forbidden or name in forbidden:
                found.append(f"{rel} imports {name}")
    return found


def test_wire_is_standard_library_only() -> None:
    assert offenders("wire", ("server", "desktop", "aiortc", "aiohttp", "av", "PySide6", "numpy")) == []


def test_server_never_imports_the_desktop() -> None:
    assert offenders("server", ("desktop", "PySide6", "qasync")) == []


def test_desktop_uses_the_server_only_in_the_composition_root() -> None:
    assert offenders("desktop", ("server",), allow=("desktop/app.py",)) == []


def test_session_signalling_and_media_have_no_qt_widgets() -> None:
    for package in ("desktop/session", "desktop/signalling"):
        assert offenders(package, ("PySide6", "qasync")) == []
    assert [o for o in offenders("desktop/media", ("qasync",))] == []


def test_headless_bot_never_imports_qt() -> None:
    code = (
        "import sys, desktop.bot.cli, desktop.session.meeting_session, desktop.media.synthetic.backend, "
        "desktop.media.synthetic.replay; "
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'shiboken'))); "
        "print(qt); sys.exit(1 if qt else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ui_talks_only_to_the_session_layer() -> None:
    """desktop/ui never imports aiortc, aiohttp or the wire protocol directly."""
    assert offenders("desktop/ui", ("aiortc", "aiohttp", "wire", "server")) == []


def test_every_package_is_installed() -> None:
    """pip install . ships every package of the tree (pyproject lists them explicitly)."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in ("wire", "server", "desktop")
        for init in (REPO / top).rglob("__init__.py")
    }
    assert found <= listed, found - listed
