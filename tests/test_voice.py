"""Voice processing (desktop/media/voice.py): WebRTC echo cancellation and noise suppression.

Everything is driven frame by frame, without real time: a simulated room plays the far end
(what our speaker plays) back into the microphone 40-120 ms later at -6 dB, on top of a near-end
talker. Both talkers are synthetic speech (harmonic voices with moving formants, syllables,
pauses and a little frication), different in pitch and timing; nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import threading

import numpy as np
import pytest

from desktop.media import voice
from desktop.media.synthetic.echo import FRAME, FS, echo_path, energy_db, s16, talker
from desktop.media.synthetic.capture import RealTimePacer, SyntheticMicrophone
from desktop.media.voice import BLOCK, ProcessedMicrophone, VoiceProcessor

needs_apm = pytest.mark.skipif(not VoiceProcessor.available(), reason="livekit not installed")


def run(processor: VoiceProcessor, far: np.ndarray | None, mic: np.ndarray) -> np.ndarray:
    """As the devices would: each 20 ms, the speaker plays (stereo) then the microphone captures."""
    out = np.zeros_like(mic)
    for start in range(0, len(mic), FRAME):
        if far is not None:
            played = far[start : start + FRAME]
            processor.far_end(np.repeat(played[:, None], 2, axis=1))
        out[start : start + FRAME] = processor.process(mic[start : start + FRAME])
    return out


# Timeline of the echo scenario (seconds): far end talks throughout; near end talks in 4-6.
SECONDS = 8
CONVERGED = slice(2 * FS, 4 * FS)  # far end only, after 2 s of convergence
DOUBLE_TALK = slice(4 * FS, 6 * FS)
AFTER = slice(6 * FS, 8 * FS)  # far end only again, after the double talk


@pytest.fixture(scope="module")
def talkers() -> tuple[np.ndarray, np.ndarray]:
    far = talker(SECONDS, f0=110, seed=1, level_dbfs=-18)
    near = talker(SECONDS, f0=210, seed=2, level_dbfs=-22)
    near[: DOUBLE_TALK.start] = 0
    near[DOUBLE_TALK.stop :] = 0
    return far, near


@needs_apm
@pytest.mark.parametrize("delay_ms", [40, 80, 120])
@pytest.mark.parametrize("suppression", [False, True])
def test_echo_removed_and_near_end_kept(talkers, delay_ms, suppression) -> None:
    far, near = talkers
    echo = echo_path(far, delay_ms)
    mic = s16(echo + near)
    settings = dict(echo_cancellation=True, noise_suppression=suppression, high_pass_filter=True,
                    auto_gain_control=False)  # the echo canceller's own work (AGC: below)
    out = run(VoiceProcessor(**settings), far, mic)

    erle = energy_db(mic[CONVERGED]) - energy_db(out[CONVERGED])
    assert erle >= 20, f"echo return loss enhancement {erle:.1f} dB"
    erle_after = energy_db(mic[AFTER]) - energy_db(out[AFTER])
    assert erle_after >= 20, f"after double talk: {erle_after:.1f} dB"

    # Near-end speech during double talk, against the same processing of the near end alone.
    alone = run(VoiceProcessor(**settings), None, near)
    kept = energy_db(out[DOUBLE_TALK]) - energy_db(alone[DOUBLE_TALK])
    assert abs(kept) <= 6, f"near end changed by {kept:.1f} dB in double talk"
    # ... and processing the near end alone barely touches it.
    assert abs(energy_db(alone[DOUBLE_TALK]) - energy_db(near[DOUBLE_TALK])) <= 6


@needs_apm
def test_without_echo_cancellation_the_echo_stays(talkers) -> None:
    far, _ = talkers
    mic = s16(echo_path(far, 80))
    out = run(VoiceProcessor(echo_cancellation=False, noise_suppression=False), far, mic)
    assert abs(energy_db(mic[CONVERGED]) - energy_db(out[CONVERGED])) < 3


@needs_apm
@pytest.mark.parametrize("suppression", [True, False])
def test_stationary_noise_suppressed_only_when_on(suppression) -> None:
    rng = np.random.default_rng(5)
    noise = s16(rng.standard_normal(4 * FS) * 32767 * 10 ** (-40 / 20))
    processor = VoiceProcessor(echo_cancellation=True, noise_suppression=suppression)
    out = run(processor, None, noise)
    window = slice(2 * FS, 4 * FS)
    reduction = energy_db(noise[window]) - energy_db(out[window])
    if suppression:
        assert reduction >= 10, f"noise reduced by only {reduction:.1f} dB"
    else:
        assert reduction < 5, f"noise reduced by {reduction:.1f} dB with suppression off"
    assert processor.level == pytest.approx(
        np.sqrt(np.mean(out[-FRAME:].astype(np.float64) ** 2)) / 32767, rel=1e-3)


@needs_apm
def test_settings_toggle_at_runtime() -> None:
    rng = np.random.default_rng(6)
    noise = s16(rng.standard_normal(6 * FS) * 300)
    processor = VoiceProcessor(noise_suppression=False)
    first = run(processor, None, noise[: 3 * FS])
    processor.noise_suppression = True  # applied at the next block, with a fresh module
    second = run(processor, None, noise[3 * FS :])
    assert energy_db(noise[2 * FS : 3 * FS]) - energy_db(first[2 * FS :]) < 5
    assert energy_db(noise[5 * FS :]) - energy_db(second[2 * FS :]) >= 10
    processor.echo_cancellation = processor.noise_suppression = processor.high_pass_filter = False
    assert not processor.active
    block = noise[:FRAME]
    assert np.array_equal(processor.process(block), block)  # everything off: untouched


@needs_apm
def test_far_end_conversion_and_odd_sizes() -> None:
    processor = VoiceProcessor()
    processor.far_end(np.zeros((441, 2), np.int16), sample_rate=44100)  # 10 ms at 44.1 kHz
    processor.far_end(np.zeros(240, np.int16), channels=1)
    processor.far_end(np.zeros((720, 2), np.int16))  # 15 ms stereo
    # 44.1 kHz -> 48 kHz goes through a resampler that may hold a few samples back
    queued = len(processor._far) * BLOCK + len(processor._far_partial)
    assert 480 + 240 + 720 - 64 <= queued <= 480 + 240 + 720
    out = processor.process(np.zeros(FRAME, np.int16))
    assert out.shape == (FRAME,) and out.dtype == np.int16
    assert not processor._far  # handed to the module before the near end
    odd = [processor.process(np.full(700, 100, np.int16)) for _ in range(10)]
    assert all(o.shape == (700,) for o in odd)


@needs_apm
def test_far_end_from_another_thread() -> None:
    processor = VoiceProcessor()
    errors: list[BaseException] = []

    def speaker() -> None:
        try:
            for _ in range(500):
                processor.far_end(np.full((480, 2), 1000, np.int16))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=speaker)
    thread.start()
    for _ in range(300):
        processor.process(np.full(FRAME, 100, np.int16))
    thread.join()
    assert not errors
    assert processor.frames_processed == 600


def test_unavailable_falls_back_to_unprocessed(monkeypatch, caplog) -> None:
    monkeypatch.setattr(voice, "_LkApm", None)
    assert not VoiceProcessor.available()
    processor = VoiceProcessor()
    samples = np.arange(FRAME, dtype=np.int16)
    processor.far_end(np.zeros((FRAME, 2), np.int16))
    with caplog.at_level(logging.WARNING, logger="desktop.media.voice"):
        out = processor.process(samples)
        processor.process(samples)
    assert np.array_equal(out, samples)
    assert processor.level > 0
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "unprocessed" in caplog.records[0].message


class _FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds  # time passes at once: no real waiting


@needs_apm
async def test_processed_microphone_wraps_synthetic_microphone() -> None:
    source = SyntheticMicrophone(frequency=440.0, level_dbfs=-20.0)
    clock = _FakeClock()
    source._pacer = RealTimePacer(0.020, max_lag=0.2, clock=clock, sleep=clock.sleep)
    processor = VoiceProcessor(noise_suppression=False)
    track = ProcessedMicrophone(source, processor)
    assert track.kind == "audio"
    frames = [await asyncio.wait_for(track.recv(), 5) for _ in range(100)]
    for number, frame in enumerate(frames):
        assert frame.format.name == "s16" and frame.layout.name == "mono"
        assert frame.sample_rate == FS and frame.samples == FRAME
        assert frame.pts == number * FRAME
        assert frame.time_base == fractions.Fraction(1, FS)
    assert processor.frames_processed == 200  # two 10 ms blocks per frame
    # The tone gets through (echo cancellation with no far end and the high-pass leave it be).
    last = frames[-1].to_ndarray().astype(np.float64)
    assert track.level == pytest.approx(np.sqrt(np.mean(last**2)) / 32767, rel=1e-3)
    assert track.level == pytest.approx(source.level, abs=0.02)
    track.stop()
    assert source.readyState == "ended"
    with pytest.raises(Exception):
        await track.recv()


@needs_apm
async def test_processed_microphone_passes_other_formats_through() -> None:
    import av

    class Stereo44k(SyntheticMicrophone):
        async def recv(self):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 882 * 2), np.int16), format="s16",
                                               layout="stereo")
            frame.sample_rate = 44100
            frame.pts = 0
            return frame

    track = ProcessedMicrophone(Stereo44k())
    frame = await track.recv()
    assert frame.sample_rate == 44100 and frame.layout.name == "stereo"
    track.stop()


def test_talking_into_a_muted_microphone_is_told_once_a_minute() -> None:
    """The "You're muted" hint: speech for more than a second while muted, at most once a minute."""
    from desktop.session.events import SpeakingWhileMuted
    from desktop.session.meeting_session import MeetingSession
    from desktop.signalling.tls import MemoryTrustStore

    now = [1000.0]
    session = MeetingSession("parley://127.0.0.1:9/m/meeting?token=t", muted=True, clock=lambda: now[0],
                             trust=MemoryTrustStore())
    hints: list[SpeakingWhileMuted] = []
    session.on(SpeakingWhileMuted, hints.append)

    def talk(seconds: float, level: float) -> None:
        for _ in range(int(seconds / 0.2)):
            session.check_muted_speech(level)
            now[0] += 0.2

    talk(0.8, 0.1)  # -20 dBFS: speech, but not yet a second
    assert hints == []
    talk(0.6, 0.0005)  # a pause: starts again
    talk(0.8, 0.1)
    assert hints == []
    talk(0.6, 0.1)
    assert len(hints) == 1
    talk(30, 0.1)  # still talking: not again within the minute
    assert len(hints) == 1
    talk(40, 0.1)
    assert len(hints) == 2
    session.muted = False  # unmuted: never
    talk(120, 0.1)
    assert len(hints) == 2


@needs_apm
def test_a_quiet_talker_is_brought_up_and_a_normal_one_left_alone(talkers) -> None:
    """Automatic gain control (on in the app by default): someone far from the microphone is raised toward
    a normal level; someone at a normal level stays where they are."""
    far, _near = talkers  # one talker, 8 s without a pause
    full_scale = 20 * np.log10(32768)  # energy_db is in dB of int16 units: dBFS + this

    def at_dbfs(dbfs: float) -> np.ndarray:
        return s16(far * 10 ** ((dbfs + full_scale - energy_db(far)) / 20))

    quiet, normal = at_dbfs(-50), at_dbfs(-22)  # -50 dBFS: hardly there
    late = slice(5 * FS, None)  # once the gain has settled
    agc = dict(echo_cancellation=False, noise_suppression=False, auto_gain_control=True)
    raised = run(VoiceProcessor(**agc), None, quiet)
    kept = run(VoiceProcessor(**agc), None, normal)
    flat = run(VoiceProcessor(echo_cancellation=False, noise_suppression=False), None, quiet)
    assert energy_db(raised[late]) - energy_db(quiet[late]) >= 12
    assert abs(energy_db(kept[late]) - energy_db(normal[late])) <= 6
    assert abs(energy_db(flat[late]) - energy_db(quiet[late])) <= 3  # and it is the AGC that did it
