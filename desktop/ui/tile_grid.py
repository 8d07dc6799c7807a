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
pinned tile, the active speaker) on a large stage, and the others in a filmstrip beside it — on
the right of a landscape window, below a portrait one (``stage_rects``). Its thumbnails are at
least ``STRIP_MIN`` pixels wide; when they do not all fit, the strip shows a page of them
between two arrows (``show_strip_page``), and the tiles of other pages are hidden (not painted).
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtWidgets import QSizePolicy, QToolButton, QWidget

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


#: The filmstrip beside the stage takes this share of the window, its thumbnails at least
#: STRIP_MIN pixels wide (16:9): a name pill and a face stay readable with 16 people.
STRIP_SHARE = 0.2
STRIP_MIN = 192
#: The room the filmstrip's page arrows take at each end.
ARROW = 28


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


class Filmstrip(NamedTuple):
    """The stage's layout: the tiles on the stage, the strip's thumbnails of one page, how many
    thumbnails a page holds, and where the two page arrows go (``None``: everyone fits)."""

    stage: list[QRect]
    strip: list[QRect]
    per_page: int
    arrows: tuple[QRect, QRect] | None


def stage_rects(stage: int, strip: int, width: int, height: int, aspect: float = 16 / 9,
                spacing: int = 8) -> Filmstrip:
    """Rects for ``stage`` tiles on the stage (side by side) and the filmstrip of ``strip``
    others beside it: one column on the right of a landscape window, one row below a portrait
    one, each thumbnail at least ``STRIP_MIN`` wide; when they do not all fit, a page of them
    between two arrows (``strip`` are the page's rects, in order)."""
    if strip <= 0:
        return Filmstrip(row_rects(stage, width, height, aspect, spacing), [], 0, None)
    if width >= height:  # a column on the right
        thumb_w = max(STRIP_MIN, int(width * STRIP_SHARE))
        thumb_h = int(thumb_w / aspect)
        stage_w = max(1, width - thumb_w - spacing)
        on_stage = row_rects(stage, stage_w, height, aspect, spacing)
        fits = max(1, (height + spacing) // (thumb_h + spacing))
        paged = strip > fits
        room = height - 2 * ARROW if paged else height
        per_page = max(1, (room + spacing) // (thumb_h + spacing)) if paged else strip
        shown = min(strip, per_page)
        top = (height - (shown * thumb_h + (shown - 1) * spacing)) // 2
        rects = [QRect(stage_w + spacing, top + i * (thumb_h + spacing), thumb_w, thumb_h) for i in range(shown)]
        arrows = (QRect(stage_w + spacing, 0, thumb_w, ARROW - 4),
                  QRect(stage_w + spacing, height - ARROW + 4, thumb_w, ARROW - 4)) if paged else None
    else:  # a row at the bottom
        thumb_h = max(int(STRIP_MIN / aspect), int(height * STRIP_SHARE))
        thumb_w = int(thumb_h * aspect)
        stage_h = max(1, height - thumb_h - spacing)
        on_stage = row_rects(stage, width, stage_h, aspect, spacing)
        fits = max(1, (width + spacing) // (thumb_w + spacing))
        paged = strip > fits
        room = width - 2 * ARROW if paged else width
        per_page = max(1, (room + spacing) // (thumb_w + spacing)) if paged else strip
        shown = min(strip, per_page)
        left = (width - (shown * thumb_w + (shown - 1) * spacing)) // 2
        top = stage_h + spacing
        rects = [QRect(left + i * (thumb_w + spacing), top, thumb_w, thumb_h) for i in range(shown)]
        arrows = (QRect(0, top, ARROW - 4, thumb_h), QRect(width - ARROW + 4, top, ARROW - 4, thumb_h)) if paged else None
    return Filmstrip(on_stage, rects, per_page, arrows)


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
        self.strip_page = 0  # the filmstrip's page shown, while the stage is in use
        self.strip_pages = 1
        self.overlay: QWidget | None = None  # a notice over the tiles (bottom centre)
        self.page_arrows = (self._arrow(Qt.ArrowType.UpArrow, self.tr("Previous people")),
                            self._arrow(Qt.ArrowType.DownArrow, self.tr("More people")))
        self.page_arrows[0].clicked.connect(lambda: self.show_strip_page(self.strip_page - 1))
        self.page_arrows[1].clicked.connect(lambda: self.show_strip_page(self.strip_page + 1))
        self.setMinimumSize(320, 180)
        self.setAutoFillBackground(True)  # the gaps between tiles are repainted too
        if hug:
            policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            policy.setHeightForWidth(True)
            self.setSizePolicy(policy)

    def _arrow(self, arrow: Qt.ArrowType, name: str) -> QToolButton:
        button = QToolButton(self, objectName="stripArrow")
        button.setArrowType(arrow)
        button.setAccessibleName(name)
        button.setToolTip(name)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        button.hide()
        return button

    def show_strip_page(self, page: int) -> None:
        """Show this page of the filmstrip (clamped to the pages there are)."""
        page = max(0, min(page, self.strip_pages - 1))
        if page != self.strip_page:
            self.strip_page = page
            self._relayout()

    def set_overlay(self, widget: QWidget | None) -> None:
        """A notice shown over the tiles, centred near the bottom (None: none)."""
        self.overlay = widget
        if widget is not None:
            widget.setParent(self)
            self._place_overlay()

    def _place_overlay(self) -> None:
        widget = self.overlay
        if widget is None:
            return
        size = widget.sizeHint()
        width = min(size.width(), self.width() - 32)
        height = widget.heightForWidth(width) if widget.hasHeightForWidth() else size.height()
        widget.setGeometry((self.width() - width) // 2, self.height() - height - 24, width, height)
        widget.raise_()

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

    def strip_keys(self) -> list[str]:
        """The filmstrip's tiles on the page shown (all tiles but the stage's: [] in the grid)."""
        stage = self.stage_keys()
        return [k for k in self.keys() if k not in stage and self._tiles[k].isVisibleTo(self)] if stage else []

    def _relayout(self) -> None:
        keys = self.keys()
        stage = self.stage_keys()
        arrows = None
        if not stage:
            rects = tile_rects(len(keys), self.width(), self.height(), self.aspect, self.spacing)
            self.strip_pages, self.strip_page = 1, 0
        else:
            others = [key for key in keys if key not in stage]
            layout = stage_rects(len(stage), len(others), self.width(), self.height(), self.aspect, self.spacing)
            per_page = max(1, layout.per_page)
            self.strip_pages = max(1, math.ceil(len(others) / per_page))
            self.strip_page = min(self.strip_page, self.strip_pages - 1)
            start = self.strip_page * per_page
            page = others[start:start + per_page]
            for key in others[:start] + others[start + per_page:]:
                self._tiles[key].hide()  # off this page: not shown, not painted
            keys = stage + page
            rects = layout.stage + layout.strip[:len(page)]
            arrows = layout.arrows
        for key, rect in zip(keys, rects):
            tile = self._tiles[key]
            tile.setGeometry(rect)
            if tile.isHidden():
                tile.show()
        for index, button in enumerate(self.page_arrows):
            if arrows is None:
                button.hide()
                continue
            button.setGeometry(arrows[index])
            hidden = self.strip_page * per_page if index == 0 else max(0, len(others) - start - per_page)
            button.setEnabled(hidden > 0)
            button.setText(self.tr("%n more", "", hidden) if hidden else "")  # how many this way
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if hidden
                                      else Qt.ToolButtonStyle.ToolButtonIconOnly)
            button.setArrowType((Qt.ArrowType.UpArrow, Qt.ArrowType.DownArrow)[index] if self.width() >= self.height()
                                else (Qt.ArrowType.LeftArrow, Qt.ArrowType.RightArrow)[index])
            button.show()
            button.raise_()
        self._place_overlay()
        dpr = self.devicePixelRatioF()
        sizes = {key: (0, 0) for key in self._tiles}  # off this page: needs nothing
        sizes.update({key: (round(rect.width() * dpr), round(rect.height() * dpr)) for key, rect in zip(keys, rects)})
        self.laid_out.emit(sizes)
