"""The two legs' estimates (server/sfu/uplink.py, downlink.py), with made-up clocks.

- a publisher's uplink: aiortc's estimator fed abs-send-time, each layer's encoder target (the
  small layer first), sent as REMB only when worth an encoder restart;
- a subscriber's downlink: the sum of its sections' fresh REMB, without paused or settling
  sections, a probe when nothing is measured or while the stage waits paused on a clean link,
  and the tests' cap."""

from __future__ import annotations

import time
from dataclasses import dataclass

from server.sfu.downlink import MAX_ESTIMATE, PROBE_FLOOR, REMB_FRESH, REMB_SETTLE, START_ESTIMATE, Downlink
from server.sfu.forwarding import UpTrack
from server.sfu.uplink import (
    DECREASE_INTERVAL,
    HIGH_GRACE,
    HIGH_HOLD,
    HIGH_SUSTAIN,
    SPARE_HOLD,
    INCREASE_INTERVAL,
    LAYER_BITRATE,
    REFRESH_INTERVAL,
    Uplink,
)
from wire import TileNeed


def abs_send_time(seconds: float) -> int:
    """24-bit 6.18 fixed point, as senders stamp it."""
    return int(seconds * (1 << 18)) & 0xFFFFFF


def feed(uplink: Uplink, seconds: float, rate_bps: int, delay_growth: float = 0.0, start: float = 0.0) -> None:
    """Packets of 1000 bytes at ``rate_bps`` sent for ``seconds``; each arrives later than the
    one before by ``delay_growth`` of the gap (a queue building up) or on time."""
    gap = 8000 / rate_bps
    queue = 0.0
    for n in range(int(seconds / gap)):
        sent = start + n * gap
        queue += gap * delay_growth
        uplink.on_arrival(int((sent + 0.02 + queue) * 1000), abs_send_time(sent), 1000, 1234)


def test_the_uplink_estimate_follows_what_arrives_and_falls_when_a_queue_builds() -> None:
    uplink = Uplink()
    feed(uplink, 6.0, 600_000)
    free = uplink.estimate_bps
    assert free is not None and 600_000 <= free <= 1_000_000  # it allows more than it sees
    feed(uplink, 3.0, 600_000, delay_growth=0.3, start=6.0)
    assert uplink.estimate_bps < 600_000  # overuse: below what arrives


def test_layer_targets_give_the_small_layer_its_rate_first_and_none_to_a_layer_nobody_takes() -> None:
    uplink = Uplink()
    assert uplink.targets({"high": True, "low": True}) == LAYER_BITRATE  # nothing measured yet
    uplink.estimate_bps = 400_000
    assert uplink.targets({"high": True, "low": True}) == {"low": 150_000, "high": 250_000}
    uplink.estimate_bps = 100_000
    assert uplink.targets({"high": True, "low": True}) == {"low": 100_000, "high": 0}
    uplink.estimate_bps = 2_000_000
    assert uplink.targets({"high": False, "low": True}) == {"low": 150_000}


def test_a_target_is_sent_when_it_moved_enough_and_not_too_often() -> None:
    uplink = Uplink()
    assert not uplink.remb_due("high", 500_000, 0.0)  # aiortc starts there by itself
    assert uplink.remb_due("high", 300_000, 0.0)
    assert not uplink.remb_due("high", 290_000, 5.0 - 0.1)  # 3 %: not worth a new encoder
    assert uplink.remb_due("high", 200_000, 0.0 + DECREASE_INTERVAL)  # down: after a second
    assert not uplink.remb_due("high", 400_000, 1.0 + DECREASE_INTERVAL)  # up: not so soon
    assert uplink.remb_due("high", 400_000, 1.0 + INCREASE_INTERVAL)
    assert uplink.remb_due("high", 400_000, 4.0 + REFRESH_INTERVAL)  # the same again, now and then


