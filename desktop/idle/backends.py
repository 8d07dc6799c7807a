"""How long since the user last touched the computer: one backend per platform.

Every backend answers one question, `idle_seconds()`: seconds since the last keyboard or mouse
input, or None when it cannot tell right now. `detect_backend()` picks the first one that works
on this machine, from the desktop session's environment it is given:

- Windows: `GetLastInputInfo` (user32) against `GetTickCount64` (kernel32).
- macOS: `CGEventSourceSecondsSinceLastEventType` (CoreGraphics).
- Linux/BSD on Wayland (`WAYLAND_DISPLAY`): the session-bus backends the caller hands in
  (desktop/idle/qt/dbus.py: GNOME's `org.gnome.Mutter.IdleMonitor`, then
  `org.freedesktop.ScreenSaver`), then X11 last: XWayland only sees input sent to X11 windows.
- Linux/BSD on X11 (`DISPLAY`): the XScreenSaver extension (one X round trip: 5-20 µs under
  Xvfb), then the session-bus ones (about 45 µs a call).
- Anywhere else, the caller's in-app fallback (desktop/idle/qt/app_input.py), which only sees
  input in Parley's own windows.

No Qt here: the backends that need it live in desktop/idle/qt/.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger(__name__)


@runtime_checkable
class IdleBackend(Protocol):
    """A source of "seconds since the last user input"."""

    name: str
    """What it asks, for logs and diagnostics, e.g. "X11 XScreenSaver"."""
    system_wide: bool
    """True when it sees input in every application; False for the in-app fallback."""

    def idle_seconds(self) -> float | None:
        """Seconds since the last keyboard/mouse input anywhere; None if it cannot tell now."""
        ...

    def close(self) -> None:
        """Release what it holds. Idempotent; idle_seconds() answers None afterwards."""
        ...


class SessionBusBackend(Protocol):
    """A backend class that asks a service on the desktop session's bus (desktop/idle/qt/dbus.py)."""

    @classmethod
    def open(cls, environ: Mapping[str, str]) -> IdleBackend | None:
        """The backend on the session bus `environ` names; None when it is not there."""
        ...


# --------------------------------------------------------------------------------------------
# X11: the MIT-SCREEN-SAVER extension through libXss


class XScreenSaverInfo(ctypes.Structure):
    """`XScreenSaverInfo` of <X11/extensions/scrnsaver.h>."""

    _fields_ = [
        ("window", ctypes.c_ulong),  # Window (an XID: unsigned long)
        ("state", ctypes.c_int),  # ScreenSaverOff, ScreenSaverOn, ScreenSaverDisabled
        ("kind", ctypes.c_int),  # ScreenSaverBlanked, ScreenSaverInternal, ScreenSaverExternal
        ("til_or_since", ctypes.c_ulong),  # ms until the saver starts, or since it started
        ("idle", ctypes.c_ulong),  # ms since the last user input
        ("eventMask", ctypes.c_ulong),  # events this client selected
    ]


_XIOErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_XIOErrorExitHandler = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


class _XLibs:
    """libX11 and libXss with the prototypes we call (our own CDLL handles, so the argtypes we
    set cannot clash with anyone else's)."""

    def __init__(self, x11: ctypes.CDLL, xss: ctypes.CDLL) -> None:
        display_p = ctypes.c_void_p
        info_p = ctypes.POINTER(XScreenSaverInfo)

        self.XOpenDisplay = x11.XOpenDisplay
        self.XOpenDisplay.restype = display_p
        self.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.XCloseDisplay = x11.XCloseDisplay
        self.XCloseDisplay.restype = ctypes.c_int
        self.XCloseDisplay.argtypes = [display_p]
        self.XDefaultRootWindow = x11.XDefaultRootWindow
        self.XDefaultRootWindow.restype = ctypes.c_ulong
        self.XDefaultRootWindow.argtypes = [display_p]
        self.XFree = x11.XFree
        self.XFree.restype = ctypes.c_int
        self.XFree.argtypes = [ctypes.c_void_p]
        self.XSetIOErrorHandler = x11.XSetIOErrorHandler
        self.XSetIOErrorHandler.restype = ctypes.c_void_p  # the previous handler
        self.XSetIOErrorHandler.argtypes = [_XIOErrorHandler]
        # libX11 >= 1.7: lets a lost connection return an error instead of exit()ing the process.
        self.XSetIOErrorExitHandler = getattr(x11, "XSetIOErrorExitHandler", None)
        if self.XSetIOErrorExitHandler is not None:
            self.XSetIOErrorExitHandler.restype = None
            self.XSetIOErrorExitHandler.argtypes = [display_p, _XIOErrorExitHandler, ctypes.c_void_p]

        self.XScreenSaverQueryExtension = xss.XScreenSaverQueryExtension
        self.XScreenSaverQueryExtension.restype = ctypes.c_int  # Bool
        self.XScreenSaverQueryExtension.argtypes = [
            display_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_int),
        ]
        self.XScreenSaverAllocInfo = xss.XScreenSaverAllocInfo
        self.XScreenSaverAllocInfo.restype = info_p
        self.XScreenSaverAllocInfo.argtypes = []
        self.XScreenSaverQueryInfo = xss.XScreenSaverQueryInfo
        self.XScreenSaverQueryInfo.restype = ctypes.c_int  # Status: 0 on failure
        self.XScreenSaverQueryInfo.argtypes = [display_p, ctypes.c_ulong, info_p]


