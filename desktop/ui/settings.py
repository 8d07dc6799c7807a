"""What Parley remembers between runs, in QSettings (the platform's usual place)."""

from __future__ import annotations

import json
import re

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QWidget

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

    # --- servers whose certificate the user trusted ------------------------------------------

    @property
    def trusted_certificates(self) -> TrustedCertificates:
        return TrustedCertificates(self._q)

    # --- windows ------------------------------------------------------------------------

    def restore_geometry(self, window: QWidget, key: str) -> bool:
        data = self._q.value(f"geometry/{key}")
        return bool(isinstance(data, QByteArray) and window.restoreGeometry(data))

    def save_geometry(self, window: QWidget, key: str) -> None:
        self._q.setValue(f"geometry/{key}", window.saveGeometry())

    def sync(self) -> None:
        self._q.sync()
