"""What the call window says about the media itself: videos paused because this computer is busy,
incoming media that stopped and is being repaired, and a weak link in either direction (what
arrives badly while this computer is busy is put down to the computer, not the connection).

``MediaNotices`` connects the session bridge's signals to the window: each tile shows its own
paused state (``VideoTile.set_paused``), and the window says once, in words, what happens.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from .bridge import SessionBridge
from .call_window import CallWindow


class MediaNotices(QObject):
    def __init__(self, window: CallWindow, bridge: SessionBridge, tile_key) -> None:
        """``tile_key(attendee_id)``: the key of that attendee's tile."""
        super().__init__(window)
        self.window = window
        self._tile_key = tile_key
        self.busy = False
        bridge.video_paused.connect(self.on_video_paused)
        bridge.computer_busy.connect(self.on_computer_busy)
        bridge.media_stalled.connect(self.on_media_stalled)
        bridge.media_restored.connect(self.on_media_restored)
        bridge.uplink_weak.connect(self.on_uplink_weak)
        bridge.receive_poor.connect(self.on_receive_poor)

    def on_video_paused(self, attendee_id: str, reason) -> None:
        tile = self.window.grid.tile(self._tile_key(attendee_id))
        if tile is not None:
            tile.set_paused(reason)

    def on_computer_busy(self, busy: bool) -> None:
        if busy and not self.busy:
            self.window.show_notice(self.tr("Your computer is busy, so Parley shows fewer videos."), 10)
        elif self.busy and not busy:
            self.window.show_notice(self.tr("Your computer keeps up again: every video is back."), 4)
        self.busy = busy

    def on_media_stalled(self, repairing: bool) -> None:
        if repairing:
            text = self.tr("Still nothing from the others: reconnecting to get their video and sound back…")
        else:
            text = self.tr("Video and sound from the others stopped arriving. Parley is repairing it…")
        self.window.show_notice(text, 30)

    def on_media_restored(self) -> None:
        self.window.show_notice(self.tr("Video and sound from the others are back."), 4)

    def _alert(self, text: str) -> None:
        window = self.window
        window.alert_text.setText(text)
        window.alert_action.setVisible(False)
        window.alert.setVisible(True)

    def on_uplink_weak(self) -> None:
        self._alert(self.tr("Your connection is poor. Others may not see your video well."))

    def on_receive_poor(self, computer: bool = False) -> None:
        """What the others send arrives badly; ``computer``: this computer was busy meanwhile,
        so it is not called the connection (and nothing is added while the busy notice holds)."""
        if not computer:
            self._alert(self.tr("Your connection is poor. Others' videos may freeze or look blurry."))
        elif not self.busy:
            self.window.show_notice(self.tr("Your computer is busy, so others' videos may freeze or look blurry."), 10)
