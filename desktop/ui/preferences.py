"""Every preference Parley has, declared once.

The settings dialog is generated from ``PREFERENCES`` (one widget per entry, grouped by section),
and ``Preferences`` reads and writes them in QSettings with the declared type, default and
range, so a value edited by hand or left by an older version can never reach the app as the
wrong type. Window geometry and other remembered *state* is not a preference: it lives in a
file of its own (``Settings.state``).

Labels are English source strings, translated with the context ``Preferences``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings, QT_TRANSLATE_NOOP

from ..idle.watcher import DEFAULT_PROMPT, DEFAULT_TIMEOUT

CONTEXT = "Preferences"

BOOL, INT, CHOICE, TEXT, DEVICE = "bool", "int", "choice", "text", "device"

# sections, in the order the dialog shows them
GENERAL = QT_TRANSLATE_NOOP("Preferences", "General")
AUDIO_VIDEO = QT_TRANSLATE_NOOP("Preferences", "Audio and video")
NOTIFICATIONS = QT_TRANSLATE_NOOP("Preferences", "Notifications")
INACTIVITY = QT_TRANSLATE_NOOP("Preferences", "Inactivity")
SECTIONS = (GENERAL, AUDIO_VIDEO, NOTIFICATIONS, INACTIVITY)


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def _server_address_error(text: str) -> str | None:
    """None when ``text`` is empty or a host[:port]; otherwise why not."""
    if not text:
        return None
    if re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?", text) is None:
        return QCoreApplication.translate("Preferences", "Write a server as host or host:port, e.g. meet.example.org:8750")
    port = text.rsplit(":", 1)[1] if re.search(r":\d+$", text) and not text.endswith("]") else None
    if port is not None and not 0 < int(port) < 65536:
        return QCoreApplication.translate("Preferences", "A port is a number from 1 to 65535")
    return None


@dataclass(frozen=True)
class Preference:
    key: str  # where it lives in QSettings
    section: str
    label: str
    kind: str  # BOOL, INT, CHOICE, TEXT or DEVICE
    default: Any = None
    #: CHOICE: (value, label) pairs; when empty, the dialog asks its providers[key] for them
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int = 0
    maximum: int = 0
    suffix: str = ""
    #: INT: stored as shown value × scale (minutes shown, seconds stored)
    scale: int = 1
    help: str = ""
    placeholder: str = ""
    #: TEXT: why a value is refused (None when fine)
    error: Callable[[str], str | None] | None = field(default=None, compare=False)

    def coerce(self, raw: Any) -> Any:
        """The stored value ``raw`` as this preference's type, or the default when it is not one."""
        if raw is None:
            return self.default
        if self.kind == BOOL:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            return True if text in ("true", "1") else False if text in ("false", "0") else self.default
        if self.kind == INT:
            try:
                value = int(float(raw))
            except (TypeError, ValueError, OverflowError):  # "inf" edited into the file, say
                return self.default
            shown = value / self.scale
            return value if self.minimum <= shown <= self.maximum else self.default
        if self.kind == CHOICE:
            value = str(raw)
            if self.choices and value not in {v for v, _ in self.choices}:
                return self.default
            return value
        value = str(raw)
        return self.default if self.error is not None and self.error(value) else value


