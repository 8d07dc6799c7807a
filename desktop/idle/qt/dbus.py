"""Idle time from the desktop's D-Bus services (Wayland desktops, KDE), through QtDBus.

- GNOME's `org.gnome.Mutter.IdleMonitor` (GNOME Shell on X11 and Wayland).
- `org.freedesktop.ScreenSaver` (KDE on X11, and others).

`desktop.idle.backends.detect_backend` asks them when the composition root hands it
`SESSION_BUS_BACKENDS`. QtDBus is imported when a backend is opened, not with this module: a
Qt build without it has no D-Bus backends, nothing more.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any, ClassVar, Self

__all__ = ["FreedesktopScreenSaverBackend", "MutterIdleMonitorBackend", "SESSION_BUS_BACKENDS", "session_bus_configured"]

log = logging.getLogger(__name__)

_DBUS_TIMEOUT_MS = 500


def session_bus_configured(environ: Mapping[str, str]) -> bool:
    """Whether `environ` (the desktop session's environment) names a session bus to ask, without
    letting libdbus autolaunch one: with no DBUS_SESSION_BUS_ADDRESS it would try
    $XDG_RUNTIME_DIR/bus, then spawn `dbus-launch`."""
    if environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime_dir = environ.get("XDG_RUNTIME_DIR")
    return bool(runtime_dir) and os.path.exists(os.path.join(runtime_dir, "bus"))


class _DBusIdleBackend:
    """One synchronous D-Bus method call per query, answering an unsigned integer."""

    name: ClassVar[str]
    system_wide = True
    _service: ClassVar[str]
    _paths: ClassVar[tuple[str, ...]]
    _interface: ClassVar[str]
    _method: ClassVar[str]
    _seconds_per_unit: ClassVar[float]

    _private_connections = 0
    _private_lock = threading.Lock()

    def __init__(self, connection: Any, path: str, private_name: str | None, timeout_ms: int) -> None:
        """Use `open()`."""
        self._connection = connection
        self._path = path
        self._private_name = private_name
        self._timeout_ms = timeout_ms
        self._closed = False

    @classmethod
    def open(
        cls, environ: Mapping[str, str], bus_address: str | None = None, timeout_ms: int = _DBUS_TIMEOUT_MS
    ) -> Self | None:
        """Ask the service once on the session bus `environ` names (or the bus at `bus_address`);
        the backend, or None when the bus, the service or the method is not there."""
        if bus_address is None and not session_bus_configured(environ):
            return None
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:
            return None
        private_name = None
        if bus_address is None:
            connection = QDBusConnection.sessionBus()
        else:
            with cls._private_lock:
                _DBusIdleBackend._private_connections += 1
                private_name = f"parley-idle-{_DBusIdleBackend._private_connections}"
            connection = QDBusConnection.connectToBus(bus_address, private_name)
        if connection.isConnected():
            for path in cls._paths:
                backend = cls(connection, path, private_name, timeout_ms)
                if backend._query() is not None:
                    return backend
        else:
            log.debug("idle: no D-Bus session bus: %s", connection.lastError().message())
        if private_name is not None:
            QDBusConnection.disconnectFromBus(private_name)
        return None

    def _query(self) -> int | None:
        from PySide6.QtDBus import QDBus, QDBusMessage

        message = QDBusMessage.createMethodCall(self._service, self._path, self._interface, self._method)
        message.setAutoStartService(False)
        reply = self._connection.call(message, QDBus.CallMode.Block, self._timeout_ms)
        if reply.type() != QDBusMessage.MessageType.ReplyMessage:
            log.debug("idle: %s %s: %s %s", self._service, self._method, reply.errorName(), reply.errorMessage())
            return None
        arguments = reply.arguments()
        if not arguments or isinstance(arguments[0], bool) or not isinstance(arguments[0], int):
            return None
        return arguments[0]

    def idle_seconds(self) -> float | None:
        if self._closed:
            return None
        value = self._query()
        return None if value is None else value * self._seconds_per_unit

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._private_name is not None:
            from PySide6.QtDBus import QDBusConnection

            QDBusConnection.disconnectFromBus(self._private_name)
        self._connection = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._service}{self._path}>"


class MutterIdleMonitorBackend(_DBusIdleBackend):
    """GNOME Shell (X11 and Wayland): `GetIdletime` answers milliseconds as a uint64."""

    name = "GNOME Mutter IdleMonitor"
    _service = "org.gnome.Mutter.IdleMonitor"
    _paths = ("/org/gnome/Mutter/IdleMonitor/Core",)
    _interface = "org.gnome.Mutter.IdleMonitor"
    _method = "GetIdletime"
    _seconds_per_unit = 0.001


class FreedesktopScreenSaverBackend(_DBusIdleBackend):
    """`org.freedesktop.ScreenSaver.GetSessionIdleTime` (KDE on X11, and others).

    The old draft spec says seconds, but KDE's kscreenlocker — the main implementation —
    answers `KIdleTime::idleTime()`, milliseconds, and the clients in the wild (Safe Eyes,
    Emacs packages, ...) divide by 1000; so do we. GNOME answers NotSupported and KDE on Wayland
    too, so open() returns None there. KDE serves it at /ScreenSaver and at
    /org/freedesktop/ScreenSaver; other implementations at either."""

    name = "freedesktop ScreenSaver"
    _service = "org.freedesktop.ScreenSaver"
    _paths = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")
    _interface = "org.freedesktop.ScreenSaver"
    _method = "GetSessionIdleTime"
    _seconds_per_unit = 0.001


#: The session-bus backends, in the order `detect_backend` asks them.
SESSION_BUS_BACKENDS = (MutterIdleMonitorBackend, FreedesktopScreenSaverBackend)
