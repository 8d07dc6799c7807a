"""The rules a live meeting keeps, on a real Room (and its registry, meeting service and store)
whose peer connections are small fakes: no aiortc, no sockets. What a participant is told is
read from its outbox, as its socket would send it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.clock import ManualClock
from server.config import ServerConfig
from server.meetings import DEFAULT_CALL_TYPE, MeetingService
from server.rooms.media import Desired, SendOffer, SendTracks
from server.rooms.moderation import end_for_everyone, moderate
from server.rooms.participant import Outbox, Participant
from server.rooms.registry import RoomRegistry
from server.rooms.room import Room
from server.store_sqlite import SqliteStore
from server.tokens import TokenSigner
from wire import (
    MAX_CAMERAS,
    Capability,
    EndReason,
    ErrorCode,
    MeetingEnded,
    Message,
    ModerationAction,
    ParticipantLeft,
    ProtocolError,
    Publish,
    VideoAvailable,
)

OFFER = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"


class FakeTrack:
    def __init__(self) -> None:
        self.packets_received = 0
        self.packets_forwarded = 0
        self.keyframes_asked = 0

    def request_keyframe(self) -> None:
        self.keyframes_asked += 1

    def recent_loss(self) -> float | None:
        return None


class FakePublisher:
    """Publishes one track per ``m=`` section of the offer."""

    def __init__(self, attendee_id: str) -> None:
        self.attendee_id = attendee_id
        self.tracks: dict[str, FakeTrack] = {}
        self.closed = False

    async def answer(self, offer_sdp: str) -> str:
        self.tracks = {kind: FakeTrack() for kind in ("audio", "video") if f"m={kind}" in offer_sdp}
        return "v=0\r\n"

    async def close(self) -> None:
        self.closed = True


class FakeSubscriber:
    """Remembers what the room wants it to forward."""

    def __init__(self, send_offer: SendOffer, send_tracks: SendTracks) -> None:
        self.desired: Desired = {}
        self.closed = False

    async def update(self, desired: Desired) -> None:
        self.desired = dict(desired)

    async def on_answer(self, answer_sdp: str) -> None:
        pass

    async def close(self) -> None:
        self.closed = True


class FakePeers:
    def publisher(self, attendee_id: str) -> FakePublisher:
        return FakePublisher(attendee_id)

    def subscriber(self, send_offer: SendOffer, send_tracks: SendTracks) -> FakeSubscriber:
        return FakeSubscriber(send_offer, send_tracks)


class FakeMedia:
    """The media backend: every meeting on the one FakePeers (nothing is ever lost)."""

    def __init__(self) -> None:
        self.peers = FakePeers()
        self.placed: list[str] = []

    def place(self, meeting_id: str) -> FakePeers:
        self.placed.append(meeting_id)
        return self.peers

    def release(self, meeting_id: str) -> None:
        self.placed.remove(meeting_id)

    def watch(self, on_lost) -> None:
        self.on_lost = on_lost

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass


class Meeting:
    """One meeting with a live room, and the people in it."""

    def __init__(self, meetings: MeetingService, registry: RoomRegistry, meeting_id: str) -> None:
        self.meetings = meetings
        self.registry = registry
        self.id = meeting_id
        self.room: Room = registry.room(meeting_id)

    async def join(self, name: str, role: str = "participant") -> Participant:
        attendee, _, _ = self.meetings.add_attendee(self.id, f"u-{name}", name, role)
        return await self.room.join(attendee, Outbox())

    async def publish(self, participant: Participant, video: bool = True) -> str:
        answer = await self.room.publish(participant, Publish(sdp=OFFER, video=video))
        return answer.video

    async def share(self, owner: Participant) -> Participant:
        return await self.room.join_content(owner.attendee, Outbox())


def told(participant: Participant) -> list[Message]:
    """What ``participant``'s socket has been given to send since last asked."""
    messages = []
    while not participant.outbox.queue.empty():
        item = participant.outbox.queue.get_nowait()
        if item is not None:
            messages.append(item[0])
    return messages


async def refused(code: ErrorCode, call) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        await call
    assert caught.value.code is code, caught.value
    return caught.value


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[MeetingService, RoomRegistry]]:
    clock = ManualClock()
    config = ServerConfig(data_dir=tmp_path)
    store = SqliteStore(tmp_path / "parley.sqlite3")
    meetings = MeetingService(store, clock, TokenSigner(b"k" * 32, clock), config)
    registry = RoomRegistry(meetings, config, FakeMedia())
    yield meetings, registry
    await registry.close()
    store.close()


@pytest.fixture
async def meeting(service: tuple[MeetingService, RoomRegistry]) -> Meeting:
    meetings, registry = service
    return Meeting(meetings, registry, meetings.create_meeting().id)


