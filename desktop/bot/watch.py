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
  keyframe came in between. Each VP8 picture the publisher's encoder made carries the next
  picture id (read per RTP timestamp by ``media/receive_counters.py``), so a gap in the ids of
  the pictures shown is a picture that was sent and never shown; the receive path's own count
  of pictures decoded but superseded before they were taken (``frames_superseded``) explains
  some of them, the rest (**pictures missing**) never arrived or were withheld. A VP8 inter
  picture refers to the one before it, so from such a gap until the next keyframe (known by its
  RTP timestamp, or by the receive path's count of keyframes' pictures superseded: a keyframe
  decoded and replaced by the picture after it before it was taken is a keyframe in between
  all the same) every picture shown is damaged. Pictures the camera never took, or that a
  smaller layer leaves out, make no gap in the ids (they were never encoded). A picture whose
  stamp cannot be read (**stamps unreadable**) counts too, unless its picture ids show the chain
  of references intact back to a keyframe: then the decoder made exactly the picture the
  encoder made, and the stamp was blurred by the encoder, not damaged on the way (seen on clean
  links, one picture in about ten thousand). Counted only for live stamped cameras (once one of their stamps has been read);
  without picture ids, a gap in the camera's own stamped numbers stands in for one.
- **keyframes**, received **packets** and **repeated** packets (retransmissions that arrived
  although the original had), from the receive connection's per-section counters.
- **layer** and **paused**: which layer of the camera this bot receives at the end, and whether
  the server has it paused (``video_paused``, through ``tiles.BotTiles``); **layers**: the share
  of the window each layer was forwarded; **paused share**: the share of the window it was
  paused. A paused video is neither counted in ``fps`` nor frozen while paused (its tile says
  why); the wait from its resumption to its first picture counts as frozen. **stage share**: the
  share of the window it was on the bot's stage (the active speaker, told to the server as such).

