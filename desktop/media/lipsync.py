"""Lip sync: one remote person's voice and video played in step, as libwebrtc's
``RtpStreamsSynchronizer`` does.

Each stream is played after its own delay: the voice after Parley's jitter buffer
(``audio_receive.JitterBuffer``: 20–200 ms, following the jitter), the video after the playout
delay (``playout.PlayoutDelay``: up to 200 ms, covering repairs). Nothing tied the two: under
5 % loss the video ran about 60 ms behind the voice, and a bad link makes that worse.

* ``StreamClock`` (one per received section) keeps the section's latest RTCP sender report:
  the NTP time of one RTP time. The forwarding unit's reports carry the publisher's clock, the
  same for that person's voice and video (server/sfu/sender_clock.py), so each played frame's
  RTP time gives when it was captured on one clock (plus a constant: the publisher's fastest
  uplink, the same for both streams; the forwarding unit's wall clock, read as this
  machine's).
* ``LipSync`` (one per remote person) is told, as it happens, each audio frame played
  (``audio_played``) and each picture shown (``video_shown``) with its RTP time, and takes each
  stream's *delay*: the time now minus the capture time, less what lip sync holds it for at the
  moment (so what it measures does not move with what it does). Once a second (``INTERVAL``)
  the *relative delay* (the video's mean delay minus the voice's over that second, positive:
  the video is late) is filtered (``FILTER``: a quarter of the new one each time), and the
  stream that is *ahead* is held back: video late, the voice is held by that much (the jitter
  buffer's target raised, ``JitterBuffer.extra_delay``) and the video not; voice late by more
  than ``VOICE_LATE_TOLERANCE``, the pictures are held (``PlayoutDelay.extra``) by what is over
  it, and the voice not. People notice sound that comes *before* the picture from about 45 ms,
  sound *after* it only from about 125 ms (ITU-R BT.1359), and the voice is usually the later
  of the two on a clean link (its jitter buffer's 20 ms frame and margin): holding every picture
  for it would cost glass-to-glass time for nothing anyone sees. A goal moves by at most
  ``MAX_STEP`` an adjustment, and not at all when it is within ``DEAD_BAND`` of where it should
  be (no hunting after noise). Each extra is at most
  ``MAX_AUDIO_EXTRA`` / ``MAX_VIDEO_EXTRA``: the voice is never made later than that to wait for
  a video far behind (the video's own playout delay is bounded, and beyond it pictures are
  given up: issue 17, item 4). The extras move towards their goals at ``SLEW`` seconds a second
  (the voice stretches or splices a frame now and then; pictures come 10 % slower or faster),
  never in a jump. A stream with nothing played for ``FRESH`` seconds (muted, camera off,
  paused) lets both extras go, as smoothly.

The capture times are as good as the publisher's reports: aiortc's senders report the time each
packet is *sent*, so a video picture reads as captured when its encoding ended (a few ms to
15 ms late at 640x360): the video is then left that much behind the voice.

``PARLEY_LIP_SYNC=off`` in the environment (read by ``peers.ReceiveConnection``) leaves the
delays alone and only measures (``steer=False``): the bench's "before" figure.

``captured`` times are Unix seconds (the reports' NTP time less 1900→1970), so on one machine
(the bots, the bench) ``latency`` compares with the wall clock. No I/O: times come from an
injected clock (``time.time`` by default).
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["DEAD_BAND", "FILTER", "FRESH", "INTERVAL", "LipSync", "MAX_AUDIO_EXTRA", "MAX_STEP",
           "MAX_VIDEO_EXTRA", "SLEW", "StreamClock", "VOICE_LATE_TOLERANCE"]

NTP_ONE = float(1 << 32)
NTP_UNIX_OFFSET = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)
#: Seconds between adjustments.
INTERVAL = 1.0
#: The relative delay is filtered: new = ((FILTER - 1) * old + measured) / FILTER.
FILTER = 4
#: A filtered relative delay smaller than this (seconds) is left as it is.
DEAD_BAND = 0.010
#: One adjustment moves the extras by at most this (seconds).
MAX_STEP = 0.080
#: The most the voice is held for the video (seconds).
MAX_AUDIO_EXTRA = 0.250
#: The most the video is held for the voice (seconds).
MAX_VIDEO_EXTRA = 0.250
#: A voice later than the pictures by up to this (seconds) is left so: nobody notices it.
VOICE_LATE_TOLERANCE = 0.060
#: The extras follow their goals at this many seconds per second.
SLEW = 0.1
#: A stream with nothing played for this long (seconds) has nothing to be aligned with.
FRESH = 1.0


class StreamClock:
    """One received section's latest sender report: its RTP time against a wall clock."""

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.reports = 0
        self._report: tuple[float, int] | None = None  # (Unix seconds, RTP time)

    def on_report(self, ntp: int, rtp: int) -> None:
        """A sender report: RTP time ``rtp`` is at NTP time ``ntp`` (64-bit fixed point)."""
        self._report = (ntp / NTP_ONE - NTP_UNIX_OFFSET, rtp & 0xFFFFFFFF)
        self.reports += 1

    def captured(self, rtp: int) -> float | None:
        """When RTP time ``rtp`` was captured (Unix seconds, on the reports' clock); None
        before the first report."""
        if self._report is None:
            return None
        at, base = self._report
        ticks = ((rtp - base + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        return at + ticks / self.clock_rate


class _Delays:
    """One stream's delays (now minus capture, less what lip sync held it for) since the last
    adjustment, and the latest delay as played."""

    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0
        self.latest: float | None = None
        self.at = float("-inf")  # when the latest was taken

    def add(self, delay: float, held: float, now: float) -> None:
        self.total += delay - held
        self.count += 1
        self.latest, self.at = delay, now

    def take_mean(self) -> float | None:
        mean = self.total / self.count if self.count else None
        self.total, self.count = 0.0, 0
        return mean


class LipSync:
    """Keeps one remote person's voice and video in step (see the module)."""

    def __init__(self, audio_clock: StreamClock, video_clock: StreamClock,
                 set_audio_extra: Callable[[float], None], set_video_extra: Callable[[float], None],
                 clock: Callable[[], float] = time.time, steer: bool = True) -> None:
        self.steer = steer  # False: measure only, hold nothing back
        self.audio_clock = audio_clock
        self.video_clock = video_clock
        self._set_audio = set_audio_extra
        self._set_video = set_video_extra
        self._clock = clock
        self.audio_extra = 0.0  # applied now (seconds)
        self.video_extra = 0.0
        self.audio_goal = 0.0
        self.video_goal = 0.0
        #: the filtered relative delay without lip sync's holds (seconds, video late > 0)
        self.relative: float | None = None
        self._audio = _Delays()
        self._video = _Delays()
        self._adjusted_at: float | None = None
        self._slewed_at: float | None = None

    # --- what is played -----------------------------------------------------------------------

    def audio_played(self, rtp: int) -> None:
        """The audio frame of RTP time ``rtp`` is played now."""
        self._played(self._audio, self.audio_clock, rtp, self.audio_extra)

    def video_shown(self, rtp: int) -> None:
        """The picture of RTP time ``rtp`` is shown now."""
        self._played(self._video, self.video_clock, rtp, self.video_extra)

    def _played(self, delays: _Delays, stream: StreamClock, rtp: int, held: float) -> None:
        now = self._clock()
        captured = stream.captured(rtp)
        if captured is not None:
            delays.add(now - captured, held, now)
        self._tick(now)

    def audio_latency(self) -> float | None:
        """How long after capture the voice is played now (seconds); None if not lately."""
        return self._audio.latest if self._clock() - self._audio.at <= FRESH else None

    def video_latency(self) -> float | None:
        """How long after capture the pictures are shown now (seconds); None if not lately."""
        return self._video.latest if self._clock() - self._video.at <= FRESH else None

    # --- steering -------------------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        if self._adjusted_at is None:
            self._adjusted_at = now
        elif now - self._adjusted_at >= INTERVAL:
            self._adjusted_at = now
            self._adjust(now)
        self._slew(now)

    def _adjust(self, now: float) -> None:
        audio, video = self._audio.take_mean(), self._video.take_mean()
        if audio is None or video is None or now - self._audio.at > FRESH or now - self._video.at > FRESH:
            self.audio_goal = self.video_goal = 0.0  # nothing to align: let go
            self.relative = None
            return
        measured = video - audio
        relative = measured if self.relative is None else ((FILTER - 1) * self.relative + measured) / FILTER
        self.relative = relative
        if not self.steer:
            return
        # the video late: hold the voice (and not the video); the voice late: the other way
        audio_wanted = min(MAX_AUDIO_EXTRA, max(0.0, relative))
        video_wanted = min(MAX_VIDEO_EXTRA, max(0.0, -relative - VOICE_LATE_TOLERANCE))
        if abs((audio_wanted - video_wanted) - (self.audio_goal - self.video_goal)) < DEAD_BAND:
            return
        self.audio_goal += max(-MAX_STEP, min(MAX_STEP, audio_wanted - self.audio_goal))
        self.video_goal += max(-MAX_STEP, min(MAX_STEP, video_wanted - self.video_goal))

    def _slew(self, now: float) -> None:
        elapsed = 0.0 if self._slewed_at is None else max(0.0, now - self._slewed_at)
        self._slewed_at = now
        most = SLEW * elapsed
        audio = self.audio_extra + max(-most, min(most, self.audio_goal - self.audio_extra))
        video = self.video_extra + max(-most, min(most, self.video_goal - self.video_extra))
        if audio != self.audio_extra:
            self.audio_extra = audio
            self._set_audio(audio)
        if video != self.video_extra:
            self.video_extra = video
            self._set_video(video)

    def release(self) -> None:
        """No longer this person's pair of sections: both extras off at once."""
        self.audio_goal = self.video_goal = 0.0
        if self.audio_extra:
            self.audio_extra = 0.0
            self._set_audio(0.0)
        if self.video_extra:
            self.video_extra = 0.0
            self._set_video(0.0)
