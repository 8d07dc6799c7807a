"""The idle backends: X11 under a real Xvfb, D-Bus against a private bus, the in-app fallback.

Debian packages for the real-server tests: xvfb, xdotool, libxss1 (X11), dbus-daemon (D-Bus).
Without them those tests skip and say which package is missing.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.idle import backends
from desktop.idle.backends import (
    IdleBackend,
    MacBackend,
    WindowsBackend,
    X11Backend,
    detect_backend,
    windows_idle_ms,
)
from desktop.idle.qt.dbus import (
    SESSION_BUS_BACKENDS,
    FreedesktopScreenSaverBackend,
    MutterIdleMonitorBackend,
    session_bus_configured,
)

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------
# Real X and D-Bus servers


def _need(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.skip(f"{program} not installed (Debian package: {package})")
    return path


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """An Xvfb on a free display number it picks itself (-displayfd: no race, ready when told)."""
    xvfb = _need("Xvfb", "xvfb")
    if backends._load_xlibs() is None:
        pytest.skip("libXss not installed (Debian package: libxss1)")
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "640x480x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        number = b""
        while not number.endswith(b"\n"):  # Xvfb writes "N\n" once it accepts connections
            chunk = os.read(read_end, 16)
            if not chunk:
                raise RuntimeError(f"Xvfb exited with {process.wait(5)} before reporting its display")
            number += chunk
    except BaseException:
        _stop(process)
        raise
    finally:
        os.close(read_end)
    return process, f":{int(number)}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module")
def xvfb() -> Iterator[str]:
    process, display = _start_xvfb()
    yield display
    _stop(process)


def _start_bus() -> tuple[subprocess.Popen[bytes], str]:
    """A private session bus (dbus-daemon) and its address."""
    daemon = _need("dbus-daemon", "dbus-daemon")
    process = subprocess.Popen(
        [daemon, "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    address = process.stdout.readline().decode().strip()
    if not address:
        _stop(process)
        pytest.fail("dbus-daemon printed no address")
    return process, address


@pytest.fixture(scope="module")
def dbus_bus() -> Iterator[str]:
    """A private session bus: its address."""
    process, address = _start_bus()
    yield address
    _stop(process)  # type: ignore[arg-type]


# Stand-ins for the desktops' services, with their real D-Bus signatures: GNOME's uint64 ms, KDE's
# uint32 ms at /ScreenSaver, and (like GNOME) an error at /org/freedesktop/ScreenSaver.
FAKE_DESKTOP = """
import sys
from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, Slot
from PySide6.QtDBus import QDBusConnection

@ClassInfo({"D-Bus Interface": "org.gnome.Mutter.IdleMonitor"})
class IdleMonitor(QObject):
    @Slot(result="qulonglong")
    def GetIdletime(self):
        return 4321

@ClassInfo({"D-Bus Interface": "org.freedesktop.ScreenSaver"})
class KdeScreenSaver(QObject):
    @Slot(result="uint")
    def GetSessionIdleTime(self):
        return 7000

@ClassInfo({"D-Bus Interface": "org.freedesktop.ScreenSaver"})
class GnomeScreenSaver(QObject):
    @Slot(result="bool")
    def GetActive(self):
        return False

app = QCoreApplication([])
bus = QDBusConnection.connectToBus(sys.argv[1], "fake-desktop")
objects = [IdleMonitor(), KdeScreenSaver(), GnomeScreenSaver()]
export = QDBusConnection.RegisterOption.ExportAllSlots
ok = (bus.registerObject("/org/gnome/Mutter/IdleMonitor/Core", objects[0], export)
      and bus.registerObject("/ScreenSaver", objects[1], export)
      and bus.registerObject("/org/freedesktop/ScreenSaver", objects[2], export)
      and bus.registerService("org.gnome.Mutter.IdleMonitor")
      and bus.registerService("org.freedesktop.ScreenSaver"))
