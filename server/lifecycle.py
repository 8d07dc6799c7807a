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
of (``server/cluster.py``), and takes the leases nobody holds of started meetings, so each
timer fires once, on one node (ending is one conditional statement in the store: a meeting
ends once, whichever node's check comes first).

The checks run a few times a second and ask the store nothing: which meetings are live here and
when their timers run out is looked up in the store (with the orphaned leases taken) only when
something changed — a meeting started, was updated or ended (the service's events), a call
type changed (``forget``), this node's leases changed — and otherwise every
``LOOK_INTERVAL`` seconds of the clock with a shared store (PostgreSQL), which bounds how late a
change made through another node (a settings override, a call type) or a dead node's meeting is
seen; with a store nobody else uses, every ``LOCAL_LOOK_INTERVAL``. A timer that ran out by
the last look is read again before the meeting ends: one extended through another node since
then is not ended at its old time.

The timer and the start time are stored, so a restarted server ends a meeting on time. Who is
in a meeting is live state: after a restart the "empty" period of a meeting nobody rejoined
counts from the first check. Meetings that never started are left alone (they may be booked
ahead). Time comes from the injected clock, so tests move it instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from wire import EndReason

from .cluster import Cluster
from .config import ServerConfig
from .events import ServerEvent
from .meetings import MeetingService
from .rooms.registry import RoomRegistry
from .store import MeetingRecord

logger = logging.getLogger(__name__)

#: Clock seconds between looks at the store when nothing this node saw changed, with a store
#: other nodes share (their changes and a dead node's meetings are seen at most this late)...
LOOK_INTERVAL = 5.0
#: ... and with a store nobody else uses (every change goes through this node: the looks are a
#: safety net only).
LOCAL_LOOK_INTERVAL = 60.0


@dataclass(frozen=True)
class _Live:
    """What the rules need of a live meeting, as the store said at the last look."""
    meeting_id: str
    started_at: float
    timer_ends_at: float | None


class Lifecycle:
    def __init__(self, meetings: MeetingService, rooms: RoomRegistry, config: ServerConfig,
                 cluster: Cluster | None = None, look_interval: float | None = None) -> None:
        self._meetings = meetings
        self._rooms = rooms
        self._config = config
        #: None: every meeting in the store is this server's to watch
        self._cluster = cluster
        self._task: asyncio.Task | None = None
        #: the live meetings to watch, from the last look at the store (None: look next time)
        self._live: list[_Live] | None = None
        if look_interval is None:
            look_interval = LOOK_INTERVAL if cluster is not None and cluster.shared else LOCAL_LOOK_INTERVAL
        self._look_interval = look_interval
        self._looked_at = 0.0
        self._held: frozenset[str] = frozenset()  # the cluster's leases at the last look
        meetings.events.subscribe(self._on_event)

    def _on_event(self, event: ServerEvent) -> None:
        if event.type.startswith("meeting."):  # started, updated (its timer), ended
            self._live = None

    def forget(self) -> None:
        """Something the rules depend on changed (a call type's settings): look at the store at
        the next check."""
        self._live = None

    def _watched(self) -> list[_Live]:
        """The live meetings this node watches: from the last look, or from the store when that
        is stale (see the module's docstring). Looking first takes the orphaned leases."""
        now = self._meetings.now()
        cluster = self._cluster
        held = cluster.held if cluster is not None else frozenset()
        if self._live is not None and held == self._held and 0 <= now - self._looked_at < self._look_interval:
            return self._live
        if cluster is not None:
            cluster.adopt_orphans()
            held = cluster.held
        live = []
        for meeting in self._meetings.store.live_meetings(cluster.node_id if cluster is not None else None):
            assert meeting.started_at is not None  # the others are other nodes' to watch
            live.append(_Live(meeting.id, meeting.started_at, self._timer(meeting)))
        self._live, self._looked_at, self._held = live, now, held
        return live

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

    def _still_due(self, meeting_id: str, now: float) -> bool:
        """The store, read again, still says the meeting's timer has run out: a timer extended
        through another node after the last look (up to LOOK_INTERVAL ago) must not end it at
        the old time. One read per meeting ending, not per tick."""
        record = self._meetings.store.get_meeting(meeting_id)
        if record is None or record.ended_at is not None or record.started_at is None:
            return False
        timer = self._timer(record)
        return timer is not None and now >= timer

    def _timer(self, meeting: MeetingRecord) -> float | None:
        """When the meeting's timer runs out (None: it has none)."""
        try:
            return self._meetings.timer_ends_at(meeting)
        except Exception:  # e.g. its call type was removed: only the hard cap applies
            return None

    def due(self) -> list[tuple[str, EndReason]]:
        """The meetings that must end now, with why."""
        meetings = self._watched()
        now = self._meetings.now()
        config = self._config
        ending = []
        for meeting in meetings:
            timer = meeting.timer_ends_at
            room = self._rooms.live_room(meeting.meeting_id)
            people = len(room.people()) if room is not None else 0
            if timer is not None and now >= timer:
                if not self._still_due(meeting.meeting_id, now):  # extended elsewhere since the look
                    self._live = None
                    continue
                reason = EndReason.TIMER_EXPIRED
            elif now >= meeting.started_at + config.max_meeting_seconds:
                reason = EndReason.MAX_DURATION
            elif people == 0:
                since = self._rooms.empty_since.setdefault(meeting.meeting_id, now)
                if now - since < config.empty_timeout_seconds:
                    continue
                reason = EndReason.EMPTY
            elif people == 1 and room is not None and room.alone_since is not None \
                    and now - room.alone_since >= config.alone_timeout_seconds:
                reason = EndReason.ALONE
            else:
                continue
            ending.append((meeting.meeting_id, reason))
        return ending

    async def check(self) -> list[tuple[str, EndReason]]:
        """Let go of dropped participants whose grace ran out, then end every meeting that is
        due, and forget chat past its retention; returns what it ended."""
        await self._rooms.expire_away()
        holder = self._cluster.node_id if self._cluster is not None else None
        ended = []
        for meeting_id, reason in self.due():
            if self._meetings.ended_now(meeting_id, reason, holder) is not None:  # its room follows
                logger.info("meeting %s ends: %s", meeting_id, reason)
                ended.append((meeting_id, reason))
            else:  # it had ended, or another node holds it now: look again rather than retry
                self._live = None
        self._meetings.purge_chat()  # past its retention (at most once a minute)
        return ended
