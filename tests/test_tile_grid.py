"""TileGrid: the shapes of the grid (a pure function) and the tiles' geometry in a real widget."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QWidget

from desktop.ui.tile_grid import CAPACITIES, GridShape, TileGrid, capacity, grid_shape, tile_rects
from desktop.ui.video_tile import VideoTile

SPACING = 8
SIZES = [(1280, 720), (1920, 1000), (800, 600), (720, 1280), (2400, 400), (400, 1200), (640, 360)]


def by_step(shapes: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """(cols, rows) per count 1..17, from one shape per capacity step."""
    return {count: shapes[capacity(count)] for count in range(1, 18)}


# (cols, rows), as the module docstring promises.
WIDE = by_step({1: (1, 1), 2: (2, 1), 4: (2, 2), 6: (3, 2), 9: (3, 3), 12: (4, 3), 16: (4, 4), 20: (5, 4)})
FOUR_THREE = by_step({1: (1, 1), 2: (1, 2), 4: (2, 2), 6: (2, 3), 9: (3, 3), 12: (3, 4), 16: (4, 4), 20: (4, 5)})
PORTRAIT = by_step({1: (1, 1), 2: (1, 2), 4: (1, 4), 6: (1, 6), 9: (2, 5), 12: (2, 6), 16: (2, 8), 20: (3, 7)})


def test_the_cell_count_steps_through_the_capacities() -> None:
    assert [capacity(n) for n in range(1, 18)] == [1, 2, 4, 4, 6, 6, 9, 9, 9, 12, 12, 12, 16, 16, 16, 16, 20]
    assert CAPACITIES[-1] == 20  # 16 cameras + the self-view
    assert capacity(23) == 23


@pytest.mark.parametrize("count", range(1, 18))
def test_shapes_in_a_16_9_window(count: int) -> None:
    shape = grid_shape(count, 1280, 720, spacing=SPACING)
    assert (shape.cols, shape.rows) == WIDE[count]


@pytest.mark.parametrize("count", range(1, 18))
def test_shapes_in_a_4_3_window(count: int) -> None:
    shape = grid_shape(count, 800, 600, spacing=SPACING)
    assert (shape.cols, shape.rows) == FOUR_THREE[count]


@pytest.mark.parametrize("count", range(1, 18))
def test_shapes_in_a_portrait_window_stack_the_tiles(count: int) -> None:
    shape = grid_shape(count, 720, 1280, spacing=SPACING)
    assert (shape.cols, shape.rows) == PORTRAIT[count]


@pytest.mark.parametrize("width,height", [(1280, 720), (800, 600), (720, 1280), (2400, 400), (1000, 1000)])
def test_the_shape_and_tile_size_stay_put_within_a_step(width: int, height: int) -> None:
    for step_start, step_end in zip((0,) + CAPACITIES, CAPACITIES):
        shapes = {grid_shape(n, width, height, spacing=SPACING) for n in range(step_start + 1, step_end + 1)}
        assert len(shapes) == 1, (step_end, shapes)


def test_a_very_wide_window_puts_few_tiles_in_one_row() -> None:
    assert grid_shape(3, 2400, 400, spacing=SPACING)[:2] == (4, 1)
    assert grid_shape(2, 2400, 400, spacing=SPACING)[:2] == (2, 1)


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("count", range(1, 18))
def test_every_shape_fits_keeps_16_9_and_has_no_empty_row(count: int, width: int, height: int) -> None:
    shape = grid_shape(count, width, height, spacing=SPACING)
    cols, rows, tile_w, tile_h = shape  # unpacks like the tuple it is
    assert isinstance(shape, GridShape)
    cells = capacity(count)
    assert cols * rows >= cells >= count
    assert (rows - 1) * cols < cells, "a whole row of the step left empty"
    assert cols * tile_w + (cols - 1) * SPACING <= width
    assert rows * tile_h + (rows - 1) * SPACING <= height
    assert tile_w > 0 and abs(tile_w * 9 / 16 - tile_h) < 1  # 16:9 to the pixel
    # as large as the step allows: no other column count for the same cells does better
    for other_cols in range(1, cells + 1):
        other_rows = math.ceil(cells / other_cols)
        if (other_rows - 1) * other_cols >= cells:
            continue
        other = min((width - (other_cols - 1) * SPACING) / other_cols,
                    (height - (other_rows - 1) * SPACING) / other_rows * 16 / 9)
        assert tile_w >= int(other)


def test_an_empty_grid_has_no_rects() -> None:
    assert tile_rects(0, 800, 600) == []


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 10, 13, 17])
def test_rects_are_inside_apart_and_centred(count: int, width: int, height: int) -> None:
    rects = tile_rects(count, width, height, spacing=SPACING)
    shape = grid_shape(count, width, height, spacing=SPACING)
    assert len(rects) == count
    assert len({r.top() for r in rects}) == math.ceil(count / shape.cols) <= shape.rows
    area = QRect(0, 0, width, height)
    for i, rect in enumerate(rects):
        assert area.contains(rect)
        assert (rect.width(), rect.height()) == (shape.tile_width, shape.tile_height)
        for other in rects[i + 1:]:
            assert not rect.intersects(other)
    # the block is centred, and so is every row (a short last row too)
    top, bottom = rects[0].top(), height - 1 - rects[-1].bottom()
    assert abs(top - bottom) <= 1
    for row_start in range(0, count, shape.cols):
        row = rects[row_start:row_start + shape.cols]
        left, right = row[0].left(), width - 1 - row[-1].right()
        assert abs(left - right) <= 1
        assert len({r.top() for r in row}) == 1


def test_a_short_last_row_is_centred_under_the_others() -> None:
    rects = tile_rects(3, 1280, 720, spacing=SPACING)  # 2x2 with one empty cell
    assert rects[0].top() == rects[1].top() < rects[2].top()
    assert rects[2].center().x() == pytest.approx(640, abs=1)


# --- the widget ----------------------------------------------------------------------------------

def make_grid(qtbot, count: int, size=(1000, 600), **kwargs) -> TileGrid:
    grid = TileGrid(**kwargs)
    qtbot.addWidget(grid)
    for i in range(count):
        grid.add_tile(f"a{i}", QWidget())
    grid.resize(*size)
    grid.show()
    qtbot.waitExposed(grid)
    return grid


def geometries(grid: TileGrid) -> list[QRect]:
    return [grid.tile(key).geometry() for key in grid.keys()]


def test_tiles_follow_resizes_and_count_changes(qtbot) -> None:
    grid = make_grid(qtbot, 5)
    assert grid.count == 5 and grid.keys() == [f"a{i}" for i in range(5)]
    assert geometries(grid) == tile_rects(5, 1000, 600, spacing=grid.spacing)

    grid.resize(800, 600)
    qtbot.waitUntil(lambda: geometries(grid) == tile_rects(5, 800, 600, spacing=grid.spacing))
    assert grid.shape()[:2] == (2, 3)

    grid.remove_tile("a2")
    assert grid.count == 4 and "a2" not in grid.keys() and grid.tile("a2") is None
    assert geometries(grid) == tile_rects(4, 800, 600, spacing=grid.spacing)

    grid.add_tile("late", QWidget())
    assert grid.keys()[-1] == "late"
    assert geometries(grid) == tile_rects(5, 800, 600, spacing=grid.spacing)


def test_sixteen_cameras_and_the_self_view_make_a_5x4_grid(qtbot) -> None:
    grid = make_grid(qtbot, 16, size=(1600, 900))
    grid.add_tile("me", VideoTile(), self_view=True)
    assert grid.count == 17 and grid.shape()[:2] == (5, 4)
    assert geometries(grid) == tile_rects(17, 1600, 900, spacing=grid.spacing)


def test_a_key_holds_one_tile(qtbot) -> None:
    grid = make_grid(qtbot, 1)
    with pytest.raises(KeyError):
        grid.add_tile("a0", QWidget())
    grid.remove_tile("nobody")  # nothing to do
    assert grid.count == 1


def test_removed_tiles_are_deleted(qtbot) -> None:
    grid = make_grid(qtbot, 2)
    tile = grid.tile("a1")
    with qtbot.waitSignal(tile.destroyed):
        grid.remove_tile("a1")


@pytest.mark.parametrize("position,expected", [("first", ["me", "a0", "a1", "a2"]),
                                               ("last", ["a0", "a1", "a2", "me"])])
def test_the_self_view_goes_first_or_last(qtbot, position: str, expected: list[str]) -> None:
    grid = TileGrid(self_view_position=position)
    qtbot.addWidget(grid)
    grid.add_tile("a0", QWidget())
    me = VideoTile()
    me.set_self_view(True)  # the tile says it is the self-view: no flag needed
    grid.add_tile("me", me)
    grid.add_tile("a1", QWidget())
    grid.add_tile("a2", QWidget())
    grid.resize(1280, 720)
    grid.show()
    qtbot.waitExposed(grid)
    assert grid.keys() == expected
    rects = tile_rects(4, 1280, 720, spacing=grid.spacing)
    assert me.geometry() == rects[expected.index("me")]
    grid.remove_tile("me")
    assert grid.keys() == ["a0", "a1", "a2"]


def test_only_one_self_view_and_a_known_position(qtbot) -> None:
    with pytest.raises(ValueError):
        TileGrid(self_view_position="middle")
    grid = make_grid(qtbot, 0)
    grid.add_tile("me", QWidget(), self_view=True)
    with pytest.raises(KeyError):
        grid.add_tile("me too", QWidget(), self_view=True)


def test_a_hugging_grid_is_16_9_tall(qtbot) -> None:
    grid = TileGrid(spacing=0, hug=True)
    qtbot.addWidget(grid)
    assert grid.hasHeightForWidth() and grid.heightForWidth(640) == 360
