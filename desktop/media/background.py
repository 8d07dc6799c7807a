"""Background effects for the camera: blur (light, strong) or a replacement picture. No Qt.

The person is found by a segmenter (MediaPipe's selfie segmentation "landscape" model, run by the
TensorFlow Lite runtime of the ``ai-edge-litert`` package; the model ships in
``resources/models/`` with its licence). Everything here works on the camera's own planes:

1. The frame is brought to ``yuv420p`` once (most cameras already are), then scaled down with
   swscale to the model's input (256x144 RGB, stretched, as MediaPipe does) for the segmenter.
2. ``MaskSmoother`` smooths the person probability over time, more where the model is unsure
   (so hair and hand edges do not flicker, yet a confident change follows within two frames),
   maps it through a ramp so that clear person pixels get exactly 1 and clear background exactly
   0, and feathers it slightly.
3. ``BackgroundCompositor`` scales that alpha up to the frame's luma and chroma sizes (swscale),
   builds the background — the frame shrunk to about a twelfth (strong) or a sixth (light) of
   its height, blurred there with the person weighted out (so no halo of the person's colours),
   then scaled back up; or the chosen picture, scaled to cover the frame (cropped, never
   stretched) — and blends ``out = (fg * a + bg * (256 - a) + 128) >> 8`` in 16-bit integers,
   so pixels with alpha 1 come out exactly as they went in.
4. ``BackgroundEffectTrack`` wraps the camera track: with an effect on, ``recv`` runs 1–3 in one
   dedicated worker thread (never on the event loop, which under qasync is the GUI thread).
   ``LoadGovernor`` watches the time that takes: when the machine cannot keep up, the effect
   updates the mask (and a blurred background) on fewer frames, never dropping camera frames,
   and ``on_degraded`` is called once. An exception in the effect never loses a frame: it is
   logged once and the frame passes through.

The effect lives as a string in the settings (``BackgroundEffect.to_setting``). Resources are
found through ``desktop/assets.py``, like every bundled file.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import importlib
import logging
import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from ..assets import asset_path, resource_roots
from ..translatable import QT_TRANSLATE_NOOP

__all__ = [
    "NONE",
    "BackgroundCompositor",
    "BackgroundEffect",
    "BackgroundEffectTrack",
    "LoadGovernor",
    "MaskSmoother",
    "Segmenter",
    "SelfieSegmenter",
    "bundled_backgrounds",
    "default_model_path",
    "resolve_background_image",
]

logger = logging.getLogger(__name__)

MODEL_FILE = "models/selfie_segmentation_landscape.tflite"
BACKGROUNDS_DIR = "backgrounds"
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")

# what the user is told (the UI translates them with the context "Background")
DEGRADED_MESSAGE = QT_TRANSLATE_NOOP(
    "Background",
    "Your computer is busy, so the background effect updates less often. Your camera is not affected.")
FAILED_MESSAGE = QT_TRANSLATE_NOOP("Background",
                                   "The background effect stopped working; your camera is sent without it.")
IMAGE_FAILED_MESSAGE = QT_TRANSLATE_NOOP(
    "Background", "The background picture could not be read; your background is blurred instead.")


# -- the effect, as chosen and as kept in the settings -------------------------------------------


@dataclass(frozen=True)
class BackgroundEffect:
    """What to do with the background: nothing, blur it, or replace it with a picture.

    ``image`` (for "replace") is either the file name of a bundled background
    (``bundled_backgrounds()``, e.g. ``"warm-bokeh.jpg"``) or a path to the user's own picture.
    """

    kind: Literal["none", "blur", "replace"] = "none"
    strength: Literal["light", "strong"] = "strong"
    image: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("none", "blur", "replace"):
            raise ValueError(f"unknown background effect {self.kind!r}")
        if self.strength not in ("light", "strong"):
            raise ValueError(f"unknown blur strength {self.strength!r}")
        if self.kind == "replace" and not self.image:
            raise ValueError("a replacement background needs an image")

    @property
    def active(self) -> bool:
        return self.kind != "none"

    def to_setting(self) -> str:
        """``"none"``, ``"blur:light"``, ``"blur:strong"`` or ``"replace:<image>"``."""
        if self.kind == "blur":
            return f"blur:{self.strength}"
        if self.kind == "replace":
            return f"replace:{self.image}"
        return "none"

    @classmethod
    def from_setting(cls, value: object) -> BackgroundEffect:
        """The effect a settings string names; anything unknown or malformed is no effect."""
        if not isinstance(value, str):
            return NONE
        kind, _, rest = value.strip().partition(":")
        try:
            if kind == "blur":
                return cls("blur", rest or "strong")  # type: ignore[arg-type]
            if kind == "replace" and rest:
                return cls("replace", image=rest)
        except ValueError:
            pass
        return NONE


NONE = BackgroundEffect()


# -- resources ------------------------------------------------------------------------------------


def _resource(relative: str) -> Path | None:
    try:
        return asset_path(relative)
    except FileNotFoundError:
        return None


def default_model_path() -> Path:
    """The bundled selfie segmentation model; FileNotFoundError naming where it looked."""
    return asset_path(MODEL_FILE)


def bundled_backgrounds() -> list[str]:
    """File names of the replacement pictures that come with Parley, sorted."""
    names: set[str] = set()
    for root in resource_roots():
        folder = root / BACKGROUNDS_DIR
        if folder.is_dir():
            names.update(p.name for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
    return sorted(names)


def resolve_background_image(image: str) -> Path:
    """The file behind a ``BackgroundEffect.image``: a bundled name or the user's own path."""
    if "/" not in image and "\\" not in image:
        bundled = _resource(f"{BACKGROUNDS_DIR}/{image}")
        if bundled is not None:
            return bundled
    return Path(image).expanduser()


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


