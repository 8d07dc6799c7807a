"""Volume indicators as a sender measures them: from the RMS level of what it captures to the
0..1 ``volume`` it tells the server, sent about 5 times a second while it changes. Used for the
microphone (MeetingSession) and for a share's sound (ScreenShare). No Qt."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from wire import Message, Volume

VOLUME_INTERVAL = 0.2  # volume indicators go out about 5 times a second


def volume_from_level(rms: float) -> float:
    """A volume indicator 0..1 from an RMS level 0..1: -50 dBFS and below is 0, 0 dBFS is 1
    (a normal voice, around -20 dBFS, shows as 0.6)."""
    if rms <= 0.0:
        return 0.0
    return round(max(0.0, min(1.0, (20 * math.log10(rms) + 50) / 50)), 2)


class VolumeReporter:
    """Sends the volume when it moved by at least 0.01 since the last one sent; a send that
    fails (a drop) is said again next time."""

    def __init__(self) -> None:
        self.sent: float | None = None

    async def report(self, send: Callable[[Message], Awaitable[None]], level: float) -> None:
        volume = volume_from_level(level)
        if self.sent is not None and abs(volume - self.sent) < 0.01:
            return
        try:
            await send(Volume(volume=volume))
            self.sent = volume
        except (ConnectionError, RuntimeError):
            self.sent = None
