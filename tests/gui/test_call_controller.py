"""The call window driven by a session of the test's own: what the user sees when people come and
go, a hand goes up, the chat fails, and the meeting ends — without a server, since the point here
is the front-end's reading of the session's events (the end-to-end tests keep their real server).

``FakeSession`` is handed to the app as its session factory, as app.py hands in MeetingSession;
it speaks the session's real events through the same ``on``/``emit`` (EventEmitter).
"""

from __future__ import annotations

import asyncio

from desktop.session.events import (
    AttendeeJoined,
    AttendeeLeft,
    AttendeeUpdated,
    EventEmitter,
    MeetingLeft,
    ReactionReceived,
)
from desktop.session import Capability, EndReason, Participant
from desktop.session.timer import SessionTimer
from desktop.ui.call_window import SELF
from support import eventually
from wire import MeetingInfo, ProtocolError

JOIN_URL = "parley://meet.example:8750/m/m1?token=t1"


class FakeSession(EventEmitter):
    """The surface of MeetingSession the call uses, with a roster the test sets and events the
    test emits; what the app asks of it is written down in ``asked``."""

    def __init__(self, join_url: str, *, name: str, camera_on: bool, muted: bool, clock, **_devices) -> None:
        super().__init__()
        self.join_url = join_url
        self.me = Participant("a-me", "u-me", name, "participant", muted=muted)
        self.attendees: dict[str, Participant] = {}  # the others
        self.capabilities: tuple[str, ...] = (Capability.JOIN_CALL, Capability.SEND_AUDIO, Capability.SEND_VIDEO)
        self.meeting = MeetingInfo("m1", "default")
        self.timer = SessionTimer(clock)
        self.camera = None
        self.camera_on = False
        self.wants_camera = camera_on
        self.hand_raised = False
        self.can_extend = False
        self.share_available = True
        self.shares: list[Participant] = []
        self.file_source = None
        self.ended = asyncio.Event()
        self.asked: list[tuple] = []

    async def join(self) -> None:
        self.asked.append(("join", self.join_url))

    def tick_timer(self) -> None:
        pass

    async def send_chat(self, text: str, to: str | None) -> None:
        raise ProtocolError("rate_limited", "slow down")

    async def set_muted(self, muted: bool) -> None:
        self.asked.append(("muted", muted))

    async def leave(self, reason: str = EndReason.LEFT) -> None:
        self.asked.append(("leave", reason))
        self.end(reason)

    def end(self, reason: str) -> None:
        if not self.ended.is_set():
            self.ended.set()
            self.emit(MeetingLeft(reason))


async def joined(app_flow) -> tuple:
    sessions: list[FakeSession] = []

    def factory(join_url: str, **parts) -> FakeSession:
        sessions.append(FakeSession(join_url, **parts))
        return sessions[-1]

    flow = app_flow(session_factory=factory)
    flow.open_lobby(JOIN_URL)
    flow.lobby.name.setText("Ada")
    flow.lobby.join_button.click()
    await eventually(lambda: flow.call is not None and flow.call.isVisible(), what="the call window")
    return flow, sessions[0]


async def test_people_coming_and_going_change_the_tiles_the_count_and_the_roster(app_flow) -> None:
    flow, session = await joined(app_flow)
    call = flow.call
    assert session.asked[0] == ("join", JOIN_URL)
    assert call.grid.keys() == [SELF] and call.bar.count_label.text() == "1 in the meeting"

    grace = Participant("a-grace", "u-grace", "Grace", "participant", video=True)
    session.emit(AttendeeJoined(grace))
    assert call.grid.tile("a-grace").name == "Grace"
    assert call.bar.count_label.text() == "2 in the meeting"
    assert call.windowTitle() == "Parley — Meeting (2)"
    assert "a-grace" in call.roster.rows

    # her hand goes up: her tile and the roster say so
    session.emit(AttendeeUpdated(Participant("a-grace", "u-grace", "Grace", "participant",
                                              hand_raised_at="2026-12-05T10:00:00Z")))
    assert call.grid.tile("a-grace").hand_raised
    # my own reaction lands on my self-view
    session.emit(ReactionReceived("a-me", "👍"))
    assert call.grid.tile(SELF).reaction == "👍" and "👍 1" in call.bar.reaction_strip.text()

    session.emit(AttendeeLeft("a-grace", EndReason.LEFT))
    assert call.grid.tile("a-grace") is None and call.bar.count_label.text() == "1 in the meeting"
    assert "a-grace" not in call.roster.rows


async def test_a_refused_chat_message_is_explained_where_it_was_typed(app_flow) -> None:
    flow, _session = await joined(app_flow)
    chat = flow.call.chat
    flow.call.bar.chat_button.click()
    chat.input.setText("hello")
    chat.send_button.click()
    await eventually(lambda: chat.error.text() == "Not sent: slow down", what="the refusal shown")


async def test_the_meeting_ending_takes_the_user_back_to_the_start_saying_why(app_flow) -> None:
    flow, session = await joined(app_flow)
    call = flow.call
    session.end(EndReason.ENDED_BY_HOST)
    assert flow.start_window.isVisible() and not call.isVisible()
    assert flow.start_window.notice.text() == "The host ended the meeting."
    assert flow.session is None and flow.call is None
    await eventually(lambda: flow.media is None, what="the devices released")


async def test_leave_asks_the_session_to_leave_and_says_you_left(app_flow) -> None:
    flow, session = await joined(app_flow)
    flow.call.bar.leave_button.click()
    await eventually(lambda: flow.start_window.isVisible(), what="back at the start")
    assert ("leave", EndReason.LEFT) in session.asked
    assert flow.start_window.notice.text() == "You left the meeting."


async def test_the_layout_chosen_in_one_call_is_the_next_calls(app_flow) -> None:
    from desktop.ui.stage import GRID, SPEAKER

    flow, session = await joined(app_flow)
    assert flow.call.stage.layout_mode == GRID  # the first call: the grid
    flow.call.bar.layout_actions[SPEAKER].trigger()
    assert flow.settings.get("call/layout") == SPEAKER
    session.end(EndReason.LEFT)
    await eventually(lambda: flow.call is None, what="the call over")
    flow.start_window.rejoin_button.click()  # the link still works: the lobby, and a new call
    await eventually(lambda: flow.lobby is not None and flow.lobby.isVisible(), what="the lobby again")
    flow.lobby.join_button.click()
    await eventually(lambda: flow.call is not None and flow.call.isVisible(), what="the next call")
    assert flow.call.stage.layout_mode == SPEAKER and flow.call.bar.layout_actions[SPEAKER].isChecked()