_xlibs_cache: list[_XLibs | None] = []
_xlibs_lock = threading.Lock()


def _load_xlibs() -> _XLibs | None:
    """libX11 + libXss, loaded once; None when either is missing."""
    with _xlibs_lock:
        if not _xlibs_cache:
            _xlibs_cache.append(_try_load_xlibs())
        return _xlibs_cache[0]


def _try_load_xlibs() -> _XLibs | None:
    def load(stem: str, soname: str) -> ctypes.CDLL | None:
        for candidate in (ctypes.util.find_library(stem), soname):
            if not candidate:
                continue
            try:
                return ctypes.CDLL(candidate)
            except OSError:
                continue
        return None

    x11 = load("X11", "libX11.so.6")
    xss = load("Xss", "libXss.so.1")
    if x11 is None or xss is None:
        log.debug("idle: X11 backend unavailable (libX11: %s, libXss: %s)", x11 is not None, xss is not None)
        return None
    try:
        return _XLibs(x11, xss)
    except AttributeError as exc:  # a library without the symbols we need
        log.debug("idle: X11 backend unavailable: %s", exc)
        return None


# Losing the X server (XWayland restarting under a Wayland session, say) must not end Parley.
# libX11 handles a lost connection in two steps: the process-wide IO error handler (the default
# one prints "XIO: fatal IO error" and exit()s), then the per-display exit handler (default:
# exit()). For our own displays only, the first returns quietly and the second marks the backend
# broken; every other display goes to the previous handler exactly as before. Qt's xcb plugin
# sets its own handler when the QGuiApplication starts: open X11 backends after that (as
# detect_backend() is called), so ours chains to Qt's rather than being replaced by it.
# The dict keeps each open display's backend (and so its exit-handler trampoline) alive.
_our_displays: dict[int, X11Backend] = {}
_previous_io_error_handler: list[int | None] = []


@_XIOErrorHandler
def _on_x_io_error(display: int | None) -> int:
    if display in _our_displays:
        return 0
    previous = _previous_io_error_handler[0] if _previous_io_error_handler else None
    if previous:
        return _XIOErrorHandler(previous)(display)
    return 0


def _install_io_error_handler(libs: _XLibs) -> bool:
    """Chain our process-wide IO error handler in front of the current one, once. False when
    this libX11 cannot survive a lost connection (< 1.7, no XSetIOErrorExitHandler)."""
    if libs.XSetIOErrorExitHandler is None:
        return False
    with _xlibs_lock:
        if not _previous_io_error_handler:
            _previous_io_error_handler.append(libs.XSetIOErrorHandler(_on_x_io_error))
    return True


