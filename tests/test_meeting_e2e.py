"""End to end on loopback: a real server, real bots, real media through the forwarding unit."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from desktop.bot.options import BotOptions
from desktop.bot.runner import Bot
from desktop.session.meeting_session import JoinFailed, MeetingSession
from desktop.signalling.tls import MemoryTrustStore
from server.http.keys import CONFIG_KEY, LIFECYCLE_KEY
from server.sfu.forwarding import UpTrack
from support import LIGHT_SMALL, RunningBot, Server, eventually
from wire import MAX_CAMERAS, EndMeeting, ErrorCode, Mute, ProtocolError


async def test_three_participants_see_and_hear_each_other(server: Server) -> None:
    meeting = await server.create_meeting()
    names = ["Ada", "Grace", "Linus"]
    urls = [await server.join_url(meeting["id"], name) for name in names]
    bots = [Bot(BotOptions(url, duration=4.0, width=320, height=180, fps=15)) for url in urls]
    reports = await asyncio.gather(*(bot.run() for bot in bots))

    ids = {r.attendee_id for r in reports}
    assert len(ids) == 3
    for name, report in zip(names, reports):
        others = ids - {report.attendee_id}
        assert report.end_reason == "left"
        assert report.camera == "on"
        assert set(report.frames_received) == others
        assert set(report.audio_frames_received) == others
        for other in others:
            assert report.frames_received[other] >= 20, report.frames_received  # 15 fps for ~3 s
            assert report.audio_frames_received[other] >= 50, report.audio_frames_received
        # the pictures decoded and carried their capture stamps: glass-to-glass was measured
        latency = report.latency_ms()
        assert latency is not None and latency["samples"] >= 40 and latency["p50"] > 0
        assert {a["name"] for a in report.roster} == set(names) - {name}
        assert all(a["video"] and not a["muted"] for a in report.roster)
        # everyone's media got through, so nobody is left showing as "connecting…"
        assert not any(a["connecting"] for a in report.roster), report.roster


async def test_a_late_joiner_gets_a_picture_from_a_keyframe_asked_for_it(server: Server, monkeypatch) -> None:
    """Publishers send a keyframe only every 3 s by themselves; for a newcomer the server asks
    each for one at once (how soon the picture comes: bench/forwarding.py, "late joiner")."""
    asked: list[str] = []
    ask = UpTrack.request_keyframe
    monkeypatch.setattr(UpTrack, "request_keyframe",
                        lambda up, *args: (asked.append(up.attendee_id), ask(up, *args))[1])
    meeting = await server.create_meeting()
    early = [RunningBot(await server.join_url(meeting["id"], n), **LIGHT_SMALL) for n in ("Ada", "Grace")]
    await eventually(lambda: all(len(b.report.frames_received) == 1 for b in early), what="early bots see each other")
    await asyncio.sleep(0.5)  # the early publishers are mid-stream, between keyframes

    asked.clear()
    late = RunningBot(await server.join_url(meeting["id"], "Linus"), **LIGHT_SMALL)
    await eventually(lambda: len(late.report.frames_received) == 2, timeout=5, what="late joiner sees both")
    assert {b.report.attendee_id for b in early} <= set(asked), asked
    for publisher in (b.report.attendee_id for b in early):
        assert late.report.frames_received[publisher] > 0
        assert late.report.first_frame_ms[publisher] >= late.report.joined_ms
    for bot in (*early, late):
        await bot.finish()


async def test_seventeenth_camera_is_refused_and_gets_a_slot_when_one_frees(server: Server) -> None:
    meeting = await server.create_meeting()
    cameras = []
    for i in range(MAX_CAMERAS):
        cameras.append(RunningBot(await server.join_url(meeting["id"], f"Cam {i}"), mic="none", **LIGHT_SMALL))
        await eventually(lambda: cameras[-1].session.camera_on, what=f"camera {i} on")

    extra = RunningBot(await server.join_url(meeting["id"], "Seventeen"), **LIGHT_SMALL)
    await eventually(lambda: extra.report.attendee_id is not None and extra.report.camera != "off",
                     what="17th joined")
    assert extra.report.camera == "video_unavailable" and extra.report.camera_refused
    assert not extra.session.camera_on
    seventeen = extra.report.attendee_id

    # Its owner stays in the meeting with audio, and sees everyone else.
    listener = cameras[0]
    await eventually(lambda: listener.report.audio_frames_received.get(seventeen, 0) >= 10,
                     what="others hear the 17th")
    assert listener.session.attendees[seventeen].video is False
    await eventually(lambda: len(extra.report.frames_received) == MAX_CAMERAS, timeout=15,
                     what="the 17th sees all 16 cameras")

    # A camera stops (its owner leaves): the slot frees and the 17th's camera comes on.
    await cameras.pop().finish()
    await eventually(lambda: extra.session.camera_on, what="17th camera gets the free slot")
    await eventually(lambda: listener.report.frames_received.get(seventeen, 0) >= 3,
                     what="others see the 17th camera")
    for bot in (*cameras, extra):
        await bot.finish()


async def _join_error(url: str) -> JoinFailed:
    session = MeetingSession(url, trust=MemoryTrustStore())
    with pytest.raises(JoinFailed) as caught:
        await session.join()
    return caught.value


async def test_bad_expired_and_foreign_tokens_are_refused(server: Server) -> None:
    meeting = await server.create_meeting()
    other = await server.create_meeting()
    url = await server.join_url(meeting["id"], "Ada")
    url_other = await server.join_url(other["id"], "Grace")

    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert (await _join_error(forged)).reason == ErrorCode.INVALID_TOKEN
    garbled = url.split("token=")[0] + "token=not-a-token"
    assert (await _join_error(garbled)).reason == ErrorCode.INVALID_TOKEN
    # a real token, but for another meeting
    foreign = url.split("?")[0] + "?" + url_other.split("?")[1]
    assert (await _join_error(foreign)).reason == ErrorCode.INVALID_TOKEN

    server.clock.advance(server.app[CONFIG_KEY].token_ttl_seconds + 1)
    assert (await _join_error(url)).reason == ErrorCode.TOKEN_EXPIRED

    # nobody got in
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert data["meeting"]["session"]["participants"] == []


async def test_delete_ends_the_meeting_for_everyone(server: Server) -> None:
    meeting = await server.create_meeting()
    urls = [await server.join_url(meeting["id"], n) for n in ("Ada", "Grace")]
    bots = [RunningBot(url, **LIGHT_SMALL) for url in urls]
    await eventually(lambda: all(b.report.frames_received for b in bots), what="media flowing")
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert len(data["meeting"]["session"]["participants"]) == 2

    status, data = await server.call("DELETE", f"/v1/meetings/{meeting['id']}")
    assert status == 200 and data["meeting"]["end_reason"] == "deleted"
    reports = await asyncio.wait_for(asyncio.gather(*(b.task for b in bots)), 10)
    assert [r.end_reason for r in reports] == ["deleted", "deleted"]
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert data["meeting"]["session"]["participants"] == []
    assert data["meeting"]["ended_at"] is not None
    # and nobody can come back in
    assert (await _join_error(urls[0])).reason == ErrorCode.MEETING_ENDED


async def test_garbage_on_the_socket_is_refused_and_others_keep_receiving(server: Server) -> None:
    meeting = await server.create_meeting()
    bots = [RunningBot(await server.join_url(meeting["id"], n), **LIGHT_SMALL) for n in ("Ada", "Grace")]
    await eventually(lambda: all(b.report.frames_received for b in bots), what="media flowing")
    attendee = await server.add_attendee(meeting["id"], user_id="u-mallory", name="Mallory", role="participant")

    ws_url = server.base_url.replace("http", "ws", 1) + "/v1/rtc"
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:

        async def reply_to(payload) -> dict:
            if isinstance(payload, bytes):
                await ws.send_bytes(payload)
            else:
                await ws.send_str(payload)
            while True:  # skip what the server pushes meanwhile (offers, roster changes)
                msg = await asyncio.wait_for(ws.receive(), 5)
                assert msg.type == aiohttp.WSMsgType.TEXT, msg
                reply = json.loads(msg.data)
                if reply["type"] in ("error", "pong", "joined"):
                    return reply

        assert (await reply_to('{"v":1,"type":"mute","muted":true,"rid":1}'))["code"] == "not_joined"
        joined = await reply_to(json.dumps({"v": 1, "type": "join", "rid": 2, "meeting_id": meeting["id"],
                                            "token": attendee["join_token"]}))
        assert joined["type"] == "joined" and joined["rid"] == 2
        garbage = {
            "not json {": "bad_request",
            "[1, 2, 3]": "bad_request",
            '{"v":1,"type":"explode"}': "unknown_type",
            '{"v":9,"type":"leave"}': "unsupported_version",
            '{"v":1,"type":"mute","muted":"yes"}': "bad_request",
            '{"v":1,"type":"publish","sdp":""}': "bad_request",
            '{"v":1,"type":"publish","sdp":"v=0 nonsense"}': "negotiation_failed",
            '{"v":1,"type":"subscribe_answer","sdp":"v=0"}': "negotiation_failed",
            '{"v":1,"type":"joined"}': "bad_request",
            json.dumps({"v": 1, "type": "mute", "muted": True, "pad": "x" * 300_000}): "message_too_large",
        }
        before = [dict(b.report.frames_received) for b in bots]
        for payload, code in garbage.items():
            reply = await reply_to(payload)
            assert reply["type"] == "error" and reply["code"] == code, (payload[:60], reply)
            assert reply["message"]
        assert (await reply_to(b"\x00\x01binary"))["code"] == "bad_request"
        assert (await reply_to('{"v":1,"type":"ping","rid":5}')) == {"v": 1, "type": "pong", "rid": 5,
                                                                      "server_time": "2027-01-15T08:00:00.000Z"}

        # the others never noticed: still in the meeting, still receiving each other
        await asyncio.sleep(1.0)
        for bot, earlier in zip(bots, before):
            assert not bot.session.ended.is_set()
            for attendee_id, count in earlier.items():
                assert bot.report.frames_received[attendee_id] > count + 3
        mallory = attendee["attendee"]["id"]
        assert all(mallory in b.session.attendees for b in bots)
    # a closed socket keeps its seat for the grace period, then the others are told
    server.clock.advance(server.app[CONFIG_KEY].reconnect_grace_seconds)
    await server.app[LIFECYCLE_KEY].check()
    await eventually(lambda: all(mallory not in b.session.attendees for b in bots), what="gone after the grace")
    for bot in bots:
        await bot.finish()


async def test_one_invite_link_lets_several_people_in(server: Server) -> None:
    meeting = await server.create_meeting()
    status, invite = await server.call("POST", f"/v1/meetings/{meeting['id']}/invites", {"role": "participant"})
    assert status == 201 and invite["role"] == "participant"
    url = invite["invite_url"]
    assert url.startswith("parley://") and f"/m/{meeting['id']}?token=" in url

    bots = [RunningBot(url, name=n, **LIGHT_SMALL) for n in ("Ada", "Grace")]
    await eventually(lambda: all(len(b.report.frames_received) == 1 for b in bots), what="both in, seeing each other")
    ada, grace = (b.report.attendee_id for b in bots)
    assert ada != grace  # the same link made two attendees
    assert bots[0].session.attendees[grace].name == "Grace"
    assert bots[0].session.attendees[grace].role == "participant"
    for bot in bots:
        await bot.finish()

    # without the API key there is no invite; an unknown role is refused
    status, data = await server.call("POST", f"/v1/meetings/{meeting['id']}/invites", {}, auth=False)
    assert status == 401
    status, data = await server.call("POST", f"/v1/meetings/{meeting['id']}/invites", {"role": "wizard"})
    assert status == 400 and data["error"]["code"] == "unknown_role"


async def test_rejoining_alone_keeps_the_meeting_one_room(server: Server) -> None:
    meeting = await server.create_meeting()
    url = await server.join_url(meeting["id"], "Ada")
    first = RunningBot(url, **LIGHT_SMALL)
    await eventually(lambda: first.report.attendee_id is not None, what="first join")
    again = RunningBot(url, **LIGHT_SMALL)  # the same attendee, from another connection
    await eventually(lambda: first.session.ended.is_set(), what="the old connection replaced")
    assert first.session.end_reason == "replaced"
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    await eventually(lambda: again.report.attendee_id in grace.session.attendees and grace.report.joined_ms,
                     what="Grace in, and sees Ada")
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert {p["name"] for p in data["meeting"]["session"]["participants"]} == {"Ada", "Grace"}
    await server.call("DELETE", f"/v1/meetings/{meeting['id']}")
    reports = await asyncio.wait_for(asyncio.gather(again.task, grace.task), 10)
    assert [r.end_reason for r in reports] == ["deleted", "deleted"]


async def test_a_flood_of_state_changes_is_rate_limited_and_nobody_else_drops(server: Server) -> None:
    meeting = await server.create_meeting()
    bots = [RunningBot(await server.join_url(meeting["id"], n), **LIGHT_SMALL) for n in ("Ada", "Grace")]
    await eventually(lambda: all(b.report.frames_received for b in bots), what="media flowing")
    attendee = await server.add_attendee(meeting["id"], user_id="u-mallory", name="Mallory", role="participant")
    ws_url = server.base_url.replace("http", "ws", 1) + "/v1/rtc"
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
        await ws.send_str(json.dumps({"v": 1, "type": "join", "rid": 1, "meeting_id": meeting["id"],
                                      "token": attendee["join_token"]}))
        for i in range(1500):
            await ws.send_str(json.dumps({"v": 1, "type": "mute", "muted": i % 2 == 0}))
        codes = []
        while True:
            msg = await asyncio.wait_for(ws.receive(), 5)
            reply = json.loads(msg.data)
            if reply["type"] == "error":
                codes.append(reply["code"])
            if len(codes) >= 1000:
                break
        assert set(codes) == {"rate_limited"}
        await asyncio.sleep(0.5)
        assert not any(b.session.ended.is_set() for b in bots)  # nobody else was dropped
    for bot in bots:
        await bot.finish()


async def test_volume_indicators_reach_everyone(server: Server) -> None:
    meeting = await server.create_meeting()
    talker = RunningBot(await server.join_url(meeting["id"], "Talker"), **LIGHT_SMALL)
    quiet = RunningBot(await server.join_url(meeting["id"], "Quiet"), muted=True, **LIGHT_SMALL)
    listener = RunningBot(await server.join_url(meeting["id"], "Listener"), mic="none", **LIGHT_SMALL)
    await eventually(lambda: talker.report.attendee_id in listener.report.volumes
                     and quiet.report.attendee_id in listener.report.volumes, what="volumes arrive")
    await eventually(lambda: listener.report.volumes[talker.report.attendee_id]["volume"] > 0.5,
                     what="the tone is loud")
    loud = listener.report.volumes[talker.report.attendee_id]
    assert loud["muted"] is False and loud["signal_strength"] == 1.0
    assert listener.report.volumes[quiet.report.attendee_id] == {"volume": 0.0, "muted": True, "signal_strength": 1.0}
    await eventually(lambda: listener.session.active_speakers[:1] == (talker.report.attendee_id,),
                     what="the talker is the active speaker")
    report = (await listener.finish()).to_json()
    assert report["volumes"][talker.report.attendee_id]["volume"] > 0.5
    for bot in (talker, quiet):
        await bot.finish()


async def test_host_controls_mute_lock_remove_and_end(server: Server) -> None:
    meeting = await server.create_meeting()
    host = RunningBot(await server.join_url(meeting["id"], "Host", role="host"), **LIGHT_SMALL)
    ada_url = await server.join_url(meeting["id"], "Ada")
    ada = RunningBot(ada_url, **LIGHT_SMALL)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **LIGHT_SMALL)
    await eventually(lambda: all(len(b.session.attendees) == 2 and b.report.attendee_id for b in (host, ada, grace)),
                     what="all in")
    ada_id, grace_id, host_id = (b.report.attendee_id for b in (ada, grace, host))

    # a participant may not: the server refuses, whatever the client shows
    for action in ("mute", "remove"):
        with pytest.raises(ProtocolError) as refused:
            await grace.session.moderate(ada_id, action)
        assert refused.value.code == ErrorCode.MISSING_CAPABILITY

    # the host mutes Ada: everyone sees it, and Ada cannot unmute herself until allowed
    await host.session.moderate(ada_id, "mute")
    await eventually(lambda: grace.session.attendees[ada_id].muted, what="others see Ada muted")
    await eventually(lambda: ada.session.muted and ada.session.mute_locked, what="Ada is muted")
    await ada.session.link.send(Mute(muted=False))  # a client that tries anyway
    await asyncio.sleep(0.3)
    assert grace.session.attendees[ada_id].muted
    await host.session.moderate(ada_id, "allow_unmute")
    await eventually(lambda: not ada.session.mute_locked, what="unmute allowed")
    await ada.session.set_muted(False)
    await eventually(lambda: not grace.session.attendees[ada_id].muted, what="Ada unmuted herself")

    # the host removes Ada: she is told why, the others see her leave, she cannot come back
    await host.session.moderate(ada_id, "remove")
    await eventually(lambda: ada.session.ended.is_set(), what="Ada removed")
    assert ada.session.end_reason == "removed"
    await eventually(lambda: ada_id not in grace.session.attendees, what="Grace sees Ada go")
    with pytest.raises(JoinFailed) as again:
        await MeetingSession(ada_url, trust=MemoryTrustStore()).join()
    assert again.value.reason == ErrorCode.MISSING_CAPABILITY

    # a participant may not end the meeting; the host may, for everyone
    with pytest.raises(ProtocolError):
        await grace.session.link.request(EndMeeting())
    await host.session.end_meeting()
    reports = await asyncio.wait_for(asyncio.gather(host.task, grace.task), 10)
    assert [r.end_reason for r in reports] == ["ended_by_host", "ended_by_host"]
    status, data = await server.call("GET", f"/v1/meetings/{meeting['id']}")
    assert data["meeting"]["end_reason"] == "ended_by_host"
    assert data["meeting"]["session"]["participants"] == []


async def test_joins_per_address_are_limited(tmp_path) -> None:
    """30 join attempts a minute from one address, successful or not; the 31st is refused."""
    from server.app import start_server
    from server.clock import ManualClock
    from server.config import ServerConfig
    from support import API_KEY

    runner, base_url, _ = await start_server(
        ServerConfig(port=0, data_dir=tmp_path / "data", api_key=API_KEY, joins_per_minute=30), ManualClock())
    try:
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(base_url.replace("http", "ws") + "/v1/rtc") as ws:
                codes = []
                for rid in range(31):
                    await ws.send_str(json.dumps({"v": 1, "type": "join", "rid": rid, "meeting_id": "m",
                                                  "token": "not.a-token"}))
                    codes.append(json.loads((await ws.receive()).data)["code"])
        assert codes[:30] == ["invalid_token"] * 30
        assert codes[30] == "rate_limited"
    finally:
        await runner.cleanup()
