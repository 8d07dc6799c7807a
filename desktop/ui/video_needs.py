"""The call window's side of adaptive video: what each tile needs, and the paused notice.

After each layout of the tile grid, the size each remote tile has on screen (and whether it is on
the stage: pinned, a shared screen, or the active speaker wherever its tile is) goes to the server (``video_needs``,
through the session's ``remote.tell_needs``), at most once per :data:`DEBOUNCE_MS`, so the server sends
no larger a layer than is shown (a tile off the strip's page needs nothing; while this computer
is busy the session tells the videos it paused as hidden and the small tiles at the small
layer: session/load_governor.py ``needs_under_load``). When the server
pauses a video because my downlink cannot carry it, the tile says so ("Video paused because of a
poor connection", VideoTile's ``bandwidth`` pause) until it resumes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from ..session import PauseReason, TileNeed
from ..session.meeting_session import MeetingSession
from ..tasks import TaskOwner
from .bridge import SessionBridge
from .tile_grid import TileGrid

#: Layouts closer together than this (a window being dragged larger) are told once.
DEBOUNCE_MS = 300


class VideoNeedsReporter(QObject):
    """Tells the server what ``grid``'s remote tiles need (``self_key``: my own tile, left out),
    and shows the server's pauses on them."""

    def __init__(self, session: MeetingSession, grid: TileGrid, bridge: SessionBridge,
                 tasks: TaskOwner, self_key: str) -> None:
        super().__init__(grid)
        self._session = session
        self._grid = grid
        self._tasks = tasks
        self._self_key = self_key
        self._sizes: dict[str, tuple[int, int]] = {}
        self._speaker: str | None = None  # the most active speaker now
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.send)
        grid.laid_out.connect(self._on_laid_out)
        bridge.remote_video_changed.connect(self._on_remote_video)
        bridge.active_speakers_changed.connect(self._on_speakers)

    def _on_speakers(self, ranking: tuple) -> None:
        speaker = ranking[0] if ranking else None
        if speaker != self._speaker:
            self._speaker = speaker
            self._timer.start()

    def _on_laid_out(self, sizes: dict) -> None:
        self._sizes = {key: size for key, size in sizes.items() if key != self._self_key}
        self._timer.start()

    def needs(self) -> list[TileNeed]:
        """What each remote tile needs now: its size in the latest layout (0 x 0: laid out with
        no room), and whether it is on the stage."""
        stage = set(self._grid.stage_keys()) | {self._speaker}
        return [TileNeed(attendee_id=key, width=w, height=h, stage=key in stage)
                for key, (w, h) in self._sizes.items()]

    def send(self) -> None:
        """Tell the server, once the grid is shown (a layout made before that is not what the
        user sees: nothing is said rather than every tile hidden)."""
        if self._grid.isVisible():
            self._tasks.spawn(self._session.remote.tell_needs(self.needs()))

    def _on_remote_video(self, attendee_id: str, paused: bool, reason: str | None) -> None:
        """The server paused (or resumed) a video: the tile's paused state with its reason code
        (``bandwidth``: "Video paused because of a poor connection"); a pause of this computer's
        own (``load``) is not the server's to lift."""
        tile = self._grid.tile(attendee_id)
        if tile is None:
            return
        if paused:
            tile.set_paused(reason or PauseReason.BANDWIDTH)
        elif tile.paused == PauseReason.BANDWIDTH:
            tile.set_paused(None)
