"""Parley's receive path for audio: an adaptive jitter buffer with Opus FEC and concealment.

aiortc's own audio path (a 16-packet buffer that prefetches 4 and waits behind any hole until it
overflows, then an FFmpeg decoder with no concealment) turns each lost packet into about five
lost frames and leaves the delay near 300 ms (DESIGN.md, Media). This module replaces it for
every audio section of the receive connection (``peers.ReceiveConnection``):

* ``JitterBuffer``: per section, on RTP packets (sequence numbers and timestamps), no I/O and no
  clock of its own, so the tests drive it with made-up packets and times. It keeps a playout
  position and, asked once per frame, says what to play there: the packet, a packet rebuilt
  from the next packet's in-band FEC, a concealed frame, an inserted frame (the delay grows) or
  two packets spliced into one frame (the delay shrinks). Its target delay follows the measured
  jitter: the 97th percentile of the packets' transit times over the last ~2.5 s, above the
  fastest of them, plus one frame (so the packet after a lost one, which carries the lost one's
  FEC, is there in time) and a small margin; within 20-200 ms. It grows at once and shrinks by
  at most 20 ms a second. On top of it comes ``extra_delay``, what lip sync holds the voice back
  for (``lipsync.LipSync``: to wait for a person's late video). Late packets are dropped; a new SSRC, a jump in the sequence or
  timestamps, or a stream that stops for more than 200 ms and starts again (mute, or the server
  moving the section to another attendee) restarts it cleanly; after a shorter stall it plays
  on from where the stream resumes.
* ``OpusDecoder``: libopus through ctypes, for what PyAV does not reach (``decode_fec`` and
  packet-loss concealment). The library is the one PyAV's wheel bundles (``av.libs``,
  ``av/.dylibs``), or the system's as a fallback: nothing beyond the pip packages.
* ``AudioReceiveTrack``: the MediaStreamTrack the session pumps. ``recv()`` returns one 48 kHz
  s16 stereo ``av.AudioFrame`` per 20 ms of playout, as aiortc's track does; decoding runs on a
  worker thread, never on the event loop (DESIGN.md, Media). While a stream is stopped it
  returns nothing, like aiortc's.

The sending side must produce FEC for any of it to be used: see ``seam.encode_opus_with_fec``.
"""

from __future__ import annotations

import asyncio
import bisect
import concurrent.futures
import ctypes
import ctypes.util
import fractions
import glob
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

__all__ = [
    "AudioReceiveTrack",
    "BufferStats",
    "JitterBuffer",
    "OpusDecoder",
    "Playout",
    "load_libopus",
    "opus_packet_samples",
]

SAMPLE_RATE = 48000
CHANNELS = 2  # as aiortc's decoder delivers: s16 stereo, whatever the sender encoded
FRAME_SAMPLES = 960  # 20 ms, what aiortc (and every WebRTC sender) puts in a packet
MAX_FRAME_SAMPLES = 5760  # 120 ms, the longest Opus packet
MAX_PACKETS = 500  # 10 s of 20 ms packets waiting: beyond, the oldest go
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)

# What a playout step does.
DECODE = "decoded"  # the packet at the position
FEC = "fec"  # the missing packet, rebuilt from the next one's in-band FEC
PLC = "concealed"  # the missing packet, concealed (no FEC at hand)
EXPAND = "expanded"  # a concealed frame inserted without moving on: the delay grows a frame
ACCELERATE = "accelerated"  # two packets spliced into one frame: the delay shrinks a frame


# --- libopus ----------------------------------------------------------------------------------


def _library_candidates() -> list[str]:
    """Where a libopus may be: the copy inside PyAV's wheel first, then the system's."""
    site = os.path.dirname(os.path.dirname(os.path.abspath(av.__file__)))
    patterns = [
        os.path.join(site, "av.libs", "*opus*"),  # manylinux (auditwheel), Windows (delvewheel)
        os.path.join(site, "av", ".dylibs", "*opus*"),  # macOS (delocate)
        os.path.join(site, "av", "*opus*"),
    ]
    found = [path for pattern in patterns for path in sorted(glob.glob(pattern))]
    system = ctypes.util.find_library("opus")
    if system:
        found.append(system)
    return found