print("ready" if ok else "failed", flush=True)
app.exec()
"""


@pytest.fixture(scope="module")
def fake_desktop_bus() -> Iterator[str]:
    """A second private bus with the fake desktop services on it."""
    bus, address = _start_bus()
    service = subprocess.Popen(
        [sys.executable, "-c", FAKE_DESKTOP, address],
        stdout=subprocess.PIPE,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert service.stdout is not None
    try:
        assert service.stdout.readline().decode().strip() == "ready"
        yield address
    finally:
        _stop(service)  # type: ignore[arg-type]
        _stop(bus)  # type: ignore[arg-type]


def _xdotool(display: str, *args: str) -> None:
    xdotool = _need("xdotool", "xdotool")
    subprocess.run([xdotool, *args], env={**os.environ, "DISPLAY": display}, check=True, timeout=10)


# --------------------------------------------------------------------------------------------
# X11


def test_x11_idle_grows_and_input_resets_it(xvfb: str) -> None:
    _need("xdotool", "xdotool")
    backend = X11Backend.open(xvfb)
    assert backend is not None
    try:
        assert isinstance(backend, IdleBackend) and backend.system_wide
        idle = backend.idle_seconds()
        assert idle is not None and idle >= 0.0
        time.sleep(max(0.0, 1.2 - idle))  # real idle time: no clock to inject into the X server
        idle = backend.idle_seconds()
        assert idle is not None and idle >= 1.0

        _xdotool(xvfb, "mousemove", "--sync", "10", "10")
        idle = backend.idle_seconds()
        assert idle is not None and idle < 0.5
        _xdotool(xvfb, "mousemove", "--sync", "300", "200")
        idle = backend.idle_seconds()
        assert idle is not None and idle < 0.5
    finally:
        backend.close()
    backend.close()  # idempotent
    assert backend.idle_seconds() is None


def test_x11_opens_nothing_without_a_server() -> None:
    assert X11Backend.open("") is None  # no $DISPLAY
    unused = next(n for n in range(900, 1000) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    assert X11Backend.open(f":{unused}") is None


def test_x11_struct_matches_the_c_layout() -> None:
    # XScreenSaverInfo: Window window; int state, kind; unsigned long til_or_since, idle, eventMask.
    info = backends.XScreenSaverInfo
    ulong = ctypes.sizeof(ctypes.c_ulong)
    assert (info.state.offset, info.kind.offset) == (ulong, ulong + 4)
    assert [info.til_or_since.offset, info.idle.offset, info.eventMask.offset] == [
        ulong + 8, 2 * ulong + 8, 3 * ulong + 8
    ]
    assert ctypes.sizeof(info) == 4 * ulong + 8


SURVIVOR = """
import sys
from desktop.idle.backends import X11Backend
backend = X11Backend.open(sys.argv[1])
print("open", backend.idle_seconds(), flush=True)
sys.stdin.readline()  # the test stops the X server now
print("after", backend.idle_seconds(), backend.idle_seconds(), flush=True)
backend.close()
backend.close()
print("closed", flush=True)
"""


def test_losing_the_x_server_does_not_end_the_process() -> None:
    """libX11 exit()s on a lost connection by default; ours must answer None instead (think of
    XWayland restarting under a native Wayland Parley)."""
    process, display = _start_xvfb()
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", SURVIVOR, display],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().startswith("open 0.")
        _stop(process)
        out, err = child.communicate("go\n", timeout=10)
    finally:
        _stop(process)
    assert child.returncode == 0, err
    assert out.splitlines() == ["after None None", "closed"]
    assert "XIO" not in err  # our display never reached the default handler


# --------------------------------------------------------------------------------------------
# D-Bus


@pytest.fixture
def no_session_bus(tmp_path: Path) -> dict[str, str]:
    """A desktop session's environment that names no session bus."""
    return {"XDG_RUNTIME_DIR": str(tmp_path)}  # no "bus" socket in it, no DBUS_SESSION_BUS_ADDRESS


