"""What came back from the room: the audio received from a remote participant, and how strongly a
talker's voice is in it.

``ReceivedAudio`` records what one remote participant sent us (cheap per frame: a mono copy), and
``voice_correlation`` finds, once at the end, how strongly a talker's voice is in it (the
normalized cross-correlation of the two spectrograms, peak over lags of 0-1 s, median over 2 s
windows). No Qt here: numpy and PyAV.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np
import numpy.typing as npt

from .talker import FULL_SCALE, SAMPLE_RATE

__all__ = ["Correlation", "ReceivedAudio", "voice_correlation"]


class ReceivedAudio:
    """The audio received from one remote participant, kept for a later look (up to
    ``max_seconds``; later frames are counted, not kept).

    ``add`` costs a mono copy per frame. Received frames are played out on a 20 ms grid (their
    pts counts the samples played), so a stretch of frames with consecutive pts is one piece of
    time; ``segments()`` places each such stretch on the monotonic clock by its earliest arrival
    (the least delayed by the event loop) and starts a new one where the pts or the arrival
    jumps (the stream stopped and started again).
    """

    def __init__(self, max_seconds: float = 60.0) -> None:
        self.max_samples = int(max_seconds * SAMPLE_RATE)
        self.kept = 0
        self.frames = 0
        self._frames: list[tuple[int, float, npt.NDArray[np.float32]]] = []

    def add(self, frame: av.AudioFrame, arrived: float) -> None:
        self.frames += 1
        if self.kept >= self.max_samples or frame.sample_rate != SAMPLE_RATE:
            return  # (our receive path always plays 48 kHz)
        data = frame.to_ndarray()
        channels = len(frame.layout.channels)
        if frame.format.is_planar:
            mono = data.mean(axis=0, dtype=np.float32) if channels > 1 else data[0].astype(np.float32)
        else:
            mono = data.reshape(-1, channels).mean(axis=1, dtype=np.float32)
        pts = int(frame.pts) if frame.pts is not None else None
        if pts is None:
            pts = self._frames[-1][0] + len(self._frames[-1][2]) if self._frames else 0
        self._frames.append((pts, arrived, mono))
        self.kept += len(mono)

    def segments(self) -> list[tuple[float, npt.NDArray[np.float32]]]:
        """(monotonic time of the first sample, samples) per stretch of contiguous frames."""
        frames = self._frames
        if not frames:
            return []
        pts = np.array([f[0] for f in frames], dtype=np.int64)
        lengths = np.array([len(f[2]) for f in frames], dtype=np.int64)
        arrived = np.array([f[1] for f in frames])
        # seconds between a frame's arrival and its place in the stream: the loop's delays come
        # and go (a late frame, then a burst), a jump in the time line stays
        offset = arrived - pts / SAMPLE_RATE
        contiguous = np.ones(len(frames), dtype=bool)
        contiguous[1:] = pts[1:] == pts[:-1] + lengths[:-1]
        breaks = [int(i) for i in np.flatnonzero(~contiguous[1:]) + 1] + [len(frames)]
        ahead = 10  # frames (200 ms) to look ahead, within the stretch, before calling a jump a jump
        later = np.empty(len(frames))
        stretch_start = 0
        for stretch_end in breaks:
            for i in range(stretch_start, stretch_end):
                later[i] = offset[i : min(i + ahead, stretch_end)].min()
            stretch_start = stretch_end
        out: list[tuple[float, npt.NDArray[np.float32]]] = []
        first = 0
        low = offset[0]
        for i in range(1, len(frames) + 1):
            if i < len(frames):
                if contiguous[i] and abs(later[i] - low) <= 0.05:
                    low = min(low, offset[i])
                    continue
            start = float(offset[first : i].min() + pts[first] / SAMPLE_RATE)
            out.append((start, np.concatenate([f[2] for f in frames[first:i]])))
            if i < len(frames):
                first, low = i, offset[i]
        return out


# The spectra voices are compared by: 40 ms Hann frames every 10 ms, 100-4000 Hz (25 Hz bins,
# fine enough to see each voice's own harmonics), magnitudes to the power 1/3 (loudness-like, so
# a quieter voice under a louder one still counts).
_SPEC_FRAME = 1920
_SPEC_HOP = 480
_SPEC_BINS = slice(4, 161)
_SPEC_POWER = 1 / 3
_SPEC_WINDOW = np.hanning(_SPEC_FRAME).astype(np.float32)


def _spectra(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Compressed magnitude spectra, one row per 10 ms hop (frame i starts at sample i * hop)."""
    count = (len(samples) - _SPEC_FRAME) // _SPEC_HOP + 1
    if count <= 0:
        return np.zeros((0, _SPEC_BINS.stop - _SPEC_BINS.start))
    frames = np.lib.stride_tricks.sliding_window_view(samples, _SPEC_FRAME)[::_SPEC_HOP][:count]
    magnitude = np.abs(np.fft.rfft(frames * _SPEC_WINDOW, axis=1))[:, _SPEC_BINS]
    return magnitude.astype(np.float64) ** _SPEC_POWER


