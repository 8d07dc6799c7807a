"""The speaker's mixer: sums, saturation, underruns, FIFO caps, resampling, thread safety."""

from __future__ import annotations

import threading
import time

import av
import numpy as np
import pytest

from desktop.media.mixer import SAMPLE_RATE, Mixer
from desktop.media.synthetic.capture import tone_samples

FRAME = 960  # 20 ms at 48 kHz, as aiortc's Opus decoder gives


def stereo_frame(left: np.ndarray, right: np.ndarray | None = None, rate: int = SAMPLE_RATE) -> av.AudioFrame:
    right = left if right is None else right
    interleaved = np.stack([left, right], axis=1).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout="stereo")
    frame.sample_rate = rate
    return frame


def tone_frames(frequency: float, amplitude: float, count: int, rate: int = SAMPLE_RATE, per: int = FRAME):
    return [stereo_frame(tone_samples(i * per, per, frequency, amplitude, rate), rate=rate) for i in range(count)]


def as_stereo(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.int16).reshape(-1, 2)


def test_two_sines_mix_to_their_sum() -> None:
    mixer = Mixer(prebuffer=0.0)
    a = tone_frames(440, 8000, 5)
    b = tone_frames(1000, 6000, 5)
    for fa, fb in zip(a, b):
        mixer.push("a", fa)
        mixer.push("b", fb)
    out = as_stereo(mixer.pull(4 * FRAME))
    expected = tone_samples(0, 4 * FRAME, 440, 8000, SAMPLE_RATE).astype(np.int32) + tone_samples(
        0, 4 * FRAME, 1000, 6000, SAMPLE_RATE
    )
    assert np.array_equal(out[:, 0], expected) and np.array_equal(out[:, 1], expected)
    # Amplitude: two sines of 8000 and 6000 peak together near 14000, uncorrelated RMS adds.
    assert 13000 < np.abs(out[:, 0]).max() <= 14000
    rms = np.sqrt((8000**2 + 6000**2) / 2) / 32767
    assert mixer.level == pytest.approx(rms, rel=0.02)


def test_clipping_saturates_instead_of_wrapping() -> None:
    mixer = Mixer(prebuffer=0.0)
    loud = np.full(FRAME, 30000, dtype=np.int16)
    for source in ("a", "b", "c"):
        mixer.push(source, stereo_frame(loud, -loud if source == "c" else loud))
    out = as_stereo(mixer.pull(FRAME))
    assert (out[:, 0] == 32767).all()  # 90000 clipped, not wrapped to a negative value
    assert (out[:, 1] == 30000).all()  # 30000 + 30000 - 30000
    mixer.push("neg", stereo_frame(np.full(FRAME, -30000, dtype=np.int16)))
    mixer.push("neg2", stereo_frame(np.full(FRAME, -30000, dtype=np.int16)))
    out = as_stereo(mixer.pull(FRAME))
    assert (out == -32768).all()


def test_short_source_underruns_to_silence_without_blocking() -> None:
    mixer = Mixer(prebuffer=0.0)
    mixer.push("slow", stereo_frame(np.full(FRAME, 1000, dtype=np.int16)))
    started = time.perf_counter()
    out = as_stereo(mixer.pull(2 * FRAME))
    assert time.perf_counter() - started < 0.05
    assert (out[:FRAME] == 1000).all() and (out[FRAME:] == 0).all()
    assert mixer.underruns == 1
    assert (as_stereo(mixer.pull(FRAME)) == 0).all()  # nothing left: silence
    assert mixer.level == 0.0


def test_prebuffer_holds_a_source_back_until_it_has_a_cushion() -> None:
    mixer = Mixer(prebuffer=0.040)  # two 20 ms frames
    mixer.push("a", stereo_frame(np.full(FRAME, 500, dtype=np.int16)))
    assert (as_stereo(mixer.pull(480)) == 0).all()  # 20 ms is not enough yet
    mixer.push("a", stereo_frame(np.full(FRAME, 500, dtype=np.int16)))
    assert (as_stereo(mixer.pull(480)) == 500).all()
    # It drains, runs dry and waits for a new cushion before playing again.
    assert (as_stereo(mixer.pull(3 * 480)) == 500).all()
    mixer.push("a", stereo_frame(np.full(FRAME, 700, dtype=np.int16)))
    assert (as_stereo(mixer.pull(480)) == 0).all()


