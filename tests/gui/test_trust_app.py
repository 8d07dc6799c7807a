"""The trust dialog for a server certificate Parley cannot verify, and where trust is kept.

The dialog shows why and the SHA-256 fingerprint, and answers once: trusted or cancelled. It
opens without a nested event loop. Trust decisions persist in QSettings, as the trust store
the signalling layer consults."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from desktop.signalling.tls import TrustStore, UntrustedCertificate
from desktop.ui.settings import Settings
from desktop.ui.trust_dialog import TrustDialog
from support import eventually

FINGERPRINT = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
SHOWN = ":".join(FINGERPRINT.upper()[i:i + 2] for i in range(0, 64, 2))


class Answers:
    def __init__(self, dialog: TrustDialog) -> None:
        self.given: list[str] = []
        dialog.trusted.connect(lambda: self.given.append("trusted"))
        dialog.cancelled.connect(lambda: self.given.append("cancelled"))


def open_dialog(changed: bool = False) -> tuple[QWidget, TrustDialog, Answers]:
    window = QWidget()
    window.resize(800, 600)
    window.show()
    dialog = TrustDialog("parley.example:8750", FINGERPRINT, "the certificate is self-signed",
                         changed=changed, parent=window)
    answers = Answers(dialog)
    dialog.open()  # window-modal; returns at once (no nested event loop)
    return window, dialog, answers


async def test_dialog_shows_why_and_the_fingerprint_and_trust_is_explicit() -> None:
    window, dialog, answers = open_dialog()
    try:
        await eventually(dialog.isVisible, what="dialog shown")
        assert dialog.isModal() and dialog.windowModality() == Qt.WindowModality.WindowModal
        assert "parley.example:8750" in dialog.why.text()
        assert "The certificate is self-signed." in dialog.why.text()
        assert "administrator" in dialog.advice.text()
        label = dialog.fingerprint_label
        assert label.text().replace("\n", "") == SHOWN  # colon-separated hex, two lines of 16 bytes
        assert label.text().count("\n") == 1
        assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
        dialog.copy_button.click()
        assert QGuiApplication.clipboard().text() == SHOWN  # copied on one line
        # Enter never trusts: Cancel is the default button
        assert dialog.cancel_button.isDefault() and not dialog.trust_button.isDefault()
        assert answers.given == []

        dialog.trust_button.click()
        await eventually(lambda: not dialog.isVisible(), what="dialog closed")
        assert answers.given == ["trusted"]
    finally:
        window.close()


async def test_cancel_escape_or_closing_cancels_once() -> None:
    for how in ("button", "escape", "close"):
        window, dialog, answers = open_dialog()
        try:
            await eventually(dialog.isVisible, what="dialog shown")
            if how == "button":
                dialog.cancel_button.click()
            elif how == "escape":
                QTest.keyClick(dialog, Qt.Key.Key_Escape)
            else:
                dialog.close()
            await eventually(lambda: not dialog.isVisible(), what=f"dialog closed by {how}")
            dialog.reject()  # a second answer is not emitted
            await asyncio.sleep(0)
            assert answers.given == ["cancelled"], how
        finally:
            window.close()


async def test_a_changed_certificate_is_said_so() -> None:
    window, dialog, answers = open_dialog(changed=True)
    try:
        await eventually(dialog.isVisible, what="dialog shown")
        assert "a different certificate from the one you trusted" in dialog.why.text()
        assert "impersonating" in dialog.advice.text()
        assert dialog.fingerprint_label.text().replace("\n", "") == SHOWN
        dialog.reject()
        assert answers.given == ["cancelled"]
    finally:
        window.close()


async def test_trusted_certificates_persist_in_settings(qsettings: QSettings) -> None:
    store = Settings(qsettings).trusted_certificates
    assert isinstance(store, TrustStore)
    assert store.trusted_fingerprint("parley.example:8750") is None
    # the refusal of a connection that consulted this store: "Trust this server" keeps it there
    UntrustedCertificate("parley.example:8750", SHOWN, "the certificate is self-signed", store=store).trust()
    again = Settings(QSettings(qsettings.fileName(), QSettings.Format.IniFormat)).trusted_certificates
    assert again.trusted_fingerprint("parley.example:8750") == FINGERPRINT
    assert again.trusted_fingerprint("parley.example:443") is None
    again.trust("other.example:443", FINGERPRINT.upper())
    assert again.items() == {"parley.example:8750": FINGERPRINT, "other.example:443": FINGERPRINT}
    again.forget("parley.example:8750")
    assert Settings(qsettings).trusted_certificates.items() == {"other.example:443": FINGERPRINT}
