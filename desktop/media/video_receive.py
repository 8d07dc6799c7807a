"""Parley's receive path for video: never a damaged picture, never far behind the voice.

aiortc's own video path (a 512-packet jitter buffer that waits behind any hole until it
overflows, then a decoder fed whatever comes out) shows damaged pictures after a loss — the
decoder is handed frames whose references were never decoded (``failed to decode VP8 frame``, or
macroblock smear that stays until the next keyframe) — and lets video drift seconds behind the
voice while it waits (issue 17). This module replaces it for every video section of the receive
connection (``peers.ReceiveConnection``, through ``seam.tap_video_rtp``):

* ``FrameAssembler``: per section, on RTP packets (sequence numbers, timestamps, the marker bit
  and the VP8 payload descriptor), no I/O and no clock of its own, so the tests drive it with
  made-up packets and times. It assembles whole frames and releases them in decoding order only
  while the chain of references is intact: a frame is released when it is complete and starts
  right after the previous one (no packet missing between them) with the next picture id.
  After a hole it waits for the retransmission at most ``max_wait`` seconds, then gives up and
  skips to the next keyframe (also at once when a complete keyframe is already behind the
  hole). While the chain is broken only a keyframe is released; the complete frames that would
  have been decoded on a broken reference are *withheld* (counted), and a keyframe is wanted.
* ``VideoReceiveTrack``: the MediaStreamTrack the session pumps. Decoding runs on one worker
  thread per section, never on the event loop; a frame that fails to decode breaks the chain
  the same way (nothing after it is shown until a keyframe decodes), and so does a frame that
  does not follow the one decoded before it (the worker checks the picture ids again: a frame
  dropped for the backlog after the assembler released it, with frames behind it in the same
  release). ``recv()`` hands out the *latest* decoded picture: a picture superseded before it
  was taken is dropped (counted; ``keyframes_superseded``: of those, keyframes' pictures). The
  decoder's backlog is bounded too: past ``MAX_BACKLOG`` frames waiting, it skips to the next
  keyframe rather than fall further behind. A decoded picture is taken no earlier than its
  playout time (``playout.PlayoutDelay``: its RTP time plus a small adaptive delay that covers
  the retransmissions lately seen, at most 200 ms), so a repaired frame and those queued behind
  it are shown at the camera's pace instead of after a freeze; pictures are shown in decoding
  order (one waiting for its time holds back those behind it, never overtaken). Keyframe requests are coalesced
  (one per ``KEYFRAME_INTERVAL`` while one is wanted). A paused track (``set_paused``) drops what arrives
  without assembling or decoding it, and asks for a keyframe when it resumes.

Counters (``VideoReceiveStats``, per section; the session sums them per remote person):
``frames_decoded``, ``damaged_withheld`` (frames not shown because a frame they refer to was
lost, or they failed to decode), ``frames_skipped`` (frames given up to stay within the delay
bound: incomplete past ``max_wait``, jumped over to a newer keyframe, or the decoder's backlog),
``frames_superseded`` (decoded but replaced by a newer one before anyone took it),
``keyframes_requested``, ``decode_errors`` and ``decode_seconds`` (worker CPU time).
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtcseam.vp8 import parse_vp8_descriptor

from .playout import PlayoutDelay

__all__ = ["EncodedFrame", "FrameAssembler", "VideoReceiveStats", "VideoReceiveTrack", "parse_vp8_descriptor"]

logger = logging.getLogger(__name__)

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
#: How long a hole may hold the frames behind it (seconds): a retransmission has that long to
#: arrive (a NACK is repeated every 200 ms), then the receiver skips to the next keyframe. Only a
#: hole counts (a packet missing while later ones are here): a large keyframe that is merely slow
#: to arrive on a slow link is waited for.
MAX_WAIT = 0.3
#: Frames waiting for the decoder beyond which it skips to the next keyframe (~250 ms at 30 fps).
MAX_BACKLOG = 8
#: A wanted keyframe is asked for at most this often (seconds).
KEYFRAME_INTERVAL = 1.0
#: Frames pending at most (a stream that never completes one cannot fill memory).
MAX_PENDING = 96
#: A picture due within this many seconds is shown at once (no timer for less than a frame's jitter).
SHOW_EARLY = 0.004


def _next_picture(previous_id: int | None, picture_id: int | None, modulus: int) -> bool:
    """``picture_id`` is the VP8 picture id after ``previous_id`` (True when either is not
    known: without ids there is nothing to check)."""
    return picture_id is None or previous_id is None or picture_id == (previous_id + 1) % modulus


@dataclass
class EncodedFrame:
    """A whole VP8 frame, ready for the decoder."""

    data: bytes
    timestamp: int
    keyframe: bool
    picture_id: int | None = None
    modulus: int = 1 << 15  # of the picture id (7 or 15 bits)

    def follows(self, previous: EncodedFrame | None) -> bool:
        """Whether this frame can be decoded right after ``previous`` (None: nothing decoded
        yet): a keyframe always, an inter frame only with the next picture id (when both carry
        one: without ids there is nothing to check)."""
        if self.keyframe:
            return True
        return previous is not None and _next_picture(previous.picture_id, self.picture_id, self.modulus)


@dataclass
class _Pending:
    timestamp: int
    arrived: float
    first: int | None = None  # extended sequence number of the packet starting the frame
    last: int | None = None  # ... of the packet with the marker bit
    keyframe: bool = False
    picture_id: int | None = None
    modulus: int = 1 << 15
    parts: dict[int, bytes] = field(default_factory=dict)

    @property
    def lowest(self) -> int:
        return min(self.parts)

    @property
    def complete(self) -> bool:
        return (self.first is not None and self.last is not None
                and len(self.parts) == self.last - self.first + 1)

    def encoded(self) -> EncodedFrame:
        data = b"".join(self.parts[seq] for seq in range(self.first, self.last + 1))  # type: ignore[arg-type]
        return EncodedFrame(data, self.timestamp, self.keyframe, self.picture_id, self.modulus)


class FrameAssembler:
    """RTP packets of one VP8 stream in, decodable frames out, in order (see the module)."""

    def __init__(self, max_wait: float = MAX_WAIT) -> None:
        self.max_wait = max_wait
        self.broken = True  # no keyframe yet: nothing can be decoded
        #: something was lost or dropped since the last keyframe released: one is wanted
        self.wants_keyframe = False
        #: waiting for the keyframe after a pause: frames dropped meanwhile are skipped, not damaged
        self.resuming = False
        self.withheld = 0
        self.skipped = 0
        self.given_up: list[int] = []  # 16-bit sequence numbers given up since last read (stop NACKing them)
        self._pending: dict[int, _Pending] = {}  # RTP timestamp -> frame being assembled
        self._by_first: dict[int, int] = {}  # extended seq of a frame's first packet -> its timestamp
        self._next: int | None = None  # extended seq the next frame must start at
        self._picture_id: int | None = None  # of the last frame released
        self._last_ext: int | None = None
        self._have: set[int] = set()  # extended seqs of every packet pending
        self._hole_since: float | None = None  # when the packets stopped being contiguous
        self._gone: dict[int, None] = {}  # timestamps of frames dropped lately: their stragglers too

    def _extend(self, seq: int) -> int:
        if self._last_ext is None:
            self._last_ext = seq
            return seq
        base = self._last_ext
        ext = (base & ~0xFFFF) | seq
        if ext < base - 0x8000:
            ext += 0x10000
        elif ext > base + 0x8000:
            ext -= 0x10000
        if ext > self._last_ext:
            self._last_ext = ext
        return ext

    def break_chain(self) -> None:
        """The decoder cannot go on from what it has (a decode error, a backlog): only a
        keyframe is released next."""
        self.broken = self.wants_keyframe = True

    def reset(self) -> None:
        """Forget what is pending (a pause): the stream starts again at a keyframe."""
        self._pending.clear()
        self._by_first.clear()
        self._next = self._picture_id = self._last_ext = None
        self._have.clear()
        self._gone.clear()
        self._hole_since = None
        self.broken, self.wants_keyframe = True, False

    def push(self, seq: int, timestamp: int, marker: bool, payload: bytes, now: float) -> list[EncodedFrame]:
        """One packet arrived at ``now``; returns the frames to decode now, in order."""
        ext = self._extend(seq)
        if self._next is not None and ext < self._next:
            return []  # late: its frame was released or given up already
        try:
            start, picture_id, modulus, offset = parse_vp8_descriptor(payload)
        except ValueError:
            return []
        if timestamp in self._gone:
            return []  # the rest of a frame already given up
        frame = self._pending.get(timestamp)
        if frame is None:
            frame = self._pending[timestamp] = _Pending(timestamp, now)
        if ext in frame.parts:
            return self._drain(now)  # a duplicate (a retransmission that crossed the original)
        data = payload[offset:]
        frame.parts[ext] = data
        self._have.add(ext)
        if start:
            frame.first = ext
            frame.keyframe = bool(data) and not (data[0] & 0x01)  # VP8 payload header: P bit 0
            frame.picture_id, frame.modulus = picture_id, modulus
            self._by_first[ext] = timestamp
        if marker:
            frame.last = ext
        if len(self._pending) > MAX_PENDING:
            self._drop(lambda f: True, skipped=True)
            self.broken = True
        return self._drain(now)

    # --- releasing ------------------------------------------------------------------------------

    def _release(self, frame: _Pending) -> EncodedFrame:
        self._forget(frame)
        self._hole_since = None
        self._next = frame.last + 1  # type: ignore[operator]
        self._picture_id = frame.picture_id
        if frame.keyframe:
            self.wants_keyframe = self.resuming = False
        return frame.encoded()

    def _forget(self, frame: _Pending) -> None:
        self._pending.pop(frame.timestamp, None)
        self._have.difference_update(frame.parts)
        if frame.first is not None:
            self._by_first.pop(frame.first, None)

    def _drop(self, which: Callable[[_Pending], bool], *, skipped: bool, whole: bool = False) -> None:
        """Drop the pending frames ``which`` selects: counted as skipped, or (frames dropped
        because of a broken chain: complete ones, or any with ``whole``) as withheld."""
        for frame in [f for f in self._pending.values() if which(f)]:
            self._forget(frame)
            self._gone[frame.timestamp] = None
            if len(self._gone) > MAX_PENDING:
                del self._gone[next(iter(self._gone))]
            self.wants_keyframe = True
            if skipped or self.resuming or not (frame.complete or whole):
                self.skipped += 1
                self.given_up.extend(s & 0xFFFF for s in _missing(frame))
            else:
                self.withheld += 1

    def _newest_keyframe(self) -> _Pending | None:
        keys = [f for f in self._pending.values() if f.keyframe and f.complete]
        return max(keys, key=lambda f: f.first) if keys else None  # type: ignore[arg-type,return-value]

    def _continues(self, frame: _Pending) -> bool:
        """The frame's picture id follows the last one released (when both carry one)."""
        return _next_picture(self._picture_id, frame.picture_id, frame.modulus)

    def _drain(self, now: float) -> list[EncodedFrame]:
        out: list[EncodedFrame] = []
        while True:
            key = self._newest_keyframe()
            if self.broken:
                if key is None:
                    # What completes now refers to something lost: withheld, never decoded; what
                    # will not complete is no use either. Frames whose start is still to come may
                    # be the keyframe: they stay (MAX_PENDING bounds them).
                    self._drop(lambda f: f.first is not None and not f.keyframe, skipped=False, whole=True)
                    return out
                self._give_up_below(key.first)  # type: ignore[arg-type]
                self._drop(lambda f: f.lowest < key.first, skipped=False)  # type: ignore[operator]
                self.broken = False
                out.append(self._release(key))
                continue
            timestamp = self._by_first.get(self._next)  # type: ignore[arg-type]
            frame = self._pending.get(timestamp) if timestamp is not None else None
            if frame is not None and frame.complete:
                if not self._continues(frame) and not frame.keyframe:
                    self.broken = self.wants_keyframe = True  # a whole frame is missing though no packet is
                    continue
                out.append(self._release(frame))
                continue
            if key is not None and (frame is None or key.first > frame.first):  # type: ignore[operator]
                # A complete keyframe behind the hole: skip to it at once.
                self._give_up_below(key.first)  # type: ignore[arg-type]
                self._drop(lambda f: f.lowest < key.first, skipped=True)  # type: ignore[operator]
                out.append(self._release(key))
                continue
            if not self._hole():
                self._hole_since = None
                return out
            if self._hole_since is None:
                self._hole_since = now
            if now - self._hole_since <= self.max_wait:
                return out
            # The hole was not repaired in time: give up on what it blocks, go on from a keyframe
            # (and stop asking for what is missing: a keyframe replaces it).
            self.broken = self.wants_keyframe = True
            self._hole_since = None
            self._give_up_below(max(self._have))
            self._drop(lambda f: not f.complete and not (f.keyframe and f.first is not None), skipped=True)
            continue

    def _give_up_below(self, limit: int) -> None:
        """Stop asking for the packets missing before ``limit``: a keyframe replaces them."""
        if self._next is not None:
            self.given_up.extend(s & 0xFFFF for s in range(self._next, limit) if s not in self._have)

    def _hole(self) -> bool:
        """A packet is missing after the next expected one while later ones are here."""
        if not self._have or self._next is None:
            return False
        return max(self._have) - self._next + 1 > len(self._have)

    def take_given_up(self) -> list[int]:
        given, self.given_up = self.given_up, []
        return given


