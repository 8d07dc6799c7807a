"""Parley in the user's language: Qt's translators, Parley's own, and a pseudo-locale.

Every user-visible string in ``desktop/ui`` goes through ``self.tr(...)`` (in QObject
subclasses) or ``QCoreApplication.translate(context, ...)``; sentences made by the Qt-free core
are marked with ``desktop.translatable.QT_TRANSLATE_NOOP`` and translated here, in the UI, with
the same context (``translator(context)``).

Conventions (so a translator sees whole sentences and the pseudo-locale keeps them working):

* Named placeholders, filled after translating: ``self.tr("{name} is sharing").format(name=n)``.
  Never an f-string inside ``tr()`` (lupdate needs a constant source text).
* Counts use Qt's numerus form: ``self.tr("%n in the meeting", "", n)``. The English source
  text is the plural ("%n seconds"); ``parley_en.qm`` supplies the singular and is installed
  for every language as the fallback.
* ``"pseudo"`` installs ``PseudoTranslator``: every string accented, bracketed and about 40 %
  longer, so untranslated strings stand out and cut-off layouts show in a screenshot.

The language: ``install_translations(app, locale)``, with ``locale`` as the app was told
(``--locale``, else ``$PARLEY_LOCALE``: desktop/app.py reads both), else the system's
(``QLocale.system()``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from ..assets import asset_path

logger = logging.getLogger(__name__)

PSEUDO = "pseudo"

# The contexts of the sentences the Qt-free core marks (desktop.translatable.QT_TRANSLATE_NOOP).
REASONS = "Reasons"  # desktop/session/reasons.py: why a call ended, why a share stopped
CERTIFICATES = "Certificates"  # desktop/signalling/tls.py: why a certificate is not trusted
SCREEN_SHARING = "ScreenSharing"  # desktop/media/qt/screen_access.py: why sharing cannot work here
FILE_SHARE = "FileShare"  # desktop/session/sharing.py: why a file cannot be shared

_installed: list[QTranslator] = []  # Qt does not own installed translators: keep them alive


def chosen_locale(locale: str | None = None) -> str:
    """The language to use: ``locale`` (the one asked for), else the system's."""
    return locale or QLocale.system().name()


def install_translations(app: QCoreApplication, locale: str | None = None) -> str:
    """Install the translators for ``locale`` (see ``chosen_locale``) on ``app``, replacing any
    installed before; returns the locale used. Call it before the first window is made.

    Installed, last asked first: Qt's own (``qtbase_<lang>.qm``, e.g. the standard buttons),
    Parley's English plural forms (``parley_en.qm``, the fallback for every language),
    ``parley_<lang>.qm``, and for ``"pseudo"`` the pseudo-locale translator over all of them.
    A missing file is skipped: the English source text shows instead."""
    remove_translations(app)
    name = chosen_locale(locale)
    pseudo = name == PSEUDO
    if not pseudo and locale:
        QLocale.setDefault(QLocale(name))  # numbers and dates follow the chosen language too
    qlocale = QLocale.system() if pseudo else QLocale(name)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    _load(app, qlocale, "qtbase", qt_dir)
    try:
        ours = str(asset_path("translations"))
    except FileNotFoundError:
        logger.warning("Parley's translations are missing; showing English")
        ours = None
    if ours is not None:
        english = _load(app, QLocale(QLocale.Language.English), "parley", ours)
        if not pseudo:
            _load(app, qlocale, "parley", ours, skip=english)
    if pseudo:
        pseudo_translator = PseudoTranslator(app)
        app.installTranslator(pseudo_translator)
        _installed.append(pseudo_translator)
    return name


def remove_translations(app: QCoreApplication) -> None:
    """Remove every translator ``install_translations`` installed: English source texts again."""
    for installed in _installed:
        app.removeTranslator(installed)
        installed.deleteLater()
    _installed.clear()
    QLocale.setDefault(QLocale.system())


def _load(app: QCoreApplication, locale: QLocale, base: str, directory: str, skip: str | None = None) -> str | None:
    """Install ``<base>_<lang>.qm`` for ``locale`` from ``directory``; its path, or None."""
    translator = QTranslator(app)
    if not translator.load(locale, base, "_", directory) or translator.filePath() == skip:
        translator.deleteLater()
        return None
    app.installTranslator(translator)
    _installed.append(translator)
    return translator.filePath()


def translator(context: str) -> Callable[[str], str]:
    """A translate function for one context: for sentences the core marked with
    ``QT_TRANSLATE_NOOP(context, ...)`` (``describe(reason, translator("Reasons"))``)."""
    return lambda text: QCoreApplication.translate(context, text) if text else text


# --- the pseudo-locale -----------------------------------------------------------------------------

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçðéƒĝĥîĵķļḿñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻḾÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)

#: What the pseudo-locale leaves as it is: markup, entities, links, placeholders (Qt's %1 and %n,
#: Python's {name} and its {{ }} escapes) and mnemonics (&J: the key stays typeable).
_KEEP = re.compile(
    r"<[^<>]*>"
    r"|&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);"
    r"|\b(?:https?|parleys?)://[^\s<>\"']+"
    r"|%L?\d{1,2}|%L?n"
    r"|\{\{|\}\}|\{[^{}]*\}"
    r"|&&|&[^\s&]"
)

#: Texts Qt asks its translators for that are settings, not words.
_NOT_WORDS = {"QT_LAYOUT_DIRECTION"}
#: Contexts left readable: key names (Ctrl, Shift) read the same in most languages.
_READABLE_CONTEXTS = {"QShortcut"}

EXPANSION = 0.4
_RUN = 8


def pseudo_text(source: str) -> str:
    """``source`` accented, bracketed and about 40 % longer: "Join meeting" becomes
    "[Ĵöîñ ḿééţîñĝ ~~~~]". Placeholders, markup, links and mnemonics are kept intact."""
    if not source or not source.strip():
        return source
    out: list[str] = []
    last = 0
    visible = 0
    for match in _KEEP.finditer(source):
        plain = source[last:match.start()]
        out.append(plain.translate(_ACCENTED))
        visible += len(plain)
        out.append(match.group(0))
        last = match.end()
    plain = source[last:]
    out.append(plain.translate(_ACCENTED))
    visible += len(plain)
    extra = max(2, round(visible * EXPANSION))
    padding = "~" * (extra - 1)
    # in runs of at most 8, so that word wrap can break a long one as it would break words
    padding = " ".join(padding[i:i + _RUN] for i in range(0, len(padding), _RUN))
    return "[" + "".join(out) + " " + padding + "]"


class PseudoTranslator(QTranslator):
    """Answers every lookup with the pseudo-locale text of the source (PySide6 calls this Python
    override for ``tr()``, ``QCoreApplication.translate`` and Qt's own strings alike)."""

    def translate(self, context: str, source: str, disambiguation: str | None = None,  # noqa: D401
                  n: int = -1) -> str | None:
        if not source or source in _NOT_WORDS or context in _READABLE_CONTEXTS:
            return None  # "no translation here" (a null QString): the next translator, or the source
        return pseudo_text(source)

    def isEmpty(self) -> bool:  # noqa: N802 (Qt's name)
        return False
