"""TLS for signalling and REST (no Qt): verify the server, or pin a certificate the user trusted.

A ``parleys://`` link's server must present a certificate this computer can verify (the
system's certificate authorities, and the host name), like any https site. A certificate it
cannot verify (most often a self-signed one) is refused with :class:`UntrustedCertificate`,
never used silently. The error carries that certificate's SHA-256 fingerprint, so the person
can compare it with the one the server's administrator gives them (``parley-server`` prints it
when it starts). Only when the person says so does the fingerprint go into the
:class:`TrustStore`. From then on, connections to that host:port accept exactly that
certificate (``aiohttp.Fingerprint``), and a different certificate is refused again.

The store is an object handed down from the composition root, never a global: the app makes
its persistent one (QSettings, desktop/ui/settings.py), the bot and the tests a
:class:`MemoryTrustStore`, and every connection is given the store it consults.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import re
import ssl
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import aiohttp

from ..translatable import QT_TRANSLATE_NOOP

logger = logging.getLogger(__name__)

#: How long reading a refused server's certificate (to show its fingerprint) may take.
FETCH_TIMEOUT = 10.0


# --- fingerprints and names -----------------------------------------------------------------


def normalize_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as 64 lower-case hex digits; accepts colons, spaces, any case."""
    digits = re.sub(r"[\s:]", "", text).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digits):
        raise ValueError(f"not a SHA-256 fingerprint: {text!r}")
    return digits


def format_fingerprint(fingerprint: str) -> str:
    """``AB:CD:…``: how people read and compare a fingerprint (and how parley-server prints it)."""
    digits = normalize_fingerprint(fingerprint).upper()
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def fingerprint_of(der: bytes) -> str:
    """The SHA-256 fingerprint of a DER certificate, as 64 lower-case hex digits."""
    return hashlib.sha256(der).hexdigest()


def host_port_key(host: str, port: int | None, secure: bool = True) -> str:
    """``host:port`` as the trust store keys it: lower case, IPv6 in brackets, default port filled in."""
    host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port or (443 if secure else 80)}"


# --- the trust store ------------------------------------------------------------------------


@runtime_checkable
class TrustStore(Protocol):
    """host:port → the SHA-256 fingerprint (64 hex digits) the user chose to trust there."""

    def trusted_fingerprint(self, host_port: str) -> str | None: ...

    def trust(self, host_port: str, fingerprint: str) -> None: ...

    def forget(self, host_port: str) -> None: ...


class MemoryTrustStore:
    """A trust store that lasts as long as the object (parley-bot; tests)."""

    def __init__(self, trusted: dict[str, str] | None = None) -> None:
        self._trusted = {key: normalize_fingerprint(value) for key, value in (trusted or {}).items()}

    def trusted_fingerprint(self, host_port: str) -> str | None:
        return self._trusted.get(host_port)

    def trust(self, host_port: str, fingerprint: str) -> None:
        self._trusted[host_port] = normalize_fingerprint(fingerprint)

    def forget(self, host_port: str) -> None:
        self._trusted.pop(host_port, None)


# --- refusals -------------------------------------------------------------------------------


class UntrustedCertificate(ConnectionError):
    """The server at ``host_port`` presented a certificate this computer does not trust.

    ``fingerprint`` is that certificate's SHA-256 (64 hex digits), shown to the user;
    ``reason`` says why it is not trusted, in words ("the certificate is self-signed");
    ``previously_trusted`` is the fingerprint the user trusted there before, when the server
    now presents a different one. It is a ConnectionError, so code that does not know about it
    still treats it as a failed connection and never carries on. :meth:`trust` is the user's
    explicit "trust this server", kept in ``store`` (the one the refused connection consulted).
    """

    def __init__(self, host_port: str, fingerprint: str, reason: str, *, store: TrustStore,
                 previously_trusted: str | None = None) -> None:
        self.host_port = host_port
        self.fingerprint = normalize_fingerprint(fingerprint)
        self.reason = reason
        self.previously_trusted = previously_trusted
        self.store = store
        super().__init__(
            f"the certificate of {host_port} is not trusted: {reason} "
            f"(SHA-256 {format_fingerprint(self.fingerprint)})")

    @property
    def changed(self) -> bool:
        """The user trusted another certificate for this server before."""
        return self.previously_trusted is not None

    def trust(self) -> None:
        """Trust this certificate for this host:port from now on (the user said so)."""
        self.store.trust(self.host_port, self.fingerprint)


