"""A machine-readable stamp drawn into video frames, readable after lossy compression.

The stamp carries a frame number and the wall-clock capture time, so a receiver can count lost
frames and measure glass-to-glass latency from the pictures alone. It is a band of large
black/white cells across the top of the picture::

    row 0:  W B | 36 data cells | B W
    row 1:  B W | 36 data cells | W B
    row 2:  W B | 36 data cells | B W

The grid is defined relative to the frame (40 columns of width/40, 3 rows of height/24; about
16x15 px at 640x360, 8x7.5 px at 320x180), so a rescaled frame reads with its own size. The guard
cells give the reader its black and white levels (and reject frames without a stamp); the 108
data bits are a 12-bit magic, the 32-bit frame number, the 48-bit capture time and a CRC-16 over
all of them. A reader samples only the centre of each cell, where VP8's blocking and ringing at
cell edges do not reach.
"""

from __future__ import annotations

import binascii
import functools
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

__all__ = ["Stamp", "luma_view", "read_stamp", "read_stamp_luma", "stamp_height", "write_stamp"]

COLUMNS = 40
ROWS = 3
ROWS_PER_HEIGHT = 24  # a cell is height/24 tall: the stamp takes the top eighth of the frame
GUARD_COLUMNS = (0, 1, COLUMNS - 2, COLUMNS - 1)
DATA_COLUMNS = tuple(c for c in range(COLUMNS) if c not in GUARD_COLUMNS)

# Expected guard cells per row (1 = white), alternating so that rows cannot be confused.
_GUARDS = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 0, 0, 1]], dtype=bool)

_MAGIC = 0xA5C
_MAGIC_BITS = 12
_FRAME_BITS = 32
_TIME_BITS = 48
_CRC_BITS = 16
_DATA_BITS = ROWS * len(DATA_COLUMNS)
assert _MAGIC_BITS + _FRAME_BITS + _TIME_BITS + _CRC_BITS == _DATA_BITS == 108
_PAD_BITS = 112 - _DATA_BITS  # np.packbits works on whole bytes

# Video-range luma (BT.601 limited range): survives range conversions without clipping.
BLACK = 16
WHITE = 235
# The white guards must read at least this much brighter than the black ones; a plain or
# natural picture will not, so the reader gives up before even checking the CRC.
_MIN_CONTRAST = 48.0

# Pixel formats whose first plane is 8-bit luma at the full picture size.
_LUMA_FIRST_FORMATS = frozenset(
    {
        "gray",
        "nv12",
        "nv21",
        "yuv410p",
        "yuv411p",
        "yuv420p",
        "yuv422p",
        "yuv440p",
        "yuv444p",
        "yuva420p",
        "yuvj420p",
        "yuvj422p",
        "yuvj440p",
        "yuvj444p",
    }
)


@dataclass(frozen=True)
class Stamp:
    """What a frame says about itself: its number and when it was captured."""

    frame_number: int
    captured_ms: int  # wall-clock milliseconds since the epoch

    def __post_init__(self) -> None:
        if not 0 <= self.frame_number < 1 << _FRAME_BITS:
            raise ValueError(f"frame_number out of range: {self.frame_number}")
        if not 0 <= self.captured_ms < 1 << _TIME_BITS:
            raise ValueError(f"captured_ms out of range: {self.captured_ms}")


@dataclass(frozen=True)
class _Geometry:
    x_edges: npt.NDArray[np.intp]  # COLUMNS + 1 cell boundaries
    y_edges: npt.NDArray[np.intp]  # ROWS + 1 cell boundaries
    sample_rows: npt.NDArray[np.intp]  # ROWS * ky pixel rows inside the cells' centres
    sample_cols: npt.NDArray[np.intp]  # COLUMNS * kx pixel columns inside the cells' centres
    ky: int
    kx: int


