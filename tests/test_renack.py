"""Asking again for a lost video packet: a retransmission lost too is asked for again about one
repair time later (not a fixed 200 ms), a few times at most, never once the packet is too old
for its frame. Times are made up (seconds)."""

from __future__ import annotations

from desktop.media.renack import DEADLINE, MAX_ASKS, RETRY, Renack


def test_a_retransmission_lost_too_is_asked_for_again_after_about_a_round_trip() -> None:
    renack = Renack()
    now = 0.0
    for seq in range(20):  # twenty losses, each repaired 40 ms after aiortc's NACK
        assert renack.due({seq}, now) == []  # aiortc asked on the gap: nothing more yet
        now += 0.04
        assert renack.due(set(), now) == []
        now += 0.5
    assert abs(renack.repair_time - 0.04) < 1e-9
    assert renack.due({100}, now) == []
    now += 0.05
    assert renack.due({100}, now) == []  # 50 ms: its retransmission may still come
    now += 0.011
    assert renack.due({100}, now) == [100]  # 61 ms: lost too, asked for again (not after 200 ms)
    assert 0.061 < RETRY


def test_asked_a_few_times_at_most_and_never_once_too_old() -> None:
    renack = Renack()
    now = 0.0
    renack.due({7}, now)
    asks = 1
    while now < 1.0:
        now += 0.01
        asks += len(renack.due({7}, now))
    assert asks <= MAX_ASKS
    late = Renack()
    late.due({9}, 0.0)
    assert late.due({9}, DEADLINE + 0.01) == []  # its frame has been given up on by then


def test_before_any_repair_is_timed_it_waits_the_default() -> None:
    renack = Renack()
    renack.due({1, 2}, 0.0)
    assert renack.due({1, 2}, RETRY - 0.01) == []
    assert renack.due({1, 2}, RETRY) == [1, 2]


def test_a_packet_given_up_on_is_not_timed_as_a_repair() -> None:
    renack = Renack()
    now = 0.0
    for seq in range(10):  # repaired 60 ms after aiortc's NACK
        renack.due({seq}, now)
        renack.due(set(), now + 0.06)
        now += 0.5
    assert abs(renack.repair_time - 0.06) < 1e-9
    renack.due({50, 51}, now)
    renack.given_up([50, 51])  # a keyframe went past them 5 ms later: they leave the missing set
    renack.due(set(), now + 0.005)
    assert abs(renack.repair_time - 0.06) < 1e-9  # not mistaken for a 5 ms repair
