"""How a meeting server is set up, and where it keeps its files.

The data dir holds everything that must survive a restart::

    parley.sqlite3   meetings and attendees (see server/store.py), unless the store is PostgreSQL
    token_secret     32 random bytes that sign join tokens (mode 0600)
    api_key          the API key, when the config gives none (mode 0600)
    parley.lock      locked while a server uses the dir: a second one refuses to start

Nothing here reads the environment: ``parley-server`` (``server/cli.py``) does, once, and
hands what it found down in the ``ServerConfig``.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
try:  # Windows
    import msvcrt
except ImportError:
    msvcrt = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

STORE_FILE = "parley.sqlite3"
TOKEN_SECRET_FILE = "token_secret"
API_KEY_FILE = "api_key"
LOCK_FILE = "parley.lock"

DATA_DIR_ENV = "PARLEY_DATA_DIR"
API_KEY_ENV = "PARLEY_API_KEY"


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    host: str = "127.0.0.1"
    #: 0 picks a free port; the server reports the one it got.
    port: int = 8750
    data_dir: Path
    #: Addresses the media side offers to clients as ICE candidates.
    ice_addresses: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    #: What moves the media (``--media``): "builtin", the forwarding unit in this process, or
    #: "janus", Janus VideoRoom on the instances at ``janus_urls`` (``--janus-url``, repeatable).
    media: str = "builtin"
    janus_urls: list[str] = field(default_factory=list)
    #: Janus's ``api_secret``, when its janus.jcfg sets one (``--janus-api-secret``).
    janus_api_secret: str | None = None
    #: Each instance's Admin API (``--janus-admin-url``, optional; one per ``janus_urls``, in
    #: the same order) and Janus's ``admin_secret`` (``--janus-admin-secret``): the figures of
    #: each handle (packets, loss) for /metrics, signal strength and the layers.
    janus_admin_urls: list[str] = field(default_factory=list)
    janus_admin_secret: str | None = None
    #: Behind a 1:1 NAT (a cloud VM): the public address each of ``ice_addresses`` is reached
    #: at, in the same order (``--announced-address``). The server binds the private address
    #: and offers the public one in every candidate.
    announced_addresses: list[str] = field(default_factory=list)
    #: TURN servers handed to clients (``--turn-server``), with credentials made from
    #: ``turn_secret`` (coturn's ``static-auth-secret``); see server/turn.py.
    turn_servers: tuple[str, ...] = ()
    turn_secret: str | None = None
    #: None: a key generated once into data_dir/api_key (parley-server gives $PARLEY_API_KEY).
    api_key: str | None = None
    token_ttl_seconds: int = 24 * 3600
    #: Where meetings are kept: None, ``parley.sqlite3`` in the data dir (or another SQLite
    #: file's path); a ``postgresql://`` URL: a database several server nodes share
    #: (``server/cluster.py``, docs/deployment.md).
    store: str | None = None
    #: With a shared store: this node's id (None: its host, process and a random part) and the
    #: URL the other nodes relay its meetings' joins and calls to (None: where it listens).
    node_id: str | None = None
    internal_url: str | None = None
    #: A node's lease on a live meeting lasts this long unrenewed: how soon another node takes
    #: over the meetings of one that died.
    lease_seconds: float = 10.0
    #: host:port written into join URLs; None: f"{host}:{port}" with the port really bound.
    public_host: str | None = None
    #: ``public_host`` speaks TLS though this server does not (a balancer or reverse proxy in
    #: front terminates it): join URLs say parleys://.
    public_tls: bool = False
    #: Auto-end rules (server/lifecycle.py): no meeting runs longer than this whatever its
    #: settings (reason "max_duration") ...
    max_meeting_seconds: float = 24 * 3600
    #: ... a started meeting nobody is in ends after this long (reason "empty") ...
    empty_timeout_seconds: float = 5 * 60
    #: ... and one with a single person in it after this long (reason "alone").
    alone_timeout_seconds: float = 30 * 60
    #: A participant whose connection drops (no ``leave``) keeps its seat this long: a rejoin
    #: within it is seamless for the others (no participant_left, no participant_joined).
    reconnect_grace_seconds: float = 30.0
    #: ``join`` attempts a remote address may make a minute (0: no limit). Behind a reverse
    #: proxy every user shares the proxy's address: raise it or set 0 there.
    joins_per_minute: int = 30
    #: ``join`` attempts one join token may make a minute, from any address (0: no limit); an
    #: invite link, which many people share, may make ten times as many.
    joins_per_token_per_minute: int = 20
    #: Webhooks may point at loopback, link-local and private addresses (``--allow-private-webhooks``).
    allow_private_webhooks: bool = False
    #: ``GET /metrics`` answers without the API key (``--metrics-public``).
    metrics_public: bool = False
    #: How often the rules are checked (seconds of real time).
    lifecycle_interval_seconds: float = 0.25
    #: A failed webhook delivery is tried again after each of these delays, then recorded as failed.
    webhook_retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0, 1800.0)
    #: How long one webhook POST may take.
    webhook_timeout_seconds: float = 10.0
    #: TLS: the PEM certificate (chain, the server's own first) and its unencrypted PEM private
    #: key, both or neither. With them the server speaks https/wss and join URLs say parleys://.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: A signalling socket that has not sent ``join`` this long after it opened is closed
    #: (close code 4001): clients send it at once, so only idle sockets hit this.
    join_timeout_seconds: float = 10.0
    #: A send to a client that cannot go out this long (the client does not read) drops it
    #: (close code 4003), as does a backlog of 1000 unsent messages.
    send_timeout_seconds: float = 10.0
    #: Connections one address (an IPv6 /64) may hold at once, WebSockets included; one more
    #: is refused (HTTP 429). 0: no cap. Behind a reverse proxy every user shares the proxy's
    #: address: raise it or set 0 there (and let the proxy limit).
    connections_per_address: int = 64
    #: A new connection must have sent its first request's headers (after its TLS handshake,
    #: if any) this long after connecting, or it is closed.
    header_timeout_seconds: float = 10.0
    #: A TLS handshake must be done this long after connecting.
    tls_handshake_timeout_seconds: float = 10.0
    #: Chat (private messages included) is forgotten this many days after its meeting ended;
    #: 0: when it ends; None: kept as long as the meeting's own record.
    chat_retention_days: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not between 0 and 65535")
        if self.token_ttl_seconds <= 0:
            raise ValueError("token_ttl_seconds must be positive")
        if self.api_key is not None and not self.api_key.strip():
            raise ValueError("api_key must not be empty")
        for name in ("max_meeting_seconds", "empty_timeout_seconds", "alone_timeout_seconds",
                     "lifecycle_interval_seconds", "webhook_timeout_seconds",
                     "join_timeout_seconds", "send_timeout_seconds", "header_timeout_seconds",
                     "tls_handshake_timeout_seconds", "lease_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.connections_per_address < 0:
            raise ValueError("connections_per_address must be 0 (no cap) or more")
        object.__setattr__(self, "webhook_retry_delays", tuple(self.webhook_retry_delays))
        if len(self.announced_addresses) > len(self.ice_addresses):
            raise ValueError("each announced address goes with one ICE address: give as many "
                             "--ice-address as --announced-address, in the same order")
        object.__setattr__(self, "turn_servers", tuple(self.turn_servers))
        if self.turn_servers and not self.turn_secret:
            raise ValueError("TURN servers need the secret they share with this server (--turn-secret)")
        if self.chat_retention_days is not None and not 0 <= self.chat_retention_days < 1e6:
            raise ValueError("chat_retention_days must be 0 or more (or None: kept)")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: give both, or neither")
        for name in ("tls_cert", "tls_key"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, Path(getattr(self, name)))

    @property
    def tls(self) -> bool:
        """Whether the server speaks TLS (https, wss; join URLs ``parleys://``)."""
        return self.tls_cert is not None

    @property
    def announced(self) -> dict[str, str]:
        """ICE address -> the public address offered for it (empty: each offered as it is)."""
        return dict(zip(self.ice_addresses, self.announced_addresses))


def host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 address in brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def default_data_dir(environ: Mapping[str, str], home: Path) -> Path:
    """$PARLEY_DATA_DIR, else the platform's place for per-user application data (under
    ``home``), as ``environ`` (the process's environment) says."""
    configured = environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "win32":
        base = Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "parley-server"


def api_key_from(environ: Mapping[str, str]) -> str | None:
    """$PARLEY_API_KEY (surrounding blanks dropped), or None when unset or blank."""
    return environ.get(API_KEY_ENV, "").strip() or None


def resolve_api_key(config: ServerConfig) -> tuple[str, bool]:
    """The API key and whether it was just generated: ``config.api_key``, else the key in
    ``data_dir/api_key``, generated there (mode 0600) the first time."""
    if config.api_key:
        return config.api_key, False
    ensure_data_dir(config.data_dir)
    path = config.data_dir / API_KEY_FILE
    raw, created = read_or_create_secret(path, lambda: secrets.token_urlsafe(32).encode("ascii"))
    key = raw.decode("utf-8", errors="strict").strip()
    if not key:
        raise RuntimeError(f"{path} holds no API key; delete it to generate a new one")
    return key, created


def ensure_data_dir(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)


def read_or_create_secret(path: Path, make: Callable[[], bytes]) -> tuple[bytes, bool]:
    """The content of the private file ``path``, created once with ``make()`` (mode 0600).

    Returns the bytes and whether this call created the file. Creation uses O_EXCL, so two
    servers starting at once on the same data dir still agree on one secret.
    """
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:
        data = path.read_bytes()
        if not data:
            raise RuntimeError(
                f"{path} is empty (an interrupted first start?); delete it to create a new one"
            ) from None
        return data, False
    with os.fdopen(fd, "wb") as f:
        f.write(value)
        f.flush()
        os.fsync(f.fileno())
    return value, True


# --- one server per data dir; a data dir that cannot be written -----------------------------------


class DataDirError(RuntimeError):
    """The data dir cannot be used: another server holds it, or it cannot be written (read
    only, full). The message is one sentence for the operator; ``parley-server`` exits 2."""


_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


@contextmanager
def using_data_dir(data_dir: Path) -> Iterator[None]:
    """Turns what goes wrong writing the data dir or opening its store (``OSError``,
    ``sqlite3.Error``) into a :class:`DataDirError` that says which and where."""
    try:
        yield
    except DataDirError:
        raise
    except OSError as exc:
        if exc.errno in _NOT_WRITABLE:
            raise DataDirError(f"the data dir {data_dir} cannot be written (read-only, or not this "
                               f"user's): {exc.strerror} ({exc.filename or data_dir})") from None
        if exc.errno in _FULL:
            raise DataDirError(f"no room to write in the data dir {data_dir} (disk full, quota or file "
                               f"size limit): {exc.strerror}") from None
        raise DataDirError(f"the data dir {data_dir} cannot be used: {exc}") from None
    except sqlite3.Error as exc:
        text = str(exc)
        if "readonly" in text or "read-only" in text:
            raise DataDirError(f"the store in the data dir {data_dir} cannot be written (read-only, "
                               f"or not this user's): {text}") from None
        if "full" in text:
            raise DataDirError(f"no room to write in the data dir {data_dir} (disk full, quota or file "
                               f"size limit): {text}") from None
        raise DataDirError(f"the store in the data dir {data_dir} cannot be opened ({text}); is the "
                           "disk full or read-only?") from None


class DataDirLock:
    """The lock a server holds on its data dir for as long as it runs: two servers on one data
    dir would each end the other's meetings as empty and deliver webhooks twice.

    ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows; the kernel lets go when the
    process dies (``kill -9`` included), so a stale lock file never blocks a start. Elsewhere
    nothing is locked, and a warning says so."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        """The data dir's lock, held; :class:`DataDirError` if another process holds it."""
        lock = cls(data_dir)
        with using_data_dir(data_dir):
            fd = os.open(lock.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            elif msvcrt is not None:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:  # pragma: no cover - neither POSIX nor Windows
                log.warning("cannot lock %s on this platform: make sure no other server uses it", data_dir)
        except OSError:  # held by another process (BlockingIOError, or PermissionError on Windows)
            holder = _read_pid(fd)
            os.close(fd)
            raise DataDirError(
                f"another parley-server{f' (pid {holder})' if holder else ''} is using the data dir "
                f"{data_dir}; stop it first, or give this one another --data-dir") from None
        lock._fd = fd
        try:  # who holds it, for the message a second server prints
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass  # the lock holds all the same; only the pid in the message is missing
        return lock

    def release(self) -> None:
        """Idempotent; closing the file lets go of the lock."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip() if hasattr(os, "pread") else ""
    except OSError:
        return None
    return int(text) if text.isdigit() else None
