"""One subscriber's downlink: its estimate, what it gets of each video, and what it is told.

The estimate is the sum of the latest REMB each of its video sections sent (aiortc runs one
estimator per receiver, each seeing its own section's packets: on a congested link each says
0.85 of what it receives, so the sum is 0.85 of the whole; on a free one each allows 1.5 times
what it receives), counting for sections that started, resumed or switched layer in the last
:data:`REMB_SETTLE` seconds what they are sent instead of their REMB, and never above the loss-based cap (loss.py, from the loss the
subscriber's receiver reports say: a full queue that drops while its delay no longer grows). Sections that receive nothing send nothing: when no REMB is fresh (every
video paused, say), nothing is known of the link: the estimate starts again from at least
:data:`PROBE_FLOOR` and grows on its own (:data:`PROBE_GROWTH` a second), so once its hold is
over (allocation.Allocator: longer after each failed try) a paused video is tried again, and the
REMB that follows says whether it fits.

A new downlink is not assumed good: sending every camera whole into a link that cannot carry it
lost 55-70 % of everything, voice included, for the 2-3 s its first REMBs took (aiortc's
estimator says nothing for its first ~4 s unless it sees a queue). It starts as TCP's slow start
and libwebrtc's initial probes do (:meth:`Downlink._ramp`): at :data:`START_ESTIMATE`, spent on
the videos' smallest layers first (``Allocator.decide(starting=True)``: as many people as fit are
seen before anyone is sharp); a video that does not fit yet is not told it is paused (its
tile waits for its first picture as it would for any), since nothing is known of the link to
say so; each time a receiver report that came :data:`RAMP_STEP` seconds after the last step
(the first step: after the first report, whose round trip is the link's without a queue)
says the link holds no queue and loses no more than the least the start saw (a radio link loses a few
percent of whatever is sent), the estimate doubles, up to what the videos could use. Heavy
loss (loss.py's ``lossy``) or a queue ends the start (not a falling REMB: the sum changes as
sections start and settle, and once it ended a start that had not failed): the estimate falls to the
last level a report found calm (half the first one if none was), or to what got through if
that is less (after heavy loss, for :data:`START_FLOOR_HOLD` seconds no REMB takes it lower:
those of the loss come from the few sections that stayed on through it), and the rules above
take over, with the stage first. It ends too, and the REMBs take over, once every video that
flows has a settled REMB (aiortc's estimators speak before their ~3 s of measuring only of a
queue building, and then of what arrives: a start that ignored them kept a 1.5 Mbit/s link at
its edge for 5 s in the bench, and the speaker froze waiting for keyframes). It ends when it
could not step for :data:`RAMP_STALL` seconds while more was wanted (a step that added a few
percent of loss without a queue: nothing more to learn; a receiver that never sent a receiver
report, such as ``parley-bot --light``, is then sent everything, as before). One that reached what the videos can
use waits there, calm, and steps again when more is wanted (another camera, a larger tile):
the first person in a meeting has nothing to receive, and the start must not end with that.

A fresh REMB only ever allows 1.5 times what its section receives, so while the stage (or a
screen share) is paused and a smaller video of lower priority flows, the estimate could never
grow enough to resume it: the speaker stayed paused for a whole meeting while another camera
played (issue 17's 0.6 Mbit/s row). So while a stage or screen video is paused for want of
budget and the link is calm (its receiver reports have said for :data:`PROBE_CALM` seconds that
it loses nothing and holds no queue, and the REMBs are not falling), the estimate is at least what the stage and screens need at their
smallest layers with the allocation's headroom (``stage_need``): the allocation resumes the
stage (after its hold), keeping what has lower priority only if it still fits, and a link that
cannot carry it says so by loss or queue, which ends the probe and lengthens the next hold. The
probe is that one step, not a gradual rise: a gradual one would resume the smaller videos of
lower priority first, as each fitted, and leave the stage waiting behind them.

A queue that stands on the link (loss.py's ``queueing``: the round trips of the last second)
holds the estimate at what is sent, and with the REMBs saying less arrives than is sent it is
drained before it overflows (:meth:`Downlink._drain`).

Every :data:`INTERVAL` :meth:`Downlink.tick` runs the allocation (allocation.py) over the videos
the subscriber is given, applies it to the down tracks (a layer, or paused), keeps the repair
budget at the estimate, and tells the subscriber (``on_video``: the room makes it a
``video_paused`` message) of each video whose state changed.
``estimate_cap`` is a test hook: loopback has no real bottleneck, so an end-to-end test caps the
estimate there (real shaping lives in bench/network.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from wire import PauseReason, TileNeed, is_content_attendee

from .allocation import HEADROOM, HOLD_MAX, Allocator, Layer, Priority, Want
from .forwarding import DownTrack, UpTrack
from .loss import LOW, QUEUE_DELAY, LossControl
from .repair import RepairBudget
from .uplink import LAYER_BITRATE, LAYER_HEIGHT

logger = logging.getLogger(__name__)
_V = TypeVar("_V")

INTERVAL = 0.5
#: A REMB older than this (seconds) no longer counts.
REMB_FRESH = 2.5
#: Nor does one from a section that started (or resumed) forwarding less than this long ago: the
#: receiver's estimator measures what arrives over the last second, and that includes the gap.
REMB_SETTLE = 2.0
#: Where a new downlink's estimate starts (bit/s; the start, module docstring): one camera's
#: whole picture with headroom (a call of two gets it at once), or a few small layers; each
#: step of it (seconds; a receiver report must come this long after the last step), its factor.
START_ESTIMATE = 650_000
RAMP_STEP = 1.0
RAMP_FACTOR = 2.0
#: A start that could not step for this long (seconds) ends where it is.
RAMP_STALL = 3.0
#: For this long (seconds) after a start ended by heavy loss, no REMB takes the estimate below
#: the level it fell back to (the loss cap still does).
START_FLOOR_HOLD = 3.0
#: The most an estimate is ever taken to be (bit/s).
MAX_ESTIMATE = 20_000_000
#: On a queue, aiortc's estimator answers this share of what arrived: an estimate that is this
#: much short of what is forwarded means the link carried it all, with some queueing (a keyframe's
#: burst, a busy machine), and what is on stays on; only when less arrived than was sent (the
#: estimate is shorter still) is anything lowered or paused.
OVERUSE_SHARE = 0.85
#: The stage probe (module docstring) waits for a link this many seconds without loss or queue.
PROBE_CALM = 2.0
#: Growth per second of an estimate no REMB refreshes, and where it starts (bit/s): about what
#: a link that carries voice and a small picture has.
PROBE_GROWTH = 1.08
PROBE_FLOOR = 300_000
#: After a standing queue was drained, the estimate stays at most what it was drained to for
#: this long (seconds; _drain), twice that if it queues again soon.
DRAIN_HOLD = 6.0
#: How a measured rate and the nominal one mix in a layer's cost (EWMA weight of a new sample).
RATE_WEIGHT = 0.3


def layers_of(up: UpTrack) -> dict[str, UpTrack]:
    """The encodings of ``up``'s camera, by layer name."""
    return up.layers


