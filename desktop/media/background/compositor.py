"""``BackgroundCompositor``: the person's mask up to the frame's planes, the background built
(blurred, or a picture scaled to cover), and the two blended in 16-bit integers.

The mask's edge is where coloured fringes come from: there the camera's own background (a
bookshelf, a window) shows through, sharp, around hair and shoulders. So the edge is tightened
(``EDGE``: a smoothstep that drops the mask's unsure outer half and keeps the feather inside),
and where the mask is not sure the person's pixels are decontaminated: mixed towards the
person's own colours spread outwards (a person-weighted blur, premultiplied by the mask, like
the background's own person-free blur), so no sharp background detail survives at the edge."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from .effect import BackgroundEffect, resolve_background_image
from .segmentation import MaskSmoother, Segmenter

__all__ = ["BackgroundCompositor", "ImageUnavailable", "cover", "load_picture"]


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
EDGE = (0.5, 0.98)
"""The mask's edge as a smoothstep from these alphas: below the first, background; above the
second, the person; in between a soft edge, narrower than the model's."""
_PERSON = _BlurLook(1 / 6, 1, 2)  # the person's colours, spread for the edge



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
        self._person: tuple[tuple[int, int, str], list[npt.NDArray[np.uint16]]] | None = None
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
        self._person = None

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
        person = self._person_planes(yuv, refresh_background)
        out = av.VideoFrame(yuv.width, yuv.height, "yuv420p")
        for index in range(3):
            fg = _plane_view(yuv.planes[index])
            weight, inverse, sure, unsure = alphas[index]
            blended = fg.astype(np.uint16)  # the person: the camera where sure, else their spread colours
            blended *= sure
            blended += person[index] * unsure
            blended >>= 8
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

    def _alpha_planes(self, yuv: av.VideoFrame) -> list[tuple[Any, Any, Any, Any]]:
        """Per plane: (weight, 256 - weight) of the tightened mask, and (sure, 256 - sure) of how
        far the camera's own pixel is trusted (the weight squared: 1 inside, falling at the edge)."""
        size = (yuv.width, yuv.height)
        if self._planes_alpha is not None and self._planes_alpha[0] == size:
            return self._planes_alpha[1]
        assert self.alpha is not None
        low, high = EDGE
        t = np.clip((self.alpha - np.float32(low)) * np.float32(1.0 / (high - low)), 0.0, 1.0)
        edge = t * t * (3.0 - 2.0 * t)
        alpha8 = np.rint(edge * 255.0).astype(np.uint8)
        planes = []
        for plane in yuv.planes[:2]:
            a8 = _resize_gray(alpha8, plane.width, plane.height, "BILINEAR")
            weight = a8.astype(np.uint16)
            weight += weight >> 7  # 0..255 -> 0..256: 255 means the camera pixel exactly
            sure = weight >> 1  # the weight squared, in 16 bits: w * (w / 2) / 128 (256 stays 256)
            sure *= weight
            sure >>= 7
            planes.append((weight, 256 - weight, sure, 256 - sure))
        planes.append(planes[1])
        self._planes_alpha = (size, planes)
        return planes

    def _person_planes(self, yuv: av.VideoFrame, refresh: bool) -> list[npt.NDArray[np.uint16]]:
        """The person's colours spread past their edge: a blur weighted by the mask (so the
        background does not bleed in), at a sixth of the size, scaled back up."""
        key = (yuv.width, yuv.height, "person")
        if not refresh and self._person is not None and self._person[0] == key:
            return self._person[1]
        assert self.alpha is not None
        low_h = max(4, round(yuv.height * _PERSON.scale))
        low_w = max(4, round(yuv.width * low_h / yuv.height))
        low = _reformat(yuv, width=low_w, height=low_h, format="yuv444p", interpolation="AREA")
        picture = low.to_ndarray().astype(np.float32)
        weight = _resize_gray(np.rint(self.alpha * 255.0).astype(np.uint8), low_w, low_h, "AREA")
        weight = weight.astype(np.float32) * np.float32(1.0 / 255.0)
        blurred = _blur(np.concatenate([picture * weight, weight[None], picture]), _PERSON.radius, _PERSON.passes)
        spread = (blurred[:3] + _WEIGHT_FLOOR * blurred[4:]) / (blurred[3:4] + _WEIGHT_FLOOR)
        small = av.VideoFrame.from_ndarray(np.clip(np.rint(spread), 0, 255).astype(np.uint8), format="yuv444p")
        up = _reformat(small, width=yuv.width, height=yuv.height, format="yuv420p", interpolation="BILINEAR")
        planes = [_plane_view(p).astype(np.uint16) for p in up.planes]
        self._person = (key, planes)
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
