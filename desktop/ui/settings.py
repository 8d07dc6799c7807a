"""What Parley remembers between runs, in QSettings (the platform's usual place)."""

from __future__ import annotations

import json
import re

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QSplitter, QWidget

from .preferences import Preferences

#: Where the certificates the user trusted are kept: one JSON object, host:port → fingerprint.
TRUSTED_CERTIFICATES_KEY = "tls/trusted_certificates"


class TrustedCertificates:
    """The servers whose certificate the user chose to trust, each by its SHA-256 fingerprint
    (64 hex digits), kept in QSettings. It is the trust store the signalling layer consults
    (``desktop.signalling.tls.TrustStore``); the composition root registers it."""

    def __init__(self, qsettings: QSettings) -> None:
        self._q = qsettings

    def _all(self) -> dict[str, str]:
        try:
            value = json.loads(str(self._q.value(TRUSTED_CERTIFICATES_KEY, "") or "{}"))
        except ValueError:
            return {}
        if not isinstance(value, dict):
            return {}
        return {str(k): str(v) for k, v in value.items() if re.fullmatch(r"[0-9a-f]{64}", str(v))}

    def _save(self, trusted: dict[str, str]) -> None:
        self._q.setValue(TRUSTED_CERTIFICATES_KEY, json.dumps(trusted, sort_keys=True))
        self._q.sync()  # a trust decision is kept even if the app is killed right after

    def trusted_fingerprint(self, host_port: str) -> str | None:
        return self._all().get(host_port)

    def trust(self, host_port: str, fingerprint: str) -> None:
        digits = re.sub(r"[\s:]", "", fingerprint).lower()
        if not re.fullmatch(r"[0-9a-f]{64}", digits):
            raise ValueError(f"not a SHA-256 fingerprint: {fingerprint!r}")
        trusted = self._all()
        trusted[host_port] = digits
        self._save(trusted)

    def forget(self, host_port: str) -> None:
        trusted = self._all()
        if trusted.pop(host_port, None) is not None:
            self._save(trusted)

    def items(self) -> dict[str, str]:
        """Every trusted server: host:port → fingerprint."""
        return self._all()


def _state_settings(preferences: QSettings) -> QSettings:
    """Where window state is kept: beside the preferences, in a file of its own."""
    if preferences.format() == QSettings.Format.IniFormat and preferences.fileName().endswith(".ini"):
        return QSettings(preferences.fileName()[:-4] + "-state.ini", QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                     preferences.organizationName() or "Parley",
                     (preferences.applicationName() or "Parley") + " window state")


class Settings:
    """Preferences (typed, declared in ui/preferences.py) and, apart from them, remembered state:
    window geometry and splitter positions, which a reset of preferences never touches."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._q = qsettings or QSettings()
        self.preferences = Preferences(self._q)
        self.state = _state_settings(self._q)

    def get(self, key: str):
        return self.preferences.get(key)

    def set(self, key: str, value) -> None:
        self.preferences.set(key, value)

    # --- who I am ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.get("profile/name")

    @name.setter
    def name(self, value: str) -> None:
        self.set("profile/name", value)

    # --- devices: by id, with the name as a fallback (ids of USB devices change) ---------

    def device(self, kind: str) -> tuple[str | None, str | None]:
        return self.get(f"devices/{kind}")

    def set_device(self, kind: str, device_id: str | None, name: str | None) -> None:
        self.set(f"devices/{kind}", (device_id, name))

    def flag(self, key: str) -> bool:
        """A yes/no preference under ``join/`` (camera_on, mic_on, echo_cancellation, ...)."""
        return self.get(f"join/{key}")

    def set_flag(self, key: str, value: bool) -> None:
        self.set(f"join/{key}", bool(value))

    # --- servers whose certificate the user trusted ------------------------------------------

    @property
    def trusted_certificates(self) -> TrustedCertificates:
        return TrustedCertificates(self._q)

    # --- windows ------------------------------------------------------------------------

    def restore_geometry(self, window: QWidget, key: str) -> bool:
        data = self.state.value(f"geometry/{key}")
        return bool(isinstance(data, QByteArray) and window.restoreGeometry(data))

    def save_geometry(self, window: QWidget, key: str) -> None:
        self.state.setValue(f"geometry/{key}", window.saveGeometry())

    def restore_splitter(self, splitter: QSplitter, key: str) -> bool:
        data = self.state.value(f"splitters/{key}")
        return bool(isinstance(data, QByteArray) and splitter.restoreState(data))

    def save_splitter(self, splitter: QSplitter, key: str) -> None:
        self.state.setValue(f"splitters/{key}", splitter.saveState())

    def sync(self) -> None:
        self._q.sync()
        self.state.sync()
