"""What can be shared: screens and windows, behind one small interface.

A :class:`ScreenCatalog` lists :class:`ScreenSource` entries, grabs a thumbnail of each for the
picker, and opens one as an aiortc video track (at most 1920x1080 and 15 fps, scaled down when
larger; the track ends, with ``ended_reason``, when the screen or window goes away).
``SyntheticScreens`` shares a synthetic desktop (tests, the bot, machines without a display);
``desktop.media.qt.screens.QtScreens`` captures real screens and windows with Qt Multimedia.
No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import av
from aiortc.mediastreams import MediaStreamTrack

from .synthetic import DesktopPattern, SyntheticScreen

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


class SyntheticScreens:
    """One synthetic screen: a document scrolling on a desktop, 1920x1080 at 15 fps."""

    SOURCE = ScreenSource("synthetic", "Synthetic screen", "screen", SHARE_WIDTH, SHARE_HEIGHT)

    def __init__(self, width: int = SHARE_WIDTH, height: int = SHARE_HEIGHT, fps: int = SHARE_FPS) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.opened: list[SyntheticScreen] = []

    def sources(self) -> list[ScreenSource]:
        return [ScreenSource(self.SOURCE.id, self.SOURCE.name, "screen", self.width, self.height)]

    def unavailable_reason(self) -> str | None:
        return None

    async def thumbnail(self, source: ScreenSource, width: int, height: int) -> av.VideoFrame | None:
        frame = DesktopPattern(self.width, self.height).render(0, 0)
        scale = min(width / self.width, height / self.height)
        return frame.reformat(width=max(2, int(self.width * scale) & ~1),
                              height=max(2, int(self.height * scale) & ~1))

    def open(self, source: ScreenSource) -> MediaStreamTrack:
        if source.id != self.SOURCE.id:
            raise KeyError(f"no screen {source.id!r}")
        track = SyntheticScreen(self.width, self.height, self.fps)
        self.opened.append(track)
        return track
