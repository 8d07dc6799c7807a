"""Capturing one screen or window: ``QScreenCapture`` / ``QWindowCapture`` ->
``QMediaCaptureSession`` -> ``QVideoSink`` -> ``QtScreenTrack``, a ``VideoSinkTrack`` that keeps at
most 15 frames a second and sends at most 1920x1080."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QTimer
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtMultimedia import (
    QCapturableWindow,
    QMediaCaptureSession,
    QScreenCapture,
    QVideoFrame,
    QVideoSink,
    QWindowCapture,
)

from ..screens import SHARE_FPS, SHARE_HEIGHT, SHARE_WIDTH, ScreenSource
from .screen_access import capture_failed
from .video_sink import VideoSinkTrack

__all__ = ["NO_ERRORS", "CaptureChain", "CaptureTarget", "QtScreenTrack", "disconnect", "on_own_thread",
           "screen_source", "window_source"]

#: "No error" of either capture class: their Error enums are distinct types that never compare equal.
NO_ERRORS = (QScreenCapture.Error.NoError, QWindowCapture.Error.NoError)

CaptureTarget = QScreen | QCapturableWindow


# -- the Qt objects of one capture ---------------------------------------------------------------


def on_own_thread(obj: QObject, callback: Callable[[], None]) -> None:
    """Run ``callback`` now when on ``obj``'s thread, else queued to that thread."""
    if QThread.currentThread() is obj.thread():
        callback()
    else:
        QTimer.singleShot(0, obj, callback)


class CaptureChain:
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


def disconnect(signal, slot) -> None:
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
        self._chain: CaptureChain | None = CaptureChain(target)
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
        if capture.error() not in NO_ERRORS:  # e.g. a window that is already gone: said in start()
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
        if self._started and error not in NO_ERRORS:  # one raised inside start() is handled after it
            self._failed(error, message)

    def _failed(self, error, message: str) -> None:
        if self._window_closed():  # Qt says e.g. "Cannot get window attributes"
            self.device_lost(self._closed_reason)
        else:
            self.device_lost(capture_failed(self._what, message or error.name, self._session_type))

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
            disconnect(timer.timeout, self._on_window_check_timeout)
        if chain is not None:
            capture = chain.capture
            disconnect(capture.errorOccurred, self._on_capture_errorOccurred)
            disconnect(capture.activeChanged, self._on_capture_activeChanged)
            if isinstance(capture, QScreenCapture):
                disconnect(capture.screenChanged, self._on_capture_screenChanged)
            chain.close()
        super()._teardown()  # the sink goes last, once the session no longer feeds it


# -- the catalog ---------------------------------------------------------------------------------


def screen_source(index: int, screen: QScreen) -> ScreenSource:
    ratio = screen.devicePixelRatio()
    size = screen.geometry().size()
    width, height = round(size.width() * ratio), round(size.height() * ratio)
    label = " ".join(part for part in (screen.manufacturer(), screen.model()) if part)
    name = f"Screen {index + 1}: {label} ({width}x{height})" if label else f"Screen {index + 1} ({width}x{height})"
    return ScreenSource(f"screen:{index}:{screen.name()}", name, "screen", width, height)


def window_source(index: int, window: QCapturableWindow) -> ScreenSource:
    description = window.description()
    return ScreenSource(f"window:{index}:{description}", description or "Untitled window", "window")


def _source_for(target: CaptureTarget) -> ScreenSource:
    if isinstance(target, QCapturableWindow):
        return window_source(0, target)
    screens = QGuiApplication.screens()
    index = next((i for i, screen in enumerate(screens) if screen is target), 0)
    return screen_source(index, target)
