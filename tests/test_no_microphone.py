"""People who join with no microphone and no camera send nothing: they show as muted, and the
others' apps do not take their silence for incoming media that died (the watchdog reconnected a
publisher alone with two such listeners 6-8 s after they joined, in every bench run)."""

from __future__ import annotations

import asyncio

import pytest

from support import LIGHT_SMALL, RunningBot, Server, eventually


@pytest.mark.slow
async def test_listeners_without_a_microphone_do_not_make_a_speaker_reconnect(server: Server) -> None:
    meeting = await server.create_meeting()
    speaker = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    listeners = [RunningBot(await server.join_url(meeting["id"], name), camera="none", mic="none", **LIGHT_SMALL)
                 for name in ("Grace", "Linus")]
    await eventually(lambda: all(len(b.report.frames_received) == 1 for b in listeners), timeout=15,
                     what="the listeners see Ada")
    # with no microphone they are muted, as everyone sees them
    await eventually(lambda: all(a.muted for a in speaker.session.attendees.values()), what="shown muted")
    await asyncio.sleep(9)  # the watchdog stalls after 3 s of nothing and repairs 3 s later
    assert speaker.session.reconnects == 0 and speaker.session.remote.watchdog.stalls == 0
    frames = {id(b): sum(b.report.frames_received.values()) for b in listeners}
    await asyncio.sleep(1)
    assert all(sum(b.report.frames_received.values()) > frames[id(b)] for b in listeners)
    for bot in (speaker, *listeners):
        await bot.finish()
