"""What can be shared: screens and windows, behind one small interface.

A :class:`ScreenCatalog` lists :class:`ScreenSource` entries, grabs a thumbnail of each for the
picker, and opens one as an aiortc video track (at most 1920x1080 and 15 fps, scaled down when
larger; the track ends, with ``ended_reason``, when the screen or window goes away).
``desktop.media.qt.screens.QtScreens`` captures real screens and windows with Qt Multimedia;
``desktop.media.synthetic.backend.SyntheticScreens`` shares a synthetic desktop (tests, the bot,
machines without a display).
No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import av
from aiortc.mediastreams import MediaStreamTrack


#: A share is captured at up to this size and rate (issue: 1080p at 15 fps).
SHARE_WIDTH, SHARE_HEIGHT, SHARE_FPS = 1920, 1080, 15


@dataclass(frozen=True)
class ScreenSource:
    id: str
    name: str
    kind: Literal["screen", "window"]
    width: int = 0
    height: int = 0


class ScreenCatalog(Protocol):
    def sources(self) -> list[ScreenSource]:
        """Screens first, then windows; empty when nothing can be shared."""
        ...

    def unavailable_reason(self) -> str | None:
        """Why sharing cannot work here (e.g. a Wayland desktop without the portal), else None."""
        ...

    async def thumbnail(self, source: ScreenSource, width: int, height: int) -> av.VideoFrame | None:
        """A small picture of ``source`` fitting ``width`` x ``height`` (None: could not grab)."""
        ...

    def open(self, source: ScreenSource) -> MediaStreamTrack:
        """Start capturing ``source``: a live video track (the caller stops it)."""
        ...