def _without_gone(table: dict[int, _V], video: list[DownTrack]) -> dict[int, _V]:
    """``table`` (id(section) -> what a tick kept of it) without the sections no longer in
    ``video``, once they are many; else ``table`` itself."""
    if len(table) <= 4 * max(1, len(video)):
        return table
    live = {id(d) for d in video}
    return {k: v for k, v in table.items() if k in live}


#: (attendee id, paused, why (a PauseReason) or None, the layer forwarded or None)
VideoNotice = Callable[[str, bool, str | None, str | None], None]


class Downlink:
    """The allocation state of one subscriber's connection; ``on_video`` hears what changed of
    each video it receives."""

    def __init__(self, on_video: VideoNotice | None = None,
                 clock_fn: Callable[[], float] = time.monotonic) -> None:
        self._on_video = on_video
        self._clock = clock_fn
        now = clock_fn()
        self.estimate_bps: float = START_ESTIMATE  # what the allocation spends
        self._measured_bps: float = START_ESTIMATE  # the same, before estimate_cap
        self.estimate_cap: int | None = None  # test hook (see the module docstring)
        self.measured = False  # a REMB has been seen
        self._remb_bps = 0.0  # the fresh REMBs' sum at the last tick that had any
        self._unclean_at = now  # when the link last lost or queued (or the downlink began)
        self.repair = RepairBudget(self.estimate_bps, now)
        self.loss = LossControl()
        self._sent_seen: dict[int, int] = {}  # id(down) -> its packets sent at the last tick
        self._rtt_seen: dict[int, float] = {}  # id(down) -> when its newest round trip came
        #: a queue stands and the estimate is held under what is sent (_drain)
        self.draining = False
        self._ceiling_bps, self._ceiling_until, self._ceiling_hold = 0.0, float("-inf"), DRAIN_HOLD
        self._lost_total = 0.0  # packets lost on the way, as the receiver reports say
        self.allocator = Allocator()
        self.needs: dict[str, TileNeed] = {}
        #: what the latest allocation weighed (the videos, their layers' costs and heights)
        self.wants: list[Want] = []
        self._told: dict[str, tuple[bool, str | None]] = {}
        #: while the latest allocation left a stage or screen video paused for want of budget:
        #: what the stage and screens need at their smallest layers, with headroom (bit/s; else 0)
        self.stage_need = 0.0
        self._rates: dict[int, tuple[int, float, float | None]] = {}  # id(up) -> (bytes, at, bit/s)
        self._at = now
        #: the start (module docstring): on until the link is judged or what is wanted fits
        self.ramping = True
        self._ramp_bps = float(START_ESTIMATE)
        self._ramp_at = now  # the last step
        self._calm_bps: float | None = None  # the level before it, which a report found calm
        self._least_loss = 1.0  # the least loss the start has seen
        self._floor_bps, self._floor_until = 0.0, float("-inf")  # after it ended by loss
        #: what the videos need at their best layers with headroom (bit/s), as tick weighed them
        self.ramp_need: float | None = None
        self._report_at = float("-inf")  # when the newest receiver report was first seen
        self._report_stamp = float("-inf")

    def set_needs(self, tiles: Iterable[TileNeed]) -> None:
        """What the subscriber shows (``video_needs``): replaces what it said before."""
        self.needs = {tile.attendee_id: tile for tile in tiles}

    def update_estimate(self, downs: Iterable[DownTrack], now: float) -> float:
        downs = list(downs)
        calm = self._calm(now)
        fresh = [d.remb_bps for d in downs
                 if d.kind == "video" and d.remb_bps is not None and now - d.remb_at <= REMB_FRESH
                 and not d.paused and now - d.started_at >= REMB_SETTLE]
        if fresh:
            remb = float(sum(fresh)) + self._settling_bps(downs, now)
            falling = remb < 0.95 * self._remb_bps  # the receivers see a queue building
            # (a spare section, which carries nothing, sends no REMB: it must not hold it open)
            flowing = sum(1 for d in downs if d.kind == "video" and not d.paused and d.up is not None)
            if self.ramping and len(fresh) >= flowing:
                # every video that flows has a settled REMB: aiortc's estimators speak only of a
                # queue before their ~3 s of measuring, then of what arrives: they take over
                self._end_ramp("the REMBs took over")
                self._measured_bps = remb
            elif self.ramping:
                self._measured_bps = max(remb, self._ramp_bps)  # the start: not judged yet
            elif self.measured and self.stage_need and calm and not falling:
                self._measured_bps = max(remb, self.stage_need)  # the probe (module docstring)
            else:
                self._measured_bps = remb
            if now < self._floor_until:  # just after the start's end (_ramp)
                self._measured_bps = max(self._measured_bps, self._floor_bps)
            self._remb_bps = remb
            self.measured = True
        elif self.measured and not self.ramping:
            grown = max(PROBE_FLOOR, self._measured_bps) * PROBE_GROWTH ** (now - self._at)
            self._measured_bps = min(MAX_ESTIMATE, grown)
        self._at = now
        video = [d for d in downs if d.kind == "video"]
        cap = self.loss.update(sum(d.packets_sent for d in video), self._count_lost(video, now),
                               sum(d.bytes_sent for d in video), now, self._new_round_trips(video))
        if self.ramping:
            self._ramp(now)
        self.estimate_bps = self._measured_bps if cap is None else min(self._measured_bps, cap)
        self._drain(now)
        if self.estimate_cap is not None:
            self.estimate_bps = min(self.estimate_bps, self.estimate_cap)
        self.repair.estimate_bps = self.estimate_bps
        return self.estimate_bps

    def _ramp(self, now: float) -> None:
        """One step of the start (module docstring), once the loss control has read this
        tick's receiver reports."""
        loss = self.loss
        if loss.queueing or loss.lossy:
            # the last level a report found calm (half the first one when none was): the
            # reports come late and count what a queue still held as received, so what they
            # say got through is more than the link carries
            level = self._calm_bps if self._calm_bps is not None else self._ramp_bps / RAMP_FACTOR
            through = None if loss.rate is None else loss.rate * (1 - (loss.loss or 0.0))
            cut = max(PROBE_FLOOR, level if through is None else min(level, through))
            self._end_ramp("a queue" if loss.queueing else f"{loss.loss:.1%} loss")
            self._measured_bps = min(self._measured_bps, cut)
            # and the loss control's cap, so that a REMB from before the loss (one allows 1.5
            # times what its section received) does not undo it; the cap grows while calm
            loss.cap = cut if loss.cap is None else min(loss.cap, cut)
            if loss.lossy:
                # nor may the REMBs of the loss itself undercut it for a while: they come from
                # the few sections that stayed on through it (the others settle after the cut),
                # and their sum was a sixth of the link in the bench; the loss cap still binds
                self._floor_bps, self._floor_until = cut, now + START_FLOOR_HOLD
            return
        lost = loss.loss or 0.0  # too little sent to judge: no loss
        if loss.loss is not None:
            self._least_loss = min(self._least_loss, loss.loss)
        need = self.ramp_need
        if need is not None and self._ramp_bps >= need:
            # what the videos can use fits (or there are none yet: the first one in a meeting):
            # nothing to step for, the start waits (and its stall with it) until more is wanted
            self._ramp_at = now
        # a step that did not add loss: on a radio link that loses a few percent of whatever is
        # sent, the loss says nothing of the rate
        elif (self._report_at - self._ramp_at >= RAMP_STEP and lost < self._least_loss + LOW
              and loss.base_rtt is not None):  # the round trip is known: a queue would show
            self._calm_bps = self._ramp_bps
            self._ramp_bps = min(MAX_ESTIMATE, self._ramp_bps * RAMP_FACTOR,
                                 need if need is not None else MAX_ESTIMATE)
            self._ramp_at = now
        elif now - self._ramp_at >= RAMP_STALL:
            if self._report_at == float("-inf"):
                # a receiver that reports nothing (parley-bot --light counts packets before
                # aiortc sees them) gives nothing to steer by: it is sent everything, as before
                self._measured_bps = MAX_ESTIMATE
                self._end_ramp("no receiver reports")
                return
            # a step that added a little loss without a queue: nothing the start can learn
            # more; the REMBs and the loss control go on from here
            self._end_ramp("no step for %g s" % RAMP_STALL)
            return
        self._measured_bps = max(self._measured_bps, self._ramp_bps)

    def _new_round_trips(self, video: list[DownTrack]) -> list[float]:
        """The round trips (seconds, unsmoothed) the receiver reports of the video sections that
        flow gave since the last tick."""
        new = []
        for down in video:
            sample = None if down.paused else down.rtt_sample
            if sample is not None and self._rtt_seen.get(id(down)) != sample[1]:
                self._rtt_seen[id(down)] = sample[1]
                new.append(sample[0])
        self._rtt_seen = _without_gone(self._rtt_seen, video)
        return new

    def _drain(self, now: float) -> None:
        """A queue stands on the link (loss.py: every round trip of the last second well over
        the least): nothing more is sent while it does (the estimate is at most what is sent).
        If the REMBs say too that less arrives than is sent (aiortc's estimators answer 0.85 of
        what arrives while the delay on the way down grows), more is sent than the link
        carries, and before long its queue overflows and drops from every video at once. As
        GCC does on overuse, the estimate is then at most OVERUSE_SHARE of what is sent, and
        tick lowers what does not fit at once (no slack, no damping), so the queue drains
        before it drops. That level stays a ceiling for :data:`DRAIN_HOLD` seconds, twice as
        long each time the link queues again within HOLD_MAX of the last (up to HOLD_MAX):
        else, as each video has its own hold, the next would move up as soon as one was
        lowered. Only a hold on the round trips alone: they grow too with a queue on the
        subscriber's own uplink, which its receiver reports cross (its REMBs, of the way down,
        do not see that one); and on the REMBs alone nothing: they fall short for a keyframe's
        burst. Not during the start, which ends on a queue itself."""
        loss = self.loss
        # what is sent (bit/s) while a queue stands after the start, else None
        sent = loss.rate if loss.queueing and not self.ramping else None
        draining = sent is not None and 0 < self._remb_bps < sent
        if draining and sent is not None:
            if not self.draining:
                again = now - self._ceiling_until < HOLD_MAX
                self._ceiling_hold = min(HOLD_MAX, 2 * self._ceiling_hold) if again else DRAIN_HOLD
                self._ceiling_bps = OVERUSE_SHARE * sent
                logger.info(f"downlink {id(self) & 0xFFFFFF:x}: a queue of %d ms stands: draining "
                            "(%d kbit/s sent; up to %d kbit/s for %g s)", (loss.queue_delay or 0) * 1000,
                            sent / 1000, self._ceiling_bps / 1000, self._ceiling_hold)
            self._ceiling_until = now + self._ceiling_hold  # counted from the queue's end
        self.draining = draining
        if now < self._ceiling_until:
            self.estimate_bps = min(self.estimate_bps, self._ceiling_bps)
        if sent is not None:
            self.estimate_bps = min(self.estimate_bps, sent)

    def _settling_bps(self, downs: list[DownTrack], now: float) -> float:
        """What the video sections that flow but have no settled REMB yet (started, resumed or
        switched layer in the last REMB_SETTLE seconds) are sent now: the REMB sum counts that
        for them. Left out, the sum was what the few settled sections' receivers allowed: after
        a loss, when several sections switch layer at once, 193 kbit/s on a 1.5 Mbit/s link, and
        videos were paused for it. What they are sent is what the link carries now; the loss
        control's cap still binds when it does not."""
        total = 0.0
        for down in downs:
            up = down.up
            if (down.kind != "video" or down.paused or up is None
                    or now - down.started_at >= REMB_SETTLE):
                continue
            total += self._known_rate(up, up.layer)
        return total

    def _end_ramp(self, why: str) -> None:
        self.ramping = False
        logger.info(f"downlink {id(self) & 0xFFFFFF:x}: start ended at %d kbit/s (%s)", self._ramp_bps / 1000, why)

    def _calm(self, now: float) -> bool:
        """The receiver reports have said for PROBE_CALM seconds that the link neither loses
        (too little sent to judge counts as no loss: one small picture sends 15 packets a
        second) nor holds a queue."""
        loss = self.loss
        queue = loss.queue_peak is not None and loss.queue_peak > QUEUE_DELAY  # even a burst's
        if queue or (loss.loss is not None and loss.loss >= LOW):
            self._unclean_at = now
        return now - self._unclean_at >= PROBE_CALM

    def _count_lost(self, video: list[DownTrack], now: float) -> int:
        """Packets lost on the way to the subscriber so far: each section's packets since the
        last tick times the share its latest fresh receiver report said was lost (RFC 3550's
        fraction lost: a retransmission that arrived counts as received, so random loss that
        repair mends is no congestion; a queue that drops even the repairs is)."""
        wall = time.time()
        for down in video:
            sent = down.packets_sent
            before = self._sent_seen.get(id(down), sent)
            self._sent_seen[id(down)] = sent
            report = down.reported_loss
            if report is not None and wall - report[1] <= REMB_FRESH and sent > before:
                self._lost_total += (sent - before) * report[0]
            if report is not None and report[1] > self._report_stamp:  # a new receiver report
                if self._report_at == float("-inf"):
                    self._ramp_at = now  # the first: the start's steps count from it
                self._report_stamp, self._report_at = report[1], now
        self._sent_seen = _without_gone(self._sent_seen, video)
        return int(self._lost_total)

    def _cost(self, up: UpTrack, name: str, now: float) -> int:
        """What a layer costs now: its measured rate (smoothed) once it flows, else its nominal
        one (a layer nobody sends yet). A downlink's first look takes what another downlink
        measured of it (``UpTrack.measured_bps``): counted at its nominal 150 kbit/s, a
        newcomer's start fitted four of seven 160x90 layers of ~40 kbit/s, and the last
        pictures of a mesh of eight came a ramp step (1.1-1.4 s) after the join."""
        bytes_now = up.bytes_received
        last = self._rates.get(id(up))
        if last is None:
            rate = up.measured_bps
            self._rates[id(up)] = (bytes_now, now, rate)
        else:
            before, at, rate = last
            if now - at >= INTERVAL / 2:
                sample = 8 * (bytes_now - before) / (now - at)
                if sample > 0:
                    rate = sample if rate is None else (1 - RATE_WEIGHT) * rate + RATE_WEIGHT * sample
                    up.measured_bps = rate
                self._rates[id(up)] = (bytes_now, now, rate)
        return max(1, int(self._known_rate(up, name)))

    def _known_rate(self, up: UpTrack, name: str) -> float:
        """The layer's rate as this downlink last measured it (bit/s), else its nominal one."""
        rate = self._rates.get(id(up), (0, 0.0, None))[2]
        return rate if rate is not None else LAYER_BITRATE.get(name, LAYER_BITRATE["high"])

    def _want(self, attendee_id: str, source: UpTrack, now: float) -> Want:
        layers = []
        for name, up in layers_of(source).items():
            if not up.available:
                continue  # the publisher's uplink cannot carry it now
            height = up.height or LAYER_HEIGHT.get(name, 360)
            layers.append(Layer(name, self._cost(up, name, now), height))
        layers.sort(key=lambda layer: (layer.height, layer.bitrate))
        need = self.needs.get(attendee_id)
        if is_content_attendee(attendee_id):
            priority = Priority.SCREEN
        elif need is not None and need.stage:
            priority = Priority.STAGE
        else:
            priority = Priority.OTHER
        max_height = need.height if need is not None else None
        return Want(attendee_id, priority, tuple(layers), max_height)

    def tick(self, downs: list[DownTrack], sources: dict[int, UpTrack]) -> None:
        """Allocate and apply: ``downs`` the subscriber's sections, ``sources`` id(down) -> the
        camera (primary up track) it carries."""
        now = self._clock()
        video = [d for d in downs if d.kind == "video" and id(d) in sources]
        wants = self.wants = [self._want(sources[id(d)].attendee_id, sources[id(d)], now) for d in video]
        if self.ramping:
            self.ramp_need = HEADROOM * sum(u[-1].bitrate for w in wants if (u := w.usable()))
        estimate = self.update_estimate(downs, now)
        # what is on keeps some slack on a queue that carried it all (a keyframe's burst), none
        # on a link that drops or holds a queue that stays
        keep = estimate if self.loss.lossy or self.draining else estimate / OVERUSE_SHARE
        decision = self.allocator.decide(estimate, wants, now, keep_budget=keep, urgent=self.loss.heavy,
                                         starting=self.ramping, lower_now=self.draining)
        paused = decision.paused()
        first = [w.usable() for w in wants if w.priority < Priority.OTHER]
        waiting = any(w.priority < Priority.OTHER and w.key in paused for w in wants)
        self.stage_need = HEADROOM * sum(usable[0].bitrate for usable in first if usable) if waiting else 0.0
        for down, want in zip(video, wants):
            source = sources[id(down)]
            attendee_id = source.attendee_id
            layer = decision.layers.get(attendee_id)
            if layer is not None and down.recovering_until > now and (usable := want.usable()):
                # mending its own loss on the smallest layer (forwarding.DownTrack._recover):
                # it stays there until that is over; the allocation, told nothing, neither holds
                # nor pauses it for the switch, and takes it back up afterwards
                layer = usable[0].name
            if layer is None:
                down.pause(True)
            else:
                target = layers_of(source)[layer]
                if down.up is not target:
                    down.switch(target)
                down.pause(False)
            if self.ramping and attendee_id in paused and attendee_id not in self._told:
                continue  # not started yet, not paused: nothing is known of the link to say so
            self._tell(attendee_id, attendee_id in paused, None if attendee_id in decision.hidden else layer)
        for attendee_id in set(self._told) - {sources[id(d)].attendee_id for d in video}:
            del self._told[attendee_id]

    def _tell(self, attendee_id: str, paused: bool, layer: str | None) -> None:
        state = (paused, layer)
        if self._told.get(attendee_id) == state:
            return
        self._told[attendee_id] = state
        loss = self.loss
        # one kind of line per subscriber, video and state: the log's flood filter (10 lines of a
        # kind a minute) keeps each video's changes, not only a meeting's first ten
        what = "paused" if paused else (layer or "hidden")
        logger.info(f"downlink {id(self) & 0xFFFFFF:x}: {attendee_id}'s video {what} "
                    "(estimate %d kbit/s, REMB %d, loss cap %s, loss %s, rtt %s)",
                    self.estimate_bps / 1000, self._measured_bps / 1000,
                    "none" if loss.cap is None else f"{loss.cap / 1000:.0f}",
                    "n/a" if loss.loss is None else f"{loss.loss:.1%}",
                    "n/a" if loss.base_rtt is None else f"{loss.base_rtt * 1000:.0f}+{'queue' if loss.queueing else '0'}")
        if self._on_video is not None:
            self._on_video(attendee_id, paused, PauseReason.BANDWIDTH if paused else None, layer)
