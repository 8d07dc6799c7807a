"""The session's small parts on their own: its task owner, its message table, its roster."""

from __future__ import annotations

import asyncio
import logging

import pytest

from desktop.session import Capability, EndReason, Participant
from desktop.session.dispatch import MessageTable
from desktop.session.events import AttendeeJoined, AttendeeLeft, AttendeeUpdated, MeetingJoined
from desktop.session.roster import Roster
from desktop.tasks import TaskOwner
from wire import (
    AttendeeInfo,
    ChatMessage,
    Joined,
    MeetingInfo,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    Reaction,
    VideoSlots,
)

ADA = AttendeeInfo("a1", "u-ada", "Ada", "host")
GRACE = AttendeeInfo("g1", "u-grace", "Grace", "participant")
LINUS = AttendeeInfo("l1", "u-linus", "Linus", "participant")


# --- the task owner -------------------------------------------------------------------------


async def test_close_cancels_every_task_and_waits_for_it_to_finish() -> None:
    tasks = TaskOwner("test")
    finished: list[str] = []

    async def forever(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0)  # cleaning up takes a turn of the loop
            finished.append(name)

    tasks.spawn(forever("a"))
    tasks.spawn(forever("b"))
    await asyncio.sleep(0)
    assert len(tasks) == 2
    await tasks.close()
    assert sorted(finished) == ["a", "b"] and len(tasks) == 0
    await tasks.close()  # a second close does nothing


async def test_a_closed_owner_starts_nothing() -> None:
    tasks = TaskOwner("test")
    await tasks.close()
    ran = []

    async def work() -> None:
        ran.append(True)

    assert tasks.spawn(work()) is None
    await asyncio.sleep(0)
    assert ran == []


async def test_a_task_may_close_its_owner_without_waiting_for_itself() -> None:
    tasks = TaskOwner("test")
    other_cancelled = asyncio.Event()

    async def other() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            other_cancelled.set()
            raise

    async def closer() -> str:
        await asyncio.sleep(0)
        await tasks.close()
        return "closed"

    tasks.spawn(other())
    task = tasks.spawn(closer())
    assert await asyncio.wait_for(task, 5) == "closed"
    assert other_cancelled.is_set()


async def test_a_failing_task_is_logged_and_let_go(caplog: pytest.LogCaptureFixture) -> None:
    tasks = TaskOwner("test")

    async def fail() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="desktop.tasks"):
        task = tasks.spawn(fail())
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)
    assert len(tasks) == 0
    assert any("boom" in (record.exc_text or "") or record.exc_info and "boom" in str(record.exc_info[1])
               for record in caplog.records)


# --- the message table ------------------------------------------------------------------------


async def test_each_message_goes_to_the_handler_of_its_type() -> None:
    table = MessageTable()
    seen: list[object] = []

    async def on_chat(message: ChatMessage) -> None:
        await asyncio.sleep(0)
        seen.append(("chat", message))

    table.register(Reaction, lambda message: seen.append(("reaction", message.emoji)))
    table.register(ChatMessage, on_chat)
    await table.dispatch(Reaction(attendee_id="a1", emoji="👍"))
    await table.dispatch(ParticipantLeft(attendee_id="a1"))  # nobody handles it: ignored
    assert seen == [("reaction", "👍")]
    with pytest.raises(ValueError):
        table.register(Reaction, seen.append)


# --- the roster ---------------------------------------------------------------------------------


def welcome(*others: AttendeeInfo, capabilities: tuple[str, ...] = ("join-call", "send-audio")) -> Joined:
    return Joined(attendee=ADA, meeting=MeetingInfo("m1", "default"), roster=list(others),
                  capabilities=list(capabilities), video_slots=VideoSlots(0, 16))


def make_roster() -> tuple[Roster, MessageTable, list[object], list[str], list[Participant]]:
    events: list[object] = []
    departed: list[str] = []
    me_updates: list[Participant] = []
    roster = Roster(events.append, lambda: 0.0, on_changed=lambda: None, on_departed=departed.append,
                    on_me_updated=me_updates.append)
    table = MessageTable()
    roster.register(table)
    return roster, table, events, departed, me_updates


