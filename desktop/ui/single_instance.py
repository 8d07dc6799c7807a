"""One Parley per user: a second launch (a join link clicked in the browser, the app opened
again from the menu) hands its link to the running app and exits.

The running app listens on a local socket (QLocalServer): a Unix socket in the user's private
runtime folder ($XDG_RUNTIME_DIR, mode 0700 — never the shared /tmp, where another user could
listen first and be handed our join links), a named pipe on Windows (made for this user only;
its name is guessable, so another user logged in at the same time could squat it first — a
known limit there). A second launch connects, sends one JSON line — ``{"open": "parley://…"}``
or ``{"open": null}`` (just come to the front) — waits for ``ok`` and exits. A socket left
behind by a crashed app refuses connections and is replaced; a Parley that is there but does
not answer is never replaced (the second launch says so and exits).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import sys

from PySide6.QtCore import QEvent, QObject, QStandardPaths, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

logger = logging.getLogger(__name__)

MAX_MESSAGE = 8192  # a join link is well under 1 KB
CLIENT_TIMEOUT_MS = 5000


HANDED, NONE_RUNNING, NO_ANSWER = "handed", "none running", "no answer"


def _private_dir() -> str | None:
    """A folder only this user can enter, for the socket: never the shared /tmp, where another
    user could listen first and be handed our join links. None when there is none."""
    if sys.platform == "win32":
        return ""  # a named pipe, not a file; its name carries the user
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.RuntimeLocation)
    if not folder:
        return None
    try:
        info = os.stat(folder)
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        logger.warning("single instance: %s is not private to this user; not using it", folder)
        return None
    return folder


def instance_name(suffix: str = "") -> str | None:
    """Where this user's Parley listens (and ``suffix`` — the app passes ``PARLEY_INSTANCE`` — for
    tests and separate profiles): a socket in the user's private runtime folder (a named pipe on
    Windows); None when there is no private place, and then every launch runs on its own."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name: one name for everyone on this machine
        user = "user"
    digest = hashlib.sha256(f"{user}\0{suffix}".encode()).hexdigest()[:16]
    folder = _private_dir()
    if folder is None:
        return None
    return os.path.join(folder, f"parley-{digest}") if folder else f"parley-{user}-{digest}"


def hand_over(name: str, link: str | None, timeout_ms: int = 1500) -> str:
    """Give ``link`` (None: just "come to the front") to a Parley already running under ``name``.

    HANDED: it took it. NONE_RUNNING: nobody listens there (or a crashed app's socket is left).
    NO_ANSWER: something listens but did not take it in time (a busy or hung Parley): do not
    start a second one over it."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        refused = (QLocalSocket.LocalSocketError.ServerNotFoundError,
                   QLocalSocket.LocalSocketError.ConnectionRefusedError)
        return NONE_RUNNING if socket.error() in refused else NO_ANSWER
    try:
        socket.write((json.dumps({"open": link}) + "\n").encode())
        if not socket.waitForBytesWritten(timeout_ms):
            return NO_ANSWER
        while not socket.canReadLine():
            if not socket.waitForReadyRead(timeout_ms):
                return NO_ANSWER
        return HANDED if bytes(socket.readLine().data()).strip() == b"ok" else NO_ANSWER
    finally:
        socket.abort()


class SingleInstance(QObject):
    """The running app's end: ``link_received(url)`` for a link a second launch handed over,
    ``activation_requested()`` when it had none."""

    link_received = Signal(str)
    activation_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._buffers: dict[QLocalSocket, bytearray] = {}

    def listen(self) -> bool:
        """Start answering; False (and a log line) if the name cannot be taken. Call it only
        when ``hand_over`` said NONE_RUNNING: a socket file still there is a crashed app's."""
        if self._server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)
        if self._server.listen(self.name):
            return True
        logger.warning("single instance: cannot listen on %s: %s", self.name, self._server.errorString())
        return False

    def close(self) -> None:
        """Stop answering; connections still open are dropped."""
        self._server.close()
        for socket in list(self._buffers):
            socket.abort()
            socket.deleteLater()
        self._buffers.clear()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            # a launch says its piece at once; the timer is the socket's child, gone with it
            timer = QTimer(socket, singleShot=True, interval=CLIENT_TIMEOUT_MS)
            timer.timeout.connect(socket.abort)
            timer.start()

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _on_ready(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.get(socket)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        if b"\n" not in buffer:
            if len(buffer) > MAX_MESSAGE:
                logger.warning("single instance: dropped an oversized message")
                socket.abort()
            return
        line = bytes(buffer.split(b"\n", 1)[0])
        del self._buffers[socket]  # one message per connection: nothing after it is read
        try:
            message = json.loads(line)
            if not isinstance(message, dict) or "open" not in message:
                raise ValueError("expected {\"open\": link or null}")
            link = message["open"]
            if link is not None and not isinstance(link, str):
                raise ValueError("open must be a string or null")
        except (ValueError, RecursionError) as exc:
            logger.warning("single instance: ignored a malformed message: %s", exc)
            socket.write(b"error\n")
            socket.flush()
            socket.disconnectFromServer()
            return
        socket.write(b"ok\n")
        socket.flush()
        socket.disconnectFromServer()
        if link:
            self.link_received.emit(link)
        else:
            self.activation_requested.emit()


class UrlOpenFilter(QObject):
    """macOS hands a clicked parley:// link to the app as a FileOpen event (the URL types in
    Info.plist) — also the link that launched it, possibly before the app's windows exist. This
    keeps such links until ``set_target(open_link)`` and passes every later one straight on.
    Install it on the application before the event loop starts."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_link = None
        self.pending: list[str] = []

    def set_target(self, open_link) -> None:
        self._open_link = open_link
        pending, self.pending = self.pending, []
        for url in pending:
            open_link(url)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.FileOpen:
            url = event.url().toString()
            if url.startswith(("parley://", "parleys://")):
                if self._open_link is None:
                    self.pending.append(url)
                else:
                    self._open_link(url)
                return True
        return False