_libopus: ctypes.CDLL | None = None
_libopus_lock = threading.Lock()


def load_libopus() -> ctypes.CDLL:
    """The libopus library with the prototypes this module uses (loaded once)."""
    global _libopus
    with _libopus_lock:
        if _libopus is not None:
            return _libopus
        errors = []
        for path in _library_candidates():
            try:
                lib = ctypes.CDLL(path)
                lib.opus_decoder_create  # noqa: B018 - a libopus, not just a name with "opus"
            except (OSError, AttributeError) as exc:
                errors.append(f"{path}: {exc}")
                continue
            break
        else:
            raise OSError("no libopus found (PyAV's wheel normally bundles one): " + "; ".join(errors))
        c_int, c_int32, c_void_p, c_char_p = ctypes.c_int, ctypes.c_int32, ctypes.c_void_p, ctypes.c_char_p
        lib.opus_decoder_create.argtypes = [c_int32, c_int, ctypes.POINTER(c_int)]
        lib.opus_decoder_create.restype = c_void_p
        lib.opus_decoder_destroy.argtypes = [c_void_p]
        lib.opus_decoder_destroy.restype = None
        lib.opus_decode.argtypes = [c_void_p, c_char_p, c_int32, c_void_p, c_int, c_int]
        lib.opus_decode.restype = c_int
        lib.opus_get_version_string.argtypes = []
        lib.opus_get_version_string.restype = c_char_p  # default int would truncate the pointer
        lib.opus_strerror.argtypes = [c_int]
        lib.opus_strerror.restype = c_char_p
        if hasattr(lib, "opus_packet_has_lbrr"):  # libopus >= 1.5
            lib.opus_packet_has_lbrr.argtypes = [c_char_p, c_int32]
            lib.opus_packet_has_lbrr.restype = c_int
        _libopus = lib
        return lib


class OpusDecoder:
    """One libopus decoder (48 kHz stereo s16). Not thread-safe: one caller at a time."""

    def __init__(self) -> None:
        self._lib = load_libopus()
        self._state: int | None = None
        self._pcm = np.zeros(MAX_FRAME_SAMPLES * CHANNELS, dtype=np.int16)
        self._pcm_ptr = self._pcm.ctypes.data
        self.reset()

    @property
    def version(self) -> str:
        return self._lib.opus_get_version_string().decode()

    def reset(self) -> None:
        """Forget the stream so far (a new one starts)."""
        self.close()
        error = ctypes.c_int(0)
        state = self._lib.opus_decoder_create(SAMPLE_RATE, CHANNELS, ctypes.byref(error))
        if not state or error.value != 0:
            raise RuntimeError(f"opus_decoder_create failed: {self._error(error.value)}")
        self._state = state

    def close(self) -> None:
        if self._state is not None:
            self._lib.opus_decoder_destroy(self._state)
            self._state = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def _error(self, code: int) -> str:
        return self._lib.opus_strerror(code).decode()

    def _run(self, data: bytes | None, frame_size: int, fec: int) -> npt.NDArray[np.int16]:
        count = self._lib.opus_decode(
            self._state, data, len(data) if data else 0, self._pcm_ptr, frame_size, fec
        )
        if count < 0:
            raise ValueError(f"opus_decode failed: {self._error(count)}")
        return self._pcm[: count * CHANNELS].copy()

    def decode(self, packet: bytes) -> npt.NDArray[np.int16]:
        """The packet's audio: interleaved stereo samples."""
        return self._run(packet, MAX_FRAME_SAMPLES, 0)

    def decode_fec(self, next_packet: bytes, samples: int) -> npt.NDArray[np.int16]:
        """The ``samples`` before ``next_packet``, from its in-band FEC (concealed if it has none)."""
        return self._run(next_packet, samples, 1)

    def conceal(self, samples: int) -> npt.NDArray[np.int16]:
        """``samples`` of packet-loss concealment (a multiple of 2.5 ms)."""
        return self._run(None, samples, 0)

    def has_fec(self, packet: bytes) -> bool:
        """Whether the packet carries in-band FEC (LBRR) for the one before it."""
        has = getattr(self._lib, "opus_packet_has_lbrr", None)
        return bool(has is not None and has(packet, len(packet)) > 0)


