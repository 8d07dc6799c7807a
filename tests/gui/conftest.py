"""GUI tests run inside Qt's event loop: asyncio on qasync, as the app itself does."""

from __future__ import annotations

import asyncio
import os

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from desktop.hosted_server import HostedServer, child_environment
from desktop.media.devices import DeviceManager
from desktop.media.synthetic.backend import SyntheticBackend
from desktop.session.meeting_session import MeetingSession
from desktop.ui.flow import AppFlow, FlowOptions
from desktop.ui.settings import Settings
from support import bounded

SMALL = FlowOptions(video_size=(320, 180), fps=15)


def _qt_loop():
    app = QApplication.instance() or QApplication(["parley-tests"])
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config, item):
    return {"qasync": _qt_loop}


@pytest.fixture
def qsettings(tmp_path) -> QSettings:
    """Settings in a file of the test's own, never the user's."""
    return QSettings(str(tmp_path / "parley.ini"), QSettings.Format.IniFormat)


@pytest.fixture
async def app_flow(qsettings, tmp_path):
    devices = DeviceManager([SyntheticBackend()])
    local = HostedServer(tmp_path / "local-server", environ=child_environment(os.environ))
    flows: list[AppFlow] = []

    def make(options: FlowOptions = SMALL, screens=None, clock=None, session_factory=MeetingSession) -> AppFlow:
        extra = {"clock": clock} if clock is not None else {}
        flow = AppFlow(devices, Settings(qsettings), options, local.start_meeting, screens=screens,
                       session_factory=session_factory, **extra)
        flows.append(flow)
        return flow

    make.hosted = local  # "Start a meeting on this computer" runs this child process
    yield make
    for flow in flows:
        flow.quit()
        await bounded(flow.shutdown, 10, "the app's shutdown")
    await bounded(local.close(), 30, "the local server's close")
    devices.close()