# -- image helpers ---------------------------------------------------------------------------------


try:  # PyAV 17+: swscale may use several threads; we keep to the worker's own one
    av.VideoFrame(2, 2, "gray").reformat(width=4, height=4, threads=1)
    _ONE_THREAD: dict[str, Any] = {"threads": 1}
except TypeError:  # older PyAV: single-threaded anyway
    _ONE_THREAD = {}


def _reformat(frame: av.VideoFrame, **kwargs: Any) -> av.VideoFrame:
    return frame.reformat(**kwargs, **_ONE_THREAD)


def _plane_view(plane: Any) -> npt.NDArray[np.uint8]:
    """A writable HxW view of a video plane, honouring its line stride."""
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def _resize_gray(values: npt.NDArray[np.uint8], width: int, height: int, interpolation: str) -> npt.NDArray[np.uint8]:
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(values), format="gray")
    return _reformat(frame, width=width, height=height, interpolation=interpolation).to_ndarray()


def _box_blur(a: npt.NDArray[np.float32], radius: int, axis: int) -> npt.NDArray[np.float32]:
    """Mean over 2r+1 samples along ``axis`` (-1 or -2; edges repeated). For small radii."""
    if radius <= 0:
        return a
    pad = [(0, 0)] * a.ndim
    pad[axis] = (radius, radius)
    padded = np.pad(a, pad, mode="edge")
    n = a.shape[axis]

    def shifted(k: int) -> npt.NDArray[np.float32]:
        return padded[..., k : k + n] if axis == -1 else padded[..., k : k + n, :]

    out = shifted(0).copy()
    for k in range(1, 2 * radius + 1):
        out += shifted(k)
    out *= np.float32(1.0 / (2 * radius + 1))
    return out


def _blur(a: npt.NDArray[np.float32], radius: int, passes: int) -> npt.NDArray[np.float32]:
    for _ in range(passes):
        a = _box_blur(_box_blur(a, radius, -1), radius, -2)
    return a


def _copy_colour(source: av.VideoFrame, target: av.VideoFrame) -> None:
    for attribute in ("colorspace", "color_range"):
        try:
            setattr(target, attribute, getattr(source, attribute))
        except (AttributeError, TypeError, ValueError):
            pass


