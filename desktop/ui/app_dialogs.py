"""AppDialogs: Settings and About, one of each for the whole run, opened from any window.

The settings dialog is generated from the preferences; each change is applied at once by the
handler the flow registered for its key (``on_change``). About shows the versions and copies
the diagnostics, with the facts only the running app knows (``facts``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from ..idle.watcher import IdleSource
from ..media.devices import DeviceKind
from .about_dialog import AboutDialog
from .backgrounds import SETTING as BACKGROUND_SETTING, background_choices
from .device_controller import DeviceController
from .preferences import INACTIVITY
from .settings import Settings
from .settings_dialog import SettingsDialog, describe_idle_detection

#: applies one changed preference, given its key
SettingHandler = Callable[[str], None]


class AppDialogs(QObject):
    def __init__(self, settings: Settings, devices: DeviceController, idle_source: IdleSource | None,
                 facts: Callable[[], dict[str, str]]) -> None:
        """``facts``: what the app knows beyond the devices, for "Copy diagnostics"."""
        super().__init__()
        self.settings = settings
        self.devices = devices
        self.idle_source = idle_source
        self._facts = facts
        self.settings_dialog: SettingsDialog | None = None
        self.about_dialog: AboutDialog | None = None
        #: key → handler, and key prefix (ending in "/") → handler, for changes made in Settings
        self._handlers: dict[str, SettingHandler] = {}

    def on_change(self, key: str, handler: SettingHandler) -> None:
        """Apply ``key``'s changes with ``handler`` (a key ending in "/": every key under it)."""
        self._handlers[key] = handler

    def _changed(self, key: str) -> None:
        handler = self._handlers.get(key) or self._handlers.get(key.split("/", 1)[0] + "/")
        if handler is not None:
            handler(key)

    def open_settings(self) -> None:
        if self.settings_dialog is None:
            providers = {f"devices/{kind}": (lambda k=kind: self.devices.choices(k)) for kind in DeviceKind}
            providers[BACKGROUND_SETTING] = lambda: background_choices(self.settings.get(BACKGROUND_SETTING))
            in_use = {f"devices/{kind}": (lambda k=kind: self.devices.default_name(k)) for kind in DeviceKind}
            self.settings_dialog = SettingsDialog(
                self.settings, providers, {INACTIVITY: describe_idle_detection(self.idle_source)}, in_use=in_use)
            self.settings_dialog.changed.connect(self._changed)
        self.settings_dialog.show()
        self.settings_dialog.raise_()

    def refresh(self, key: str) -> None:
        """Show ``key``'s value (or choices) again in the settings dialog, if it was opened."""
        if self.settings_dialog is not None:
            self.settings_dialog.refresh(key)

    def open_about(self) -> None:
        if self.about_dialog is None:
            self.about_dialog = AboutDialog(self.diagnostic_facts)
        self.about_dialog.show()
        self.about_dialog.raise_()

    def diagnostic_facts(self) -> dict[str, str]:
        """What only the running app knows, for "Copy diagnostics" (names, never tokens)."""
        facts = self.devices.facts()
        source = self.idle_source
        facts["Inactivity detection"] = (f"{getattr(source, 'name', '?')}"
                                         f"{' (all apps)' if getattr(source, 'system_wide', False) else ''}"
                                         if source is not None else "none")
        facts.update(self._facts())
        return facts

    def close(self) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.close()
