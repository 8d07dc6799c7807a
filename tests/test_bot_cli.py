"""``parley-bot`` as a command: joins, stays, leaves, prints one JSON report, exits 0."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from support import LIGHT_SMALL, RunningBot, Server, eventually

REPO = Path(__file__).resolve().parent.parent


async def run_bot(*args: str) -> tuple[int, str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "desktop.bot", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_bot_command_reports_what_it_received_as_json(server: Server) -> None:
    meeting = await server.create_meeting()
    peer = RunningBot(await server.join_url(meeting["id"], "Ada"), **LIGHT_SMALL)
    await eventually(lambda: peer.report.attendee_id is not None, what="peer joined")
    url = await server.join_url(meeting["id"], "Grace")

    code, out, err = await run_bot(url, "--name", "Bot Grace", "--duration", "3", "--light",
                                   "--size", "160x90", "--fps", "10", "--json")
    assert code == 0, err
    report = json.loads(out)
    ada = peer.report.attendee_id
    assert report["end_reason"] == "left"
    assert report["camera"] == "on"
    assert report["joined_ms"] > 0
    assert report["frames_received"][ada] > 5
    assert report["audio_frames_received"][ada] > 50
    assert report["first_frame_ms"][ada] >= report["joined_ms"]  # when, in bench/forwarding.py
    assert report["latency_ms"] is None  # light bots count frames without decoding them
    assert report["roster"] == [{"attendee_id": ada, "name": "Ada", "muted": False, "video": True,
                                 "connecting": False}]
    # the peer saw the bot under the name it asked for, and saw it leave
    await eventually(lambda: report["attendee_id"] not in peer.session.attendees, what="bot left")
    await peer.finish()


async def test_bot_command_refused_token_and_bad_link(server: Server) -> None:
    meeting = await server.create_meeting()
    url = await server.join_url(meeting["id"], "Ada")
    code, out, err = await run_bot(url[:-4] + "AAAA", "--json", "--duration", "1")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "invalid_token"
    assert "invalid_token" in err

    code, out, err = await run_bot("https://example.invalid/not-a-join-link", "--json")
    assert code == 2 and "not a Parley join link" in err and out == ""
