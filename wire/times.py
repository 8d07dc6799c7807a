"""Times on the wire: ISO 8601 UTC with milliseconds and a ``Z``, as both sides write them."""

from __future__ import annotations

import datetime as _dt


def iso(ts: float | None) -> str | None:
    """Seconds since the epoch as the wire writes them (None stays None)."""
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> float | None:
    """Seconds since the epoch from a wire time; None or "" stays None."""
    if not text:
        return None
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