@dataclass
class Section:
    kind: str = "video"
    remb_bps: int | None = None
    remb_at: float = float("-inf")
    paused: bool = False
    started_at: float = 0.0
    # what the loss control reads (loss.py): nothing forwarded here, nothing lost
    packets_sent: int = 0
    bytes_sent: int = 0
    rtt_sample: tuple[float, float] | None = None  # (round trip, when its report came)
    reported_loss: tuple[float, float] | None = None
    recovering_until: float = float("-inf")  # mending its own loss on the small layer: no
    up: UpTrack | None = None  # what it carries


def test_the_downlink_is_the_sum_of_the_fresh_rembs_of_the_sections_that_flow() -> None:
    now = [100.0]
    downlink = Downlink(clock_fn=lambda: now[0])
    assert downlink.update_estimate([], now[0]) == START_ESTIMATE  # before any: the start
    downlink.ramping = False  # once the start is over (test_the_start_*)
    sections = [Section(remb_bps=300_000, remb_at=99.5), Section(remb_bps=200_000, remb_at=99.0),
                Section(remb_bps=900_000, remb_at=99.0, paused=True),  # paused: its REMB is old news
                Section(remb_bps=900_000, remb_at=99.0, started_at=100.0 - REMB_SETTLE / 2),  # settling
                Section(remb_bps=900_000, remb_at=100.0 - REMB_FRESH - 1),  # stale
                Section(kind="audio", remb_bps=900_000, remb_at=99.9)]
    assert downlink.update_estimate(sections, now[0]) == 500_000
    assert downlink.repair.estimate_bps == 500_000  # the repair budget follows it
    downlink.estimate_cap = 120_000
    assert downlink.update_estimate(sections, now[0]) == 120_000
    downlink.estimate_cap = None
    assert downlink.update_estimate(sections, now[0]) == 500_000


def test_sections_that_just_switched_layer_count_what_they_are_sent_in_the_sum() -> None:
    """After a loss three of four sections switch to their small layers at once: their REMBs
    settle again for a while. The sum counts what they are sent meanwhile, so the estimate does
    not fall to what the one settled section allows (and pause videos the link carries)."""
    now = [100.0]
    downlink = Downlink(clock_fn=lambda: now[0])
    downlink.measured = True
    downlink.ramping = False  # once the start is over (test_the_start_*)
    settled = Section(remb_bps=190_000, remb_at=99.8, up=UpTrack("ada", "video", lambda ssrc: None))
    switched = [Section(remb_bps=700_000, remb_at=99.8, started_at=99.5,
                        up=UpTrack(name, "video", lambda ssrc: None, layer="low")) for name in ("bob", "cy", "di")]
    estimate = downlink.update_estimate([settled, *switched], now[0])
    assert estimate == 190_000 + 3 * 150_000  # the small layer's nominal rate, until it is measured
    now[0] += REMB_SETTLE  # settled: their own REMBs count again
    assert downlink.update_estimate([settled, *switched], now[0]) == 190_000 + 3 * 700_000


def test_with_nothing_measured_the_estimate_probes_upwards_from_a_floor() -> None:
    downlink = Downlink(clock_fn=lambda: 0.0)
    downlink.ramping = False  # once the start is over (test_the_start_*)
    assert downlink.update_estimate([Section(remb_bps=100_000, remb_at=0.0, started_at=-10.0)], 0.0) == 100_000
    assert downlink.update_estimate([], 1.0) == PROBE_FLOOR * 1.08
    assert downlink.update_estimate([], 11.0) > 2 * PROBE_FLOOR  # 8 % a second
    assert downlink.update_estimate([], 1000.0) == MAX_ESTIMATE


