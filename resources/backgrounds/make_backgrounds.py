"""Makes the replacement backgrounds in this folder (1280x720 JPEG), procedurally, with numpy
and PyAV only, so that they can be rebuilt anywhere and carry no one else's rights.

    python resources/backgrounds/make_backgrounds.py [--out DIR] [--png]

Each picture is drawn soft (out of focus), as a real background behind a person would be on a
camera, with a touch of noise so that its gradients do not band. ``--png`` also writes PNG
copies, for looking at them.
"""

from __future__ import annotations

import argparse
import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT = 1280, 720
QUALITY = 5  # mjpeg qscale: 2 (best) .. 31


def hex_rgb(value: str) -> np.ndarray:
    value = value.lstrip("#")
    return np.array([int(value[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float32) / 255.0


def grid() -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    return x / WIDTH, y / HEIGHT


def mix(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    return a + (b - a) * t[..., None]


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def box_blur(img: np.ndarray, radius: int, axis: int) -> np.ndarray:
    if radius <= 0:
        return img
    img = np.moveaxis(img, axis, 0)
    n = img.shape[0]
    pad = [(radius + 1, radius)] + [(0, 0)] * (img.ndim - 1)
    sums = np.cumsum(np.pad(img, pad, mode="edge"), axis=0, dtype=np.float64)
    out = (sums[2 * radius + 1 : 2 * radius + 1 + n] - sums[:n]) / (2 * radius + 1)
    return np.moveaxis(out.astype(np.float32), 0, axis)


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """About a Gaussian of ``sigma`` pixels: three box passes each way."""
    radius = max(0, int(round(math.sqrt(sigma * sigma + 1) - 0.5)))
    for _ in range(3):
        img = box_blur(box_blur(img, radius, 0), radius, 1)
    return img


def vignette(img: np.ndarray, amount: float, cx: float = 0.5, cy: float = 0.5) -> np.ndarray:
    x, y = grid()
    d = np.sqrt(((x - cx) * 1.6) ** 2 + (y - cy) ** 2)
    return img * (1.0 - amount * smoothstep(0.35, 1.05, d))[..., None]


def disc(img: np.ndarray, cx: float, cy: float, r: float, colour: np.ndarray, alpha: float,
         softness: float = 2.0, rim: float = 0.0) -> None:
    """Adds a bokeh disc (screen blend), its edge ``softness`` pixels wide, a brighter rim."""
    x0, x1 = max(0, int(cx - r - softness - 2)), min(WIDTH, int(cx + r + softness + 3))
    y0, y1 = max(0, int(cy - r - softness - 2)), min(HEIGHT, int(cy + r + softness + 3))
    if x0 >= x1 or y0 >= y1:
        return
    y, x = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    d = np.sqrt((x - cx) ** 2 + (y - cy) ** 2)
    cover = 1.0 - smoothstep(r - softness, r + softness, d)
    ring = smoothstep(r * 0.55, r, d) * rim
    a = (alpha * cover * (0.85 + ring))[..., None]
    patch = img[y0:y1, x0:x1]
    img[y0:y1, x0:x1] = 1.0 - (1.0 - patch) * (1.0 - a * colour)


def leaf(img: np.ndarray, cx: float, cy: float, length: float, width: float, angle: float,
         colour: np.ndarray, alpha: float) -> None:
    """A leaf: a pointed ellipse along ``angle``, lighter along its midrib."""
    reach = int(length + 4)
    x0, x1 = max(0, int(cx - reach)), min(WIDTH, int(cx + reach))
    y0, y1 = max(0, int(cy - reach)), min(HEIGHT, int(cy + reach))
    if x0 >= x1 or y0 >= y1:
        return
    y, x = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    c, s = math.cos(angle), math.sin(angle)
    u = ((x - cx) * c + (y - cy) * s) / length  # along the leaf, -1..1
    v = (-(x - cx) * s + (y - cy) * c) / width
    half = np.sqrt(np.clip(1.0 - u * u, 0.0, 1.0)) * (1.0 - 0.35 * np.abs(u))  # pointed ends
    inside = 1.0 - smoothstep(half - 0.08, half + 0.02, np.abs(v))
    shade = 0.85 + 0.25 * (1.0 - np.clip(np.abs(v) * 4, 0, 1)) + 0.1 * u
    a = (alpha * inside)[..., None]
    patch = img[y0:y1, x0:x1]
    img[y0:y1, x0:x1] = patch * (1 - a) + (colour * shade[..., None]) * a


# -- the pictures --------------------------------------------------------------------------------


def warm_bokeh(rng: np.random.Generator) -> np.ndarray:
    x, y = grid()
    t = np.clip(0.55 * x + 0.65 * y - 0.1, 0, 1)
    img = mix(hex_rgb("#f2d3a7"), hex_rgb("#9c5646"), smoothstep(0.0, 1.0, t))
    img = mix(img, hex_rgb("#f7e4c4"), 0.35 * (1 - smoothstep(0.0, 0.7, np.hypot(x - 0.78, y - 0.2))))
    palette = [hex_rgb(c) for c in ("#ffe2a8", "#ffc98a", "#fff1d6", "#f5a97f", "#ffd7b0")]
    for _ in range(70):
        # more and bigger lights towards the upper right, as if a string of lamps were there
        cx = rng.beta(2.2, 1.3) * WIDTH
        cy = rng.beta(1.3, 2.0) * HEIGHT
        r = rng.uniform(14, 70) * (0.6 + 0.6 * cx / WIDTH)
        disc(img, cx, cy, r, palette[rng.integers(len(palette))], rng.uniform(0.12, 0.38),
             softness=rng.uniform(1.5, 5.0), rim=rng.uniform(0.0, 0.25))
    img = blur(img, 1.5)
    return vignette(img, 0.22, 0.6, 0.4)


def cool_office(rng: np.random.Generator) -> np.ndarray:
    x, y = grid()
    img = mix(hex_rgb("#a6b4c2"), hex_rgb("#56626f"), smoothstep(0.0, 1.0, 0.3 * x + 0.8 * y))
    # tall windows on the left: bright, bluish daylight
    for left, right in ((0.05, 0.17), (0.21, 0.33), (0.37, 0.47)):
        pane = smoothstep(left - 0.005, left + 0.005, x) * (1 - smoothstep(right - 0.005, right + 0.005, x))
        pane = pane * (1 - smoothstep(0.60, 0.62, y)) * smoothstep(0.04, 0.06, y)
        img = mix(img, hex_rgb("#e4edf5"), 0.75 * pane * (1.0 - 0.35 * y))
    # a long desk, and a shelf with boxes on the right
    img = mix(img, hex_rgb("#3d4650"), smoothstep(0.66, 0.68, y) * (1 - smoothstep(0.72, 0.74, y)))
    img = mix(img, hex_rgb("#48525d"), smoothstep(0.86, 0.92, y) * 0.6)
    shelf = smoothstep(0.64, 0.65, x) * (1 - smoothstep(0.95, 0.96, x))
    for top in (0.18, 0.38, 0.58):
        img = mix(img, hex_rgb("#6b7785"), shelf * smoothstep(top, top + 0.01, y) * (1 - smoothstep(top + 0.02, top + 0.03, y)))
        bx = 0.66
        while bx < 0.93:
            w = rng.uniform(0.015, 0.04)
            h = rng.uniform(0.06, 0.15)
            tone = hex_rgb(["#7d8a99", "#c9d3dc", "#8a9aa8", "#b7a68f", "#5e6a78"][rng.integers(5)])
            book = smoothstep(bx, bx + 0.002, x) * (1 - smoothstep(bx + w, bx + w + 0.002, x))
            book = book * smoothstep(top - h, top - h + 0.004, y) * (1 - smoothstep(top, top + 0.004, y))
            img = mix(img, tone, 0.8 * book)
            bx += w + rng.uniform(0.002, 0.02)
    # a plant in a pot by the windows
    pot = smoothstep(0.525, 0.53, x) * (1 - smoothstep(0.575, 0.58, x))
    img = mix(img, hex_rgb("#d8d4cc"), pot * smoothstep(0.575, 0.58, y) * (1 - smoothstep(0.665, 0.67, y)))
    for _ in range(28):
        angle = -math.pi / 2 + rng.normal(0, 0.55)
        length = rng.uniform(28, 55)
        reach = rng.uniform(0.3, 1.6) * length
        cx = 0.553 * WIDTH + math.cos(angle) * reach
        cy = 0.575 * HEIGHT + math.sin(angle) * reach
        tone = hex_rgb(["#4e7257", "#5f8566", "#3f6149"][rng.integers(3)])
        leaf(img, cx, cy, length, length * 0.35, angle, tone, 0.9)
    # a pendant light's glow
    img = mix(img, hex_rgb("#f4f1e8"), 0.5 * (1 - smoothstep(0.0, 0.16, np.hypot((x - 0.72) * 1.7, y - 0.06))))
    img = blur(img, 14.0)  # out of focus
    return vignette(img, 0.18)


def green_leaves(rng: np.random.Generator) -> np.ndarray:
    x, y = grid()
    img = mix(hex_rgb("#e3ecd9"), hex_rgb("#a8c09f"), smoothstep(0.0, 1.0, 0.4 * x + 0.6 * y))
    light = 1 - smoothstep(0.0, 0.75, np.hypot((x - 0.45) * 1.3, y - 0.35))
    img = mix(img, hex_rgb("#f4f7ea"), 0.45 * light)
    greens = [hex_rgb(c) for c in ("#4f7d4a", "#6e9b5e", "#2f5d3a", "#86ad6f", "#3f6e47")]

    def spray(layer: np.ndarray, count: int, size: tuple[float, float], alpha: float) -> None:
        for _ in range(count):
            # leaves grow in from the sides and the corners, the middle stays open
            side = rng.integers(4)
            if side == 0:
                cx, cy = rng.uniform(-0.05, 0.22), rng.uniform(0, 1)
            elif side == 1:
                cx, cy = rng.uniform(0.8, 1.05), rng.uniform(0, 1)
            elif side == 2:
                cx, cy = rng.uniform(0, 1), rng.uniform(-0.05, 0.15)
            else:
                cx, cy = rng.uniform(0, 0.3) if rng.random() < 0.5 else rng.uniform(0.7, 1), rng.uniform(0.8, 1.05)
            length = rng.uniform(*size)
            toward = math.atan2(0.45 - cy, 0.5 - cx) + rng.normal(0, 0.6)
            leaf(layer, cx * WIDTH, cy * HEIGHT, length, length * rng.uniform(0.28, 0.42), toward,
                 greens[rng.integers(len(greens))], alpha)

    far = img.copy()
    spray(far, 60, (40, 90), 0.55)
    img = blur(far, 12.0)
    near = img.copy()
    spray(near, 26, (70, 150), 0.9)
    img = blur(near, 6.0)
    return vignette(img, 0.15)


def soft_studio(rng: np.random.Generator) -> np.ndarray:
    x, y = grid()
    img = mix(hex_rgb("#8d8780"), hex_rgb("#5f5a55"), smoothstep(0.0, 1.0, y))
    spot = 1 - smoothstep(0.0, 0.62, np.hypot((x - 0.5) * 1.25, (y - 0.42) * 1.1))
    img = mix(img, hex_rgb("#d9d2c7"), 0.85 * spot)
    # a painted canvas backdrop: large, faint mottling
    noise = rng.normal(0.0, 1.0, (HEIGHT // 16, WIDTH // 16)).astype(np.float32)
    noise = blur(noise[..., None], 1.5)[..., 0]
    noise = (noise - noise.min()) / (noise.max() - noise.min() + 1e-6)
    small = av.VideoFrame.from_ndarray((noise * 255).astype(np.uint8), format="gray")
    mottle = small.reformat(width=WIDTH, height=HEIGHT, interpolation="BICUBIC").to_ndarray()
    mottle = blur(mottle.astype(np.float32)[..., None] / 255.0 - 0.5, 8.0)
    img = img * (1.0 + 0.12 * mottle)
    img = blur(img, 6.0)
    return vignette(img, 0.3, 0.5, 0.45)


PICTURES = {
    "warm-bokeh.jpg": warm_bokeh,
    "cool-office.jpg": cool_office,
    "green-leaves.jpg": green_leaves,
    "soft-studio.jpg": soft_studio,
}


def to_frame(img: np.ndarray, rng: np.random.Generator) -> av.VideoFrame:
    dither = rng.uniform(-1.2, 1.2, img.shape[:2] + (1,))
    rgb = np.clip(img * 255.0 + dither, 0, 255).astype(np.uint8)
    return av.VideoFrame.from_ndarray(rgb, format="rgb24")


def encode_jpeg(frame: av.VideoFrame, quality: int = QUALITY) -> bytes:
    ctx = av.CodecContext.create("mjpeg", "w")
    ctx.width, ctx.height = frame.width, frame.height
    ctx.pix_fmt = "yuvj420p"
    ctx.time_base = Fraction(1, 25)
    ctx.qmin = ctx.qmax = quality
    packets = ctx.encode(frame.reformat(format="yuvj420p")) + ctx.encode(None)
    return b"".join(bytes(p) for p in packets)


def encode_png(frame: av.VideoFrame) -> bytes:
    ctx = av.CodecContext.create("png", "w")
    ctx.width, ctx.height = frame.width, frame.height
    ctx.pix_fmt = "rgb24"
    ctx.time_base = Fraction(1, 25)
    packets = ctx.encode(frame) + ctx.encode(None)
    return b"".join(bytes(p) for p in packets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--png", action="store_true", help="also write PNG copies")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for index, (name, draw) in enumerate(PICTURES.items()):
        rng = np.random.default_rng(1100 + index)
        frame = to_frame(draw(rng), rng)
        data = encode_jpeg(frame)
        (args.out / name).write_bytes(data)
        if args.png:
            (args.out / name).with_suffix(".png").write_bytes(encode_png(frame))
        print(f"{name}: {len(data) // 1024} KB")


if __name__ == "__main__":
    main()
