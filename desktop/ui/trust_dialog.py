"""TrustDialog: a server's certificate could not be verified; trust it, knowingly, or not.

Parley never trusts such a certificate by itself. The dialog says why it is not trusted and
shows the certificate's SHA-256 fingerprint, to compare with the one the server's
administrator gives (``parley-server`` prints it when it starts). "Trust this server" emits
``trusted``; Cancel, Escape or closing emits ``cancelled``. Keeping the decision is the
caller's job (the trust store).

It is opened with ``open()``, never ``exec()`` (no nested event loop under qasync: DESIGN.md).
Cancel is the default button, so pressing Enter never trusts a server.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .fit import ContentFit
from .i18n import CERTIFICATES, translator


def colon_hex(fingerprint: str) -> str:
    """``AB:CD:…``: a fingerprint as people read and compare it."""
    digits = re.sub(r"[\s:]", "", fingerprint).upper()
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


class TrustDialog(QDialog):
    trusted = Signal()  # the user trusts this certificate for this server
    cancelled = Signal()

    def __init__(self, host_port: str, fingerprint: str, reason: str, *, changed: bool = False,
                 parent: QWidget | None = None) -> None:
        """``fingerprint``: the presented certificate's SHA-256 (hex, colons or not);
        ``reason``: why it is not trusted, in words ("the certificate is self-signed");
        ``changed``: the user trusted a different certificate for this server before."""
        super().__init__(parent)
        self.setObjectName("TrustDialog")
        self.setWindowTitle(self.tr("Untrusted server certificate"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.host_port = host_port
        self.fingerprint = colon_hex(fingerprint)
        self._answered = False

        title = QLabel(
            self.tr("This server's certificate has changed") if changed
            else self.tr("Parley cannot verify this server"), wordWrap=True)
        font = title.font()
        font.setPointSize(15)
        font.setBold(True)
        title.setFont(font)
        reason = translator(CERTIFICATES)(reason)
        reason_text = reason[:1].upper() + reason[1:] if reason else self.tr("The certificate could not be verified")
        self.why = QLabel(wordWrap=True, objectName="error" if changed else "")
        self.why.setTextFormat(Qt.TextFormat.PlainText)
        self.advice = QLabel(wordWrap=True)
        self.advice.setTextFormat(Qt.TextFormat.PlainText)
        if changed:
            self.why.setText(self.tr("The server {server} presented a different certificate from the "
                                     "one you trusted for it before.").format(server=host_port))
            self.advice.setText(self.tr(
                "The server may have a new certificate, or someone may be impersonating it. "
                "Trust it only if the server's administrator confirms the new fingerprint below."))
        else:
            self.why.setText(self.tr("The server {server} presented a certificate that this computer "
                                     "does not trust. {reason}.").format(server=host_port, reason=reason_text))
            self.advice.setText(self.tr(
                "Compare the SHA-256 fingerprint below with the one the server's administrator "
                "gave you (parley-server prints it when it starts). Trust this server only if "
                "they are the same; otherwise someone may be impersonating it."))

        caption = QLabel(self.tr("SHA-256 fingerprint"))
        self.fingerprint_label = QLabel(objectName="fingerprint")
        self.fingerprint_label.setTextFormat(Qt.TextFormat.PlainText)
        half = len(self.fingerprint) // 2 + 1  # 16 bytes a line: "AB:…:EF:" / "01:…"
        self.fingerprint_label.setText(
            f"{self.fingerprint[:half]}\n{self.fingerprint[half:]}" if len(self.fingerprint) > 60
            else self.fingerprint)
        self.fingerprint_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.fingerprint_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.fingerprint_label.setAccessibleName(self.tr("SHA-256 fingerprint"))
        self.fingerprint_label.setAccessibleDescription(self.fingerprint)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.copy_button.setAccessibleName(self.tr("Copy the fingerprint"))
        self.copy_button.setToolTip(self.tr("Copy the fingerprint (on one line)"))
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy_fingerprint)
        row = QHBoxLayout()
        row.addWidget(self.fingerprint_label, 1)
        row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)

        self.buttons = QDialogButtonBox()
        self.trust_button = self.buttons.addButton(self.tr("Trust this server"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.trust_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(self.why)
        layout.addWidget(self.advice)
        layout.addWidget(caption)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self.fit = ContentFit(self, (560, 0))  # as tall as its texts need, in any language
        self.cancel_button.setFocus()

    def copy_fingerprint(self) -> None:
        QGuiApplication.clipboard().setText(self.fingerprint)

    def done(self, result: int) -> None:
        """Accept, reject, Escape or closing: one answer, emitted once."""
        super().done(result)
        if self._answered:
            return
        self._answered = True
        if result == QDialog.DialogCode.Accepted:
            self.trusted.emit()
        else:
            self.cancelled.emit()