def load_picture(path: str | os.PathLike[str]) -> av.VideoFrame:
    """The first picture of an image file (JPEG, PNG, WebP...) as an rgb24 frame."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            return frame.reformat(format="rgb24")
    raise ValueError(f"no picture in {path}")


def cover(picture: av.VideoFrame, width: int, height: int) -> av.VideoFrame:
    """``picture`` scaled to fill width x height, cropped (centred), never stretched."""
    rgb = picture.to_ndarray(format="rgb24")
    src_h, src_w = rgb.shape[:2]
    if src_w * height > width * src_h:  # wider than the frame: crop the sides
        keep_w = max(1, round(src_h * width / height))
        left = (src_w - keep_w) // 2
        rgb = rgb[:, left : left + keep_w]
    else:  # taller: crop top and bottom
        keep_h = max(1, round(src_w * height / width))
        top = (src_h - keep_h) // 2
        rgb = rgb[top : top + keep_h]
    cropped = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    return _reformat(cropped, width=width, height=height, interpolation="AREA")


class ImageUnavailable(Exception):
    """The replacement picture cannot be read."""


# -- the compositor --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BlurLook:
    scale: float  # the height of the working picture, as a share of the frame's
    radius: int  # box radius there
    passes: int


_BLUR = {"light": _BlurLook(1 / 6, 1, 2), "strong": _BlurLook(1 / 12, 2, 2)}
_WEIGHT_FLOOR = np.float32(0.02)  # where no background is near, fall back to the plain blur


class BackgroundCompositor:
    """Applies a ``BackgroundEffect`` to camera frames with a ``Segmenter``. One thread at a time.

    ``apply(frame, effect, segment=False)`` re-uses the last mask (for a lower effect rate);
    ``refresh_background=False`` re-uses the last blurred background of the same size.
    ``alpha`` is the last smoothed alpha at the model's size (1 = person).
    """

    def __init__(self, segmenter: Segmenter, smoother: MaskSmoother | None = None,
                 picture_loader: Callable[[str], av.VideoFrame] | None = None) -> None:
        self.segmenter = segmenter
        self.smoother = smoother or MaskSmoother()
        self.alpha: npt.NDArray[np.float32] | None = None
        self._load_picture = picture_loader or (lambda image: load_picture(resolve_background_image(image)))
        self._planes_alpha: tuple[tuple[int, int], list[tuple[Any, Any]]] | None = None
        self._blurred: tuple[tuple[int, int, str], list[npt.NDArray[np.uint16]]] | None = None
        self._pictures: dict[str, av.VideoFrame] = {}
        self._unreadable: dict[str, str] = {}  # image -> why, until the next reset
        self._covers: dict[tuple[str, int, int, int, int], list[npt.NDArray[np.uint16]]] = {}

    def reset(self) -> None:
        """Forget the mask history (the effect was off for a while, or the scene changed)."""
        self.smoother.reset()
        self._unreadable.clear()
        self.alpha = None
        self._planes_alpha = None
        self._blurred = None

    # the steps, separately, for the bench and the tests
    def update_mask(self, frame: av.VideoFrame) -> npt.NDArray[np.float32]:
        width, height = self.segmenter.input_size
        small = _reformat(frame, width=width, height=height, format="rgb24", interpolation="AREA")
        probability = self.segmenter.mask(small.to_ndarray())
        if probability.shape != (height, width):
            raise ValueError(f"segmenter returned shape {probability.shape}, expected {(height, width)}")
        self.alpha = self.smoother.update(probability)
        self._planes_alpha = None
        return self.alpha

    def apply(self, frame: av.VideoFrame, effect: BackgroundEffect, *, segment: bool = True,
              refresh_background: bool = True) -> av.VideoFrame:
        """A new yuv420p frame with the effect (the frame itself when the effect is none)."""
        if not effect.active:
            return frame
        yuv = frame if frame.format.name == "yuv420p" else _reformat(frame, format="yuv420p")
        if segment or self.alpha is None:
            self.update_mask(yuv)
        return self.compose(yuv, effect, refresh_background=refresh_background, source=frame)

    def compose(self, yuv: av.VideoFrame, effect: BackgroundEffect, *, refresh_background: bool = True,
                source: av.VideoFrame | None = None) -> av.VideoFrame:
        """Blend ``yuv`` (yuv420p) over the effect's background with the current alpha."""
        assert self.alpha is not None, "update_mask first"
        if effect.kind == "replace":
            background = self._cover_planes(yuv, effect.image or "")
        else:
            background = self._blur_planes(yuv, effect.strength, refresh_background)
        alphas = self._alpha_planes(yuv)
        out = av.VideoFrame(yuv.width, yuv.height, "yuv420p")
        for index in range(3):
            fg = _plane_view(yuv.planes[index])
            weight, inverse = alphas[index]
            blended = fg.astype(np.uint16)
            blended *= weight
            blended += background[index] * inverse
            blended += 128
            blended >>= 8
            np.copyto(_plane_view(out.planes[index]), blended, casting="unsafe")
        _copy_colour(yuv, out)
        stamp = source if source is not None else yuv
        out.pts = stamp.pts
        if stamp.time_base is not None:
            out.time_base = stamp.time_base
        return out

    def _alpha_planes(self, yuv: av.VideoFrame) -> list[tuple[Any, Any]]:
        size = (yuv.width, yuv.height)
        if self._planes_alpha is not None and self._planes_alpha[0] == size:
            return self._planes_alpha[1]
        assert self.alpha is not None
        alpha8 = np.rint(self.alpha * 255.0).astype(np.uint8)
        planes = []
        for plane in yuv.planes[:2]:
            a8 = _resize_gray(alpha8, plane.width, plane.height, "BILINEAR")
            weight = a8.astype(np.uint16)
            weight += weight >> 7  # 0..255 -> 0..256: 255 means the camera pixel exactly
            planes.append((weight, 256 - weight))
        planes.append(planes[1])
        self._planes_alpha = (size, planes)
        return planes

    def _blur_planes(self, yuv: av.VideoFrame, strength: str, refresh: bool) -> list[npt.NDArray[np.uint16]]:
        key = (yuv.width, yuv.height, strength)
        if not refresh and self._blurred is not None and self._blurred[0] == key:
            return self._blurred[1]
        assert self.alpha is not None
        look = _BLUR[strength]
        low_h = max(4, round(yuv.height * look.scale))
        low_w = max(4, round(yuv.width * low_h / yuv.height))
        low = _reformat(yuv, width=low_w, height=low_h, format="yuv444p", interpolation="AREA")
        picture = low.to_ndarray().astype(np.float32)  # 3 x h x w
        person = _resize_gray(np.rint(self.alpha * 255.0).astype(np.uint8), low_w, low_h, "AREA")
        weight = 1.0 - person.astype(np.float32) * np.float32(1.0 / 255.0)
        # the background's own colours, weighted: the person does not bleed into it as a halo
        stack = np.concatenate([picture * weight, weight[None], picture])
        blurred = _blur(stack, look.radius, look.passes)
        num, den, plain = blurred[:3], blurred[3:4], blurred[4:]
        background = (num + _WEIGHT_FLOOR * plain) / (den + _WEIGHT_FLOOR)
        small = av.VideoFrame.from_ndarray(
            np.clip(np.rint(background), 0, 255).astype(np.uint8), format="yuv444p"
        )
        up = _reformat(small, width=yuv.width, height=yuv.height, format="yuv420p", interpolation="BICUBIC")
        planes = [_plane_view(p).astype(np.uint16) for p in up.planes]
        self._blurred = (key, planes)
        return planes

    def _cover_planes(self, yuv: av.VideoFrame, image: str) -> list[npt.NDArray[np.uint16]]:
        key = (image, yuv.width, yuv.height, int(yuv.colorspace or 0), int(yuv.color_range or 0))
        cached = self._covers.get(key)
        if cached is not None:
            return cached
        picture = self._pictures.get(image)
        if picture is None:
            if image in self._unreadable:
                raise ImageUnavailable(self._unreadable[image])
            try:
                picture = self._load_picture(image)
            except Exception as error:
                self._unreadable[image] = f"cannot read background picture {image!r}: {error}"
                raise ImageUnavailable(self._unreadable[image]) from error
            self._pictures = {image: picture}  # keep one picture decoded
        covered = cover(picture, yuv.width, yuv.height)
        options: dict[str, Any] = {}
        if yuv.colorspace == 1:  # BT.709
            options["dst_colorspace"] = "ITU709"
        if yuv.color_range == 2:  # full range (JPEG)
            options["dst_color_range"] = "JPEG"
        try:
            converted = _reformat(covered, format="yuv420p", **options)
        except (TypeError, ValueError):  # an older PyAV without these options
            converted = _reformat(covered, format="yuv420p")
        planes = [_plane_view(p).astype(np.uint16) for p in converted.planes]
        if len(self._covers) > 4:
            self._covers.clear()
        self._covers[key] = planes
        return planes


