"""Janus as the server's media backend (``server.rooms.media.MediaBackend``), over one or
several Janus instances (``--janus-url``, repeatable).

Each instance is one WebSocket and one Janus session (``connection.py``), opened at start and
opened again (every ``RECONNECT_SECONDS``) whenever it is lost. A meeting is placed, when its
room opens, on the live instance carrying the fewest handles (publishers and subscribers) at
that moment, and stays there. When an instance's socket dies, every meeting on it is reported
lost (``watch``): the room registry places each again, on a live instance, and tells its
participants to reconnect their media (``server_restarting``), which they do with the same
join token while their seats wait for them.

Chores, per instance (:class:`Chores`), while it is up:

* With the Admin API (``--janus-admin-url``, one per ``--janus-url`` in the same order, and
  ``--janus-admin-secret``), every ``admin.POLL_SECONDS`` each handle's figures are read
  (``handle_info``): packets in and out (/metrics), uplink loss (signal strength in the roster),
  and the loss on each subscriber's downlink (its cameras' layers). Without it, a line in the log
  says so once, and those figures stay unknown.
* Rooms left behind: every ``SWEEP_SECONDS``, and whenever the instance (re)connects, its
  VideoRooms are listed, and each Parley room (``parley MEETING_ID``) that is not this node's and
  whose meeting no other live node holds is destroyed (its secret is derived from the key the
  nodes share, ``share_cluster``): the rooms of a node that died, once another node took its
  meetings over or they ended.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable

from .admin import POLL_SECONDS, AdminGone, AdminRefused, JanusAdmin
from .connection import JanusConnection, JanusGone, JanusError, plugin_data
from .tracks import VIDEOROOM
from .videoroom import DESCRIPTION_PREFIX, JanusMediaRoom, room_secret

logger = logging.getLogger(__name__)

#: A lost instance is tried again this often.
RECONNECT_SECONDS = 1.0
#: Rooms left behind by nodes that are gone are looked for this often (and at each connect).
SWEEP_SECONDS = 10.0


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

    def __init__(self, urls: list[str], api_secret: str | None = None, bitrate: int = 0,
                 admin_urls: list[str] | None = None, admin_secret: str | None = None) -> None:
        if not urls:
            raise ValueError("the janus media backend needs at least one --janus-url")
        if admin_urls and len(admin_urls) != len(urls):
            raise ValueError("give one --janus-admin-url per --janus-url, in the same order")
        self.instances = [JanusInstance(url, api_secret, self._instance_lost) for url in urls]
        self._admins = [JanusAdmin(url, admin_secret) for url in admin_urls] if admin_urls else []
        self._bitrate = bitrate
        self._placed: dict[str, JanusInstance] = {}
        self._rooms: dict[str, JanusMediaRoom] = {}  # every meeting placed by this node
        self._on_lost: Callable[[str], None] | None = None
        self._closing: set[asyncio.Task] = set()  # rooms being destroyed
        self._room_key = secrets.token_bytes(32)
        self._held_elsewhere: Callable[[str], object] = lambda meeting_id: None
        self._chores: list[Chores] = []

    def share_cluster(self, room_key: bytes, held_elsewhere: Callable[[str], object]) -> None:
        """``room_key``: the secret every node of the cluster derives its rooms' secrets from;
        ``held_elsewhere(meeting_id)``: truthy while another live node runs that meeting."""
        self._room_key = room_key
        self._held_elsewhere = held_elsewhere

    async def start(self, wait: float = 5.0) -> None:
        """Connect to every instance (waiting up to ``wait`` seconds for them all), and keep
        reconnecting the ones that are or go down."""
        try:
            await asyncio.wait_for(asyncio.gather(*(i.connect_once() for i in self.instances)), wait)
        except asyncio.TimeoutError:
            pass  # the ones not up yet are tried again in the background
        for instance in self.instances:
            instance.start()
        if not self._admins:
            logger.info("janus: no --janus-admin-url: packet counters, signal strength and the subscribers' "
                        "link quality stay unknown (the layers follow the tiles alone)")
        admins: list[JanusAdmin | None] = list(self._admins) or [None] * len(self.instances)
        self._chores = [Chores(self, instance, admin) for instance, admin in zip(self.instances, admins)]
        for chores in self._chores:
            chores.start()

    def watch(self, on_lost: Callable[[str], None]) -> None:
        """``on_lost(meeting_id)``: that meeting's media instance went away."""
        self._on_lost = on_lost

    def place(self, meeting_id: str) -> JanusMediaRoom:
        placement = _Placement(self, meeting_id)
        room = JanusMediaRoom(meeting_id, placement, self._bitrate, self._room_key)
        placement.room = room
        self._rooms[meeting_id] = room
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
        self._rooms.pop(meeting_id, None)
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

    async def sweep(self, instance: JanusInstance) -> int:
        """Destroy the Parley rooms on ``instance`` that are not this node's and whose meeting no
        other live node runs; how many were destroyed."""
        janus = instance.connection()
        if janus is None:
            return 0
        ours = {room.room_id for room in self._rooms.values()}
        handle = await janus.attach(VIDEOROOM, lambda event: None)
        destroyed = 0
        try:
            rooms = plugin_data(await janus.message(handle, {"request": "list"})).get("list") or []
            for listed in rooms:
                description, room_id = str(listed.get("description", "")), int(listed.get("room", 0))
                meeting_id = description[len(DESCRIPTION_PREFIX):]
                if (not description.startswith(DESCRIPTION_PREFIX) or room_id in ours
                        or self._held_elsewhere(meeting_id)):
                    continue
                try:
                    plugin_data(await janus.message(handle, {
                        "request": "destroy", "room": room_id,
                        "secret": room_secret(self._room_key, meeting_id, room_id)}))
                except JanusError as exc:  # made with another key: another deployment's
                    logger.debug("janus %s: room %s of %s not destroyed: %s", instance.url, room_id, meeting_id, exc)
                    continue
                destroyed += 1
                logger.info("janus %s: destroyed the VideoRoom of meeting %s, left by a node that is gone",
                            instance.url, meeting_id)
        finally:
            await janus.detach(handle)
        return destroyed

    async def close(self) -> None:
        await asyncio.gather(*(chores.close() for chores in self._chores), return_exceptions=True)
        await asyncio.gather(*self._closing, return_exceptions=True)
        await asyncio.gather(*(i.close() for i in self.instances), return_exceptions=True)
        await asyncio.gather(*(a.close() for a in self._admins), return_exceptions=True)


