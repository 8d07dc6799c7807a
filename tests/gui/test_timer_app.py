"""The session timer in the app: the countdown, Extend, the 5-minute notice and time's up.

The app counts down on a clock the test moves (its ``clock``); the server ends the meeting on
its own ManualClock (``Lifecycle.check``)."""

from __future__ import annotations

from app_support import join_from_lobby
from server.http.keys import LIFECYCLE_KEY
from support import LIGHT_SMALL, RunningBot, Server, eventually


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_countdown_moves_when_a_host_extends_and_time_runs_out(app_flow, server: Server) -> None:
    meeting = await server.create_meeting(settings_override={"limits": {"max_duration_seconds": 600}})
    host = RunningBot(await server.join_url(meeting["id"], "Host", role="host"), **LIGHT_SMALL)
    await eventually(lambda: host.report.attendee_id is not None, what="host in")
    clock = Clock(5_000_000.0)  # this computer's clock: far from the server's, on purpose
    flow = app_flow(clock=clock)
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call = flow.call
    # a participant sees the time left, not the Extend button
    await eventually(lambda: call.bar.timer_box.isVisible(), what="countdown shown")
    assert call.bar.timer_label.text() == "10:00 left"
    assert not call.bar.extend_button.isVisible()
    clock.now += 61
    server.clock.advance(61)  # both clocks run alike; the app resyncs with each server message
    flow.controller.update_countdown()
    assert call.bar.timer_label.text() == "8:59 left"

    # the host extends by 30 minutes: the countdown moves at once, and everyone is told
    await host.session.extend(30 * 60)
    await eventually(lambda: call.bar.timer_label.text() == "38:59 left", what="countdown moved")
    assert "extended by 30 minutes." in call.banner.text()  # a duration, not a clock time

    # five minutes before the end: a notice that stays until dismissed
    clock.now += 33 * 60 + 60
    server.clock.advance(33 * 60 + 60)
    await eventually(lambda: call.time_notice.isVisible(), what="5-minute notice")
    assert call.time_notice_text.text() == "Less than 5 minutes remaining."
    await eventually(lambda: call.bar.timer_label.property("level") == "soon", what="the countdown turns amber")
    call.time_notice_dismiss.click()
    assert not call.time_notice.isVisible()

    # at zero: "The time has run out"; the server ends the meeting and the app says why (the
    # server's clock is moved after the app's, so its rules cannot end the meeting first)
    clock.now += 5 * 60
    await eventually(lambda: call.time_notice.isVisible() and "run out" in call.time_notice_text.text(),
                     what="time's up notice")
    server.clock.advance(5 * 60)
    assert await server.app[LIFECYCLE_KEY].check() in ([(meeting["id"], "timer_expired")], [])
    await eventually(lambda: flow.start_window.isVisible(), what="back at the start")
    assert flow.start_window.notice.text() == "The time has run out."
    assert (await host.task).end_reason == "timer_expired"


async def test_a_host_extends_from_the_app(app_flow, server: Server) -> None:
    meeting = await server.create_meeting(settings_override={"limits": {"max_duration_seconds": 900}})
    guest = RunningBot(await server.join_url(meeting["id"], "Guest"), **LIGHT_SMALL)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada", role="host"), "Ada")
    call = flow.call
    await eventually(lambda: call.bar.extend_button.isVisible(), what="Extend shown to the host")
    await eventually(lambda: guest.session.timer.ends_at is not None, what="guest has the timer")
    before = guest.session.timer.ends_at
    call.bar.extend_menu.actions()[2].trigger()  # "Add 60 minutes"
    await eventually(lambda: guest.session.timer.ends_at == before + 3600, what="the guest's countdown moved")
    call.bar.extend_button.click()  # the button itself adds 30
    await eventually(lambda: guest.session.timer.ends_at == before + 5400, what="and again")
    await guest.finish()


async def test_no_timer_no_countdown(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada", role="host"), "Ada")
    assert not flow.call.bar.timer_box.isVisible()