def test_fifo_cap_drops_the_oldest() -> None:
    mixer = Mixer(capacity=0.100, prebuffer=0.0)  # 4800 samples = five frames
    for value in range(1, 11):  # ten frames of 1, 2, ..., 10
        mixer.push("a", stereo_frame(np.full(FRAME, value, dtype=np.int16)))
    assert mixer.buffered("a") == 5 * FRAME
    assert mixer.dropped == 5 * FRAME
    out = as_stereo(mixer.pull(5 * FRAME))[:, 0]
    assert list(out[::FRAME]) == [6, 7, 8, 9, 10]  # the newest five survived


def test_mono_and_other_rates_are_resampled() -> None:
    mixer = Mixer(prebuffer=0.0)
    # 44.1 kHz mono float: 10 frames of 441 samples of a 1 kHz tone at 0.25 full scale.
    for i in range(10):
        t = (i * 441 + np.arange(441)) / 44100
        data = (0.25 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(data[None, :], format="flt", layout="mono")
        frame.sample_rate = 44100
        mixer.push("m", frame)
    assert mixer.buffered("m") == pytest.approx(4800, abs=64)
    out = as_stereo(mixer.pull(3000))
    assert np.array_equal(out[:, 0], out[:, 1])  # mono on both channels
    body = out[500:2500, 0].astype(np.float64)
    assert np.sqrt(np.mean(body**2)) == pytest.approx(0.25 * 32767 / np.sqrt(2), rel=0.05)
    spectrum = np.abs(np.fft.rfft(body * np.hanning(len(body))))
    assert np.fft.rfftfreq(len(body), 1 / SAMPLE_RATE)[spectrum.argmax()] == pytest.approx(1000, abs=30)


def test_a_source_may_change_format_midstream() -> None:
    mixer = Mixer(prebuffer=0.0)
    mixer.push("a", stereo_frame(np.full(FRAME, 100, dtype=np.int16)))
    mono = av.AudioFrame.from_ndarray(np.full((1, 480), 200, dtype=np.int16), format="s16", layout="mono")
    mono.sample_rate = 24000
    mixer.push("a", mono)
    mixer.push("a", stereo_frame(np.full(FRAME, 300, dtype=np.int16)))
    assert mixer.buffered("a") > 2 * FRAME


def test_remove_forgets_a_source() -> None:
    mixer = Mixer(prebuffer=0.0)
    mixer.push("a", stereo_frame(np.full(FRAME, 100, dtype=np.int16)))
    mixer.push("b", stereo_frame(np.full(FRAME, 10, dtype=np.int16)))
    mixer.remove("a")
    mixer.remove("unknown")
    assert mixer.sources == ["b"]
    assert (as_stereo(mixer.pull(FRAME)) == 10).all()


def test_a_sound_plays_once_over_the_voices() -> None:
    mixer = Mixer(prebuffer=0.0)
    chime = tone_samples(0, 1500, 880, 5000, SAMPLE_RATE)
    mixer.add_sound(chime)
    out = np.concatenate([as_stereo(mixer.pull(1000)), as_stereo(mixer.pull(1000))])
    assert np.array_equal(out[:1500, 0], chime) and np.array_equal(out[:1500, 1], chime)
    assert (out[1500:] == 0).all()
    assert (as_stereo(mixer.pull(1000)) == 0).all()


def test_pull_of_nothing_and_bad_shapes() -> None:
    mixer = Mixer()
    assert mixer.pull(0) == b""
    with pytest.raises(ValueError):
        mixer.add_sound(np.zeros((10, 3), dtype=np.int16))
    with pytest.raises(ValueError):
        Mixer(capacity=0.02, prebuffer=0.04)


def test_a_thread_pulls_while_another_pushes() -> None:
    mixer = Mixer(prebuffer=0.0, capacity=0.2)
    frame = stereo_frame(np.full(FRAME, 1000, dtype=np.int16))
    stop = threading.Event()
    pulled: list[np.ndarray] = []
    errors: list[BaseException] = []

    started = threading.Event()

    def speaker() -> None:
        try:
            while not stop.is_set():
                pulled.append(as_stereo(mixer.pull(480)))
                started.set()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=speaker)
    thread.start()
    assert started.wait(5)
    try:
        for i in range(2000):
            mixer.push(f"s{i % 8}", frame)
            if i % 500 == 499:
                mixer.remove("s3")
            if i % 20 == 19:
                time.sleep(0.0005)  # let the speaker thread pull between pushes, on any machine
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not errors and not thread.is_alive()
    everything = np.concatenate(pulled)
    # Every sample is a sum of whole sources (k * 1000, k <= 8): nothing torn or wrapped.
    assert set(np.unique(everything)) <= {k * 1000 for k in range(9)}
    assert everything.max() > 0
