"""A synthetic talker: a voice (harmonics of a gliding pitch shaped by moving formants, syllables,
pauses and a little frication) that talks on and on, for the acoustic room and the voice tests.
No Qt here: numpy only."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FULL_SCALE", "HEADSET_LEVEL_DBFS", "LAPTOP_LEVEL_DBFS", "SAMPLE_RATE", "Talker", "render_voice", "speech"]

SAMPLE_RATE = 48000
FULL_SCALE = 32767.0

# Formants (Hz) of a few vowels: /a/, /i/, /e/, /u/, /o/, /ʌ/, /æ/
_VOWELS = np.array([(730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (300, 870, 2240),
                    (570, 840, 2410), (440, 1020, 2240), (660, 1720, 2410)], dtype=np.float64)
_FORMANT_WIDTHS = (80.0, 100.0, 140.0)

HEADSET_LEVEL_DBFS = -20.0  # the talker at a headset's microphone, while voiced
LAPTOP_LEVEL_DBFS = -26.0  # ... at a laptop's, an arm's length away


def speech(seconds: float, seed: int, *, f0: float | None = None, level_dbfs: float = -20.0,
           phrase_pause: tuple[float, float] = (0.4, 1.6),
           sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.int16]:
    """Synthetic speech, s16 mono: ``level_dbfs`` is the RMS while voiced.

    Phrases of 3-10 syllables (180-300 ms each, a vowel gliding into another, a short pause
    now and then), with ``phrase_pause`` seconds between phrases, as someone talking in a
    conversation who stops to breathe or listen (voiced about 60 % of the time); a pitch ``f0``
    (from the seed: 95-230 Hz) that wanders; a burst of frication now and then. Silent at both
    ends, so it loops without a click. Different seeds give different voices (each its own
    vocal tract length and accent), which correlate only by chance (``voice_correlation``:
    about 0.1).
    """
    rng = np.random.default_rng(seed)
    if f0 is None:
        f0 = float(rng.uniform(95.0, 230.0))
    # a voice of its own: a vocal tract longer or shorter (all formants scaled) and an accent
    # (each vowel a little off), so two talkers' vowels rarely coincide
    vowels = _VOWELS * rng.uniform(0.85, 1.2) * rng.uniform(0.92, 1.08, size=_VOWELS.shape)
    n = int(seconds * sample_rate)
    hop = sample_rate // 100  # the envelope and formants move in 10 ms steps
    nh = n // hop + 2
    env = np.zeros(nh)
    formants = np.tile(vowels[0], (nh, 1))
    fric = np.zeros(nh)
    i = int(rng.integers(5, 20))
    left = int(rng.integers(3, 11))  # syllables left in this phrase
    while i < nh - 40:
        if left == 0:  # between phrases
            i += int(rng.uniform(*phrase_pause) * 100)
            left = int(rng.integers(3, 11))
            continue
        if rng.random() < 0.1:  # a short pause inside a phrase
            i += int(rng.integers(10, 25))
        length = int(rng.integers(18, 30))
        if i + length > nh - 10:
            break
        a, b = (vowels[rng.integers(len(vowels))] for _ in range(2))
        w = np.linspace(0, 1, length)[:, None]
        formants[i : i + length] = (1 - w) * a + w * b
        env[i : i + length] = np.sin(np.pi * np.linspace(0, 1, length)) ** 0.7
        if rng.random() < 0.4:
            fric[i : i + 4] = 1.0
        i += length
        left -= 1
    return render_voice(env, formants, fric, f0, rng, n, hop, level_dbfs, sample_rate)


def render_voice(env: npt.NDArray[np.float64], formants: npt.NDArray[np.float64], fric: npt.NDArray[np.float64],
                 f0: float, rng: np.random.Generator, n: int, hop: int, level_dbfs: float,
                 sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.int16]:
    """``n`` samples of a voice from its plan in steps of ``hop`` samples: the envelope
    ``env``, three formants per step and frication bursts ``fric``; a pitch wandering around
    ``f0``; ``level_dbfs`` the RMS while voiced."""
    nh = len(env)
    grid = np.arange(nh) * hop
    index = np.arange(n)
    steps = np.arange(nh) * hop / sample_rate
    f0c = f0 * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * steps + rng.random() * 6)
                + 0.03 * rng.standard_normal(nh).cumsum() / np.sqrt(nh))
    phase = 2 * np.pi * np.cumsum(np.interp(index, grid, f0c)) / sample_rate
    out = np.zeros(n)
    for k in range(1, int(5000 / f0) + 1):  # harmonics shaped by three formants
        fk = k * f0c
        amp = sum((1.0 / (j + 1)) / (1 + ((fk - formants[:, j]) / bw) ** 2)
                  for j, bw in enumerate(_FORMANT_WIDTHS))
        out += np.interp(index, grid, amp / np.sqrt(k)) * np.sin(k * phase)
    envelope = np.interp(index, grid, env)
    out *= envelope
    out += np.diff(rng.standard_normal(n + 1)) * np.std(out) * np.interp(index, grid, fric)
    voiced = envelope > 0.3
    out *= FULL_SCALE * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(out[voiced] ** 2))
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


class Talker:
    """Someone who talks on and on: ``speech`` of ``seconds``, looped, as a function of time.

    ``samples(start, count)`` are the samples from ``start`` on (any integer, negative too).
    A loop longer than the lags anyone searches (1 s) can never be mistaken for an echo.
    """

    def __init__(self, seed: int, *, seconds: float = 12.0, level_dbfs: float = -20.0,
                 f0: float | None = None) -> None:
        self.seed = seed
        self.loop = speech(seconds, seed, f0=f0, level_dbfs=level_dbfs).astype(np.float32)

    def samples(self, start: int, count: int) -> npt.NDArray[np.float32]:
        n = len(self.loop)
        first = start % n
        if first + count <= n:
            return self.loop[first : first + count]
        return np.take(self.loop, np.arange(first, first + count) % n)

