"""Marking the core's user-visible sentences for translation, without importing Qt.

The Qt-free layers (session, signalling, media) produce a few sentences the user reads: why a
call ended, why a certificate is not trusted. They mark each one with ``QT_TRANSLATE_NOOP``
(this function: it returns the text unchanged) so that ``pyside6-lupdate``, which recognises
the name, extracts it into ``resources/translations/parley.ts`` under the given context. The UI
translates the sentence with the same context when it shows it
(``QCoreApplication.translate(context, text)``, see ``desktop/ui/i18n.py``), and fills in any
``{name}`` placeholders after translating.
"""

from __future__ import annotations

from collections.abc import Callable

Translate = Callable[[str], str]
"""Turns an English source sentence into the user's language (the UI passes Qt's)."""


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:  # noqa: N802 (the name lupdate looks for)
    """``source``, unchanged: a marker for lupdate (``context`` is where it files the text)."""
    return source


def untranslated(source: str) -> str:
    """The default ``Translate``: English as written (the bot, logs, tests without Qt)."""
    return source
