"""Spending one subscriber's downlink: which layer of which video it gets, and what is paused.

Audio is never allocated: it is always forwarded, and the estimate this spends is of video
alone (the REMB a subscriber's video sections send sees the queue everything makes, audio
included). Videos are served in priority order (:class:`Priority`: screen shares, then the
stage (active speaker, pinned), then the rest; ties by attendee id so the order is stable), as
Jitsi's allocator does: screens and the stage first, each its smallest layer and then as far up
as fits; then the rest, each its smallest layer while that fits, then upgrades in the same
order; never above what the tile can show (``max_height``; a hidden tile needs nothing). When a
screen or the stage is short of its best layer for want of budget (not because it must hold
still), the rest stay at their smallest layer, so what the budget grows by goes to it first.
Only at a downlink's start, before its link is judged (downlink.py), is every video given its
smallest layer before the screens and the stage move up: everyone is seen, nobody paused, on
an estimate that is still a guess.

Hysteresis (:class:`Allocator`): a video that is on keeps its layer as long as that fits (in
``keep_budget``, which downlink.py sets a little above the estimate); a paused video resumes,
and a video moves up a layer, only with :data:`HEADROOM` to spare and only after it stayed put
:data:`HOLD` seconds; a video is lowered only when it has not fitted for :data:`LOWER_AFTER`
seconds in a row, and paused only after :data:`PAUSE_AFTER` (so a shortfall first costs pixels,
and only a lasting one the picture); each pause or lowering that follows a resumption or a move
up within :data:`HOLD_MAX` doubles the wait before the next try (up to ``HOLD_MAX``), so a link
that cannot carry it does not flap. :func:`allocate` is the pure rule; the Allocator adds the clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum

#: A resumption or an upgrade needs the estimate to exceed what it adds by this factor.
HEADROOM = 1.2
#: Seconds a video stays as it is before it may resume or move up.
HOLD = 3.0
#: The longest wait (seconds) after repeated failed resumptions.
HOLD_MAX = 30.0
#: A video that is on is lowered a layer only once it has not fitted for this long (seconds),
#: and paused only after PAUSE_AFTER: a short estimate (a keyframe's burst or a busy machine
#: read as congestion) changes nothing.
LOWER_AFTER = 2.5
PAUSE_AFTER = 4.0


class Priority(IntEnum):
    """Lower is served first."""

    SCREEN = 0
    STAGE = 1  # the active speaker, pinned tiles
    OTHER = 2


@dataclass(frozen=True)
class Layer:
    """One encoding of a video: its name (wire.VideoLayer value), cost in bit/s, height."""

    name: str
    bitrate: int
    height: int


@dataclass(frozen=True)
class Want:
    """A video a subscriber could receive."""

    key: Hashable
    priority: Priority
    #: the layers the publisher offers, smallest first
    layers: tuple[Layer, ...]
    #: the tile's height on screen in pixels (None: not told, any layer; 0: hidden, nothing)
    max_height: int | None = None

    def sort_key(self) -> tuple:
        return (self.priority, str(self.key))

    def usable(self) -> tuple[Layer, ...]:
        """The layers worth sending to the tile: up to the first one at least as tall as it."""
        if self.max_height is None:
            return self.layers
        if self.max_height <= 0:
            return ()
        for i, layer in enumerate(self.layers):
            if layer.height >= self.max_height:
                return self.layers[:i + 1]
        return self.layers


@dataclass(frozen=True)
class Decision:
    """Per key: the layer name to forward, or None (paused). ``hidden``: keys that need nothing
    (not paused for bandwidth: the subscriber does not show them)."""

    layers: dict[Hashable, str | None]
    hidden: frozenset = field(default_factory=frozenset)
    spent: int = 0

    def paused(self) -> set[Hashable]:
        """Keys paused because they did not fit."""
        return {k for k, v in self.layers.items() if v is None and k not in self.hidden}


def allocate(budget: float, wants: Iterable[Want], current: dict[Hashable, str | None] | None = None,
             may_raise: Iterable[Hashable] | None = None, keep_budget: float | None = None,
             stage_first: bool = True) -> Decision:
    """Spend ``budget`` (bit/s) on ``wants``. ``current``: what each key gets now (a layer name,
    None: paused; absent: new); ``may_raise``: keys allowed to resume or move up now (None: all).
    A key that is on keeps any layer up to its current one while it fits in ``keep_budget``
    (default: ``budget``); going above it (or resuming) needs HEADROOM times what it adds
    within ``budget``. ``stage_first=False`` (a downlink's start, before its link is judged:
    downlink.py) gives every video its smallest layer before screens and the stage move up."""
    current = current or {}
    slack = max(0.0, (keep_budget if keep_budget is not None else budget) - budget)
    raisable = None if may_raise is None else set(may_raise)
    order = sorted(wants, key=Want.sort_key)
    chosen: dict[Hashable, Layer | None] = {}
    hidden = set()
    remaining = float(budget)

    def rank(want: Want, name: str | None) -> int:
        names = [layer.name for layer in want.layers]
        return names.index(name) if name in names else -1

    def fits(want: Want, layer_index: int, extra: float) -> bool:
        if rank(want, current.get(want.key)) >= layer_index:
            return extra <= remaining + slack  # where it is now, or below: it only has to fit
        if raisable is not None and want.key not in raisable:
            return False
        return extra * HEADROOM <= remaining

    def smallest(want: Want) -> None:
        nonlocal remaining
        usable = want.usable()
        if not usable:
            hidden.add(want.key)
            chosen[want.key] = None
        elif fits(want, 0, usable[0].bitrate):
            chosen[want.key] = usable[0]
            remaining -= usable[0].bitrate
        else:
            chosen[want.key] = None

    def upgrade(want: Want) -> bool:
        """Move ``want`` up while it fits; False: short of its best for want of budget."""
        nonlocal remaining
        layer, usable = chosen[want.key], want.usable()
        free = raisable is None or want.key in raisable
        if layer is None:
            return not (usable and free)
        for index in range(usable.index(layer) + 1, len(usable)):
            extra = usable[index].bitrate - layer.bitrate
            if not fits(want, index, extra):
                chosen[want.key] = layer
                return not free
            remaining -= extra
            layer = usable[index]
        chosen[want.key] = layer
        return True

    first = [w for w in order if w.priority < Priority.OTHER]  # screens, then the stage
    rest = [w for w in order if w.priority >= Priority.OTHER]
    for want in first if stage_first else order:
        smallest(want)
    short = False  # a screen or the stage short of its best: the rest do not move up
    for want in first:
        short = not upgrade(want) or short
    for want in rest if stage_first else ():
        smallest(want)
    for want in rest:
        if short:
            break
        upgrade(want)
    layers = {key: (layer.name if layer is not None else None) for key, layer in chosen.items()}
    return Decision(layers=layers, hidden=frozenset(hidden), spent=int(budget - remaining))


class Allocator:
    """:func:`allocate` with memory: when each key last changed, and how long it must hold."""

    def __init__(self) -> None:
        self.current: dict[Hashable, str | None] = {}
        self._changed_at: dict[Hashable, float] = {}
        self._hold: dict[Hashable, float] = {}
        self._resumed_at: dict[Hashable, float] = {}
        self._short_since: dict[Hashable, float] = {}
        self._played: set[Hashable] = set()  # keys that were ever given a layer

    def decide(self, budget: float, wants: list[Want], now: float, keep_budget: float | None = None,
               urgent: bool = False, starting: bool = False, lower_now: bool = False) -> Decision:
        """``urgent``: the link drops much of what is sent (downlink's loss control): what does
        not fit is lowered or paused now, without the damping meant for an estimate's noise.
        ``lower_now``: a queue stands on the link (downlink's drain): what does not fit is
        lowered now; a pause still waits PAUSE_AFTER (meanwhile the video has its smallest layer).
        ``starting``: the downlink's start, before its link is judged: every video's smallest
        layer first (``allocate(stage_first=False)``), and a video that never played starts as
        soon as it fits (no hold: it did not fail, the start's budget was only a guess)."""
        keys = {w.key for w in wants}
        for key in list(self.current):
            if key not in keys:
                self.forget(key)
        may_raise = [w.key for w in wants
                     if now - self._changed_at.get(w.key, float("-inf")) >= self._hold.get(w.key, HOLD)
                     or (starting and w.key not in self._played)]
        layer_names = {w.key: tuple(x.name for x in w.layers) for w in wants}  # smallest first
        decision = self._damped(allocate(budget, wants, self.current, may_raise, keep_budget, not starting),
                                layer_names, now, urgent, lower_now)
        for key, layer in decision.layers.items():
            new = key not in self.current
            before = self.current.get(key)
            resumed_at = self._resumed_at.get(key, float("-inf"))
            if not new and before is not None and layer is not None and now - resumed_at >= HOLD_MAX:
                self._hold.pop(key, None)  # it held long enough: forgiven
            if layer is not None:
                self._played.add(key)
            if not new and layer == before:
                continue
            names = layer_names.get(key, ())
            lowered = (not new and before is not None and layer is not None and before in names
                       and layer in names and names.index(layer) < names.index(before))
            if ((layer is None and key not in decision.hidden) or lowered) and now - resumed_at < HOLD_MAX:
                # paused or lowered again soon after it resumed or moved up: the link could not
                # carry it, wait longer before the next try
                self._hold[key] = min(HOLD_MAX, 2 * self._hold.get(key, HOLD))
            raised = (not new and layer is not None and layer in names
                      and (before is None or (before in names and names.index(layer) > names.index(before))))
            if raised:
                self._resumed_at[key] = now
            if not new or layer is None:
                self._changed_at[key] = now
            self.current[key] = layer
        return decision

    def _damped(self, decision: Decision, layer_names: dict[Hashable, tuple[str, ...]], now: float,
                urgent: bool = False, lower_now: bool = False) -> Decision:
        """``decision`` with the lowerings not yet LOWER_AFTER old undone, and the pauses not yet
        PAUSE_AFTER old undone (past LOWER_AFTER, such a video has its smallest layer meanwhile);
        ``urgent`` undoes none, ``lower_now`` only the pauses."""
        layers = dict(decision.layers)
        for key, layer in decision.layers.items():
            names = layer_names[key]
            before = self.current.get(key)
            lower = (key in self.current and before in names and key not in decision.hidden
                     and (layer is None or names.index(layer) < names.index(before)))
            if not lower:
                self._short_since.pop(key, None)
                continue
            short = PAUSE_AFTER if urgent else now - self._short_since.setdefault(key, now)
            if lower_now:
                short = max(short, LOWER_AFTER)
            if layer is not None and short < LOWER_AFTER:
                layers[key] = before
            elif layer is None and short < PAUSE_AFTER:
                layers[key] = names[0] if short >= LOWER_AFTER else before
            else:
                self._short_since.pop(key, None)
        return Decision(layers=layers, hidden=decision.hidden, spent=decision.spent)

    def forget(self, key: Hashable) -> None:
        for table in (self.current, self._changed_at, self._hold, self._resumed_at, self._short_since):
            table.pop(key, None)
        self._played.discard(key)
