"""Parley's log: written to the platform's log folder, rotated, with join tokens kept out.

- Linux: ``$XDG_STATE_HOME/parley/logs`` (``~/.local/state/parley/logs``)
- macOS: ``~/Library/Logs/Parley``
- Windows: ``%LOCALAPPDATA%\\Parley\\Logs``

(``$PARLEY_LOG_DIR`` instead, when set.) The composition root reads the environment and
passes it to ``log_dir``; nothing here reads it by itself.

Five files of at most 1 MB each. A join link carries its token (who may join, as whom), so
every record is scrubbed of ``token=…`` values and bearer tokens before it is written, to the
file and to the console alike. No Qt here: the bot and the server can use it too.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from collections.abc import Mapping
from pathlib import Path

LOG_NAME = "parley.log"
MAX_BYTES = 1_000_000
BACKUPS = 4
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: a secret's name and what joins it to its value (token=, "token": ", token='…', join_token:,
#: token%3D in an encoded URL, Bearer …), then the value itself
_SECRET = re.compile(r"""(?ix)
    ( \b[a-z_]*(?:token|api_key|secret) ["']? \s* [:=] \s* ["']?
    | token%3D
    | \bbearer\s+ )
    ([A-Za-z0-9._~+/=%-]{6,})""")


def log_dir(environ: Mapping[str, str]) -> Path:
    """The platform's usual folder for this app's logs (not created here), given the
    environment (``PARLEY_LOG_DIR``, ``XDG_STATE_HOME``, ``LOCALAPPDATA``)."""
    override = environ.get("PARLEY_LOG_DIR")
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Logs" / "Parley"
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "Parley" / "Logs"
    state = environ.get("XDG_STATE_HOME") or str(home / ".local" / "state")
    return Path(state) / "parley" / "logs"


def scrub(text: str) -> str:
    """``text`` with every token value replaced by ``…``."""
    return _SECRET.sub(lambda m: m.group(1) + "…", text)


class ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def setup_logging(directory: Path | None = None, level: int = logging.INFO, console: bool = True,
                  file: bool = True) -> Path | None:
    """Log to stderr and (``file``, with a ``directory``) to a rotating file in ``directory``,
    replacing what an earlier call set up.

    Returns the log file's path, or None without one: not asked for, or the folder cannot be
    written (a read-only home — then a warning says why).
    """
    root = logging.getLogger()
    root.setLevel(level)
    formatter = ScrubbingFormatter(FORMAT)
    for handler in list(root.handlers):
        if getattr(handler, "_parley", False):
            root.removeHandler(handler)
            handler.close()
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter)
        stream._parley = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    if not file or directory is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / LOG_NAME
        file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                            encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write logs to %s: %s", directory, exc)
        return None
    file_handler.setFormatter(formatter)
    file_handler._parley = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    return path


def current_log_file() -> Path | None:
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler) and getattr(handler, "_parley", False):
            return Path(handler.baseFilename)
    return None


def tail(path: Path | None, lines: int = 200) -> str:
    """The last ``lines`` lines of the log (for "Copy diagnostics")."""
    if path is None or not path.exists():
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return "".join(f.readlines()[-lines:])
