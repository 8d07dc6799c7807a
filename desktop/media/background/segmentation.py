"""Finding the person: the selfie segmentation model (``SelfieSegmenter``) and the temporal
smoothing of its mask (``MaskSmoother``)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .effect import default_model_path

__all__ = ["MaskSmoother", "Segmenter", "SelfieSegmenter"]


# -- the segmenter ------------------------------------------------------------------------------


class Segmenter(Protocol):
    """Finds the person: ``mask`` takes an RGB picture of ``input_size`` (width, height) as an
    HxWx3 uint8 array and returns an HxW float32 array of person probabilities in 0..1."""

    input_size: tuple[int, int]

    def mask(self, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]: ...


class SelfieSegmenter:
    """MediaPipe's selfie segmentation (landscape, 144x256) on the TensorFlow Lite runtime.

    Input: RGB in [0, 1] as float32, 1x144x256x3, the picture stretched to that size (as
    MediaPipe's own graph does); output 1x144x256x1, the person probability. About 1.2 ms a
    picture on one thread. An interpreter must stay in the thread that uses it: create and use
    a SelfieSegmenter in one thread (BackgroundEffectTrack does both in its worker).
    """

    def __init__(self, model_path: str | os.PathLike[str] | None = None, *, threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        path = Path(model_path) if model_path is not None else default_model_path()
        self.model_path = path
        self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self._interpreter.allocate_tensors()
        (inp,) = self._interpreter.get_input_details()
        (out,) = self._interpreter.get_output_details()
        _, height, width, channels = (int(v) for v in inp["shape"])
        if channels != 3 or inp["dtype"] != np.float32:
            raise ValueError(f"unexpected model input {inp['shape']} {inp['dtype']} in {path}")
        self.input_size = (width, height)
        self._input = inp["index"]
        self._output = out["index"]

    @staticmethod
    def why_unavailable() -> str | None:
        """None when background effects can run here, else why not (for the log)."""
        try:
            importlib.import_module("ai_edge_litert.interpreter")
        except Exception as error:  # not installed (no wheel for this platform) or will not load
            return f"the TensorFlow Lite runtime (ai-edge-litert) is not available: {error}"
        try:
            default_model_path()
        except FileNotFoundError as error:
            return str(error)
        return None

    @classmethod
    def available(cls) -> bool:
        """Whether background effects can run on this computer (see ``why_unavailable``)."""
        return cls.why_unavailable() is None

    def mask(self, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        width, height = self.input_size
        if rgb.shape != (height, width, 3):
            raise ValueError(f"expected a {width}x{height} RGB picture, got shape {rgb.shape}")
        tensor = rgb.astype(np.float32)[None]
        tensor *= np.float32(1.0 / 255.0)
        self._interpreter.set_tensor(self._input, tensor)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0, :, :, 0]


# -- temporal smoothing of the mask ---------------------------------------------------------------


class MaskSmoother:
    """Turns the segmenter's per-frame probabilities into a steady alpha (1 = person).

    Over time: ``s = p + (s_prev - p) * keep(p)``, where ``keep`` grows from ``keep_sure`` where
    the model is sure (p near 0 or 1) to ``keep_unsure`` where it hesitates (p near 0.5), as
    MediaPipe's segmentation smoothing does: hesitant edges stop flickering, and a clear move is
    followed within two frames. Then ``alpha = clip((s - low) / (high - low), 0, 1)`` (clear
    person exactly 1, clear background exactly 0) and a 3x3 binomial feather.
    """

    def __init__(self, keep_sure: float = 0.35, keep_unsure: float = 0.8,
                 low: float = 0.25, high: float = 0.75) -> None:
        if not 0 <= keep_sure <= keep_unsure < 1 or not 0 <= low < high <= 1:
            raise ValueError("need 0 <= keep_sure <= keep_unsure < 1 and 0 <= low < high <= 1")
        self.keep_sure = np.float32(keep_sure)
        self.keep_unsure = np.float32(keep_unsure)
        self.low = np.float32(low)
        self.high = np.float32(high)
        self._state: npt.NDArray[np.float32] | None = None

    def reset(self) -> None:
        self._state = None

    def update(self, probability: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        p = np.clip(np.asarray(probability, dtype=np.float32), 0.0, 1.0)
        previous = self._state
        if previous is None or previous.shape != p.shape:
            state = p.copy()
        else:
            doubt = 2.0 * p - 1.0
            doubt *= doubt  # 0 where unsure, 1 where sure
            keep = self.keep_unsure - (self.keep_unsure - self.keep_sure) * doubt
            state = p + (previous - p) * keep
        self._state = state
        alpha = np.clip((state - self.low) * (1.0 / (self.high - self.low)), 0.0, 1.0, dtype=np.float32)
        return _feather(alpha)


def _feather(alpha: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A 3x3 binomial blur (weights 1 2 1 / 4 each way, edges repeated): exact on flat areas."""
    p = np.pad(alpha, 1, mode="edge")
    rows = (p[:-2] + 2.0 * p[1:-1] + p[2:]) * 0.25
    return ((rows[:, :-2] + 2.0 * rows[:, 1:-1] + rows[:, 2:]) * 0.25).astype(np.float32, copy=False)
