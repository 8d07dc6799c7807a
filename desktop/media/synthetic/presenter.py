"""A synthetic presenter: a person at a desk camera in front of a bookshelf, for background effects."""

from __future__ import annotations

import math

import av
import numpy as np
import numpy.typing as npt

from .patterns import NEUTRAL, plane_view
from .stamp import Stamp, stamp_height, write_stamp

__all__ = ["PresenterPattern"]


def _coverage(distance: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """How much of each pixel a shape covers, from a distance inside its edge (in pixels)."""
    return np.clip(distance + 0.5, 0.0, 1.0)


def _blob(xx: npt.NDArray[np.float32], yy: npt.NDArray[np.float32], cx: float, cy: float,
          rx: float, ry: float, power: float = 2.0, open_below: bool = False) -> npt.NDArray[np.float32]:
    """Coverage of a superellipse (``power`` 2: an ellipse; higher: squarer), anti-aliased.
    ``open_below``: it goes on straight down from its widest row (a torso to the frame's edge)."""
    dy = yy - cy
    if open_below:
        dy = np.minimum(dy, 0.0)
    radius = (np.abs((xx - cx) / rx) ** power + np.abs(dy / ry) ** power) ** (1.0 / power)
    return _coverage((1.0 - radius) * min(rx, ry))


def _paint(canvas: npt.NDArray[np.float32], coverage: npt.NDArray[np.float32], colour) -> None:
    """Lay ``colour`` (an RGB triple, or an HxWx3 array) over ``canvas`` where ``coverage`` says."""
    canvas += (np.asarray(colour, np.float32) - canvas) * coverage[..., None]


def _to_yuv420(rgb: npt.NDArray[np.float32]) -> list[npt.NDArray[np.uint8]]:
    """RGB in 0..1 (HxWx3, even sizes) as yuv420p planes (BT.601 video range, as cameras give)."""
    frame = av.VideoFrame.from_ndarray(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8), format="rgb24")
    return [plane_view(plane).copy() for plane in frame.reformat(format="yuv420p").planes]


def _soften(rgb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A 3x3 binomial blur, as a camera's lens would soften hard painted edges."""
    p = np.pad(rgb, ((1, 1), (1, 1), (0, 0)), mode="edge")
    rows = (p[:-2] + 2 * p[1:-1] + p[2:]) * 0.25
    return (rows[:, :-2] + 2 * rows[:, 1:-1] + rows[:, 2:]) * 0.25


class _Sprite:
    """A picture with an alpha, ready to blend onto yuv420p planes: per plane, the colour
    already multiplied by the alpha (in 1/256ths, plus the rounding) and 256 minus the alpha."""

    def __init__(self, rgb: npt.NDArray[np.float32], alpha: npt.NDArray[np.float32]) -> None:
        height, width = alpha.shape
        assert width % 2 == 0 and height % 2 == 0
        luma_alpha = np.round(alpha * 256).astype(np.uint16)
        chroma_alpha = np.round(alpha.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3)) * 256)
        self.planes = []
        for plane, a in zip(_to_yuv420(rgb), (luma_alpha, chroma_alpha, chroma_alpha), strict=True):
            a = a.astype(np.uint16)
            self.planes.append((plane.astype(np.uint16) * a + 128, 256 - a))

    def blend(self, planes: list[npt.NDArray[np.uint8]], x: int, y: int) -> None:
        """Blend over the planes with the top-left corner at (x, y) (even), clipped to them."""
        for index, (target, (colour, keep)) in enumerate(zip(planes, self.planes, strict=True)):
            shift = 0 if index == 0 else 1
            tx, ty = x >> shift, y >> shift
            height, width = target.shape
            x0, y0 = max(tx, 0), max(ty, 0)
            x1, y1 = min(tx + colour.shape[1], width), min(ty + colour.shape[0], height)
            if x0 >= x1 or y0 >= y1:
                continue
            region = target[y0:y1, x0:x1]
            mixed = region * keep[y0 - ty : y1 - ty, x0 - tx : x1 - tx]
            mixed += colour[y0 - ty : y1 - ty, x0 - tx : x1 - tx]
            mixed >>= 8
            region[...] = mixed


# The presenter's colours (RGB, 0..1).
_SKIN = (0.87, 0.67, 0.55)
_SKIN_SHADOW = (0.72, 0.52, 0.42)
_HAIR = (0.22, 0.14, 0.09)
_SWEATER = (0.17, 0.33, 0.52)
_SWEATER_DARK = (0.11, 0.22, 0.37)
_LIPS = (0.70, 0.40, 0.38)
_EYES = (0.16, 0.11, 0.09)