def test_dbus_backends_open_nothing_without_a_session_bus(no_session_bus: dict[str, str]) -> None:
    assert not session_bus_configured(no_session_bus)
    assert MutterIdleMonitorBackend.open(no_session_bus) is None
    assert FreedesktopScreenSaverBackend.open(no_session_bus) is None


def test_dbus_backends_open_nothing_on_a_bus_without_the_services(qapp, dbus_bus: str) -> None:
    assert MutterIdleMonitorBackend.open({}, dbus_bus) is None
    assert FreedesktopScreenSaverBackend.open({}, dbus_bus) is None


def test_mutter_idle_monitor_answers_milliseconds(qapp, fake_desktop_bus: str) -> None:
    backend = MutterIdleMonitorBackend.open({}, fake_desktop_bus)
    assert backend is not None
    assert isinstance(backend, IdleBackend) and backend.name == "GNOME Mutter IdleMonitor"
    assert backend.idle_seconds() == pytest.approx(4.321)
    backend.close()
    backend.close()
    assert backend.idle_seconds() is None


def test_freedesktop_screensaver_tries_both_paths(qapp, fake_desktop_bus: str) -> None:
    """An error at /org/freedesktop/ScreenSaver (GNOME answers NotSupported there), then KDE's
    /ScreenSaver, which answers milliseconds (kscreenlocker's KIdleTime::idleTime())."""
    backend = FreedesktopScreenSaverBackend.open({}, fake_desktop_bus)
    assert backend is not None
    assert backend.idle_seconds() == pytest.approx(7.0)
    backend.close()
    assert backend.idle_seconds() is None


# --------------------------------------------------------------------------------------------
# Windows and macOS: what can run here


@pytest.mark.parametrize(
    ("now", "last", "expected"),
    [
        (5_000, 3_000, 2_000),
        (5_000, 5_000, 0),
        (2**32 + 500, 2**32 - 1_500, 2_000),  # dwTime from before the 32-bit wrap
        (7 * 2**32 + 500, 2**32 - 1_500, 2_000),  # GetTickCount64 many wraps on (months of uptime)
        (2**32 + 10, 10, 0),  # exactly 49.7 days: indistinguishable from now
        (1_000, 1_005, 0),  # input stamped a hair after the tick we read: not 49 days
        (10 * 2**32, 10 * 2**32 - 86_400_000, 86_400_000),  # a day, across a wrap boundary
    ],
)
def test_windows_tick_arithmetic(now: int, last: int, expected: int) -> None:
    assert windows_idle_ms(now, last & 0xFFFFFFFF) == expected


def test_windows_backend_reads_last_input_info() -> None:
    def get_last_input_info(pointer) -> int:
        info = pointer._obj  # what ctypes.byref() wraps
        assert info.cbSize == 8
        info.dwTime = 0xFFFFF000  # before the wrap
        return 1

    backend = WindowsBackend(get_last_input_info, lambda: 3 * 2**32 + 0x1000)
    assert isinstance(backend, IdleBackend)
    assert backend.idle_seconds() == pytest.approx(0x2000 / 1000)
    failing = WindowsBackend(lambda pointer: 0, lambda: 0)
    assert failing.idle_seconds() is None
    backend.close()
    backend.close()
    assert backend.idle_seconds() is None


def test_mac_backend_asks_for_any_input_in_the_session() -> None:
    calls = []

    def seconds_since(state: int, event_type: int) -> float:
        calls.append((state, event_type))
        return 12.5

    backend = MacBackend(seconds_since)
    assert isinstance(backend, IdleBackend)
    assert backend.idle_seconds() == 12.5
    assert calls == [(0, 0xFFFFFFFF)]  # combined session state, kCGAnyInputEventType
    assert MacBackend(lambda s, t: math.nan).idle_seconds() is None
    backend.close()
    assert backend.idle_seconds() is None


