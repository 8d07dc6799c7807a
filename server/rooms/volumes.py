"""The volume indicators everyone in a meeting sees: each participant's level (as it measures
it and says about 5 times a second) and its signal strength, fanned out when they change, and
all of them at once to a newcomer (``snapshot``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from wire import Message, VolumeInfo, Volumes, signal_strength

from .participant import Participant

VOLUME_INTERVAL = 0.2  # seconds between volume fan-outs


class VolumeIndicators:
    """Sends ``participants`` the indicators that changed, every ``VOLUME_INTERVAL``, while
    anyone is there (``start`` again after it stopped for want of people)."""

    def __init__(self, participants: dict[str, Participant], broadcast: Callable[[Message], None]) -> None:
        self._participants = participants
        self._broadcast = broadcast
        self._sent: dict[str, VolumeInfo] = {}
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        """For good: the room is done."""
        if self._task is not None:
            self._task.cancel()

    def snapshot(self, exclude: str) -> Volumes | None:
        """Everyone's indicator as last sent (a newcomer's first view: a steady level is never
        sent again by itself), or None while there is none."""
        updates = [info for attendee_id, info in self._sent.items()
                   if attendee_id != exclude and attendee_id in self._participants]
        return Volumes(updates=updates) if updates else None

    def forget(self, attendee_id: str) -> None:
        """Send this participant's indicator again (a newcomer, or someone back)."""
        self._sent.pop(attendee_id, None)

    async def _run(self) -> None:
        ticks = 0
        while self._participants:
            await asyncio.sleep(VOLUME_INTERVAL)
            ticks += 1
            if ticks % 5 == 0:  # signal strength over about a second of uplink audio
                for p in self._participants.values():
                    p.signal_strength = _signal_strength(p)
            updates = []
            for p in self._participants.values():
                if p.is_content and p.up("audio") is None:
                    continue  # a share without sound has no volume indicator
                info = VolumeInfo(p.attendee_id, 0.0 if p.muted else round(p.volume, 2), p.muted,
                                  p.signal_strength)
                if self._sent.get(p.attendee_id) != info:
                    self._sent[p.attendee_id] = info
                    updates.append(info)
            if updates:
                self._broadcast(Volumes(updates=updates))
        self._task = None


def _signal_strength(participant: Participant) -> float:
    """1, 0.5 or 0 from the share of audio packets lost on the uplink lately (Chime's scale)."""
    up = participant.up("audio")
    strength = signal_strength(up.recent_loss() if up is not None else None)
    return participant.signal_strength if strength is None else strength
