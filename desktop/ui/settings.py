"""What Parley remembers between runs, in QSettings (the platform's usual place)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QWidget


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._q = qsettings or QSettings()

    # --- who I am ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return str(self._q.value("profile/name", "") or "")

    @name.setter
    def name(self, value: str) -> None:
        self._q.setValue("profile/name", value)

    # --- devices: by id, with the name as a fallback (ids of USB devices change) ---------

    def device(self, kind: str) -> tuple[str | None, str | None]:
        return (self._q.value(f"devices/{kind}/id") or None, self._q.value(f"devices/{kind}/name") or None)

    def set_device(self, kind: str, device_id: str | None, name: str | None) -> None:
        self._q.setValue(f"devices/{kind}/id", device_id or "")
        self._q.setValue(f"devices/{kind}/name", name or "")

    def flag(self, key: str, default: bool) -> bool:
        value = self._q.value(f"join/{key}", default)
        return value in (True, "true", "1", 1)

    def set_flag(self, key: str, value: bool) -> None:
        self._q.setValue(f"join/{key}", bool(value))

    def seconds(self, key: str, default: float) -> float:
        try:
            value = float(self._q.value(key, default))
        except (TypeError, ValueError):
            return default
        return value if value > 0 else default

    def set_seconds(self, key: str, value: float) -> None:
        self._q.setValue(key, float(value))

    # --- windows ------------------------------------------------------------------------

    def restore_geometry(self, window: QWidget, key: str) -> bool:
        data = self._q.value(f"geometry/{key}")
        return bool(isinstance(data, QByteArray) and window.restoreGeometry(data))

    def save_geometry(self, window: QWidget, key: str) -> None:
        self._q.setValue(f"geometry/{key}", window.saveGeometry())

    def sync(self) -> None:
        self._q.sync()
