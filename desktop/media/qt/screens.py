"""Real screens and windows to share, through Qt Multimedia: the ``ScreenCatalog`` of the app.

``QScreenCapture`` (a screen) or ``QWindowCapture`` (a window) -> ``QMediaCaptureSession`` ->
``QVideoSink`` -> ``QtScreenTrack`` (``screen_capture.py``), a ``VideoSinkTrack`` that keeps at
most 15 frames a second and sends at most 1920x1080; whether sharing can work here is
``screen_access.py``.

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
import re
import threading
from collections.abc import Mapping

import av
from PySide6.QtCore import QCoreApplication, Qt, QThread
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtMultimedia import QCapturableWindow, QVideoFrame, QWindowCapture

from ..devices import DeviceUnavailable
from ..screens import SHARE_FPS, SHARE_HEIGHT, SHARE_WIDTH, ScreenSource
from .frames import video_frame_to_av
from .screen_access import portal_reachable, sharing_unavailable_reason
from .screen_capture import (
    NO_ERRORS,
    CaptureChain,
    CaptureTarget,
    QtScreenTrack,
    disconnect,
    on_own_thread,
    screen_source,
    window_source,
)
from .video_sink import fit

__all__ = ["QtScreens", "ScreenUnavailable"]

logger = logging.getLogger(__name__)

_UNNAMED = re.compile(r"Window 0x[0-9a-fA-F]+")
"""How Qt names an X11 window without a title (a window manager's own, a helper): nothing a
person would choose to share, so it is not listed. Indexes in ids stay Qt's."""


class ScreenUnavailable(DeviceUnavailable, KeyError):
    """The screen or window is not (or no longer) there to capture.

    A ``KeyError`` like ``SyntheticScreens.open`` raises, and a ``DeviceUnavailable``; its text
    is meant for people.
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


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
        found = [screen_source(i, screen) for i, screen in enumerate(QGuiApplication.screens())]
        found += [
            window_source(i, window)
            for i, window in enumerate(QWindowCapture.capturableWindows())
            if window.isValid() and not _UNNAMED.match(window.description())
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

        chain = CaptureChain(target)
        chain.sink.videoFrameChanged.connect(on_frame, Qt.ConnectionType.DirectConnection)
        chain.capture.errorOccurred.connect(on_error)

        def release() -> None:
            disconnect(chain.sink.videoFrameChanged, on_frame)
            disconnect(chain.capture.errorOccurred, on_error)
            chain.close()

        try:
            chain.capture.start()
            if chain.capture.error() not in NO_ERRORS:
                return None
            frame = await asyncio.wait_for(grabbed, self.thumbnail_timeout)
        except asyncio.TimeoutError:
            logger.info("thumbnail of %s: no frame within %.1f s", source.name, self.thumbnail_timeout)
            return None
        finally:
            on_own_thread(chain.capture, release)
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
