"""Lip sync end to end on loopback: a real server, two real bots. Each bot's video path is made
to show every picture 150 ms later than it would (a slow display); the server's sender reports
carry each publisher's clock, so each bot's lip sync sees the voice ahead, holds it back, and
the bot's own A/V figure (stamped capture time of the pictures, the reports' capture time of
the voice) shows the two in step."""

from __future__ import annotations

import asyncio

from desktop.bot.options import BotOptions
from desktop.bot.runner import Bot
from desktop.media.playout import PlayoutDelay
from server.sfu.forwarding import DownTrack
from support import Server

SLOW_DISPLAY = 0.150


async def test_a_remote_persons_voice_waits_for_their_late_video(server: Server, monkeypatch) -> None:
    due = PlayoutDelay.due

    def late(self: PlayoutDelay, timestamp: int) -> float | None:
        at = due(self, timestamp)
        return None if at is None else at + SLOW_DISPLAY

    monkeypatch.setattr(PlayoutDelay, "due", late)
    translated: set[str] = set()  # kinds of section that reported a publisher's clock
    mapping = DownTrack.sender_mapping

    def sender_mapping(self: DownTrack, ntp: int) -> tuple[int, int] | None:
        found = mapping(self, ntp)
        if found is not None:
            translated.add(self.kind)
        return found

    monkeypatch.setattr(DownTrack, "sender_mapping", sender_mapping)
    meeting = await server.create_meeting()
    urls = [await server.join_url(meeting["id"], name) for name in ("Ada", "Grace")]
    bots = [Bot(BotOptions(url, duration=14.0, measure_after=10.0, width=320, height=180, fps=15))
            for url in urls]
    reports = await asyncio.gather(*(bot.run() for bot in bots))
    assert translated == {"audio", "video"}  # the reports carried the publishers' clocks
    for report, other in zip(reports, reversed(reports)):
        remote = report.remotes[other.attendee_id]
        offset = remote["av_offset_ms"]
        assert offset is not None and offset["samples"] >= 20, remote
        assert abs(offset["p50"]) < 40, remote  # in step: without lip sync, about 150 ms apart
        assert 80 <= remote["sync_extra_ms"]["audio"] <= 250, remote  # the voice was held back
        assert remote["sync_extra_ms"]["video"] < 20, remote
