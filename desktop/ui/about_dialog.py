"""AboutDialog: which Parley this is, on which Qt, aiortc and PyAV, and "Copy diagnostics":
everything a bug report needs (versions, platform, devices, where the log is and its last lines,
tokens scrubbed) on the clipboard in one click."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .. import logs
from .fit import ContentFit
from .icons import app_icon

PROJECT_URL = "https://github.com/parley-meet/parley"



def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str]:
    """Name → version of Parley and the parts it runs on (those installed)."""
    from .. import __version__

    found = {"Parley": __version__, "Python": platform.python_version(), "Qt": qVersion(), "PySide6": pyside_version}
    for label, dist in (("aiortc", "aiortc"), ("aioice", "aioice"), ("PyAV", "av"), ("aiohttp", "aiohttp"),
                        ("qasync", "qasync"), ("NumPy", "numpy"), ("livekit (audio processing)", "livekit"),
                        ("LiteRT (background effects)", "ai-edge-litert")):
        version = _dist_version(dist)
        if version:
            found[label] = version
    try:
        import av

        found["FFmpeg (libavcodec)"] = ".".join(str(part) for part in av.library_versions["libavcodec"])
    except Exception:  # noqa: BLE001 - diagnostics never fail
        pass
    return found


def diagnostics(extra: dict[str, str] | None = None, log_lines: int = 150) -> str:
    """A plain-text report for a bug report: versions, platform, ``extra`` facts from the app
    (devices, idle detection...), the log file and its last lines. Tokens are scrubbed."""
    lines = ["Parley diagnostics", ""]
    lines += [f"{name}: {version}" for name, version in versions().items()]
    app = QGuiApplication.instance()
    lines += ["", f"Platform: {platform.platform()} ({platform.machine()})",
              f"Qt platform plugin: {QGuiApplication.platformName() if app else '-'}"]
    if app is not None:
        for screen in QGuiApplication.screens():
            size = screen.size()
            lines.append(f"Screen: {screen.name()} {size.width()}x{size.height()} @{screen.devicePixelRatio():g}x")
    for key, value in (extra or {}).items():
        lines.append(f"{key}: {value}")
    path = logs.current_log_file()
    lines += ["", f"Log file: {path or 'none (logging to the console only)'}"]
    if path is not None:
        lines += ["", f"--- last {log_lines} lines of the log ---", logs.tail(path, log_lines).rstrip()]
    return logs.scrub("\n".join(lines) + "\n")


class AboutDialog(QDialog):
    def __init__(self, extra: Callable[[], dict[str, str]] | None = None, parent: QWidget | None = None) -> None:
        """``extra``: facts only the running app knows (devices, idle detection), asked for when
        the diagnostics are copied."""
        super().__init__(parent)
        self.setObjectName("AboutDialog")
        self.setWindowTitle(QCoreApplication.translate("AboutDialog", "About Parley"))
        self._extra = extra
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        logo.setAccessibleName(QCoreApplication.translate("AboutDialog", "Parley logo"))
        title = QLabel(QCoreApplication.translate("AboutDialog", "Parley"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        blurb = QLabel(QCoreApplication.translate("AboutDialog", "Open video meetings, and the server they run on."), objectName="muted", wordWrap=True)
        head = QHBoxLayout()
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(blurb)
        head.addLayout(text, 1)

        form = QFormLayout()
        self.version_labels: dict[str, QLabel] = {}
        for name, version in versions().items():
            label = self.version_labels[name] = QLabel(version)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(f"{name} {version}")
            form.addRow(name, label)
        licence = QLabel(QCoreApplication.translate("AboutDialog", "Parley is free software under the MIT licence. It includes the MediaPipe "
                             "selfie segmentation model (Apache 2.0) and Qt (LGPL 3)."), wordWrap=True,
                         objectName="muted")

        self.copy_button = QPushButton(QCoreApplication.translate("AboutDialog", "Copy diagnostics"))
        self.copy_button.setAccessibleName(QCoreApplication.translate("AboutDialog", "Copy diagnostics"))
        self.copy_button.setToolTip(QCoreApplication.translate("AboutDialog", "Copy versions, platform, devices and the recent log, for a bug report"))
        self.copy_button.clicked.connect(self.copy_diagnostics)
        self.logs_button = QPushButton(QCoreApplication.translate("AboutDialog", "Open log folder"))
        self.logs_button.setAccessibleName(QCoreApplication.translate("AboutDialog", "Open log folder"))
        self.logs_button.clicked.connect(self.open_log_folder)
        self.logs_button.setEnabled(logs.current_log_file() is not None)
        self.copied = QLabel(objectName="muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addWidget(self.logs_button)
        row.addWidget(self.copied, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addLayout(head)
        layout.addLayout(form)
        layout.addWidget(licence)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.fit = ContentFit(self, (420, 0))  # as tall as its rows and wrapped texts need

    def copy_diagnostics(self) -> str:
        text = diagnostics(self._extra() if self._extra is not None else None)
        QGuiApplication.clipboard().setText(text)
        self.copied.setText(QCoreApplication.translate("AboutDialog", "Copied."))
        return text

    def open_log_folder(self) -> None:
        path = logs.current_log_file()
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


if __name__ == "__main__":  # a quick look: python -m desktop.ui.about_dialog
    from PySide6.QtWidgets import QApplication

    application = QApplication(sys.argv)
    AboutDialog().exec()
