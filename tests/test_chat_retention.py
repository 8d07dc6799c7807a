"""Issue 20, item 11: chat (private messages included) is not kept for ever. The operator says
how long after a meeting ends its chat is kept (``--chat-retention-days``); the purge runs on
the server's clock, and a live meeting's chat is never touched."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from server.sfu.backend import BuiltinMedia
from server.cli import parse_args
from server.clock import ManualClock
from server.config import ServerConfig
from server.lifecycle import Lifecycle
from server.meetings import MeetingService
from server.rooms.registry import RoomRegistry
from server.store import ChatRecord
from server.store_open import open_store
from server.tokens import TokenSigner
from wire import EndReason

DAY = 86400.0


class Service:
    def __init__(self, tmp_path: Path, days: float | None, store: str) -> None:
        self.clock = ManualClock()
        config = ServerConfig(data_dir=tmp_path, chat_retention_days=days)
        self.store = open_store(store, tmp_path / "parley.sqlite3")
        self.meetings = MeetingService(self.store, self.clock, TokenSigner(b"k" * 32, self.clock), config)
        self.lifecycle = Lifecycle(self.meetings, RoomRegistry(self.meetings, config, media=BuiltinMedia(["127.0.0.1"])), config)

    def meeting_with_chat(self) -> str:
        meeting = self.meetings.create_meeting()
        ada, _, _ = self.meetings.add_attendee(meeting.id, "u-ada", "Ada", "participant")
        grace, _, _ = self.meetings.add_attendee(meeting.id, "u-grace", "Grace", "participant")
        self.store.add_chat(ChatRecord(None, meeting.id, ada.id, "Ada", None, "hello", self.clock.now()))
        self.store.add_chat(ChatRecord(None, meeting.id, ada.id, "Ada", grace.id, "psst", self.clock.now()))
        return meeting.id


@pytest.fixture
def make(tmp_path: Path, store_location: str):
    """A service on each store (SQLite, PostgreSQL)."""
    made: list[Service] = []

    def build(days: float | None) -> Service:
        data_dir = tmp_path / str(len(made))
        data_dir.mkdir()
        made.append(Service(data_dir, days, store_location))
        return made[-1]

    yield build
    for service in made:
        service.store.close()


def private_too(service: Service, meeting_id: str) -> int:
    """Every message of the meeting, private ones included (as their sender reads them)."""
    return len(service.store.chat_page(meeting_id, service.store.list_attendees(meeting_id)[0].id, None, 100))


async def test_chat_goes_the_given_days_after_its_meeting_ended(make) -> None:
    service = make(2)
    ended, live = service.meeting_with_chat(), service.meeting_with_chat()
    service.meetings.end(ended, EndReason.DELETED)
    service.clock.advance(2 * DAY - 60)
    await service.lifecycle.check()
    assert private_too(service, ended) == 2  # not yet
    service.clock.advance(61)
    await service.lifecycle.check()
    assert private_too(service, ended) == 0  # private messages with the rest
    assert private_too(service, live) == 2  # a meeting that has not ended keeps its chat
    service.clock.advance(365 * DAY)
    await service.lifecycle.check()
    assert private_too(service, live) == 2


async def test_zero_days_forgets_chat_when_the_meeting_ends(make) -> None:
    service = make(0)
    meeting = service.meeting_with_chat()
    service.meetings.end(meeting, EndReason.ENDED_BY_HOST)
    assert private_too(service, meeting) == 0


async def test_by_default_chat_is_kept_with_the_meeting(make) -> None:
    service = make(None)
    meeting = service.meeting_with_chat()
    service.meetings.end(meeting, EndReason.DELETED)
    service.clock.advance(3650 * DAY)
    await service.lifecycle.check()
    assert private_too(service, meeting) == 2


async def test_the_purge_looks_at_most_once_a_minute(make) -> None:
    service = make(1)
    first, second = service.meeting_with_chat(), service.meeting_with_chat()
    service.meetings.end(first, EndReason.DELETED)
    service.clock.advance(10)
    service.meetings.end(second, EndReason.DELETED)
    service.clock.advance(DAY - 10)
    await service.lifecycle.check()
    assert (private_too(service, first), private_too(service, second)) == (0, 2)
    service.clock.advance(30)  # the second is due now, but the purge looked 30 s ago
    await service.lifecycle.check()
    assert private_too(service, second) == 2
    service.clock.advance(30)
    await service.lifecycle.check()
    assert private_too(service, second) == 0


def test_the_operator_sets_it_on_the_command_line(tmp_path: Path) -> None:
    argv = ["--data-dir", str(tmp_path)]
    assert parse_args(argv, {}).chat_retention_days is None
    assert parse_args(argv + ["--chat-retention-days", "30"], {}).chat_retention_days == 30
    assert parse_args(argv + ["--chat-retention-days", "0"], {}).chat_retention_days == 0
    for bad in ("-1", "soon"):
        with pytest.raises(SystemExit):
            parse_args(argv + ["--chat-retention-days", bad], {})
    with pytest.raises(ValueError):
        dataclasses.replace(ServerConfig(data_dir=tmp_path), chat_retention_days=-1)
