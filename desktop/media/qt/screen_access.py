"""Can sharing work here? Whether this platform and desktop can capture screens at all, whether
the desktop portal Wayland capture needs is there, and capture errors as the user should read them."""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtGui import QGuiApplication

from ...translatable import QT_TRANSLATE_NOOP

__all__ = ["PORTAL_SERVICE", "capture_failed", "portal_reachable", "sharing_unavailable_reason"]

#: The D-Bus name of the XDG desktop portal, which screen capture needs on Wayland.
PORTAL_SERVICE = "org.freedesktop.portal.Desktop"

#: Qt platforms that have no real screen behind them.
_HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl"})


def sharing_unavailable_reason(
    platform_name: str,
    *,
    session_type: str = "",
    system: str = sys.platform,
    portal: Callable[[], bool] = lambda: True,
    screen_count: int = 1,
) -> str | None:
    """Why screen sharing cannot work on this platform, as a sentence for the user; else None.

    ``platform_name`` is Qt's (``QGuiApplication.platformName()``), ``session_type`` the
    desktop session's (``$XDG_SESSION_TYPE``); ``portal`` is asked only where capture needs
    the XDG desktop portal (Wayland).
    """
    if platform_name in _HEADLESS_PLATFORMS or screen_count == 0:
        return QT_TRANSLATE_NOOP("ScreenSharing", "There is no screen to share: Parley is not running on a display.")
    if _needs_portal(platform_name, session_type, system) and not portal():
        return QT_TRANSLATE_NOOP(
            "ScreenSharing",
            "Screen sharing is not available on this desktop: on Wayland it needs the desktop "
            "portal (xdg-desktop-portal with PipeWire), which is not running."
        )
    return None


def _needs_portal(platform_name: str, session_type: str, system: str) -> bool:
    return system.startswith("linux") and (platform_name.startswith("wayland") or session_type == "wayland")


def portal_reachable(timeout_ms: int = 500) -> bool:
    """Whether the XDG desktop portal is on (or can be started by) the D-Bus session bus."""
    try:
        from PySide6.QtDBus import QDBus, QDBusConnection, QDBusMessage
    except ImportError:  # no QtDBus in this build: let capture itself tell
        return True
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False

    def ask(method: str, *arguments: object) -> list:
        message = QDBusMessage.createMethodCall(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", method)
        if arguments:
            message.setArguments(list(arguments))
        reply = bus.call(message, QDBus.CallMode.Block, timeout_ms)
        if reply.type() != QDBusMessage.MessageType.ReplyMessage:
            return []
        return list(reply.arguments())

    owned = ask("NameHasOwner", PORTAL_SERVICE)
    if owned and owned[0]:
        return True
    activatable = ask("ListActivatableNames")  # the portal is usually started on first use
    return bool(activatable) and PORTAL_SERVICE in activatable[0]


def capture_failed(what: str, message: str, session_type: str) -> str:
    """A capture error as the user should read it, with what to do where we know it."""
    if sys.platform == "darwin":
        return (
            f"Parley is not allowed to record {what}. Allow Parley in System Settings → Privacy & "
            f"Security → Screen Recording, then restart Parley. ({message})"
        )
    platform_name = QGuiApplication.platformName()
    if _needs_portal(platform_name, session_type, sys.platform):
        return (
            f"Could not share {what} through the desktop portal (xdg-desktop-portal and PipeWire "
            f"must be running, and the request allowed): {message}"
        )
    return f"Could not share {what}: {message}"