@dataclass
class Correlation:
    """How strongly a talker's voice is in received audio, window by window.

    ``value``: the median of the per-window peaks of the normalized cross-correlation (0..1),
    the typical figure; ``peak``: the largest of them; ``lag_ms``: the lag at ``peak`` (from
    the talker's mouth to the received audio); ``seconds`` of received audio judged in
    ``windows`` (the per-window peaks).
    """

    value: float = 0.0
    peak: float = 0.0
    lag_ms: float | None = None
    seconds: float = 0.0
    windows: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"value": round(self.value, 3), "peak": round(self.peak, 3),
                "lag_ms": None if self.lag_ms is None else round(self.lag_ms, 1),
                "seconds": round(self.seconds, 1), "windows": len(self.windows)}


def _block_correlation(r: npt.NDArray[np.float64], s: npt.NDArray[np.float64], lags: int):
    """Spectrogram ``r`` (w frames) against ``s[j : j + w]`` for each shift j in 0..lags, both
    centred (each bin's and each frame's mean removed): the cross products, the energy of the
    centred ``r`` and of each centred stretch of ``s`` (from running sums)."""
    w, bins = r.shape
    r = r - r.mean(axis=0) - r.mean(axis=1, keepdims=True) + r.mean()
    er = float(np.sum(r * r))
    nfft = 1 << int(math.ceil(math.log2(2 * w + lags)))
    # r is centred, so s needs no centring for the cross products
    c = np.fft.irfft(np.conj(np.fft.rfft(r, nfft, axis=0)) * np.fft.rfft(s, nfft, axis=0),
                     nfft, axis=0)[: lags + 1].sum(axis=1)
    squares = np.concatenate(([0.0], np.cumsum(np.sum(s * s, axis=1))))
    rows = np.concatenate(([0.0], np.cumsum(np.mean(s, axis=1) ** 2)))
    cols = np.concatenate((np.zeros((1, bins)), np.cumsum(s, axis=0)))
    col_sums = cols[w : w + lags + 1] - cols[: lags + 1]
    es = (squares[w : w + lags + 1] - squares[: lags + 1]
          - bins * (rows[w : w + lags + 1] - rows[: lags + 1])
          - np.sum(col_sums**2, axis=1) / w + np.sum(col_sums, axis=1) ** 2 / (w * bins))
    return c, er, np.maximum(es, 0.0)


