"""Translations: every user-visible string goes through Qt's translation functions, the
pseudo-locale stretches them (keeping placeholders), and resources/translations is up to date."""

from __future__ import annotations

import ast
import re
import shutil
import string
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication

from desktop.session.reasons import describe, describe_share
from desktop.ui.i18n import (
    REASONS,
    install_translations,
    pseudo_text,
    remove_translations,
    translator,
)

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "desktop" / "ui"
TRANSLATIONS = REPO / "resources" / "translations"

# --- the scan: no bare string reaches the user ------------------------------------------------------

#: Methods whose string arguments the user reads (Qt's, and our own that show a text as given).
TEXT_METHODS = {
    "setText", "setToolTip", "setWindowTitle", "setPlaceholderText", "setAccessibleName",
    "setAccessibleDescription", "setStatusTip", "setWhatsThis", "addAction", "addMenu", "addItem",
    "addItems", "insertItem", "addTab", "setTabText", "addRow", "addButton", "setTitle", "setLabelText",
    "setNameFilter", "setInformativeText", "setDetailedText", "showMessage", "setSuffix", "setPrefix",
    "setSpecialValueText", "setHeaderLabels", "setFormat",
    "show_notice", "show_error", "show_time_notice", "set_busy", "set_mic_locked", "set_share_unavailable",
    "set_camera",
}
#: Widgets and dialogs whose constructor takes a text.
TEXT_CLASSES = {
    "QLabel", "QPushButton", "QToolButton", "QCheckBox", "QRadioButton", "QAction", "QGroupBox", "QMenu",
    "QFileDialog", "QMessageBox", "QLineEdit", "QCommandLinkButton", "ElidedLabel",
}
TEXT_KEYWORDS = {"text", "placeholderText", "toolTip", "windowTitle", "title", "accessibleName",
                 "accessibleDescription", "statusTip", "unavailable", "suffix", "prefix"}
#: Literal texts that are not words in any language.
ALLOWED = {"Parley"}  # the name
_NOT_WORDS = re.compile(r"<[^<>]*>|&[a-z]+;|\b[a-z][a-z0-9+.-]*://\S*|\\[nt]")


def _has_words(text: str) -> bool:
    return text not in ALLOWED and any(ch.isalpha() for ch in _NOT_WORDS.sub("", text))


