"""About Parley: the versions it runs on, and diagnostics for a bug report in one click."""

from __future__ import annotations

import logging

from PySide6.QtGui import QGuiApplication

from desktop import logs
from desktop.app import __version__
from desktop.ui.about_dialog import AboutDialog


async def test_about_shows_versions_and_copies_diagnostics_without_tokens(app_flow, tmp_path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    logs.setup_logging(tmp_path / "logs", console=False)
    try:
        logging.getLogger("desktop.test").warning("joined parley://h:1/m/x?token=SECRETSECRET for the test")
        flow = app_flow()
        flow.start()
        flow.open_about()
        dialog = flow.dialogs.about_dialog
        assert isinstance(dialog, AboutDialog) and dialog.isVisible()
        shown = {name: label.text() for name, label in dialog.version_labels.items()}
        assert shown["Parley"] == __version__
        assert {"Qt", "PySide6", "aiortc", "PyAV", "Python"} <= set(shown)
        dialog.copy_button.click()
        text = QGuiApplication.clipboard().text()
        assert f"Parley: {__version__}" in text and "aiortc:" in text and "Cameras:" in text
        assert str(tmp_path / "logs" / "parley.log") in text and "joined parley://h:1/m/x?token=…" in text
        assert "SECRETSECRET" not in text
        assert dialog.copied.text() == "Copied."
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
