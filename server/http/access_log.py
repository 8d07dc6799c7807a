"""The access log never holds a join token.

A join link (``https://host/m/<meeting>?token=...``) pasted into a browser, or a client that
puts a token in a query string, would otherwise write the token — enough to join as that
person — into aiohttp's access log and whatever collects it. :func:`scrub_access_log` puts a
filter on the ``aiohttp.access`` logger that blanks the value of every ``...token=``
parameter (``token``, ``invite_token``, ``join_token``; any case) in the line and in the
fields aiohttp attaches to the record (the request line, the Referer), whatever runner or log
format is used.
"""

from __future__ import annotations

import logging
import re
from typing import Any

ACCESS_LOGGER = "aiohttp.access"
REDACTED = "[redacted]"
_TOKEN_PARAMETER = re.compile(r"(?i)([?&;][^=&\s\"?#]*token=)[^&\s\"#;]*")


def scrub(text: str) -> str:
    """``text`` with the value of every ``...token=`` query parameter replaced."""
    return _TOKEN_PARAMETER.sub(r"\1" + REDACTED, text) if "=" in text else text


class TokenScrubber(logging.Filter):
    """Blanks token parameters in an access-log record (it never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        for name, value in list(vars(record).items()):
            record.__dict__[name] = _scrubbed(value, name)
        return True


def _scrubbed(value: Any, name: str) -> Any:
    if name == "msg":
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):  # aiohttp's headers fields: {"Referer": "..."}
        return {k: scrub(v) if isinstance(v, str) else v for k, v in value.items()}
    return value


def scrub_access_log() -> None:
    """Put a :class:`TokenScrubber` on the access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, TokenScrubber) for f in logger.filters):
        logger.addFilter(TokenScrubber())
