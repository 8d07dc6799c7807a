"""The loss side of a subscriber's downlink estimate (server/sfu/loss.py): a link a few percent
short of what is sent is found by the NACKs, even when its full queue no longer grows."""

from __future__ import annotations

import pytest

from server.sfu.loss import GROWTH, LossControl

TICK = 0.5
PACKET = 1000  # bytes


class Link:
    """What the forwarding unit counts for one subscriber: ``rate`` bit/s of video sent, a
    ``loss`` share of it NACKed (each packet once)."""

    def __init__(self) -> None:
        self.packets = self.nacked = self.bytes = 0
        self.now = 0.0
        self.control = LossControl()

    def run(self, seconds: float, rate: float, loss: float, rtt: float = 0.04) -> float | None:
        cap = None
        for _ in range(round(seconds / TICK)):
            self.now += TICK
            sent = round(rate * TICK / 8 / PACKET)
            self.packets += sent
            self.bytes += sent * PACKET
            self.nacked += round(sent * loss)
            cap = self.control.update(self.packets, self.nacked, self.bytes, self.now, [rtt])
        return cap


def test_a_clean_link_has_no_loss_cap() -> None:
    link = Link()
    assert link.run(5, 1_500_000, 0.0) is None
    assert not link.control.lossy


def test_a_full_queue_a_little_short_is_capped_at_what_got_through_and_said_to_be_lossy() -> None:
    link = Link()
    link.run(2, 1_500_000, 0.0)  # the round trip without a queue: 40 ms
    cap = link.run(3, 1_500_000, 0.04, rtt=0.24)  # a 200 ms queue stands, and drops 4 %
    assert cap == pytest.approx(1_500_000 * 0.96, rel=0.01) and link.control.lossy
    # less is sent (a video lowered) and still some is lost: down again, never up
    assert link.run(2, 1_200_000, 0.04, rtt=0.24) == pytest.approx(1_200_000 * 0.96, rel=0.01)


def test_random_loss_without_a_queue_holds_and_leaves_the_pictures_alone() -> None:
    link = Link()
    assert link.run(10, 1_500_000, 0.05) is None  # a lossy radio link: repair helps, not fewer pictures
    assert not link.control.lossy and link.control.loss == pytest.approx(0.05, abs=0.01)


def test_heavy_loss_cuts_by_half_the_loss_and_does_not_compound() -> None:
    link = Link()
    first = link.run(1, 2_000_000, 0.3)
    assert first == pytest.approx(2_000_000 * 0.85, rel=0.01)
    assert link.run(3, 2_000_000, 0.3) == pytest.approx(first, rel=0.01)


def test_once_the_loss_is_gone_the_cap_grows_and_then_goes_away() -> None:
    link = Link()
    link.run(2, 1_000_000, 0.2)
    cap = link.control.cap
    assert link.run(1, 900_000, 0.0) == pytest.approx(cap * GROWTH, rel=0.01)
    assert link.run(20, 400_000, 0.0) is None  # twice what is sent: it no longer binds


def test_too_little_sent_to_judge_lets_the_cap_grow() -> None:
    link = Link()
    link.run(2, 1_000_000, 0.2)
    cap = link.control.cap
    assert link.run(2, 0, 0.0) == pytest.approx(cap * GROWTH ** 2, rel=0.01)
    assert link.control.loss is None
