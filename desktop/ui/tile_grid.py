"""TileGrid: the participants' tiles laid out in a grid that keeps them 16:9.

The number of cells steps through 1, 2, 4, 6, 9, 12, 16 and 20 (16 remote cameras and the
self-view), so one more or one fewer participant rarely reshuffles everyone; within a step,
the columns are whatever makes the tiles largest in this window (a wide window gets a row).
Tiles are placed in the order they were added (the self-view first), centred.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtWidgets import QSizePolicy, QWidget

CAPACITIES = (1, 2, 4, 6, 9, 12, 16, 20)


@dataclass(frozen=True)
class GridShape:
    cols: int
    rows: int
    tile_width: int
    tile_height: int


def capacity(count: int) -> int:
    """The number of cells laid out for ``count`` tiles."""
    return next((c for c in CAPACITIES if c >= count), count)


def grid_shape(count: int, width: int, height: int, aspect: float = 16 / 9, spacing: int = 8) -> GridShape:
    """Columns, rows and tile size that give ``count`` tiles of ``aspect`` the most room."""
    cells = capacity(max(1, count))
    best = GridShape(1, 1, 0, 0)
    for cols in range(1, cells + 1):
        rows = math.ceil(cells / cols)
        if (rows - 1) * cols >= max(1, count):
            continue  # a whole empty row: never the best use of the window
        tile_w = min((width - (cols - 1) * spacing) / cols, ((height - (rows - 1) * spacing) / rows) * aspect)
        tile_w = int(max(0, tile_w))
        if tile_w >= best.tile_width:  # on a tie, the wider layout
            best = GridShape(cols, rows, tile_w, int(tile_w / aspect))
    return best


class TileGrid(QWidget):
    def __init__(self, parent: QWidget | None = None, spacing: int = 8, hug: bool = False) -> None:
        """``hug``: for a single tile (a preview), be exactly as tall as a 16:9 tile that wide."""
        super().__init__(parent)
        self.spacing = spacing
        self.hug = hug
        self._tiles: dict[str, QWidget] = {}
        self.setMinimumSize(320, 180)
        self.setAutoFillBackground(True)  # the gaps between tiles are repainted too
        if hug:
            policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            policy.setHeightForWidth(True)
            self.setSizePolicy(policy)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return self.hug

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return int(width * 9 / 16) if self.hug else super().heightForWidth(width)

    @property
    def count(self) -> int:
        return len(self._tiles)

    def keys(self) -> list[str]:
        return list(self._tiles)

    def tile(self, key: str) -> QWidget | None:
        return self._tiles.get(key)

    def add_tile(self, key: str, tile: QWidget) -> None:
        if key in self._tiles:
            raise KeyError(f"there is already a tile for {key!r}")
        tile.setParent(self)
        self._tiles[key] = tile
        tile.show()
        self._relayout()

    def remove_tile(self, key: str) -> None:
        tile = self._tiles.pop(key, None)
        if tile is not None:
            tile.hide()
            tile.setParent(None)
            tile.deleteLater()
            self._relayout()

    def shape(self) -> GridShape:
        return grid_shape(self.count, self.width(), self.height(), spacing=self.spacing)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        if not self._tiles:
            return
        shape = self.shape()
        count = self.count
        rows_used = math.ceil(count / shape.cols)
        total_h = rows_used * shape.tile_height + (rows_used - 1) * self.spacing
        top = (self.height() - total_h) // 2
        for index, tile in enumerate(self._tiles.values()):
            row, col = divmod(index, shape.cols)
            in_row = min(shape.cols, count - row * shape.cols)  # the last row may be short: centre it
            row_w = in_row * shape.tile_width + (in_row - 1) * self.spacing
            left = (self.width() - row_w) // 2
            tile.setGeometry(left + col * (shape.tile_width + self.spacing),
                             top + row * (shape.tile_height + self.spacing),
                             shape.tile_width, shape.tile_height)
