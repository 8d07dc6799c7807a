"""Chat, raised hands and reactions through the real server."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from desktop.session.events import ReactionReceived
from server.app import start_server
from server.clock import ManualClock
from support import LIGHT_SMALL, RunningBot, Server, config_for, eventually
from wire import MAX_CHAT_CHARS, ErrorCode, ProtocolError, SendChat

QUIET = dict(LIGHT_SMALL, camera="none", mic="none")


async def test_history_reaches_a_late_joiner_and_private_messages_only_their_reader(server: Server) -> None:
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), say="hello all", **QUIET)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **QUIET)
    linus = RunningBot(await server.join_url(meeting["id"], "Linus"), **QUIET)
    await eventually(lambda: all(b.report.attendee_id for b in (ada, grace, linus)), what="in")
    await eventually(lambda: any(c["text"] == "hello all" for c in grace.report.chat_received), what="said")
    await grace.session.send_chat("just for you, Ada", to=ada.report.attendee_id)
    await eventually(lambda: any(c["private"] for c in ada.report.chat_received), what="Ada got it")
    await linus.session.send_chat("<img src=x onerror=alert(1)> <a href='http://x'>x</a>")

    # someone who joins late reads what was said to everyone, not what was said privately
    late = RunningBot(await server.join_url(meeting["id"], "Late"), **QUIET)
    await eventually(lambda: len(late.report.chat_received) == 2, what="history")
    assert [c["text"] for c in late.report.chat_received] == [
        "hello all", "<img src=x onerror=alert(1)> <a href='http://x'>x</a>"]
    assert not any(c["private"] for c in linus.report.chat_received)
    assert ada.report.chat_received[-2]["from"] == "Grace" and ada.report.chat_received[-2]["private"]
    # a private message to nobody, too long, or too many: clear refusals
    with pytest.raises(ProtocolError) as nobody:
        await ada.session.send_chat("hi", to="no-such-attendee")
    assert nobody.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(ValueError):
        SendChat(text="x" * (MAX_CHAT_CHARS + 1))
    codes = []
    for i in range(15):
        try:
            await ada.session.send_chat(f"spam {i}")
        except ProtocolError as exc:
            codes.append(exc.code)
    assert ErrorCode.RATE_LIMITED in codes and len(codes) < 15
    for bot in (ada, grace, linus, late):
        await bot.finish()


async def test_chat_survives_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    data_dir = tmp_path / "data"
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            first = Server(base_url, session, clock, app, data_dir)
            meeting = await first.create_meeting()
            url = await first.join_url(meeting["id"], "Ada")
            ada = RunningBot(url, say="before the restart", duration=1.0, **QUIET)
            await ada.task
    finally:
        await runner.cleanup()
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            second = Server(base_url, session, clock, app, data_dir)
            grace = RunningBot(await second.join_url(meeting["id"], "Grace"), **QUIET)
            await eventually(lambda: grace.report.chat_received, what="history after the restart")
            assert grace.report.chat_received[0] == {"from": "Ada", "text": "before the restart", "private": False}
            await grace.finish()
    finally:
        await runner.cleanup()


async def test_hands_go_up_in_order_a_host_lowers_one_and_reactions_reach_everyone(server: Server) -> None:
    meeting = await server.create_meeting()
    host = RunningBot(await server.join_url(meeting["id"], "Host", role="host"), **QUIET)
    await eventually(lambda: host.report.attendee_id is not None, what="host in")
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), raise_hand=True, **QUIET)
    await eventually(lambda: [a.name for a in host.session.hands()] == ["Grace"], what="Grace's hand")
    linus = RunningBot(await server.join_url(meeting["id"], "Linus"), raise_hand=True, **QUIET)
    await eventually(lambda: [a.name for a in host.session.hands()] == ["Grace", "Linus"], what="in order")
    with pytest.raises(ProtocolError):  # a participant may not lower someone else's hand
        await linus.session.moderate(grace.report.attendee_id, "lower_hand")
    await host.session.moderate(grace.report.attendee_id, "lower_hand")
    await eventually(lambda: [a.name for a in linus.session.hands()] == ["Linus"], what="Grace's hand lowered")
    assert not grace.session.hand_raised or await _eventually_lowered(grace)

    seen: list[tuple[str, str]] = []
    host.session.on(ReactionReceived, lambda e: seen.append((e.attendee_id, e.emoji)))
    await linus.session.react("🎉")
    await eventually(lambda: seen == [(linus.report.attendee_id, "🎉")], what="the reaction")
    report = await linus.finish()
    assert report.hands_raised == ["Linus"]
    await grace.finish()
    await host.finish()


async def _eventually_lowered(bot: RunningBot) -> bool:
    await eventually(lambda: not bot.session.hand_raised, what="lowered on her side too")
    return True
