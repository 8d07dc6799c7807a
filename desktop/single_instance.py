"""One Parley per user: a second launch (a join link clicked in the browser, the app opened
again from the menu) hands its link to the running app and exits.

The running app listens on a local socket (QLocalServer: a Unix socket, a named pipe on
Windows) named after the user. A second launch connects, sends one JSON line —
``{"open": "parley://…"}`` or ``{"open": null}`` (just come to the front) — waits for ``ok``
and exits. A socket left behind by a crashed app is removed when nobody answers on it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

logger = logging.getLogger(__name__)

MAX_MESSAGE = 8192  # a join link is well under 1 KB


def instance_name(suffix: str | None = None) -> str:
    """The socket's name for this user (and ``suffix`` — default: ``PARLEY_INSTANCE`` — for tests
    and separate profiles)."""
    if suffix is None:
        suffix = os.environ.get("PARLEY_INSTANCE", "")
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name: one name for everyone on this machine
        user = "user"
    digest = hashlib.sha256(f"{user}\0{suffix}".encode()).hexdigest()[:16]
    return f"parley-{digest}"


def hand_over(name: str, link: str | None, timeout_ms: int = 1500) -> bool:
    """Give ``link`` (None: just "come to the front") to a Parley already running under
    ``name``. True when it took it; False when none runs (or it did not answer)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    try:
        socket.write((json.dumps({"open": link}) + "\n").encode())
        if not socket.waitForBytesWritten(timeout_ms):
            return False
        while not socket.canReadLine():
            if not socket.waitForReadyRead(timeout_ms):
                return False
        return bytes(socket.readLine().data()).strip() == b"ok"
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
        """Start answering; False (and a log line) if the name cannot be taken."""
        if self._server.listen(self.name):
            return True
        # a socket file left by an app that crashed: nobody answered hand_over, so remove it
        QLocalServer.removeServer(self.name)
        if self._server.listen(self.name):
            return True
        logger.warning("single instance: cannot listen on %s: %s", self.name, self._server.errorString())
        return False

    def close(self) -> None:
        self._server.close()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

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
        try:
            message = json.loads(line)
            link = message.get("open") if isinstance(message, dict) else None
            if link is not None and not isinstance(link, str):
                raise ValueError("open must be a string or null")
        except ValueError as exc:
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
    """macOS hands a parley:// link clicked while Parley runs to the app as a FileOpen event
    (the URL types in Info.plist); this passes it to ``open_link``."""

    def __init__(self, open_link, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_link = open_link

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.FileOpen:
            url = event.url().toString()
            if url.startswith(("parley://", "parleys://")):
                self._open_link(url)
                return True
        return False
