"""The countdown the app shows: from the server's timer_ends_at, corrected for clock offset."""

from __future__ import annotations

from desktop.session.timer import SessionTimer, TimerChanged, TimeUp, TimeWarning, format_left, iso, parse_iso


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_counts_down_to_the_servers_end_whatever_our_clock_says() -> None:
    clock = Clock(1_000.0)  # our clock is 800 s behind the server's
    timer = SessionTimer(clock)
    timer.sync(iso(1_800.0))
    assert timer.set_end(iso(1_800.0 + 600)) == TimerChanged(2_400.0)
    assert timer.remaining() == 600
    clock.now += 250
    assert timer.remaining() == 350 and format_left(timer.remaining()) == "5:50"
    assert timer.set_end(iso(2_400.0)) is None  # the same end is no change


def test_the_warning_comes_once_and_again_after_an_extension() -> None:
    clock = Clock(0.0)
    timer = SessionTimer(clock)
    timer.set_end(iso(600.0))
    assert timer.tick() == []
    clock.now = 299.0
    assert timer.tick() == []
    clock.now = 300.5
    assert timer.tick() == [TimeWarning(299.5)]
    clock.now = 301.0
    assert timer.tick() == []  # once
    timer.set_end(iso(600.0 + 1800))  # extended by 30 minutes: no warning until it nears again
    clock.now = 2099.0
    assert timer.tick() == []
    clock.now = 2100.5
    assert timer.tick() == [TimeWarning(299.5)]
    clock.now = 2_400.0
    assert timer.tick() == [TimeUp()]
    clock.now = 2_401.0
    assert timer.tick() == []


def test_no_timer_no_countdown_and_times_read_well() -> None:
    timer = SessionTimer(Clock(0.0))
    assert timer.remaining() is None and timer.tick() == []
    assert timer.set_end(None) is None
    assert format_left(3723) == "1:02:03" and format_left(59.2) == "1:00" and format_left(-3) == "0:00"
    assert parse_iso("2027-01-15T08:00:00.000Z") == 1_800_000_000.0
    assert iso(1_800_000_000.0) == "2027-01-15T08:00:00.000Z"
