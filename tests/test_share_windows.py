"""Windows to share under a real X11 window manager (Openbox on Xvfb), when the desktop session
never said it is X11 (startx, a bare window manager): Qt Multimedia lists windows only when
``XDG_SESSION_TYPE`` says x11, so the app says it for such a session (``name_the_x11_session``)."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.app import name_the_x11_session

REPO = Path(__file__).resolve().parent.parent
TITLE = "Parley window to share"


def test_an_x11_display_without_a_session_type_is_named_x11() -> None:
    environ = {"DISPLAY": ":0"}
    assert name_the_x11_session(environ, "linux") and environ["XDG_SESSION_TYPE"] == "x11"
    for left_alone in ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"},  # said already
                       {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"},  # XWayland: the portal's business
                       {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"},  # not on the X server at all
                       {}):  # no display
        before = dict(left_alone)
        assert not name_the_x11_session(left_alone, "linux") and left_alone == before
    assert not name_the_x11_session({"DISPLAY": ":0"}, "darwin")


CHILD = f"""
import asyncio, json, os, sys
from desktop.app import name_the_x11_session
named = name_the_x11_session(os.environ)
from PySide6.QtWidgets import QApplication, QWidget
import qasync
from desktop.media.qt.screens import QtScreens
app = QApplication([])
window = QWidget()
window.setWindowTitle({TITLE!r})
window.resize(400, 300)
window.show()

async def main():
    catalog = QtScreens(environ=os.environ)
    for _ in range(100):  # the window manager lists the window once it has mapped it
        await asyncio.sleep(0.05)
        sources = catalog.sources()
        if any(s.kind == "window" and s.name == {TITLE!r} for s in sources):
            break
    window_source = next((s for s in sources if s.kind == "window" and s.name == {TITLE!r}), None)
    thumb = await catalog.thumbnail(window_source, 240, 135) if window_source else None
    print(json.dumps({{"named": named, "kinds": [s.kind for s in sources], "names": [s.name for s in sources],
                      "thumbnail": [thumb.width, thumb.height] if thumb is not None else None}}))

qasync.run(main())
"""


@pytest.mark.slow
def test_windows_are_listed_under_openbox_without_a_session_type() -> None:
    xvfb, openbox = shutil.which("Xvfb"), shutil.which("openbox")
    if xvfb is None or openbox is None:
        pytest.skip("needs Xvfb and openbox (apt-get install xvfb openbox): a real window manager")
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    manager = None
    try:
        ready, _, _ = select.select([read], [], [], 10)
        number = os.read(read, 32).decode().strip() if ready else ""
        assert number, "Xvfb did not start"
        env = dict(os.environ, DISPLAY=f":{number}", PYTHONPATH=str(REPO))
        for name in ("XDG_SESSION_TYPE", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
            env.pop(name, None)
        manager = subprocess.Popen([openbox], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # openbox takes the screen (nothing to wait on but its own start)
        done = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=90)
        lines = done.stdout.strip().splitlines()
        assert done.returncode == 0 and lines, done.stdout + done.stderr[-3000:]
        result = json.loads(lines[-1])
        assert result["named"] is True
        assert result["kinds"][0] == "screen" and "window" in result["kinds"], result
        assert TITLE in result["names"], result
        assert result["thumbnail"] is not None and result["thumbnail"][0] <= 240, result
    finally:
        os.close(read)
        for process in (manager, server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
