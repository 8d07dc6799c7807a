"""parley-bot (issue 21, bug 11): ``--camera none --screen synthetic`` shared before its join
completed (``not_joined``); ``--light --screen synthetic`` never shared; the bot exited 1 when
the meeting ended by its timer, which is a normal ending."""

from __future__ import annotations

import pytest

from desktop.bot import cli
from desktop.bot.options import BotOptions
from desktop.bot.report import BotReport
from support import RunningBot, Server, eventually

SMALL_SCREEN = dict(screen="synthetic", screen_width=320, screen_height=180, screen_fps=10)


@pytest.mark.parametrize("options", [dict(camera="none"), dict(light=True, width=160, height=90, fps=10)],
                         ids=["camera-none", "light"])
async def test_the_bot_shares_its_synthetic_screen(server: Server, options) -> None:
    meeting = await server.create_meeting()
    viewer = RunningBot(await server.join_url(meeting["id"], "Viewer"), light=True, camera="none", mic="none")
    sharer = RunningBot(await server.join_url(meeting["id"], "Sharer"), **options, **SMALL_SCREEN)
    await eventually(lambda: sharer.report.screen_share is not None, timeout=15, what="the share answered")
    assert sharer.report.screen_share == "published"
    await eventually(lambda: sum(viewer.report.content_frames_received.values()) > 3, timeout=15,
                     what="the viewer receives the shared screen")
    await sharer.finish()
    await viewer.finish()


@pytest.mark.parametrize("reason, code", [("timer_expired", 0), ("ended_by_host", 0), ("deleted", 0),
                                          ("max_duration", 0), ("empty", 0), ("alone", 0), ("left", 0),
                                          ("connection_lost", 1), ("removed", 1), ("server_shutdown", 1)])
def test_a_meeting_that_ends_normally_is_exit_0(monkeypatch, capsys, reason: str, code: int) -> None:
    async def ended(options: BotOptions) -> BotReport:
        report = BotReport()
        report.attendee_id, report.end_reason = "a1", reason
        return report

    monkeypatch.setattr(cli, "_main", ended)
    assert cli.main(["parley://127.0.0.1:9/m/m1?token=t"]) == code