async def test_the_17th_camera_is_refused_and_hears_when_a_slot_frees(meeting: Meeting) -> None:
    people = [await meeting.join(f"P{i}") for i in range(MAX_CAMERAS + 1)]
    answers = [await meeting.publish(p) for p in people]
    assert answers == ["on"] * MAX_CAMERAS + ["video_unavailable"]
    late = people[-1]
    await refused(ErrorCode.VIDEO_UNAVAILABLE, meeting.room.camera(late, True))
    # the call goes on with audio: the others receive its microphone, not its camera
    assert (late.attendee_id, "audio") in people[0].subscriber.desired
    assert (late.attendee_id, "video") not in people[0].subscriber.desired
    told(late)
    await meeting.room.camera(people[0], False)
    assert [m for m in told(late) if isinstance(m, VideoAvailable)] != []
    assert (await meeting.room.camera(late, True)).on


async def test_a_third_screen_share_is_refused(meeting: Meeting) -> None:
    ada, grace, alan = [await meeting.join(name) for name in ("Ada", "Grace", "Alan")]
    await meeting.share(ada)
    await meeting.share(grace)
    refusal = await refused(ErrorCode.CONTENT_SHARE_UNAVAILABLE, meeting.share(alan))
    assert "Ada" in refusal.message and "Grace" in refusal.message
    await meeting.room.leave(ada)  # her share ends with her: a slot is free again
    assert (await meeting.share(alan)).owner is alan


async def test_a_removed_attendee_cannot_come_back(meeting: Meeting) -> None:
    host = await meeting.join("Hana", role="host")
    guest = await meeting.join("Gus")
    reply = await moderate(meeting.room, host, guest.attendee_id, ModerationAction.REMOVE)
    assert reply == ParticipantLeft(attendee_id=guest.attendee_id, reason=EndReason.REMOVED)
    assert MeetingEnded(reason=EndReason.REMOVED) in told(guest)
    assert guest.attendee_id not in meeting.room.participants
    await refused(ErrorCode.MISSING_CAPABILITY, meeting.room.join(guest.attendee, Outbox()))
    # nor with its token, after a restart of the server (the removal is stored)
    attendee = meeting.meetings.get_attendee(guest.attendee_id)
    assert attendee is not None and attendee.removed_at is not None


async def test_a_host_without_end_call_cannot_end_the_meeting(
        service: tuple[MeetingService, RoomRegistry]) -> None:
    meetings, registry = service
    grants = {"host": [Capability.JOIN_CALL, Capability.MUTE_OTHERS], "chair": [Capability.JOIN_CALL, Capability.END_CALL]}
    meetings.create_call_type("panel", grants, DEFAULT_CALL_TYPE.settings)
    meeting = Meeting(meetings, registry, meetings.create_meeting("panel").id)
    host = await meeting.join("Hana", role="host")
    chair = await meeting.join("Cleo", role="chair")
    with pytest.raises(ProtocolError) as caught:
        end_for_everyone(meeting.room, host)
    assert caught.value.code is ErrorCode.MISSING_CAPABILITY
    assert meetings.get_meeting(meeting.id).ended_at is None
    end_for_everyone(meeting.room, chair)
    assert meetings.get_meeting(meeting.id).end_reason == EndReason.ENDED_BY_HOST
    assert MeetingEnded(reason=EndReason.ENDED_BY_HOST) in told(host)
    assert meeting.room.participants == {}
    await refused(ErrorCode.MEETING_ENDED, meeting.room.join(host.attendee, Outbox()))


async def test_moderation_needs_the_capability_of_its_action(
        service: tuple[MeetingService, RoomRegistry]) -> None:
    meetings, registry = service
    grants = {"moderator": [Capability.JOIN_CALL, Capability.SEND_AUDIO, Capability.MUTE_OTHERS],
              "participant": [Capability.JOIN_CALL, Capability.SEND_AUDIO]}
    meetings.create_call_type("class", grants, DEFAULT_CALL_TYPE.settings)
    meeting = Meeting(meetings, registry, meetings.create_meeting("class").id)
    moderator = await meeting.join("Mo", role="moderator")
    pupil = await meeting.join("Pia")
    other = await meeting.join("Oz")
    room = meeting.room
    # a participant may do nothing to others
    for action in ModerationAction:
        await refused(ErrorCode.MISSING_CAPABILITY, moderate(room, pupil, other.attendee_id, action))
    # mute-others mutes (and locks the unmute), but does not remove
    await refused(ErrorCode.MISSING_CAPABILITY,
                  moderate(room, moderator, pupil.attendee_id, ModerationAction.REMOVE))
    await moderate(room, moderator, pupil.attendee_id, ModerationAction.MUTE)
    assert pupil.muted and pupil.mute_locked
    with pytest.raises(ProtocolError) as caught:
        room.mute(pupil, False)
    assert caught.value.code is ErrorCode.MISSING_CAPABILITY
    await moderate(room, moderator, pupil.attendee_id, ModerationAction.ALLOW_UNMUTE)
    room.mute(pupil, False)
    assert not pupil.muted
    await refused(ErrorCode.NOT_FOUND, moderate(room, moderator, "nobody", ModerationAction.MUTE))


def test_rooms_need_no_aiortc() -> None:
    """The live-meeting rules import without the media stack: it is handed in."""
    code = ("import sys, server.rooms.registry, server.rooms.moderation; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiortc', 'aioice', 'av')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.strip() == "[]"
