"""The call window's side of adaptive video (desktop/ui/video_needs.py): the tile grid's layout
becomes one ``video_needs`` (remote tiles only, sizes in device pixels, stage marked, hidden when
the grid is not shown), and the server's pause shows on the tile and goes when it resumes."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest

from desktop.session import PauseReason, TileNeed
from desktop.session.events import ActiveSpeakersChanged, RemoteVideoChanged
from desktop.ui.bridge import SessionBridge
from desktop.ui.tile_grid import TileGrid
from desktop.ui.video_needs import VideoNeedsReporter
from desktop.ui.video_tile import VideoTile

SELF = "self"


class FakeSession:
    """What the reporter and the bridge use of a MeetingSession (``remote.tell_needs``)."""

    def __init__(self) -> None:
        self.handlers: dict[type, list] = {}
        self.told: list[list[TileNeed]] = []
        self.remote = self

    def on(self, event_type, handler) -> None:
        self.handlers.setdefault(event_type, []).append(handler)

    def off(self, event_type, handler) -> None:
        self.handlers[event_type].remove(handler)

    def emit(self, event) -> None:
        for handler in self.handlers.get(type(event), []):
            handler(event)

    async def tell_needs(self, tiles: list[TileNeed]) -> None:
        self.told.append(list(tiles))


class Tasks:
    def __init__(self) -> None:
        self.spawned: list = []

    def spawn(self, coroutine) -> None:
        self.spawned.append(coroutine)


@pytest.fixture
def call(qtbot):
    session, tasks = FakeSession(), Tasks()
    grid = TileGrid()
    qtbot.addWidget(grid)
    grid.resize(1280, 720)
    for key in (SELF, "ada", "grace"):
        grid.add_tile(key, VideoTile())
    bridge = SessionBridge(session)  # type: ignore[arg-type]
    reporter = VideoNeedsReporter(session, grid, bridge, tasks, SELF)  # type: ignore[arg-type]
    yield session, tasks, grid, reporter
    bridge.close()
    for coroutine in tasks.spawned:
        coroutine.close()


def sent(session: FakeSession, tasks: Tasks) -> list[TileNeed]:
    for coroutine in tasks.spawned:
        asyncio.run(coroutine)
    tasks.spawned.clear()
    return sorted(session.told[-1], key=lambda tile: tile.attendee_id)


def test_the_layout_is_told_once_with_the_remote_tiles_sizes(call, qtbot) -> None:
    session, tasks, grid, _ = call
    grid.show()
    qtbot.waitUntil(lambda: len(tasks.spawned) == 1, timeout=2000)
    tiles = sent(session, tasks)
    dpr = grid.devicePixelRatioF()
    assert [t.attendee_id for t in tiles] == ["ada", "grace"]  # not my own tile
    for tile in tiles:
        rect = grid.tile(tile.attendee_id).geometry()
        assert (tile.width, tile.height) == (round(rect.width() * dpr), round(rect.height() * dpr))
        assert tile.height > 0 and not tile.stage
    grid.set_stage(["grace"])
    qtbot.waitUntil(lambda: len(tasks.spawned) == 1, timeout=2000)
    tiles = {t.attendee_id: t for t in sent(session, tasks)}
    assert tiles["grace"].stage and not tiles["ada"].stage
    assert tiles["grace"].height > tiles["ada"].height  # the stage is large, the strip small


def test_the_active_speaker_is_served_first_wherever_its_tile_is(call, qtbot) -> None:
    session, tasks, grid, reporter = call
    grid.show()
    qtbot.waitUntil(lambda: len(tasks.spawned) == 1, timeout=2000)
    sent(session, tasks)
    session.emit(ActiveSpeakersChanged(("grace", "ada")))
    qtbot.waitUntil(lambda: len(tasks.spawned) == 1, timeout=2000)
    assert {t.attendee_id: t.stage for t in sent(session, tasks)} == {"ada": False, "grace": True}


def test_a_layout_made_before_the_grid_is_shown_is_not_told(call, qtbot) -> None:
    session, tasks, grid, reporter = call
    grid.resize(800, 450)  # laid out while not shown yet
    reporter.send()
    assert tasks.spawned == []  # not "every tile hidden": nothing
    grid.show()
    qtbot.waitUntil(lambda: len(tasks.spawned) == 1, timeout=2000)
    assert all(t.height > 0 for t in sent(session, tasks))


def test_a_pause_for_bandwidth_shows_on_the_tile_until_it_resumes(call) -> None:
    session, _, grid, _ = call
    tile = grid.tile("ada")
    rgb = np.full((180, 320, 3), 200, dtype=np.uint8)
    tile.set_frame(av.VideoFrame.from_ndarray(rgb, format="rgb24"))
    session.emit(RemoteVideoChanged("ada", True, PauseReason.BANDWIDTH, None))
    assert tile.paused == "bandwidth"
    assert tile.paused_text() == "Video paused because of a poor connection"
    assert "Video paused because of a poor connection" in tile.accessibleDescription()
    image = tile.grab().toImage()
    centre = image.pixelColor(image.width() // 2, image.height() // 2)
    assert centre.red() != 200  # the avatar, not the held picture
    assert grid.tile("grace").paused is None
    session.emit(RemoteVideoChanged("ada", False, None, "low"))
    assert tile.paused is None
    grid.tile("grace").set_paused("load")  # this computer's own pause: not the server's to lift
    session.emit(RemoteVideoChanged("grace", False, None, "high"))
    assert grid.tile("grace").paused == "load"