def _centre_samples(edges: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], int]:
    """Up to 4 evenly spaced pixel positions in the middle half of every cell."""
    sizes = np.diff(edges)
    k = int(min(4, max(1, sizes.min() // 2)))
    positions = [
        np.round(np.linspace(lo + (hi - lo) * 0.25, hi - (hi - lo) * 0.25 - 1, k))
        for lo, hi in zip(edges[:-1], edges[1:])
    ]
    samples = np.clip(np.concatenate(positions), edges[0], edges[-1] - 1).astype(np.intp)
    return samples, k


@functools.lru_cache(maxsize=32)
def _geometry(width: int, height: int) -> _Geometry | None:
    if width < 2 * COLUMNS or height < 2 * ROWS_PER_HEIGHT:
        return None  # cells under 2 px cannot be written or read reliably
    x_edges = np.round(np.arange(COLUMNS + 1) * (width / COLUMNS)).astype(np.intp)
    y_edges = np.round(np.arange(ROWS + 1) * (height / ROWS_PER_HEIGHT)).astype(np.intp)
    sample_rows, ky = _centre_samples(y_edges)
    sample_cols, kx = _centre_samples(x_edges)
    return _Geometry(x_edges, y_edges, sample_rows, sample_cols, ky, kx)


def stamp_height(height: int) -> int:
    """Pixel rows at the top of a frame of this height that the stamp covers."""
    return int(round(ROWS * height / ROWS_PER_HEIGHT))


def _crc(magic: int, frame_number: int, captured_ms: int) -> int:
    body = ((magic << _FRAME_BITS | frame_number) << _TIME_BITS | captured_ms).to_bytes(12, "big")
    return binascii.crc_hqx(body, 0xFFFF)


def write_stamp(y_plane: npt.NDArray[np.uint8], stamp: Stamp) -> None:
    """Draw ``stamp`` over the top rows of a luma plane (an HxW uint8 array, written in place)."""
    height, width = y_plane.shape
    geometry = _geometry(width, height)
    if geometry is None:
        raise ValueError(f"frame too small for a stamp: {width}x{height}")
    crc = _crc(_MAGIC, stamp.frame_number, stamp.captured_ms)
    value = (
        ((_MAGIC << _FRAME_BITS | stamp.frame_number) << _TIME_BITS | stamp.captured_ms)
        << _CRC_BITS
        | crc
    ) << _PAD_BITS
    data = np.unpackbits(np.frombuffer(value.to_bytes(14, "big"), dtype=np.uint8))
    cells = np.empty((ROWS, COLUMNS), dtype=bool)
    cells[:, list(GUARD_COLUMNS)] = _GUARDS
    cells[:, list(DATA_COLUMNS)] = data[:_DATA_BITS].reshape(ROWS, len(DATA_COLUMNS))
    levels = np.where(cells, WHITE, BLACK).astype(np.uint8)
    # Expand cells to pixels: each cell repeated over its (possibly uneven) width and height.
    band = np.repeat(
        np.repeat(levels, np.diff(geometry.x_edges), axis=1), np.diff(geometry.y_edges), axis=0
    )
    y_plane[: band.shape[0], :width] = band


def read_stamp_luma(y_plane: npt.NDArray[np.uint8]) -> Stamp | None:
    """Read a stamp from an HxW uint8 luma array; None if there is none or it is damaged."""
    height, width = y_plane.shape
    geometry = _geometry(width, height)
    if geometry is None:
        return None
    samples = y_plane[np.ix_(geometry.sample_rows, geometry.sample_cols)]
    cells = samples.reshape(ROWS, geometry.ky, COLUMNS, geometry.kx).mean(axis=(1, 3))

    guards = cells[:, list(GUARD_COLUMNS)]
    white = guards[_GUARDS]
    black = guards[~_GUARDS]
    if white.min() - black.max() < _MIN_CONTRAST:
        return None
    threshold = (white.mean() + black.mean()) / 2.0

    bits = cells[:, list(DATA_COLUMNS)].reshape(-1) > threshold
    value = int.from_bytes(np.packbits(bits).tobytes(), "big") >> _PAD_BITS
    crc = value & 0xFFFF
    value >>= _CRC_BITS
    captured_ms = value & ((1 << _TIME_BITS) - 1)
    value >>= _TIME_BITS
    frame_number = value & ((1 << _FRAME_BITS) - 1)
    magic = value >> _FRAME_BITS
    if magic != _MAGIC or crc != _crc(magic, frame_number, captured_ms):
        return None
    return Stamp(frame_number=frame_number, captured_ms=captured_ms)


def luma_view(frame: av.VideoFrame) -> npt.NDArray[np.uint8]:
    """The frame's luma as an HxW uint8 array: a zero-copy view of plane 0 when possible."""
    if frame.format.name not in _LUMA_FIRST_FORMATS:
        frame = frame.reformat(format="gray")
    plane = frame.planes[0]
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : frame.width]


def read_stamp(frame: av.VideoFrame) -> Stamp | None:
    """Read the stamp of a decoded (possibly rescaled) video frame; None if absent or damaged."""
    return read_stamp_luma(luma_view(frame))