Per remote microphone, from Parley's audio jitter buffer (``media/audio_receive.BufferStats``):
**lost share** (packets that did not come in time: rebuilt from FEC or concealed, over all the
packets due) and **concealed share** (of those, made up from nothing), and the buffer's delay
(lip sync's hold on the voice included).
On the light path (``--light``: nothing decoded) each voice is counted at the packet
(``media/voice_count.py``): the packets that came and per second, the sequence numbers the
publisher used in the window (**expected**), the share of those that came in time
(**delivered share**: not more than 0.2 s later than the voice's fastest packet of the 2 s
before), how much later than its fastest ever they came on average (**behind fastest**), how long
the voice ran in the window by its own RTP clock with the packets a second it sent over that
time (**sent per s**: 50 from a voice that missed no 20 ms; fewer is the publisher's own doing).

Per remote person with both (decoded path), **A/V offset** p50/p95 (``av_offset_ms``): for
each stamped picture shown, how much later after its capture it is shown than the voice is
played after its own (positive: the video is late, as a viewer would see the lips move after
the sound). The picture's capture time is its stamp; the voice's is what the sender reports of
its section give its RTP time (``media/lipsync.py``: the publisher's clock, carried by the
server). All on this machine's wall clock, so it reads true where the server and the publisher
share it (the bots and the bench on one machine); the voice's capture time is then late by the
publisher's fastest uplink transit (its reports' time is when it *sent*, as seen on the server),
which reads as that much video lateness. And **sync extra** (``sync_extra_ms``): what lip sync
held the voice and the video back by at the end (``LipSync.audio_extra`` / ``video_extra``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..media.voice_count import VoiceCountSnapshot, voice_window

__all__ = ["FREEZE_FACTOR", "MediaWatch", "RemoteVideo"]

FREEZE_FACTOR = 3.0  # a gap longer than this many frame intervals is a freeze
PICTURE_ID_MODULUS = 1 << 15  # VP8 picture ids are 15 bits


def _in_window(since: float | None, now: float, window_start: float | None) -> float:
    """Seconds of [since, now] inside the window (none before it opened)."""
    if since is None or window_start is None:
        return 0.0
    return max(0.0, now - max(since, window_start))


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
    layer: str | None = None  # None: the server said nothing (every camera was one layer)
    paused: bool = False
    paused_since: float | None = None
    paused_time: float = 0.0  # seconds of the window it spent paused
    layer_since: float | None = None
    layer_time: dict[str, float] = field(default_factory=dict)  # layer -> seconds of the window
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
    _picture_id: int | None = None
    _superseded: int = 0
    _keys_superseded: int = 0
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

    def stamped(self, number: int | None, keyframe: bool, counted: bool,
                picture_id: int | None = None, superseded: int = 0, keys_superseded: int = 0) -> None:
        """The picture's stamped number (None: unreadable), whether it began a keyframe, its VP8
        picture id (None: not known) and the receive path's counts so far of superseded pictures
        and, of those, keyframes'. A keyframe superseded since the last picture shown is a
        keyframe in between: this picture follows it as it would follow a keyframe shown."""
        keyframe = keyframe or keys_superseded > self._keys_superseded
        self._keys_superseded = keys_superseded
        if picture_id is not None:
            self._follow_ids(picture_id, keyframe, counted, superseded)
        if number is None:
            if self.live:
                self.unreadable += counted
                # Damaged when the chain is broken, or cannot be followed (no picture ids). On an
                # intact chain the picture is the encoder's own (VP8 decoding is exact): a stamp
                # its encoder blurred is no picture damaged on the way.
                self.damaged += counted and (self._broken or picture_id is None)
                if self._number is not None:
                    self._number += 1  # it was one picture: the next number is no gap
            return
        self.live = True
        if picture_id is None:  # no ids: the camera's own numbers stand in for them
            if self._number is not None and number > self._number + 1:
                self.missing += (number - self._number - 1) * counted
                self._broken = True
            if self._number is not None and number < self._number:  # the camera started again
                self._broken = False
        if keyframe:
            self._broken = False
        self.damaged += counted and self._broken
        self._number = number

    def _follow_ids(self, picture_id: int, keyframe: bool, counted: bool, superseded: int) -> None:
        if self._picture_id is not None and not keyframe:
            gap = (picture_id - self._picture_id - 1) % PICTURE_ID_MODULUS
            if gap < PICTURE_ID_MODULUS // 2:  # (a picture id going back: a new encoder, no gap)
                lost = gap - max(0, superseded - self._superseded)
                if lost > 0:
                    self.missing += lost * counted
                    self._broken = True
        if keyframe:
            self._broken = False
        self._picture_id, self._superseded = picture_id, superseded

    def finish(self, now: float, window_start: float | None) -> None:
        """The window closes at ``now`` (or the remote stops sending: it left, its camera went
        off): the gap since the last picture counts too."""
        if self.stopped_at is None and self.last_frame is not None and window_start is not None:
            self._gap(now - self.last_frame, now - max(self.last_frame, window_start))

    def stop(self, now: float, window_start: float | None) -> None:
        if self.stopped_at is None:
            self.finish(now, window_start)
            self.stopped_at = now

    def state(self, paused: bool, layer: str | None, now: float, window_start: float | None) -> None:
        """The server paused the video, resumed it, or changed the layer it forwards."""
        self._close_layer(now, window_start)
        self.layer, self.layer_since = (None if paused else layer), now
        if paused == self.paused:
            return
        self.paused = paused
        if paused:
            self.finish(now, window_start)  # the gap until the pause counts; the pause does not
            self.last_frame, self.paused_since = None, now
        else:
            self.paused_time += _in_window(self.paused_since, now, window_start)
            self.paused_since = None
            self.last_frame = now  # the wait for its first picture counts as frozen

    def _close_layer(self, now: float, window_start: float | None) -> None:
        if self.layer is not None and self.layer_since is not None:
            self.layer_time[self.layer] = (self.layer_time.get(self.layer, 0.0)
                                           + _in_window(self.layer_since, now, window_start))
        self.layer_since = now

    def resume(self, now: float, window_start: float | None) -> None:
        if self.stopped_at is not None:
            if window_start is not None:
                self.absent += max(0.0, now - max(self.stopped_at, window_start))
            self.stopped_at = None
            self.last_frame = None  # the time it was off is no freeze

    def to_json(self, now: float, window_start: float) -> dict:
        began = max(window_start, self.first_seen if self.first_seen is not None else now)
        ended = self.stopped_at if self.stopped_at is not None else now
        paused = self.paused_time + (_in_window(self.paused_since, now, window_start) if self.paused else 0.0)
        self._close_layer(now, window_start)
        window = max(0.0, now - window_start)
        seconds = max(0.0, ended - began - self.absent - paused)
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
            "layers": {name: round(t / window, 3) for name, t in sorted(self.layer_time.items())} if window else {},
            "paused": self.paused,
            "paused_share": round(min(1.0, paused / window), 4) if window else None,
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
        self._stage: tuple[str, float] | None = None  # who is on the bot's stage, since when
        self._stage_time: dict[str, float] = {}  # attendee -> seconds of the window on stage
        self._av_offsets: dict[str, list[float]] = {}  # attendee -> A/V offsets in the window (ms)
        self.sync_extras: dict[str, tuple[float, float]] = {}  # attendee -> (audio, video) held, s

    def remote(self, attendee_id: str) -> RemoteVideo:
        video = self.video.get(attendee_id)
        if video is None:
            video = self.video[attendee_id] = RemoteVideo(self.frame_interval)
        return video

    @property
    def counting(self) -> bool:
        return self.window_start is not None and self.closed_at is None

    def picture(self, attendee_id: str, number: int | None, captured_ms: int | None,
                keyframe: bool, wall_ms: float | None, picture_id: int | None = None,
                superseded: int = 0, keys_superseded: int = 0) -> None:
        """A picture from ``attendee_id``: its stamp (number and capture time in ms, None: no
        readable stamp; captured 0: a replayed clip), whether it began a keyframe, the wall
        clock in ms now (for latency), its VP8 picture id (None: not known) and how many pictures
        of that remote the receive path has superseded so far (``keys_superseded``: of them,
        keyframes' pictures). ``number`` None with ``captured_ms`` None: not decoded."""
        video = self.remote(attendee_id)
        counting = self.counting
        video.resume(self._clock(), self.window_start if counting else None)
        video.picture(self._clock(), self.window_start, counting)
        if wall_ms is None:
            return  # the light path: counted, not decoded
        if captured_ms is not None and captured_ms == 0:
            return  # a replayed clip: neither capture time nor live numbering
        video.stamped(number, keyframe, counting, picture_id, superseded, keys_superseded)
        if counting and captured_ms:
            video.latency.append(wall_ms - captured_ms)

    def video_state(self, attendee_id: str, paused: bool, layer: str | None) -> None:
        """The server paused or resumed ``attendee_id``'s video, or changed its layer."""
        self.remote(attendee_id).state(paused, layer, self._clock(), self.window_start if self.counting else None)

    def on_stage(self, attendee_id: str | None) -> None:
        """``attendee_id`` is now on the bot's stage (the active speaker it shows large)."""
        now = self._clock()
        if self._stage is not None:
            who, since = self._stage
            self._stage_time[who] = (self._stage_time.get(who, 0.0)
                                     + _in_window(since, now, self.window_start if self.counting else None))
        self._stage = (attendee_id, now) if attendee_id is not None else None

    def av_offset(self, attendee_id: str, offset_ms: float) -> None:
        """A picture of ``attendee_id`` was shown ``offset_ms`` later after its capture than
        their voice is played after its own."""
        if self.counting:
            self._av_offsets.setdefault(attendee_id, []).append(offset_ms)

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
        self.on_stage(self._stage[0] if self._stage is not None else None)  # the stage so far
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
                if video.first_seen is None and not video.paused:  # never a picture: frozen all along
                    figures.update(seconds=round(now - start, 2), fps=0.0, frozen_share=1.0)
                elif video.first_seen is None:  # paused (and told so) since before any picture
                    figures.update(seconds=0.0, fps=None, frozen_share=None)
                if attendee_id in counters:
                    p, r, k = counters[attendee_id]
                    p0, r0, k0 = self._counters_before.get(attendee_id, (0, 0, 0))
                    # over the time it was here, paused or not (a keyframe after each resumption)
                    seconds = max(0.0, (video.stopped_at or now) - start - video.absent) or None
                    figures.update(packets=p - p0, repeated=r - r0, keyframes=k - k0,
                                   keyframes_per_s=round((k - k0) / seconds, 3) if seconds else None)
                figures["stage_share"] = round(self._stage_time.get(attendee_id, 0.0) / (now - start), 4) if now > start else None
                entry["video"] = figures
            if attendee_id in audio:
                stats, delay = audio[attendee_id]
                if isinstance(stats, VoiceCountSnapshot):  # counted, not decoded: packets only
                    video = self.video.get(attendee_id)
                    seconds = (video.stopped_at or now) - start if video is not None else now - start
                    entry["audio"] = voice_window(self._audio_before.get(attendee_id), stats, seconds)
                else:
                    entry["audio"] = _audio_json(stats, self._audio_before.get(attendee_id), delay)
            if attendee_id in self._av_offsets:
                entry["av_offset_ms"] = _quantiles(self._av_offsets[attendee_id])
            if attendee_id in self.sync_extras:
                audio_extra, video_extra = self.sync_extras[attendee_id]
                entry["sync_extra_ms"] = {"audio": round(audio_extra * 1000.0, 1),
                                          "video": round(video_extra * 1000.0, 1)}
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