class X11Backend:
    """Idle time from the X server's MIT-SCREEN-SAVER extension (system-wide on X11)."""

    name = "X11 XScreenSaver"
    system_wide = True

    def __init__(self, libs: _XLibs, display: int, info: Any, display_name: str) -> None:
        """Use `X11Backend.open()`; this takes ownership of an open display and info block."""
        self._libs = libs
        self._display: int | None = display
        self._info = info
        self._root = libs.XDefaultRootWindow(display)
        self.display_name = display_name
        self._lock = threading.Lock()
        self._broken = False
        self._io_exit_handler = None
        if _install_io_error_handler(libs):
            # Kept on self: the C side holds only the function pointer.
            self._io_exit_handler = _XIOErrorExitHandler(self._on_connection_lost)
            libs.XSetIOErrorExitHandler(display, self._io_exit_handler, None)
            _our_displays[display] = self

    @classmethod
    def open(cls, display: str) -> X11Backend | None:
        """Connect to `display` (e.g. ":0", the session's $DISPLAY). None when there is none, no
        X server, no libXss, or the server lacks the extension."""
        name = display
        if not name:
            return None
        libs = _load_xlibs()
        if libs is None:
            return None
        dpy = libs.XOpenDisplay(name.encode())
        if not dpy:
            log.debug("idle: cannot open X display %r", name)
            return None
        event_base, error_base = ctypes.c_int(), ctypes.c_int()
        if not libs.XScreenSaverQueryExtension(dpy, ctypes.byref(event_base), ctypes.byref(error_base)):
            log.debug("idle: X display %r has no MIT-SCREEN-SAVER extension", name)
            libs.XCloseDisplay(dpy)
            return None
        info = libs.XScreenSaverAllocInfo()
        if not info:
            libs.XCloseDisplay(dpy)
            return None
        backend = cls(libs, dpy, info, name)
        if backend.idle_seconds() is None:
            backend.close()
            return None
        return backend

    def idle_seconds(self) -> float | None:
        with self._lock:
            if self._display is None or self._broken:
                return None
            status = self._libs.XScreenSaverQueryInfo(self._display, self._root, self._info)
            if not status or self._broken:
                return None
            return self._info.contents.idle / 1000.0

    def close(self) -> None:
        with self._lock:
            display, self._display = self._display, None
            info, self._info = self._info, None
            if info:
                self._libs.XFree(info)
            if display:
                self._libs.XCloseDisplay(display)
                _our_displays.pop(display, None)

    def _on_connection_lost(self, _display: int, _user_data: int) -> None:
        # Called by libX11 (inside one of our calls) when the X server goes away. Returning
        # instead of exit()ing leaves the Display marked broken; we only answer None from now on.
        self._broken = True
        log.warning("idle: lost the connection to X display %r", self.display_name)

    def __enter__(self) -> X11Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<X11Backend display={self.display_name!r}{' closed' if self._display is None else ''}>"


# --------------------------------------------------------------------------------------------
# Windows


_TICK_MASK = 0xFFFFFFFF


def windows_idle_ms(now_ticks: int, last_input_ticks: int) -> int:
    """Milliseconds since the last input, from `GetTickCount64()` and `LASTINPUTINFO.dwTime`.

    dwTime is the 32-bit `GetTickCount()` of the last input: it wraps every 49.7 days, so the
    difference is taken modulo 2**32. A difference in the upper half means the input stamp is a
    hair *ahead* of the tick we read (it happens with injected/remote input): that is 0, not
    49 days. The price: an idle time over 24.8 days reads as 0."""
    elapsed = (now_ticks - last_input_ticks) & _TICK_MASK
    return 0 if elapsed > 0x7FFFFFFF else elapsed


class LASTINPUTINFO(ctypes.Structure):
    """`LASTINPUTINFO` of winuser.h (UINT and DWORD are both 32-bit unsigned)."""

    _fields_ = [("cbSize", ctypes.c_uint32), ("dwTime", ctypes.c_uint32)]


class WindowsBackend:
    """`GetLastInputInfo`: the last input anywhere in this desktop session."""

    name = "Windows GetLastInputInfo"
    system_wide = True

    def __init__(self, get_last_input_info: Callable[[Any], int], get_tick_count64: Callable[[], int]) -> None:
        """Use `WindowsBackend.open()` (tests pass stand-ins for the two functions)."""
        self._get_last_input_info = get_last_input_info
        self._get_tick_count64 = get_tick_count64
        self._info = LASTINPUTINFO(cbSize=ctypes.sizeof(LASTINPUTINFO))
        self._closed = False

    @classmethod
    def open(cls) -> WindowsBackend | None:
        if sys.platform != "win32":
            return None
        try:
            user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
            kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
            get_last_input_info = user32.GetLastInputInfo
            get_last_input_info.restype = ctypes.c_int  # BOOL
            get_last_input_info.argtypes = [ctypes.POINTER(LASTINPUTINFO)]
            get_tick_count64 = kernel32.GetTickCount64
            get_tick_count64.restype = ctypes.c_uint64  # ULONGLONG
            get_tick_count64.argtypes = []
        except (OSError, AttributeError) as exc:
            log.debug("idle: Windows backend unavailable: %s", exc)
            return None
        backend = cls(get_last_input_info, get_tick_count64)
        return backend if backend.idle_seconds() is not None else None

    def idle_seconds(self) -> float | None:
        if self._closed:
            return None
        if not self._get_last_input_info(ctypes.byref(self._info)):
            return None
        return windows_idle_ms(self._get_tick_count64(), self._info.dwTime) / 1000.0

    def close(self) -> None:
        self._closed = True


