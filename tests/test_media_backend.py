"""The media-backend seam as the room registry sees it: a meeting's media is placed when its
room opens, released when it closes, and placed again when the backend loses it, with everyone
told to reconnect and keeping their seats. Fakes only (the real backends have their end-to-end
tests: test_meeting_e2e.py and the like for the built-in unit, test_janus_*.py for Janus)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.clock import ManualClock
from server.config import ServerConfig
from server.meetings import MeetingService
from server.rooms.participant import Outbox
from server.rooms.registry import RoomRegistry
from server.store_sqlite import SqliteStore
from server.tokens import TokenSigner
from test_room_rules import FakeMedia, FakePeers, told
from wire import ParticipantLeft, Publish, ServerRestarting

OFFER = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"


class MovingMedia(FakeMedia):
    """Each placement is a media of its own, so a move is visible."""

    def place(self, meeting_id: str) -> FakePeers:
        self.placed.append(meeting_id)
        self.peers = FakePeers()
        return self.peers


async def test_a_meeting_whose_media_is_lost_moves_and_everyone_keeps_their_seat(tmp_path: Path) -> None:
    clock = ManualClock()
    config = ServerConfig(data_dir=tmp_path)
    store = SqliteStore(tmp_path / "parley.sqlite3")
    meetings = MeetingService(store, clock, TokenSigner(b"k" * 32, clock), config)
    media = MovingMedia()
    registry = RoomRegistry(meetings, config, media)
    try:
        meeting_id = meetings.create_meeting().id
        room = registry.room(meeting_id)
        first = room.peers
        assert media.placed == [meeting_id]
        people = []
        for name in ("Ada", "Grace"):
            attendee, _, _ = meetings.add_attendee(meeting_id, f"u-{name}", name, "participant")
            p = await room.join(attendee, Outbox())
            await room.publish(p, Publish(sdp=OFFER))
            people.append((attendee, p))
        ada, grace = people[0][1], people[1][1]
        publishers = [ada.publisher, grace.publisher]
        told(ada), told(grace)

        media.placed.remove(meeting_id)  # the backend lost the meeting's media (and forgot it) ...
        media.on_lost(meeting_id)  # ... and says so
        await asyncio.sleep(0)
        await asyncio.gather(*registry._closing)

        assert room.peers is not first and media.placed == [meeting_id]  # placed again
        for p in (ada, grace):
            messages = told(p)
            assert any(isinstance(m, ServerRestarting) for m in messages), messages
            assert not any(isinstance(m, ParticipantLeft) for m in messages)
            assert p.away_since is not None  # the seat waits
        assert all(publisher.closed for publisher in publishers)
        assert set(room.participants) == {ada.attendee_id, grace.attendee_id}

        # Ada comes back, on the new media; nobody was told she left
        back = await room.join(people[0][0], Outbox())
        await room.publish(back, Publish(sdp=OFFER))
        assert back.publisher is not None and back.publisher not in publishers
        assert not any(isinstance(m, ParticipantLeft) for m in told(grace))

        # the room closes when everyone is gone: its media is released
        await room.leave(back)
        await room.expire_away(clock.now() + config.reconnect_grace_seconds, config.reconnect_grace_seconds)
        assert media.placed == []
    finally:
        await registry.close()
        store.close()