def test_the_whole_picture_goes_only_where_the_uplink_carries_it_and_is_tried_again_later() -> None:
    uplink = Uplink()

    def tick(now: float, estimate: int, arriving: int, loss: float | None) -> bool:
        uplink.estimate_bps = estimate
        uplink._arrived_bytes = arriving // 8 // 2  # half a second of it
        return uplink.allow_high(loss, now)

    t = 0.0
    uplink.allow_high(None, now=t)
    # a busy machine's noise: congestion read now and then, nothing lost: nothing changes
    for n in range(1, 41):
        assert tick(t + n / 2, 550_000 if n % 3 else 280_000, 340_000, 0.0)
    t += 20.5
    # a real cap: congested and losing, HIGH_SUSTAIN seconds in a row
    steps = int(HIGH_SUSTAIN / 0.5)
    for n in range(steps):
        assert tick(t + n / 2, 400_000, 600_000, 0.05)
    t += steps / 2
    assert not tick(t, 400_000, 600_000, 0.05)
    for n in range(1, int(HIGH_HOLD * 2)):
        assert not tick(t + n / 2, 300_000, 200_000, 0.0)
    t += HIGH_HOLD
    assert tick(t, 300_000, 200_000, None)  # tried again after the hold
    # the try meets heavy loss (read twice): off without waiting for congestion, and the next
    # try waits twice as long
    t += HIGH_GRACE
    assert tick(t - 0.5, 1_000_000, 600_000, 0.3)
    assert not tick(t, 1_000_000, 600_000, 0.3)
    for n in range(1, int(4 * HIGH_HOLD)):
        assert not tick(t + n / 2, 300_000, 200_000, None)
    t += 2 * HIGH_HOLD
    assert tick(t, 300_000, 200_000, None)
    # the link recovered: the estimate grows past what arrives, and it stays
    for n in range(1, 40):
        assert tick(t + n / 2, 1_000_000, 650_000, 0.0)
    # random loss on a link with room (no congestion): it stays too
    for n in range(40, 60):
        assert tick(t + n / 2, 1_000_000, 650_000, 0.05)


def test_a_tight_uplink_first_stops_the_small_layer_nobody_takes() -> None:
    uplink = Uplink()
    uplink.allow_high(None, now=0.0)
    assert uplink.spare_wanted(0.0)
    t = 10.0
    for n in range(int(2 * HIGH_SUSTAIN) + 4):  # congested and losing, with the spare layer still sent
        uplink.estimate_bps, uplink._arrived_bytes = 400_000, 600_000 // 16
        assert uplink.allow_high(0.05, now=t + n / 2, spare_sent=True)  # the whole picture stays
    assert not uplink.spare_wanted(t + 3)  # the spare layer goes instead
    assert uplink.spare_wanted(t + 3 + SPARE_HOLD + 2)  # and comes back once the uplink is calm


@dataclass
class Carrying(Section):
    """A section as Downlink.tick drives it: the layer it carries, paused or not."""

    up: UpTrack | None = None
    now: float = 0.0

    def pause(self, paused: bool) -> None:
        if self.paused and not paused:
            self.started_at = self.now  # forwarding starts again: its REMB settles first
        self.paused = paused

    def switch(self, up: UpTrack) -> None:
        self.up = up


def camera(attendee_id: str) -> tuple[UpTrack, UpTrack]:
    high = UpTrack(attendee_id, "video", request_pli=lambda ssrc: None, layer="high")
    low = UpTrack(attendee_id, "video", request_pli=lambda ssrc: None, layer="low")
    high.add_layer(low)
    return high, low


def speaker_paused_behind_a_smaller_camera(rtt_of, packets: int = 25) -> tuple[Carrying, list[float]]:
    """The active speaker (Ada, on stage) paused, Bob's small layer playing at 80 kbit/s, whose
    section's REMB allows 120 kbit/s (1.5 times what it gets); 20 s of 0.5 s ticks, the link's
    round trip at each tick from ``rtt_of``, ``packets`` a tick each. Returns Ada's section and
    the estimates."""
    now = [100.0]
    downlink = Downlink(clock_fn=lambda: now[0])
    ada_high, ada_low = camera("ada")
    bob_high, bob_low = camera("bob")
    ada = Carrying(paused=True, up=ada_low)
    bob = Carrying(remb_bps=120_000, up=bob_low)
    downlink.set_needs([TileNeed("ada", 640, 360, stage=True), TileNeed("bob", 320, 180)])
    downlink.allocator.current = {"ada": None, "bob": "low"}  # as a start-up burst left them
    downlink.measured = True
    downlink.ramping = False  # the start ended with that burst's loss
    sources = {id(ada): ada_high, id(bob): bob_high}
    estimates = []
    for tick in range(40):
        now[0] += 0.5
        for section, up, rate in ((bob, bob_low, 80_000), (ada, ada_low, 150_000)):
            section.now = now[0]
            if section.paused:
                continue
            section.packets_sent += packets
            section.bytes_sent += rate // 16
            up.bytes_received += rate // 16
            section.reported_loss = (0.0, time.time())
            section.rtt_sample = (rtt_of(tick), now[0])
            section.remb_bps, section.remb_at = int(1.5 * rate), now[0]
        downlink.tick([ada, bob], sources)
        estimates.append(downlink.estimate_bps)
    return ada, estimates


