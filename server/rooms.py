"""Live meetings: who is connected, who publishes what, and who receives what.

A :class:`Room` is one meeting's live state. It never sees a socket: each participant has an
``Outbox`` (the signalling layer drains it to the WebSocket), and the room speaks only wire
messages. Media flows through the forwarding unit (server/sfu): a :class:`PublisherPeer`
and a :class:`SubscriberPeer` per participant. The room decides what each subscriber gets:
every other participant's microphone, the cameras that hold one of the 16 video slots, and
the screen shares (at most 2). A screen share is a participant of its own, ``OWNER#content``,
seated by a second socket of its owner; it only publishes, and it leaves with its owner.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from wire import (
    MAX_CAMERAS,
    Capability,
    EndReason,
    ModerationAction,
    CapabilitiesUpdated,
    ChatHistory,
    ChatInfo,
    ChatMessage,
    MeetingUpdated,
    Reaction,
    ServerRestarting,
    MAX_SCREEN_SHARES,
    AttendeeInfo,
    CameraState,
    Error,
    ErrorCode,
    Joined,
    MeetingEnded,
    MeetingInfo,
    Message,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ProtocolError,
    Publish,
    PublishAnswer,
    SubscribeOffer,
    TrackInfo,
    TracksUpdated,
    VideoAvailable,
    VideoSlots,
    VolumeInfo,
    Volumes,
    content_attendee_id,
    signal_strength,
    to_dict,
)

from .clock import iso
from .config import ServerConfig
from .events import MEETING_ENDED, ServerEvent
from .meetings import MeetingService
from .sfu.forwarding import UpTrack
from .sfu.peers import PublisherPeer, SubscriberPeer
from .store import AttendeeRecord, ChatRecord

logger = logging.getLogger(__name__)


class Outbox:
    """Messages waiting to go to one participant's socket, in order."""

    def __init__(self, limit: int = 1000) -> None:
        self.queue: asyncio.Queue[tuple[Message, int | None] | None] = asyncio.Queue()
        self._limit = limit
        self.overflowed = False

    def put(self, message: Message, rid: int | None = None) -> None:
        if self.queue.qsize() >= self._limit:
            self.overflowed = True  # a client this far behind is dropped by its connection
            return
        self.queue.put_nowait((message, rid))

    def close(self) -> None:
        self.queue.put_nowait(None)


@dataclass
class Participant:
    attendee: AttendeeRecord
    outbox: Outbox
    capabilities: list[str]
    publisher: PublisherPeer | None = None
    subscriber: SubscriberPeer | None = None
    muted: bool = False
    camera_on: bool = False  # holds a video slot: its camera is forwarded
    camera_refused: bool = False  # asked for a slot while all 16 were taken
    mute_locked: bool = False  # a host muted them; they may not unmute until allowed
    volume: float = 0.0  # as the participant last measured it
    signal_strength: float = 1.0  # from the loss seen on its audio uplink
    away_since: float | None = None  # its connection dropped; the seat waits for it (grace)
    hand_raised_at: float | None = None
    owner: Participant | None = None  # set on a screen share: whose screen it is
    share: Participant | None = None  # set on a person while they share their screen

    @property
    def attendee_id(self) -> str:
        return self.attendee.id

    @property
    def is_content(self) -> bool:
        return self.owner is not None

    @property
    def video(self) -> bool:
        """Its video is forwarded: a camera holding a slot, or a share that publishes."""
        if self.is_content:
            return self.up("video") is not None
        return self.camera_on

    def info(self) -> AttendeeInfo:
        return AttendeeInfo(
            attendee_id=self.attendee.id,
            user_id=self.attendee.user_id,
            name=self.attendee.name,
            role=self.attendee.role,
            muted=self.muted,
            video=self.video,
            mute_locked=self.mute_locked,
            content=self.is_content,
            hand_raised_at=iso(self.hand_raised_at),
        )

    def up(self, kind: str) -> UpTrack | None:
        return self.publisher.tracks.get(kind) if self.publisher else None


