"""The server's TLS: its context from the configured PEM certificate and key, refused early
with a message naming the file and why, and the certificate's fingerprint that people compare
before they trust a certificate their app cannot verify."""

from __future__ import annotations

import hashlib
import re
import ssl
from pathlib import Path

from .config import ServerConfig


class TlsSetupError(RuntimeError):
    """The TLS certificate or key cannot be used; the message says which and why."""


_PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.DOTALL)


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text("ascii", errors="replace")
    except OSError as exc:
        raise TlsSetupError(f"cannot read the TLS {what} {path}: {exc.strerror or exc}") from None


def _first_certificate(path: Path) -> bytes:
    """The DER bytes of the first (the server's own) certificate in the PEM file ``path``."""
    text = _read_text(path, "certificate")
    match = _PEM_CERTIFICATE.search(text)
    if match is None:
        raise TlsSetupError(f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        # parses it: garbage between the markers is refused here
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=match.group(0))
        return ssl.PEM_cert_to_DER_cert(match.group(0))
    except (ssl.SSLError, ValueError) as exc:
        raise TlsSetupError(f"{path} holds no valid PEM certificate ({exc})") from None


def certificate_fingerprint(path: Path) -> str:
    """The SHA-256 fingerprint of the server's certificate (the first in the PEM file ``path``),
    as colon-separated upper-case hex: what a client shows when it asks whether to trust it."""
    digest = hashlib.sha256(_first_certificate(Path(path))).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def tls_context(config: ServerConfig) -> ssl.SSLContext | None:
    """The server's TLS context (TLS 1.2 or newer) from ``config.tls_cert``/``tls_key``, or None
    without TLS. Raises TlsSetupError, naming the file, when they cannot be used."""
    if config.tls_cert is None or config.tls_key is None:
        return None
    _first_certificate(config.tls_cert)
    _read_text(config.tls_key, "key")  # unreadable: say so before OpenSSL's "PEM lib"

    def no_password() -> bytes:
        raise TlsSetupError(f"the TLS key {config.tls_key} is encrypted; give an unencrypted key "
                            "(readable by the server's user only)")

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key, password=no_password)
    except ssl.SSLError as exc:
        raise TlsSetupError(
            f"{config.tls_key} is not the PEM private key of the certificate in {config.tls_cert} "
            f"({exc.reason or exc})") from None
    except OSError as exc:
        raise TlsSetupError(f"cannot load the TLS certificate and key: {exc}") from None
    return context
