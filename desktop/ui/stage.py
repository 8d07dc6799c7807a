"""Stage: the call's video tiles, and which of them are shown large.

One tile per person and per screen share (never for my own share: the sharing bar stands for
it). The stage — the large area, with the other tiles in a strip beside it — shows whom a host
put in the spotlight for everyone (with a "Spotlight" badge); else a tile the user pinned
(double-click, or its menu); else the shares, two side by side; else, in the speaker layout,
whoever talked last; else nothing, and everyone is the same size (the grid).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QMenu

from ..session import content_owner
from .icons import icon
from .frame_scaler import FrameScaler
from .spotlight import mark_spotlight
from .tile_grid import TileGrid
from .video_tile import VideoTile

SELF = "self"  # the key of the self-view tile
GRID, SPEAKER = "grid", "speaker"  # the layouts


class Stage(QObject):
    def __init__(self, grid: TileGrid, self_tile: VideoTile, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.grid = grid
        self.names: dict[str, str] = {}  # attendee id -> name, for those with a tile
        self.layout_mode = GRID
        self.pinned: str | None = None
        self.spotlight: str | None = None  # the tile a host put on everyone's stage
        self.speaker: str | None = None  # who talks most (tile key), for the speaker layout
        self.scaler = FrameScaler(self)  # every tile's pictures are converted off the GUI thread
        self_tile.set_scaler(self.scaler)
        grid.add_tile(SELF, self_tile)
        self._tile_menu_for(SELF, self_tile)

    def show_attendee(self, info) -> None:
        """A tile for ``info`` (made if new), showing their name, hand, microphone and camera."""
        tile = self.grid.tile(info.attendee_id)
        if tile is None:
            tile = VideoTile()
            tile.set_scaler(self.scaler)
            tile.set_fit(info.content)  # a screen is shown whole, never cropped
            self._tile_menu_for(info.attendee_id, tile)
            self.grid.add_tile(info.attendee_id, tile)
        self._apply(tile, info)
        self.update()

    def has(self, attendee_id: str) -> bool:
        return self.grid.tile(attendee_id) is not None

    def refresh(self, info) -> None:
        """Their tile shows what changed (name, hand, microphone, camera)."""
        self._apply(self.grid.tile(info.attendee_id), info)

    def _apply(self, tile: VideoTile, info) -> None:
        self.names[info.attendee_id] = info.name
        tile.set_hand_raised(bool(getattr(info, "hand_raised_at", None)))
        if info.content:  # the server names a share "Ada (screen)"
            tile.set_name(self.tr("{name} (screen)").format(name=info.name.removesuffix(" (screen)")))
        else:
            tile.set_name(info.name)
        tile.set_muted(info.muted)
        tile.set_connecting(getattr(info, "connecting", False))
        tile.set_video_on(info.video)
        if not info.video:
            tile.set_frame(None)

    def remove(self, attendee_id: str) -> None:
        tile = self.grid.tile(attendee_id)
        if tile is not None:
            self.scaler.forget(tile)
        self.grid.remove_tile(attendee_id)
        self.names.pop(attendee_id, None)
        if self.pinned == attendee_id:
            self.pinned = None
        if self.spotlight == attendee_id:
            self.spotlight = None
        self.update()

    def set_active_speaker(self, attendee_id: str | None) -> None:
        """Ring the tile of whoever is talking (``self`` for you); the speaker layout shows the
        last one who talked large."""
        for key in self.grid.keys():
            self.grid.tile(key).set_speaking(key == attendee_id)
        if attendee_id is not None and attendee_id != SELF:
            self.speaker = attendee_id
            self.update()

    def shares(self) -> list[str]:
        """Screen shares with a tile (others' shares), in the order they came."""
        return [key for key in self.grid.keys() if content_owner(key) is not None]

    def set_layout(self, mode: str) -> None:
        if mode not in (GRID, SPEAKER):
            raise ValueError(f"no layout {mode!r}")
        self.layout_mode = mode
        self.update()

    def pin(self, key: str | None) -> None:
        """Pin this tile to the stage (None: unpin)."""
        if key is not None and self.grid.tile(key) is None:
            return
        previous, self.pinned = self.pinned, key
        for k in (previous, key):
            tile = self.grid.tile(k) if k else None
            if tile is not None:
                tile.set_pinned(k == self.pinned)
        self.update()

    def set_spotlight(self, key: str | None) -> None:
        """A host put this tile on everyone's stage (None: nobody); it comes before a pin."""
        self.spotlight = key
        self.update()

    def _tile_menu_for(self, key: str, tile: VideoTile) -> None:
        tile.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tile.customContextMenuRequested.connect(lambda pos, k=key, t=tile: self._tile_menu(k, t, pos))
        tile.double_clicked.connect(lambda k=key: self.pin(None if self.pinned == k else k))

    def _tile_menu(self, key: str, tile: VideoTile, pos: QPoint) -> None:
        menu = QMenu(tile)
        if self.pinned == key:
            menu.addAction(icon("pin"), self.tr("Unpin"), lambda: self.pin(None))
        else:
            menu.addAction(icon("pin"), self.tr("Pin to the stage"), lambda k=key: self.pin(k))
        menu.popup(tile.mapToGlobal(pos))

    def update(self) -> None:
        """What the stage shows: the spotlight; else a pinned tile; else the shares; else, in the
        speaker layout, whoever talked last (or the first other person not muted); else nothing
        (the grid)."""
        mark_spotlight({k: self.grid.tile(k) for k in self.grid.keys()}, self.spotlight)
        if self.spotlight is not None and self.grid.tile(self.spotlight) is not None:
            stage = [self.spotlight]
        elif self.pinned is not None and self.grid.tile(self.pinned) is not None:
            stage = [self.pinned]
        elif self.shares():
            stage = self.shares()[:2]
        elif self.layout_mode == SPEAKER and self.grid.count > 1:
            others = [k for k in self.grid.keys() if k != SELF]
            unmuted = [k for k in others if not self.grid.tile(k).muted]  # never a muted stranger first
            stage = [self.speaker if self.speaker in others else (unmuted or others)[0]]
        else:
            stage = []
        self.grid.set_stage(stage)

    def show_frame(self, attendee_id: str, frame) -> None:
        tile = self.grid.tile(attendee_id)
        if tile is not None:
            tile.set_frame(frame)
