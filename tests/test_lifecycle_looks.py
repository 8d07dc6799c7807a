"""The meeting-rules tick runs a few times a second and asks the store nothing while nothing
changed (issue 22 item 5: a store query every tick was 2.5 % of the server's CPU at 1 → 15); a
change made through this server is acted on at the next tick, one made only in the store (as
another node would) at the next look, ``look_interval`` seconds of the clock later."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.clock import ManualClock
from server.config import ServerConfig
from server.lifecycle import Lifecycle
from server.meetings import DEFAULT_CALL_TYPE, MeetingService, merge_settings
from server.rooms.registry import RoomRegistry
from server.sfu.backend import BuiltinMedia
from server.store_open import open_store
from server.tokens import TokenSigner
from wire import EndReason


class CountingStore:
    """The store, counting every call made through it."""

    def __init__(self, store) -> None:  # noqa: ANN001 - any Store
        self.store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str):  # noqa: ANN204
        value = getattr(self.store, name)
        if not callable(value):
            return value

        def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self.calls.append(name)
            return value(*args, **kwargs)

        return counted


class Service:
    def __init__(self, tmp_path: Path, look_interval: float) -> None:
        self.clock = ManualClock()
        config = ServerConfig(data_dir=tmp_path)
        self.real_store = open_store(str(tmp_path / "store.sqlite3"), tmp_path / "store.sqlite3")
        self.store = CountingStore(self.real_store)
        self.meetings = MeetingService(self.store, self.clock, TokenSigner(b"k" * 32, self.clock), config)  # type: ignore[arg-type]
        rooms = RoomRegistry(self.meetings, config, media=BuiltinMedia(["127.0.0.1"]))
        self.lifecycle = Lifecycle(self.meetings, rooms, config, look_interval=look_interval)

    def change_in_store(self, meeting_id: str, seconds: int) -> None:
        """Set the meeting's timer in the store alone, as another node would."""
        assert self.real_store.set_meeting_settings(meeting_id, {"limits": {"max_duration_seconds": seconds}})

    def started(self, seconds: int) -> str:
        """A started meeting whose timer runs ``seconds``."""
        meeting = self.meetings.create_meeting(settings_override={"limits": {"max_duration_seconds": seconds}})
        self.meetings.mark_started(meeting.id)
        return meeting.id


@pytest.fixture
def make(tmp_path: Path):
    made: list[Service] = []

    def build(look_interval: float) -> Service:
        made.append(Service(tmp_path, look_interval))
        return made[-1]

    yield build
    for service in made:
        service.real_store.close()


async def test_ticks_ask_the_store_nothing_while_nothing_changed(make) -> None:
    service = make(look_interval=1e9)
    meeting_id = service.started(600)
    assert await service.lifecycle.check() == []  # the first tick looks
    service.store.calls.clear()
    for _ in range(20):
        service.clock.advance(10)
        assert await service.lifecycle.check() == []
    assert service.store.calls == []
    service.clock.advance(400)  # 600 s since the start: the timer the last look found
    assert await service.lifecycle.check() == [(meeting_id, EndReason.TIMER_EXPIRED)]
    assert await service.lifecycle.check() == []  # once


async def test_a_timer_changed_through_this_server_counts_at_the_next_tick(make) -> None:
    service = make(look_interval=1e9)
    meeting_id = service.started(600)
    assert await service.lifecycle.check() == []
    service.clock.advance(30)
    service.meetings.update_settings(meeting_id, {"limits": {"max_duration_seconds": 40}})
    assert await service.lifecycle.check() == []
    service.clock.advance(10)
    assert await service.lifecycle.check() == [(meeting_id, EndReason.TIMER_EXPIRED)]


async def test_a_meeting_started_after_the_last_look_is_watched(make) -> None:
    service = make(look_interval=1e9)
    first = service.started(600)
    assert await service.lifecycle.check() == []
    second = service.started(60)
    service.clock.advance(60)
    assert await service.lifecycle.check() == [(second, EndReason.TIMER_EXPIRED)]
    service.clock.advance(540)
    assert await service.lifecycle.check() == [(first, EndReason.TIMER_EXPIRED)]


async def test_a_call_type_change_counts_once_the_lifecycle_is_told(make) -> None:
    service = make(look_interval=1e9)
    service.meetings.create_call_type("short", {"host": [], "participant": []}, merge_settings(
        DEFAULT_CALL_TYPE.settings, {"limits": {"max_duration_seconds": 600}}))
    meeting = service.meetings.create_meeting("short")
    service.meetings.mark_started(meeting.id)
    assert await service.lifecycle.check() == []
    service.clock.advance(100)
    service.meetings.update_call_type("short", None, merge_settings(
        DEFAULT_CALL_TYPE.settings, {"limits": {"max_duration_seconds": 90}}))
    service.lifecycle.forget()  # what the REST API and the call-type watch do
    assert await service.lifecycle.check() == [(meeting.id, EndReason.TIMER_EXPIRED)]


async def test_a_change_made_only_in_the_store_counts_at_the_next_look(make) -> None:
    """Another node shortened the timer: nothing of it reaches this node's events; the look
    every ``look_interval`` clock seconds finds it."""
    service = make(look_interval=5.0)
    meeting_id = service.started(600)
    assert await service.lifecycle.check() == []
    service.clock.advance(30)
    service.change_in_store(meeting_id, 20)
    service.clock.advance(5)
    assert await service.lifecycle.check() == [(meeting_id, EndReason.TIMER_EXPIRED)]


async def test_a_timer_extended_only_in_the_store_is_not_ended_at_its_old_time(make) -> None:
    """Another node extended the timer a moment before it ran out, after this node's last look:
    the meeting goes on, and ends at the new time."""
    service = make(look_interval=1e9)
    meeting_id = service.started(60)
    assert await service.lifecycle.check() == []
    service.clock.advance(58)
    service.change_in_store(meeting_id, 120)
    service.clock.advance(2)
    assert await service.lifecycle.check() == []
    service.clock.advance(59)
    assert await service.lifecycle.check() == []
    service.clock.advance(1)
    assert await service.lifecycle.check() == [(meeting_id, EndReason.TIMER_EXPIRED)]
