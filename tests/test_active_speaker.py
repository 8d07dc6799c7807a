"""Chime's active-speaker policy over volume indicators, on a fake clock."""

from __future__ import annotations

from desktop.session.active_speaker import ActiveSpeakerDetector
from desktop.session.volume import volume_from_level


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(detector: ActiveSpeakerDetector, clock: Clock, seconds: float, talking: set[str]) -> None:
    """Five ticks a second; those talking are heard all along."""
    for _ in range(int(seconds * 5)):
        clock.now += 0.2
        for attendee in talking:
            detector.heard(attendee)
        detector.tick()


def test_the_active_speaker_follows_whoever_talks() -> None:
    clock = Clock()
    detector = ActiveSpeakerDetector(clock=clock)
    for attendee in ("ada", "grace", "linus"):
        detector.indicate(attendee, 0.0, False)
    detector.indicate("ada", 0.7, False)
    run(detector, clock, 2, {"ada"})
    assert detector.ranking()[0] == "ada"
    assert "grace" not in detector.ranking()
    # Grace starts talking and Ada stops: Grace takes over within a second or so
    detector.indicate("ada", 0.05, False)
    detector.indicate("grace", 0.8, False)
    run(detector, clock, 1.5, {"ada", "grace"})
    assert detector.ranking()[0] == "grace"


def test_muted_and_silent_attendees_are_never_ranked() -> None:
    clock = Clock()
    detector = ActiveSpeakerDetector(clock=clock)
    detector.indicate("ada", 0.9, True)  # muted, however loud the microphone
    detector.indicate("grace", 0.1, False)  # below the silence threshold
    run(detector, clock, 3, {"ada", "grace"})
    assert detector.ranking() == []


def test_an_indicator_nobody_hears_any_more_goes_quiet() -> None:
    clock = Clock()
    detector = ActiveSpeakerDetector(clock=clock)
    detector.indicate("ada", 0.8, False)
    run(detector, clock, 2, {"ada"})
    assert detector.ranking() == ["ada"]
    run(detector, clock, 10, set())  # no sound from Ada for seconds: her last indicator is stale
    assert detector.ranking() == []


def test_volume_scale() -> None:
    assert volume_from_level(0.0) == 0.0
    assert volume_from_level(0.1) == 0.6  # a -20 dBFS tone
    assert volume_from_level(1.0) == 1.0
    assert volume_from_level(0.001) == 0.0  # -60 dBFS
