"""When to tell the user their connection is poor: Chime's ConnectionHealthPolicy semantics.

Each stats sample (every 2 s) gives the uplink audio loss the server reports. When the last 15
samples all show at least 50 % loss, the user is told "Your connection is poor" — or, while
their camera is on, offered to turn it off — at most twice per meeting, at least 60 s apart.
The quality indicator (0 / 0.5 / 1) on the self-view comes from the same loss. No Qt.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from wire import signal_strength


@dataclass(frozen=True)
class ConnectionPoor:
    """Tell the user: their uplink loses too much audio. ``suggest_video_off``: their camera is
    on, and turning it off would help."""

    loss: float
    suggest_video_off: bool


class ConnectionHealthPolicy:
    def __init__(self, threshold: float = 0.5, samples: int = 15, cooldown: float = 60.0,
                 max_warnings: int = 2) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.max_warnings = max_warnings
        self.warnings = 0
        self._recent: deque[float] = deque(maxlen=samples)
        self._last_warning: float | None = None

    def sample(self, uplink_audio_loss: float | None, now: float, camera_on: bool) -> ConnectionPoor | None:
        """One sample; returns the alert when it is due."""
        if uplink_audio_loss is None:
            return None
        self._recent.append(uplink_audio_loss)
        if len(self._recent) < (self._recent.maxlen or 0) or min(self._recent) < self.threshold:
            return None
        if self.warnings >= self.max_warnings:
            return None
        if self._last_warning is not None and now - self._last_warning < self.cooldown:
            return None
        self.warnings += 1
        self._last_warning = now
        self._recent.clear()  # the next warning needs a fresh run of bad samples
        return ConnectionPoor(round(uplink_audio_loss, 2), camera_on)


#: Chime's 0 / 0.5 / 1 signal strength from a loss fraction (None: unknown), as the server
#: computes it for everyone's volume indicators.
quality = signal_strength
