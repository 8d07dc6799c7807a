"""Real screens and windows to share, through Qt Multimedia: the ``ScreenCatalog`` of the app.

``QScreenCapture`` (a screen) or ``QWindowCapture`` (a window) -> ``QMediaCaptureSession`` ->
``QVideoSink`` -> ``QtScreenTrack``, a ``VideoSinkTrack`` (``video_sink.py``) that keeps at
most 15 frames a second and sends at most 1920x1080.

What Qt 6.11's FFmpeg backend does, measured under Xvfb:

- It grabs at the screen's refresh rate (about 60 fps) and has no way to ask for less, so the
  track drops the surplus in its sink callback, before copying anything. Frames are delivered
  on the thread the sink lives on (the GUI thread), as ``Format_BGRX8888``; copying a 1080p
  one costs about 0.4 ms.
- On Linux the backend chooses its grabber from ``XDG_SESSION_TYPE``: ``x11`` gets XShm screen
  grabs and the window manager's ``_NET_CLIENT_LIST`` as the window list; without it, screens
  are grabbed through ``QScreen.grabWindow`` (about 5x the CPU) and no window is listed;
  ``wayland`` goes through the desktop portal and PipeWire.
- A captured window that closes often raises no error and the capture stays "active": frames
  just stop (other times Qt says "Cannot get window attributes"). The track therefore polls
  ``QCapturableWindow.isValid()``, and names a closed window as such whatever Qt said.
- An unknown window fails inside ``start()`` (``errorOccurred`` with ``NotFound``, emitted
  synchronously). The ``offscreen`` platform captures its virtual screen (black frames).

Everything here is created, used and released on the GUI thread (qasync runs the asyncio loop
there); a track stopped from another thread releases its Qt objects on the GUI thread.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping

import av
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtMultimedia import (
    QCapturableWindow,
    QMediaCaptureSession,
    QScreenCapture,
    QVideoFrame,
    QVideoSink,
    QWindowCapture,
)

from ...translatable import QT_TRANSLATE_NOOP
from ..devices import DeviceUnavailable
from ..screens import SHARE_FPS, SHARE_HEIGHT, SHARE_WIDTH, ScreenSource
from .frames import video_frame_to_av
from .video_sink import VideoSinkTrack, fit

__all__ = ["QtScreenTrack", "QtScreens", "ScreenUnavailable", "portal_reachable", "sharing_unavailable_reason"]

logger = logging.getLogger(__name__)

#: The D-Bus name of the XDG desktop portal, which screen capture needs on Wayland.
PORTAL_SERVICE = "org.freedesktop.portal.Desktop"

#: Qt platforms that have no real screen behind them.
_HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl"})

#: "No error" of either capture class: their Error enums are distinct types that never compare equal.
_NO_ERRORS = (QScreenCapture.Error.NoError, QWindowCapture.Error.NoError)

CaptureTarget = QScreen | QCapturableWindow


class ScreenUnavailable(DeviceUnavailable, KeyError):
    """The screen or window is not (or no longer) there to capture.

    A ``KeyError`` like ``SyntheticScreens.open`` raises, and a ``DeviceUnavailable``; its text
    is meant for people.
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


# -- can sharing work here? ----------------------------------------------------------------------


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


def _capture_failed(what: str, message: str, session_type: str) -> str:
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


# -- the Qt objects of one capture ---------------------------------------------------------------


def _on_own_thread(obj: QObject, callback: Callable[[], None]) -> None:
    """Run ``callback`` now when on ``obj``'s thread, else queued to that thread."""
    if QThread.currentThread() is obj.thread():
        callback()
    else:
        QTimer.singleShot(0, obj, callback)


class _CaptureChain:
    """``QScreenCapture``/``QWindowCapture`` -> ``QMediaCaptureSession`` -> ``QVideoSink``.

    Built on the GUI thread, not started; ``close`` stops it and unhooks the sink (on the GUI
    thread too).
    """

    def __init__(self, target: CaptureTarget) -> None:
        self.session = QMediaCaptureSession()
        self.sink = QVideoSink()
        self.capture: QScreenCapture | QWindowCapture
        if isinstance(target, QCapturableWindow):
            window_capture = QWindowCapture()
            window_capture.setWindow(target)
            self.session.setWindowCapture(window_capture)
            self.capture = window_capture
        else:
            screen_capture = QScreenCapture()
            screen_capture.setScreen(target)
            self.session.setScreenCapture(screen_capture)
            self.capture = screen_capture
        self.session.setVideoSink(self.sink)

    def close(self) -> None:
        self.capture.stop()
        self.session.setVideoSink(None)
        if isinstance(self.capture, QWindowCapture):
            self.session.setWindowCapture(None)
        else:
            self.session.setScreenCapture(None)


