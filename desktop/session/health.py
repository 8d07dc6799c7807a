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


@dataclass(frozen=True)
class UplinkWeak:
    """What I send arrives badly (``loss`` of my video, or the encoder held to ``kbps``): others
    may not see my video well."""

    loss: float | None
    kbps: float | None


@dataclass(frozen=True)
class ReceivePoor:
    """What the others send me arrives badly (``loss``): their videos may freeze. ``computer``:
    this computer was busy during that run (its event loop late, videos paused for load), so
    the packets were as likely lost here, not read in time, as on the network: say so, not
    "your connection is poor"."""

    loss: float
    computer: bool = False


class DirectionalHealth:
    """The two directions apart, each from a run of bad samples (2 s each) and each at most once
    a ``cooldown``: my uplink (video loss the server reports, or the encoder's target, which
    follows the bandwidth estimate, under ``min_send_kbps`` while my camera is on) and my
    downlink (the share of packets sent to me that never came). The downlink is blamed only
    when this computer kept up during the whole run (``computer_busy`` false each time); else
    the alert says the computer was busy (``ReceivePoor.computer``)."""

    def __init__(self, loss: float = 0.1, samples: int = 5, min_send_kbps: float = 100.0,
                 cooldown: float = 120.0) -> None:
        self.loss = loss
        self.min_send_kbps = min_send_kbps
        self.cooldown = cooldown
        self._up: deque[bool] = deque(maxlen=samples)
        self._down: deque[bool] = deque(maxlen=samples)
        self._down_busy: deque[bool] = deque(maxlen=samples)  # the computer was busy at that sample
        self._last: dict[type, float] = {}

    def _due(self, kind: type, run: deque[bool], now: float) -> bool:
        if len(run) < (run.maxlen or 0) or not all(run):
            return False
        last = self._last.get(kind)
        if last is not None and now - last < self.cooldown:
            return False
        self._last[kind] = now
        run.clear()
        return True

    def sample(self, stats, now: float, camera_on: bool, computer_busy: bool = False) -> list[object]:
        """``stats``: a ``LinkStats``; ``computer_busy``: this computer could not keep up during
        the sample (the loop lagged, videos paused for load); returns the alerts due now."""
        alerts: list[object] = []
        target = getattr(stats, "send_estimate_kbps", None)
        held = camera_on and target is not None and target < self.min_send_kbps
        lossy = stats.uplink_loss is not None and stats.uplink_loss >= self.loss
        self._up.append(held or (camera_on and lossy))
        if self._due(UplinkWeak, self._up, now):
            alerts.append(UplinkWeak(stats.uplink_loss, target))
        self._down.append(stats.receive_loss is not None and stats.receive_loss >= self.loss)
        self._down_busy.append(computer_busy)
        computer = any(self._down_busy)
        if self._due(ReceivePoor, self._down, now):
            self._down_busy.clear()
            alerts.append(ReceivePoor(stats.receive_loss, computer))
        return alerts


def link_quality(stats) -> float | None:
    """The signal bars: the worse of what I send (the server's loss report on my audio, else
    my worst section) and what I receive."""
    losses = [x for x in (stats.uplink_audio_loss if stats.uplink_audio_loss is not None else stats.uplink_loss,
                          stats.receive_loss) if x is not None]
    return signal_strength(max(losses)) if losses else None


#: Chime's 0 / 0.5 / 1 signal strength from a loss fraction (None: unknown), as the server
#: computes it for everyone's volume indicators.
quality = signal_strength