class Room:
    def __init__(self, meeting_id: str, meetings: MeetingService, on_empty: Callable[[str], None]) -> None:
        self.meeting_id = meeting_id
        self.participants: dict[str, Participant] = {}
        self._meetings = meetings
        self._on_empty = on_empty
        self._ended = False
        self._joining = asyncio.Lock()
        self._volumes_sent: dict[str, VolumeInfo] = {}
        self._removed: set[str] = set()  # attendees a host removed: they may not come back
        self._volume_task: asyncio.Task | None = None
        self._last_hand = 0.0  # when the latest hand went up
        #: since when exactly one person is here (the "alone" rule); None: not alone
        self.alone_since: float | None = None

    # --- membership ---------------------------------------------------------------------

    async def join(self, attendee: AttendeeRecord, outbox: Outbox, rid: int | None = None,
                   name: str | None = None) -> Participant:
        """Seat ``attendee``; the ``joined`` welcome (with ``rid``) is the first thing it gets.

        Joins are taken one at a time, so two connections of one attendee cannot both be seated."""
        async with self._joining:
            return await self._join(attendee, outbox, rid, name)

    async def _join(self, attendee: AttendeeRecord, outbox: Outbox, rid: int | None,
                    name: str | None) -> Participant:
        meeting = self._meetings.get_meeting(self.meeting_id)
        if self._ended or meeting.ended_at is not None:
            raise ProtocolError(ErrorCode.MEETING_ENDED, "this meeting has ended")
        capabilities = self._meetings.capabilities(meeting, attendee.role)
        if attendee.id in self._removed:
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "you were removed from this meeting")
        if Capability.JOIN_CALL not in capabilities:
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY, f"role {attendee.role!r} may not join")
        previous = self.participants.get(attendee.id)
        returning = previous is not None
        if previous is not None:
            # The same attendee joined again (a reconnect, or a new device): the new one wins,
            # and for the others it is the same person carrying on (no leave, no join event).
            if previous.away_since is None:
                previous.outbox.put(Error(code=ErrorCode.ALREADY_JOINED, message="you joined from another connection"))
            # keep the room even if it is now empty: its attendee is coming right back
            await self._remove(previous, EndReason.REPLACED, announce=False, forget=False)
            if self._ended:
                raise ProtocolError(ErrorCode.MEETING_ENDED, "this meeting has ended")
        limit = self._meetings.effective_settings(meeting).get("limits", {}).get("max_participants")
        if limit is not None and not returning and len(self.people()) >= limit:
            raise ProtocolError(ErrorCode.MEETING_FULL, f"this meeting is full ({limit} participants)")
        meeting = self._meetings.mark_started(self.meeting_id)
        if name:
            attendee = dataclasses.replace(attendee, name=name)  # a display name for this visit
        participant = Participant(attendee, outbox, capabilities)
        participant.subscriber = SubscriberPeer(
            send_offer=lambda sdp, tracks, p=participant: self._send_offer(p, sdp, tracks),
            send_tracks=lambda tracks, p=participant: self._send_tracks(p, tracks),
        )
        if returning and previous is not None:  # what the others knew of it carries on
            participant.muted, participant.mute_locked = previous.muted, previous.mute_locked
            participant.hand_raised_at = previous.hand_raised_at
        self._seat(participant, meeting, rid)
        history = [_chat_info(r) for r in self._meetings.store.chat_for(self.meeting_id, attendee.id)]
        if history:
            outbox.put(ChatHistory(messages=history))
        self._people_changed()
        if not returning:
            self._meetings.participant_event("participant.joined", self.meeting_id, to_dict(participant.info()))
        if self._volume_task is None:
            self._volume_task = asyncio.ensure_future(self._fan_out_volumes())
        await self._resubscribe(participant)
        return participant

    async def join_content(self, attendee: AttendeeRecord, outbox: Outbox, rid: int | None = None) -> Participant:
        """Seat the screen share of ``attendee`` (who must be here): ``ATTENDEE#content``.

        A share the same owner already runs is replaced; a third share is refused."""
        async with self._joining:
            meeting = self._meetings.get_meeting(self.meeting_id)
            if self._ended or meeting.ended_at is not None:
                raise ProtocolError(ErrorCode.MEETING_ENDED, "this meeting has ended")
            owner = self.participants.get(attendee.id)
            if owner is None or owner.is_content:
                raise ProtocolError(ErrorCode.NOT_JOINED, "join the meeting before sharing your screen")
            if Capability.SCREENSHARE not in owner.capabilities:
                raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "your role may not share its screen")
            if owner.share is not None:
                previous = owner.share
                previous.outbox.put(Error(code=ErrorCode.ALREADY_JOINED, message="you shared again from another connection"))
                await self._remove(previous, EndReason.REPLACED, announce=True)
            shares = [p for p in self.participants.values() if p.is_content]
            if len(shares) >= MAX_SCREEN_SHARES:
                names = " and ".join(p.owner.attendee.name for p in shares if p.owner is not None)
                raise ProtocolError(
                    ErrorCode.CONTENT_SHARE_UNAVAILABLE,
                    f"{names} are sharing; at most {MAX_SCREEN_SHARES} screens can be shared at once",
                )
            record = dataclasses.replace(owner.attendee, id=content_attendee_id(owner.attendee_id),
                                         name=f"{owner.attendee.name} (screen)")
            # a share may carry sound (a shared video file) when its owner may send audio
            capabilities = [Capability.SCREENSHARE] + (
                [Capability.SEND_AUDIO] if Capability.SEND_AUDIO in owner.capabilities else [])
            share = Participant(record, outbox, capabilities, owner=owner)
            owner.share = share
            self._seat(share, meeting, rid)
            return share

    def _seat(self, participant: Participant, meeting, rid: int | None) -> None:
        """Add ``participant``: its ``joined`` welcome first, then everyone else hears of it."""
        roster = [p.info() for p in self.participants.values()]
        self.participants[participant.attendee_id] = participant
        participant.outbox.put(
            Joined(
                attendee=participant.info(),
                meeting=self._meeting_info(meeting),
                roster=roster,
                capabilities=participant.capabilities,
                video_slots=self._video_slots(),
                server_time=iso(self._meetings.now()),
            ),
            rid,
        )
        self._broadcast(ParticipantJoined(participant.info()), exclude=participant)
        self._volumes_sent.pop(participant.attendee_id, None)  # a fresh view for newcomer and others

    def _meeting_info(self, meeting) -> MeetingInfo:
        return MeetingInfo(
            meeting_id=meeting.id,
            call_type=meeting.call_type,
            started_at=iso(meeting.started_at),
            timer_ends_at=iso(self._meetings.timer_ends_at(meeting)),
            inactivity_timeout_seconds=self._meetings.limits(meeting).inactivity_timeout_seconds,
        )

    def refresh(self) -> None:
        """The meeting's settings or its call type changed: everyone gets the new timer, and
        whoever's capabilities changed gets them."""
        if self._ended:
            return
        meeting = self._meetings.get_meeting(self.meeting_id)
        self._broadcast(MeetingUpdated(meeting=self._meeting_info(meeting), server_time=iso(self._meetings.now())))
        for p in self.people():
            try:
                capabilities = self._meetings.capabilities(meeting, p.attendee.role)
            except ProtocolError:  # the role is gone from the call type: it keeps nothing
                capabilities = []
            if capabilities != p.capabilities:
                p.capabilities = capabilities
                p.outbox.put(CapabilitiesUpdated(capabilities=capabilities))

    def _people_changed(self) -> None:
        alone = len(self.people()) == 1
        if alone and self.alone_since is None:
            self.alone_since = self._meetings.now()
        elif not alone:
            self.alone_since = None

    async def leave(self, participant: Participant, reason: str = EndReason.LEFT) -> None:
        if self.participants.get(participant.attendee_id) is participant:
            await self._remove(participant, reason, announce=True)

    async def _remove(self, participant: Participant, reason: str, announce: bool, forget: bool = True) -> None:
        del self.participants[participant.attendee_id]
        if participant.owner is not None and participant.owner.share is participant:
            participant.owner.share = None
        share, participant.share = participant.share, None
        if share is not None and self.participants.get(share.attendee_id) is share:
            share.outbox.put(MeetingEnded(reason=reason))  # a share ends with its owner
            await self._remove(share, EndReason.LEFT, announce=True, forget=False)
        freed = participant.camera_on
        participant.camera_on = False
        if announce:
            self._broadcast(ParticipantLeft(attendee_id=participant.attendee_id, reason=reason))
        if not participant.is_content:
            self._people_changed()
            if not self._ended and reason != EndReason.REPLACED:
                self._meetings.participant_event("participant.left", self.meeting_id,
                                                 to_dict(participant.info()), reason)
        await self._close_peers(participant)
        participant.outbox.close()
        await self._resubscribe_all()
        if freed:
            self._announce_free_slot()
        if forget and not self.participants:
            self._on_empty(self.meeting_id)

    async def drop(self, participant: Participant, grace: float) -> None:
        """Its connection was lost (no ``leave``): keep the seat for ``grace`` seconds. Its media
        stops (the others' tiles freeze), its share ends; nobody is told it left unless it does
        not come back in time (``expire_away``)."""
        if self.participants.get(participant.attendee_id) is not participant:
            return
        if participant.is_content or grace <= 0 or self._ended:
            await self._remove(participant, EndReason.DISCONNECTED, announce=True)
            return
        participant.away_since = self._meetings.now()
        participant.volume = 0.0
        share, participant.share = participant.share, None
        if share is not None and self.participants.get(share.attendee_id) is share:
            share.outbox.put(MeetingEnded(reason=EndReason.DISCONNECTED))
            await self._remove(share, EndReason.LEFT, announce=True, forget=False)
        participant.outbox.close()
        await self._close_peers(participant)
        participant.publisher = participant.subscriber = None
        await self._resubscribe_all()

    async def expire_away(self, now: float, grace: float) -> list[str]:
        """Let go of those whose seat waited ``grace`` seconds in vain; returns their ids."""
        gone = [p for p in self.participants.values()
                if p.away_since is not None and now - p.away_since >= grace]
        for participant in gone:
            if self.participants.get(participant.attendee_id) is participant:
                await self._remove(participant, EndReason.DISCONNECTED, announce=True)
        return [p.attendee_id for p in gone]

    async def going_away(self) -> None:
        """The server stops (and, most likely, starts again): everyone is told to reconnect; the
        meeting itself does not end."""
        await self.close_connections(self._let_go(ServerRestarting(retry_after_ms=1000)))

    def end(self, reason: EndReason) -> list[Participant]:
        """The meeting is over: everyone is told why and let go of, at once. Returns them: their
        peer connections are still to close (``close_connections``)."""
        return self._let_go(MeetingEnded(reason=reason))

    def _let_go(self, farewell: Message) -> list[Participant]:
        """Tell everyone ``farewell`` and close their outboxes (so their sockets); the room is
        done. Returns whom it let go of."""
        if self._ended:
            return []
        self._ended = True
        if self._volume_task is not None:
            self._volume_task.cancel()
        participants = list(self.participants.values())
        self.participants.clear()
        for participant in participants:
            participant.outbox.put(farewell)
            participant.outbox.close()
        self._on_empty(self.meeting_id)
        return participants

    async def close_connections(self, participants: list[Participant]) -> None:
        await asyncio.gather(*(self._close_peers(p) for p in participants), return_exceptions=True)

    @staticmethod
    async def _close_peers(participant: Participant) -> None:
        if participant.subscriber is not None:
            await participant.subscriber.close()
        if participant.publisher is not None:
            await participant.publisher.close()

    # --- what a participant does ------------------------------------------------------------

    async def publish(self, participant: Participant, request: Publish) -> PublishAnswer:
        if participant.publisher is not None:
            raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, "already publishing on this connection")
        publisher = PublisherPeer(participant.attendee_id)
        try:
            sdp = await publisher.answer(request.sdp)
            if "audio" in publisher.tracks and Capability.SEND_AUDIO not in participant.capabilities:
                raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "your role may not send audio")
            if ("video" in publisher.tracks and request.video and not participant.is_content
                    and Capability.SEND_VIDEO not in participant.capabilities):
                raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "your role may not send video")
            if self.participants.get(participant.attendee_id) is not participant:  # left meanwhile
                raise ProtocolError(ErrorCode.NOT_JOINED, "you left the meeting")
        except ProtocolError:
            await publisher.close()
            raise
        participant.publisher = publisher
        video = "off"
        if participant.is_content:
            video = "on" if "video" in publisher.tracks else "off"  # shares have their own 2 slots
        elif request.video and "video" in publisher.tracks:
            video = "on" if self._take_slot(participant) else "video_unavailable"
        await self._resubscribe_all(exclude=participant)
        self._broadcast(ParticipantUpdated(participant.info()))  # the publisher too: its own state
        return PublishAnswer(sdp=sdp, video=video)

    async def camera(self, participant: Participant, on: bool) -> CameraState:
        if on and not participant.camera_on:
            if participant.up("video") is None:
                raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, "publish a video track first")
            if not self._take_slot(participant):
                raise ProtocolError(
                    ErrorCode.VIDEO_UNAVAILABLE,
                    f"all {MAX_CAMERAS} video slots are in use; you stay in the meeting with audio",
                )
        elif not on and (participant.camera_on or participant.camera_refused):
            participant.camera_refused = False  # no longer waiting for a slot
            if not participant.camera_on:
                return CameraState(on=False)
            participant.camera_on = False
            self._announce_free_slot()
        else:
            return CameraState(on=participant.camera_on)
        self._broadcast(ParticipantUpdated(participant.info()))
        await self._resubscribe_all(exclude=participant)
        return CameraState(on=participant.camera_on)

    def mute(self, participant: Participant, muted: bool) -> None:
        if not muted and participant.mute_locked:
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY,
                                "a host muted you; you can unmute once they allow it")
        if participant.muted != muted:
            participant.muted = muted
            self._broadcast(ParticipantUpdated(participant.info()))

    # --- chat, hands, reactions ------------------------------------------------------------------

    def chat(self, sender: Participant, text: str, to: str | None) -> ChatMessage:
        """Keep the message with the meeting and hand it to whom it is for: everyone, or only
        ``to`` (and the sender). Returns the sender's copy (the reply)."""
        recipient = None
        if to is not None:
            recipient = self.participants.get(to)
            if recipient is None or recipient.is_content or to == sender.attendee_id:
                raise ProtocolError(ErrorCode.NOT_FOUND, f"{to!r} is not someone in the meeting")
        record = self._meetings.store.add_chat(ChatRecord(
            None, self.meeting_id, sender.attendee_id, sender.attendee.name, to, text, self._meetings.now()))
        message = ChatMessage(message=_chat_info(record))
        if recipient is not None:
            recipient.outbox.put(message)
        else:
            for p in self.people():
                if p is not sender:
                    p.outbox.put(message)
        return message

    def raise_hand(self, participant: Participant, raised: bool) -> None:
        if raised == (participant.hand_raised_at is not None):
            return
        if raised:  # strictly after the last hand, so the order is never a tie
            self._last_hand = max(self._meetings.now(), self._last_hand + 0.001)
            participant.hand_raised_at = self._last_hand
        else:
            participant.hand_raised_at = None
        self._broadcast(ParticipantUpdated(participant.info()))

    def react(self, participant: Participant, emoji: str) -> None:
        self._broadcast(Reaction(attendee_id=participant.attendee_id, emoji=emoji))

    # --- host controls (capability-gated here, whatever the client shows) ------------------------

    async def moderate(self, host: Participant, attendee_id: str, action: ModerationAction) -> Message:
        """Do it, and return the reply for the host (what everyone else is told too)."""
        action = ModerationAction(action)
        if action.capability not in host.capabilities:
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY, f"your role may not {action.replace('_', ' ')} others")
        target = self.participants.get(attendee_id)
        if target is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"{attendee_id!r} is not in the meeting")
        if target.is_content:
            if action is not ModerationAction.REMOVE:
                raise ProtocolError(ErrorCode.BAD_REQUEST, "a screen share has no microphone")
            target.outbox.put(MeetingEnded(reason=EndReason.REMOVED))  # stop their share; they may share again
            await self._remove(target, EndReason.REMOVED, announce=True)
            return ParticipantLeft(attendee_id=attendee_id, reason=EndReason.REMOVED)
        if action is ModerationAction.LOWER_HAND:
            target.hand_raised_at = None
            self._broadcast(ParticipantUpdated(target.info()))
            return ParticipantUpdated(target.info())
        if action is ModerationAction.REMOVE:
            self._removed.add(attendee_id)
            self._meetings.remove_attendee(attendee_id)
            target.outbox.put(MeetingEnded(reason=EndReason.REMOVED))
            await self._remove(target, EndReason.REMOVED, announce=True)
            return ParticipantLeft(attendee_id=attendee_id, reason=EndReason.REMOVED)
        target.mute_locked = action is ModerationAction.MUTE
        if action is ModerationAction.MUTE:
            target.muted = True
        self._broadcast(ParticipantUpdated(target.info()))
        return ParticipantUpdated(target.info())

    async def end_by_host(self, host: Participant) -> None:
        if Capability.END_CALL not in host.capabilities:
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "your role may not end the meeting")
        self._meetings.end(self.meeting_id, EndReason.ENDED_BY_HOST)  # the registry ends this room

    def set_volume(self, participant: Participant, volume: float) -> None:
        participant.volume = volume

    async def _fan_out_volumes(self) -> None:
        """About 5 times a second, send everyone the volume indicators that changed."""
        ticks = 0
        while self.participants and not self._ended:
            await asyncio.sleep(VOLUME_INTERVAL)
            ticks += 1
            if ticks % 5 == 0:  # signal strength over about a second of uplink audio
                for p in self.participants.values():
                    p.signal_strength = _signal_strength(p)
            updates = []
            for p in self.participants.values():
                if p.is_content and p.up("audio") is None:
                    continue  # a share without sound has no volume indicator
                info = VolumeInfo(p.attendee_id, 0.0 if p.muted else round(p.volume, 2), p.muted,
                                  p.signal_strength)
                if self._volumes_sent.get(p.attendee_id) != info:
                    self._volumes_sent[p.attendee_id] = info
                    updates.append(info)
            if updates:
                self._broadcast(Volumes(updates=updates))
        self._volume_task = None

    def request_keyframe(self, attendee_id: str) -> None:
        other = self.participants.get(attendee_id)
        up = other.up("video") if other else None
        if up is not None:
            up.request_keyframe()

    async def subscribe_answer(self, participant: Participant, sdp: str) -> None:
        assert participant.subscriber is not None
        await participant.subscriber.on_answer(sdp)

    # --- video slots ---------------------------------------------------------------------

    def _take_slot(self, participant: Participant) -> bool:
        if Capability.SEND_VIDEO not in participant.capabilities:
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "your role may not send video")
        if participant.camera_on:
            return True
        if sum(p.camera_on for p in self.participants.values()) >= MAX_CAMERAS:
            participant.camera_refused = True
            return False
        participant.camera_on = True
        participant.camera_refused = False
        return True

    def _video_slots(self) -> VideoSlots:
        return VideoSlots(used=sum(p.camera_on for p in self.participants.values()), max=MAX_CAMERAS)

    def _announce_free_slot(self) -> None:
        slots = self._video_slots()
        for p in self.participants.values():
            if p.camera_refused:
                p.outbox.put(VideoAvailable(video_slots=slots))

    # --- forwarding ------------------------------------------------------------------------

    def _desired(self, subscriber: Participant) -> dict[tuple[str, str], UpTrack]:
        desired: dict[tuple[str, str], UpTrack] = {}
        for other in self.participants.values():
            if other is subscriber or other.owner is subscriber:  # nobody gets their own share back
                continue
            audio = other.up("audio")
            if audio is not None:
                desired[(other.attendee_id, "audio")] = audio
            video = other.up("video")
            if video is not None and other.video:
                desired[(other.attendee_id, "video")] = video
        return desired

    async def _resubscribe(self, participant: Participant) -> None:
        if participant.subscriber is not None:
            await participant.subscriber.update(self._desired(participant))

    async def _resubscribe_all(self, exclude: Participant | None = None) -> None:
        await asyncio.gather(
            *(self._resubscribe(p) for p in list(self.participants.values()) if p is not exclude)
        )

    async def _send_offer(self, participant: Participant, sdp: str, tracks: list[TrackInfo]) -> None:
        participant.outbox.put(SubscribeOffer(sdp=sdp, tracks=tracks))

    async def _send_tracks(self, participant: Participant, tracks: list[TrackInfo]) -> None:
        participant.outbox.put(TracksUpdated(tracks=tracks))

    def _broadcast(self, message: Message, exclude: Participant | None = None) -> None:
        for p in self.participants.values():
            if p is not exclude:
                p.outbox.put(message)

    def roster(self) -> list[AttendeeInfo]:
        return [p.info() for p in self.participants.values()]

    def people(self) -> list[Participant]:
        """Participants that are persons, not screen shares."""
        return [p for p in self.participants.values() if not p.is_content]


