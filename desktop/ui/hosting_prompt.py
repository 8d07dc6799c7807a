"""Letting people from this network into a meeting hosted on this computer: the question asked
first, and what the invite link says about where it works. The addresses themselves are
``desktop/hosting.py``'s (no Qt)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from ..hosting import Reach


def choose_reach(parent: QWidget, network: bool, then: Callable[[Reach], None]) -> QMessageBox | None:
    """``then(reach)`` with the user's choice: this computer only when ``network`` (the start
    window's option) is off; else after asking, window-modal (never a nested loop). Returns the
    question while it is open."""
    if not network:
        then(Reach.THIS_COMPUTER)
        return None
    box = QMessageBox(
        QMessageBox.Icon.Question,
        QCoreApplication.translate("HostingPrompt", "Accept people from this network?"),
        QCoreApplication.translate(
            "HostingPrompt", "People on the same network as this computer (the same Wi-Fi or "
            "office) will be able to join with the invite link. The link will not work from "
            "anywhere else."),
        parent=parent)
    box.setObjectName("NetworkHostingBox")
    accept = box.addButton(QCoreApplication.translate("HostingPrompt", "Accept people from this network"),
                           QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QCoreApplication.translate("HostingPrompt", "Only this computer"),
                  QMessageBox.ButtonRole.RejectRole)
    box.buttonClicked.connect(
        lambda button: then(Reach.THIS_NETWORK if button is accept else Reach.THIS_COMPUTER))
    box.finished.connect(box.deleteLater)
    box.open()
    return box


def invite_caption(reach: Reach) -> str:
    """The invite link's label in the lobby: where the link works."""
    if reach is Reach.THIS_NETWORK:
        return QCoreApplication.translate("HostingPrompt", "Invite link (works only on this network)")
    return QCoreApplication.translate("HostingPrompt", "Invite link (works only on this computer)")
