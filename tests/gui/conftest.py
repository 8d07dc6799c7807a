"""GUI tests run inside Qt's event loop: asyncio on qasync, as the app itself does."""

from __future__ import annotations

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication


def _qt_loop():
    app = QApplication.instance() or QApplication(["parley-tests"])
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config, item):
    return {"qasync": _qt_loop}


@pytest.fixture
def qsettings(tmp_path) -> QSettings:
    """Settings in a file of the test's own, never the user's."""
    return QSettings(str(tmp_path / "parley.ini"), QSettings.Format.IniFormat)