def test_foreign_platform_backends_open_nothing_here() -> None:
    if sys.platform != "win32":
        assert WindowsBackend.open() is None
    if sys.platform != "darwin":
        assert MacBackend.open() is None


# --------------------------------------------------------------------------------------------
# detect_backend


class StubBackend:
    system_wide = True

    def __init__(self, name: str) -> None:
        self.name = name

    def idle_seconds(self) -> float | None:
        return 0.0

    def close(self) -> None:
        pass


@pytest.fixture
def tried(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every backend's open() recorded and answering None unless told otherwise."""
    order: list[str] = []
    for cls in (X11Backend, MutterIdleMonitorBackend, FreedesktopScreenSaverBackend, WindowsBackend, MacBackend):
        monkeypatch.setattr(cls, "open", staticmethod(lambda *a, _n=cls.__name__, **k: order.append(_n)))
    return order


@pytest.mark.parametrize(
    ("platform", "wayland", "expected"),
    [
        ("linux", "", ["X11Backend", "MutterIdleMonitorBackend", "FreedesktopScreenSaverBackend"]),
        ("linux", "wayland-0", ["MutterIdleMonitorBackend", "FreedesktopScreenSaverBackend", "X11Backend"]),
        ("freebsd14", "", ["X11Backend", "MutterIdleMonitorBackend", "FreedesktopScreenSaverBackend"]),
        ("win32", "", ["WindowsBackend"]),
        ("darwin", "", ["MacBackend"]),
    ],
)
def test_detect_order(tried: list[str], platform: str, wayland: str, expected: list[str]) -> None:
    environ = {"WAYLAND_DISPLAY": wayland}
    fallback = StubBackend("Parley windows only")
    assert detect_backend(environ, lambda: fallback, session_bus=SESSION_BUS_BACKENDS, platform=platform) is fallback
    assert tried == expected
    assert detect_backend(environ, session_bus=SESSION_BUS_BACKENDS, platform=platform) is None


def test_detect_takes_the_first_that_answers_and_survives_a_broken_one(monkeypatch, tried, caplog) -> None:
    environ = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}

    def broken(environ) -> None:
        raise OSError("boom")

    monkeypatch.setattr(MutterIdleMonitorBackend, "open", staticmethod(broken))
    kde = StubBackend("freedesktop ScreenSaver")
    asked: list[object] = []
    monkeypatch.setattr(FreedesktopScreenSaverBackend, "open", staticmethod(lambda environ: asked.append(environ) or kde))
    with caplog.at_level(logging.INFO, logger="desktop.idle.backends"):
        found = detect_backend(environ, lambda: pytest.fail("no fallback needed"), session_bus=SESSION_BUS_BACKENDS,
                               platform="linux")
    assert found is kde
    assert asked == [environ]  # the session's environment, as the composition root passed it
    assert tried == []  # X11 never asked
    assert "using freedesktop ScreenSaver" in caplog.text


def test_detect_finds_x11_on_this_machine(xvfb: str, no_session_bus: dict[str, str], caplog) -> None:
    environ = {**no_session_bus, "DISPLAY": xvfb}
    with caplog.at_level(logging.INFO, logger="desktop.idle.backends"):
        backend = detect_backend(environ, lambda: pytest.fail("X11 is there"), session_bus=SESSION_BUS_BACKENDS,
                                 platform="linux")
    try:
        assert isinstance(backend, X11Backend)
        assert backend.display_name == xvfb
        assert "using X11 XScreenSaver" in caplog.text
    finally:
        assert backend is not None
        backend.close()


def test_detect_falls_back_to_the_app_without_display_or_bus(no_session_bus: dict[str, str], caplog) -> None:
    fallback = StubBackend("Parley windows only")
    with caplog.at_level(logging.INFO, logger="desktop.idle.backends"):
        assert detect_backend(no_session_bus, lambda: fallback, session_bus=SESSION_BUS_BACKENDS,
                              platform="linux") is fallback
    assert "using Parley windows only" in caplog.text


