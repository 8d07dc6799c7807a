"""Where Parley's bundled files (icons, styles, sounds, translations) are found.

One resolver for every way the app runs (the Vorta habit):

1. An override the composition root sets with ``use_resources`` (the app: from
   ``PARLEY_RESOURCES``, for trying out a new icon set or a packager's unusual layout).
2. A PyInstaller build: ``sys._MEIPASS/resources`` (and ``sys._MEIPASS/desktop/resources``,
   should the spec keep the package layout).
3. An installed distribution: ``desktop/resources`` next to this package, where setuptools
   puts the package data.
4. A development checkout: ``resources/`` at the repository root, next to ``desktop/``.

The first root that holds the requested file wins, so an installed copy is never shadowed by a
stale checkout and a checkout works without installing anything.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

ENV_VAR = "PARLEY_RESOURCES"  # read by desktop/app.py, named here for the error message

_PACKAGE_DIR = Path(__file__).resolve().parent  # .../desktop
_INSTALLED_ROOT = _PACKAGE_DIR / "resources"
_CHECKOUT_ROOT = _PACKAGE_DIR.parent / "resources"

#: the directory searched first, when the composition root names one (``use_resources``)
override: Path | None = None


def use_resources(directory: Path | None) -> None:
    """Search ``directory`` before every other root (None: no override). Called once, at start."""
    global override
    override = directory


def resource_roots() -> list[Path]:
    """The directories searched, in order; only those that exist."""
    candidates: list[Path] = []
    if override is not None:
        candidates.append(override)
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
