"""Join tokens: what lets one attendee into one meeting until it expires.

A token is ``base64url(JSON claims) + "." + base64url(HMAC-SHA256(secret, first part))``, both
parts without padding. The claims are ``{"meeting_id", "attendee_id", "expires_at"}``
(``expires_at`` in seconds since the Unix epoch), or for an invite link
``{"meeting_id", "role", "invite_id", "expires_at"}``. Tokens are not encrypted: they name the
meeting and the attendee, nothing secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from wire import ErrorCode, ProtocolError

from .clock import Clock
from .config import TOKEN_SECRET_FILE, read_or_create_secret

SECRET_BYTES = 32
#: Tokens longer than this are refused before any work is done on them.
MAX_TOKEN_CHARS = 2048

_B64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class TokenClaims:
    """A join token names one attendee; an invite token names a role instead, and whoever
    joins with it becomes a new attendee of that role (one link for many people)."""

    meeting_id: str
    attendee_id: str  # "" for an invite
    expires_at: float
    role: str | None = None  # set for an invite
    #: the stored invite it is (server/store.py), so it can be revoked; "" for an invite made
    #: before invites were stored (refused) and for an attendee's token
    invite_id: str = ""

    @property
    def is_invite(self) -> bool:
        return self.role is not None


def load_or_create_secret(data_dir: Path) -> bytes:
    """The signing secret of this server, created once in ``data_dir/token_secret``."""
    path = data_dir / TOKEN_SECRET_FILE
    secret, _ = read_or_create_secret(path, lambda: secrets.token_bytes(SECRET_BYTES))
    if len(secret) != SECRET_BYTES:
        raise RuntimeError(
            f"{path} holds {len(secret)} bytes instead of {SECRET_BYTES}; it is damaged "
            "(deleting it creates a new secret and invalidates every join token issued)"
        )
    return secret


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.INVALID_TOKEN, message)


class TokenSigner:
    def __init__(self, secret: bytes, clock: Clock) -> None:
        if len(secret) < 16:
            raise ValueError("a token secret needs at least 16 bytes")
        self._secret = secret
        self._clock = clock

    def issue(self, meeting_id: str, attendee_id: str, ttl_seconds: int) -> str:
        return self._issue({"meeting_id": meeting_id, "attendee_id": attendee_id}, ttl_seconds)

    def issue_invite(self, meeting_id: str, role: str, ttl_seconds: int, invite_id: str) -> str:
        return self._issue({"meeting_id": meeting_id, "role": role, "invite_id": invite_id}, ttl_seconds)

    def _issue(self, claims: dict[str, str], ttl_seconds: int) -> str:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        claims = {**claims, "expires_at": self._clock.now() + ttl_seconds}
        payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str) -> TokenClaims:
        """The claims of a token this server issued and that has not expired.

        Raises ProtocolError ``invalid_token`` for anything not signed by this server and
        ``token_expired`` for a genuine token past its expiry.
        """
        if not isinstance(token, str) or not token:
            raise _invalid("no token given")
        if len(token) > MAX_TOKEN_CHARS:
            raise _invalid("token too long")
        payload, dot, signature = token.partition(".")
        if not dot or not payload or not signature:
            raise _invalid("token is not of the form <claims>.<signature>")
        if not (_B64URL.fullmatch(payload) and _B64URL.fullmatch(signature)):
            raise _invalid("token is not base64url")
        # Compare the encoded forms: both are ASCII here, and no second spelling of the same
        # bytes can pass.
        if not hmac.compare_digest(self._sign(payload), signature):
            raise _invalid("token signature does not match")
        claims = self._parse_claims(payload)
        if self._clock.now() >= claims.expires_at:
            raise ProtocolError(ErrorCode.TOKEN_EXPIRED, "join token has expired")
        return claims

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest()
        return _b64encode(mac)

    @staticmethod
    def _parse_claims(payload: str) -> TokenClaims:
        # Only reached for tokens signed with our secret, so a failure here means a bug or a
        # leaked secret; still refuse cleanly rather than crash.
        try:
            data = json.loads(_b64decode(payload))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise _invalid("token claims are not valid JSON") from None
        if not isinstance(data, dict):
            raise _invalid("token claims are malformed")
        invite_id = data.pop("invite_id", "")
        who = "role" if set(data) == {"meeting_id", "role", "expires_at"} else "attendee_id"
        if set(data) != {"meeting_id", who, "expires_at"} or not isinstance(invite_id, str) \
                or (invite_id and who != "role"):
            raise _invalid("token claims are malformed")
        meeting_id, subject, expires_at = data["meeting_id"], data[who], data["expires_at"]
        if not (isinstance(meeting_id, str) and meeting_id and isinstance(subject, str)
                and subject and isinstance(expires_at, (int, float))
                and not isinstance(expires_at, bool)):
            raise _invalid("token claims are malformed")
        if who == "role":
            return TokenClaims(meeting_id, "", float(expires_at), role=subject, invite_id=invite_id)
        return TokenClaims(meeting_id, subject, float(expires_at))