# -- keeping up ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectLevel:
    """How much of the work is done on each frame: the mask is found on one frame in
    ``segment_every``, a blurred background made on one in ``background_every``."""

    segment_every: int
    background_every: int


LEVELS = (EffectLevel(1, 1), EffectLevel(2, 1), EffectLevel(3, 2), EffectLevel(4, 4))


class LoadGovernor:
    """Lowers the effect's rate when the machine cannot keep up with the camera, and raises it
    again when it can. Not thread-safe: the track uses it on the event loop only.

    Each frame, ``plan()`` says whether to segment and whether to make a new blurred
    background; ``record(cost, interval)`` gives the effect's time for that frame and the
    camera's frame interval. When the mean cost over ``window`` frames exceeds
    ``budget * interval`` the level goes up; when it stays under ``budget * relax`` for
    ``relax_window`` frames it goes down. ``record`` returns True the first time it goes up.
    """

    def __init__(self, budget: float = 0.5, window: int = 15, relax: float = 0.3,
                 relax_window: int = 150, warmup: int = 3, levels: tuple[EffectLevel, ...] = LEVELS) -> None:
        self.budget = budget
        self.window = window
        self.relax = relax
        self.relax_window = relax_window
        self.levels = levels
        self.level = 0
        self.degraded_once = False
        self._warmup = warmup
        self._frame = 0
        self._costs: collections.deque[float] = collections.deque(maxlen=window)
        self._calm = 0

    @property
    def current(self) -> EffectLevel:
        return self.levels[self.level]

    def plan(self) -> tuple[bool, bool]:
        """(segment this frame, make a new blurred background for it)."""
        level = self.current
        frame, self._frame = self._frame, self._frame + 1
        return frame % level.segment_every == 0, frame % level.background_every == 0

    def reset(self) -> None:
        """A new effect or a restart: begin a new round at the current level, keep the counts."""
        self._costs.clear()
        self._frame = 0
        self._calm = 0

    def record(self, cost: float, interval: float) -> bool:
        if self._warmup > 0:  # the first frames load the model and warm its caches
            self._warmup -= 1
            return False
        self._costs.append(cost)
        if len(self._costs) < self.window:
            return False
        mean = sum(self._costs) / len(self._costs)
        allowed = self.budget * interval
        if mean > allowed and self.level + 1 < len(self.levels):
            self.level += 1
            self._costs.clear()
            self._calm = 0
            logger.info("background effect: %.1f ms a frame for a %.1f ms budget, level %d",
                        mean * 1000, allowed * 1000, self.level)
            first, self.degraded_once = not self.degraded_once, True
            return first
        if mean < allowed * self.relax and self.level > 0:
            self._calm += 1
            if self._calm >= self.relax_window:
                self.level -= 1
                self._costs.clear()
                self._calm = 0
        else:
            self._calm = 0
        return False