def _disconnect(signal, slot) -> None:
    try:
        signal.disconnect(slot)
    except (RuntimeError, TypeError):  # never connected, or already gone
        pass


# -- the track -----------------------------------------------------------------------------------


class QtScreenTrack(VideoSinkTrack):
    """A screen or window being shared, as an aiortc video track.

    At most ``fps`` frames a second are kept, on a 1/fps grid: a frame is dropped in the sink
    callback, before it is copied, unless its slot is due. (A 60 Hz source gives 15 fps; the
    rule "at least 1/15 s after the last kept frame" would give 12, every fifth frame, as soon
    as one arrives a hair early.) Frames larger than ``width`` x ``height`` are scaled down off
    the loop (``VideoSinkTrack``). A capture error, or the captured window closing, ends the
    track with ``ended_reason`` set; ``frames_skipped`` counts what the rate limit dropped.
    ``session_type`` is the desktop session's (``$XDG_SESSION_TYPE``): on a Wayland desktop a
    capture error says what the portal needs.
    """

    device_kind = "screen"  # type: ignore[assignment]  # not a DeviceKind: no backend unplugs it

    def __init__(
        self,
        target: CaptureTarget,
        source: ScreenSource | None = None,
        *,
        width: int = SHARE_WIDTH,
        height: int = SHARE_HEIGHT,
        fps: int = SHARE_FPS,
        clock: Callable[[], float] = time.monotonic,
        window_check_ms: int = 500,
        session_type: str = "",
    ) -> None:
        if source is None:
            source = _source_for(target)
        self.source = source
        self._session_type = session_type
        self._chain: _CaptureChain | None = _CaptureChain(target)
        super().__init__(self._chain.sink, width, height, name=source.name, clock=clock)
        self.device_id = source.id
        self.fps = fps
        self.frames_skipped = 0
        self._interval = 1.0 / fps
        self._next_due = float("-inf")
        self._started = False
        self._window_check: QTimer | None = None
        capture = self._chain.capture
        capture.errorOccurred.connect(self._on_capture_errorOccurred)
        capture.activeChanged.connect(self._on_capture_activeChanged)
        if isinstance(capture, QScreenCapture):
            capture.screenChanged.connect(self._on_capture_screenChanged)
        capture.start()
        self._started = True
        if capture.error() not in _NO_ERRORS:  # e.g. a window that is already gone: said in start()
            self._failed(capture.error(), capture.errorString())
            return
        if isinstance(capture, QWindowCapture):
            # A closed window raises no error (the capture stays active, frames just stop).
            timer = QTimer()
            timer.setInterval(window_check_ms)
            timer.timeout.connect(self._on_window_check_timeout)
            timer.start()
            self._window_check = timer

    @property
    def _what(self) -> str:
        return f"the window “{self.source.name}”" if self.source.kind == "window" else "your screen"

    # frames

    def _on_sink_frame(self, qframe: QVideoFrame) -> None:
        if not qframe.isValid():
            return
        now = self._clock()
        # A little early still counts (a source at exactly 15 fps jitters), up to a tenth of
        # the interval: less than a frame period of any screen's refresh rate.
        if now < self._next_due - self._interval / 10:
            self.frames_skipped += 1
            return
        # The next slot on the grid; after a pause (or a slower source) the grid restarts here.
        due = self._next_due + self._interval
        self._next_due = due if due > now else now + self._interval
        super()._on_sink_frame(qframe)

    # how it ends

    def _on_capture_errorOccurred(self, error, message: str = "") -> None:
        if self._started and error not in _NO_ERRORS:  # one raised inside start() is handled after it
            self._failed(error, message)

    def _failed(self, error, message: str) -> None:
        if self._window_closed():  # Qt says e.g. "Cannot get window attributes"
            self.device_lost(self._closed_reason)
        else:
            self.device_lost(_capture_failed(self._what, message or error.name, self._session_type))

    def _on_capture_activeChanged(self, active: bool) -> None:
        chain = self._chain
        if not active and chain is not None and self._started and self.readyState == "live":
            # Stopped by Qt, not by us. Give an errorOccurred emitted just after the chance to
            # tell why, then end the track anyway.
            QTimer.singleShot(0, chain.capture, lambda: self.device_lost(f"Sharing {self._what} stopped."))

    def _on_capture_screenChanged(self, screen: QScreen | None) -> None:
        if screen is None:
            self.device_lost(f"{self.source.name} was disconnected.")

    def _on_window_check_timeout(self) -> None:
        if self._window_closed():
            self.device_lost(self._closed_reason)

    def _window_closed(self) -> bool:
        chain = self._chain
        return chain is not None and isinstance(chain.capture, QWindowCapture) and not chain.capture.window().isValid()

    @property
    def _closed_reason(self) -> str:
        return f"The window “{self.source.name}” was closed."

    def _teardown(self) -> None:
        chain = self._chain
        if chain is not None and QThread.currentThread() is not chain.capture.thread():
            QTimer.singleShot(0, chain.capture, self._teardown)  # Qt objects die on their own thread
            return
        self._chain = None
        timer, self._window_check = self._window_check, None
        if timer is not None:
            timer.stop()
            _disconnect(timer.timeout, self._on_window_check_timeout)
        if chain is not None:
            capture = chain.capture
            _disconnect(capture.errorOccurred, self._on_capture_errorOccurred)
            _disconnect(capture.activeChanged, self._on_capture_activeChanged)
            if isinstance(capture, QScreenCapture):
                _disconnect(capture.screenChanged, self._on_capture_screenChanged)
            chain.close()
        super()._teardown()  # the sink goes last, once the session no longer feeds it


