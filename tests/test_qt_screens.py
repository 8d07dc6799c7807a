"""Sharing real screens and windows through Qt Multimedia (``desktop.media.qt``: screens, screen_capture, screen_access).

In the test process Qt runs ``offscreen``: it has one virtual 800x800 screen that Qt's grabber
captures (black frames), and no windows to capture. That is enough for the listing, the frame
rate limit, thumbnails, how a missing window ends a track, and where the Qt objects are
released. Real capture (a coloured window on a 1920x1080 X screen, by screen and by window,
and a window that closes) runs in a child process on its own Xvfb server.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import av
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from aiortc.mediastreams import MediaStreamError  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSize  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtMultimedia import QCapturableWindow, QVideoFrame, QVideoFrameFormat  # noqa: E402

from desktop.media.devices import DeviceUnavailable  # noqa: E402
from desktop.media.qt import screens as qt_screens  # noqa: E402
from desktop.media.qt.screen_access import PORTAL_SERVICE, sharing_unavailable_reason  # noqa: E402
from desktop.media.qt.screen_capture import QtScreenTrack  # noqa: E402
from desktop.media.qt.screens import QtScreens, ScreenUnavailable  # noqa: E402
from desktop.media.screens import ScreenSource  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")


@pytest.fixture(scope="module")
def qapp():
    # A QApplication (not just a QGuiApplication): the one instance of the process must also
    # serve widget tests that run after these.
    from PySide6.QtWidgets import QApplication

    yield QCoreApplication.instance() or QApplication([])


def run_qt(coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
    """Run ``coro`` on a qasync loop, as the app does: Qt's events flow while it awaits."""
    loop = qasync.QEventLoop(QCoreApplication.instance())
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))
    finally:
        loop.close()