def test_a_paused_speaker_is_tried_again_though_a_smaller_camera_bounds_the_estimate() -> None:
    """A REMB allows only 1.5 times what its section gets: Bob's 80 kbit/s could never make room
    for Ada's 150 kbit/s. On a clean link the estimate steps up to what she needs, and she resumes
    (after her hold)."""
    ada, estimates = speaker_paused_behind_a_smaller_camera(lambda tick: 0.05)
    assert not ada.paused and ada.up.layer == "low"
    assert max(estimates) > 150_000 * 1.2  # what resuming her needs


def test_a_camera_too_small_to_judge_loss_by_does_not_keep_the_speaker_paused() -> None:
    """Bob's small picture sends 10 packets a second: too few for the loss control to judge.
    No loss reported is no loss: the link is calm, and Ada resumes."""
    ada, _ = speaker_paused_behind_a_smaller_camera(lambda tick: 0.05, packets=5)
    assert not ada.paused


def test_no_probe_on_a_link_that_holds_a_queue() -> None:
    ada, estimates = speaker_paused_behind_a_smaller_camera(lambda tick: 0.05 if tick < 1 else 0.2)
    assert ada.paused
    assert max(estimates) <= 120_000


def join(capacity_bps: float, seconds: float = 8.0, random_loss: float = 0.0, alone_for: float = 0.0,
         reports: bool = True) -> tuple[Downlink, dict[str, Carrying], list, list[float]]:
    """A subscriber joins a meeting of five cameras (Ada on its stage) over a link that carries
    ``capacity_bps`` with a 200 ms queue: what is sent beyond it is lost, and the round trip
    grows while it is; ``random_loss`` more is lost anyway (a radio link); the others join
    ``alone_for`` seconds after the subscriber. Half-second ticks;
    each section reports every tick (``reports``: or never). Returns the downlink,
    its sections, what it was told ((time, attendee, paused, layer)) and what was offered at
    each tick (bit/s)."""
    now = [100.0]
    told: list = []
    downlink = Downlink(on_video=lambda who, paused, why, layer: told.append((now[0], who, paused, layer)),
                        clock_fn=lambda: now[0])
    names = ("ada", "bob", "cy", "dee", "eve")
    cams = {name: camera(name)[0] for name in names}
    downlink.set_needs([TileNeed(name, 640, 360, stage=name == "ada") for name in names])
    sections = {name: Carrying() for name in names}
    sources = {id(sections[name]): cams[name] for name in names}
    offered: list[float] = []
    for tick in range(int(seconds * 2)):
        now[0] += 0.5
        flowing = [s for s in sections.values() if s.up is not None and not s.paused]
        rate = sum(LAYER_BITRATE[s.up.layer] for s in flowing)
        offered.append(rate)
        overload = max(0.0, 1 - capacity_bps / rate) if rate else 0.0
        loss = max(overload, random_loss)
        for section in sections.values():
            section.now = now[0]
            if section in flowing:
                layer_rate = LAYER_BITRATE[section.up.layer]
                section.packets_sent += layer_rate // 8000  # 1000-byte packets, half a second
                section.bytes_sent += layer_rate // 16
                if reports:
                    section.reported_loss = (loss, time.time() + tick * 1e-3)
                    section.rtt_sample = (0.05 + (0.2 if overload else 0.0), now[0])
        downlink.tick(list(sections.values()) if tick / 2 >= alone_for else [], sources)
    return downlink, sections, told, offered