def _translated(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in {"tr", "translate", "with_keys", "describe", "describe_share", "role_name",
                    "QT_TRANSLATE_NOOP", "QT_TR_NOOP"} or (
        isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "translator")


def bare_texts(node: ast.AST) -> list[str]:
    """The untranslated literal texts ``node`` (an argument) puts on screen."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if _has_words(node.value) else []
    if isinstance(node, ast.JoinedStr):
        literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        return [literal] if _has_words(literal) else []
    if isinstance(node, ast.BinOp):
        return bare_texts(node.left) + bare_texts(node.right)
    if isinstance(node, ast.IfExp):
        return bare_texts(node.body) + bare_texts(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [t for value in node.values for t in bare_texts(value)]
    if isinstance(node, (ast.Dict,)):
        return [t for value in node.values if value is not None for t in bare_texts(value)]
    if isinstance(node, ast.Subscript):
        return bare_texts(node.value)
    if isinstance(node, ast.Call):
        if _translated(node):
            return []
        func = node.func
        if isinstance(func, ast.Attribute):  # "…".format(…), {…}.get(…), tr(…).format(…)
            if isinstance(func.value, ast.Call) and _translated(func.value):
                return []
            if func.attr == "join":  # ", ".join(parts): the parts count, not the separator
                return [t for arg in node.args for t in bare_texts(arg)]
            return bare_texts(func.value)
    return []


def offences(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in TEXT_METHODS:
            values = list(node.args) + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        elif isinstance(func, ast.Name) and func.id in TEXT_CLASSES:
            values = list(node.args) + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        else:
            continue
        for value in values:
            for text in bare_texts(value):
                found.append(f"{path.name}:{node.lineno}: {text!r}")
    return found


def test_the_scan_finds_bare_strings(tmp_path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "label = QLabel('Hello')\n"
        "button.setToolTip(f'Mute {name}')\n"
        "button.setText('Stop' if on else self.tr('Go'))\n"
        "box.addItem('{n} (default)'.format(n=x), None)\n"
        "ok = QLabel(self.tr('Fine'))\n"
        "ok.setText(self.tr('{n} in').format(n=1))\n"
        "ok.setText('•')\n"
        "ok.setText(f'<b>{who}</b>')\n"
        "line = QLineEdit(placeholderText='parley://host/m/…')\n")
    assert [o.split(": ", 1)[1] for o in offences(sample)] == ["'Hello'", "'Mute '", "'Stop'", "'{n} (default)'"]


def test_every_user_visible_string_in_the_ui_is_translatable() -> None:
    found = [o for path in sorted(UI.glob("*.py")) for o in offences(path)]
    assert found == [], "strings shown without tr()/translate():\n" + "\n".join(found)


# --- the pseudo-locale --------------------------------------------------------------------------------


def test_pseudo_text_is_longer_accented_and_keeps_what_must_stay() -> None:
    assert pseudo_text("Join meeting") == "[Ĵöîñ ḿééţîñĝ ~~~~]"
    for source, kept in (("{name} is sharing", "{name}"), ("%n in the meeting", "%n"), ("%1 of %2", "%2"),
                         ("&Join now", "&J"), ("Click <a href='https://x.org/a'>here</a>", "<a href='https://x.org/a'>"),
                         ("Fish &amp; chips", "&amp;"), ("{{literal}} {seconds:.1f} s", "{seconds:.1f}"),
                         ("Link: parley://host:8750/m/x?token=y", "parley://host:8750/m/x?token=y")):
        pseudo = pseudo_text(source)
        assert kept in pseudo and pseudo.startswith("[") and pseudo.endswith("]"), (source, pseudo)
        if not re.search(r"[<{%&]|://", source):  # the words grow, not what is kept
            assert len(pseudo) >= len(source) * 1.3
    assert pseudo_text("") == "" and pseudo_text("  ") == "  "


def test_every_source_string_survives_the_pseudo_locale() -> None:
    """Each of parley.ts's texts, pseudo-localized, still formats with its placeholders."""
    for _context, source, _comment, _numerus in ts_messages(TRANSLATIONS / "parley.ts"):
        names = {name for _, name, _, _ in string.Formatter().parse(source) if name}
        pseudo = pseudo_text(source)
        assert pseudo.format(**{name: "X" for name in names}) if names else pseudo
        assert placeholders(pseudo) == placeholders(source), source


@pytest.fixture
def pseudo(qapp):
    install_translations(qapp, "pseudo")
    yield
    remove_translations(qapp)


def test_pysides_calls_a_python_translate_override(qapp) -> None:
    class Upper(QTranslator):
        def translate(self, context, source, disambiguation=None, n=-1):
            return None if context == "QShortcut" else source.upper()

    upper = Upper()
    qapp.installTranslator(upper)
    try:
        assert QCoreApplication.translate("Anything", "join") == "JOIN"
        assert QCoreApplication.translate("QShortcut", "Ctrl") == "Ctrl"  # None: "not here", not ""
    finally:
        qapp.removeTranslator(upper)


def test_the_pseudo_locale_changes_the_windows(qtbot, pseudo) -> None:
    from desktop.ui.call_window import CallWindow
    from desktop.ui.start_window import StartWindow

    start = StartWindow()
    qtbot.addWidget(start)
    assert start.join_button.text() == pseudo_text("Join")
    assert start.host_button.text().startswith("[Šţáŕţ á ḿééţîñĝ")
    call = CallWindow()
    qtbot.addWidget(call)
    assert call.bar.count_label.text() == pseudo_text("%n in the meeting").replace("%n", "1")
    assert "Ctrl+D" in call.bar.mic_button.toolTip()  # key names stay readable
    assert call.bar.leave_button.text() == pseudo_text("Leave")
    assert describe("left", translator(REASONS)) == pseudo_text("You left the meeting.")
    assert describe("weird", translator(REASONS)) == pseudo_text("The call ended ({reason}).").format(reason="weird")
    assert describe_share("removed", translator(REASONS)) == pseudo_text("A host stopped your screen share.")


def test_no_translator_means_english(qapp) -> None:
    install_translations(qapp, "pseudo")
    remove_translations(qapp)
    assert QCoreApplication.translate("StartWindow", "Join") == "Join"
    assert describe("left", translator(REASONS)) == "You left the meeting."


def test_english_plural_forms_are_installed_for_every_language(qtbot, qapp) -> None:
    from desktop.ui.idle_dialog import IdleDialog

    try:
        install_translations(qapp, "fr_FR")  # no French: English, with its singular
        dialog = IdleDialog()
        qtbot.addWidget(dialog)
        dialog.set_seconds_left(1)
        assert "in 1 second unless" in dialog.countdown.text()
        dialog.set_seconds_left(2)
        assert "in 2 seconds unless" in dialog.countdown.text()
    finally:
        remove_translations(qapp)


# --- resources/translations ---------------------------------------------------------------------------


def ts_messages(path: Path) -> set[tuple[str, str, str, bool]]:
    found = set()
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is not None and translation.get("type") in ("obsolete", "vanished"):
                continue
            found.add((name, message.findtext("source") or "", message.findtext("comment") or "",
                       message.get("numerus") == "yes"))
    return found


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{[^{}]*\}|%n|%\d", text.replace("{{", "").replace("}}", "")))


def test_parley_ts_is_up_to_date() -> None:
    """parley.ts holds exactly the strings the source has (resources/translations/update.py)."""
    lupdate = Path(sys.executable).parent / "pyside6-lupdate"
    if not lupdate.exists() and shutil.which("pyside6-lupdate") is None:
        pytest.skip("pyside6-lupdate is not installed")
    result = subprocess.run([sys.executable, str(TRANSLATIONS / "update.py"), "--check"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, "run python resources/translations/update.py:\n" + result.stdout + result.stderr


def test_translations_keep_the_placeholders_of_their_source() -> None:
    """A translation that loses or misspells {name} would raise (or lie) when formatted."""
    for ts in sorted(TRANSLATIONS.glob("parley_*.ts")):
        for context in ET.parse(ts).getroot().iter("context"):
            for message in context.iter("message"):
                source = message.findtext("source") or ""
                translation = message.find("translation")
                if translation is None or translation.get("type") in ("unfinished", "obsolete", "vanished"):
                    continue
                forms = [f.text or "" for f in translation.iter("numerusform")] or [translation.text or ""]
                for form in forms:
                    if form:
                        wanted = [p for p in placeholders(source) if not (p == "%n" and len(forms) > 1)]
                        have = [p for p in placeholders(form) if not (p == "%n" and len(forms) > 1)]
                        assert have == wanted, (ts.name, source, form)


def test_every_language_is_compiled() -> None:
    for ts in sorted(TRANSLATIONS.glob("parley_*.ts")):
        qm = ts.with_suffix(".qm")
        assert qm.exists() and qm.stat().st_mtime >= ts.stat().st_mtime - 1, f"{qm.name} is older than {ts.name}"


def test_every_message_has_a_context() -> None:
    """lupdate files a tr() it cannot place (a module-level helper) under no context, where the
    running app, which asks with a context, never finds its translation."""
    lost = sorted(source for context, source, _c, _n in ts_messages(TRANSLATIONS / "parley.ts") if not context)
    assert lost == [], "use QCoreApplication.translate(\"Context\", ...) for: " + ", ".join(map(repr, lost))


def test_german_end_to_end(qtbot, qapp) -> None:
    """parley_de.qm and Qt's own German: the mechanism works for a real language."""
    from desktop.ui.start_window import StartWindow
    from desktop.ui.trust_dialog import TrustDialog

    try:
        assert install_translations(qapp, "de") == "de"
        start = StartWindow()
        qtbot.addWidget(start)
        assert start.join_button.text() == "Teilnehmen"
        dialog = TrustDialog("parley.example:8750", "ab" * 32, "the certificate is self-signed")
        qtbot.addWidget(dialog)
        assert "Das Zertifikat ist selbstsigniert." in dialog.why.text()  # the core's text, translated
        assert dialog.cancel_button.text().replace("&", "") == "Abbrechen"  # Qt's own translation
        assert describe("left", translator(REASONS)) == "Sie haben die Besprechung verlassen."
    finally:
        remove_translations(qapp)