async def until(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def screen_source(catalog: QtScreens) -> ScreenSource:
    return next(s for s in catalog.sources() if s.kind == "screen")


# -- listing and whether sharing can work ----------------------------------------------------------


def test_sources_list_the_offscreen_screen_and_no_windows(qapp) -> None:
    catalog = QtScreens(environ={})
    sources = catalog.sources()
    screens = QGuiApplication.screens()
    assert [s.kind for s in sources] == ["screen"] * len(screens)  # offscreen lists no windows
    first = sources[0]
    geometry = screens[0].geometry()
    ratio = screens[0].devicePixelRatio()
    assert (first.width, first.height) == (round(geometry.width() * ratio), round(geometry.height() * ratio))
    assert first.name == f"Screen 1 ({first.width}x{first.height})"
    assert first.id.startswith("screen:0:")
    assert len({s.id for s in sources}) == len(sources)


def test_offscreen_has_no_screen_to_share(qapp) -> None:
    reason = QtScreens(environ={}).unavailable_reason()
    assert reason is not None and "no screen to share" in reason


def test_unavailable_reason_by_platform() -> None:
    def no_portal() -> bool:
        return False

    def must_not_ask() -> bool:
        raise AssertionError("the portal only matters on Wayland")

    for headless in ("offscreen", "minimal"):
        assert "no screen" in sharing_unavailable_reason(headless, portal=must_not_ask)
    assert "no screen" in sharing_unavailable_reason("xcb", screen_count=0, portal=must_not_ask)
    wayland = sharing_unavailable_reason("wayland", system="linux", portal=no_portal)
    assert wayland is not None and "not available on this desktop" in wayland and "portal" in wayland
    # An X11 app on a Wayland desktop (XWayland) is captured through the portal too.
    assert sharing_unavailable_reason("xcb", session_type="wayland", system="linux", portal=no_portal)
    assert sharing_unavailable_reason("wayland", system="linux", portal=lambda: True) is None
    assert sharing_unavailable_reason("xcb", session_type="x11", system="linux", portal=must_not_ask) is None
    assert sharing_unavailable_reason("cocoa", system="darwin", portal=must_not_ask) is None
    assert sharing_unavailable_reason("windows", system="win32", portal=must_not_ask) is None


_PORTAL_CHECK = f"""
import sys
from PySide6.QtCore import QCoreApplication
from PySide6.QtDBus import QDBusConnection
from desktop.media.qt.screen_access import portal_reachable
app = QCoreApplication([])
if sys.argv[1] == "register":
    assert QDBusConnection.sessionBus().registerService({PORTAL_SERVICE!r})
print(portal_reachable())
"""


def test_portal_check_asks_the_session_bus() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("DISPLAY", None)  # no X11 autolaunch of a bus
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/parley-test-bus"
    no_bus = subprocess.run([sys.executable, "-c", _PORTAL_CHECK, "ask"], env=env, capture_output=True,
                            text=True, timeout=30)
    assert no_bus.stdout.strip() == "False", no_bus.stderr
    runner = shutil.which("dbus-run-session")
    if runner is None:
        pytest.skip("dbus-run-session is not installed: the portal check on a live bus is not exercised")
    # A private session bus on which this process plays the portal.
    env.pop("DBUS_SESSION_BUS_ADDRESS")
    live = subprocess.run([runner, "--", sys.executable, "-c", _PORTAL_CHECK, "register"], env=env,
                          capture_output=True, text=True, timeout=30)
    assert live.stdout.strip() == "True", live.stderr


# -- tracks --------------------------------------------------------------------------------------


def a_frame(width: int = 64, height: int = 36) -> QVideoFrame:
    return QVideoFrame(QVideoFrameFormat(QSize(width, height), QVideoFrameFormat.PixelFormat.Format_BGRX8888))


@pytest.mark.parametrize(("source_hz", "kept"), [(60, 15), (30, 15), (10, 10), (15, 15)])
def test_frames_are_kept_on_a_fifteen_per_second_grid(qapp, source_hz: int, kept: int) -> None:
    now = [0.0]
    track = QtScreenTrack(QGuiApplication.primaryScreen(), clock=lambda: now[0])
    try:
        frame = a_frame()
        for i in range(source_hz):  # one second of frames, with a little jitter
            now[0] = i / source_hz + (0.002 if i % 3 == 1 else -0.002 if i % 3 == 2 else 0.0)
            track._on_sink_frame(frame)
        assert track.frames_captured == kept
        assert track.frames_skipped == source_hz - kept
        track._on_sink_frame(QVideoFrame())  # an empty frame (capture stopping) takes no slot
        assert track.frames_skipped == source_hz - kept
    finally:
        track.stop()


def test_sharing_the_offscreen_screen_is_rate_limited_and_scaled(qapp) -> None:
    async def scenario() -> tuple[list[av.VideoFrame], float, QtScreenTrack]:
        catalog = QtScreens(environ={}, width=320, height=180)
        track = catalog.open(screen_source(catalog))
        frames = [await track.recv()]
        start = time.monotonic()
        while time.monotonic() - start < 1.2:
            frames.append(await track.recv())
        elapsed = time.monotonic() - start
        track.stop()
        return frames, elapsed, track

    frames, elapsed, track = run_qt(scenario())
    assert track.device_kind == "screen" and track.kind == "video"
    assert track.device_name.startswith("Screen 1")
    # Qt grabs the offscreen screen at about 60 fps; at most 15 a second get past the sink.
    assert track.frames_skipped > track.frames_captured
    assert (len(frames) - 1) / elapsed <= 16.5
    assert all(f.width <= 320 and f.height <= 180 for f in frames)
    assert frames[-1].width == frames[-1].height  # the 800x800 screen, aspect kept
    pts = [f.pts for f in frames]
    assert pts == sorted(set(pts))
    assert track.readyState == "ended" and track.ended_reason is None  # stopped by us: no reason
    assert track._chain is None and track._sink is None  # the Qt objects were let go


def test_a_window_that_is_gone_ends_the_track_with_a_reason(qapp) -> None:
    track = QtScreenTrack(QCapturableWindow())  # Qt says "not found" from inside start()
    assert track.readyState == "ended"
    assert track.ended_reason is not None and "window" in track.ended_reason
    assert track._chain is None

    async def recv() -> None:
        await track.recv()

    with pytest.raises(MediaStreamError):
        run_qt(recv())


def test_opening_what_is_not_there_raises(qapp) -> None:
    catalog = QtScreens(environ={})
    for source in (
        ScreenSource("window:0:Closed meanwhile", "Closed meanwhile", "window"),
        ScreenSource("screen:7:HDMI-9", "Screen 8", "screen"),
        ScreenSource("synthetic", "Synthetic screen", "screen"),
    ):
        with pytest.raises(ScreenUnavailable) as raised:
            catalog.open(source)
        assert isinstance(raised.value, KeyError) and isinstance(raised.value, DeviceUnavailable)
        assert source.name in str(raised.value) and not str(raised.value).startswith("'")


def test_a_track_stopped_from_another_thread_releases_qt_objects_on_the_gui_thread(qapp) -> None:
    gui = threading.get_ident()

    async def scenario() -> tuple[int | None, QtScreenTrack]:
        catalog = QtScreens(environ={})
        track = catalog.open(screen_source(catalog))
        await track.recv()
        released_on: list[int] = []
        chain = track._chain
        assert chain is not None
        close = chain.close
        chain.close = lambda: (released_on.append(threading.get_ident()), close())  # type: ignore[method-assign]
        stopper = threading.Thread(target=track.stop)
        stopper.start()
        stopper.join()
        await until(lambda: bool(released_on))
        return (released_on[0] if released_on else None), track

    released_on, track = run_qt(scenario())
    assert released_on == gui
    assert track.readyState == "ended" and track._chain is None


def test_catalog_close_stops_what_it_opened(qapp) -> None:
    catalog = QtScreens(environ={})
    track = catalog.open(screen_source(catalog))
    catalog.close()
    assert track.readyState == "ended" and track._chain is None
    catalog.close()  # idempotent


# -- thumbnails ----------------------------------------------------------------------------------


def test_thumbnail_of_the_offscreen_screen_fits_the_box(qapp) -> None:
    catalog = QtScreens(environ={})
    source = screen_source(catalog)
    thumb = run_qt(catalog.thumbnail(source, 320, 180))
    assert thumb is not None and thumb.format.name == "rgb24"
    assert thumb.height == 180 and thumb.width == (source.width * 180 // source.height) & ~1


def test_thumbnail_of_a_window_that_is_gone_is_none(qapp) -> None:
    source = ScreenSource("window:0:Closed meanwhile", "Closed meanwhile", "window")
    start = time.monotonic()
    assert run_qt(QtScreens(environ={}).thumbnail(source, 320, 180)) is None
    assert time.monotonic() - start < 1.0


def test_thumbnail_gives_up_when_no_frame_comes(qapp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qt_screens, "video_frame_to_av", lambda frame: None)  # nothing usable
    catalog = QtScreens(environ={}, thumbnail_timeout=0.3)
    start = time.monotonic()
    assert run_qt(catalog.thumbnail(screen_source(catalog), 320, 180)) is None
    assert 0.25 <= time.monotonic() - start < 2.0


# -- real capture on an X server -----------------------------------------------------------------

WINDOW_COLOUR = (230, 60, 20)  # RGB
WINDOW_RECT = (200, 150, 480, 270)  # x, y, width, height: without a window manager, exactly there
WINDOW_TITLE = "Parley capture test"


@pytest.fixture(scope="module")
def xvfb_display() -> Iterator[str]:
    """A 1920x1080 Xvfb server of our own, on whichever display number is free."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb): real capture is not exercised")
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], 10)
        number = os.read(read, 32).decode().strip() if ready else ""
        if not number:
            pytest.fail("Xvfb did not start")
        yield f":{number}"
    finally:
        os.close(read)
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_child(display: str, session_type: str, seconds: float) -> dict[str, Any]:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", XDG_SESSION_TYPE=session_type,
               PYTHONPATH=str(REPO))
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run([sys.executable, __file__, "--xvfb-child", str(seconds)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, done.stdout + done.stderr[-3000:]
    return json.loads(lines[-1])


def assert_colour(rgb: list[int]) -> None:
    assert all(abs(a - b) <= 6 for a, b in zip(rgb, WINDOW_COLOUR)), rgb


# XDG_SESSION_TYPE picks Qt's grabber: "x11" (a real X11 desktop) uses XShm and lists windows;
# without it Qt grabs through QScreen.grabWindow and lists no windows.
@pytest.mark.parametrize("session_type", ["x11", ""])
def test_real_capture_under_xvfb(xvfb_display: str, session_type: str) -> None:
    result = run_child(xvfb_display, session_type, seconds=2.0)
    print(json.dumps(result))  # the figures, with -s
    assert result["unavailable_reason"] is None
    assert result["screen"]["source"][1:] == [1920, 1080]
    screen = result["screen"]
    assert screen["sizes"] == [[1920, 1080]]  # one size, within 1920x1080
    assert 5 <= screen["fps"] <= 16, screen  # the rate limit against Qt's ~60 fps grabs
    assert screen["skipped"] > screen["captured"]
    assert_colour(screen["window_colour"])
    assert screen["thumbnail"] == [320, 180]
    window = result["window"]
    if session_type == "x11":
        assert window["listed"], result
        assert window["sizes"] == [[WINDOW_RECT[2], WINDOW_RECT[3]]]
        assert_colour(window["colour"])
        assert window["thumbnail"] == [320, 180]
        assert window["ended_reason"] and "closed" in window["ended_reason"]
        assert window["ended_after"] < 2.0
    else:
        assert not window["listed"]


# -- the child: runs on the Xvfb display ---------------------------------------------------------


def _publish_client_list(windows: list[int]) -> None:
    """Set the root window's ``_NET_CLIENT_LIST``, as a window manager would: Qt lists from it.

    There is no window manager on our Xvfb. libX11 is there wherever Qt's X11 capture is.
    """
    import ctypes
    import ctypes.util

    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XChangeProperty.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                                    ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(None)
    assert display, "cannot open the X display"
    xa_window, prop_mode_replace = 33, 0
    ids = (ctypes.c_ulong * len(windows))(*windows)  # Xlib takes format-32 data as longs
    x11.XChangeProperty(display, x11.XDefaultRootWindow(display), x11.XInternAtom(display, b"_NET_CLIENT_LIST", 0),
                        xa_window, 32, prop_mode_replace, ids, len(windows))
    x11.XCloseDisplay(display)  # flushes the request


async def _child_checks(seconds: float) -> dict[str, Any]:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    window.setWindowTitle(WINDOW_TITLE)
    window.setGeometry(*WINDOW_RECT)
    palette = window.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(*WINDOW_COLOUR))
    window.setPalette(palette)
    window.setAutoFillBackground(True)
    window.show()
    await until(lambda: window.windowHandle() is not None and window.windowHandle().isExposed())
    await asyncio.sleep(0.2)  # painted
    _publish_client_list([int(window.winId())])

    catalog = QtScreens(environ=os.environ)
    result: dict[str, Any] = {"unavailable_reason": catalog.unavailable_reason()}
    sources = catalog.sources()
    screen = next(s for s in sources if s.kind == "screen")

    track = catalog.open(screen)
    first = await track.recv()
    frames: list[av.VideoFrame] = []
    cpu, wall = time.process_time(), time.monotonic()
    while time.monotonic() - wall < seconds:
        frames.append(await track.recv())
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    track.stop()
    x, y, w, h = WINDOW_RECT
    pixels = frames[-1].reformat(format="rgb24").to_ndarray()[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]
    thumb = await catalog.thumbnail(screen, 320, 180)
    result["screen"] = {
        "source": [screen.name, screen.width, screen.height],
        "sizes": sorted({(f.width, f.height) for f in [first, *frames]}),
        "fps": (len(frames) - 1) / ((frames[-1].pts - frames[0].pts) / 90000),
        "captured": track.frames_captured,
        "skipped": track.frames_skipped,
        "cpu_per_second": cpu / wall,
        "window_colour": [int(round(v)) for v in pixels.reshape(-1, 3).mean(axis=0)],
        "thumbnail": [thumb.width, thumb.height] if thumb else None,
    }

    windows = [s for s in sources if s.kind == "window" and s.name == WINDOW_TITLE]
    result["window"] = {"listed": bool(windows)}
    if windows:
        thumb = await catalog.thumbnail(windows[0], 320, 180)
        track = catalog.open(windows[0])
        shots = [await track.recv() for _ in range(3)]
        colour = shots[-1].reformat(format="rgb24").to_ndarray().reshape(-1, 3).mean(axis=0)
        window.close()
        window.deleteLater()  # the X window is destroyed: Qt keeps the capture "active"
        closed = time.monotonic()
        try:
            while True:
                await asyncio.wait_for(track.recv(), 3)
        except MediaStreamError:
            pass
        result["window"].update(
            sizes=sorted({(f.width, f.height) for f in shots}),
            colour=[int(round(v)) for v in colour],
            thumbnail=[thumb.width, thumb.height] if thumb else None,
            ended_reason=track.ended_reason,
            ended_after=time.monotonic() - closed,
        )
    return result


def _child_main(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication(["parley-screens-test"])
    app.setQuitOnLastWindowClosed(False)  # as the app: closing the test window must not stop the loop
    result = qasync.run(asyncio.wait_for(_child_checks(seconds), 30))
    print(json.dumps(result), flush=True)
    del app


if __name__ == "__main__" and sys.argv[1:2] == ["--xvfb-child"]:
    _child_main(float(sys.argv[2]))