#: OpenSSL's X509_V_ERR_* codes, in words (translated by the UI, context "Certificates").
_REASONS = {
    9: QT_TRANSLATE_NOOP("Certificates", "the certificate is not valid yet"),
    10: QT_TRANSLATE_NOOP("Certificates", "the certificate has expired"),
    18: QT_TRANSLATE_NOOP("Certificates", "the certificate is self-signed"),
    19: QT_TRANSLATE_NOOP("Certificates", "the certificate is signed by an authority this computer does not know"),
    20: QT_TRANSLATE_NOOP("Certificates", "the certificate is signed by an authority this computer does not know"),
    21: QT_TRANSLATE_NOOP("Certificates", "the certificate is signed by an authority this computer does not know"),
    23: QT_TRANSLATE_NOOP("Certificates", "the certificate has been revoked"),
    62: QT_TRANSLATE_NOOP("Certificates", "the certificate is for another server name"),
    64: QT_TRANSLATE_NOOP("Certificates", "the certificate is for another address"),
}
_UNVERIFIED = QT_TRANSLATE_NOOP("Certificates", "the certificate could not be verified")


def describe_verify_error(error: BaseException | None) -> str:
    """Why verification failed, in words, from an ``ssl.SSLCertVerificationError``."""
    code = getattr(error, "verify_code", None)
    if code in _REASONS:
        return _REASONS[code]
    message = getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error or "")
    return f"{_UNVERIFIED} ({message})" if message else _UNVERIFIED


async def presented_fingerprint(host: str, port: int, timeout: float = FETCH_TIMEOUT) -> str:
    """The SHA-256 fingerprint of the certificate the server at host:port presents.

    The handshake is not verified: the result is only ever *shown* to the user. Nothing is sent
    over this connection; it closes as soon as the certificate is read."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=context, server_hostname=host), timeout)
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 2.0)
    if not der:
        raise ConnectionError(f"the server at {host}:{port} presented no certificate")
    return fingerprint_of(der)


# --- what a connection uses -----------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def verifying_context() -> ssl.SSLContext:
    """Normal verification: the system's certificate authorities, host names checked, TLS 1.2+."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not context.cert_store_stats().get("x509_ca"):
        # No authorities loaded up front (a frozen build, python.org's macOS Python, or a
        # system that keeps them only in a hashed directory): add certifi's, if it is there.
        try:
            import certifi
        except ImportError:
            pass
        else:
            context.load_verify_locations(certifi.where())
    return context


class ServerTls:
    """How to connect to the server of ``url`` (``https://``/``wss://``; plain ones pass through):
    the ``ssl`` argument for aiohttp, and what a failed connection means."""

    def __init__(self, url: str, store: TrustStore) -> None:
        """``store``: the certificates the user trusted (pinned per host:port)."""
        parts = urlsplit(url)
        self.secure = parts.scheme in ("https", "wss")
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.secure else 80)
        self.host_port = host_port_key(self.host, self.port, self.secure)
        self.store = store

    def ssl_argument(self) -> ssl.SSLContext | aiohttp.Fingerprint | bool:
        """Pinned to the fingerprint the user trusted for this host:port, else verified normally."""
        if not self.secure:
            return True  # aiohttp's default; there is no TLS on a plain connection
        pinned = self.store.trusted_fingerprint(self.host_port)
        if pinned:
            return aiohttp.Fingerprint(bytes.fromhex(normalize_fingerprint(pinned)))
        return verifying_context()

    async def untrusted(self, error: BaseException) -> ConnectionError | None:
        """The :class:`UntrustedCertificate` that ``error`` (from aiohttp) means, or None when it
        is about something else. When the refused certificate cannot be read again to show its
        fingerprint, a plain ConnectionError saying so."""
        if isinstance(error, aiohttp.ServerFingerprintMismatch):
            return UntrustedCertificate(
                self.host_port, error.got.hex(),
                "it is not the certificate you trusted for this server before",
                previously_trusted=error.expected.hex(), store=self.store)
        if isinstance(error, aiohttp.ClientConnectorCertificateError):
            reason = describe_verify_error(error.certificate_error)
            try:
                fingerprint = await presented_fingerprint(self.host, self.port)
            except (OSError, asyncio.TimeoutError) as exc:
                logger.warning("tls: could not read %s's certificate again: %s", self.host_port, exc)
                return ConnectionError(f"the certificate of {self.host_port} is not trusted: {reason}")
            return UntrustedCertificate(self.host_port, fingerprint, reason, store=self.store)
        return None