def test_the_start_on_a_poor_link_never_sends_every_picture_whole_and_keeps_the_speaker() -> None:
    """Joining over 0.6 Mbit/s: the start sends small layers, as many as its guess allows, and
    tells nobody they are paused before the link is known (not five whole pictures, 2.5 Mbit/s,
    into 0.6); the loss of its first step ends it at the level that was calm, and then the
    speaker comes first: she plays, the rest are paused and told so, and what is sent fits."""
    downlink, sections, told, offered = join(600_000)
    ended = next(i for i, entry in enumerate(told) if entry[2])  # the first "paused"
    assert told[0][1:] == ("ada", False, "low") and ended > 3
    assert not any(paused for _, _, paused, _ in told[:ended])
    assert offered[1] <= START_ESTIMATE and max(offered) <= 2 * START_ESTIMATE
    assert not downlink.ramping
    assert not sections["ada"].paused
    assert offered[-1] <= 600_000


def test_the_start_on_a_good_link_reaches_every_whole_picture_in_a_few_steps() -> None:
    downlink, sections, told, offered = join(50_000_000, seconds=7.0)
    assert not any(paused for _, _, paused, _ in told)  # never paused on the way
    assert {name: s.up.layer for name, s in sections.items()} == dict.fromkeys(sections, "high")
    assert downlink.ramping  # what the videos can use fits: the start waits, calm
    assert offered[1] < offered[-1] == 5 * LAYER_BITRATE["high"]  # small first, then whole


def test_the_rembs_take_over_from_the_start_though_spare_sections_send_none() -> None:
    """A subscriber's connection keeps spare video sections that carry nothing (and so send no
    REMB): once every section that carries a video has a settled REMB, the start is over."""
    now = [100.0]
    downlink = Downlink(clock_fn=lambda: now[0])
    carrying = [Section(remb_bps=800_000, remb_at=now[0], started_at=90.0,
                        up=UpTrack(name, "video", lambda ssrc: None)) for name in ("ada", "bob")]
    spares = [Section(), Section()]
    assert downlink.ramping
    assert downlink.update_estimate(carrying + spares, now[0]) == 1_600_000
    assert not downlink.ramping


def test_a_newcomer_counts_a_layer_at_what_others_measured_of_it() -> None:
    """A small layer costs ~40 kbit/s, not its nominal 150: a downlink that has measured it
    leaves the figure on the layer, and a newcomer's first allocation uses it."""
    now = [100.0]
    small = UpTrack("ada", "video", lambda ssrc: None, layer="low")
    first = Downlink(clock_fn=lambda: now[0])
    assert first._cost(small, "low", now[0]) == LAYER_BITRATE["low"]  # nothing known yet
    small.bytes_received += 40_000 // 8  # a second of 40 kbit/s
    now[0] += 1.0
    assert first._cost(small, "low", now[0]) == 40_000
    newcomer = Downlink(clock_fn=lambda: now[0])
    assert newcomer._cost(small, "low", now[0]) == 40_000


def test_the_first_one_in_a_meeting_still_starts_when_the_others_come() -> None:
    """Alone for 10 s, nothing to receive: the start waits, and the five cameras that then
    come reach their whole pictures on a good link as they would have at once."""
    downlink, sections, told, offered = join(50_000_000, seconds=15.0, alone_for=10.0)
    assert not any(paused for _, _, paused, _ in told)
    assert {name: s.up.layer for name, s in sections.items()} == dict.fromkeys(sections, "high")


def test_a_start_that_finds_too_little_falls_back_to_the_level_that_was_calm() -> None:
    """1.5 Mbit/s: 1 Mbit/s was calm, the step to 2 Mbit/s lost: back to 1 Mbit/s, not to the
    whole pictures' 2.5, and what is sent ends within the link."""
    downlink, sections, told, offered = join(1_500_000)
    assert not downlink.ramping
    assert downlink.estimate_bps <= 2 * START_ESTIMATE
    assert max(offered) <= 4 * START_ESTIMATE
    assert offered[-1] <= 1_500_000 and not sections["ada"].paused


