"""``MediaWatch``: how each remote's video and audio held up, as the bot saw it, over a window
from ``--measure-after`` seconds after joining until it leaves (the ``remotes`` of its JSON).

Per remote camera:

- **fps**: pictures received in the window / the time the window saw of that remote.
- **frozen share**: the share of that time spent in gaps between pictures longer than
  ``FREEZE_FACTOR`` times the frame interval (a gap counts whole, as WebRTC's
  ``totalFreezesDuration`` does; the interval is the sender's, 1/30 s for a bot's camera: the
  bot is told it by ``--fps``, as every bot of a meeting films at the same rate today).
- **latency** p50/p95: glass to glass, from the capture time stamped in each picture by the
  synthetic camera (``media/synthetic/stamp.py``; replayed clips carry none).
- **damaged pictures**: pictures shown although a picture before them never arrived and no
  keyframe came in between. A live synthetic camera numbers the pictures it delivers, so a
  gap in the numbers is a picture lost on the way; a VP8 inter picture refers to the one
  before it, so from the gap until the next keyframe (known by its RTP timestamp from
  ``media/receive_counters.py``) every picture shown is damaged. A picture whose stamp cannot be
  read (a stamp survives VP8 intact: unreadable means the picture is smeared) counts too.
  Counted only for live stamped cameras (once one of their stamps has been read).
- **keyframes**, received **packets** and **repeated** packets (retransmissions that arrived
  although the original had), from the receive connection's per-section counters.
- **layer** and **paused**: which layer of the camera this bot receives, and whether the
  server paused it. Today every camera is one layer ("full") and nothing is paused; when the
  protocol says otherwise, set ``RemoteVideo.layer`` / ``paused`` from those messages (the
  bot's runner is where session events arrive).

Per remote microphone, from Parley's audio jitter buffer (``media/audio_receive.BufferStats``):
**lost share** (packets that did not come in time: rebuilt from FEC or concealed, over all the
packets due) and **concealed share** (of those, made up from nothing), and the buffer's delay.
On the light path (``--light``: nothing decoded) only the packets that arrived, and per second
(a voice sends 50).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FREEZE_FACTOR", "MediaWatch", "RemoteVideo"]

FREEZE_FACTOR = 3.0  # a gap longer than this many frame intervals is a freeze


def _quantiles(values: list[float]) -> dict | None:
    if not values:
        return None
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": pick(0.5), "p95": pick(0.95), "samples": len(ordered)}


@dataclass
class RemoteVideo:
    """One remote camera as this bot received it (times in seconds on the bot's clock)."""

    frame_interval: float
    layer: str = "full"
    paused: bool = False
    frames: int = 0  # in the window
    frozen: float = 0.0  # seconds of freezes in the window
    longest_gap: float = 0.0
    latency: list[float] = field(default_factory=list)
    damaged: int = 0
    missing: int = 0  # pictures that never arrived (gaps in the stamped numbers)
    unreadable: int = 0  # live-stamped pictures whose stamp could not be read
    live: bool = False  # its pictures carry live capture stamps
    first_seen: float | None = None  # its first picture ever
    last_frame: float | None = None  # its latest picture (in the window or before)
    stopped_at: float | None = None  # it left or turned its camera off (not a freeze)
    absent: float = 0.0  # seconds of the window it spent stopped
    _number: int | None = None
    _broken: bool = False

    def picture(self, now: float, window_start: float | None, counted: bool) -> None:
        """A picture arrived at ``now``; ``counted``: the window is open."""
        if self.first_seen is None:
            self.first_seen = now
        if counted:
            self.frames += 1
            if self.last_frame is not None:
                gap = now - self.last_frame
                self._gap(gap, now - max(self.last_frame, window_start or now))
        self.last_frame = now

    def _gap(self, gap: float, in_window: float) -> None:
        self.longest_gap = max(self.longest_gap, gap)
        if gap > FREEZE_FACTOR * self.frame_interval:
            self.frozen += max(0.0, in_window)

    def stamped(self, number: int | None, keyframe: bool, counted: bool) -> None:
        """The picture's stamped number (None: unreadable) and whether it began a keyframe."""
        if number is None:
            if self.live:  # a live stamp that can no longer be read: the picture is damaged
                self.unreadable += counted
                self.damaged += counted
                if self._number is not None:
                    self._number += 1  # it was one picture: the next number is no gap
            return
        self.live = True
        if self._number is not None and number > self._number + 1:
            self.missing += (number - self._number - 1) * counted
            self._broken = True
        if self._number is not None and number < self._number:  # the camera started again
            self._broken = False
        if keyframe:
            self._broken = False
        self.damaged += counted and self._broken
        self._number = number

    def finish(self, now: float, window_start: float | None) -> None:
        """The window closes at ``now`` (or the remote stops sending: it left, its camera went
        off): the gap since the last picture counts too."""
        if self.stopped_at is None and self.last_frame is not None and window_start is not None:
            self._gap(now - self.last_frame, now - max(self.last_frame, window_start))

    def stop(self, now: float, window_start: float | None) -> None:
        if self.stopped_at is None:
            self.finish(now, window_start)
            self.stopped_at = now

    def resume(self, now: float, window_start: float | None) -> None:
        if self.stopped_at is not None:
            if window_start is not None:
                self.absent += max(0.0, now - max(self.stopped_at, window_start))
            self.stopped_at = None
            self.last_frame = None  # the time it was off is no freeze

    def to_json(self, now: float, window_start: float) -> dict:
        began = max(window_start, self.first_seen if self.first_seen is not None else now)
        ended = self.stopped_at if self.stopped_at is not None else now
        seconds = max(0.0, ended - began - self.absent)
        return {
            "frames": self.frames,
            "fps": round(self.frames / seconds, 2) if seconds > 0 else None,
            "frozen_share": round(min(1.0, self.frozen / seconds), 4) if seconds > 0 else None,
            "frozen_after_ms": round(FREEZE_FACTOR * self.frame_interval * 1000.0, 1),
            "longest_gap_ms": round(self.longest_gap * 1000.0, 1),
            "latency_ms": _quantiles(self.latency),
            "damaged_pictures": self.damaged if self.live else None,
            "pictures_missing": self.missing if self.live else None,
            "stamps_unreadable": self.unreadable if self.live else None,
            "layer": self.layer,
            "paused": self.paused,
            "seconds": round(seconds, 2),
        }


def _audio_json(stats, before, target: float | None) -> dict:
    """Audio figures from two ``BufferStats`` (``before`` None: since the buffer began)."""
    def delta(name: str) -> int:
        return getattr(stats, name) - (getattr(before, name) if before is not None else 0)

    decoded, fec, concealed = delta("decoded"), delta("fec"), delta("concealed")
    due = decoded + fec + concealed
    return {
        "packets": delta("packets"),
        "lost_share": round((fec + concealed) / due, 4) if due else None,
        "concealed_share": round(concealed / due, 4) if due else None,
        "fec": fec, "concealed": concealed, "expanded": delta("expanded"), "late": delta("late"),
        "delay_ms": round(target * 1000.0, 1) if target is not None else None,
    }


class MediaWatch:
    """Every remote's figures over the window [``open_window``, ``close``]."""

    def __init__(self, frame_interval: float, clock: Callable[[], float]) -> None:
        self.frame_interval = frame_interval
        self._clock = clock
        self.video: dict[str, RemoteVideo] = {}
        self.window_start: float | None = None
        self.closed_at: float | None = None
        self._counters_before: dict[str, tuple[int, int, int]] = {}
        self._audio_before: dict[str, object] = {}
        self.encoder_targets: list[int] = []
        self._audio_counted: dict[str, int] = {}  # the light path: audio packets in the window

    def remote(self, attendee_id: str) -> RemoteVideo:
        video = self.video.get(attendee_id)
        if video is None:
            video = self.video[attendee_id] = RemoteVideo(self.frame_interval)
        return video

    @property
    def counting(self) -> bool:
        return self.window_start is not None and self.closed_at is None

    def picture(self, attendee_id: str, number: int | None, captured_ms: int | None,
                keyframe: bool, wall_ms: float | None) -> None:
        """A picture from ``attendee_id``: its stamp (number and capture time in ms, None: no
        readable stamp; captured 0: a replayed clip), whether it began a keyframe, and the wall
        clock in ms now (for latency). ``number`` None with ``captured_ms`` None: not decoded."""
        video = self.remote(attendee_id)
        counting = self.counting
        video.resume(self._clock(), self.window_start if counting else None)
        video.picture(self._clock(), self.window_start, counting)
        if wall_ms is None:
            return  # the light path: counted, not decoded
        if captured_ms is not None and captured_ms == 0:
            return  # a replayed clip: neither capture time nor live numbering
        video.stamped(number, keyframe, counting)
        if counting and captured_ms:
            video.latency.append(wall_ms - captured_ms)

    def audio_counted(self, attendee_id: str) -> None:
        """The light path: an audio packet from ``attendee_id`` arrived (not decoded)."""
        if self.counting:
            self._audio_counted[attendee_id] = self._audio_counted.get(attendee_id, 0) + 1

    def stopped(self, attendee_id: str) -> None:
        """``attendee_id`` left or turned its camera off: the time until it sends again is not
        counted (it is no freeze)."""
        if attendee_id in self.video:
            self.video[attendee_id].stop(self._clock(), self.window_start if self.counting else None)

    def open_window(self, counters: dict[str, tuple[int, int, int]], audio: dict[str, object]) -> None:
        """Start counting now; ``counters``/``audio``: the receive counters so far (subtracted)."""
        self.window_start = self._clock()
        self._counters_before = dict(counters)
        self._audio_before = dict(audio)

    def encoder_target(self, bitrate: int | None) -> None:
        if self.counting and bitrate is not None:
            self.encoder_targets.append(bitrate)

    def close(self, counters: dict[str, tuple[int, int, int]], audio: dict[str, tuple[object, float]],
              names: dict[str, str], cameras: set[str]) -> dict:
        """Stop counting; the ``remotes`` JSON. ``counters``: attendee -> (packets, repeated,
        keyframes) now; ``audio``: attendee -> (BufferStats now, buffer delay in s);
        ``cameras``: who had a camera on (listed even if nothing came from them)."""
        now = self.closed_at = self._clock()
        start = self.window_start if self.window_start is not None else now
        out: dict[str, dict] = {}
        for attendee_id in sorted(set(self.video) | set(counters) | set(audio) | cameras):
            entry: dict = {"name": names.get(attendee_id)}
            if attendee_id in self.video or attendee_id in cameras or attendee_id in counters:
                video = self.remote(attendee_id)
                video.finish(now, start)
                video.stopped_at = video.stopped_at if video.stopped_at is not None else now
                figures = video.to_json(now, start)
                if video.first_seen is None:  # never a picture: frozen all along
                    figures.update(seconds=round(now - start, 2), fps=0.0, frozen_share=1.0)
                if attendee_id in counters:
                    p, r, k = counters[attendee_id]
                    p0, r0, k0 = self._counters_before.get(attendee_id, (0, 0, 0))
                    seconds = figures["seconds"] or None
                    figures.update(packets=p - p0, repeated=r - r0, keyframes=k - k0,
                                   keyframes_per_s=round((k - k0) / seconds, 3) if seconds else None)
                entry["video"] = figures
            if attendee_id in audio:
                stats, delay = audio[attendee_id]
                entry["audio"] = _audio_json(stats, self._audio_before.get(attendee_id), delay)
            elif attendee_id in self._audio_counted:  # counted, not decoded: packets only
                packets = self._audio_counted[attendee_id]
                video = self.video.get(attendee_id)
                seconds = (video.stopped_at or now) - start if video is not None else now - start
                entry["audio"] = {"packets": packets,
                                  "packets_per_s": round(packets / seconds, 2) if seconds > 0 else None}
            out[attendee_id] = entry
        return out

    def encoder_json(self) -> dict | None:
        targets = self.encoder_targets
        if not targets:
            return None
        ordered = sorted(targets)
        return {"p50": round(ordered[len(ordered) // 2] / 1000, 1), "min": round(ordered[0] / 1000, 1),
                "max": round(ordered[-1] / 1000, 1), "last": round(targets[-1] / 1000, 1),
                "samples": len(targets)}
