"""A live meeting: who is connected, who publishes what, and who receives what.

A :class:`Room` is one meeting's live state. It never sees a socket: each participant has an
``Outbox`` (the signalling layer drains it to the WebSocket), and the room speaks only wire
messages. Media flows through the peer connections its ``PeerFactory`` makes (``media.py``; the
forwarding unit, server/sfu, in the server): a publisher and a subscriber per participant. The
room decides what each subscriber gets: every other participant's microphone, the cameras that
hold one of the 16 video slots (``slots.py``), and the screen shares (at most 2). A screen share
is a participant of its own, ``OWNER#content``, seated by a second socket of its owner; it only
publishes, and it leaves with its owner. Host controls are in ``moderation.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

from wire import (
    MAX_CAMERAS,
    AttendeeInfo,
    CameraState,
    CapabilitiesUpdated,
    Capability,
    ChatHistory,
    ChatMessage,
    EndReason,
    Error,
    ErrorCode,
    IceServer,
    Joined,
    MeetingEnded,
    MeetingInfo,
    MeetingUpdated,
    Message,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ProtocolError,
    Publish,
    PublishAnswer,
    Reaction,
    ServerRestarting,
    SubscribeOffer,
    TrackInfo,
    TracksUpdated,
    content_attendee_id,
    to_dict,
)

from ..clock import iso
from ..meetings import MeetingService
from ..store import AttendeeRecord
from .chat import MeetingChat
from .media import Desired, PeerFactory, layers_notices, video_notices
from .participant import Outbox, Participant, watch_connecting
from .spotlight import Spotlight
from .slots import announce_free_slot, check_share_slot, take_video_slot, video_slots
from .volumes import VolumeIndicators

logger = logging.getLogger(__name__)


async def resubscribe(participant: Participant, desired: Callable[[Participant], Desired], meeting_id: str) -> None:
    """Tell ``participant``'s receive connection what to forward. One that fails (a dead
    connection) is that participant's problem alone: its socket is closed, so its client
    reconnects (its seat waits), and nobody else's share, join or leave fails with it."""
    subscriber = participant.subscriber
    if subscriber is None:
        return
    try:
        await subscriber.update(desired(participant))
    except Exception as exc:  # noqa: BLE001 - whatever the backend raised: isolate it
        logger.warning("room %s: %s's receive connection failed (%s: %s); letting it reconnect",
                       meeting_id, participant.attendee_id, type(exc).__name__, exc)
        participant.outbox.close()


