"""Notification sounds, made here rather than shipped: short, soft, mono int16 at 48 kHz, played
on the speaker of the call (so they go where the meeting's voices go, and the echo canceller
hears them as far end). Each is told apart by its shape, as in Meet and Teams: rising for
someone joining, falling for someone leaving, a short double blip for chat, a bell for a hand."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 48000
JOIN, LEAVE, CHAT, HAND = "join", "leave", "chat", "hand"
KINDS = (JOIN, LEAVE, CHAT, HAND)


def _note(frequency: float, seconds: float, decay: float, level: float = 0.22) -> npt.NDArray[np.float64]:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    attack = np.minimum(1.0, t / 0.006)  # no click at the start
    tone = np.sin(2 * np.pi * frequency * t) + 0.25 * np.sin(2 * np.pi * 2 * frequency * t)
    return tone * attack * np.exp(-decay * t) * level


@lru_cache(maxsize=None)
def sound(kind: str) -> npt.NDArray[np.int16]:
    """The samples of a notification ``kind`` (JOIN, LEAVE, CHAT, HAND)."""
    gap = np.zeros(int(0.03 * SAMPLE_RATE))
    if kind == JOIN:
        parts = [_note(659.3, 0.14, 14), gap, _note(987.8, 0.3, 9)]  # E5 → B5
    elif kind == LEAVE:
        parts = [_note(987.8, 0.14, 14), gap, _note(659.3, 0.3, 9)]  # B5 → E5
    elif kind == CHAT:
        parts = [_note(1318.5, 0.07, 30, 0.16), gap, _note(1318.5, 0.1, 30, 0.16)]
    elif kind == HAND:
        parts = [_note(1568.0, 0.6, 6, 0.18) + _note(2349.3, 0.6, 9, 0.06)]
    else:
        raise ValueError(f"no notification sound {kind!r}")
    samples = np.concatenate(parts)
    return np.clip(samples * 32767, -32768, 32767).astype(np.int16)


class SoundPolicy:
    """When a notification may sound: never in the first seconds of a call (everyone already
    there "joining" at once), at most one every ``spacing`` seconds (ten people joining at the
    start of a meeting make one sound, not ten). Time comes from an injected clock."""

    def __init__(self, clock, settle: float = 3.0, spacing: float = 1.5) -> None:
        self.clock = clock
        self.settle = settle
        self.spacing = spacing
        self._since: float | None = None
        self._last = -float("inf")

    def joined(self) -> None:
        """The call (re)started: the roster that arrives now is not news."""
        self._since = self.clock()

    def left(self) -> None:
        self._since = None

    def allow(self) -> bool:
        now = self.clock()
        if self._since is None or now - self._since < self.settle or now - self._last < self.spacing:
            return False
        self._last = now
        return True
