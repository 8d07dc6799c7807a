"""Lip sync (desktop/media/lipsync.py): a person's voice and video, each played after its own
delay, are brought in step by holding back the one that is ahead, within bounds, never in a
jump, and let go when the other stream catches up or stops. A simulated person on an injected
clock: each stream plays its media a set delay after capture, plus what lip sync holds it for."""

from __future__ import annotations

import pytest

from desktop.media.lipsync import DEAD_BAND, MAX_AUDIO_EXTRA, SLEW, VOICE_LATE_TOLERANCE, LipSync, StreamClock

NTP_UNIX_OFFSET = 2208988800


class Person:
    """A remote person whose voice is played ``voice`` s and video shown ``video`` s after capture
    (before lip sync's extras), on a clock the test moves."""

    def __init__(self, voice: float, video: float) -> None:
        self.now = 1000.0
        self.voice, self.video = voice, video
        self.audio_clock, self.video_clock = StreamClock(48000), StreamClock(90000)
        # the reports: Unix time 0 is RTP time 0 on both (one clock for both streams)
        self.audio_clock.on_report(NTP_UNIX_OFFSET << 32, 0)
        self.video_clock.on_report(NTP_UNIX_OFFSET << 32, 0)
        self.held: dict[str, list[float]] = {"audio": [0.0], "video": [0.0]}
        self.sync = LipSync(self.audio_clock, self.video_clock, self.held["audio"].append,
                            self.held["video"].append, clock=lambda: self.now)
        self.playing = {"audio": True, "video": True}

    def offset(self) -> float:
        """How much later after capture the pictures are shown than the voice is played."""
        return (self.video + self.held["video"][-1]) - (self.voice + self.held["audio"][-1])

    def run(self, seconds: float) -> None:
        """Play the voice every 20 ms and show a picture every 33 ms, for ``seconds``."""
        end = self.now + seconds
        next_audio, next_video = self.now, self.now
        while self.now < end:
            if next_audio <= next_video:
                self.now = next_audio
                if self.playing["audio"]:
                    captured = self.now - self.voice - self.held["audio"][-1]
                    self.sync.audio_played(round(captured * 48000) & 0xFFFFFFFF)
                next_audio += 0.020
            else:
                self.now = next_video
                if self.playing["video"]:
                    captured = self.now - self.video - self.held["video"][-1]
                    self.sync.video_shown(round(captured * 90000) & 0xFFFFFFFF)
                next_video += 0.033

    def smooth(self, kind: str) -> bool:
        """Every change of the extra was within what SLEW allows between two frames played."""
        values = self.held[kind]
        return all(abs(b - a) <= SLEW * 0.034 + 1e-9 for a, b in zip(values, values[1:]))


def test_late_video_holds_the_voice_back_until_in_step_then_lets_go_smoothly() -> None:
    person = Person(voice=0.040, video=0.150)
    person.run(15.0)
    assert abs(person.offset()) < 0.025  # in step
    assert person.sync.audio_extra == pytest.approx(0.110, abs=0.025) and person.sync.video_extra == 0.0
    person.video = 0.040  # the video's repairs are over: its delay falls
    person.run(15.0)
    assert abs(person.offset()) < 0.025
    assert person.sync.audio_extra < 0.025 and person.sync.video_extra < 0.025
    assert person.smooth("audio") and person.smooth("video")  # never a jump either way


def test_a_voice_much_later_than_the_pictures_holds_them_back_to_what_nobody_notices() -> None:
    person = Person(voice=0.180, video=0.040)
    person.run(15.0)
    assert -person.offset() == pytest.approx(VOICE_LATE_TOLERANCE, abs=0.015)
    assert person.sync.video_extra == pytest.approx(0.140 - VOICE_LATE_TOLERANCE, abs=0.015)
    assert person.sync.audio_extra == 0.0 and person.smooth("video")


def test_a_voice_slightly_later_than_the_pictures_is_left_so() -> None:
    person = Person(voice=0.060, video=0.030)  # a clean link: the voice's buffer is the longer
    person.run(10.0)
    assert person.held == {"audio": [0.0], "video": [0.0]}  # pictures not held: no delay added


def test_the_voice_is_never_held_past_its_bound_for_a_video_far_behind() -> None:
    person = Person(voice=0.040, video=0.700)
    person.run(20.0)
    assert MAX_AUDIO_EXTRA - DEAD_BAND < person.sync.audio_extra <= MAX_AUDIO_EXTRA
    assert max(person.held["audio"]) <= MAX_AUDIO_EXTRA


def test_a_video_that_stops_lets_the_voice_go() -> None:
    person = Person(voice=0.040, video=0.150)
    person.run(15.0)
    assert person.sync.audio_extra > 0.08
    person.playing["video"] = False  # camera off, or paused for the link
    person.run(5.0)
    assert person.sync.audio_extra == 0.0 and person.smooth("audio")


def test_nothing_is_held_before_the_sender_reports_came() -> None:
    person = Person(voice=0.040, video=0.150)
    person.video_clock = person.sync.video_clock = StreamClock(90000)  # no report yet
    person.run(5.0)
    assert person.held == {"audio": [0.0], "video": [0.0]}
    assert person.sync.video_latency() is None and person.sync.audio_latency() == pytest.approx(0.040)
