"""Audio under loss: aiortc's receive path against Parley's (desktop/media/audio_receive.py).

    python bench/audio_loss.py [--loss 0,2,5] [--duration 30] [--jitter-ms 0] [--no-fec]
                               [--cpu-streams 16] [--cpu-seconds 10] [--seed 1] [--json]

For each loss rate, two aiortc peer connections on loopback (127.0.0.1, no STUN): a sender
whose audio track plays a coded tone, and a ``ReceiveConnection`` as the app uses it. Between
them, the sender's DTLS transport drops the given share of RTP packets at random (seeded; RTCP
and DTLS untouched) and, with ``--jitter-ms J``, delays each RTP packet by a uniform 0..J ms
(which also reorders them). The sender is the app's ``PublishConnection`` (audio only), so it
encodes Opus with in-band FEC (``seam.encode_opus_with_fec``), unless ``--no-fec`` puts back
aiortc's own encoder. No server is in between: the server answers
NACKs for audio from its history, but neither receive path sends any, so a direct pair measures
the same thing.

Every packet that arrives feeds three consumers at once, so all see the same losses:

* ``aiortc``: aiortc's own path (its jitter buffer and FFmpeg decoder), frames from the
  receiver's track;
* ``parley``: the ``AudioReceiveTrack`` that ``ReceiveConnection`` hands out;
* ``arrival``: each packet decoded the moment it arrives (no buffer): the latency floor.

How frames are told apart: every 20 ms frame the sender plays two tones, one of 8 low and one of
8 high frequencies, together a symbol for the frame number mod 64 (through a fixed shuffle, so
neighbours differ in both tones). The receiver reads the symbol of each 20 ms it gets from the
part of the frame that belongs to one sender frame (Opus delays the audio by a constant, found
from the ``arrival`` stream), and the frame number from the symbol and the capture times (the
only candidate captured 0..1.28 s earlier). Concealment repeats or smears the last frame's
tones and does not read as the missing frame: a sender frame counts as **missing** unless some
received frame reads as it, so frames concealed, dropped, or never delivered are all missing;
frames rebuilt from FEC count as delivered when they read right (they do).

Figures per path: missing % of the sender frames captured in the measuring window (after a
warm-up, up to 1 s before the end); latency = time the receiving ``recv()`` returned the frame
minus the time the sender's track returned it, p50/p95; "added" = that minus the ``arrival``
path's p50 (encode, SRTP, loopback and aiortc's packet handling). For Parley's path also its
counters: FEC rebuilds, concealments, inserted and dropped frames.

CPU (``--cpu-streams N``): N streams at once in one process, pre-encoded packets pushed every
20 ms with 2 % loss, consumed like the app's pump; process CPU over ``--cpu-seconds`` for
Parley's path, and for aiortc's path emulated with its own ``JitterBuffer``, ``decoder_worker``
thread and ``RemoteStreamTrack`` (what differs between the two; SRTP and RTP parsing are
common). As % of one core per stream.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import math
import queue
import random
import threading
import time
from dataclasses import dataclass, field

import av
import numpy as np
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpreceiver import RTCRtpReceiver

from desktop.media import seam
from desktop.media.audio_receive import AudioReceiveTrack, OpusDecoder
from desktop.media.peers import PublishConnection, ReceiveConnection
from desktop.media.synthetic.capture import RealTimePacer

RATE = 48000
FRAME = 960
LOW = [500.0 + 200.0 * i for i in range(8)]  # Hz
HIGH = [2100.0 + 200.0 * i for i in range(8)]
SYMBOLS = 64
_SHUFFLE = list(range(SYMBOLS))
random.Random(20261122).shuffle(_SHUFFLE)
_UNSHUFFLE = {symbol: k for k, symbol in enumerate(_SHUFFLE)}
SPAN = SYMBOLS * FRAME / RATE  # 1.28 s: frame numbers repeat their symbol this often
GUARD = 48  # samples left out at each end of the part read


def log(text: str = "") -> None:
    print(text, flush=True)


# --- the coded tone ---------------------------------------------------------------------------


class CodedTone(MediaStreamTrack):
    """A microphone playing, in frame k, the two tones of symbol ``_SHUFFLE[k % 64]``."""

    kind = "audio"

    def __init__(self, level_dbfs: float = -20.0) -> None:
        super().__init__()
        self.captured: list[float] = []  # monotonic time frame k was returned
        self._amplitude = 10 ** (level_dbfs / 20.0) * 32767 / 2 * math.sqrt(2)  # per tone
        self._phase = [0.0, 0.0]
        self._pacer = RealTimePacer(FRAME / RATE, max_lag=0.2)
        self._time_base = fractions.Fraction(1, RATE)
        self._n = np.arange(FRAME, dtype=np.float64)

    async def recv(self) -> av.AudioFrame:
        await self._pacer.live_slot(self)
        k = len(self.captured)
        symbol = _SHUFFLE[k % SYMBOLS]
        samples = np.zeros(FRAME)
        for i, f in enumerate((LOW[symbol % 8], HIGH[symbol // 8])):
            step = 2 * math.pi * f / RATE
            samples += self._amplitude * np.sin(self._phase[i] + step * self._n)
            self._phase[i] = (self._phase[i] + step * FRAME) % (2 * math.pi)
        frame = av.AudioFrame.from_ndarray(
            np.round(samples).astype(np.int16)[None, :], format="s16", layout="mono"
        )
        frame.sample_rate = RATE
        frame.pts = k * FRAME
        frame.time_base = self._time_base
        self.captured.append(time.monotonic())
        return frame


_BINS = 8192
_FREQ_BINS = [int(round(f * _BINS / RATE)) for f in LOW + HIGH]
_LOBE = 2 * _BINS // (FRAME - 2 * GUARD)  # a Hann window's main lobe, in bins (half width)


def read_symbol(mono: np.ndarray, offset: int) -> tuple[int, float]:
    """(symbol, confidence 0..1) read from samples [offset + GUARD, FRAME - GUARD) of a frame."""
    part = mono[offset + GUARD : FRAME - GUARD].astype(np.float64)
    if len(part) < 128 or not part.any():
        return -1, 0.0
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part)), _BINS))
    energy = spectrum**2
    power = np.array([energy[b - 1 : b + 2].max() for b in _FREQ_BINS])
    low, high = power[:8], power[8:]
    lo, hi = int(np.argmax(low)), int(np.argmax(high))
    margins = []
    for group, best in ((low, lo), (high, hi)):
        second = np.partition(group, -2)[-2]
        margins.append(1.0 - second / group[best] if group[best] > 0 else 0.0)
    # how much of what is heard the two tones hold (their main lobes, +-_LOBE bins)
    total = float(energy.sum())
    held = sum(float(energy[b - _LOBE : b + _LOBE + 1].sum()) for b in (_FREQ_BINS[lo], _FREQ_BINS[8 + hi]))
    purity = held / total if total > 0 else 0.0
    return lo + 8 * hi, min(min(margins), purity)


# --- the loss shim ----------------------------------------------------------------------------


@dataclass
class Shim:
    loss: float
    jitter: float  # seconds, uniform 0..jitter
    rng: random.Random
    sent: int = 0
    dropped: int = 0
    pending: set = field(default_factory=set)  # delayed sends not done yet


def inject_loss(pc: RTCPeerConnection, shim: Shim) -> None:
    """Drop / delay RTP packets that ``pc`` sends (before SRTP; RTCP and DTLS untouched)."""
    transport = pc.getSenders()[0].transport
    send = transport._send_rtp
    loop = asyncio.get_running_loop()

    async def send_rtp(data: bytes) -> None:
        if len(data) < 2 or 192 <= data[1] <= 223:  # RTCP
            await send(data)
            return
        shim.sent += 1
        if shim.rng.random() < shim.loss:
            shim.dropped += 1
            return
        if shim.jitter > 0:
            delay = shim.rng.uniform(0.0, shim.jitter)

            def later() -> None:
                shim.pending.discard(handle)
                task = asyncio.ensure_future(_quiet(send(data)))
                shim.pending.add(task)
                task.add_done_callback(shim.pending.discard)

            handle = loop.call_later(delay, later)
            shim.pending.add(handle)
            return
        await send(data)

    transport._send_rtp = send_rtp


async def _quiet(coro) -> None:
    try:
        await coro
    except ConnectionError:
        pass


# --- one run ----------------------------------------------------------------------------------


@dataclass
class Received:
    times: list[float] = field(default_factory=list)
    frames: list[np.ndarray] = field(default_factory=list)  # mono int16, FRAME samples each


async def _consume(track: MediaStreamTrack, into: Received) -> None:
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        now = time.monotonic()
        pcm = frame.to_ndarray().reshape(-1)
        channels = len(frame.layout.channels)
        mono = pcm[::channels] if channels > 1 else pcm
        if frame.format.name != "s16":
            continue
        # An accelerated/odd-sized frame is cut or padded to 20 ms for reading.
        if len(mono) != FRAME:
            mono = np.resize(mono, FRAME)
        into.times.append(now)
        into.frames.append(mono.copy())


async def run_pair(loss: float, duration: float, warmup: float, jitter: float, fec: bool,
                   seed: int) -> dict:
    """One sender/receiver pair; returns raw recordings for ``analyse``."""
    tone = CodedTone()
    publish = PublishConnection(tone, None, audio=True, video=False)  # Opus with FEC, as the app
    sender_pc = publish.pc
    if not fec:
        del sender_pc.getSenders()[0].send  # back to aiortc's own encoder (no FEC)

    tracks: dict[str, MediaStreamTrack] = {}
    receiver_conn = ReceiveConnection(lambda mid, track: tracks.__setitem__(mid, track))
    arrivals: list[tuple[float, int, bytes]] = []
    shim = Shim(loss, jitter, random.Random(seed))
    tasks: list[asyncio.Task] = []
    try:
        answer = await receiver_conn.answer(await publish.offer())
        await publish.accept(answer)
        inject_loss(sender_pc, shim)

        # Feed aiortc's own path and the arrival recorder from the same packets as ours.
        receiver = receiver_conn.pc.getTransceivers()[0].receiver
        ours = receiver._handle_rtp_packet

        async def handle(packet, arrival_time_ms: int) -> None:
            arrivals.append((time.monotonic(), packet.sequence_number, packet.payload))
            await ours(packet, arrival_time_ms)
            await RTCRtpReceiver._handle_rtp_packet(receiver, packet, arrival_time_ms)

        receiver._handle_rtp_packet = handle
        parley_track = next(iter(tracks.values()))
        assert isinstance(parley_track, AudioReceiveTrack)
        aiortc_track = receiver.track
        got = {"parley": Received(), "aiortc": Received()}
        tasks = [asyncio.ensure_future(_consume(parley_track, got["parley"])),
                 asyncio.ensure_future(_consume(aiortc_track, got["aiortc"]))]
        cpu0 = time.process_time()
        await asyncio.sleep(warmup + duration)
        cpu = time.process_time() - cpu0
        window = (tone.captured[0] + warmup if tone.captured else 0.0, time.monotonic() - 1.0)
        stats = parley_track.buffer.stats
        return {
            "captured": list(tone.captured), "window": window, "arrivals": arrivals,
            "received": got, "sent": shim.sent, "dropped": shim.dropped,
            "buffer": {k: v for k, v in vars(stats).items() if k != "delays"},
            "fec_available": parley_track.fec_available,
            "target_ms": parley_track.buffer.target * 1000,
            "process_cpu": cpu / (warmup + duration),
        }
    finally:
        for task in [*tasks, *shim.pending]:
            task.cancel()
        await receiver_conn.close()
        await publish.close()
        tone.stop()


# --- analysis ---------------------------------------------------------------------------------


def _symbols(frames: list[np.ndarray], offset: int) -> list[tuple[int, float]]:
    return [read_symbol(frame, offset) for frame in frames]


def find_offset(frames: list[np.ndarray]) -> int:
    """The codec delay: where in each decoded packet the sender's frame starts."""
    sample = frames[len(frames) // 4 : len(frames) // 4 + 100] or frames
    best = max(range(0, FRAME // 2, 16), key=lambda o: np.mean([c for _, c in _symbols(sample, o)]))
    return max(range(max(0, best - 16), best + 17, 2),
               key=lambda o: np.mean([c for _, c in _symbols(sample, o)]))


def identify(times: list[float], frames: list[np.ndarray], captured: list[float], offset: int,
             threshold: float) -> dict[int, float]:
    """Sender frame number -> time it was first received, for frames read with confidence."""
    delivered: dict[int, float] = {}
    captured_arr = np.array(captured)
    for t, (symbol, confidence) in zip(times, _symbols(frames, offset)):
        if confidence < threshold or symbol < 0:
            continue
        residue = _UNSHUFFLE[symbol]
        # the one candidate k = residue (mod 64) captured 0..SPAN before t
        latest = int(np.searchsorted(captured_arr, t, side="right")) - 1
        if latest < 0:
            continue
        k = latest - ((latest - residue) % SYMBOLS)
        if k < 0 or t - captured[k] >= SPAN:
            continue
        delivered.setdefault(k, t)
    return delivered


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def analyse(raw: dict, threshold: float = 0.5) -> dict:
    captured = raw["captured"]
    start, end = raw["window"]
    expected = [k for k, t in enumerate(captured) if start <= t <= end]
    # Each packet decoded in sequence order, dated by its arrival: what a receiver without any
    # buffer would play at best (its missing frames are the packets lost).
    ordered, high = [], None
    for t, seq, payload in raw["arrivals"]:
        ext = seq if high is None else high + ((seq - high + 0x8000) & 0xFFFF) - 0x8000
        high = ext if high is None else max(high, ext)
        ordered.append((ext, t, payload))
    ordered.sort(key=lambda item: item[0])
    arrival_times = [t for _, t, _ in ordered]
    decoder = OpusDecoder()
    arrival_frames = []
    for _, _, payload in ordered:
        pcm = decoder.decode(payload).reshape(-1, 2)[:, 0]
        arrival_frames.append(np.resize(pcm, FRAME))
    offset = find_offset(arrival_frames)
    paths = {"arrival": (arrival_times, arrival_frames)}
    paths.update({name: (rec.times, rec.frames) for name, rec in raw["received"].items()})
    figures: dict[str, dict] = {}
    for name, (times, frames) in paths.items():
        delivered = identify(times, frames, captured, offset, threshold)
        got = [k for k in expected if k in delivered]
        latencies = [(delivered[k] - captured[k]) * 1000 for k in got]
        in_window = [t for t in times if start <= t <= end + 1.0]
        figures[name] = {
            "missing_pct": 100.0 * (len(expected) - len(got)) / max(1, len(expected)),
            "missing": len(expected) - len(got),
            "expected": len(expected),
            "frames_out": len(in_window),
            "latency_p50_ms": pct(latencies, 0.5),
            "latency_p95_ms": pct(latencies, 0.95),
        }
    floor = figures["arrival"]["latency_p50_ms"] or 0.0
    for name in ("aiortc", "parley"):
        f = figures[name]
        f["added_p50_ms"] = None if f["latency_p50_ms"] is None else f["latency_p50_ms"] - floor
        f["added_p95_ms"] = None if f["latency_p95_ms"] is None else f["latency_p95_ms"] - floor
    return {"offset": offset, "paths": figures}


# --- CPU ----------------------------------------------------------------------------------------


def _encoded_packets(seconds: float) -> list[bytes]:
    encoder = seam.FecOpusEncoder()
    packets: list[bytes] = []
    phase = [0.0, 0.0]
    n = np.arange(FRAME)
    for k in range(int(seconds * 50)):
        symbol = _SHUFFLE[k % SYMBOLS]
        samples = np.zeros(FRAME)
        for i, f in enumerate((LOW[symbol % 8], HIGH[symbol // 8])):
            step = 2 * math.pi * f / RATE
            samples += 2300 * np.sin(phase[i] + step * n)
            phase[i] = (phase[i] + step * FRAME) % (2 * math.pi)
        frame = av.AudioFrame.from_ndarray(np.round(samples).astype(np.int16)[None, :],
                                           format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = k * FRAME
        frame.time_base = fractions.Fraction(1, RATE)
        payloads, _ = encoder.encode(frame)
        packets.extend(payloads)
    return packets


class _AiortcPath:
    """aiortc's audio receive path minus SRTP/parsing: JitterBuffer(16, prefetch=4), the
    decoder thread, and the RemoteStreamTrack it feeds."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        from aiortc.jitterbuffer import JitterBuffer
        from aiortc.rtcrtpparameters import RTCRtpCodecParameters
        from aiortc.rtcrtpreceiver import RemoteStreamTrack, TimestampMapper, decoder_worker

        self.codec = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2,
                                           payloadType=96)
        self.buffer = JitterBuffer(capacity=16, prefetch=4)
        self.mapper = TimestampMapper()
        self.track = RemoteStreamTrack("audio")
        self.input: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=decoder_worker, daemon=True,
                                       args=(loop, self.input, self.track._queue, threading.Event()))
        self.thread.start()

    def push(self, seq: int, ts: int, payload: bytes) -> None:
        from aiortc.rtp import RtpPacket
        packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=ts)
        packet.payload = payload
        packet._data = payload  # depayload() of Opus is the identity
        _, encoded = self.buffer.add(packet)
        if encoded is not None:
            encoded.timestamp = self.mapper.map(encoded.timestamp)
            self.input.put((self.codec, encoded))

    def close(self) -> None:
        self.input.put(None)


async def cpu_run(kind: str, streams: int, seconds: float, packets: list[bytes]) -> dict:
    loop = asyncio.get_running_loop()
    rng = random.Random(7)
    if kind == "parley":
        paths = [AudioReceiveTrack() for _ in range(streams)]
        tracks = paths
    elif kind == "aiortc":
        paths = [_AiortcPath(loop) for _ in range(streams)]
        tracks = [p.track for p in paths]
    else:
        paths, tracks = [], []
    counts = [0] * len(tracks)

    async def consume(i: int, track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except (MediaStreamError, asyncio.CancelledError):
                return
            counts[i] += 1

    consumers = [asyncio.ensure_future(consume(i, t)) for i, t in enumerate(tracks)]
    started = time.monotonic()
    cpu0 = time.process_time()
    seq, ts, index = 1000, 12345, 0
    while time.monotonic() - started < seconds:
        payload = packets[index % len(packets)]
        for path in paths:
            if rng.random() < 0.02:
                continue
            if kind == "parley":
                path.push(1234, seq & 0xFFFF, ts & 0xFFFFFFFF, payload)
            else:
                path.push(seq & 0xFFFF, ts & 0xFFFFFFFF, payload)
        seq, ts, index = seq + 1, ts + FRAME, index + 1
        deadline = started + index * FRAME / RATE
        while (wait := deadline - time.monotonic()) > 0:
            await asyncio.sleep(wait)
    cpu = time.process_time() - cpu0
    elapsed = time.monotonic() - started
    decode = sum(p.decode_seconds for p in paths) if kind == "parley" else None
    for consumer in consumers:
        consumer.cancel()
    for path in paths:
        if kind == "parley":
            path.stop()
        else:
            path.close()
    await asyncio.sleep(0.05)
    return {"cpu_pct": 100.0 * cpu / elapsed, "frames": sum(counts), "elapsed": elapsed,
            "decode_seconds": decode}


async def cpu_bench(streams: int, seconds: float) -> dict:
    packets = _encoded_packets(10.0)
    base = await cpu_run("none", streams, seconds, packets)
    result = {"streams": streams, "feeder_only_pct": base["cpu_pct"]}
    for kind in ("aiortc", "parley"):
        run = await cpu_run(kind, streams, seconds, packets)
        net = run["cpu_pct"] - base["cpu_pct"]
        result[kind] = {
            "process_cpu_pct": run["cpu_pct"],
            "per_stream_pct": net / streams,
            "us_per_frame": 1e6 * (net / 100.0) * run["elapsed"] / max(1, run["frames"]),
            "frames_per_s_per_stream": run["frames"] / run["elapsed"] / streams,
        }
        if run["decode_seconds"] is not None:  # of which on the decoding thread
            result[kind]["decode_us_per_frame"] = 1e6 * run["decode_seconds"] / max(1, run["frames"])
    return result


# --- main -------------------------------------------------------------------------------------


def _fmt(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


async def main_async(args: argparse.Namespace) -> dict:
    results: dict = {"runs": [], "args": vars(args)}
    for loss_pct in args.loss:
        raw = await run_pair(loss_pct / 100.0, args.duration, args.warmup, args.jitter_ms / 1000.0,
                             not args.no_fec, args.seed)
        figures = analyse(raw)
        run = {
            "loss_pct": loss_pct, "jitter_ms": args.jitter_ms, "fec": not args.no_fec,
            "rtp_sent": raw["sent"], "rtp_dropped": raw["dropped"],
            "measured_loss_pct": 100.0 * raw["dropped"] / max(1, raw["sent"]),
            "parley_buffer": raw["buffer"], "parley_fec_with_lbrr": raw["fec_available"],
            "parley_target_ms_at_end": raw["target_ms"],
            "pair_process_cpu_pct": 100.0 * raw["process_cpu"],
            **figures,
        }
        results["runs"].append(run)
        p = figures["paths"]
        log(f"loss {loss_pct:g} % (dropped {raw['dropped']}/{raw['sent']} RTP), jitter 0..{args.jitter_ms:g} ms, "
            f"FEC {'on' if not args.no_fec else 'off'}, codec offset {figures['offset']} samples")
        log(f"  {'path':8} {'missing':>14} {'latency p50/p95 ms':>20} {'added p50/p95 ms':>18}")
        for name in ("arrival", "aiortc", "parley"):
            f = p[name]
            added = ("" if name == "arrival"
                     else f"{_fmt(f['added_p50_ms'])} / {_fmt(f['added_p95_ms'])}")
            log(f"  {name:8} {f['missing_pct']:6.2f} % ({f['missing']:4d}) "
                f"{_fmt(f['latency_p50_ms']):>9} / {_fmt(f['latency_p95_ms']):<8} {added:>18}")
        b = raw["buffer"]
        log(f"  parley buffer: decoded {b['decoded']}, fec {b['fec']} (with LBRR {raw['fec_available']}), "
            f"concealed {b['concealed']}, expanded {b['expanded']}, accelerated {b['accelerated']}, "
            f"flushed {b['flushed']}, late {b['late']}, restarts {b['restarts']}, "
            f"target at end {raw['target_ms']:.1f} ms")
    if args.cpu_streams:
        cpu = await cpu_bench(args.cpu_streams, args.cpu_seconds)
        results["cpu"] = cpu
        log(f"CPU, {cpu['streams']} streams at 2 % loss (feeder alone {cpu['feeder_only_pct']:.1f} %):")
        for kind in ("aiortc", "parley"):
            c = cpu[kind]
            decode = c.get("decode_us_per_frame")
            log(f"  {kind:7} process {c['process_cpu_pct']:.1f} % of a core, "
                f"{c['per_stream_pct']:.2f} % per stream, {c['us_per_frame']:.0f} us per frame"
                + (f" (decoding thread {decode:.0f} us)" if decode is not None else "")
                + f", {c['frames_per_s_per_stream']:.1f} frames/s per stream")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loss", type=lambda s: [float(x) for x in s.split(",")], default=[0.0, 2.0, 5.0],
                        help="loss rates in percent, comma-separated (default 0,2,5)")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per rate")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--no-fec", action="store_true", help="sender without in-band FEC")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cpu-streams", type=int, default=16, help="0: skip the CPU figures")
    parser.add_argument("--cpu-seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print one JSON line at the end")
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(results, default=float))


if __name__ == "__main__":
    main()