def _missing(frame: _Pending) -> list[int]:
    if frame.first is None or frame.last is None:
        return []
    return [s for s in range(frame.first, frame.last + 1) if s not in frame.parts]


@dataclass(frozen=True)
class VideoReceiveStats:
    """What one received video section did so far (see the module's counters)."""

    frames_decoded: int = 0
    damaged_withheld: int = 0
    frames_skipped: int = 0
    frames_superseded: int = 0
    keyframes_requested: int = 0
    decode_errors: int = 0
    decode_seconds: float = 0.0

    def __add__(self, other: VideoReceiveStats) -> VideoReceiveStats:
        return VideoReceiveStats(*(a + b for a, b in zip(self._values(), other._values())))

    def __sub__(self, other: VideoReceiveStats) -> VideoReceiveStats:
        return VideoReceiveStats(*(a - b for a, b in zip(self._values(), other._values())))

    def _values(self) -> tuple:
        return (self.frames_decoded, self.damaged_withheld, self.frames_skipped, self.frames_superseded,
                self.keyframes_requested, self.decode_errors, self.decode_seconds)


class VideoReceiveTrack(MediaStreamTrack):
    """A received video section: RTP packets in (``push``), the latest good picture out."""

    kind = "video"

    def __init__(self, request_keyframe: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, max_wait: float = MAX_WAIT) -> None:
        super().__init__()
        self.assembler = FrameAssembler(max_wait)
        self.paused = False
        self.frames_decoded = 0
        self.frames_superseded = 0
        #: of those, pictures of keyframes (the picture taken after one follows a keyframe)
        self.keyframes_superseded = 0
        self.keyframes_requested = 0
        self.decode_errors = 0
        self.decode_seconds = 0.0
        self.packets = 0
        self._thread_withheld = 0  # frames the worker did not decode after a decode error
        self.frames_backlogged = 0  # frames skipped because the decoder was behind (loop thread)
        self._request = request_keyframe
        self._clock = clock
        self._last_request: float | None = None
        self._latest: av.VideoFrame | None = None
        self._latest_keyframe = False  # _latest is a keyframe's picture
        self._ready = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: queue.Queue[EncodedFrame | None] = queue.Queue()
        self._on_given_up: Callable[[list[int]], None] | None = None
        self._thread: threading.Thread | None = None
        self.playout = PlayoutDelay()
        self._last_due = 0.0  # pictures are due in order, even while the delay falls
        #: decoded pictures waiting for their playout time, in decoding order: (due, picture, keyframe)
        self._waiting: collections.deque[tuple[float | None, av.VideoFrame, bool]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None  # when the first of them is due
        #: told the RTP time of each picture as it is shown (lip sync: ``lipsync.LipSync``)
        self.on_shown: Callable[[int], None] | None = None

    @property
    def playout_delay(self) -> float:
        """Seconds each picture is held after its RTP time, beyond the fastest frame lately."""
        return self.playout.delay

    @property
    def stats(self) -> VideoReceiveStats:
        return VideoReceiveStats(self.frames_decoded, self.assembler.withheld + self._thread_withheld,
                                 self.assembler.skipped + self.frames_backlogged, self.frames_superseded,
                                 self.keyframes_requested, self.decode_errors, self.decode_seconds)

    def request_keyframe_with(self, request: Callable[[], None]) -> None:
        """``request()`` asks the sender for a keyframe (a PLI)."""
        self._request = request

    def stop_nacking_with(self, forget: Callable[[list[int]], None]) -> None:
        """``forget(seqs)`` is told the packets given up on (no use asking for them again)."""
        self._on_given_up = forget

    # --- packets in (on the event loop) ---------------------------------------------------------

    def push(self, seq: int, timestamp: int, marker: bool, payload: bytes) -> None:
        if self.readyState != "live" or self.paused:
            return
        self.packets += 1
        assembler = self.assembler
        now = self._clock()
        frames = assembler.push(seq, timestamp, marker, payload, now)
        for frame in frames:
            self.playout.arrived(frame.timestamp, now, frame.keyframe)
            self._decode(frame)
        if assembler.given_up and self._on_given_up is not None:
            self._on_given_up(assembler.take_given_up())
        if assembler.wants_keyframe:
            self.want_keyframe()

    def push_packet(self, packet) -> None:  # an aiortc RtpPacket
        self.push(packet.sequence_number, packet.timestamp, packet.marker, packet.payload)

    def want_keyframe(self) -> None:
        """Ask the sender for a keyframe, unless one was asked for lately (coalesced)."""
        now = self._clock()
        if self._last_request is not None and now - self._last_request < KEYFRAME_INTERVAL:
            return
        self._last_request = now
        self.keyframes_requested += 1
        if self._request is not None:
            self._request()

    def set_paused(self, paused: bool) -> None:
        """Paused: what arrives is dropped, not assembled or decoded; resuming asks for a keyframe."""
        if paused == self.paused:
            return
        self.paused = paused
        if paused:
            self.assembler.reset()
            self.playout.reset()
            self._latest = None
            self._last_due = 0.0
            self._forget_waiting()
        else:
            self.assembler.resuming = True
            self._last_request = None
            self.want_keyframe()

    def _decode(self, frame: EncodedFrame) -> None:
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._worker, name="parley-video-decoder", daemon=True)
            self._thread.start()
        if self._queue.qsize() >= MAX_BACKLOG and not frame.keyframe:
            self.frames_backlogged += 1  # the decoder is too far behind: on to the next keyframe
            self.assembler.break_chain()
            return
        self._queue.put(frame)

    # --- decoding (worker thread) ---------------------------------------------------------------

    def _worker(self) -> None:
        codec = av.CodecContext.create("libvpx", "r")
        broken = False
        previous: EncodedFrame | None = None  # the latest frame handed to the decoder
        while True:
            item = self._queue.get()
            if item is None:
                return
            if not broken and not item.follows(previous):
                # A frame it refers to never reached the decoder (dropped for the backlog after
                # it left the assembler, with frames released behind it): as a decode error.
                broken = True
                self._call(self._on_decode_error)
            if broken and not item.keyframe:
                self._thread_withheld += 1
                continue
            previous = item
            started = time.thread_time()
            packet = av.Packet(item.data)
            packet.pts, packet.time_base = item.timestamp, VIDEO_TIME_BASE
            try:
                frames = codec.decode(packet)
            except av.FFmpegError as exc:
                broken = True
                self.decode_errors += 1
                logger.info("video frame did not decode (%s): holding the last good picture", exc)
                self._call(self._on_decode_error)
                continue
            finally:
                self.decode_seconds += time.thread_time() - started
            broken = False
            for decoded in frames:
                self._call(self._deliver, decoded, item.keyframe)

    def _call(self, callback, *args) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(callback, *args)
            except RuntimeError:  # the loop closed meanwhile
                pass

    # --- pictures out (on the event loop) -------------------------------------------------------

    def _on_decode_error(self) -> None:
        self.assembler.break_chain()
        self.want_keyframe()

    def _deliver(self, frame: av.VideoFrame, keyframe: bool = False) -> None:
        """A picture decoded (``keyframe``: from a keyframe): shown now, or at its playout time
        if that is still to come."""
        if self.readyState != "live" or self.paused:
            return
        self.frames_decoded += 1
        due = self.playout.due(frame.pts) if frame.pts is not None else None
        now = self._clock()
        if due is not None:
            due = self._last_due = max(due, self._last_due)
        self._waiting.append((due, frame, keyframe))
        if self._timer is None:
            self._show_due(now)

    def _show_due(self, now: float | None = None) -> None:
        """Show the waiting pictures whose time has come, in decoding order: one not yet due
        holds back those behind it, so a picture is never shown after a newer one (a picture
        due at once behind one whose timer has not run yet would otherwise overtake it)."""
        self._timer = None
        now = self._clock() if now is None else now
        waiting = self._waiting
        while waiting:
            due, frame, keyframe = waiting[0]
            if due is not None and due > now + SHOW_EARLY and self._loop is not None:
                self._timer = self._loop.call_later(due - now, self._show_due)
                return
            waiting.popleft()
            self._show(frame, keyframe)

    def _forget_waiting(self) -> None:
        self._waiting.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _show(self, frame: av.VideoFrame, keyframe: bool = False) -> None:
        if self.readyState != "live" or self.paused:
            return
        if self._latest is not None:
            self.frames_superseded += 1
            self.keyframes_superseded += self._latest_keyframe
        self._latest, self._latest_keyframe = frame, keyframe
        if self.on_shown is not None and frame.pts is not None:
            self.on_shown(frame.pts)
        self._ready.set()

    async def recv(self) -> av.VideoFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frame, self._latest = self._latest, None
            if frame is not None:
                return frame
            self._ready.clear()
            await self._ready.wait()

    def stop(self) -> None:
        super().stop()
        self._forget_waiting()
        self._ready.set()
        if self._thread is not None:
            self._queue.put(None)
