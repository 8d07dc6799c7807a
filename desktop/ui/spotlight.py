"""The spotlight in the app: the person a host put on everyone's stage (the server's
``spotlight``) is shown large for everyone, above a local pin and the screen shares, with a
"Spotlight" badge on their tile; the People panel's menu knows who it is (to offer "Remove
spotlight")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

BADGE = "spotlightBadge"  # the badge's object name


class SpotlightBadge(QLabel):
    """"Spotlight", top right of a tile, kept there as the tile resizes."""

    def __init__(self, tile: QWidget) -> None:
        super().__init__(self.tr("Spotlight"), tile, objectName=BADGE)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("QLabel#spotlightBadge { background: rgba(17, 24, 39, 200); color: white;"
                           " border-radius: 4px; padding: 2px 6px; font-weight: 600; }")
        self.setAccessibleName(self.tr("In the spotlight for everyone"))
        tile.installEventFilter(self)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        self.adjustSize()
        tile = self.parentWidget()
        self.move(max(0, tile.width() - self.width() - 8), 8)
        self.raise_()


def mark_spotlight(tiles: dict[str, QWidget], key: str | None) -> None:
    """Give the tile of ``key`` the badge and take it from every other tile."""
    for k, tile in tiles.items():
        badge = tile.findChild(SpotlightBadge, BADGE, Qt.FindChildOption.FindDirectChildrenOnly)
        if k == key and badge is None:
            SpotlightBadge(tile).show()
        elif k != key and badge is not None:
            badge.setParent(None)
            badge.deleteLater()


def show_spotlight(call: Any, attendee_id: str | None, tile_key: Callable[[str], str]) -> None:
    """The server said who is in the spotlight (None: nobody): the call window's stage shows
    them large and its People panel knows (``call``: a ``CallWindow``; ``tile_key``: the tile
    key of an attendee id, mine being the self view)."""
    call.roster.spotlighted = attendee_id
    call.stage.set_spotlight(None if attendee_id is None else tile_key(attendee_id))
