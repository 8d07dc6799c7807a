"""VideoTile: real av.VideoFrames in, pixels out (grab), and only the latest frame converted."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget

from desktop.ui.video_tile import QUALITY_WARN, VideoTile, avatar_colour, cover, initials

RED, BLUE, GREEN = (230, 30, 30), (30, 30, 230), (30, 200, 30)


def frame(width: int = 320, height: int = 180, left=RED, right=BLUE, top_band=None) -> av.VideoFrame:
    """A yuv420p frame (as a decoder gives) with two colour halves, and an optional band on top."""
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[:, : width // 2] = left
    rgb[:, width // 2:] = right
    if top_band is not None:
        colour, rows = top_band
        rgb[:rows] = colour
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def solid(colour, width: int = 320, height: int = 180) -> av.VideoFrame:
    return frame(width, height, colour, colour)


def near(pixel: QColor, rgb, tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip((pixel.red(), pixel.green(), pixel.blue()), rgb))


def shown(tile: VideoTile) -> QImage:
    return tile.grab().toImage()


@pytest.fixture
def tile(qtbot) -> VideoTile:
    tile = VideoTile()
    qtbot.addWidget(tile)
    tile.resize(480, 270)
    return tile


def test_the_frame_fills_the_tile_with_its_colours_in_place(tile: VideoTile) -> None:
    tile.set_frame(frame())
    image = shown(tile)
    assert (image.width(), image.height()) == (480, 270)
    for y in (5, 135, 264):  # top to bottom: no skew from a wrong stride
        assert near(image.pixelColor(20, y), RED) and near(image.pixelColor(230, y), RED)
        assert near(image.pixelColor(250, y), BLUE) and near(image.pixelColor(460, y), BLUE)
    assert tile.has_frame and tile.conversions == 1


@pytest.mark.parametrize("size", [(470, 265), (333, 187), (481, 271)])
def test_odd_sizes_keep_rows_aligned(qtbot, size) -> None:
    tile = VideoTile()
    qtbot.addWidget(tile)
    tile.resize(*size)
    tile.set_frame(frame(width=320, height=180))
    image = shown(tile)
    width, height = size
    for y in (2, height // 2, height - 3):  # the red/blue edge is in the middle on every row
        edge = next(x for x in range(width) if not near(image.pixelColor(x, y), RED, 80))
        assert abs(edge - width / 2) <= 3, (y, edge)


def test_a_4_3_frame_is_cropped_to_fill_not_letterboxed(tile: VideoTile) -> None:
    # 320x240 covers 480x270 at 1.5x (480x360): 45 rows are cut at the top and at the bottom,
    # so a 20-row band on top (30 rows scaled) is not shown at all, and there are no bars.
    tile.set_frame(frame(320, 240, top_band=(GREEN, 20)))
    image = shown(tile)
    assert not any(near(image.pixelColor(x, y), GREEN, 60) for x in (20, 240, 460) for y in (0, 1, 5))
    assert near(image.pixelColor(20, 0), RED) and near(image.pixelColor(460, 269), BLUE)


def test_cover_crops_the_longer_side_centred() -> None:
    assert cover(320, 180, 480, 270) == (480, 270, 0, 0)
    assert cover(320, 240, 480, 270) == (480, 360, 0, 45)
    assert cover(180, 320, 480, 270) == (480, 853, 0, 291)
    assert cover(640, 180, 480, 270) == (960, 270, 240, 0)


def test_the_self_view_is_a_mirror(tile: VideoTile) -> None:
    tile.set_self_view(True)
    tile.set_frame(frame())
    image = shown(tile)
    assert near(image.pixelColor(20, 135), BLUE) and near(image.pixelColor(460, 135), RED)


def test_only_the_latest_frame_is_converted(qtbot, tile: VideoTile) -> None:
    tile.show()
    qtbot.waitExposed(tile)
    qtbot.waitUntil(lambda: tile.conversions == 0 and not tile.has_frame)  # the first paint: no frame
    for colour in (RED, BLUE, RED, BLUE, GREEN):
        tile.set_frame(solid(colour))  # five frames before the next paint
    assert tile.conversions == 0  # set_frame never converts
    qtbot.waitUntil(lambda: tile.conversions == 1)  # the scheduled paint converted the last one
    image = shown(tile)  # another paint of the same frame: no conversion
    assert tile.conversions == 1 and tile.frames_shown == 5
    assert near(image.pixelColor(240, 100), GREEN)


def test_every_set_frame_is_new_whatever_the_object(tile: VideoTile) -> None:
    # Identity must not decide what is new: a freed frame's address is reused by later frames,
    # and a source may recycle one frame object. Here: one object, new pixels each time.
    recycled = solid(RED)
    for colour in (RED, BLUE, GREEN, RED):
        for plane, data in zip(recycled.planes, solid(colour).planes):
            plane.update(bytes(data))
        tile.set_frame(recycled)
        assert near(shown(tile).pixelColor(240, 100), colour)
    assert tile.conversions == 4


def test_a_hidden_tile_converts_nothing(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    tile = VideoTile(parent)
    tile.resize(480, 270)
    tile.hide()
    parent.show()
    qtbot.waitExposed(parent)
    for _ in range(3):
        tile.set_frame(frame())
    qtbot.wait(20)  # give a stray repaint the chance to happen (there must be none)
    assert tile.conversions == 0 and tile.frames_shown == 3


def test_video_off_shows_the_initials_on_the_name_colour(tile: VideoTile) -> None:
    tile.set_name("Ada Lovelace")
    tile.set_frame(frame())
    tile.set_video_on(False)
    image = shown(tile)
    colour = avatar_colour("Ada Lovelace")
    diameter = 270 * 0.42
    # inside the circle, below the letters: the avatar colour; left of the circle: no picture
    assert near(image.pixelColor(240, int(135 + diameter * 0.38)), (colour.red(), colour.green(), colour.blue()), 4)
    assert not near(image.pixelColor(20, 20), RED, 60)
    # the letters are white, in the middle
    assert any(near(image.pixelColor(x, y), (255, 255, 255), 30) for x in range(215, 266) for y in range(120, 151))
    assert tile.conversions == 0


def test_no_frame_yet_shows_the_initials_too(tile: VideoTile) -> None:
    tile.set_name("Grace Hopper")
    colour = avatar_colour("Grace Hopper")
    assert near(shown(tile).pixelColor(240, 175), (colour.red(), colour.green(), colour.blue()), 4)


def test_initials_and_colours() -> None:
    assert initials("Ada Lovelace") == "AL"
    assert initials("Grace Brewster Murray Hopper") == "GH"
    assert initials("linus") == "LI"
    assert initials("Ada Lovelace (you)") == "AL"
    assert initials("") == "?"
    assert avatar_colour("Ada") == avatar_colour("Ada")
    assert len({avatar_colour(n).name() for n in ("Ada", "Grace", "Linus", "Barbara", "Edsger", "Alan")}) > 1


def differing_pixels(a: QImage, b: QImage) -> list[tuple[int, int]]:
    return [(x, y) for y in range(0, a.height(), 2) for x in range(0, a.width(), 2) if a.pixel(x, y) != b.pixel(x, y)]


def test_the_muted_badge_is_drawn_in_the_name_pill(tile: VideoTile) -> None:
    tile.set_name("Ada Lovelace")
    tile.set_frame(frame())
    unmuted = shown(tile)
    tile.set_muted(True)
    muted = shown(tile)
    changed = differing_pixels(unmuted, muted)
    assert changed and all(x < 240 and y > 200 for x, y in changed)  # bottom left only
    assert any(near(muted.pixelColor(x, y), (0xF8, 0x71, 0x71), 40) for x in range(8, 40) for y in range(230, 262))
    assert "muted" in tile.accessibleDescription()


def test_speaking_draws_an_accent_border(tile: VideoTile) -> None:
    tile.set_frame(frame())
    tile.set_speaking(True)
    image = shown(tile)
    assert near(image.pixelColor(120, 1), (0x3B, 0x82, 0xF6), 30)
    assert near(image.pixelColor(1, 135), (0x3B, 0x82, 0xF6), 30)
    assert near(image.pixelColor(120, 135), RED)


def test_poor_quality_shows_a_signal_badge_bottom_right_on_a_dark_backdrop(tile: VideoTile) -> None:
    """Bottom right: away from the hand (top right) and a notice in the middle; on a near-opaque
    dark badge, so it reads on a bright picture."""
    tile.set_frame(frame())
    plain = shown(tile)
    tile.set_quality(0.9)
    assert differing_pixels(plain, shown(tile)) == []  # good quality: nothing to say
    tile.set_quality(QUALITY_WARN / 3)
    poor = shown(tile)
    changed = differing_pixels(plain, poor)
    assert changed and all(x > 400 and y > 200 for x, y in changed)
    x, y = max(changed)  # inside the badge, beside its icon: the backdrop
    corner = poor.pixelColor(min(x for x, _ in changed) + 3, max(y for _, y in changed) - 3)
    assert corner.lightness() < 60, corner.name()
    assert "poor connection" in tile.accessibleDescription()
    tile.set_quality(None)
    assert differing_pixels(plain, shown(tile)) == []


def test_names_and_accessibility(tile: VideoTile) -> None:
    tile.set_name("Ada Lovelace")
    assert tile.accessibleName() == "Ada Lovelace" and tile.toolTip() == "Ada Lovelace"
    tile.set_self_view(True)
    assert tile.accessibleName() == "Ada Lovelace" and tile.toolTip() == "Ada Lovelace (you)"
    tile.set_name("Ada Lovelace (you)")  # already says so: not twice
    assert tile.toolTip() == "Ada Lovelace (you)"
    tile.set_name("")
    assert tile.toolTip() == "You"


def test_rounded_corners_take_the_parent_colour(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.setStyleSheet("background: #00ff00")
    parent.resize(500, 290)
    tile = VideoTile(parent)
    tile.setGeometry(10, 10, 480, 270)
    tile.set_frame(frame())
    parent.show()
    qtbot.waitExposed(parent)
    image = shown(tile)
    window = parent.palette().color(parent.backgroundRole())
    assert image.pixelColor(0, 0) == window and image.pixelColor(479, 269) == window
    assert near(image.pixelColor(20, 135), RED)


def test_clearing_the_frame(tile: VideoTile) -> None:
    tile.set_name("Ada")
    tile.set_frame(frame())
    shown(tile)
    tile.set_frame(None)
    assert not tile.has_frame
    assert not near(shown(tile).pixelColor(20, 20), RED, 60)


def test_with_a_scaler_the_picture_is_converted_off_the_gui_thread(qtbot) -> None:
    import threading

    from desktop.ui.frame_scaler import FrameScaler

    scaler = FrameScaler()
    tile = VideoTile()
    qtbot.addWidget(tile)
    tile.resize(480, 270)
    tile.set_scaler(scaler)
    tile.show()
    try:
        tile.set_frame(frame())
        qtbot.waitUntil(lambda: tile.conversions == 1)
        image = shown(tile)
        assert near(image.pixelColor(20, 135), RED) and near(image.pixelColor(460, 135), BLUE)
        assert scaler.worker_thread is not None and scaler.worker_thread != threading.get_ident()
        # pictures that come faster than the worker converts them: only the latest is shown
        for colour in (GREEN, BLUE, RED, GREEN):
            tile.set_frame(solid(colour))
        qtbot.waitUntil(lambda: near(shown(tile).pixelColor(240, 135), GREEN))
        assert tile.conversions <= 5 and scaler.converted + scaler.dropped >= 4
    finally:
        scaler.close()