def voice_correlation(said: Callable[[int, int], npt.NDArray[np.float32]], origin: float,
                      received: ReceivedAudio, *, skip: float = 3.0, window: float = 2.0,
                      hop: float = 1.0, max_lag: float = 1.0, block: float = 0.5,
                      slack: float = 0.020, floor_dbfs: float = -55.0,
                      min_talk: float = 0.3) -> Correlation:
    """How strongly the voice ``said(start, count)`` (samples on a time line that starts at
    monotonic time ``origin``: a ``Room``'s) is in ``received``, ``0..max_lag`` s later.

    Voices are compared by their spectra over time (``_spectra``), not sample by sample: on its
    way a voice goes through voice processing (its band splitting and gains) and Opus in SILK
    mode (which keeps the spectrum, not the waveform), and its waveform no longer lines up
    with itself. In each ``window`` of received audio (every ``hop``; the first ``skip``
    seconds, while echo cancellation converges, are left out), the normalized correlation of
    the two spectrograms, centred (each bin's mean and each frame's mean removed: what is
    compared is which harmonics move when), is taken at every lag in 10 ms steps; the
    largest positive value is that window's peak. Jitter buffers splice 20 ms in or out while
    they settle (a late joiner's shrinks by up to 200 ms in its first 10 s), so within a window
    each ``block`` may sit up to ``slack`` off the window's lag. A received window quieter than
    ``floor_dbfs`` is skipped (nothing heard there), and so is one in which the talker talked
    less than ``min_talk`` of the time (nothing of theirs to hear there).

    Measured through a call (tests/test_echo_path.py, bench/voice.py --call): the other's own
    voice scores 0.75-0.95; ours coming back through a laptop's speaker at -6 dB under their
    speech, without echo cancellation, 0.36-0.56; a voice that is not there 0.08-0.13 (chance;
    a single window reaches 0.3 now and then, so judge the median, not one window).
    """
    segments = received.segments()
    step = _SPEC_HOP
    hop_frames = max(1, int(round(hop * SAMPLE_RATE / step)))
    w = int(round(window * SAMPLE_RATE / step))  # frames per window
    b = max(1, min(w, int(round(block * SAMPLE_RATE / step))))  # frames per block
    lags = int(round(max_lag * SAMPLE_RATE / step))  # lags 0..lags, in frames
    tol = int(round(slack * SAMPLE_RATE / step))
    m = lags * step
    floor = (FULL_SCALE * 10 ** (floor_dbfs / 20)) ** 2
    centre = np.arange(lags + 1)
    peaks: list[float] = []
    best_peak, best_lag = -1.0, None
    first = segments[0][0] + skip if segments else 0.0
    for start_time, samples in segments:
        begin = max(0, int(math.ceil((first - start_time) * SAMPLE_RATE / step)))
        received_spec = _spectra(samples)
        if len(received_spec) < begin + w:
            continue
        at = int(round((start_time - origin) * SAMPLE_RATE))  # room sample of samples[0]
        # said_spec[k] starts at room sample at - m + k * step: received frame i meets said
        # frame i + j, j = lags - lag, at a lag of ``lag`` frames
        said_spec = _spectra(said(at - m, len(samples) + m).astype(np.float32))
        for w0 in range(begin, len(received_spec) - w + 1, hop_frames):
            x = samples[w0 * step : w0 * step + (w - 1) * step + _SPEC_FRAME].astype(np.float64)
            if float(np.mean(x * x)) < floor:
                continue
            cross = np.zeros(lags + 1)
            said_energy = np.zeros(lags + 1)
            received_energy = 0.0
            for b0 in range(w0, w0 + w - b + 1, b):
                c, er, es = _block_correlation(received_spec[b0 : b0 + b],
                                               said_spec[b0 : b0 + b + lags], lags)
                if tol:  # each block at its best shift within the slack around each lag
                    padded = np.pad(c, tol, constant_values=-np.inf)
                    shift = np.argmax(np.lib.stride_tricks.sliding_window_view(padded, 2 * tol + 1),
                                      axis=1) - tol
                    pick = np.clip(centre + shift, 0, lags)
                    c, es = c[pick], es[pick]
                cross += c
                said_energy += es
                received_energy += er
            with np.errstate(divide="ignore", invalid="ignore"):
                rho = np.where(said_energy > 1e-12,
                               cross / np.sqrt(received_energy * np.maximum(said_energy, 1e-12)), 0.0)
            j = int(np.argmax(rho))
            spoken = said(at + (w0 - lags + j) * step, w * step)  # what the talker said then
            frames = spoken[: len(spoken) // step * step].reshape(-1, step).astype(np.float64)
            if np.mean(np.mean(frames * frames, axis=1) > floor) < min_talk:
                continue
            peak = max(0.0, float(rho[j]))
            peaks.append(peak)
            if peak > best_peak:
                best_peak, best_lag = peak, (lags - j) * step * 1000 / SAMPLE_RATE
    if not peaks:
        return Correlation()
    return Correlation(float(np.median(peaks)), best_peak, best_lag,
                       (len(peaks) - 1) * hop + window, peaks)
