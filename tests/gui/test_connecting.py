"""Someone whose sound and video do not get through yet (``Participant.connecting``, from the
server's ``AttendeeInfo.connecting``) is shown as connecting, in the people panel and on their
tile, instead of with full signal bars; once their media connects, they look like everyone."""

from __future__ import annotations

import dataclasses

from desktop.session.participant import Participant
from desktop.ui.roster_panel import RosterPanel
from desktop.ui.stage import Stage
from desktop.ui.tile_grid import TileGrid
from desktop.ui.video_tile import VideoTile
from wire import AttendeeInfo

GRACE = Participant.from_wire(AttendeeInfo("grace", "u-grace", "Grace", "participant", connecting=True))


def test_the_people_panel_says_connecting_and_shows_no_bars(qtbot) -> None:
    panel = RosterPanel()
    qtbot.addWidget(panel)
    panel.upsert(GRACE)
    row = panel.rows["grace"]
    panel.show_volumes([type("V", (), {"attendee_id": "grace", "volume": 0.0, "signal_strength": 1.0})()])
    assert "connecting" in row.role.text()
    assert row.signal.toolTip() == "Connecting…"  # not "Good connection"
    assert "connecting" in row.accessibleName()

    panel.upsert(dataclasses.replace(GRACE, connecting=False))  # her media got through
    assert "connecting" not in row.role.text()
    assert row.signal.toolTip() == "Good connection"  # the strength the server sent last


def test_the_tile_says_connecting(qtbot) -> None:
    grid = TileGrid()
    qtbot.addWidget(grid)
    stage = Stage(grid, VideoTile())
    stage.show_attendee(GRACE)
    tile = grid.tile("grace")
    assert tile._label() == "Grace · connecting…"
    assert "connecting" in tile.accessibleDescription()
    stage.refresh(dataclasses.replace(GRACE, connecting=False))
    assert tile._label() == "Grace"
    assert "connecting" not in tile.accessibleDescription()