# -- the track -------------------------------------------------------------------------------------


class BackgroundEffectTrack(MediaStreamTrack):
    """A camera track with the background effect applied, off the event loop.

    ``recv`` awaits the camera's frame and, with an effect on, segments and composes it in one
    dedicated worker thread; the frame keeps its pts and time base. ``set_effect`` switches
    live. The first time the machine cannot keep up, ``on_degraded(message)`` is called (on
    the loop); when the effect cannot run at all (no runtime, no model, repeated errors) frames
    pass through unchanged and ``on_failed(message)`` is called once. ``stop()`` stops the
    camera and the worker.
    """

    kind = "video"
    _MAX_FAILURES = 10  # consecutive errors before the effect gives up

    def __init__(
        self,
        source: MediaStreamTrack,
        effect: BackgroundEffect = NONE,
        *,
        segmenter_factory: Callable[[], Segmenter] = SelfieSegmenter,
        on_degraded: Callable[[str], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        fps: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
        governor: LoadGovernor | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.on_degraded = on_degraded
        self.on_failed = on_failed
        self.governor = governor or LoadGovernor()
        self.frames_processed = 0
        self.failure: str | None = None
        self._effect = effect
        self._segmenter_factory = segmenter_factory
        self._clock = clock
        self._fixed_interval = 1.0 / fps if fps else None
        self._gaps: collections.deque[float] = collections.deque(maxlen=61)
        self._last_time: float | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._compositor: BackgroundCompositor | None = None  # worker thread only
        self._reset_pending = True
        self._errors = 0
        self._logged_error = False
        self._image_failed: str | None = None  # a message for the loop to pass on
        self._image_reported: str | None = None  # the unreadable picture already reported
        self._lock = threading.Lock()

    @property
    def effect(self) -> BackgroundEffect:
        return self._effect

    def set_effect(self, effect: BackgroundEffect) -> None:
        """Apply ``effect`` from the next frame on (any thread)."""
        with self._lock:
            previous, self._effect = self._effect, effect
            if effect != previous:
                self._errors = 0
                self.failure = None  # the user chose again: try again
                self._image_reported = None
                if not previous.active:
                    self._reset_pending = True

    @property
    def interval(self) -> float:
        """The camera's frame interval: as given, else the median gap between frames."""
        if self._fixed_interval is not None:
            return self._fixed_interval
        if len(self._gaps) < 3:
            return 1 / 30
        return statistics.median(self._gaps)

    def _note_time(self, frame: Any) -> None:
        if frame.pts is None or frame.time_base is None:
            return
        now = float(frame.pts * frame.time_base)
        if self._last_time is not None and now > self._last_time:
            self._gaps.append(min(max(now - self._last_time, 1 / 240), 0.5))
        self._last_time = now

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        try:
            frame = await self.source.recv()
        except MediaStreamError:
            self.stop()
            raise
        self._note_time(frame)
        with self._lock:
            effect = self._effect
            reset, self._reset_pending = self._reset_pending, False
        if not effect.active or self.failure is not None:
            with self._lock:
                self._reset_pending = True
            return frame
        if reset:
            self.governor.reset()
        segment, refresh = self.governor.plan()
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="background-effect")
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._process, frame, effect, segment, refresh, reset
            )
        except RuntimeError:  # the executor was shut down: we were stopped meanwhile
            if self.readyState != "live":
                raise MediaStreamError from None
            return frame
        out, cost, error = result
        if error is not None:
            self._on_error(error)
            return frame
        self._errors = 0
        self.frames_processed += 1
        if self._image_failed is not None:
            message, self._image_failed = self._image_failed, None
            self._tell(self.on_failed, message)
        if cost is not None and self.governor.record(cost, self.interval):
            self._tell(self.on_degraded, DEGRADED_MESSAGE)
        return out

    def _process(self, frame: av.VideoFrame, effect: BackgroundEffect, segment: bool, refresh: bool,
                 reset: bool) -> tuple[av.VideoFrame, float | None, Exception | None]:
        """In the worker thread: (the frame with the effect, seconds it took, error or None)."""
        try:
            if self._compositor is None:
                self._compositor = BackgroundCompositor(self._segmenter_factory())
            compositor = self._compositor
            if reset:
                compositor.reset()
            start = self._clock()
            try:
                out = compositor.apply(frame, effect, segment=segment, refresh_background=refresh)
            except ImageUnavailable as error:
                if self._image_reported != effect.image:
                    self._image_reported = effect.image
                    self._image_failed = IMAGE_FAILED_MESSAGE
                    logger.warning("%s; blurring instead", error)
                # the mask of this frame is made already: only the background changes
                out = compositor.apply(frame, BackgroundEffect("blur", "strong"), segment=False,
                                       refresh_background=refresh)
            return out, self._clock() - start, None
        except Exception as error:  # any failure: the frame passes through
            return frame, None, error

    def _on_error(self, error: Exception) -> None:
        self._errors += 1
        if not self._logged_error:
            self._logged_error = True
            logger.error("background effect failed; frames pass through unchanged",
                         exc_info=(type(error), error, error.__traceback__))
        permanent = self._compositor is None  # the segmenter could not even be made
        if permanent or self._errors >= self._MAX_FAILURES:
            self.failure = f"{type(error).__name__}: {error}"
            logger.error("background effect turned off: %s", self.failure)
            self._tell(self.on_failed, FAILED_MESSAGE)

    def _tell(self, callback: Callable[[str], None] | None, message: str) -> None:
        if callback is None:
            return
        try:
            callback(message)
        except Exception:
            logger.exception("background effect: callback failed")

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
        self.source.stop()
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
