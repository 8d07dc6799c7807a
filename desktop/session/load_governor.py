"""When this computer cannot keep up with the videos it receives: show fewer, say so, and come
back when the load passes. No Qt, no I/O, no clock of its own.

``LoadGovernor.sample`` takes one measurement a second (``LoadSample``: the event loop's lag, the
share of a core spent decoding video, the share of decoded pictures replaced before anyone took
them) and the videos in priority order (screen shares, then who talks, then the rest), and
decides which videos to pause: the ones beyond a limit. Voice is never paused.

- Step down: after ``down_after`` overloaded samples in a row (one when the loop lags badly),
  the limit falls by a quarter of the videos shown (at least one, never below ``min_videos``).
- Step up, with hysteresis: after ``up_after`` seconds of calm samples (well under the overload
  thresholds) the limit doubles; once it covers every video there is no limit. A step up
  that is followed by overload within ``settle`` seconds doubles the calm needed next time (up
  to ``max_up_after``); a longer calm brings it back.

``busy`` is true while any limit holds. The decision is a set of attendee ids: the session
stops decoding those videos, and :func:`needs_under_load` turns it into what the server hears
(``video_needs``), so the server stops sending them too: a paused video's tile is hidden (0 x 0),
and while busy every other tile off the stage asks for no more than the small layer
(:data:`BUSY_TILE_HEIGHT`: fewer pixels and fewer frames to decode). When the load passes, the
tiles' real sizes again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wire import TileNeed

#: Why a video is paused (the tile's reason code): this computer is busy.
PAUSED_FOR_LOAD = "load"
#: While busy, a tile off the stage asks for no taller a picture than this: the small layer
#: (320x180 of a 640x360 camera; the server sends the smallest layer at least as tall as the tile).
BUSY_TILE_HEIGHT = 180


@dataclass(frozen=True)
class LoadSample:
    loop_lag_ms: float  # the event loop's lag, 99th percentile over the last second or so
    decode_share: float  # CPU time decoding video / wall time (1.0 = a whole core)
    dropped_share: float  # decoded pictures replaced before they were taken / decoded


@dataclass(frozen=True)
class LoadDecision:
    paused: frozenset[str]
    busy: bool
    limit: int | None


class LoadGovernor:
    def __init__(self, *, lag_overload_ms: float = 60.0, lag_calm_ms: float = 25.0,
                 lag_severe_ms: float = 250.0, decode_overload: float = 0.6, decode_calm: float = 0.4,
                 dropped_overload: float = 0.3, dropped_calm: float = 0.1, down_after: int = 2,
                 up_after: float = 1.5, max_up_after: float = 16.0, settle: float = 10.0,
                 min_videos: int = 1) -> None:
        self.lag_overload_ms, self.lag_calm_ms, self.lag_severe_ms = lag_overload_ms, lag_calm_ms, lag_severe_ms
        self.decode_overload, self.decode_calm = decode_overload, decode_calm
        self.dropped_overload, self.dropped_calm = dropped_overload, dropped_calm
        self.down_after = down_after
        self.base_up_after = self.up_after = up_after
        self.max_up_after = max_up_after
        self.settle = settle
        self.min_videos = min_videos
        self.limit: int | None = None
        self._overloaded = 0
        self._calm_since: float | None = None
        self._last_up: float | None = None

    def overloaded(self, s: LoadSample) -> bool:
        return (s.loop_lag_ms > self.lag_overload_ms or s.decode_share > self.decode_overload
                or s.dropped_share > self.dropped_overload)

    def calm(self, s: LoadSample) -> bool:
        return (s.loop_lag_ms < self.lag_calm_ms and s.decode_share < self.decode_calm
                and s.dropped_share < self.dropped_calm)

    def sample(self, now: float, sample: LoadSample, videos: Sequence[str]) -> LoadDecision:
        """One measurement at ``now`` (seconds); ``videos``: the videos received, most
        important first. Returns which to pause."""
        count = len(videos)
        if self.overloaded(sample):
            self._calm_since = None
            self._overloaded += 1
            severe = sample.loop_lag_ms > self.lag_severe_ms
            if (self._overloaded >= self.down_after or severe) and count > self.min_videos:
                shown = min(count, self.limit if self.limit is not None else count)
                step = max(1, math.ceil(shown / 4))
                self.limit = max(self.min_videos, shown - step)
                self._overloaded = 0
                if self._last_up is not None and now - self._last_up < self.settle:
                    self.up_after = min(self.max_up_after, self.up_after * 2)  # that step up was too soon
                self._last_up = None
        else:
            self._overloaded = 0
            if not self.calm(sample):
                self._calm_since = None
            elif self._calm_since is None:
                self._calm_since = now
            elif self.limit is not None and now - self._calm_since >= self.up_after:
                self.limit *= 2
                self._last_up, self._calm_since = now, now
                if self.limit >= count:
                    self.limit = None
            if self._last_up is not None and now - self._last_up >= self.settle:
                self.up_after = self.base_up_after  # the last step up held: trust the next sooner
                self._last_up = None
        if self.limit is not None and self.limit >= count and count:
            # Fewer videos than the limit now (people left): the limit stays for new arrivals.
            return LoadDecision(frozenset(), True, self.limit)
        paused = frozenset(videos[self.limit:]) if self.limit is not None else frozenset()
        return LoadDecision(paused, self.limit is not None, self.limit)


def by_priority(videos: Sequence[str], speakers: Sequence[str], is_share) -> list[str]:
    """``videos`` most important first: screen shares, then who talks (most active first), then
    the rest in their order."""
    rank = {who: n for n, who in enumerate(speakers)}
    return sorted(videos, key=lambda who: (not is_share(who), rank.get(who, len(rank)), videos.index(who)))


def needs_under_load(told: Sequence[TileNeed] | None, paused: Iterable[str],
                     busy: bool) -> tuple[TileNeed, ...] | None:
    """What the server should hear of each video (``video_needs``), by attendee id: what the
    tiles need (``told``; None: never said) with this computer's load on top. A ``paused``
    video is hidden (0 x 0, on stage or not: the server stops forwarding it); while ``busy``, a
    tile off the stage taller than :data:`BUSY_TILE_HEIGHT` asks for that height (its width
    scaled alike). None: nothing to say (no tiles told, nothing paused, not busy)."""
    paused = set(paused)
    if told is None and not paused and not busy:
        return None
    needs = {}
    for tile in told or ():
        if tile.attendee_id in paused:
            tile = TileNeed(tile.attendee_id, 0, 0, tile.stage)
        elif busy and not tile.stage and tile.height > BUSY_TILE_HEIGHT:
            width = max(1, round(tile.width * BUSY_TILE_HEIGHT / tile.height))
            tile = TileNeed(tile.attendee_id, width, BUSY_TILE_HEIGHT, False)
        needs[tile.attendee_id] = tile
    for who in paused - set(needs):  # a video no tile told of: hidden too
        needs[who] = TileNeed(who, 0, 0)
    return tuple(needs[who] for who in sorted(needs))