# Samples per frame of each TOC configuration (RFC 6716, 3.1), at 48 kHz.
_CONFIG_SAMPLES = (
    [480, 960, 1920, 2880] * 3  # SILK NB, MB, WB: 10, 20, 40, 60 ms
    + [480, 960] * 2  # hybrid SWB, FB: 10, 20 ms
    + [120, 240, 480, 960] * 4  # CELT NB, WB, SWB, FB: 2.5, 5, 10, 20 ms
)


def opus_packet_samples(packet: bytes) -> int:
    """Duration of an Opus packet in 48 kHz samples, from its TOC byte (0 if malformed)."""
    if not packet:
        return 0
    toc = packet[0]
    per_frame = _CONFIG_SAMPLES[toc >> 3]
    code = toc & 0x03
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    elif len(packet) < 2:
        return 0
    else:
        frames = packet[1] & 0x3F
    total = per_frame * frames
    return total if 0 < total <= MAX_FRAME_SAMPLES else 0


# --- the jitter buffer --------------------------------------------------------------------------


@dataclass(slots=True)
class Playout:
    """One playout step: what to decode for the next ``samples`` of output."""

    action: str  # DECODE, FEC, PLC, EXPAND or ACCELERATE
    samples: int  # output length (48 kHz samples per channel)
    payload: bytes | None = None  # DECODE/ACCELERATE: the packet; FEC: the packet after the gap
    second: bytes | None = None  # ACCELERATE: the packet spliced onto ``payload``
    reset: bool = False  # a new stream: reset the decoder first
    timestamp: int | None = None  # the RTP time played (None: a frame inserted, EXPAND)


@dataclass
class BufferStats:
    """Counters of one jitter buffer since it was made."""

    packets: int = 0  # packets accepted
    decoded: int = 0
    fec: int = 0  # lost packets rebuilt from FEC
    concealed: int = 0  # lost packets concealed
    expanded: int = 0  # frames inserted to grow the delay (or bridge an underrun)
    accelerated: int = 0  # packets dropped to shrink the delay
    flushed: int = 0  # packets dropped at once because the delay was far too long
    late: int = 0  # packets that came after their turn (dropped)
    duplicates: int = 0
    resets: int = 0  # new SSRC or a discontinuity
    restarts: int = 0  # the stream stopped (idle) and started again
    rewound: int = 0  # it stalled shortly and went on: concealed frames turned into inserted ones
    delays: list[float] = field(default_factory=list)  # not kept unless asked (keep_delays)