@dataclass(frozen=True)
class ServerStats:
    rooms: int
    participants: int
    cameras: int
    screen_shares: int
    packets_received: int
    packets_forwarded: int


VOLUME_INTERVAL = 0.2  # seconds between volume fan-outs


def _chat_info(record: ChatRecord) -> ChatInfo:
    assert record.id is not None
    return ChatInfo(message_id=record.id, from_id=record.sender_id, from_name=record.sender_name,
                    text=record.text, sent_at=iso(record.sent_at) or "", to=record.recipient_id)


def _signal_strength(participant: Participant) -> float:
    """1, 0.5 or 0 from the share of audio packets lost on the uplink lately (Chime's scale)."""
    up = participant.up("audio")
    strength = signal_strength(up.recent_loss() if up is not None else None)
    return participant.signal_strength if strength is None else strength


class RoomRegistry:
    """All live rooms of this server, created on the first join."""

    def __init__(self, meetings: MeetingService, config: ServerConfig) -> None:
        self._meetings = meetings
        self._config = config
        self._rooms: dict[str, Room] = {}
        #: since when a started meeting has had nobody in it (the "empty" rule)
        self.empty_since: dict[str, float] = {}
        #: the server is stopping: joins are refused
        self.draining = False
        self._closing: set[asyncio.Task] = set()  # rooms that ended, closing their connections
        meetings.participants_of = self.participants
        meetings.events.subscribe(self._on_event)

    def room(self, meeting_id: str) -> Room:
        room = self._rooms.get(meeting_id)
        if room is None:
            room = self._rooms[meeting_id] = Room(meeting_id, self._meetings, self._forget)
        self.empty_since.pop(meeting_id, None)
        return room

    def _forget(self, meeting_id: str) -> None:
        room = self._rooms.get(meeting_id)
        if room is not None and not room.participants:
            del self._rooms[meeting_id]
            self.empty_since[meeting_id] = self._meetings.now()

    @property
    def grace_seconds(self) -> float:
        return self._config.reconnect_grace_seconds

    def live_room(self, meeting_id: str) -> Room | None:
        return self._rooms.get(meeting_id)

    def refresh(self, meeting_id: str) -> None:
        """Tell a live meeting that its settings changed (see Room.refresh)."""
        room = self._rooms.get(meeting_id)
        if room is not None:
            room.refresh()

    def refresh_call_type(self, name: str) -> None:
        """A call type's grants or settings changed: every live meeting of it follows."""
        for room in list(self._rooms.values()):
            meeting = self._meetings.store.get_meeting(room.meeting_id)
            if meeting is not None and meeting.call_type == name:
                room.refresh()

    def participants(self, meeting_id: str) -> list[AttendeeInfo]:
        room = self._rooms.get(meeting_id)
        if room is None:
            return []
        return room.roster()

    def stats(self) -> ServerStats:
        participants = [p for room in self._rooms.values() for p in room.participants.values()]
        ups = [up for p in participants if p.publisher for up in p.publisher.tracks.values()]
        return ServerStats(
            rooms=len(self._rooms),
            participants=sum(not p.is_content for p in participants),
            cameras=sum(p.camera_on for p in participants),
            screen_shares=sum(p.is_content for p in participants),
            packets_received=sum(up.packets_received for up in ups),
            packets_forwarded=sum(down.packets_sent for up in ups for down in up.downs),
        )

    def _on_event(self, event: ServerEvent) -> None:
        """A meeting ended (``MeetingService.end``, whoever ended it): its live room ends with
        it; the peer connections close in the background (``close`` waits for them)."""
        if event.type != MEETING_ENDED:
            return
        room = self._rooms.get(event.meeting_id)
        if room is not None:
            leaving = room.end(EndReason(event.reason))
            if leaving:
                task = asyncio.get_running_loop().create_task(room.close_connections(leaving))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
        self.empty_since.pop(event.meeting_id, None)

    async def close(self) -> None:
        """The server stops: new joins are refused (``server_restarting``), and everyone is told
        to come back; meetings, their attendees and timers are stored and go on after a restart."""
        self.draining = True
        await asyncio.gather(*(room.going_away() for room in list(self._rooms.values())))
        await asyncio.gather(*self._closing, return_exceptions=True)

    async def expire_away(self) -> None:
        now = self._meetings.now()
        for room in list(self._rooms.values()):
            await room.expire_away(now, self._config.reconnect_grace_seconds)
