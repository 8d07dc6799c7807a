"""Spending a subscriber's downlink (server/sfu/allocation.py): an estimate, these videos, these
priorities -> these layers, these paused; and the hysteresis that keeps it from flapping."""

from __future__ import annotations

import pytest

from server.sfu.allocation import HOLD, HOLD_MAX, LOWER_AFTER, PAUSE_AFTER, Allocator, Layer, Priority, Want, allocate

HIGH = Layer("high", 500_000, 360)
LOW = Layer("low", 150_000, 180)
BOTH = (LOW, HIGH)


def cams(n: int, priority: Priority = Priority.OTHER, layers=BOTH, prefix: str = "cam") -> list[Want]:
    return [Want(f"{prefix}{i:02d}", priority, layers) for i in range(n)]


def test_a_good_link_gets_every_camera_at_its_best() -> None:
    decision = allocate(10_000_000, cams(5))
    assert decision.layers == {f"cam{i:02d}": "high" for i in range(5)}
    assert decision.paused() == set()
    assert decision.spent == 2_500_000


def test_a_short_link_gives_every_camera_the_small_layer_before_anyone_the_big_one() -> None:
    # 5 small layers = 750k; one upgrade adds 350k (x1.2 headroom for a new key = 420k)
    decision = allocate(1_200_000, cams(5))
    assert decision.paused() == set()
    assert sorted(decision.layers.values()) == ["high", "low", "low", "low", "low"]
    assert decision.layers["cam00"] == "high"  # ties go by id: a stable order


def test_what_does_not_fit_is_paused_lowest_priority_first() -> None:
    wants = [*cams(3), Want("speaker", Priority.STAGE, BOTH), Want("ada#content", Priority.SCREEN, BOTH)]
    decision = allocate(600_000, wants)  # room for 3 small layers (and headroom)
    assert decision.layers["ada#content"] is not None
    assert decision.layers["speaker"] is not None
    assert decision.paused() == {"cam01", "cam02"}
    assert decision.spent <= 600_000


def test_a_screen_share_is_served_first_and_gets_its_best_layer_before_the_stage_moves_up() -> None:
    wants = [Want("speaker", Priority.STAGE, BOTH), Want("ada#content", Priority.SCREEN, BOTH)]
    decision = allocate(1_000_000, wants)
    assert decision.layers == {"ada#content": "high", "speaker": "low"}


def test_a_hidden_tile_needs_nothing_and_a_small_tile_only_the_small_layer() -> None:
    wants = [Want("hidden", Priority.OTHER, BOTH, max_height=0),
             Want("thumb", Priority.OTHER, BOTH, max_height=90),
             Want("big", Priority.OTHER, BOTH, max_height=720)]
    decision = allocate(10_000_000, wants)
    assert decision.layers == {"hidden": None, "thumb": "low", "big": "high"}
    assert decision.hidden == {"hidden"}
    assert decision.paused() == set()  # hidden is not a pause for bandwidth


def test_a_camera_with_one_layer_is_on_or_paused() -> None:
    wants = cams(3, layers=(HIGH,))
    decision = allocate(1_300_000, wants)
    assert decision.paused() == {"cam02"}


def test_a_video_that_is_on_keeps_its_layer_while_it_fits_but_resuming_needs_headroom() -> None:
    wants = cams(1, layers=(HIGH,))
    assert allocate(510_000, wants, current={"cam00": "high"}).layers["cam00"] == "high"
    assert allocate(510_000, wants, current={"cam00": None}).layers["cam00"] is None
    assert allocate(600_000, wants, current={"cam00": None}).layers["cam00"] == "high"
    # and not before its hold is over
    assert allocate(900_000, wants, current={"cam00": None}, may_raise=[]).layers["cam00"] is None


def test_the_allocator_pauses_only_after_a_sustained_shortfall_and_resumes_after_its_hold() -> None:
    allocator = Allocator()
    wants = cams(2, layers=(HIGH,))
    assert allocator.decide(2_000_000, wants, now=0.0).paused() == set()
    # one short estimate changes nothing...
    assert allocator.decide(700_000, wants, now=1.0).paused() == set()
    assert allocator.decide(2_000_000, wants, now=1.5).paused() == set()
    # ...a sustained one pauses the lower priority (here: the later id)
    allocator.decide(700_000, wants, now=2.0)
    assert allocator.decide(700_000, wants, now=2.0 + PAUSE_AFTER).paused() == {"cam01"}
    # the link recovers: the pause holds HOLD seconds, then it resumes
    t = 2.0 + PAUSE_AFTER
    assert allocator.decide(2_000_000, wants, now=t + HOLD / 2).paused() == {"cam01"}
    assert allocator.decide(2_000_000, wants, now=t + HOLD).paused() == set()