class PresenterPattern:
    """Renders stamped yuv420p frames of a person at a desk camera: a flat-shaded presenter
    (hair, face, neck, shoulders in a sweater) swaying gently and blinking now and then, in front
    of a busy bookshelf, a framed picture and a sideboard. Made for background effects: the selfie
    segmenter finds the person in it (bench/background.py measures the effects on it), and a blur
    or a picture behind them shows.

    The room and the person are drawn once (hair, body and head as sprites with soft edges, about
    40 ms at 640x360); a frame costs the three plane copies, three sprite blends and the stamp
    (about 0.1 ms at 640x360).
    """

    PERIOD = 180  # frames of one sway, left and back (6 s at 30 fps)
    BLINK_EVERY = 105  # frames from one blink to the next; a blink lasts 4 frames

    def __init__(self, width: int, height: int) -> None:
        if width < 80 or height < 48 or width % 2 or height % 2:
            raise ValueError(f"need an even size of at least 80x48, got {width}x{height}")
        self.width = width
        self.height = height
        self._s = s = height / 360  # the scene is drawn for 360 rows and scaled to the height
        self._room = _to_yuv420(_soften(self._draw_room()))
        # The stamp band: neutral chroma, so a stamp's colour does not depend on the room.
        band = (stamp_height(height) + 1) // 2
        self._room[1][:band] = NEUTRAL
        self._room[2][:band] = NEUTRAL
        self._sway = 30 * s  # pixels from the middle to either side
        # Three layers: the hair behind, the body (neck, shoulders, torso, down to the bottom of
        # the frame), the head (face, ears, fringe), with its eyes open and shut.
        self._body_half, self._body_top = int(math.ceil(156 * s)) + 1, int(178 * s) & ~1
        self._body = self._draw_body(2 * self._body_half, height - self._body_top)
        self._head_half, self._head_top = int(66 * s) + 2, int(70 * s) & ~1
        head_height = int(234 * s) + 2 - self._head_top & ~1
        self._hair = self._draw_hair(2 * self._head_half, head_height)
        self._heads = [self._draw_head(2 * self._head_half, head_height, blink) for blink in (False, True)]

    # -- drawing, once ------------------------------------------------------------------------

    def _grid(self, width: int, height: int, top: int):
        """A layer's pixel centres in scene units (360 rows; x from the person's middle)."""
        s = self._s
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        return (xx + 0.5 - width / 2) / s, (yy + 0.5 + top) / s

    def _draw_room(self) -> npt.NDArray[np.float32]:
        width, height, s = self.width, self.height, self._s
        rng = np.random.default_rng(7)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        img = np.empty((height, width, 3), np.float32)
        light = 1.05 - 0.18 * xx / width - 0.06 * yy / height  # a window to the left
        img[:] = np.array((0.80, 0.74, 0.64), np.float32) * light[..., None]

        def box(x0: float, y0: float, x1: float, y1: float, colour) -> None:
            img[max(int(y0), 0) : max(int(y1), 0), max(int(x0), 0) : max(int(x1), 0)] = colour

        # A tall bookshelf over the left two thirds.
        left, right = 0.02 * width, 0.64 * width
        wood, board_wood, inside = (0.70, 0.56, 0.38), (0.78, 0.63, 0.43), (0.52, 0.41, 0.28)
        box(left, 0, right, height, wood)
        post = max(2.0, 8 * s)
        middle = (left + right) / 2
        gap, board = 70 * s, max(2.0, 7 * s)
        # Book colours: none of them skin-like, or the segmenter takes a spine beside a cheek for one.
        palette = np.array([(0.55, 0.12, 0.12), (0.12, 0.20, 0.40), (0.15, 0.35, 0.20), (0.85, 0.78, 0.25),
                            (0.88, 0.88, 0.84), (0.10, 0.10, 0.12), (0.20, 0.45, 0.50), (0.42, 0.48, 0.60),
                            (0.45, 0.20, 0.40), (0.40, 0.42, 0.18)], np.float32)
        y = -20 * s
        while y < height:
            floor = y + gap  # the board the books stand on
            for x0, x1 in ((left + post, middle - post / 2), (middle + post / 2, right - post)):
                box(x0, y, x1, floor, inside)
                x = x0 + rng.uniform(0, 6) * s
                while x < x1 - 4 * s:
                    roll = rng.uniform()
                    if roll < 0.07:  # a gap
                        x += rng.uniform(10, 26) * s
                        continue
                    if roll < 0.13:  # a pile of books lying flat
                        w = rng.uniform(26, 40) * s
                        level = floor
                        for _ in range(int(rng.integers(2, 5))):
                            h = rng.uniform(5, 9) * s
                            box(x, level - h, min(x + w, x1), level, palette[rng.integers(len(palette))])
                            level -= h + 1
                        x += w + 2 * s
                        continue
                    w = rng.uniform(6, 14) * s
                    h = rng.uniform(0.55, 0.88) * gap
                    colour = np.clip(palette[rng.integers(len(palette))] * rng.uniform(0.8, 1.15), 0, 1)
                    x_end = min(x + w, x1)
                    box(x, floor - h, x_end, floor, colour)
                    if rng.uniform() < 0.5:  # a label or gilt bands on the spine
                        band = np.clip(colour + 0.35, 0, 1)
                        box(x + w * 0.2, floor - h * 0.8, x_end - w * 0.2, floor - h * 0.8 + max(1, 4 * s), band)
                        box(x + w * 0.2, floor - h * 0.25, x_end - w * 0.2, floor - h * 0.25 + max(1, 2 * s), band)
                    box(x_end - max(1, s), floor - h, x_end, floor, colour * 0.6)  # the spine's shade
                    x = x_end + rng.uniform(0, 1.5) * s
                box(x0, y, x1, y + 6 * s, (0.36, 0.28, 0.19))  # shadow under the board above
            box(left, floor, right, floor + board, board_wood)
            box(left, floor + board - max(1, s), right, floor + board, (0.50, 0.38, 0.25))
            y = floor + board
        box(middle - post / 2, 0, middle + post / 2, height, wood)
        box(left, 0, left + post, height, wood)
        box(right - post, 0, right, height, wood)
        # A framed picture on the wall to the right: hills under a sky.
        px0, px1, py0, py1 = 0.73 * width, 0.93 * width, 40 * s, 150 * s
        box(px0, py0, px1, py1, (0.15, 0.12, 0.10))
        m = max(2, 8 * s)
        box(px0 + m, py0 + m, px1 - m, py1 - m, (0.62, 0.76, 0.86))
        inner = (slice(int(py0 + m), int(py1 - m)), slice(int(px0 + m), int(px1 - m)))
        iy, ix = yy[inner], xx[inner]
        hills = iy > py0 + (py1 - py0) * (0.62 + 0.12 * np.sin((ix - px0) / (22 * s)))
        img[inner][hills] = (0.36, 0.55, 0.30)
        sun = (ix - (px0 + 0.7 * (px1 - px0))) ** 2 + (iy - (py0 + 0.35 * (py1 - py0))) ** 2 < (9 * s) ** 2
        img[inner][sun] = (0.97, 0.90, 0.60)
        # A low sideboard, bottom right, with a vase of twigs on it.
        top = 296 * s
        box(0.68 * width, top, width, height, (0.62, 0.47, 0.32))
        box(0.68 * width, top, width, top + max(1, 5 * s), (0.70, 0.55, 0.38))
        for door in (0.70, 0.85):
            box(door * width, top + 14 * s, (door + 0.13) * width, height, (0.57, 0.43, 0.29))
            box((door + 0.11) * width, top + 34 * s, (door + 0.115) * width, top + 50 * s, (0.30, 0.22, 0.15))
        vase_x = 0.80 * width
        box(vase_x - 7 * s, top - 34 * s, vase_x + 7 * s, top, (0.25, 0.35, 0.42))
        for lean in (-0.5, -0.2, 0.15, 0.45):
            for k in range(int(60 * s)):
                ty = top - 34 * s - k
                tx = vase_x + lean * k
                box(tx, ty, tx + max(1, 1.5 * s), ty + 1, (0.28, 0.20, 0.13))
        img *= (1 + rng.normal(0, 0.012, (height, width, 1))).astype(np.float32)  # a little grain
        return img

    def _draw_body(self, width: int, height: int) -> _Sprite:
        xx, yy = self._grid(width, height, self._body_top)
        img = np.empty((height, width, 3), np.float32)
        img[:] = _SWEATER
        # The torso and shoulders: a squarish blob from the collar down to the frame's edge.
        torso = _blob(xx, yy, 0, 432, 152, 174, power=3.2, open_below=True)
        shade = (1.0 - 0.30 * (xx / 152) ** 2 - 0.10 * np.clip((yy - 270) / 110, 0, 1))[..., None]
        _paint(img, torso, np.array(_SWEATER, np.float32) * shade)
        # The arms hang at the sides: a darker fold where they meet the chest.
        for side in (-1, 1):
            fold = _coverage(1.6 - np.abs(xx - side * (108 + (yy - 320) * 0.05))) * (yy > 312) * torso
            _paint(img, fold, _SWEATER_DARK)
        # The neck, shaded under the chin, and the ribbed collar round it.
        neck = _blob(xx, yy, 0, 220, 29, 44, power=4)
        _paint(img, neck, _SKIN_SHADOW)
        _paint(img, _blob(xx, yy, 0, 226, 30, 10) * neck, np.array(_SKIN_SHADOW, np.float32) * 0.85)
        collar = _blob(xx, yy, 0, 256, 48, 15) * (1 - _blob(xx, yy, 0, 252, 34, 9))
        _paint(img, collar * (yy > 246), _SWEATER_DARK)
        return _Sprite(img, np.maximum(torso, neck))

    def _draw_hair(self, width: int, height: int) -> _Sprite:
        """The hair behind the head, short of the collar."""
        xx, yy = self._grid(width, height, self._head_top)
        img = np.empty((height, width, 3), np.float32)
        img[:] = _HAIR
        hair = _blob(xx, yy, 0, 152, 58, 72) * _coverage(210 - yy)
        return _Sprite(img, hair)

    def _draw_head(self, width: int, height: int, blink: bool) -> _Sprite:
        xx, yy = self._grid(width, height, self._head_top)
        img = np.empty((height, width, 3), np.float32)
        img[:] = _SKIN
        alpha = np.zeros((height, width), np.float32)
        for side in (-1, 1):
            ear = _blob(xx, yy, side * 47, 172, 9, 15)
            _paint(img, ear, _SKIN_SHADOW)
            alpha = np.maximum(alpha, ear)
        face = _blob(xx, yy, 0, 166, 46, 62, power=2.2)
        light = (1.0 - 0.10 * np.clip((xx + 10) / 46, 0, 1))[..., None]  # light from the left
        _paint(img, face, np.array(_SKIN, np.float32) * light)
        # Hair over the forehead, parted to one side, down to the temples.
        hairline = 122 + 0.011 * (xx + 12) ** 2 - 6 * np.exp(-(((xx - 14) / 14) ** 2))
        fringe = np.minimum(_blob(xx, yy, 0, 148, 52, 70), _coverage(hairline - yy))
        _paint(img, fringe, _HAIR)
        alpha = np.maximum(alpha, np.maximum(face, fringe))
        for side in (-1, 1):
            _paint(img, _blob(xx, yy, side * 18, 150, 12, 2.6), _HAIR)  # brows
            if blink:
                _paint(img, _blob(xx, yy, side * 18, 162, 8, 1.3), _EYES)
            else:
                _paint(img, _blob(xx, yy, side * 18, 162, 8, 4.2), (0.95, 0.93, 0.90))
                _paint(img, _blob(xx, yy, side * 18 + 1, 162, 4, 4), _EYES)
            _paint(img, _blob(xx, yy, side * 28, 186, 10, 7) * 0.25, (0.90, 0.55, 0.50))  # cheeks
        _paint(img, _blob(xx, yy, 4, 182, 6, 4), _SKIN_SHADOW)  # the nose's shade
        _paint(img, _blob(xx, yy, 0, 201, 14, 3.6), _LIPS)
        return _Sprite(img, alpha)

    # -- a frame --------------------------------------------------------------------------------

    def offset(self, frame_number: int) -> int:
        """Pixels the body is off the frame's middle in this frame (even; negative: left)."""
        return int(round(self._sway * math.sin(2 * math.pi * frame_number / self.PERIOD))) & ~1

    def render(self, frame_number: int, captured_ms: int) -> av.VideoFrame:
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        planes = [plane_view(plane) for plane in frame.planes]
        for target, source in zip(planes, self._room, strict=True):
            np.copyto(target, source)
        phase = 2 * math.pi * frame_number / self.PERIOD
        middle = self.width // 2
        body_x = middle + self.offset(frame_number) - self._body_half & ~1
        # The head leans a little further than the shoulders, and nods a little.
        head_x = middle + int(round(self._sway * 1.2 * math.sin(phase))) - self._head_half & ~1
        head_y = self._head_top + int(round(2 * self._s * math.sin(2 * phase))) & ~1
        blink = frame_number % self.BLINK_EVERY >= self.BLINK_EVERY - 4
        self._hair.blend(planes, head_x, head_y)
        self._body.blend(planes, body_x, self._body_top)
        self._heads[blink].blend(planes, head_x, head_y)
        write_stamp(planes[0], Stamp(frame_number % (1 << 32), captured_ms))
        return frame
