"""When media never gets through (MeetingLink.watch_media): a media connection that does not
connect in time counts as failed, a few joins in a row like that end the session with
``media_blocked`` (after telling the server it leaves), and one that connects clears the count.
Fake peer connections, no network; the real thing is in test_blocked_networks.py."""

from __future__ import annotations

import asyncio

from desktop.session.dispatch import MessageTable
from desktop.session.link import MeetingLink
from desktop.session.reasons import describe
from desktop.signalling.client import JoinUrl
from desktop.signalling.tls import MemoryTrustStore
from desktop.tasks import TaskOwner
from support import eventually
from wire import EndReason, Leave


class FakePeerConnection:
    def __init__(self) -> None:
        self.connectionState = "connecting"
        self._handlers = []

    def on(self, event: str, handler) -> None:
        assert event == "connectionstatechange"
        self._handlers.append(handler)

    def become(self, state: str) -> None:
        self.connectionState = state
        for handler in self._handlers:
            handler()


class Owner:
    closed = False
    end_reason = None

    def __init__(self) -> None:
        self.lost: list[str] = []

    async def on_link_lost(self, reason: str) -> None:
        self.lost.append(reason)
        self.closed = True


def make_link(owner: Owner, tasks: TaskOwner, seconds: float = 60.0) -> tuple[MeetingLink, list, list]:
    link = MeetingLink(JoinUrl("parley://127.0.0.1:1/m/meeting?token=t"), "Ada", trust=MemoryTrustStore(),
                       owner=owner, table=MessageTable(), tasks=tasks, emit=lambda event: None,
                       media_connect_seconds=seconds)
    drops, sent = [], []
    link.connection_lost = lambda: drops.append(link._joins)  # a reconnect would join again

    async def send(message) -> None:
        sent.append(message)

    link.send = send
    return link, drops, sent


async def test_three_joins_whose_media_never_connected_end_with_media_blocked() -> None:
    owner, tasks = Owner(), TaskOwner("test")
    link, drops, sent = make_link(owner, tasks)
    try:
        for join in (1, 2, 3):
            link._joins = join  # what connect() counts
            pc = FakePeerConnection()
            link.watch_media(pc, lambda pc=pc: True)
            pc.become("failed")
        await eventually(lambda: owner.lost, what="the session ended")
        assert drops == [1, 2]  # the first two came back, the third one gave up
        assert owner.lost == [EndReason.MEDIA_BLOCKED]
        assert sent == [Leave()]  # the others see the person go at once
        assert "block calls" in describe(owner.lost[0])
    finally:
        await tasks.close()


async def test_media_that_connects_clears_the_count_and_a_late_failure_is_a_plain_drop() -> None:
    owner, tasks = Owner(), TaskOwner("test")
    link, drops, _ = make_link(owner, tasks)
    try:
        for join in (1, 2):
            link._joins = join
            pc = FakePeerConnection()
            link.watch_media(pc, lambda pc=pc: True)
            pc.become("failed")
        link._joins = 3
        good = FakePeerConnection()
        link.watch_media(good, lambda: True)
        good.become("connected")  # this network carries media after all
        good.become("failed")  # and later loses it: a drop like any other, not a blocked network
        for join in (4, 5):
            link._joins = join
            pc = FakePeerConnection()
            link.watch_media(pc, lambda pc=pc: True)
            pc.become("failed")
        await asyncio.sleep(0)
        assert drops == [1, 2, 3, 4, 5] and owner.lost == []
    finally:
        await tasks.close()


async def test_a_media_connection_that_never_connects_fails_after_the_deadline() -> None:
    owner, tasks = Owner(), TaskOwner("test")
    link, drops, _ = make_link(owner, tasks, seconds=0.05)
    try:
        link._joins = 1
        stuck, old = FakePeerConnection(), FakePeerConnection()
        link.watch_media(stuck, lambda: True)  # checks that nothing answers: aioice would wait a minute
        link.watch_media(old, lambda: False)  # a connection a reconnect already replaced
        await eventually(lambda: drops, what="the stuck connection counted as failed")
        await asyncio.sleep(0.1)
        assert drops == [1] and owner.lost == []
    finally:
        await tasks.close()
