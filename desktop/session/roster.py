"""Who is in the meeting: me, the others, what my role may do, the volume indicators, who is
talking, and the meeting itself (its timer). No Qt.

The roster takes the server's view from the welcome and keeps it with the messages that change
it (``participant_joined`` / ``_updated`` / ``_left``, ``capabilities_updated``, ``volumes``,
``meeting_updated``), turning each into the session's own :class:`Participant` and a
past-tense event. What other parts must do when people change is told through the callables
it is given (a share's availability, a departed attendee's voice, a host muting me).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from wire import (
    Capability,
    CapabilitiesUpdated,
    EndReason,
    ErrorCode,
    Joined,
    MeetingInfo,
    MeetingUpdated,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ProtocolError,
    Spotlight,
    VolumeInfo,
    Volumes,
)

from .active_speaker import ActiveSpeakerDetector
from .dispatch import MessageTable
from .events import (
    ActiveSpeakersChanged,
    AttendeeJoined,
    AttendeeLeft,
    AttendeeUpdated,
    CapabilitiesChanged,
    MeetingJoined,
    SpotlightChanged,
    VolumesUpdated,
)
from .participant import Participant
from .timer import SessionTimer, parse_iso


#: After a server restart, how long someone missing from the new view stays (the server keeps a
#: dropped seat as long: ``reconnect_grace_seconds``): they are most likely reconnecting too.
MISSING_GRACE = 30.0


class Roster:
    def __init__(self, emit: Callable[[object], None], clock: Callable[[], float], *,
                 on_changed: Callable[[], None], on_departed: Callable[[str], None],
                 on_me_updated: Callable[[Participant], None]) -> None:
        """``clock``: wall time for the timer's countdown; ``on_changed()``: somebody came or
        went; ``on_departed(attendee_id)``: they are gone (their voice too);
        ``on_me_updated(me)``: the server changed me (a host may have muted me)."""
        self._emit = emit
        self._on_changed = on_changed
        self._on_departed = on_departed
        self._on_me_updated = on_me_updated
        self.me: Participant | None = None
        self.attendees: dict[str, Participant] = {}  # everyone but me
        self.capabilities: tuple[str, ...] = ()
        self.video_layers = False
        self.spotlight: str | None = None  # whom a host put on everyone's stage
        self.meeting: MeetingInfo | None = None
        self.volumes: dict[str, VolumeInfo] = {}
        self.active_speakers: tuple[str, ...] = ()
        self._speakers = ActiveSpeakerDetector()
        #: the countdown to the server's timer_ends_at (events: TimerChanged, TimeWarning, TimeUp)
        self.timer = SessionTimer(clock)
        self.hand_lost = False  # my hand was up before a rejoin and the server no longer knows it
        self._clock = clock
        #: attendee id -> since when: not in the restarted server's view yet (kept in place)
        self._missing: dict[str, float] = {}

    def register(self, table: MessageTable) -> None:
        table.register(ParticipantJoined, self._on_joined)
        table.register(ParticipantUpdated, self._on_updated)
        table.register(ParticipantLeft, self._on_left)
        table.register(CapabilitiesUpdated, self._on_capabilities)
        table.register(Spotlight, self._on_spotlight)
        table.register(Volumes, self._on_volumes)
        table.register(MeetingUpdated, self._on_meeting_updated)

    # --- what my role may do ------------------------------------------------------------------

    def may(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def mute_locked(self) -> bool:
        """A host muted me and has not allowed unmuting yet."""
        return bool(self.me and self.me.mute_locked)

    @property
    def hand_raised(self) -> bool:
        return bool(self.me and self.me.hand_raised_at)

    def hands(self) -> list[Participant]:
        """Everyone with a hand up (me included), in the order the hands went up."""
        people = list(self.attendees.values()) + ([self.me] if self.me else [])
        return sorted((a for a in people if a.hand_raised_at), key=lambda a: a.hand_raised_at or "")

    @property
    def shares(self) -> list[Participant]:
        """The screen shares running in the meeting (others' and mine)."""
        return [a for a in self.attendees.values() if a.content]

    # --- the server's view -----------------------------------------------------------------

    def welcome(self, joined: Joined) -> None:
        """The first view of the meeting."""
        self._take(joined)
        self.attendees = {a.attendee_id: Participant.from_wire(a) for a in joined.roster}
        assert self.me is not None
        self._emit(MeetingJoined(self.me, tuple(self.attendees.values()), self.capabilities))
        self._on_changed()
        self._update_timer(joined.meeting, joined.server_time)

    def rewelcome(self, joined: Joined, server_restarted: bool = False) -> None:
        """Back in after a drop: take the server's view again, telling who came and went.
        After a server restart (``server_restarted``) its view lacks whoever is still on the
        way back: they stay, in their place, for ``MISSING_GRACE`` (``expire_missing``)."""
        had_hand = self.me.hand_raised_at if self.me is not None else None
        self._take(joined)
        roster = {a.attendee_id: Participant.from_wire(a) for a in joined.roster}
        now = self._clock()
        for attendee_id in [a for a in self.attendees if a not in roster]:
            if server_restarted:
                self._missing.setdefault(attendee_id, now)
                continue
            self._forget(attendee_id)
            self._emit(AttendeeLeft(attendee_id, EndReason.LEFT))
        self.hand_lost = bool(had_hand) and not self.me.hand_raised_at  # the restart forgot it
        for attendee_id, participant in roster.items():
            self._missing.pop(attendee_id, None)
            known = self.attendees.get(attendee_id)
            self.attendees[attendee_id] = participant
            if known is None:
                self._emit(AttendeeJoined(participant))
            elif known != participant:
                self._emit(AttendeeUpdated(participant))
        self._on_changed()
        self._update_timer(joined.meeting, joined.server_time)

    def _take(self, joined: Joined) -> None:
        self.me = Participant.from_wire(joined.attendee)
        self.meeting = joined.meeting
        self.capabilities = tuple(joined.capabilities)
        self.video_layers = joined.video_layers  # the server takes a camera's two layers
        if self.spotlight is not None:  # a welcome again: a spotlight still on follows it
            self._on_spotlight(Spotlight(attendee_id=None))

    def _forget(self, attendee_id: str) -> None:
        self.attendees.pop(attendee_id, None)
        self.volumes.pop(attendee_id, None)
        self._speakers.remove(attendee_id)
        self._on_departed(attendee_id)

    def _on_joined(self, message: ParticipantJoined) -> None:
        participant = Participant.from_wire(message.attendee)
        self._missing.pop(participant.attendee_id, None)
        # someone known (back after a drop or a restart, kept in place): an update, not news
        known = participant.attendee_id in self.attendees
        self.attendees[participant.attendee_id] = participant
        self._emit(AttendeeUpdated(participant) if known else AttendeeJoined(participant))
        self._on_changed()

    def expire_missing(self) -> None:
        """Those missing since a server restart for ``MISSING_GRACE``: gone after all."""
        now = self._clock()
        for attendee_id, since in list(self._missing.items()):
            if now - since >= MISSING_GRACE:
                del self._missing[attendee_id]
                self._forget(attendee_id)
                self._emit(AttendeeLeft(attendee_id, EndReason.DISCONNECTED))
                self._on_changed()

    def _on_updated(self, message: ParticipantUpdated) -> None:
        participant = Participant.from_wire(message.attendee)
        if self.me is not None and participant.attendee_id == self.me.attendee_id:
            self.me = participant
            self._on_me_updated(participant)
        else:
            self.attendees[participant.attendee_id] = participant
        self._emit(AttendeeUpdated(participant))

    def _on_left(self, message: ParticipantLeft) -> None:
        self._forget(message.attendee_id)
        self._emit(AttendeeLeft(message.attendee_id, message.reason))
        self._on_changed()

    def _on_spotlight(self, message: Spotlight) -> None:
        if message.attendee_id != self.spotlight:
            self.spotlight = message.attendee_id
            self._emit(SpotlightChanged(message.attendee_id))

    def _on_capabilities(self, message: CapabilitiesUpdated) -> None:
        self.capabilities = tuple(message.capabilities)
        self._emit(CapabilitiesChanged(self.capabilities))

    # --- who is talking ---------------------------------------------------------------------

    def _on_volumes(self, message: Volumes) -> None:
        for info in message.updates:
            self.volumes[info.attendee_id] = info
            self._speakers.indicate(info.attendee_id, info.volume, info.muted)
        self._emit(VolumesUpdated(tuple(message.updates)))

    def heard(self, attendee_id: str) -> None:
        """Sound arrived from the attendee: their volume indicator is still current."""
        self._speakers.heard(attendee_id)

    def rank_speakers(self) -> None:
        """Score who is talking now (5 times a second); ActiveSpeakersChanged when it changed."""
        self._speakers.tick()
        ranking = tuple(self._speakers.ranking())
        if ranking != self.active_speakers:
            self.active_speakers = ranking
            self._emit(ActiveSpeakersChanged(ranking))

    # --- the meeting and its timer --------------------------------------------------------------

    def _on_meeting_updated(self, message: MeetingUpdated) -> None:
        self.meeting = message.meeting
        self._update_timer(message.meeting, message.server_time)

    def _update_timer(self, meeting: MeetingInfo, server_time: str | None) -> None:
        self.timer.sync(server_time)
        changed = self.timer.set_end(meeting.timer_ends_at)
        if changed is not None:
            self._emit(changed)

    def tick_timer(self) -> None:
        """Emit the timer's warning and time's-up when due."""
        for event in self.timer.tick():
            self._emit(event)

    async def extend(self, seconds: float,
                     update_settings: Callable[[dict[str, Any]], Awaitable[Any]]) -> None:
        """Add ``seconds`` to the meeting's timer through ``update_settings`` (the meeting's
        REST settings). Raises ProtocolError when there is no timer or the server refuses."""
        meeting = self.meeting
        started = parse_iso(meeting.started_at) if meeting else None
        if meeting is None or started is None or self.timer.ends_at is None:
            raise ProtocolError(ErrorCode.BAD_REQUEST, "this meeting has no timer to extend")
        limit = round(self.timer.ends_at + seconds - started)
        await update_settings({"limits": {"max_duration_seconds": limit}})