class JitterBuffer:
    """An adaptive jitter buffer for one audio stream of Opus RTP packets.

    ``push`` each packet with its arrival time; ``pop(now)`` once per output frame, at the time it
    is due, returns a ``Playout``, or None when there is nothing to play (not started yet, or the
    stream stopped). ``start_time()`` says when the first frame will be due. Times are seconds
    on any monotonic clock.

    The delay of the position being played is ``now`` minus the time its packet would have
    arrived at the fastest transit seen lately; the buffer keeps it near ``target`` by inserting
    a concealed frame (below target - hysteresis) or splicing two packets (above target +
    hysteresis, at most every ``accelerate_interval``).
    """

    def __init__(
        self,
        *,
        min_delay: float = 0.020,
        max_delay: float = 0.200,
        margin: float = 0.005,
        quantile: float = 0.97,
        window: int = 128,
        shrink_rate: float = 0.020,
        hysteresis: float = 0.015,
        accelerate_interval: float = 0.1,
        flush_excess: float = 0.250,
        idle_after: float = 0.200,
        conceal_underruns: int = 2,
        max_jump: float = 1.0,
        fec: bool = True,
        keep_delays: bool = False,
    ) -> None:
        if not 0 < min_delay <= max_delay:
            raise ValueError(f"need 0 < min_delay <= max_delay, got {min_delay}, {max_delay}")
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.margin = margin
        self.quantile = quantile
        self.window = window
        self.shrink_rate = shrink_rate
        self.hysteresis = hysteresis
        self.accelerate_interval = accelerate_interval
        self.flush_excess = flush_excess
        self.idle_after = idle_after
        self.conceal_underruns = conceal_underruns
        self.max_jump = max_jump
        self.fec = fec
        self.keep_delays = keep_delays
        self.stats = BufferStats()
        self.target = min_delay  # seconds
        #: seconds the voice is held beyond ``target`` (lip sync: ``lipsync.LipSync``)
        self.extra_delay = 0.0
        self._target_at: float | None = None
        self._ssrc: int | None = None
        self._reset_decoder = False
        self._transits: deque[float] = deque()
        self._sorted: list[float] = []  # the same transits, sorted
        self._clear_stream()

    # -- state -----------------------------------------------------------------------------------

    def _clear_stream(self) -> None:
        """Forget the packets and the position (not the learned target)."""
        self._packets: dict[int, tuple[int, bytes, int]] = {}  # ext seq -> (ext ts, payload, samples)
        self._high: int | None = None  # highest extended sequence number seen
        self._high_ts = 0  # its extended timestamp
        self._pos: int | None = None  # extended sequence number to play next
        self._pos_ts = 0  # its (expected) extended timestamp
        self._frame = FRAME_SAMPLES  # duration of the last packet, for concealment
        self._playing = False
        self._idle = False
        self._underrun = 0  # frames in a row with nothing to play
        self._underrun_concealed = 0  # of which concealed as lost (the position moved on)
        self._last_accelerate = float("-inf")
        self._clear_timing()

    def _clear_timing(self) -> None:
        self._transits.clear()
        self._sorted.clear()

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def buffered(self) -> int:
        """Packets waiting."""
        return len(self._packets)

    # -- input -----------------------------------------------------------------------------------

    def push(self, ssrc: int, seq: int, timestamp: int, payload: bytes, now: float) -> None:
        """Add one RTP packet (its header fields and Opus payload) that arrived at ``now``."""
        if ssrc != self._ssrc:
            if self._ssrc is not None:
                self._new_stream()
            self._ssrc = ssrc
        if self._high is None:
            ext, ext_ts = seq, timestamp
        else:
            ext = self._high + ((seq - self._high + 0x8000) & 0xFFFF) - 0x8000
            ext_ts = self._high_ts + ((timestamp - self._high_ts + 0x80000000) & 0xFFFFFFFF) - 0x80000000
            jump = self.max_jump * SAMPLE_RATE
            if abs(ext - self._high) > self.max_jump * 50 or abs(ext_ts - self._high_ts) > jump:
                self._new_stream()  # the source restarted, or the server switched it
                ext, ext_ts = seq, timestamp
        samples = opus_packet_samples(payload)
        if samples == 0:
            return  # not an Opus packet we can play
        transit = now - ext_ts / SAMPLE_RATE
        if self._idle or (self._sorted and abs(transit - self._sorted[0]) > self.max_jump):
            # It resumes after a stop, or timestamps and arrival disagree by more than any
            # jitter: a new timeline, from this packet on.
            self._restart(ext, ext_ts)
        elif ext in self._packets:
            self.stats.duplicates += 1
            return
        elif self._pos is not None and ext < self._pos:
            if not self._playing:
                self._pos, self._pos_ts = ext, ext_ts  # not started: start from the earliest
            elif not self._packets and ext >= self._pos - self._underrun_concealed:
                # The stream stalled and resumes (a short mute, a section moved to another
                # speaker, a delay spike): the frames concealed meanwhile stand as inserted
                # ones, and it plays on from here, on a new timeline.
                self.stats.rewound += 1
                self._pos, self._pos_ts = ext, ext_ts
                self._underrun_concealed = 0
                self._clear_timing()
            else:
                self._add_transit(transit)  # too late, but it tells how late packets come
                self.stats.late += 1
                return
        self._add_transit(transit)
        self._packets[ext] = (ext_ts, payload, samples)
        if self._high is None or ext > self._high:
            self._high, self._high_ts = ext, ext_ts
        if self._pos is None:
            self._pos, self._pos_ts = ext, ext_ts
        if len(self._packets) > MAX_PACKETS:  # nobody plays them (the track is not read)
            self._pos = min(self._packets)
            self._advance(1, self._packets[self._pos][0] + self._frame, self._frame)
            self.stats.flushed += 1
        self.stats.packets += 1

    def _add_transit(self, transit: float) -> None:
        if len(self._transits) >= self.window:
            old = self._transits.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, old)]
        self._transits.append(transit)
        bisect.insort(self._sorted, transit)

    def _new_stream(self) -> None:
        self.stats.resets += 1
        self._clear_stream()
        self._reset_decoder = True

    def _restart(self, ext: int, ext_ts: int) -> None:
        """The stream resumes after a stop: play on from this packet, on a new timeline."""
        self.stats.restarts += 1
        self._reset_decoder = True  # perhaps another speaker now: start the decoder afresh
        self._idle = False
        self._playing = False
        self._underrun = self._underrun_concealed = 0
        self._clear_timing()
        self._packets = {k: v for k, v in self._packets.items() if k >= ext}
        self._pos, self._pos_ts = ext, ext_ts

    # -- timing ------------------------------------------------------------------------------------

    def _update_target(self, now: float) -> float:
        if self._sorted:
            # rounded up, so that a few samples count their largest
            index = min(len(self._sorted) - 1, math.ceil(self.quantile * (len(self._sorted) - 1)))
            jitter = self._sorted[index] - self._sorted[0]
        else:
            jitter = 0.0
        wanted = self._frame / SAMPLE_RATE + jitter + self.margin
        wanted = min(self.max_delay, max(self.min_delay, wanted))
        if wanted >= self.target or self._target_at is None:
            self.target = wanted  # grow at once
        else:
            self.target = max(wanted, self.target - self.shrink_rate * max(0.0, now - self._target_at))
        self._target_at = now
        return self.target + self.extra_delay

    def delay(self, now: float) -> float | None:
        """How late the current position plays at ``now``, against its fastest arrival."""
        if self._pos is None or not self._sorted:
            return None
        entry = self._packets.get(self._pos)
        ts = entry[0] if entry is not None else self._pos_ts
        return now - (ts / SAMPLE_RATE + self._sorted[0])

    def start_time(self) -> float | None:
        """When playing (re)starts: the first packet waits ``target``. None: nothing to play."""
        if self._playing:
            return None
        entry = self._packets.get(self._pos) if self._pos is not None else None
        if entry is None or not self._sorted:
            return None
        return entry[0] / SAMPLE_RATE + self._sorted[0] + self.target + self.extra_delay

    # -- output ------------------------------------------------------------------------------------

    def pop(self, now: float) -> Playout | None:
        """What to play for the frame due at ``now``; None if nothing (yet, or any more)."""
        if self._pos is None or self._idle:
            return None
        target = self._update_target(now)
        entry = self._packets.get(self._pos)
        if not self._playing:
            start = self.start_time()
            if start is None or now < start - 1e-6:
                return None
            self._playing = True
        reset, self._reset_decoder = self._reset_decoder, False
        if entry is None:
            return self._missing(now, reset)
        ts, payload, samples = entry
        delay = now - (ts / SAMPLE_RATE + self._sorted[0])
        if self.keep_delays:
            self.stats.delays.append(delay)
        if delay > target + self.flush_excess:
            return self._flush(now, target, reset)
        if delay < target - self.hysteresis:
            return self._expand(reset)  # the target grew: make room
        self._underrun = self._underrun_concealed = 0
        following = self._packets.get(self._pos + 1)
        if (
            delay > target + self.hysteresis
            and following is not None
            and now - self._last_accelerate >= self.accelerate_interval
        ):
            self._last_accelerate = now
            self.stats.accelerated += 1
            self._advance(2, following[0] + following[2], following[2])
            return Playout(ACCELERATE, following[2], payload, following[1], reset, ts & 0xFFFFFFFF)
        self.stats.decoded += 1
        self._advance(1, ts + samples, samples)
        return Playout(DECODE, samples, payload, None, reset, ts & 0xFFFFFFFF)

    def _missing(self, now: float, reset: bool) -> Playout | None:
        samples = self._frame
        if not self._packets:  # underrun: nothing after the position either
            self._underrun += 1
            if self._underrun * samples > self.idle_after * SAMPLE_RATE:
                self._idle = True  # the stream stopped (muted, or moved): wait for it
                self._playing = False
                self._reset_decoder = reset
                return None
            delay = now - (self._pos_ts / SAMPLE_RATE + self._sorted[0])
            if self._underrun > self.conceal_underruns or delay < self.target + self.extra_delay - self.hysteresis:
                return self._expand(reset)  # late rather than lost, perhaps: wait a frame
            # Its turn came well after the latest arrival the jitter explains: lost, like as
            # not the one after too. Conceal it and move on (its successor brings FEC, if any).
            self._underrun_concealed += 1
        else:
            # a packet is lost (or later than its turn): rebuild it from the next one, or conceal
            self._underrun = self._underrun_concealed = 0
        following = self._packets.get(self._pos + 1)
        ts = self._pos_ts & 0xFFFFFFFF
        self._advance(1, self._pos_ts + samples, samples)
        if self.fec and following is not None:
            self.stats.fec += 1
            return Playout(FEC, samples, following[1], None, reset, ts)
        self.stats.concealed += 1
        return Playout(PLC, samples, None, None, reset, ts)

    def _expand(self, reset: bool) -> Playout:
        self.stats.expanded += 1
        return Playout(EXPAND, self._frame, None, None, reset)

    def _flush(self, now: float, target: float, reset: bool) -> Playout:
        """Far behind (a stall, a burst): skip to the packet that plays at ``target``."""
        goal = (now - self._sorted[0] - target) * SAMPLE_RATE
        keys = sorted(self._packets)
        keep = keys[-1]
        for key in keys:
            if self._packets[key][0] >= goal:
                keep = key
                break
        self.stats.flushed += sum(1 for key in keys if key < keep)
        ts, payload, samples = self._packets[keep]
        self._pos = keep
        self.stats.decoded += 1
        self._advance(1, ts + samples, samples)
        return Playout(DECODE, samples, payload, None, reset, ts & 0xFFFFFFFF)

    def _advance(self, count: int, next_ts: int, samples: int) -> None:
        packets = self._packets
        for seq in range(self._pos, self._pos + count):
            packets.pop(seq, None)
        self._pos += count
        self._pos_ts = next_ts
        self._frame = samples
        if packets and min(packets) < self._pos:  # after a flush
            for seq in [s for s in packets if s < self._pos]:
                del packets[seq]


