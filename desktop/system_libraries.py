"""The system libraries Qt needs on Linux, checked before Qt is loaded.

Without one of them Qt's xcb platform plugin aborts with a message that names the wrong library
(it blames ``libxcb-cursor0`` whatever is missing). ``missing_libraries`` tries to load each one
the way Qt would (``ctypes.CDLL`` on its soname) and ``missing_message`` names the Debian/Ubuntu
packages to install in one sentence. No Qt, no environment reading here: ``desktop/app.py``
hands in the platform, the environment and (in tests) the loader.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterable, Mapping

# soname -> Debian/Ubuntu package. QtGui itself (EGL, GL, fontconfig, xkbcommon, glib, D-Bus)
# and then the xcb platform plugin (libQt6XcbQpa's direct dependencies); Qt Multimedia's sound.
QT_GUI_LIBRARIES: dict[str, str] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}
AUDIO_LIBRARIES: dict[str, str] = {"libpulse.so.0": "libpulse0"}  # Qt Multimedia


def uses_xcb(system: str, environ: Mapping[str, str]) -> bool:
    """Whether Qt will start its xcb (X11) platform plugin: on Linux, when QT_QPA_PLATFORM asks
    for it, or says nothing outside a Wayland session (Qt 6 prefers Wayland there)."""
    if system != "Linux":
        return False
    platform = environ.get("QT_QPA_PLATFORM", "").strip()
    if platform:
        return platform.split(";")[0].split(":")[0] == "xcb"
    wayland = environ.get("XDG_SESSION_TYPE") == "wayland" and bool(environ.get("WAYLAND_DISPLAY"))
    return not wayland


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(system: str, environ: Mapping[str, str],
                      load: Callable[[str], bool] | None = None) -> list[str]:
    """The Debian packages of the libraries Qt needs here and cannot load, in install order
    (empty off Linux, and for platforms other than xcb only QtGui's own)."""
    if system != "Linux":
        return []
    load = load or _loads
    wanted: dict[str, str] = dict(QT_GUI_LIBRARIES)
    if uses_xcb(system, environ):
        wanted.update(XCB_LIBRARIES)
    wanted.update(AUDIO_LIBRARIES)
    packages: list[str] = []
    for soname, package in wanted.items():
        if not load(soname) and package not in packages:
            packages.append(package)
    return packages


def missing_message(packages: Iterable[str]) -> str:
    """One sentence: what is missing and the command that installs it."""
    names = " ".join(packages)
    return (f"Parley cannot start: this system lacks libraries Qt needs ({names}); "
            f"install them (Debian/Ubuntu: sudo apt install {names}) and start Parley again.")
