"""Issue 20, item 1: a meeting's chat cannot lock anyone out. A hostile participant fills the
chat with the largest messages there are (95 of 4000 emoji, 1.5 MB in all); whoever joins or
comes back still gets in, with a first ``chat_history`` page that fits in one frame, and reads
the rest page by page, also after a restart. Raw WebSockets on loopback measure every frame."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.app import start_server
from server.clock import ManualClock
from server.http.keys import ROOMS_KEY
from raw_client import RawClient, attendee
from support import LIGHT_SMALL, RunningBot, Server, bounded, config_for, eventually
from wire import MAX_MESSAGE_BYTES, ChatHistoryRequest, ErrorCode, decode, encode
from wire.limits import MAX_CHAT_HISTORY_BYTES, MAX_CHAT_PAGE

SPAM = "😀" * 4000  # the longest chat message, 16 000 bytes of UTF-8
SPAMS = 95
#: a frame's envelope and ChatHistory's own fields around the messages
ENVELOPE = 200


async def spam(server: Server, meeting_id: str, sender_id: str) -> None:
    """95 of the largest chat messages, said through the room: the rate limit is not the point
    (at 2 a second they take 48 s; the server keeps them all the same)."""
    room = server.app[ROOMS_KEY].live_room(meeting_id)
    assert room is not None
    for _ in range(SPAMS):
        room.chat(room.participants[sender_id], SPAM, None)


def assert_fits(client: RawClient, history: dict[str, Any]) -> None:
    size = client.size_of_last()
    assert size <= MAX_CHAT_HISTORY_BYTES + ENVELOPE < MAX_MESSAGE_BYTES, size
    assert history["messages"] and history["more"] is True
    assert all(m["text"] == SPAM for m in history["messages"])


async def read_back(client: RawClient, first: dict[str, Any]) -> list[int]:
    """Two older pages over the socket (inside the chat rate limit): each fits, each is older."""
    ids = [m["message_id"] for m in first["messages"]]
    for _ in range(2):
        page = await client.page(ids[0])
        assert client.size_of_last() <= MAX_CHAT_HISTORY_BYTES + ENVELOPE
        older = [m["message_id"] for m in page["messages"]]
        assert older and max(older) < ids[0] and older == sorted(older)
        ids = older + ids
    return ids


@pytest.fixture
async def spammed(tmp_path: Path, clock: ManualClock) -> AsyncIterator[tuple[Path, str, dict[str, str]]]:
    """A meeting whose chat a participant flooded while Ada was in it; yields the data dir,
    the meeting and the attendees' tokens (Ada's socket has just dropped)."""
    data_dir = tmp_path / "data"
    runner, base_url, app = await start_server(config_for(data_dir), clock)
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, data_dir)
            meeting = (await server.create_meeting())["id"]
            tokens = {}
            mallory_id, tokens["mallory"] = await attendee(server, meeting, "Mallory")
            _, tokens["ada"] = await attendee(server, meeting, "Ada")
            _, tokens["grace"] = await attendee(server, meeting, "Grace")
            mallory = await RawClient.join(session, base_url, meeting, tokens["mallory"])
            await mallory.next("joined")
            ada = await RawClient.join(session, base_url, meeting, tokens["ada"])
            await ada.next("joined")
            await spam(server, meeting, mallory_id)
            await ada.close()  # a dropped connection: her seat waits for her

            # Ada comes back, Grace comes for the first time: both get in
            for name in ("ada", "grace"):
                client = await RawClient.join(session, base_url, meeting, tokens[name])
                await client.next("joined")
                history = await client.next("chat_history")
                assert_fits(client, history)
                ids = await read_back(client, history)
                assert len(ids) == len(set(ids)) and len(ids) < SPAMS
                await client.close()
            await mallory.close()
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")
    yield data_dir, meeting, tokens


async def test_a_flooded_chat_locks_nobody_out_and_pages_after_a_restart(
        spammed: tuple[Path, str, dict[str, str]], clock: ManualClock) -> None:
    data_dir, meeting, tokens = spammed
    runner, base_url, app = await start_server(config_for(data_dir), clock)  # the store reopened
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, data_dir)
            _, late = await attendee(server, meeting, "Late")
            for token in (tokens["ada"], late):
                client = await RawClient.join(session, base_url, meeting, token)
                await client.next("joined")
                history = await client.next("chat_history")
                assert_fits(client, history)
                await read_back(client, history)
                await client.close()
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


async def test_every_message_can_be_read_back_in_order_and_pages_stay_bounded(server: Server) -> None:
    """Through the room (no rate limit between pages): all 95 come back once, oldest first,
    each page within the byte bound, and ``more`` is false on the last."""
    meeting = (await server.create_meeting())["id"]
    mallory_id, token = await attendee(server, meeting, "Mallory")
    mallory = await RawClient.join(server.session, server.base_url, meeting, token)
    await mallory.next("joined")
    await spam(server, meeting, mallory_id)
    room = server.app[ROOMS_KEY].live_room(meeting)
    me = room.participants[mallory_id]
    pages, before = [], None
    while True:
        page = room.chat_history(me, before, MAX_CHAT_PAGE)
        assert len(encode(page).encode("utf-8")) <= MAX_CHAT_HISTORY_BYTES + ENVELOPE
        pages.append(page)
        if not page.more:
            break
        before = page.messages[0].message_id
    said = [m.message_id for page in reversed(pages) for m in page.messages]
    assert len(said) == SPAMS and said == sorted(said) and len(set(said)) == SPAMS
    # small messages fill a page by count instead
    for i in range(MAX_CHAT_PAGE + 5):
        room.chat(me, f"hi {i}", None)
    page = room.chat_history(me, None, MAX_CHAT_PAGE)
    assert len(page.messages) == MAX_CHAT_PAGE and page.more
    assert page.messages[-1].text == f"hi {MAX_CHAT_PAGE + 4}"
    # an id past anything SQLite can hold is simply "the latest"
    rid = await mallory.send(ChatHistoryRequest(before=2**80, limit=1))
    assert (await mallory.next("chat_history", rid))["messages"][0]["text"] == f"hi {MAX_CHAT_PAGE + 4}"
    # a page request out of bounds is a bad request, and the socket carries on
    await mallory.ws.send_str(json.dumps({"v": 1, "type": "chat_history_request", "rid": 99, "limit": 0}))
    error = await mallory.next("error", 99)
    assert error["code"] == ErrorCode.BAD_REQUEST
    assert decode(encode(ChatHistoryRequest(before=5, limit=3)))[0] == ChatHistoryRequest(before=5, limit=3)
    await mallory.close()


async def test_the_app_loads_older_chat_page_by_page(server: Server) -> None:
    """The client side: the session keeps the first page, knows more is there, and puts each
    older page in front."""
    meeting = (await server.create_meeting())["id"]
    mallory_id, token = await attendee(server, meeting, "Mallory")
    mallory = await RawClient.join(server.session, server.base_url, meeting, token)
    await mallory.next("joined")
    await spam(server, meeting, mallory_id)
    grace = RunningBot(await server.join_url(meeting, "Grace"), camera="none", mic="none", **LIGHT_SMALL)
    await eventually(lambda: grace.session is not None and grace.session.chat, what="the first page")
    conversation = grace.session.conversation
    first = [m.message_id for m in conversation.chat]
    assert conversation.older_chat and len(first) < SPAMS
    older = await conversation.load_older_chat()
    assert older and [m.message_id for m in conversation.chat] == [m.message_id for m in older] + first
    assert max(m.message_id for m in older) < first[0]
    await grace.finish()
    await mallory.close()