# -- the catalog ---------------------------------------------------------------------------------


def _screen_source(index: int, screen: QScreen) -> ScreenSource:
    ratio = screen.devicePixelRatio()
    size = screen.geometry().size()
    width, height = round(size.width() * ratio), round(size.height() * ratio)
    label = " ".join(part for part in (screen.manufacturer(), screen.model()) if part)
    name = f"Screen {index + 1}: {label} ({width}x{height})" if label else f"Screen {index + 1} ({width}x{height})"
    return ScreenSource(f"screen:{index}:{screen.name()}", name, "screen", width, height)


def _window_source(index: int, window: QCapturableWindow) -> ScreenSource:
    description = window.description()
    return ScreenSource(f"window:{index}:{description}", description or "Untitled window", "window")


def _source_for(target: CaptureTarget) -> ScreenSource:
    if isinstance(target, QCapturableWindow):
        return _window_source(0, target)
    screens = QGuiApplication.screens()
    index = next((i for i, screen in enumerate(screens) if screen is target), 0)
    return _screen_source(index, target)


class QtScreens:
    """The screens and windows of this computer, through Qt Multimedia (a ``ScreenCatalog``).

    Create it, and call it, on the GUI thread with a ``QGuiApplication`` alive. Tracks opened
    here that are still running when the application quits are stopped then (``close``).
    ``environ`` is the desktop session's environment (the composition root passes
    ``os.environ``): its ``XDG_SESSION_TYPE`` says whether capture goes through the portal.
    """

    def __init__(
        self,
        *,
        environ: Mapping[str, str],
        thumbnail_timeout: float = 2.0,
        width: int = SHARE_WIDTH,
        height: int = SHARE_HEIGHT,
        fps: int = SHARE_FPS,
    ) -> None:
        app = QCoreApplication.instance()
        if not isinstance(app, QGuiApplication):
            raise RuntimeError("QtScreens needs a QGuiApplication (or QApplication) first")
        self.session_type = environ.get("XDG_SESSION_TYPE", "")
        self.thumbnail_timeout = thumbnail_timeout
        self.width, self.height, self.fps = width, height, fps
        self._opened: list[QtScreenTrack] = []
        app.aboutToQuit.connect(self.close)

    # listing

    def sources(self) -> list[ScreenSource]:
        """Every screen (primary first, as Qt lists them), then every capturable window."""
        found = [_screen_source(i, screen) for i, screen in enumerate(QGuiApplication.screens())]
        found += [
            _window_source(i, window)
            for i, window in enumerate(QWindowCapture.capturableWindows())
            if window.isValid()
        ]
        return found

    def unavailable_reason(self) -> str | None:
        return sharing_unavailable_reason(
            QGuiApplication.platformName(),
            session_type=self.session_type,
            portal=portal_reachable,
            screen_count=len(QGuiApplication.screens()),
        )

    def _find(self, source: ScreenSource) -> CaptureTarget:
        """The QScreen or QCapturableWindow ``source`` was listed for, if it is still there.

        Ids carry the position in Qt's list and the name; when the list changed since, a
        unique match on the name is taken.
        """
        kind, _, rest = source.id.partition(":")
        index_text, _, name = rest.partition(":")
        try:
            index = int(index_text)
        except ValueError:
            raise ScreenUnavailable(f"{source.name} is not a screen or window of this computer.") from None
        candidates: list[QScreen] | list[QCapturableWindow]
        if kind == "screen":
            candidates = list(QGuiApplication.screens())
            names = [screen.name() for screen in candidates]
        elif kind == "window":
            candidates = [w for w in QWindowCapture.capturableWindows() if w.isValid()]
            names = [window.description() for window in candidates]
        else:
            raise ScreenUnavailable(f"{source.name} is not a screen or window of this computer.")
        if 0 <= index < len(candidates) and names[index] == name:
            return candidates[index]
        same = [candidate for candidate, candidate_name in zip(candidates, names) if candidate_name == name]
        if len(same) == 1 and name:
            return same[0]
        what = "window" if kind == "window" else "screen"
        raise ScreenUnavailable(f"The {what} “{source.name}” is no longer available.")

    # grabbing

    async def thumbnail(self, source: ScreenSource, width: int, height: int) -> av.VideoFrame | None:
        """One frame of ``source`` as rgb24, scaled down to fit; None when none came in time."""
        _require_gui_thread()
        try:
            target = self._find(source)
        except ScreenUnavailable:
            return None
        loop = asyncio.get_running_loop()
        grabbed: asyncio.Future[av.VideoFrame | None] = loop.create_future()
        lock = threading.Lock()
        taken = False

        def deliver(result: av.VideoFrame | None) -> None:
            if not grabbed.done():
                grabbed.set_result(result)

        def hand_over(result: av.VideoFrame | None) -> None:
            try:
                loop.call_soon_threadsafe(deliver, result)
            except RuntimeError:  # the loop closed meanwhile
                pass

        def on_frame(qframe: QVideoFrame) -> None:  # wherever Qt delivers: copy one, once
            nonlocal taken
            with lock:
                if taken or not qframe.isValid():
                    return
                try:
                    frame = video_frame_to_av(qframe)
                except Exception:
                    logger.exception("thumbnail of %s: could not convert a frame", source.name)
                    frame = None
                if frame is None:
                    return
                taken = True
            hand_over(frame)

        def on_error(error, message: str = "") -> None:
            logger.info("thumbnail of %s: %s", source.name, message or error)
            hand_over(None)

        chain = _CaptureChain(target)
        chain.sink.videoFrameChanged.connect(on_frame, Qt.ConnectionType.DirectConnection)
        chain.capture.errorOccurred.connect(on_error)

        def release() -> None:
            _disconnect(chain.sink.videoFrameChanged, on_frame)
            _disconnect(chain.capture.errorOccurred, on_error)
            chain.close()

        try:
            chain.capture.start()
            if chain.capture.error() not in _NO_ERRORS:
                return None
            frame = await asyncio.wait_for(grabbed, self.thumbnail_timeout)
        except asyncio.TimeoutError:
            logger.info("thumbnail of %s: no frame within %.1f s", source.name, self.thumbnail_timeout)
            return None
        finally:
            _on_own_thread(chain.capture, release)
        if frame is None:
            return None
        w, h = fit(frame.width, frame.height, width, height)
        return await loop.run_in_executor(None, lambda: frame.reformat(width=w, height=h, format="rgb24"))

    def open(self, source: ScreenSource) -> QtScreenTrack:
        """Start capturing ``source`` (raises ``ScreenUnavailable`` when it is gone)."""
        _require_gui_thread()
        track = QtScreenTrack(self._find(source), source, width=self.width, height=self.height, fps=self.fps,
                              session_type=self.session_type)
        self._opened = [t for t in self._opened if not t.finished]
        self._opened.append(track)
        return track

    def close(self) -> None:
        """Stop every track opened here that still runs; idempotent."""
        opened, self._opened = self._opened, []
        for track in opened:
            track.stop()


def _require_gui_thread() -> None:
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("screen capture must be driven from the GUI thread")

