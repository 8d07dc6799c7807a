"""The call window's keyboard shortcuts, declared once: the call window binds them, its menu
lists them, and the settings dialog shows them. Key sequences follow Google Meet (Ctrl+D,
Ctrl+E) where it has one; on macOS Qt shows Ctrl as ⌘."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP
from PySide6.QtGui import QKeySequence

CONTEXT = "Shortcuts"


@dataclass(frozen=True)
class Shortcut:
    id: str  # the call window's control it triggers
    label: str  # English; shown through translate(CONTEXT, label)
    keys: str  # portable text of a QKeySequence ("Ctrl+Shift+S"), or "Space" for push-to-talk
    held: bool = False  # held down while it acts (push-to-talk), not pressed once

    @property
    def text(self) -> str:
        return QCoreApplication.translate(CONTEXT, self.label)

    @property
    def sequence(self) -> QKeySequence:
        # PortableText: the English key names, whatever language the UI speaks
        return QKeySequence.fromString(self.keys, QKeySequence.SequenceFormat.PortableText)

    @property
    def native_keys(self) -> str:
        """The keys as this platform writes them (⌘⇧S on macOS)."""
        return self.sequence.toString(QKeySequence.SequenceFormat.NativeText)


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("mic", QT_TRANSLATE_NOOP("Shortcuts", "Mute or unmute the microphone"), "Ctrl+D"),
    Shortcut("camera", QT_TRANSLATE_NOOP("Shortcuts", "Turn the camera on or off"), "Ctrl+E"),
    Shortcut("share", QT_TRANSLATE_NOOP("Shortcuts", "Share your screen or stop sharing"), "Ctrl+Shift+S"),
    Shortcut("hand", QT_TRANSLATE_NOOP("Shortcuts", "Raise or lower your hand"), "Ctrl+Shift+R"),
    Shortcut("chat", QT_TRANSLATE_NOOP("Shortcuts", "Show or hide the chat"), "Ctrl+Shift+C"),
    Shortcut("people", QT_TRANSLATE_NOOP("Shortcuts", "Show or hide the people in the meeting"), "Ctrl+Shift+P"),
    Shortcut("leave", QT_TRANSLATE_NOOP("Shortcuts", "Leave the meeting"), "Ctrl+Shift+H"),
    Shortcut("push_to_talk", QT_TRANSLATE_NOOP("Shortcuts", "Hold to talk while muted"), "Space", held=True),
)

BY_ID = {shortcut.id: shortcut for shortcut in SHORTCUTS}


def with_keys(text: str, shortcut_id: str) -> str:
    """A tooltip that names the shortcut: "Mute the microphone (Ctrl+D)"."""
    return QCoreApplication.translate("Shortcuts", "{action} ({keys})").format(
        action=text, keys=BY_ID[shortcut_id].native_keys)
