"""What the server remembers across restarts: call types, meetings and their attendees,
webhooks and their deliveries, chat, and (for several server nodes on one database) which node
owns which live meeting.

:class:`Store` is the interface, with every query written once; ``store_sqlite.SqliteStore``
(one file, the default) and ``store_postgres.PostgresStore`` (several nodes) differ only in how
they connect, run a statement and migrate. ``store_open.open_store`` picks one from the
``--store`` location. The schema and its migrations are ``store_schema.py``, one for both.

Live media state (who is connected, which tracks flow) stays in memory and never comes here.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .store_schema import POSTGRESQL, SCHEMA_VERSION, Dialect

__all__ = ["SCHEMA_VERSION", "Store", "StoreError", "MeetingRecord", "AttendeeRecord", "InviteRecord",
           "CallTypeRecord", "WebhookRecord", "DeliveryRecord", "ChatRecord"]


@dataclass(frozen=True)
class MeetingRecord:
    id: str
    call_type: str
    #: The meeting's override of its call type's settings (server/meetings.py merges them).
    settings: dict[str, Any] = field(hash=False)
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class AttendeeRecord:
    id: str
    meeting_id: str
    user_id: str
    name: str
    role: str
    created_at: float
    #: a host removed this attendee: its token lets it in no more
    removed_at: float | None = None
    #: the invite link it joined through (None: added over REST)
    invite_id: str | None = None


@dataclass(frozen=True)
class InviteRecord:
    """An invite link: whoever joins with it becomes a new attendee of ``role``, until it
    expires or is revoked."""

    id: str
    meeting_id: str
    role: str
    created_at: float
    expires_at: float
    revoked_at: float | None = None


@dataclass(frozen=True)
class CallTypeRecord:
    name: str
    grants: dict[str, list[str]] = field(hash=False)
    settings: dict[str, Any] = field(hash=False)
    created_at: float = 0.0


@dataclass(frozen=True)
class WebhookRecord:
    id: str
    url: str
    events: list[str] = field(hash=False)
    secret: str
    created_at: float


@dataclass(frozen=True)
class DeliveryRecord:
    """One event for one webhook: what was sent, how often, and how it went."""

    id: int | None  # None until stored
    webhook_id: str
    event_type: str
    body: str  # the exact bytes signed and sent, as text
    created_at: float
    attempts: int = 0
    status: str = "pending"  # pending | delivered | failed
    last_error: str | None = None
    next_attempt_at: float | None = None
    delivered_at: float | None = None


@dataclass(frozen=True)
class ChatRecord:
    id: int | None  # None until stored
    meeting_id: str
    sender_id: str
    sender_name: str
    recipient_id: str | None  # None: to everyone
    text: str
    sent_at: float


class StoreError(Exception):
    """The store cannot do what was asked (unknown or duplicate id, newer schema, a database
    that cannot be reached)."""


_MEETING_COLUMNS = "id, call_type, settings, created_at, started_at, ended_at, end_reason"
_ATTENDEE_COLUMNS = "id, meeting_id, user_id, name, role, created_at, removed_at, invite_id"
_INVITE_COLUMNS = "id, meeting_id, role, created_at, expires_at, revoked_at"
_CHAT_COLUMNS = "id, meeting_id, sender_id, sender_name, recipient_id, text, sent_at"
#: the largest id either database holds (a larger one given to SQLite is an OverflowError)
_MAX_ROWID = 2**63 - 1
_DELIVERY_COLUMNS = ("id, webhook_id, event_type, body, created_at, attempts, status, last_error, "
                     "next_attempt_at, delivered_at")


class _Statements(abc.ABC):
    """How a store runs its queries: each written once, with ``?`` for parameters, ``{seq}`` for
    the column that orders rows inserted at the same time and ``{skip_locked}`` where
    PostgreSQL skips rows another node holds; a subclass says how a statement runs (``_run``)
    and what its driver's integrity error is."""

    dialect: ClassVar[Dialect]
    #: The driver's exception for a broken constraint (duplicate key, unknown reference).
    _integrity_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self) -> None:
        self._said: dict[str, str] = {}

    @abc.abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[tuple[Any, ...]], int]:
        """Run one statement (already in the dialect's words): its rows and its row count."""

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Statements run in it commit together, or none does."""

    @abc.abstractmethod
    def close(self) -> None:
        """Idempotent."""

    @property
    @abc.abstractmethod
    def schema_version(self) -> int: ...

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where it is, as an operator names it (a path, or a URL without its password)."""

    def _sql(self, text: str) -> str:
        said = self._said.get(text)
        if said is None:
            if self.dialect == POSTGRESQL:
                said = text.replace("{seq}", "seq").replace("{skip_locked}", "FOR UPDATE SKIP LOCKED")
                said = said.replace("?", "%s")
            else:
                said = text.replace("{seq}", "rowid").replace("{skip_locked}", "")
            self._said[text] = said
        return said

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(self._sql(sql), params)[0]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._run(self._sql(sql), params)[1]

    def _insert(self, sql: str, params: Sequence[Any], duplicate: Callable[[], StoreError]) -> list[tuple[Any, ...]]:
        try:
            return self._rows(sql, params)
        except self._integrity_errors:
            raise duplicate() from None