# --------------------------------------------------------------------------------------------
# macOS

_kCGEventSourceStateCombinedSessionState = 0
_kCGAnyInputEventType = 0xFFFFFFFF  # (CGEventType)(~0)

_MAC_LIBRARIES = (
    "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics",
    "/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices",
)


class MacBackend:
    """`CGEventSourceSecondsSinceLastEventType(combined session state, any input event)`."""

    name = "macOS CGEventSource"
    system_wide = True

    def __init__(self, seconds_since_last_event_type: Any) -> None:
        """Use `MacBackend.open()`."""
        self._seconds_since = seconds_since_last_event_type
        self._closed = False

    @classmethod
    def open(cls) -> MacBackend | None:
        if sys.platform != "darwin":
            return None
        # On macOS 11+ the framework binaries live only in the dyld shared cache: dlopen() of
        # the full path still works, find_library() is the second chance.
        candidates = [*_MAC_LIBRARIES, ctypes.util.find_library("CoreGraphics"), ctypes.util.find_library("ApplicationServices")]
        for candidate in candidates:
            if not candidate:
                continue
            try:
                function = ctypes.CDLL(candidate).CGEventSourceSecondsSinceLastEventType
            except (OSError, AttributeError):
                continue
            function.restype = ctypes.c_double  # CFTimeInterval
            function.argtypes = [ctypes.c_int32, ctypes.c_uint32]  # CGEventSourceStateID, CGEventType
            backend = cls(function)
            if backend.idle_seconds() is not None:
                return backend
        log.debug("idle: macOS backend unavailable")
        return None

    def idle_seconds(self) -> float | None:
        if self._closed:
            return None
        seconds = self._seconds_since(_kCGEventSourceStateCombinedSessionState, _kCGAnyInputEventType)
        if seconds != seconds:  # NaN
            return None
        return max(0.0, seconds)

    def close(self) -> None:
        self._closed = True


# --------------------------------------------------------------------------------------------


def _candidates(
    platform: str, environ: Mapping[str, str], session_bus: Sequence[SessionBusBackend]
) -> list[Callable[[], IdleBackend | None]]:
    if platform == "win32":
        return [WindowsBackend.open]
    if platform == "darwin":
        return [MacBackend.open]
    x11 = functools.partial(X11Backend.open, environ.get("DISPLAY", ""))
    bus = [functools.partial(backend.open, environ) for backend in session_bus]
    if environ.get("WAYLAND_DISPLAY"):
        # XWayland sees only input sent to X11 windows: ask the compositor's services first.
        return [*bus, x11]
    return [x11, *bus]


def detect_backend(
    environ: Mapping[str, str],
    app_fallback: Callable[[], IdleBackend] | None = None,
    *,
    session_bus: Sequence[SessionBusBackend] = (),
    platform: str | None = None,
) -> IdleBackend | None:
    """The first backend that answers on this machine, else `app_fallback()` if given, else None.

    `environ` is the desktop session's environment (the composition root passes `os.environ`);
    `session_bus` the backends that ask the session's D-Bus, in order (desktop/idle/qt/dbus.py);
    `platform` defaults to `sys.platform` (tests pass another one)."""
    for open_backend in _candidates(platform or sys.platform, environ, session_bus):
        try:
            backend = open_backend()
        except Exception:  # a broken backend must not stop the app from starting
            opener = getattr(open_backend, "func", open_backend)
            log.warning("idle: %s failed", getattr(opener, "__qualname__", opener), exc_info=True)
            continue
        if backend is not None:
            log.info("idle: using %s (system-wide)", backend.name)
            return backend
    if app_fallback is not None:
        backend = app_fallback()
        log.info("idle: no system-wide idle source here; using %s", backend.name)
        return backend
    log.info("idle: no idle source here")
    return None