def test_a_start_on_a_lossy_radio_link_is_not_cut_for_its_loss() -> None:
    """5 % lost whatever is sent, no queue: the loss does not grow with the steps, so the start
    goes on to every whole picture; nothing is paused for that loss."""
    downlink, sections, told, offered = join(50_000_000, random_loss=0.05)
    assert not any(paused for _, _, paused, _ in told)
    assert {name: s.up.layer for name, s in sections.items()} == dict.fromkeys(sections, "high")


def test_a_receiver_that_never_reports_is_sent_everything_as_before() -> None:
    """parley-bot --light counts packets before aiortc sees them and sends no receiver report:
    the start has nothing to judge by, and after its stall the subscriber gets every whole
    picture (as every subscriber did before there was a start)."""
    downlink, sections, told, offered = join(50_000_000, reports=False)
    assert not downlink.ramping and downlink.estimate_bps == MAX_ESTIMATE
    assert {name: s.up.layer for name, s in sections.items()} == dict.fromkeys(sections, "high")


def test_the_rembs_of_the_loss_do_not_undercut_where_the_start_fell_back_to() -> None:
    """Right after the start's loss, the REMBs come from the few sections that stayed on
    through it (a sixth of the link, once, in the bench): for a few seconds the estimate stays
    where the start fell back to; later REMBs count again."""
    downlink, sections, _, _ = join(600_000, seconds=3.0)
    assert not downlink.ramping
    fell_to, now = downlink.estimate_bps, 103.0
    section = Section(remb_bps=90_000, remb_at=now, started_at=now - 10)
    assert downlink.update_estimate([section], now) == fell_to
    later = now + 4
    section.remb_at = later
    assert downlink.update_estimate([section], later) == 90_000


def test_the_rembs_take_over_once_every_video_that_flows_has_one() -> None:
    """aiortc's estimators speak first of a queue (or, after ~3 s of measuring, of what arrives):
    once each video that flows has a settled REMB, the start ends and their sum is the
    estimate (before that, one section's REMB alone does not end it)."""
    downlink, sections, _, _ = join(50_000_000, seconds=3.0)
    assert downlink.ramping
    now = 103.5
    flowing = [s for s in sections.values() if not s.paused]
    flowing[0].remb_bps, flowing[0].remb_at, flowing[0].started_at = 300_000, now, now - 10
    downlink.update_estimate(list(sections.values()), now)
    assert downlink.ramping
    for section in flowing:
        section.remb_bps, section.remb_at, section.started_at = 300_000, now, now - 10
    assert downlink.update_estimate(list(sections.values()), now) == 300_000 * len(flowing)
    assert not downlink.ramping


