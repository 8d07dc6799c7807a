"""The in-app idle fallback: input seen by Parley's own windows.

For desktops that offer no system-wide idle time (see desktop/idle/backends.py). It cannot see typing in
other applications, so it reports idle while the user works elsewhere: `system_wide = False`
lets the watcher say so or be more patient.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QGuiApplication

_T = QEvent.Type

# Plain ints: the filter sees every event of the application, and this membership test is the
# whole cost for all but input events.
INPUT_EVENT_TYPES: frozenset[int] = frozenset(
    t.value
    for t in (
        _T.KeyPress,
        _T.KeyRelease,
        _T.MouseMove,
        _T.MouseButtonPress,
        _T.MouseButtonRelease,
        _T.MouseButtonDblClick,
        _T.Wheel,
        _T.TouchBegin,
        _T.TouchUpdate,
        _T.TouchEnd,
        _T.TabletPress,
        _T.TabletMove,
        _T.TabletRelease,
        _T.NativeGesture,  # touchpad pinch/rotate/swipe
        _T.InputMethod,  # typing through an input method (CJK, virtual keyboards)
    )
)
_INPUT_METHOD = _T.InputMethod.value


class _InputEventFilter(QObject):
    """Stamps the time of the last user input event; never consumes anything."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self._clock = clock
        self.last_input = clock()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        # Only input from the window system (spontaneous) counts: Qt and application code also
        # send synthetic mouse moves and key events that no one typed. Input-method events are
        # always sent by Qt itself on the user's behalf.
        if kind in INPUT_EVENT_TYPES and (event.spontaneous() or kind == _INPUT_METHOD):
            self.last_input = self._clock()
        return False


class AppInputBackend:
    """An IdleBackend from an event filter on the QGuiApplication: seconds since the last input
    event in any Parley window, counted from creation.

    A plain class owning its QObject filter, not a QObject itself: structural typing makes it an
    IdleBackend, and a QObject subclass could not take the Protocol's ABCMeta metaclass."""

    name = "Parley windows only"
    system_wide = False

    def __init__(self, app: QCoreApplication | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        app = app if app is not None else QGuiApplication.instance()
        if app is None:
            raise RuntimeError("AppInputBackend needs a QGuiApplication")
        self._clock = clock
        self._app: QCoreApplication | None = app
        self._filter: _InputEventFilter | None = _InputEventFilter(clock)
        app.installEventFilter(self._filter)

    def idle_seconds(self) -> float | None:
        event_filter = self._filter
        if event_filter is None:
            return None
        return max(0.0, self._clock() - event_filter.last_input)

    def close(self) -> None:
        event_filter, self._filter = self._filter, None
        app, self._app = self._app, None
        if event_filter is None:
            return
        try:
            if app is not None:
                app.removeEventFilter(event_filter)
        except RuntimeError:  # the application is already gone, and its filter list with it
            pass

    def __repr__(self) -> str:
        return f"<AppInputBackend{' closed' if self._filter is None else ''}>"
