"""``LoadGovernor``: when the machine cannot keep up, the effect updates on fewer frames, never the
camera's."""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass

__all__ = ["LEVELS", "EffectLevel", "LoadGovernor"]

logger = logging.getLogger(__name__)


# -- keeping up ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectLevel:
    """How much of the work is done on each frame: the mask is found on one frame in
    ``segment_every``, a blurred background made on one in ``background_every``."""

    segment_every: int
    background_every: int


LEVELS = (EffectLevel(1, 1), EffectLevel(2, 1), EffectLevel(3, 2), EffectLevel(4, 4))


class LoadGovernor:
    """Lowers the effect's rate when the machine cannot keep up with the camera, and raises it
    again when it can. Not thread-safe: the track uses it on the event loop only.

    Each frame, ``plan()`` says whether to segment and whether to make a new blurred
    background; ``record(cost, interval)`` gives the effect's time for that frame and the
    camera's frame interval. When the mean cost over ``window`` frames exceeds
    ``budget * interval`` the level goes up; when it stays under ``budget * relax`` for
    ``relax_window`` frames it goes down. ``record`` returns True the first time it goes up.
    """

    def __init__(self, budget: float = 0.5, window: int = 15, relax: float = 0.3,
                 relax_window: int = 150, warmup: int = 3, levels: tuple[EffectLevel, ...] = LEVELS) -> None:
        self.budget = budget
        self.window = window
        self.relax = relax
        self.relax_window = relax_window
        self.levels = levels
        self.level = 0
        self.degraded_once = False
        self._warmup = warmup
        self._frame = 0
        self._costs: collections.deque[float] = collections.deque(maxlen=window)
        self._calm = 0

    @property
    def current(self) -> EffectLevel:
        return self.levels[self.level]

    def plan(self) -> tuple[bool, bool]:
        """(segment this frame, make a new blurred background for it)."""
        level = self.current
        frame, self._frame = self._frame, self._frame + 1
        return frame % level.segment_every == 0, frame % level.background_every == 0

    def reset(self) -> None:
        """A new effect or a restart: begin a new round at the current level, keep the counts."""
        self._costs.clear()
        self._frame = 0
        self._calm = 0

    def record(self, cost: float, interval: float) -> bool:
        if self._warmup > 0:  # the first frames load the model and warm its caches
            self._warmup -= 1
            return False
        self._costs.append(cost)
        if len(self._costs) < self.window:
            return False
        mean = sum(self._costs) / len(self._costs)
        allowed = self.budget * interval
        if mean > allowed and self.level + 1 < len(self.levels):
            self.level += 1
            self._costs.clear()
            self._calm = 0
            logger.info("background effect: %.1f ms a frame for a %.1f ms budget, level %d",
                        mean * 1000, allowed * 1000, self.level)
            first, self.degraded_once = not self.degraded_once, True
            return first
        if mean < allowed * self.relax and self.level > 0:
            self._calm += 1
            if self._calm >= self.relax_window:
                self.level -= 1
                self._costs.clear()
                self._calm = 0
        else:
            self._calm = 0
        return False