class _Leases(_Statements):
    """What several server nodes sharing the store use (``server/cluster.py``): the nodes alive,
    the lease of each live meeting, the secrets they share."""

    def shared_secret(self, name: str, make: Callable[[], str]) -> str:
        """The secret ``name`` every node uses: the first to ask stores ``make()``."""
        self._count("INSERT INTO shared_secrets (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                    (name, make()))
        row = self._one("SELECT value FROM shared_secrets WHERE name = ?", (name,))
        assert row is not None
        return str(row[0])

    def register_node(self, node_id: str, internal_url: str, now: float, expires_at: float) -> None:
        self._count(
            "INSERT INTO nodes (id, internal_url, started_at, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET internal_url = excluded.internal_url, expires_at = excluded.expires_at",
            (node_id, internal_url, now, expires_at))

    def renew_node(self, node_id: str, expires_at: float) -> set[str] | None:
        """The node's heartbeat: it and every lease it holds live until ``expires_at``. Returns
        the meetings it holds (None: the node is not registered any more)."""
        with self.transaction():
            if self._count("UPDATE nodes SET expires_at = ? WHERE id = ?", (expires_at, node_id)) != 1:
                return None
            self._count("UPDATE meeting_leases SET expires_at = ? WHERE node_id = ?", (expires_at, node_id))
            rows = self._rows("SELECT meeting_id FROM meeting_leases WHERE node_id = ?", (node_id,))
        return {row[0] for row in rows}

    def node_url(self, node_id: str, now: float) -> str | None:
        """Where a live node takes relayed requests (None: unknown, or its heartbeat ran out)."""
        row = self._one("SELECT internal_url FROM nodes WHERE id = ? AND expires_at >= ?", (node_id, now))
        return None if row is None else str(row[0])

    def release_leases(self, node_id: str) -> None:
        """The node stops running meetings: their leases are free for the others at once."""
        self._count("DELETE FROM meeting_leases WHERE node_id = ?", (node_id,))

    def leave(self, node_id: str) -> None:
        """A node stops: its leases and deliveries are free for the others at once."""
        with self.transaction():
            self._count("DELETE FROM meeting_leases WHERE node_id = ?", (node_id,))
            self._count("UPDATE webhook_deliveries SET claimed_by = NULL WHERE claimed_by = ? "
                        "AND status = 'pending'", (node_id,))
            self._count("DELETE FROM nodes WHERE id = ?", (node_id,))

    def claim_meeting(self, meeting_id: str, node_id: str, now: float, expires_at: float) -> str:
        """Take the meeting's lease for ``node_id`` if nobody holds it (or its holder's ran
        out); returns the node that holds it after the attempt."""
        taken = self._rows(  # one round trip when the lease is (or becomes) this node's
            "INSERT INTO meeting_leases (meeting_id, node_id, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT(meeting_id) DO UPDATE SET node_id = excluded.node_id, expires_at = excluded.expires_at "
            "WHERE meeting_leases.node_id = excluded.node_id OR meeting_leases.expires_at < ? RETURNING node_id",
            (meeting_id, node_id, expires_at, now))
        if taken:
            return str(taken[0][0])
        row = self._one("SELECT node_id FROM meeting_leases WHERE meeting_id = ?", (meeting_id,))
        assert row is not None
        return str(row[0])

    def lease_holder(self, meeting_id: str, now: float) -> str | None:
        """The node holding the meeting's lease at ``now`` (None: nobody)."""
        row = self._one("SELECT node_id FROM meeting_leases WHERE meeting_id = ? AND expires_at >= ?",
                        (meeting_id, now))
        return None if row is None else str(row[0])

    def claim_orphans(self, node_id: str, now: float, expires_at: float) -> list[str]:
        """Take the lease of every started, unended meeting nobody holds (its node died, or
        none took it yet): their timers must still fire. Returns the meetings taken."""
        rows = self._rows(
            "INSERT INTO meeting_leases (meeting_id, node_id, expires_at) "
            "SELECT m.id, ?, ? FROM meetings m LEFT JOIN meeting_leases l ON l.meeting_id = m.id "
            "WHERE m.ended_at IS NULL AND m.started_at IS NOT NULL AND (l.meeting_id IS NULL OR l.expires_at < ?) "
            "ON CONFLICT(meeting_id) DO UPDATE SET node_id = excluded.node_id, expires_at = excluded.expires_at "
            "WHERE meeting_leases.expires_at < ? RETURNING meeting_id",
            (node_id, expires_at, now, now))
        return [str(row[0]) for row in rows]

    def release_meeting(self, meeting_id: str, node_id: str) -> None:
        self._count("DELETE FROM meeting_leases WHERE meeting_id = ? AND node_id = ?", (meeting_id, node_id))


class Store(_Leases):
    """Call types, meetings, attendees, invites, chat, webhooks and their deliveries, and the
    leases of several server nodes sharing one database.

    Every query is written here (and in its bases, ``_Statements`` and ``_Leases``) once; a
    subclass says how a statement runs. Calls are synchronous and short; use a store from one
    thread (the event loop's).
    """

    #: Several server nodes may use it at once (PostgreSQL): leases and claims are contended.
    shared: ClassVar[bool] = False

    # --- meetings ---------------------------------------------------------------------------

    def create_meeting(self, rec: MeetingRecord) -> None:
        self._insert(
            f"INSERT INTO meetings ({_MEETING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rec.id, rec.call_type, json.dumps(rec.settings), rec.created_at,
             rec.started_at, rec.ended_at, rec.end_reason),
            lambda: StoreError(f"meeting {rec.id!r} already exists"),
        )

    def get_meeting(self, meeting_id: str) -> MeetingRecord | None:
        row = self._one(f"SELECT {_MEETING_COLUMNS} FROM meetings WHERE id = ?", (meeting_id,))
        return None if row is None else _meeting(row)

    def live_meetings(self, held_by: str | None = None) -> list[MeetingRecord]:
        """Meetings whose session started and that have not ended (the auto-end rules' work);
        with ``held_by``, only those whose lease that node holds."""
        if held_by is None:
            rows = self._rows(
                f"SELECT {_MEETING_COLUMNS} FROM meetings WHERE ended_at IS NULL AND started_at IS NOT NULL")
        else:
            columns = ", ".join(f"m.{c.strip()}" for c in _MEETING_COLUMNS.split(","))
            rows = self._rows(
                f"SELECT {columns} FROM meetings m JOIN meeting_leases l ON l.meeting_id = m.id "
                "WHERE l.node_id = ? AND m.ended_at IS NULL AND m.started_at IS NOT NULL", (held_by,))
        return [_meeting(r) for r in rows]

    def update_meeting(self, rec: MeetingRecord) -> None:
        """Replace what may change about a meeting: settings and the session's times."""
        count = self._count(
            "UPDATE meetings SET settings = ?, started_at = ?, ended_at = ?, end_reason = ? "
            "WHERE id = ?",
            (json.dumps(rec.settings), rec.started_at, rec.ended_at, rec.end_reason, rec.id),
        )
        if count != 1:
            raise StoreError(f"no meeting {rec.id!r} to update")

    def set_meeting_settings(self, meeting_id: str, settings: dict[str, Any]) -> bool:
        """Replace only the meeting's settings override (never its times: another node may
        end it meanwhile); False if it has ended or is unknown."""
        return self._count("UPDATE meetings SET settings = ? WHERE id = ? AND ended_at IS NULL",
                           (json.dumps(settings), meeting_id)) == 1

    def start_meeting(self, meeting_id: str, at: float) -> bool:
        """Start the session at ``at`` unless it has started: True for the one call that did."""
        return self._count("UPDATE meetings SET started_at = ? WHERE id = ? AND started_at IS NULL",
                           (at, meeting_id)) == 1

    def end_meeting(self, meeting_id: str, at: float, reason: str, holder: str | None = None) -> bool:
        """End the meeting unless it has ended: True for the one call that ended it, whichever
        node made it. With ``holder`` (the auto-end rules of a node), only if no other node
        holds a lease on it at ``at``: the check and the end are one statement. The meeting's
        lease goes with it."""
        with self.transaction():
            if holder is None:
                count = self._count(
                    "UPDATE meetings SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
                    (at, reason, meeting_id))
            else:
                count = self._count(
                    "UPDATE meetings SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL "
                    "AND NOT EXISTS (SELECT 1 FROM meeting_leases WHERE meeting_id = ? AND node_id <> ? "
                    "AND expires_at >= ?)",
                    (at, reason, meeting_id, meeting_id, holder, at))
            if count == 1:
                self._count("DELETE FROM meeting_leases WHERE meeting_id = ?", (meeting_id,))
        return count == 1

    # --- attendees --------------------------------------------------------------------------

    def add_attendee(self, rec: AttendeeRecord) -> None:
        def refused() -> StoreError:
            if self.get_meeting(rec.meeting_id) is None:
                return StoreError(f"no meeting {rec.meeting_id!r} for attendee {rec.id!r}")
            return StoreError(f"attendee {rec.id!r} already exists")

        self._insert(
            f"INSERT INTO attendees ({_ATTENDEE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (rec.id, rec.meeting_id, rec.user_id, rec.name, rec.role, rec.created_at, rec.removed_at,
             rec.invite_id),
            refused,
        )

    def get_attendee(self, attendee_id: str) -> AttendeeRecord | None:
        row = self._one(f"SELECT {_ATTENDEE_COLUMNS} FROM attendees WHERE id = ?", (attendee_id,))
        return None if row is None else AttendeeRecord(*row)

    def set_attendee_role(self, attendee_id: str, role: str) -> None:
        self._count("UPDATE attendees SET role = ? WHERE id = ?", (role, attendee_id))

    def mark_removed(self, attendee_id: str, at: float) -> None:
        self._count("UPDATE attendees SET removed_at = ? WHERE id = ? AND removed_at IS NULL", (at, attendee_id))

    def list_attendees(self, meeting_id: str) -> list[AttendeeRecord]:
        rows = self._rows(
            f"SELECT {_ATTENDEE_COLUMNS} FROM attendees WHERE meeting_id = ? ORDER BY created_at, {{seq}}",
            (meeting_id,),
        )
        return [AttendeeRecord(*row) for row in rows]

    # --- invites --------------------------------------------------------------------------------

    def add_invite(self, rec: InviteRecord) -> None:
        self._insert(
            f"INSERT INTO invites ({_INVITE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (rec.id, rec.meeting_id, rec.role, rec.created_at, rec.expires_at, rec.revoked_at),
            lambda: StoreError(f"invite {rec.id!r} already exists, or no meeting {rec.meeting_id!r}"),
        )

    def get_invite(self, invite_id: str) -> InviteRecord | None:
        row = self._one(f"SELECT {_INVITE_COLUMNS} FROM invites WHERE id = ?", (invite_id,))
        return None if row is None else InviteRecord(*row)

    def list_invites(self, meeting_id: str) -> list[InviteRecord]:
        rows = self._rows(
            f"SELECT {_INVITE_COLUMNS} FROM invites WHERE meeting_id = ? ORDER BY created_at, {{seq}}",
            (meeting_id,),
        )
        return [InviteRecord(*row) for row in rows]

    def revoke_invite(self, invite_id: str, at: float) -> None:
        self._count("UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (at, invite_id))

    # --- call types ----------------------------------------------------------------------------

    def save_call_type(self, rec: CallTypeRecord) -> None:
        """Create or replace the call type ``rec.name``."""
        self._count(
            "INSERT INTO call_types (name, grants, settings, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET grants = excluded.grants, settings = excluded.settings",
            (rec.name, json.dumps(rec.grants), json.dumps(rec.settings), rec.created_at),
        )

    def get_call_type(self, name: str) -> CallTypeRecord | None:
        row = self._one("SELECT name, grants, settings, created_at FROM call_types WHERE name = ?", (name,))
        if row is None:
            return None
        return CallTypeRecord(row[0], json.loads(row[1]), json.loads(row[2]), row[3])

    def list_call_types(self) -> list[CallTypeRecord]:
        rows = self._rows("SELECT name, grants, settings, created_at FROM call_types ORDER BY name")
        return [CallTypeRecord(r[0], json.loads(r[1]), json.loads(r[2]), r[3]) for r in rows]

    # --- webhooks ------------------------------------------------------------------------------

    def add_webhook(self, rec: WebhookRecord) -> None:
        self._insert(
            "INSERT INTO webhooks (id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?)",
            (rec.id, rec.url, json.dumps(rec.events), rec.secret, rec.created_at),
            lambda: StoreError(f"webhook {rec.id!r} already exists"),
        )

    def get_webhook(self, webhook_id: str) -> WebhookRecord | None:
        row = self._one("SELECT id, url, events, secret, created_at FROM webhooks WHERE id = ?", (webhook_id,))
        return None if row is None else WebhookRecord(row[0], row[1], json.loads(row[2]), row[3], row[4])

    def list_webhooks(self) -> list[WebhookRecord]:
        rows = self._rows("SELECT id, url, events, secret, created_at FROM webhooks ORDER BY created_at, {seq}")
        return [WebhookRecord(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in rows]

    def delete_webhook(self, webhook_id: str) -> bool:
        """Remove the webhook and its deliveries; False if there was none."""
        return self._count("DELETE FROM webhooks WHERE id = ?", (webhook_id,)) == 1

    def add_delivery(self, rec: DeliveryRecord, claimed_by: str | None = None) -> DeliveryRecord:
        """Store a delivery (``claimed_by``: the node that will send it); it gets its id."""
        (row,) = self._rows(
            "INSERT INTO webhook_deliveries (webhook_id, event_type, body, created_at, attempts, status, "
            "last_error, next_attempt_at, delivered_at, claimed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (rec.webhook_id, rec.event_type, rec.body, rec.created_at, rec.attempts, rec.status,
             rec.last_error, rec.next_attempt_at, rec.delivered_at, claimed_by),
        )
        return DeliveryRecord(row[0], *[getattr(rec, f) for f in (
            "webhook_id", "event_type", "body", "created_at", "attempts", "status", "last_error",
            "next_attempt_at", "delivered_at")])

    def update_delivery(self, rec: DeliveryRecord) -> None:
        self._count(
            "UPDATE webhook_deliveries SET attempts = ?, status = ?, last_error = ?, next_attempt_at = ?, "
            "delivered_at = ? WHERE id = ?",
            (rec.attempts, rec.status, rec.last_error, rec.next_attempt_at, rec.delivered_at, rec.id),
        )

    def list_deliveries(self, webhook_id: str, limit: int = 50) -> list[DeliveryRecord]:
        """The webhook's latest deliveries, newest first."""
        rows = self._rows(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
            (webhook_id, limit),
        )
        return [DeliveryRecord(*row) for row in rows]

    def pending_deliveries(self) -> list[DeliveryRecord]:
        """Every delivery still to be tried, whoever sends it, in id order."""
        rows = self._rows(f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status = 'pending' ORDER BY id")
        return [DeliveryRecord(*row) for row in rows]

    def claim_deliveries(self, node_id: str, now: float, own: bool = False) -> list[DeliveryRecord]:
        """The pending deliveries nobody sends (unclaimed, or claimed by a node whose
        heartbeat ran out; with ``own``, this node's too, as after a restart), now claimed by
        ``node_id``, in id order. Two nodes claiming at once never get the same delivery."""
        rows = self._rows(
            f"UPDATE webhook_deliveries SET claimed_by = ? WHERE id IN ("
            "SELECT d.id FROM webhook_deliveries d WHERE d.status = 'pending' AND (d.claimed_by IS NULL "
            "OR d.claimed_by = ? OR NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = d.claimed_by "
            "AND n.expires_at >= ?)) {skip_locked}) "
            f"RETURNING {_DELIVERY_COLUMNS}",
            (node_id, node_id if own else "", now),
        )
        return sorted((DeliveryRecord(*row) for row in rows), key=lambda d: d.id or 0)

    # --- chat ----------------------------------------------------------------------------------

    def add_chat(self, rec: ChatRecord) -> ChatRecord:
        (row,) = self._rows(
            "INSERT INTO chat_messages (meeting_id, sender_id, sender_name, recipient_id, text, sent_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (rec.meeting_id, rec.sender_id, rec.sender_name, rec.recipient_id, rec.text, rec.sent_at),
        )
        return ChatRecord(row[0], rec.meeting_id, rec.sender_id, rec.sender_name, rec.recipient_id,
                          rec.text, rec.sent_at)

    def chat_page(self, meeting_id: str, attendee_id: str, before: int | None, limit: int) -> list[ChatRecord]:
        """The latest ``limit`` messages of the meeting sent before message ``before`` (None:
        the latest of all) that ``attendee_id`` may read (to everyone, or privately to or from
        it), newest first."""
        rows = self._rows(
            f"SELECT {_CHAT_COLUMNS} FROM chat_messages "
            "WHERE meeting_id = ? AND id < ? AND (recipient_id IS NULL OR recipient_id = ? OR sender_id = ?) "
            "ORDER BY id DESC LIMIT ?",
            (meeting_id, min(before, _MAX_ROWID) if before is not None else _MAX_ROWID, attendee_id, attendee_id,
             limit),
        )
        return [ChatRecord(*row) for row in rows]

    def purge_chat(self, ended_before: float) -> int:
        """Forget the chat of every meeting that ended at or before ``ended_before``; returns
        how many messages went."""
        return self._count(
            "DELETE FROM chat_messages WHERE meeting_id IN "
            "(SELECT id FROM meetings WHERE ended_at IS NOT NULL AND ended_at <= ?)",
            (ended_before,),
        )


def _meeting(row: tuple[Any, ...]) -> MeetingRecord:
    id_, call_type, settings, created_at, started_at, ended_at, end_reason = row
    return MeetingRecord(id_, call_type, json.loads(settings), created_at, started_at, ended_at, end_reason)
