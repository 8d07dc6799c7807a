"""Notification sounds: someone joining, leaving, chatting while the chat is closed, or raising
a hand makes a short sound on the call's speaker — not the roster that is there when you join,
not a burst, not your own doing, and not when the settings say no."""

from __future__ import annotations

import numpy as np

from app_support import join_from_lobby
from desktop.media import sounds
from support import LIGHT_SMALL, RunningBot, Server, eventually


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def listen(flow) -> list[str]:
    """The kinds of sound the call's speaker is given to play, in order."""
    played: list[str] = []
    speaker = flow.media.speaker
    play = speaker.play_sound

    def recording(samples) -> None:
        played.extend(kind for kind in sounds.KINDS if samples is sounds.sound(kind))
        play(samples)

    speaker.play_sound = recording
    return played


def test_each_sound_is_short_soft_and_its_own() -> None:
    made = {kind: sounds.sound(kind) for kind in sounds.KINDS}
    for kind, samples in made.items():
        assert samples.dtype == np.int16 and 0.1 < len(samples) / sounds.SAMPLE_RATE < 0.8, kind
        assert 3000 < np.abs(samples).max() < 16000, kind  # heard, never loud
    assert not np.array_equal(made[sounds.JOIN], made[sounds.LEAVE])


async def test_sounds_for_others_joining_chatting_raising_hands_and_leaving(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    early = RunningBot(await server.join_url(meeting["id"], "Early"), **LIGHT_SMALL)
    clock = Clock(1000.0)
    flow = app_flow(clock=clock)
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    played = listen(flow)
    await eventually(lambda: any(a.name == "Early" for a in flow.session.attendees.values()), what="Early listed")
    assert played == []  # those already there are not news
    clock.now += 5
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    try:
        await eventually(lambda: played == ["join"], what="a sound for Grace joining")
        clock.now += 5
        await eventually(lambda: grace.session is not None and grace.session.me is not None, what="Grace in")
        await grace.session.send_chat("hello", None)
        await eventually(lambda: played == ["join", "chat"], what="a sound for the chat (the chat is closed)")
        clock.now += 5
        await grace.session.raise_hand(True)
        await eventually(lambda: played == ["join", "chat", "hand"], what="a sound for the raised hand")

        flow.settings.set("sounds/join_leave", False)  # the user turned them off
        clock.now += 5
        await grace.finish()
        await eventually(lambda: all(a.name != "Grace" for a in flow.session.attendees.values()), what="Grace gone")
        assert played == ["join", "chat", "hand"]
    finally:
        await early.finish()
