"""What a join link says about itself, read from its token's claims (docs/protocol.md, "Join
tokens": ``base64url(CLAIMS_JSON) "." signature``; signed, not encrypted, so a client may read
them). Nothing here is trusted: the server checks the token at ``join``."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import parse_qs, urlsplit


def claims(url: str) -> dict:
    """The token's claims ({} when the link or its token cannot be read)."""
    try:
        token = parse_qs(urlsplit(url.strip()).query).get("token", [""])[0]
        first = token.split(".", 1)[0]
        data = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def shareable(url: str) -> str | None:
    """``url`` itself when it is an invite link (many people may join with it, each as a guest
    of their own), else None: a personal join link is never offered to others."""
    return url.strip() if claims(url).get("invite_id") else None
