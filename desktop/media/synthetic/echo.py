"""An offline echo scenario for voice processing: a talker planned syllable by syllable, the echo
a room gives what the speaker plays, and levels in dB. Driven frame by frame, without real time
(tests/test_voice.py, bench/voice.py); the real-time room is ``acoustic.py``."""

from __future__ import annotations

import numpy as np

from .talker import render_voice

__all__ = ["FRAME", "FS", "echo_path", "energy_db", "s16", "talker"]

FS = 48000
FRAME = 960  # 20 ms, as our microphones deliver


_VOWELS = [(730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (300, 870, 2240),
           (570, 840, 2410), (440, 1020, 2240), (660, 1720, 2410)]


def talker(seconds: float, f0: float, seed: int, level_dbfs: float = -20.0) -> np.ndarray:
    """Synthetic speech, s16 mono 48 kHz: ``level_dbfs`` is the RMS while voiced."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FS)
    hop = FS // 100  # 10 ms, the voice processor's block
    nh = n // hop + 2
    env = np.zeros(nh)
    formants = np.tile(np.array(_VOWELS[0], float), (nh, 1))
    fric = np.zeros(nh)
    i = 0
    while i < nh:
        if rng.random() < 0.2:  # a pause
            i += int(rng.integers(15, 40))
            continue
        length = int(rng.integers(18, 30))  # a syllable: 180-300 ms, one vowel gliding to another
        a, b = (np.array(_VOWELS[rng.integers(len(_VOWELS))], float) for _ in range(2))
        w = np.linspace(0, 1, length)[:, None]
        m = min(i + length, nh) - i
        formants[i : i + m] = ((1 - w) * a + w * b)[:m]
        env[i : i + m] = (np.sin(np.pi * np.linspace(0, 1, length)) ** 0.7)[:m]
        if rng.random() < 0.4:
            fric[i : min(i + 4, nh)] = 1.0
        i += length
    return render_voice(env, formants, fric, f0, rng, n, hop, level_dbfs, FS)


def echo_path(far: np.ndarray, delay_ms: float, gain_db: float = -6.0, seed: int = 3) -> np.ndarray:
    """The far end as the microphone hears it: a short room response, delayed, attenuated."""
    rng = np.random.default_rng(seed)
    taps = int(0.03 * FS)
    response = rng.standard_normal(taps) * np.exp(-np.arange(taps) / (0.006 * FS))
    response /= np.sqrt(np.sum(response**2))  # unit energy gain: the level is set by gain_db
    echo = np.convolve(far.astype(np.float64), response)[: len(far)]
    echo = np.concatenate((np.zeros(int(delay_ms * FS / 1000)), echo))[: len(far)]
    return echo * 10 ** (gain_db / 20)


def energy_db(samples: np.ndarray) -> float:
    x = samples.astype(np.float64)
    return 10 * np.log10(np.mean(x * x) + 1e-12)


def s16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)
