"""Where Parley's bundled files (icons, styles, sounds, translations) are found.

One resolver for every way the app runs (the Vorta habit):

1. ``PARLEY_RESOURCES``: a directory named in the environment (for trying out a new icon set or
   a packager's unusual layout).
2. A PyInstaller build: ``sys._MEIPASS/resources`` (and ``sys._MEIPASS/desktop/resources``,
   should the spec keep the package layout).
3. An installed distribution: ``desktop/resources`` next to this package, where setuptools
   puts the package data.
4. A development checkout: ``resources/`` at the repository root, next to ``desktop/``.

The first root that holds the requested file wins, so an installed copy is never shadowed by a
stale checkout and a checkout works without installing anything.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePosixPath

ENV_VAR = "PARLEY_RESOURCES"

_PACKAGE_DIR = Path(__file__).resolve().parent  # .../desktop
_INSTALLED_ROOT = _PACKAGE_DIR / "resources"
_CHECKOUT_ROOT = _PACKAGE_DIR.parent / "resources"


def resource_roots() -> list[Path]:
    """The directories searched, in order; only those that exist."""
    candidates: list[Path] = []
    override = os.environ.get(ENV_VAR)
    if override:
        candidates.append(Path(override))
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base:
        candidates += [Path(frozen_base) / "resources", Path(frozen_base) / "desktop" / "resources"]
    candidates += [_INSTALLED_ROOT, _CHECKOUT_ROOT]
    roots: list[Path] = []
    for candidate in candidates:
        if candidate.is_dir() and candidate not in roots:
            roots.append(candidate)
    return roots


def asset_path(relative: str) -> Path:
    """The absolute path of a bundled file, e.g. ``asset_path("icons/mic.svg")``.

    ``relative`` uses forward slashes and stays inside the resources directory.
    Raises FileNotFoundError, naming the places it looked, when no root holds it.
    """
    parts = PurePosixPath(relative.replace("\\", "/")).parts
    if not parts or parts[0] == "/" or ".." in parts:
        raise ValueError(f"asset path must be relative to resources/ and stay inside it: {relative!r}")
    roots = resource_roots()
    for root in roots:
        path = root.joinpath(*parts)
        if path.exists():
            return path
    looked = ", ".join(str(root) for root in roots) or "no resources directory exists"
    raise FileNotFoundError(
        f"Parley resource {relative!r} not found (looked in: {looked}). "
        f"Is the installation complete? Set {ENV_VAR} to a resources directory to override."
    )