def test_detection_without_a_display_or_bus_imports_no_qt() -> None:
    """QtDBus is loaded only when a session bus is there to ask."""
    code = (
        "import sys, desktop.idle.backends as b, desktop.idle.qt.dbus as d; "
        "b.detect_backend({'XDG_RUNTIME_DIR': '/nonexistent'}, session_bus=d.SESSION_BUS_BACKENDS, platform='linux'); "
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))); "
        "print(qt); sys.exit(1 if qt else 0)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    env["XDG_RUNTIME_DIR"] = "/nonexistent"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------------------------
# The in-app fallback


class ManualClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def window(qtbot):
    from PySide6.QtWidgets import QLineEdit

    widget = QLineEdit()
    qtbot.addWidget(widget)
    widget.resize(200, 40)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_app_input_counts_from_creation_and_resets_on_input(qapp, window) -> None:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from desktop.idle.qt.app_input import AppInputBackend

    clock = ManualClock()
    backend = AppInputBackend(clock=clock)
    try:
        assert isinstance(backend, IdleBackend)
        assert (backend.name, backend.system_wide) == ("Parley windows only", False)
        assert backend.idle_seconds() == 0.0
        clock.now += 30
        assert backend.idle_seconds() == 30.0

        QTest.mouseMove(window, QPoint(20, 10))
        assert backend.idle_seconds() == 0.0
        clock.now += 5
        QTest.keyClick(window, Qt.Key.Key_A)
        assert backend.idle_seconds() == 0.0
        clock.now += 5
        QTest.mouseClick(window, Qt.MouseButton.LeftButton)
        assert backend.idle_seconds() == 0.0
    finally:
        backend.close()


def test_app_input_ignores_events_nobody_typed(qapp, window) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QPointF, Qt, QTimerEvent
    from PySide6.QtGui import QInputMethodEvent, QKeyEvent, QMouseEvent

    from desktop.idle.qt.app_input import AppInputBackend

    clock = ManualClock()
    backend = AppInputBackend(clock=clock)
    try:
        clock.now += 10
        window.setText("repaint me")
        window.repaint()
        window.resize(220, 40)
        QCoreApplication.sendEvent(window, QTimerEvent(1))
        QCoreApplication.processEvents()
        # Synthetic input sent by code (here or inside Qt) is not the user.
        move = QMouseEvent(QEvent.Type.MouseMove, QPointF(5, 5), QPointF(5, 5), Qt.MouseButton.NoButton,
                           Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
        QCoreApplication.sendEvent(window, move)
        QCoreApplication.sendEvent(window, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_B, Qt.KeyboardModifier.NoModifier, "b"))
        assert backend.idle_seconds() == 10.0

        # ...but an input method always speaks for the user.
        QCoreApplication.sendEvent(window, QInputMethodEvent("", []))
        assert backend.idle_seconds() == 0.0
    finally:
        backend.close()


def test_app_input_close_removes_the_filter(qapp, window) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from desktop.idle.qt.app_input import AppInputBackend

    backend = AppInputBackend()  # the real clock
    QTest.keyClick(window, Qt.Key.Key_A)
    idle = backend.idle_seconds()
    assert idle is not None and 0.0 <= idle < 0.5
    event_filter = backend._filter
    backend.close()
    backend.close()
    assert backend.idle_seconds() is None
    stamp = event_filter.last_input
    QTest.keyClick(window, Qt.Key.Key_A)
    assert event_filter.last_input == stamp  # no longer sees anything


def test_app_input_needs_an_application(monkeypatch) -> None:
    from PySide6.QtGui import QGuiApplication

    from desktop.idle.qt.app_input import AppInputBackend

    monkeypatch.setattr(QGuiApplication, "instance", staticmethod(lambda: None))
    with pytest.raises(RuntimeError, match="QGuiApplication"):
        AppInputBackend()
