"""TileGrid: the participants' tiles laid out in a grid that keeps them 16:9.

Shapes (``grid_shape``, a pure function):

- The number of cells steps through 1, 2, 4, 6, 9, 12, 16 and 20 (``CAPACITIES``): 16 remote
  cameras plus the self-view make 17, which gets 20 cells. One more or one fewer participant
  rarely reshuffles everyone.
- Each step has one shape for a given window: the columns that make the tiles largest, never
  leaving a whole row of the step empty (on a tie, the fewest cells, then the wider). Within a
  step the shape and the tile size stay put. In a 16:9-ish window the steps are 1x1, 2x1, 2x2,
  3x2, 3x3, 4x3, 4x4 and 5x4 (17..20 tiles); a portrait window stacks them (1x2, 1x4, 2x3, 3x3,
  3x4, 4x4 or 2x8, 4x5), a very wide one lays few tiles in a row (3 or 4 tiles as 4x1).
- Tiles are ``aspect`` (16:9), as large as fits, with ``spacing`` between them; the block is
  centred and a short last row is centred too (``tile_rects``).

Order: tiles in the order they were added, with the self-view ``"first"`` (top-left, like
Zoom's gallery; the default) or ``"last"`` (bottom-right, like Teams) — ``self_view_position``.
A tile counts as the self-view when added with ``self_view=True``, or when it says so itself
(``tile.self_view``).

Stage: ``set_stage(keys)`` puts up to two tiles (a screen share, two shares side by side, a
pinned tile, the active speaker) on a large stage, and the others in a strip beside it — on the
right of a landscape window, below a portrait one (``stage_rects``).
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

from PySide6.QtCore import QRect, Signal
from PySide6.QtWidgets import QSizePolicy, QWidget

CAPACITIES = (1, 2, 4, 6, 9, 12, 16, 20)
SelfViewPosition = Literal["first", "last"]


class GridShape(NamedTuple):
    cols: int
    rows: int
    tile_width: int
    tile_height: int


def capacity(count: int) -> int:
    """The number of cells laid out for ``count`` tiles (beyond 20: exactly ``count``)."""
    return next((c for c in CAPACITIES if c >= count), count)


def grid_shape(count: int, width: int, height: int, aspect: float = 16 / 9, spacing: int = 8) -> GridShape:
    """Columns, rows and tile size that give ``count`` tiles of ``aspect`` the most room in a
    ``width`` x ``height`` area, ``spacing`` pixels apart (no margin around the block).

    The shape is chosen for the capacity step, not the exact count, so it (and the tile size)
    stays put while people come and go within a step; ``rows`` are the step's rows, of which
    ``ceil(count / cols)`` are in use.
    """
    cells = capacity(max(1, count))
    best, best_score = GridShape(1, 1, 0, 0), None
    for cols in range(1, cells + 1):
        rows = math.ceil(cells / cols)
        if (rows - 1) * cols >= cells:
            continue  # a whole empty row: never the best use of the window
        tile_w = min((width - (cols - 1) * spacing) / cols, ((height - (rows - 1) * spacing) / rows) * aspect)
        tile_w = int(max(0, tile_w))
        score = (tile_w, -cols * rows, cols)  # the largest tiles; on a tie the fewest cells, then the wider
        if best_score is None or score > best_score:
            best, best_score = GridShape(cols, rows, tile_w, int(tile_w / aspect)), score
    return best


def tile_rects(count: int, width: int, height: int, aspect: float = 16 / 9, spacing: int = 8) -> list[QRect]:
    """Where each of ``count`` tiles goes, in order: rows left to right, the block centred in the
    area and a short last row centred under the others."""
    if count <= 0:
        return []
    shape = grid_shape(count, width, height, aspect, spacing)
    rows_used = math.ceil(count / shape.cols)
    total_h = rows_used * shape.tile_height + (rows_used - 1) * spacing
    top = (height - total_h) // 2
    rects = []
    for index in range(count):
        row, col = divmod(index, shape.cols)
        in_row = min(shape.cols, count - row * shape.cols)
        row_w = in_row * shape.tile_width + (in_row - 1) * spacing
        left = (width - row_w) // 2
        rects.append(QRect(left + col * (shape.tile_width + spacing), top + row * (shape.tile_height + spacing),
                           shape.tile_width, shape.tile_height))
    return rects


#: The strip beside the stage takes this share of the window (at least STRIP_MIN pixels).
STRIP_SHARE = 0.2
STRIP_MIN = 160


def row_rects(count: int, width: int, height: int, aspect: float = 16 / 9, spacing: int = 8) -> list[QRect]:
    """``count`` tiles side by side in one row, as large as fits, centred (the stage: two
    shares are compared side by side, never stacked)."""
    if count <= 0:
        return []
    tile_w = int(max(0, min((width - (count - 1) * spacing) / count, height * aspect)))
    tile_h = int(tile_w / aspect)
    left = (width - (count * tile_w + (count - 1) * spacing)) // 2
    top = (height - tile_h) // 2
    return [QRect(left + i * (tile_w + spacing), top, tile_w, tile_h) for i in range(count)]


def stage_rects(stage: int, strip: int, width: int, height: int, aspect: float = 16 / 9,
                spacing: int = 8) -> tuple[list[QRect], list[QRect]]:
    """Rects for ``stage`` tiles on the stage (side by side) and ``strip`` others in the strip
    beside it."""
    if strip <= 0:
        return row_rects(stage, width, height, aspect, spacing), []
    if width >= height:  # the strip is a column on the right
        strip_w = max(STRIP_MIN, int(width * STRIP_SHARE))
        stage_w = max(1, width - strip_w - spacing)
        on_stage = row_rects(stage, stage_w, height, aspect, spacing)
        in_strip = [r.translated(stage_w + spacing, 0) for r in tile_rects(strip, strip_w, height, aspect, spacing)]
    else:  # a row at the bottom
        strip_h = max(STRIP_MIN * 9 // 16, int(height * STRIP_SHARE))
        stage_h = max(1, height - strip_h - spacing)
        on_stage = row_rects(stage, width, stage_h, aspect, spacing)
        in_strip = [r.translated(0, stage_h + spacing) for r in tile_rects(strip, width, strip_h, aspect, spacing)]
    return on_stage, in_strip


class TileGrid(QWidget):
    #: after each layout: key -> (width, height) each tile has on screen, in device pixels
    #: (what the server needs to send no more than is shown)
    laid_out = Signal(dict)

    def __init__(self, parent: QWidget | None = None, spacing: int = 8, hug: bool = False,
                 self_view_position: SelfViewPosition = "first", aspect: float = 16 / 9) -> None:
        """``hug``: for a single tile (a preview), be exactly as tall as a 16:9 tile that wide."""
        super().__init__(parent)
        if self_view_position not in ("first", "last"):
            raise ValueError(f"self_view_position must be 'first' or 'last', not {self_view_position!r}")
        self.spacing = spacing
        self.hug = hug
        self.aspect = aspect
        self.self_view_position: SelfViewPosition = self_view_position
        self._tiles: dict[str, QWidget] = {}
        self._self_key: str | None = None
        self._stage: list[str] = []
        self.setMinimumSize(320, 180)
        self.setAutoFillBackground(True)  # the gaps between tiles are repainted too
        if hug:
            policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            policy.setHeightForWidth(True)
            self.setSizePolicy(policy)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return self.hug

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return int(width / self.aspect) if self.hug else super().heightForWidth(width)

    @property
    def count(self) -> int:
        return len(self._tiles)

    def keys(self) -> list[str]:
        """The keys in display order (the self-view first or last)."""
        keys = [key for key in self._tiles if key != self._self_key]
        if self._self_key is not None:
            keys.insert(0 if self.self_view_position == "first" else len(keys), self._self_key)
        return keys

    def stage_keys(self) -> list[str]:
        """The tiles on the stage now (empty: the plain grid)."""
        return [key for key in self._stage if key in self._tiles]

    def set_stage(self, keys: list[str]) -> None:
        """Put these tiles (at most 2; unknown keys are ignored) on the stage; [] for the grid."""
        keys = list(dict.fromkeys(keys))[:2]
        if keys != self._stage:
            self._stage = keys
            self._relayout()

    def tile(self, key: str) -> QWidget | None:
        return self._tiles.get(key)

    def add_tile(self, key: str, tile: QWidget, *, self_view: bool | None = None) -> None:
        """Add ``tile`` under ``key`` (KeyError if the key has one already) and lay out again."""
        if key in self._tiles:
            raise KeyError(f"there is already a tile for {key!r}")
        if self_view is None:
            self_view = bool(getattr(tile, "self_view", False))
        if self_view:
            if self._self_key is not None:
                raise KeyError(f"the self-view is already {self._self_key!r}")
            self._self_key = key
        tile.setParent(self)
        self._tiles[key] = tile
        tile.show()
        self._relayout()

    def remove_tile(self, key: str) -> None:
        """Remove and delete the tile of ``key`` (nothing if there is none)."""
        tile = self._tiles.pop(key, None)
        if tile is not None:
            if key == self._self_key:
                self._self_key = None
            tile.hide()
            tile.setParent(None)
            tile.deleteLater()
            self._relayout()

    def shape(self) -> GridShape:
        return grid_shape(self.count, self.width(), self.height(), self.aspect, self.spacing)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        keys = self.keys()
        stage = self.stage_keys()
        if not stage:
            rects = tile_rects(len(keys), self.width(), self.height(), self.aspect, self.spacing)
        else:
            keys = stage + [key for key in keys if key not in stage]
            on_stage, in_strip = stage_rects(len(stage), len(keys) - len(stage), self.width(), self.height(),
                                             self.aspect, self.spacing)
            rects = on_stage + in_strip
        for key, rect in zip(keys, rects):
            self._tiles[key].setGeometry(rect)
        dpr = self.devicePixelRatioF()
        self.laid_out.emit({key: (round(rect.width() * dpr), round(rect.height() * dpr))
                            for key, rect in zip(keys, rects)})