class Chores:
    """What is done for one instance while it is up: reading its handles' figures (with the
    Admin API) and sweeping the rooms left behind."""

    def __init__(self, backend: JanusBackend, instance: JanusInstance, admin: JanusAdmin | None) -> None:
        self._backend = backend
        self._instance = instance
        self._admin = admin
        self._task: asyncio.Task | None = None
        self._swept: JanusConnection | None = None  # the connection last swept on
        self._swept_at = 0.0
        self._admin_failing = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            janus = self._instance.connection()
            try:
                if janus is not None and (janus is not self._swept or loop.time() - self._swept_at >= SWEEP_SECONDS):
                    self._swept, self._swept_at = janus, loop.time()
                    await self._backend.sweep(self._instance)
                if janus is not None and self._admin is not None:
                    await self.poll(janus)
            except (JanusGone, JanusError) as exc:
                logger.info("janus %s: looking for rooms left behind: %s", self._instance.url, exc)
            except Exception:  # the store unreachable (who holds a meeting), a reply not understood
                logger.exception("janus %s: the chores failed; trying again", self._instance.url)
            await asyncio.sleep(POLL_SECONDS if self._admin is not None else 1.0)

    async def poll(self, janus: JanusConnection) -> None:
        """Read every handle's figures on this instance once."""
        assert self._admin is not None
        peers = [peer for room in list(self._instance.rooms.values())
                 for peer in [*room.publishers, *room.subscribers] if peer.handle is not None]
        for peer in peers:
            try:
                counters = await self._admin.handle_info(janus.session_id, peer.handle)
            except AdminRefused as exc:  # the handle went meanwhile
                logger.debug("janus %s: %s", self._instance.url, exc)
                continue
            except AdminGone as exc:
                if not self._admin_failing:
                    logger.warning("janus %s: %s; trying again every %g s", self._instance.url, exc, POLL_SECONDS)
                self._admin_failing = True
                return
            peer.observe(counters)
            if self._admin_failing:
                logger.info("janus %s: the admin api answers again", self._instance.url)
                self._admin_failing = False

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


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