# --- the track --------------------------------------------------------------------------------

_executor: concurrent.futures.ThreadPoolExecutor | None = None


def _decode_executor() -> concurrent.futures.ThreadPoolExecutor:
    """One thread decodes every stream's audio (about 40 us per 20 ms frame each)."""
    global _executor
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="parley-audio-decode")
    return _executor


_SPLICE = 120  # samples (2.5 ms) of cross-fade where two packets are spliced into one frame
_RAMP = np.linspace(0.0, 1.0, _SPLICE, dtype=np.float32)[:, None]


class AudioReceiveTrack(MediaStreamTrack):
    """A received audio section: RTP packets in (``push``), 20 ms frames out (``recv``).

    Frames are 48 kHz s16 stereo ``av.AudioFrame`` s, one per 20 ms of playout on the event
    loop's clock, like those of aiortc's track (pts counts output samples).
    """

    kind = "audio"

    def __init__(
        self,
        buffer: JitterBuffer | None = None,
        clock: Callable[[], float] = time.monotonic,
        executor: concurrent.futures.Executor | None = None,
    ) -> None:
        super().__init__()
        self.buffer = buffer or JitterBuffer()
        self.decode_seconds = 0.0  # thread CPU time spent decoding, for the bench
        self.fec_available = 0  # FEC steps whose packet really carried FEC
        self._clock = clock
        self._executor = executor
        self._decoder = OpusDecoder()
        self._arrived = asyncio.Event()
        self._next_slot: float | None = None
        self._out_samples = 0
        #: told the RTP time of each frame as it is played (lip sync: ``lipsync.LipSync``)
        self.on_played: Callable[[int], None] | None = None

    def push(self, ssrc: int, seq: int, timestamp: int, payload: bytes) -> None:
        """One RTP packet arrived (called on the event loop)."""
        self.buffer.push(ssrc, seq, timestamp, payload, self._clock())
        if self._next_slot is None:
            self._arrived.set()

    def push_packet(self, packet) -> None:  # an aiortc RtpPacket
        self.push(packet.ssrc, packet.sequence_number, packet.timestamp, packet.payload)

    def stop(self) -> None:
        super().stop()
        self._arrived.set()

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._next_slot is None:
                start = self.buffer.start_time()
                now = self._clock()
                if start is None or start > now:
                    self._arrived.clear()
                    timeout = None if start is None else start - now
                    try:
                        await asyncio.wait_for(self._arrived.wait(), timeout)
                    except asyncio.TimeoutError:
                        pass
                    continue
                self._next_slot = start
            wait = self._next_slot - self._clock()
            while wait > 0:  # asyncio.sleep may wake a little early
                await asyncio.sleep(wait)
                wait = self._next_slot - self._clock()
            if wait < -0.2:  # the consumer fell behind: do not replay the past in a burst
                self._next_slot = self._clock()
            elif wait < -0.002:
                # The loop was busy: packets that came meanwhile may still be on their way
                # through aiortc's transports (a task switch or two). Let them in first, or
                # they would be concealed now and dropped as late a moment after.
                for _ in range(3):
                    await asyncio.sleep(0)
            if self.readyState != "live":
                raise MediaStreamError
            playout = self.buffer.pop(self._next_slot)
            if playout is None:
                self._next_slot = None  # stopped: wait for packets again
                continue
            if self.on_played is not None and playout.timestamp is not None:
                self.on_played(playout.timestamp)
            pts = self._out_samples
            self._out_samples += playout.samples
            self._next_slot += playout.samples / SAMPLE_RATE
            executor = self._executor or _decode_executor()
            return await loop.run_in_executor(executor, self._render, playout, pts)

    def _render(self, playout: Playout, pts: int) -> av.AudioFrame:
        """Decode one playout step into a frame (on the decoding thread)."""
        started = time.thread_time()
        decoder = self._decoder
        if playout.reset:
            decoder.reset()
        action = playout.action
        try:
            if action == DECODE:
                pcm = decoder.decode(playout.payload)
            elif action == FEC:
                if decoder.has_fec(playout.payload):
                    self.fec_available += 1
                pcm = decoder.decode_fec(playout.payload, playout.samples)
            elif action == ACCELERATE:
                first = decoder.decode(playout.payload).reshape(-1, CHANNELS)
                pcm = decoder.decode(playout.second).reshape(-1, CHANNELS)
                n = min(_SPLICE, len(first), len(pcm))
                if n:
                    ramp = _RAMP[:n] if n == _SPLICE else np.linspace(0, 1, n, dtype=np.float32)[:, None]
                    pcm[:n] = (first[:n] * (1 - ramp) + pcm[:n] * ramp).astype(np.int16)
                pcm = pcm.reshape(-1)
            else:  # PLC, EXPAND
                pcm = decoder.conceal(playout.samples)
        except ValueError:
            pcm = np.zeros(playout.samples * CHANNELS, dtype=np.int16)  # a corrupt packet
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = pts
        frame.time_base = TIME_BASE
        self.decode_seconds += time.thread_time() - started
        return frame