PREFERENCES: tuple[Preference, ...] = (
    Preference("profile/name", GENERAL, QT_TRANSLATE_NOOP("Preferences", "Your name"), TEXT, "",
               placeholder=QT_TRANSLATE_NOOP("Preferences", "How others see you in meetings")),
    Preference("general/default_server", GENERAL, QT_TRANSLATE_NOOP("Preferences", "Default server"), TEXT, "",
               placeholder="meet.example.org:8750",
               help=QT_TRANSLATE_NOOP("Preferences", "Filled in when you join with a server address and a token."),
               error=_server_address_error),
    Preference("appearance/theme", GENERAL, QT_TRANSLATE_NOOP("Preferences", "Theme"), CHOICE, "system",
               choices=(("system", QT_TRANSLATE_NOOP("Preferences", "Same as the system")),
                        ("light", QT_TRANSLATE_NOOP("Preferences", "Light")),
                        ("dark", QT_TRANSLATE_NOOP("Preferences", "Dark")))),
    Preference("call/layout", GENERAL, QT_TRANSLATE_NOOP("Preferences", "Layout of a call"), CHOICE, "grid",
               choices=(("grid", QT_TRANSLATE_NOOP("Preferences", "Grid: everyone the same size")),
                        ("speaker", QT_TRANSLATE_NOOP("Preferences", "Speaker: whoever talks is large"))),
               help=QT_TRANSLATE_NOOP("Preferences", "The layout you last chose in a call is kept here.")),
    Preference("devices/microphone", AUDIO_VIDEO, QT_TRANSLATE_NOOP("Preferences", "Microphone"), DEVICE),
    Preference("devices/speaker", AUDIO_VIDEO, QT_TRANSLATE_NOOP("Preferences", "Speaker"), DEVICE),
    Preference("devices/camera", AUDIO_VIDEO, QT_TRANSLATE_NOOP("Preferences", "Camera"), DEVICE),
    Preference("video/background", AUDIO_VIDEO, QT_TRANSLATE_NOOP("Preferences", "Background"), CHOICE, "none"),
    Preference("join/echo_cancellation", AUDIO_VIDEO,
               QT_TRANSLATE_NOOP("Preferences", "Cancel echo (what your speakers play)"), BOOL, True),
    Preference("join/noise_suppression", AUDIO_VIDEO,
               QT_TRANSLATE_NOOP("Preferences", "Suppress background noise"), BOOL, True,
               help=QT_TRANSLATE_NOOP("Preferences", "Turn both off to send music as it is.")),
    Preference("join/auto_gain_control", AUDIO_VIDEO,
               QT_TRANSLATE_NOOP("Preferences", "Adjust the microphone's volume automatically"), BOOL, True,
               help=QT_TRANSLATE_NOOP("Preferences", "Quiet voices are raised and loud ones lowered.")),
    Preference("join/mic_on", AUDIO_VIDEO, QT_TRANSLATE_NOOP("Preferences", "Join with the microphone on"), BOOL, True),
    Preference("join/camera_on", AUDIO_VIDEO, QT_TRANSLATE_NOOP("Preferences", "Join with the camera on"), BOOL, True),
    Preference("sounds/join_leave", NOTIFICATIONS,
               QT_TRANSLATE_NOOP("Preferences", "Play a sound when someone joins or leaves"), BOOL, True),
    Preference("sounds/chat", NOTIFICATIONS,
               QT_TRANSLATE_NOOP("Preferences", "Play a sound for a chat message while the chat is closed"), BOOL, True),
    Preference("sounds/hand", NOTIFICATIONS,
               QT_TRANSLATE_NOOP("Preferences", "Play a sound when someone raises their hand"), BOOL, True),
    Preference("idle/timeout", INACTIVITY,
               QT_TRANSLATE_NOOP("Preferences", "Ask \u201cAre you still there?\u201d after"), INT, int(DEFAULT_TIMEOUT),
               minimum=1, maximum=24 * 60, suffix=QT_TRANSLATE_NOOP("Preferences", " min"), scale=60),
    Preference("idle/prompt", INACTIVITY, QT_TRANSLATE_NOOP("Preferences", "Leave if nobody answers within"),
               INT, int(DEFAULT_PROMPT), minimum=10, maximum=600, suffix=QT_TRANSLATE_NOOP("Preferences", " s")),
)

BY_KEY = {preference.key: preference for preference in PREFERENCES}


def in_section(section: str) -> list[Preference]:
    return [p for p in PREFERENCES if p.section == section]


class Preferences:
    """Typed access to the preferences in a QSettings."""

    def __init__(self, qsettings: QSettings) -> None:
        self._q = qsettings

    def get(self, key: str) -> Any:
        preference = BY_KEY[key]
        if preference.kind == DEVICE:
            return (self._q.value(f"{key}/id") or None, self._q.value(f"{key}/name") or None)
        return preference.coerce(self._q.value(key))

    def set(self, key: str, value: Any) -> None:
        """Store ``value``; ValueError when it is not a valid value of that preference."""
        preference = BY_KEY[key]
        if preference.kind == DEVICE:
            device_id, name = value if value is not None else (None, None)
            self._q.setValue(f"{key}/id", device_id or "")
            self._q.setValue(f"{key}/name", name or "")
            return
        if preference.kind == BOOL:
            value = bool(value)
        elif preference.kind == INT:
            value = int(value)
        else:
            value = str(value)
        if preference.coerce(value) != value:
            raise ValueError(f"{value!r} is not a valid value for {key}")
        self._q.setValue(key, value)