class Room:
    """One live meeting. ``peers`` makes each participant's two peer connections (the media
    backend); ``on_empty(meeting_id)`` is called when nobody is left; ``ice_servers(attendee_id)``
    are the TURN servers and fresh credentials each ``joined`` carries (server/turn.py)."""

    def __init__(self, meeting_id: str, meetings: MeetingService, peers: PeerFactory, on_empty: Callable[[str], None],
                 ice_servers: Callable[[str], list[IceServer]] = lambda attendee_id: []) -> None:
        self.meeting_id = meeting_id
        self._ice_servers = ice_servers
        self.participants: dict[str, Participant] = {}
        self.meetings = meetings
        self.peers = peers
        self._on_empty = on_empty
        self._ended = False
        self._joining = asyncio.Lock()
        self._volumes = VolumeIndicators(self.participants, self.broadcast)
        self._chat = MeetingChat(meeting_id, meetings)
        self._last_hand = 0.0  # when the latest hand went up
        #: since when exactly one person is here (the "alone" rule); None: not alone
        self.alone_since: float | None = None
        self.spotlight = Spotlight(self.broadcast)  # whom a host put on everyone's stage

    # --- membership ---------------------------------------------------------------------

    async def join(self, attendee: AttendeeRecord, outbox: Outbox, rid: int | None = None) -> Participant:
        """Seat ``attendee``, under its stored name; the ``joined`` welcome (with ``rid``) is the
        first thing it gets, then the latest page of the chat. A guest of an invite link is
        stored only once seated (``MeetingService.enrol``).

        Joins are taken one at a time, so two connections of one attendee cannot both be seated."""
        async with self._joining:
            return await self._join(attendee, outbox, rid)

    async def _join(self, attendee: AttendeeRecord, outbox: Outbox, rid: int | None) -> Participant:
        meeting = self.meetings.get_meeting(self.meeting_id)
        if self._ended or meeting.ended_at is not None:
            raise ProtocolError(ErrorCode.MEETING_ENDED, "this meeting has ended")
        capabilities = self.meetings.capabilities(meeting, attendee.role)
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
        limit = self.meetings.effective_settings(meeting).get("limits", {}).get("max_participants")
        if limit is not None and not returning and len(self.people()) >= limit:
            raise ProtocolError(ErrorCode.MEETING_FULL, f"this meeting is full ({limit} participants)")
        if self.meetings.is_removed(attendee.id):  # since it was authenticated, or while it waited
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY, "you were removed from this meeting")
        self.meetings.enrol(attendee)
        meeting = self.meetings.mark_started(self.meeting_id)
        participant = Participant(attendee, outbox, capabilities)
        participant.subscriber = self.peers.subscriber(
            send_offer=lambda sdp, tracks, p=participant: self._send_offer(p, sdp, tracks),
            send_tracks=lambda tracks, p=participant: self._send_tracks(p, tracks),
            on_video=video_notices(outbox.put))
        if returning and previous is not None:  # what the others knew of it carries on
            participant.muted, participant.mute_locked = previous.muted, previous.mute_locked
            participant.hand_raised_at = previous.hand_raised_at
        self._seat(participant, meeting, rid)
        history = self._chat.history(attendee.id)
        if history.messages:
            outbox.put(history)
        self._people_changed()
        if not returning:
            self.meetings.participant_event("participant.joined", self.meeting_id, to_dict(participant.info()))
        self._volumes.start()
        await self._resubscribe(participant)
        return participant

    async def join_content(self, attendee: AttendeeRecord, outbox: Outbox, rid: int | None = None) -> Participant:
        """Seat the screen share of ``attendee`` (who must be here): ``ATTENDEE#content``.

        A share the same owner already runs is replaced; a third share is refused."""
        async with self._joining:
            meeting = self.meetings.get_meeting(self.meeting_id)
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
            check_share_slot(self.participants.values())
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
                capabilities=participant.capabilities, video_slots=video_slots(self.participants.values()),
                video_layers=getattr(self.peers, "video_layers", False),
                server_time=iso(self.meetings.now()),
                ice_servers=self._ice_servers(participant.attendee_id),
            ),
            rid,
        )
        snapshot = self._volumes.snapshot(exclude=participant.attendee_id)
        if snapshot is not None:  # who is talking now, at a level that no longer changes
            participant.outbox.put(snapshot)
        self.spotlight.welcome(participant)  # who is on everyone's stage
        self.broadcast(ParticipantJoined(participant.info()), exclude=participant)
        self._volumes.forget(participant.attendee_id)  # a fresh view for newcomer and others

    def _meeting_info(self, meeting) -> MeetingInfo:
        return MeetingInfo(
            meeting_id=meeting.id,
            call_type=meeting.call_type,
            started_at=iso(meeting.started_at),
            timer_ends_at=iso(self.meetings.timer_ends_at(meeting)),
            inactivity_timeout_seconds=self.meetings.limits(meeting).inactivity_timeout_seconds,
        )

    def refresh(self) -> None:
        """The meeting's settings or its call type changed: everyone gets the new timer, and
        whoever's capabilities changed gets them."""
        if self._ended:
            return
        meeting = self.meetings.get_meeting(self.meeting_id)
        self.broadcast(MeetingUpdated(meeting=self._meeting_info(meeting), server_time=iso(self.meetings.now())))
        for p in self.people():
            try:
                capabilities = self.meetings.capabilities(meeting, p.attendee.role)
            except ProtocolError:  # the role is gone from the call type: it keeps nothing
                capabilities = []
            if capabilities != p.capabilities:
                p.capabilities = capabilities
                p.outbox.put(CapabilitiesUpdated(capabilities=capabilities))

    def _people_changed(self) -> None:
        alone = len(self.people()) == 1
        if alone and self.alone_since is None:
            self.alone_since = self.meetings.now()
        elif not alone:
            self.alone_since = None

    async def leave(self, participant: Participant, reason: str = EndReason.LEFT) -> None:
        if self.participants.get(participant.attendee_id) is participant:
            await self._remove(participant, reason, announce=True)

    async def expel(self, participant: Participant, reason: EndReason) -> None:
        """Send ``participant`` away (``meeting_ended`` with ``reason`` to it, ``participant_left``
        to the others)."""
        participant.outbox.put(MeetingEnded(reason=reason))
        await self._remove(participant, reason, announce=True)

    async def remove(self, attendee_id: str) -> None:
        """A host or the API key removed this attendee (``MeetingService.remove_attendee``
        stored it): it may not come back, and if it is here it is sent away (reason
        ``removed``), its screen share with it."""
        participant = self.participants.get(attendee_id)
        if participant is not None:
            await self.expel(participant, EndReason.REMOVED)

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
            self.broadcast(ParticipantLeft(attendee_id=participant.attendee_id, reason=reason))
            self.spotlight.left(participant.attendee_id)
        if not participant.is_content:
            self._people_changed()
            if not self._ended and reason != EndReason.REPLACED:
                self.meetings.participant_event("participant.left", self.meeting_id,
                                                 to_dict(participant.info()), reason)
        await self._close_peers(participant)
        participant.outbox.close()
        await self._resubscribe_all()
        if freed:
            announce_free_slot(self.participants.values())
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
        participant.away_since = self.meetings.now()
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
        """Tell everyone ``farewell``, close their outboxes (so their sockets); returns them."""
        if self._ended:
            return []
        self._ended = True
        self._volumes.stop()
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
        publisher = self.peers.publisher(participant.attendee_id, on_layers=layers_notices(participant.outbox.put))
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
            video = "on" if take_video_slot(participant, self.participants.values()) else "video_unavailable"
        await self._resubscribe_all(exclude=participant)
        watch_connecting(participant, publisher, lambda: not self._ended and self.participants.get(
            participant.attendee_id) is participant, self.broadcast)
        self.broadcast(ParticipantUpdated(participant.info()))  # the publisher too: its own state
        return PublishAnswer(sdp=sdp, video=video)

    async def camera(self, participant: Participant, on: bool) -> CameraState:
        if on and not participant.camera_on:
            if participant.up("video") is None:
                raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, "publish a video track first")
            if not take_video_slot(participant, self.participants.values()):
                raise ProtocolError(
                    ErrorCode.VIDEO_UNAVAILABLE,
                    f"all {MAX_CAMERAS} video slots are in use; you stay in the meeting with audio",
                )
        elif not on and (participant.camera_on or participant.camera_refused):
            participant.camera_refused = False  # no longer waiting for a slot
            if not participant.camera_on:
                return CameraState(on=False)
            participant.camera_on = False
            announce_free_slot(self.participants.values())
        else:
            return CameraState(on=participant.camera_on)
        self.broadcast(ParticipantUpdated(participant.info()))
        await self._resubscribe_all(exclude=participant)
        return CameraState(on=participant.camera_on)

    def mute(self, participant: Participant, muted: bool) -> None:
        if not muted and participant.mute_locked:
            raise ProtocolError(ErrorCode.MISSING_CAPABILITY,
                                "a host muted you; you can unmute once they allow it")
        if participant.muted != muted:
            participant.muted = muted
            self.broadcast(ParticipantUpdated(participant.info()))

    # --- chat, hands, reactions ------------------------------------------------------------------

    def chat(self, sender: Participant, text: str, to: str | None) -> ChatMessage:
        """Say ``text`` to everyone, or to ``to`` only; returns the sender's copy (the reply)."""
        return self._chat.send(sender, text, to, self.participants)

    def chat_history(self, participant: Participant, before: int | None, limit: int) -> ChatHistory:
        """An older page of what ``participant`` may read (``chat_history_request``)."""
        return self._chat.history(participant.attendee_id, before, limit)

    def raise_hand(self, participant: Participant, raised: bool) -> None:
        if raised == (participant.hand_raised_at is not None):
            return
        if raised:  # strictly after the last hand, so the order is never a tie
            self._last_hand = max(self.meetings.now(), self._last_hand + 0.001)
            participant.hand_raised_at = self._last_hand
        else:
            participant.hand_raised_at = None
        self.broadcast(ParticipantUpdated(participant.info()))

    def react(self, participant: Participant, emoji: str) -> None:
        self.broadcast(Reaction(attendee_id=participant.attendee_id, emoji=emoji))

    def set_volume(self, participant: Participant, volume: float) -> None:
        participant.volume = volume

    def request_keyframe(self, attendee_id: str) -> None:
        other = self.participants.get(attendee_id)
        if other is not None and (up := other.up("video")) is not None:
            up.request_keyframe()

    async def subscribe_answer(self, participant: Participant, sdp: str) -> None:
        assert participant.subscriber is not None
        await participant.subscriber.on_answer(sdp)

    # --- forwarding ------------------------------------------------------------------------

    def _desired(self, subscriber: Participant) -> Desired:
        desired: Desired = {}
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
        await resubscribe(participant, self._desired, self.meeting_id)

    async def _resubscribe_all(self, exclude: Participant | None = None) -> None:
        await asyncio.gather(*(self._resubscribe(p) for p in list(self.participants.values()) if p is not exclude))

    async def _send_offer(self, participant: Participant, sdp: str, tracks: list[TrackInfo]) -> None:
        participant.outbox.put(SubscribeOffer(sdp=sdp, tracks=tracks))

    async def _send_tracks(self, participant: Participant, tracks: list[TrackInfo]) -> None:
        participant.outbox.put(TracksUpdated(tracks=tracks))

    def broadcast(self, message: Message, exclude: Participant | None = None) -> None:
        for p in self.participants.values():
            if p is not exclude:
                p.outbox.put(message)

    def roster(self) -> list[AttendeeInfo]:
        return [p.info() for p in self.participants.values()]

    def people(self) -> list[Participant]:
        """Participants that are persons, not screen shares."""
        return [p for p in self.participants.values() if not p.is_content]