async def test_the_roster_shows_participants_not_protocol_records() -> None:
    roster, table, events, departed, me_updates = make_roster()
    roster.welcome(welcome(GRACE, capabilities=("join-call", "change-max-duration")))
    joined = events[0]
    assert isinstance(joined, MeetingJoined)
    assert joined.attendee == Participant("a1", "u-ada", "Ada", "host")
    assert joined.roster == (Participant("g1", "u-grace", "Grace", "participant"),)
    assert roster.may(Capability.CHANGE_MAX_DURATION) and not roster.may(Capability.END_CALL)

    await table.dispatch(ParticipantJoined(attendee=LINUS))
    assert events[-1] == AttendeeJoined(Participant("l1", "u-linus", "Linus", "participant"))
    assert all(type(p) is Participant for p in roster.attendees.values())

    # hands, in the order they went up, me included
    await table.dispatch(ParticipantUpdated(attendee=AttendeeInfo(**{**LINUS.__dict__, "hand_raised_at": "2027-01-15T08:00:01Z"})))
    await table.dispatch(ParticipantUpdated(attendee=AttendeeInfo(**{**ADA.__dict__, "muted": True, "hand_raised_at": "2027-01-15T08:00:02Z"})))
    assert isinstance(events[-1], AttendeeUpdated) and events[-1].attendee.muted
    assert [p.name for p in roster.hands()] == ["Linus", "Ada"] and roster.hand_raised
    assert me_updates == [roster.me]  # the publisher hears a host may have muted me

    await table.dispatch(ParticipantLeft(attendee_id="l1", reason=EndReason.REMOVED))
    assert events[-1] == AttendeeLeft("l1", "removed") and departed == ["l1"]
    assert "l1" not in roster.attendees


async def test_back_after_a_drop_the_roster_tells_who_came_and_went() -> None:
    roster, _table, events, departed, _ = make_roster()
    roster.welcome(welcome(GRACE))
    events.clear()
    renamed_grace = AttendeeInfo(**{**GRACE.__dict__, "video": True})
    roster.rewelcome(welcome(renamed_grace, LINUS))
    assert events == [AttendeeUpdated(Participant.from_wire(renamed_grace)),
                      AttendeeJoined(Participant.from_wire(LINUS))]
    events.clear()
    roster.rewelcome(welcome(LINUS))
    assert events == [AttendeeLeft("g1", EndReason.LEFT)] and departed == ["g1"]


# --- reasons in words -----------------------------------------------------------------------------


def test_every_end_the_session_itself_gives_has_a_sentence() -> None:
    from desktop.session import JoinProblem, ShareEnd
    from desktop.session.reasons import describe, describe_share

    assert describe(EndReason.REPLACED) == describe("replaced") == "You joined this meeting from another window or device."
    assert describe(JoinProblem.UNTRUSTED_CERTIFICATE).startswith("Parley did not connect")
    for reason in (EndReason.LEFT, EndReason.IDLE, EndReason.CONNECTION_LOST, JoinProblem.CONNECTION_FAILED):
        assert "(" not in describe(reason)  # a sentence of its own, not "The call ended (code)."
    for outcome in ShareEnd:
        assert "(" not in describe_share(outcome)
    assert describe("warp_core_breach") == "The call ended (warp_core_breach)."
    assert describe_share(EndReason.REMOVED) == "A host stopped your screen share."


# --- how the parts hang together ------------------------------------------------------------------


def test_the_parts_never_import_the_facade_nor_each_other_in_a_circle() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("desktop")
    modules = sorted(m for m in graph.modules if m.startswith(("desktop.session.", "desktop.signalling.")))
    circles = [(a, b) for i, a in enumerate(modules) for b in modules[i + 1:]
               if graph.chain_exists(a, b) and graph.chain_exists(b, a)]
    assert circles == []
    facade = "desktop.session.meeting_session"
    assert [m for m in modules if m != facade and graph.chain_exists(m, facade)] == []
