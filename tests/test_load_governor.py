"""Stepping down when the computer cannot keep up, and back up when it can; the media watchdog."""

from __future__ import annotations

from desktop.session.load_governor import BUSY_TILE_HEIGHT, LoadGovernor, LoadSample, by_priority, needs_under_load
from desktop.session.loop_lag import LoopLagMonitor
from desktop.session.media_watch import REPAIR, RESTORED, STALLED, MediaWatchdog
from wire import TileNeed

BUSY = LoadSample(loop_lag_ms=120.0, decode_share=0.3, dropped_share=0.0)
CALM = LoadSample(loop_lag_ms=5.0, decode_share=0.1, dropped_share=0.0)
VIDEOS = [f"p{n}" for n in range(15)]


def run(governor: LoadGovernor, sample: LoadSample, start: float, seconds: int):
    decision = None
    for t in range(seconds):
        decision = governor.sample(start + t, sample, VIDEOS)
    return decision


def test_it_steps_down_under_load_least_important_first_and_back_up_when_it_passes() -> None:
    governor = LoadGovernor()
    assert governor.sample(0, BUSY, VIDEOS).paused == frozenset()  # one bad second is not a trend
    decision = governor.sample(1, BUSY, VIDEOS)
    assert decision.busy and decision.paused == frozenset(VIDEOS[11:])  # a quarter of 15, the last ones
    decision = run(governor, BUSY, 2, 14)
    assert decision.limit == 1 and decision.paused == frozenset(VIDEOS[1:])  # never below one video
    # the load passes: back to every video within a few seconds, step by step
    limits = []
    for t in range(16, 40):
        decision = governor.sample(t, CALM, VIDEOS)
        limits.append(decision.limit)
        if not decision.busy:
            break
    assert decision.paused == frozenset() and not decision.busy
    assert t - 16 <= 8 and len({x for x in limits if x is not None}) >= 3  # up in several steps


def test_under_load_the_server_is_asked_for_less_and_then_for_the_real_sizes_again() -> None:
    """What the server hears (video_needs) while the computer is busy: the paused videos'
    tiles hidden, the other tiles off the stage at the small layer; the stage as it is."""
    told = [TileNeed("ada", 1280, 720, stage=True), TileNeed("grace", 640, 360), TileNeed("linus", 320, 180),
            TileNeed("ken", 160, 90)]
    busy = {t.attendee_id: t for t in needs_under_load(told, {"ken", "dennis"}, busy=True)}
    assert busy["ada"] == TileNeed("ada", 1280, 720, stage=True)  # who talks keeps the whole picture
    assert (busy["grace"].width, busy["grace"].height) == (320, BUSY_TILE_HEIGHT)  # the small layer
    assert (busy["linus"].width, busy["linus"].height) == (320, 180)  # small already
    assert (busy["ken"].width, busy["ken"].height) == (0, 0)  # paused here: not sent at all
    assert (busy["dennis"].width, busy["dennis"].height) == (0, 0)  # paused before any tile was told
    assert list(busy) == sorted(busy)  # one order, so an unchanged need is not sent again
    # the load passes: the tiles' real sizes again
    assert needs_under_load(told, set(), busy=False) == tuple(sorted(told, key=lambda t: t.attendee_id))
    # nothing told, nothing paused, not busy: nothing to say (any layer)
    assert needs_under_load(None, set(), busy=False) is None
    assert needs_under_load(None, {"ken"}, busy=True) == (TileNeed("ken", 0, 0),)


def test_a_step_up_that_brings_the_load_back_waits_longer_next_time() -> None:
    governor = LoadGovernor()
    run(governor, BUSY, 0, 4)
    run(governor, CALM, 4, 3)  # calm for 1.5 s: one step up
    assert governor.up_after == 1.5
    run(governor, BUSY, 7, 2)  # overloaded again at once: that was too soon
    assert governor.up_after == 3.0
    middling = LoadSample(loop_lag_ms=40.0, decode_share=0.1, dropped_share=0.0)  # neither busy nor calm
    before = governor.limit
    assert run(governor, middling, 9, 20).limit == before  # it holds: no step either way


def test_decoding_or_dropped_pictures_also_count_as_overload() -> None:
    for sample in (LoadSample(5.0, 0.9, 0.0), LoadSample(5.0, 0.1, 0.5)):
        governor = LoadGovernor()
        assert run(governor, sample, 0, 2).busy


def test_a_severe_stall_steps_down_at_once_and_voice_only_meetings_never_do() -> None:
    governor = LoadGovernor()
    assert governor.sample(0, LoadSample(400.0, 0.0, 0.0), VIDEOS).busy
    assert not LoadGovernor().sample(0, LoadSample(400.0, 0.0, 0.0), []).busy


def test_shares_come_first_then_who_talks() -> None:
    videos = ["a", "b", "c#content", "d"]
    assert by_priority(videos, ("d", "b"), lambda who: "#" in who) == ["c#content", "d", "b", "a"]


def test_loop_lag_is_summed_up_as_percentiles() -> None:
    monitor = LoopLagMonitor(interval=0.05, window=1.0)
    for lag in [0.001] * 95 + [0.2] * 5:
        monitor.note(lag)
    assert monitor.recent_p99() == 200.0  # the window holds the last 20 samples
    summary = monitor.summary()
    assert summary["p50_ms"] == 1.0 and summary["max_ms"] == 200.0 and summary["samples"] == 100


def test_media_that_stops_is_noticed_then_repaired_once_then_restored() -> None:
    dog = MediaWatchdog(stall_after=3, repair_after=3)
    assert dog.sample(0, 100, expecting=True) is None
    assert dog.sample(1, 200, expecting=True) is None
    actions = [dog.sample(t, 200, expecting=True) for t in range(2, 12)]
    assert actions.index(STALLED) == 3 and actions.index(REPAIR) == 6  # 3 s quiet, then 3 s more
    assert actions.count(STALLED) == 1 and actions.count(REPAIR) == 1
    dog.reset()  # the new connection counts from zero
    assert dog.sample(12, 0, expecting=True) is None
    assert dog.sample(13, 40, expecting=True) == RESTORED


def test_silence_is_no_stall_when_nobody_sends() -> None:
    dog = MediaWatchdog(stall_after=3, repair_after=3)
    assert all(dog.sample(t, 50, expecting=False) is None for t in range(30))