def test_a_resumption_that_fails_waits_twice_as_long_next_time_up_to_a_limit() -> None:
    allocator = Allocator()
    wants = cams(2, layers=(HIGH,))
    t = 0.0
    allocator.decide(2_000_000, wants, now=t)
    allocator.decide(700_000, wants, now=t + 0.5)
    allocator.decide(700_000, wants, now=t + 0.5 + PAUSE_AFTER)
    waits = []
    t += 0.5 + PAUSE_AFTER
    for _ in range(6):
        paused_at = t
        while allocator.decide(2_000_000, wants, now=t).paused():  # wait for the resumption
            t += 0.5
        waits.append(t - paused_at)
        allocator.decide(700_000, wants, now=t + 0.1)  # the link still cannot carry it
        t += 0.1 + PAUSE_AFTER
        assert allocator.decide(700_000, wants, now=t).paused() == {"cam01"}
    assert waits[:3] == pytest.approx([HOLD, 2 * HOLD, 4 * HOLD])
    assert waits[3] >= 8 * HOLD - 0.5  # the ticks are 0.5 s apart
    assert waits[4:] == pytest.approx([HOLD_MAX, HOLD_MAX], abs=0.5)


def test_a_short_link_costs_a_layer_first_and_only_later_the_picture() -> None:
    allocator = Allocator()
    wants = cams(2)
    assert set(allocator.decide(5_000_000, wants, now=0.0).layers.values()) == {"high"}
    allocator.decide(200_000, wants, now=1.0)  # room for one small layer only
    lowered = allocator.decide(200_000, wants, now=1.0 + LOWER_AFTER)
    assert lowered.layers == {"cam00": "low", "cam01": "low"} and lowered.paused() == set()
    assert allocator.decide(200_000, wants, now=1.0 + PAUSE_AFTER).layers == {"cam00": "low", "cam01": None}


def test_a_camera_that_leaves_is_forgotten() -> None:
    allocator = Allocator()
    allocator.decide(2_000_000, cams(2), now=0.0)
    allocator.decide(2_000_000, cams(1), now=1.0)
    assert set(allocator.current) == {"cam00"}


def test_the_speaker_goes_first_and_while_short_of_its_best_the_others_stay_small() -> None:
    cheap_high, cheap_low = Layer("high", 100_000, 360), Layer("low", 60_000, 180)
    speaker = Want("speaker", Priority.STAGE, BOTH)
    others = [Want(f"cam{i}", Priority.OTHER, (cheap_low, cheap_high)) for i in range(4)]
    # the speaker's whole picture before the others' smallest: one of them does not fit
    decision = allocate(700_000, [speaker, *others])
    assert decision.layers == {"speaker": "high", "cam0": "low", "cam1": "low", "cam2": "low", "cam3": None}
    # the speaker cannot have its whole picture (350k more x 1.2): the others stay small,
    # though two of them could have moved up with what is left
    decision = allocate(500_000, [speaker, *others])
    assert decision.layers == {"speaker": "low", **{f"cam{i}": "low" for i in range(4)}}
    # plenty: everyone at the best
    assert set(allocate(2_000_000, [speaker, *others]).layers.values()) == {"high"}


def test_a_move_up_the_link_cannot_carry_waits_twice_as_long_before_the_next() -> None:
    allocator = Allocator()
    wants = cams(1)
    allocator.decide(2_000_000, wants, now=0.0)  # high
    t = 0.5
    allocator.decide(300_000, wants, now=t)
    t += LOWER_AFTER
    assert allocator.decide(300_000, wants, now=t).layers == {"cam00": "low"}
    waits = []
    for _ in range(3):
        lowered_at = t
        while allocator.decide(2_000_000, wants, now=t).layers["cam00"] != "high":
            t += 0.5
        waits.append(t - lowered_at)
        allocator.decide(300_000, wants, now=t + 0.1)  # it did not fit after all
        t += 0.1 + LOWER_AFTER
        assert allocator.decide(300_000, wants, now=t).layers == {"cam00": "low"}
    assert waits == pytest.approx([HOLD, 2 * HOLD, 4 * HOLD], abs=0.5)


def test_a_link_that_drops_much_of_what_is_sent_pauses_at_once() -> None:
    allocator = Allocator()
    wants = cams(3, layers=(HIGH,))
    allocator.decide(5_000_000, wants, now=0.0)
    # an estimate's dip waits PAUSE_AFTER; heavy loss does not
    assert allocator.decide(1_000_000, wants, now=0.5).paused() == set()
    assert allocator.decide(1_000_000, wants, now=1.0, urgent=True).paused() == {"cam02"}