def queued_link(capacity_bps: float, seconds: float) -> tuple[list[tuple[float, str, bool, str | None]], float]:
    """Five cameras (Ada on stage) after the start, over a link that carries ``capacity_bps``
    with a 200 ms queue: what is sent beyond it waits in the queue (the round trip grows with
    it), and only what overflows the queue is lost. Each section's REMB allows 1.5 times what
    it receives while the queue does not grow, and says 0.85 of it while it does (aiortc's
    estimator). Returns what the subscriber was told ((time, attendee, paused, layer)) and the
    bits the queue dropped."""
    now = [100.0]
    told: list = []
    downlink = Downlink(on_video=lambda who, paused, why, layer: told.append((now[0], who, paused, layer)),
                        clock_fn=lambda: now[0])
    downlink.ramping, downlink.measured = False, True  # the start is over
    names = ("ada", "bob", "cy", "dee", "eve")
    cams = {name: camera(name)[0] for name in names}
    downlink.set_needs([TileNeed(name, 640, 360, stage=name == "ada") for name in names])
    # as the start left them: Ada's whole picture, the others' small ones
    sections = {name: Carrying(started_at=90.0, up=cams[name] if name == "ada" else cams[name].layers["low"],
                               remb_bps=int(1.5 * LAYER_BITRATE["low"]), remb_at=now[0]) for name in names}
    downlink.allocator.current = {name: s.up.layer for name, s in sections.items()}
    sources = {id(sections[name]): cams[name] for name in names}
    queue = dropped = 0.0  # bits
    for tick in range(int(seconds * 2)):
        now[0] += 0.5
        flowing = [s for s in sections.values() if s.up is not None and not s.paused]
        sent = sum(LAYER_BITRATE[s.up.layer] for s in flowing)
        before = queue
        queue = max(0.0, queue + (sent - capacity_bps) * 0.5)
        lost = max(0.0, queue - 0.2 * capacity_bps)
        queue -= lost
        dropped += lost
        share_lost = lost / (sent * 0.5) if sent else 0.0
        for section in flowing:
            rate = LAYER_BITRATE[section.up.layer]
            section.now = now[0]
            section.packets_sent += rate // 8000  # 1000-byte packets, half a second
            section.bytes_sent += rate // 16
            section.reported_loss = (share_lost, time.time() + tick * 1e-3)
            section.rtt_sample = (0.05 + queue / capacity_bps, now[0])
            received = rate * (1 - share_lost) * min(1.0, capacity_bps / sent)
            section.remb_bps = int(received * (0.85 if queue > before else 1.5))
            section.remb_at = now[0]
        downlink.tick(list(sections.values()), sources)
    return told, dropped


def test_a_queue_that_builds_is_drained_before_it_overflows() -> None:
    """1.3 Mbit/s for five cameras: each REMB allows 1.5 times what arrives, so the videos move
    up until more is sent than the link carries and its queue builds. The round trips and the
    REMBs say so while the queue still has room: a video is lowered at once, the queue drains,
    and nothing is dropped (before, the queue filled and dropped from every camera at once,
    every few seconds). The lowered video is not paused."""
    told, dropped = queued_link(1_300_000, seconds=40.0)
    lowered = [entry for entry in told if entry[0] > 100.5 and entry[3] == "low"]
    assert lowered  # the climb did meet the link's edge
    assert dropped == 0
    assert not any(paused for _, _, paused, _ in told)


def test_a_queue_the_rembs_do_not_see_holds_but_lowers_nothing() -> None:
    """The round trips grow, but every REMB still allows more than arrives: the queue is on the
    subscriber's own uplink, which its receiver reports cross, not on the way down. Nothing
    moves up while it stands, and nothing is lowered for it."""
    now = [100.0]
    downlink = Downlink(clock_fn=lambda: now[0])
    downlink.ramping, downlink.measured = False, True
    ada, bob = camera("ada")[0], camera("bob")[0]
    downlink.set_needs([TileNeed("ada", 640, 360, stage=True), TileNeed("bob", 640, 360)])
    sections = {"ada": Carrying(started_at=90.0, up=ada), "bob": Carrying(started_at=90.0, up=bob.layers["low"])}
    downlink.allocator.current = {"ada": "high", "bob": "low"}
    sources = {id(sections["ada"]): ada, id(sections["bob"]): bob}
    for tick in range(20):
        now[0] += 0.5
        for section in sections.values():
            rate = LAYER_BITRATE[section.up.layer]
            section.now = now[0]
            section.packets_sent += rate // 8000
            section.bytes_sent += rate // 16
            section.reported_loss = (0.0, time.time() + tick * 1e-3)
            section.rtt_sample = (0.05 if tick < 2 else 0.3, now[0])  # a 250 ms queue from the second tick
            section.remb_bps, section.remb_at = int(rate * 1.5), now[0]
        downlink.tick(list(sections.values()), sources)
        if tick >= 4:
            assert downlink.loss.queueing and not downlink.draining
            assert downlink.estimate_bps <= LAYER_BITRATE["high"] + LAYER_BITRATE["low"] + 1
    assert {name: s.up.layer for name, s in sections.items()} == {"ada": "high", "bob": "low"}
    assert not any(s.paused for s in sections.values())
