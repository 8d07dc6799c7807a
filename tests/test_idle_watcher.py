"""The idle watcher's state machine, driven by a fake clock and a fake idle source."""

from __future__ import annotations

import pytest

from desktop.idle.watcher import (
    IdleCountdown,
    IdlePromptShown,
    IdleResumed,
    IdleState,
    IdleTimedOut,
    IdleWatcher,
    effective_timeout,
)


class Machine:
    """A computer whose idle time grows with the clock until someone touches it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.last_input = 1000.0
        self.can_tell = True

    def clock(self) -> float:
        return self.now

    def idle_seconds(self) -> float | None:
        return self.now - self.last_input if self.can_tell else None

    def wait(self, seconds: float, watcher: IdleWatcher) -> None:
        for _ in range(int(seconds)):
            self.now += 1.0
            watcher.tick()

    def touch(self) -> None:
        self.last_input = self.now


@pytest.fixture
def machine() -> Machine:
    return Machine()


def watch(machine: Machine, timeout: float = 60, prompt: float = 10) -> tuple[IdleWatcher, list]:
    watcher = IdleWatcher(machine, timeout=timeout, prompt=prompt, clock=machine.clock)
    events: list = []
    for kind in (IdlePromptShown, IdleCountdown, IdleResumed, IdleTimedOut):
        watcher.on(kind, events.append)
    return watcher, events


def test_idle_then_prompt_then_leave(machine: Machine) -> None:
    watcher, events = watch(machine)
    machine.wait(59, watcher)
    assert watcher.state == IdleState.WATCHING and events == []
    machine.wait(1, watcher)
    assert watcher.state == IdleState.ASKING
    assert events == [IdlePromptShown(10)]
    machine.wait(9, watcher)
    assert [e.seconds_left for e in events if isinstance(e, IdleCountdown)] == [9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert watcher.state == IdleState.ASKING
    machine.wait(1, watcher)
    assert watcher.state == IdleState.TIMED_OUT and events[-1] == IdleTimedOut()
    machine.wait(5, watcher)  # nothing more after timing out
    assert events.count(IdleTimedOut()) == 1


def test_input_while_asking_keeps_the_call(machine: Machine) -> None:
    watcher, events = watch(machine)
    machine.wait(63, watcher)
    assert watcher.state == IdleState.ASKING
    machine.touch()
    machine.wait(1, watcher)
    assert watcher.state == IdleState.WATCHING and events[-1] == IdleResumed("input")
    machine.wait(58, watcher)  # a full timeout again before the next question
    assert watcher.state == IdleState.WATCHING
    machine.wait(2, watcher)
    assert watcher.state == IdleState.ASKING


def test_im_here_keeps_the_call_even_if_the_backend_saw_no_input(machine: Machine) -> None:
    watcher, events = watch(machine)
    machine.wait(65, watcher)
    watcher.confirm()  # e.g. the in-app fallback missed the click
    assert watcher.state == IdleState.WATCHING and events[-1] == IdleResumed("confirmed")
    machine.wait(30, watcher)
    assert watcher.state == IdleState.WATCHING


def test_presenting_counts_as_activity(machine: Machine) -> None:
    watcher, events = watch(machine)
    watcher.presenting = True
    machine.wait(300, watcher)
    assert watcher.state == IdleState.WATCHING and events == []
    watcher.presenting = False
    machine.wait(60, watcher)
    assert watcher.state == IdleState.ASKING


def test_sharing_answers_a_question_already_asked(machine: Machine) -> None:
    watcher, events = watch(machine)
    machine.wait(61, watcher)
    watcher.presenting = True
    machine.wait(1, watcher)
    assert watcher.state == IdleState.WATCHING and events[-1] == IdleResumed("input")


def test_a_backend_that_cannot_tell_never_makes_anyone_leave(machine: Machine) -> None:
    watcher, events = watch(machine)
    machine.can_tell = False
    machine.wait(600, watcher)
    assert watcher.state == IdleState.WATCHING and events == []


def test_shorter_of_user_setting_and_meeting_limit_wins() -> None:
    assert effective_timeout(3600, 600) == 600
    assert effective_timeout(300, 600) == 300
    assert effective_timeout(3600, None) == 3600
