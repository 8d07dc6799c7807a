"""The rules that end meetings on their own, checked a few times a second on the server's clock.

A started meeting ends when:

* its session timer runs out (``timer_ends_at``, from ``limits.max_duration_seconds``): reason
  ``timer_expired``;
* it has run ``max_meeting_seconds`` (default 24 h) whatever its settings: ``max_duration``;
* nobody has been in it for ``empty_timeout_seconds`` (default 5 min): ``empty``;
* one person has been alone in it for ``alone_timeout_seconds`` (default 30 min): ``alone``.

Each check first lets go of participants whose connection dropped ``reconnect_grace_seconds``
(default 30 s) ago without them coming back (``participant_left`` with reason
``disconnected``).

With several server nodes on one database, a node checks only the meetings it holds the lease
of (``server/cluster.py``), and first takes the leases nobody holds of started meetings, so
each timer fires once, on one node.

The timer and the start time are stored, so a restarted server ends a meeting on time. Who is
in a meeting is live state: after a restart the "empty" period of a meeting nobody rejoined
counts from the first check. Meetings that never started are left alone (they may be booked
ahead). Time comes from the injected clock, so tests move it instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging

from wire import EndReason

from .cluster import Cluster
from .config import ServerConfig
from .meetings import MeetingService
from .rooms.registry import RoomRegistry

logger = logging.getLogger(__name__)


class Lifecycle:
    def __init__(self, meetings: MeetingService, rooms: RoomRegistry, config: ServerConfig,
                 cluster: Cluster | None = None) -> None:
        self._meetings = meetings
        self._rooms = rooms
        self._config = config
        #: None: every meeting in the store is this server's to watch
        self._cluster = cluster
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("lifecycle: checking the meetings failed")
            await asyncio.sleep(self._config.lifecycle_interval_seconds)

    def due(self) -> list[tuple[str, EndReason]]:
        """The meetings that must end now, with why."""
        now = self._meetings.now()
        config = self._config
        ending = []
        held_by = self._cluster.node_id if self._cluster is not None else None
        for meeting in self._meetings.store.live_meetings(held_by):  # the others are other nodes' to watch
            assert meeting.started_at is not None
            try:
                timer = self._meetings.timer_ends_at(meeting)
            except Exception:  # e.g. its call type was removed: only the hard cap applies
                timer = None
            room = self._rooms.live_room(meeting.id)
            people = len(room.people()) if room is not None else 0
            if timer is not None and now >= timer:
                reason = EndReason.TIMER_EXPIRED
            elif now >= meeting.started_at + config.max_meeting_seconds:
                reason = EndReason.MAX_DURATION
            elif people == 0:
                since = self._rooms.empty_since.setdefault(meeting.id, now)
                if now - since < config.empty_timeout_seconds:
                    continue
                reason = EndReason.EMPTY
            elif people == 1 and room is not None and room.alone_since is not None \
                    and now - room.alone_since >= config.alone_timeout_seconds:
                reason = EndReason.ALONE
            else:
                continue
            ending.append((meeting.id, reason))
        return ending

    async def check(self) -> list[tuple[str, EndReason]]:
        """Let go of dropped participants whose grace ran out, then end every meeting that is
        due, and forget chat past its retention; returns what it ended."""
        await self._rooms.expire_away()
        holder = None
        if self._cluster is not None:
            self._cluster.adopt_orphans()
            holder = self._cluster.node_id
        ended = []
        for meeting_id, reason in self.due():
            if self._meetings.ended_now(meeting_id, reason, holder) is not None:  # its room follows
                logger.info("meeting %s ends: %s", meeting_id, reason)
                ended.append((meeting_id, reason))
        self._meetings.purge_chat()  # past its retention (at most once a minute)
        return ended
