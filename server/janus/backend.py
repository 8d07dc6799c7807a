"""Janus as the server's media backend (``server.rooms.media.MediaBackend``), over one or
several Janus instances (``--janus-url``, repeatable).

Each instance is one WebSocket and one Janus session (``connection.py``), opened at start and
opened again (every ``RECONNECT_SECONDS``) whenever it is lost. A meeting is placed, when its
room opens, on the live instance carrying the fewest handles (publishers and subscribers) at
that moment, and stays there. When an instance's socket dies, every meeting on it is reported
lost (``watch``): the room registry places each again, on a live instance, and tells its
participants to reconnect their media (``server_restarting``), which they do with the same
join token while their seats wait for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .connection import JanusConnection, JanusGone, JanusError
from .videoroom import JanusMediaRoom

logger = logging.getLogger(__name__)

#: A lost instance is tried again this often.
RECONNECT_SECONDS = 1.0


class JanusInstance:
    """One Janus gateway: its URL, its connection while it is up, what Parley placed on it."""

    def __init__(self, url: str, api_secret: str | None, on_lost: Callable[["JanusInstance"], None]) -> None:
        self.url = url
        self._api_secret = api_secret
        self._on_lost = on_lost
        self._connection: JanusConnection | None = None
        self.handles = 0
        self.rooms: dict[str, JanusMediaRoom] = {}
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._stopped = False

    @property
    def live(self) -> bool:
        return self._connection is not None and not self._connection.closed

    def connection(self) -> JanusConnection | None:
        return self._connection if self.live else None

    def handles_changed(self, delta: int) -> None:
        self.handles = max(0, self.handles + delta)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._keep_connected())

    async def connect_once(self) -> bool:
        try:
            self._connection = await JanusConnection.open(self.url, self._api_secret, self._closed)
        except (JanusGone, JanusError) as exc:
            logger.debug("janus %s: %s", self.url, exc)
            return False
        logger.info("janus %s: connected (session %s)", self.url, self._connection.session_id)
        return True

    async def _keep_connected(self) -> None:
        warned = False
        while not self._stopped:
            if not self.live:
                if await self.connect_once():
                    warned = False
                elif not warned:
                    logger.warning("janus %s: not reachable; trying again every %g s", self.url, RECONNECT_SECONDS)
                    warned = True
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), RECONNECT_SECONDS)
            except asyncio.TimeoutError:
                pass

    def _closed(self) -> None:
        self.handles = 0
        self._wake.set()
        self._on_lost(self)

    async def close(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()


class JanusBackend:
    """Meetings on Janus VideoRoom, spread over ``urls`` (``MediaBackend``)."""

    def __init__(self, urls: list[str], api_secret: str | None = None, bitrate: int = 0) -> None:
        if not urls:
            raise ValueError("the janus media backend needs at least one --janus-url")
        self.instances = [JanusInstance(url, api_secret, self._instance_lost) for url in urls]
        self._bitrate = bitrate
        self._placed: dict[str, JanusInstance] = {}
        self._on_lost: Callable[[str], None] | None = None
        self._closing: set[asyncio.Task] = set()  # rooms being destroyed

    async def start(self, wait: float = 5.0) -> None:
        """Connect to every instance (waiting up to ``wait`` seconds for them all), and keep
        reconnecting the ones that are or go down."""
        try:
            await asyncio.wait_for(asyncio.gather(*(i.connect_once() for i in self.instances)), wait)
        except asyncio.TimeoutError:
            pass  # the ones not up yet are tried again in the background
        for instance in self.instances:
            instance.start()

    def watch(self, on_lost: Callable[[str], None]) -> None:
        """``on_lost(meeting_id)``: that meeting's media instance went away."""
        self._on_lost = on_lost

    def place(self, meeting_id: str) -> JanusMediaRoom:
        placement = _Placement(self, meeting_id)
        room = JanusMediaRoom(meeting_id, placement, self._bitrate)
        placement.room = room
        placement.connection()  # on the least loaded live instance now, or when one is up
        return room

    def _bind(self, meeting_id: str, room: JanusMediaRoom) -> JanusInstance | None:
        instance = self._least_loaded()
        if instance is not None:
            instance.rooms[meeting_id] = room
            self._placed[meeting_id] = instance
        return instance

    def _least_loaded(self) -> JanusInstance | None:
        live = [i for i in self.instances if i.live]
        if not live:
            return None
        return min(live, key=lambda i: (i.handles, len(i.rooms)))

    def release(self, meeting_id: str) -> None:
        instance = self._placed.pop(meeting_id, None)
        room = instance.rooms.pop(meeting_id, None) if instance is not None else None
        if room is not None:
            task = asyncio.get_running_loop().create_task(room.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def placed_on(self, meeting_id: str) -> str | None:
        """The URL of the instance carrying a meeting (for /metrics and tests)."""
        instance = self._placed.get(meeting_id)
        return instance.url if instance is not None else None

    def _instance_lost(self, instance: JanusInstance) -> None:
        lost = list(instance.rooms)
        instance.rooms.clear()
        for meeting_id in lost:
            self._placed.pop(meeting_id, None)
        if lost:
            logger.warning("janus %s: lost with %d meeting(s); moving them", instance.url, len(lost))
        for meeting_id in lost:
            if self._on_lost is not None:
                self._on_lost(meeting_id)

    async def close(self) -> None:
        await asyncio.gather(*self._closing, return_exceptions=True)
        await asyncio.gather(*(i.close() for i in self.instances), return_exceptions=True)


class _Placement:
    """Where one meeting's VideoRoom lives: an instance chosen when the meeting is placed, or,
    when none was up then, the first time one is needed."""

    def __init__(self, backend: JanusBackend, meeting_id: str) -> None:
        self._backend = backend
        self._meeting_id = meeting_id
        self.room: JanusMediaRoom | None = None
        self.instance: JanusInstance | None = None

    def connection(self) -> JanusConnection | None:
        if self.instance is None and self.room is not None:
            self.instance = self._backend._bind(self._meeting_id, self.room)
        return self.instance.connection() if self.instance is not None else None

    def handles_changed(self, delta: int) -> None:
        if self.instance is not None:
            self.instance.handles_changed(delta)
