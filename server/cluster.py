"""Several parley-server nodes on one database: which node runs each live meeting.

A live meeting's media and roster live in the memory of one node, so exactly one node owns it
at a time: the one holding its **lease** (a row in ``meeting_leases``: node id, expiry). The
owner renews its leases with its heartbeat (every third of ``lease_seconds``), and registers
where other nodes reach it (``nodes``: its internal URL, with the same expiry).

* A join that reaches a node takes the meeting's lease if nobody holds it (or its holder's
  ran out: the owner died), and the meeting runs here. If another live node holds it, the
  join is relayed there (``server/http/relay.py``); an owner whose heartbeat still counts but
  that cannot be reached gets ``server_restarting`` (the client tries again, and takes the
  meeting over once the lease has run out).
* The auto-end rules (``lifecycle.py``) act only on meetings this node holds, and a node also
  takes the leases nobody holds of started meetings (their owner died with nobody in them), so
  every timer has exactly one node watching it. Ending is one conditional statement: a meeting
  ends once, and a node ends it by its rules only while no other node holds it.
* A node whose lease was taken (it stalled past its expiry) hands the meeting's people over:
  they are told to reconnect, and reach the new owner.
* Webhook deliveries are claimed by the node that stores them; a dead node's pending ones are
  claimed by the others at their heartbeat (``Store.claim_deliveries``), so each is sent by one
  node.

With SQLite there is one node (the data dir's lock says so), ``local``: the same rules hold
and cost a few statements a second on a local file.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable

from wire import ErrorCode, ProtocolError

from .clock import Clock
from .store import Store

log = logging.getLogger(__name__)

#: The one node of a server whose store nobody shares (SQLite).
LOCAL_NODE = "local"
#: How long a lease lasts without renewal, unless configured.
DEFAULT_LEASE_SECONDS = 10.0


def new_node_id() -> str:
    """A node id for a server sharing its store: the host, the process and a random part."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


class Cluster:
    """This node's place among the nodes sharing the store: its leases and its heartbeat."""

    def __init__(self, store: Store, clock: Clock, node_id: str,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.store = store
        self.node_id = node_id
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._held: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.internal_url = ""
        #: Meetings this node no longer holds (another node took them): the rooms hand over.
        self.on_lost: Callable[[set[str]], Awaitable[None]] | None = None
        #: Called after each heartbeat (the webhooks claim what dead nodes left).
        self.on_heartbeat: list[Callable[[], None]] = []

    @property
    def shared(self) -> bool:
        """Other nodes may use the store (PostgreSQL)."""
        return self.store.shared

    def _expiry(self) -> float:
        return self._clock.now() + self.lease_seconds

    # --- life ------------------------------------------------------------------------------------

    def start(self, internal_url: str) -> None:
        """Register this node (reachable at ``internal_url``) and start its heartbeat."""
        self.internal_url = internal_url
        self.store.register_node(self.node_id, internal_url, self._clock.now(), self._expiry())
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._beat(), name="cluster heartbeat")

    async def stop(self) -> None:
        """Stop the heartbeat and let go of every lease: the other nodes take this node's
        meetings over at once (its people are about to be told to reconnect)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._let_go(self.store.release_leases)
        self._held.clear()

    async def close(self) -> None:
        """``stop``, then leave the cluster: this node's pending webhook deliveries go to the
        others (call it once this node sends no more). Idempotent."""
        await self.stop()
        self._let_go(self.store.leave)
        self.internal_url = ""

    def _let_go(self, release: Callable[[str], None]) -> None:
        if not self.internal_url:
            return  # never started
        try:
            release(self.node_id)
        except Exception:  # the database is gone: the leases run out by themselves
            log.warning("cluster: node %s could not let go of its leases", self.node_id, exc_info=True)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await self.heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cluster: the heartbeat of node %s failed", self.node_id)

    async def heartbeat(self) -> None:
        """Renew this node and its leases; hand over the meetings another node took."""
        held = self.store.renew_node(self.node_id, self._expiry())
        if held is None:  # forgotten (its heartbeat ran out long ago): register again
            self.store.register_node(self.node_id, self.internal_url, self._clock.now(), self._expiry())
            held = set()
        lost, self._held = self._held - held, held
        if lost:
            log.warning("cluster: node %s lost the lease of %d meeting(s) to another node", self.node_id, len(lost))
            if self.on_lost is not None:
                await self.on_lost(lost)
        for callback in self.on_heartbeat:
            callback()

    # --- meetings --------------------------------------------------------------------------------

    def place(self, meeting_id: str) -> str | None:
        """Where a join for the meeting runs: None here (this node now holds its lease), else the
        internal URL of the live node that does. ``server_restarting`` when the holder's lease
        still counts but it is not registered as alive (it is stopping or died): try again."""
        holder = self.store.claim_meeting(meeting_id, self.node_id, self._clock.now(), self._expiry())
        if holder == self.node_id:
            self._held.add(meeting_id)
            return None
        url = self.store.node_url(holder, self._clock.now())
        if url is None:
            raise ProtocolError(ErrorCode.SERVER_RESTARTING,
                                "this meeting's server is not answering; join again in a moment")
        return url

    def owner_url(self, meeting_id: str) -> str | None:
        """The internal URL of the other live node that holds the meeting (None: this node, or
        nobody alive holds it)."""
        now = self._clock.now()
        holder = self.store.lease_holder(meeting_id, now)
        if holder is None or holder == self.node_id:
            return None
        return self.store.node_url(holder, now)

    def holds(self, meeting_id: str) -> bool:
        return meeting_id in self._held

    @property
    def held(self) -> frozenset[str]:
        """The meetings whose lease this node holds, as far as it knows (no query)."""
        return frozenset(self._held)

    def adopt_orphans(self) -> list[str]:
        """Take the leases nobody holds of started, unended meetings (the auto-end rules call
        this each tick); returns the meetings taken."""
        taken = self.store.claim_orphans(self.node_id, self._clock.now(), self._expiry())
        self._held.update(taken)
        return taken

    def ended(self, meeting_id: str) -> None:
        """The meeting ended (its lease went with it)."""
        self._held.discard(meeting_id)


class CallTypeWatch:
    """Call types changed through another node reach this node's live rooms: at each heartbeat
    the stored call types are compared with the last look, and the rooms of each one that
    changed are refreshed (new capabilities, the timer). Only for a shared store: a single
    server refreshes its rooms when it changes one itself."""

    def __init__(self, store: Store, refresh: Callable[[str], None]) -> None:
        self._store = store
        self._refresh = refresh
        self._seen = self._look()

    def _look(self) -> dict[str, tuple[str, str]]:
        return {kind.name: (repr(kind.grants), repr(kind.settings)) for kind in self._store.list_call_types()}

    def __call__(self) -> None:
        now = self._look()
        changed = [name for name, value in now.items() if self._seen.get(name) != value]
        self._seen = now
        for name in changed:
            self._refresh(name)
