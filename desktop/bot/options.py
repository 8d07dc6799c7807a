"""What a bot is asked to do: ``BotOptions``, and the simulated room it may talk in."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BotOptions", "parse_room", "parse_tile"]


@dataclass
class BotOptions:
    join_url: str
    name: str | None = None
    camera: str = "synthetic"
    mic: str = "synthetic"
    duration: float = 10.0
    light: bool = False
    muted: bool = False
    width: int = 640
    height: int = 360
    fps: int = 30
    screen: str = "none"
    screen_width: int = 1920
    screen_height: int = 1080
    screen_fps: int = 15
    share_for: float | None = None  # stop sharing after this many seconds (None: until leaving)
    say: str | None = None  # a chat message to everyone, sent once in
    share_file: str | None = None  # a video file to share as content
    raise_hand: bool = False
    #: talk and listen in a simulated room through the app's voice processing: "echo",
    #: "echo:DELAY_MS" (a laptop without headphones) or "headphones"; None: a plain tone
    room: str | None = None
    echo_cancellation: bool = True
    voice_seed: int | None = None  # which synthetic voice (None: one derived from the name)
    #: a media connection not connected this long has failed (session/link.py); None: the default
    media_timeout: float | None = None
    #: the host addresses its media connections offer (None: the app's choice for the server)
    ice_addresses: tuple[str, ...] | None = None
    #: the per-remote figures (``remotes`` in the report) count from this long after joining
    measure_after: float = 0.0
    #: the size each remote video is "shown" at, told to the server (``video_needs``); the active
    #: speaker on stage. (0, 0): nothing told
    tile: tuple[int, int] = (640, 360)


def parse_room(room: str) -> tuple[str, float | None]:
    """``"echo"``, ``"echo:120"`` or ``"headphones"`` -> (kind, echo delay in ms or None)."""
    kind, _, delay = room.partition(":")
    if kind == "headphones" and not delay:
        return kind, None
    if kind == "echo":
        try:
            delay_ms = float(delay) if delay else 80.0
        except ValueError:
            raise ValueError(f"not an echo delay in ms: {delay!r}") from None
        if not 0 <= delay_ms <= 500:
            raise ValueError(f"echo delay out of range (0-500 ms): {delay_ms:g}")
        return kind, delay_ms
    raise ValueError(f"not a room: {room!r} (echo, echo:DELAY_MS or headphones)")


def parse_tile(text: str) -> tuple[int, int]:
    """``"640x360"`` -> (640, 360); ``"0x0"``: tell nothing."""
    try:
        width, height = (int(side) for side in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"not a tile size WxH: {text!r}") from None
    if width < 0 or height < 0:
        raise ValueError(f"not a tile size WxH: {text!r}")
    return width, height
