"""Who is talking: Chime's DefaultActiveSpeakerPolicy over the volume indicators. No Qt.

Every tick (5 a second) each attendee's current indicator moves their score towards 1 when they
are louder than the silence threshold and towards 0 otherwise (``speaker_weight`` keeps most of
the old score); a loud attendee also takes ``takeover_rate`` off everyone else. Indicators are
sent only when they change, so the current one stands until the next; one older than
``stale_after`` seconds counts as silence. The ranking is the attendees scoring above
``cutoff``, most active first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

STALE_AFTER = 1.0  # an indicator older than this (with nothing heard since) counts as silence


@dataclass(frozen=True)
class ActiveSpeakerPolicy:
    speaker_weight: float = 0.9
    cutoff: float = 0.01
    silence_threshold: float = 0.2
    takeover_rate: float = 0.2


class ActiveSpeakerDetector:
    def __init__(self, policy: ActiveSpeakerPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or ActiveSpeakerPolicy()
        self._clock = clock
        self._scores: dict[str, float] = {}
        self._current: dict[str, tuple[float, bool, float]] = {}  # volume, muted, when

    def indicate(self, attendee_id: str, volume: float, muted: bool) -> None:
        """The attendee's indicator changed."""
        self._current[attendee_id] = (volume, muted, self._clock())

    def heard(self, attendee_id: str) -> None:
        """Sound arrived from the attendee: their indicator is still current."""
        entry = self._current.get(attendee_id)
        if entry is not None:
            self._current[attendee_id] = (entry[0], entry[1], self._clock())

    def tick(self) -> None:
        """Score every attendee from their current indicator."""
        now = self._clock()
        for attendee_id, (volume, muted, when) in list(self._current.items()):
            self.update(attendee_id, 0.0 if now - when > STALE_AFTER else volume, muted)

    def update(self, attendee_id: str, volume: float, muted: bool) -> None:
        """Chime's calculateScore for one attendee."""
        policy = self.policy
        loud = 0.0 if muted or volume <= policy.silence_threshold else 1.0
        score = self._scores.get(attendee_id, 0.0) * policy.speaker_weight + loud * (1 - policy.speaker_weight)
        self._scores[attendee_id] = score
        if loud:
            for other in self._scores:
                if other != attendee_id:
                    self._scores[other] = max(self._scores[other] - policy.takeover_rate * loud, 0.0)

    def remove(self, attendee_id: str) -> None:
        self._scores.pop(attendee_id, None)
        self._current.pop(attendee_id, None)

    def ranking(self) -> list[str]:
        """Active speakers, most active first."""
        ranked = [a for a, score in self._scores.items() if score >= self.policy.cutoff]
        return sorted(ranked, key=lambda a: self._scores[a], reverse=True)
