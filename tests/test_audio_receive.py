"""Parley's audio receive path (desktop/media/audio_receive.py) and the Opus FEC it relies on.

The jitter buffer is driven with made-up packet streams and times (no clock, no sockets); the
decoder with real Opus packets; and one loopback test runs the app's PublishConnection and
ReceiveConnection with 5 % of RTP packets dropped, counting frames against aiortc's own path.
"""

from __future__ import annotations

import asyncio
import fractions
import random
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc.codecs.opus import OpusEncoder

from desktop.media import seam
from desktop.media.audio_receive import (
    ACCELERATE,
    DECODE,
    EXPAND,
    FEC,
    PLC,
    AudioReceiveTrack,
    JitterBuffer,
    OpusDecoder,
    Playout,
    opus_packet_samples,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench/ under plain pytest
from bench import audio_loss  # noqa: E402

RATE = 48000
FRAME = 960
TOC_20MS = 0x78  # hybrid fullband, 20 ms, one frame


def payload(seq: int) -> bytes:
    """A minimal 20 ms Opus packet that says which sequence number it was."""
    return bytes([TOC_20MS]) + seq.to_bytes(4, "big")


def seq_of(data: bytes | None) -> int | None:
    return None if data is None else int.from_bytes(data[1:5], "big")


def stream(count: int, *, start_seq: int = 1000, start_ts: int = 50_000, ssrc: int = 7,
           t0: float = 10.0, delay=lambda k: 0.001) -> list[tuple[float, int, int, int, bytes]]:
    """Packets k = 0..count-1 sent every 20 ms: (arrival, ssrc, seq, ts, payload)."""
    return [
        (t0 + k * 0.02 + delay(k), ssrc, (start_seq + k) & 0xFFFF,
         (start_ts + k * FRAME) & 0xFFFFFFFF, payload((start_seq + k) & 0xFFFF))
        for k in range(count)
    ]


def drive(buffer: JitterBuffer, arrivals, end: float | None = None) -> list[tuple[float, Playout, float]]:
    """Play ``arrivals`` through ``buffer`` as AudioReceiveTrack.recv does: wait for the start
    time, then one pop per frame. Returns (time, playout, target) for every step."""
    events = sorted(arrivals, key=lambda a: a[0])
    end = end if end is not None else events[-1][0] + 0.5
    out: list[tuple[float, Playout, float]] = []
    slot: float | None = None
    i = 0
    while True:
        if slot is None:
            start = buffer.start_time()
            if start is not None and (i == len(events) or start <= events[i][0]):
                slot = start
            elif i < len(events):
                t, ssrc, seq, ts, data = events[i]
                buffer.push(ssrc, seq, ts, data, t)
                i += 1
                continue
            else:
                break
        while i < len(events) and events[i][0] <= slot:
            t, ssrc, seq, ts, data = events[i]
            buffer.push(ssrc, seq, ts, data, t)
            i += 1
        if slot > end:
            break
        playout = buffer.pop(slot)
        if playout is None:
            slot = None
            continue
        out.append((slot, playout, buffer.target))
        slot += playout.samples / RATE
    return out


def trimmed(steps) -> list[tuple[float, Playout, float]]:
    """The steps up to the last one that played a packet (not the concealment after the end)."""
    last = max(i for i, (_, p, _) in enumerate(steps) if p.action in (DECODE, ACCELERATE, FEC))
    return steps[: last + 1]


def actions(steps) -> list[str]:
    return [p.action for _, p, _ in trimmed(steps)]


def played(steps) -> list[int | None]:
    """The sequence numbers heard, in order (None: a concealed or inserted frame), without the
    concealment that follows the end of the stream."""
    heard: list[int | None] = []
    for _, p, _ in steps:
        if p.action == DECODE:
            heard.append(seq_of(p.payload))
        elif p.action == ACCELERATE:
            heard.append(seq_of(p.second))
        elif p.action == FEC:
            heard.append(seq_of(p.payload) - 1)
        else:
            heard.append(None)
    while heard and heard[-1] is None:
        heard.pop()
    return heard


# --- the jitter buffer --------------------------------------------------------------------------


def test_packet_durations_from_the_toc_byte() -> None:
    assert opus_packet_samples(payload(1)) == 960
    assert opus_packet_samples(bytes([0x78 | 1, 0, 0])) == 1920  # two 20 ms frames
    assert opus_packet_samples(bytes([0xF8 | 3, 3])) == 2880  # CELT 20 ms, code 3, three frames
    assert opus_packet_samples(bytes([0x08])) == 960  # SILK NB 20 ms
    assert opus_packet_samples(bytes([0x18])) == 2880  # SILK NB 60 ms
    assert opus_packet_samples(b"") == 0
    assert opus_packet_samples(bytes([0x7B])) == 0  # code 3 without its count byte


def test_steady_stream_plays_every_packet_once_after_a_short_wait() -> None:
    buffer = JitterBuffer()
    arrivals = stream(200)
    steps = drive(buffer, arrivals, end=arrivals[-1][0] + 2.0)
    assert played(steps) == [1000 + k for k in range(200)]
    assert [p.action for _, p, _ in steps[200:]] == [PLC] * 2 + [EXPAND] * 8  # then silence
    steps = steps[:200]
    first_time = steps[0][0]
    assert 0.020 <= first_time - arrivals[0][0] <= 0.030  # one frame for FEC + a small margin
    assert actions(steps) == [DECODE] * 200
    assert all(p.samples == FRAME and not p.reset for _, p, _ in steps)


def test_reordered_packets_are_put_back_in_order() -> None:
    # every pair swapped: the odd packet arrives 5 ms before the even one
    arrivals = stream(100, delay=lambda k: 0.001 + (0.0 if k % 2 else 0.026))
    buffer = JitterBuffer()
    steps = drive(buffer, arrivals)
    assert played(steps) == [1000 + k for k in range(100)]
    assert actions(steps) == [DECODE] * 100 and buffer.stats.late == 0


def test_a_lost_packet_is_rebuilt_from_the_next_ones_fec_and_two_in_a_row_concealed() -> None:
    lost = {20, 50, 51}
    arrivals = [a for k, a in enumerate(stream(100)) if k not in lost]
    buffer = JitterBuffer()
    steps = drive(buffer, arrivals)
    by_seq = {seq: p for seq, (_, p, _) in zip(range(1000, 1100), steps)}
    assert by_seq[1020].action == FEC and seq_of(by_seq[1020].payload) == 1021
    assert by_seq[1050].action == PLC  # nothing after it yet: concealed
    assert by_seq[1051].action == FEC and seq_of(by_seq[1051].payload) == 1052
    assert played(steps) == [None if k == 1050 else k for k in range(1000, 1100)]
    assert sorted(set(actions(steps))) == [PLC, DECODE, FEC]
    assert actions(steps).count(FEC) == 2 and actions(steps).count(PLC) == 1


def test_without_fec_a_lost_packet_is_concealed() -> None:
    arrivals = [a for k, a in enumerate(stream(60)) if k != 30]
    buffer = JitterBuffer(fec=False)
    steps = drive(buffer, arrivals)
    assert actions(steps).count(PLC) == 1 and FEC not in actions(steps)


def test_a_late_packet_is_dropped_after_its_turn() -> None:
    arrivals = stream(100, delay=lambda k: 0.300 if k == 40 else 0.001)
    buffer = JitterBuffer()
    steps = drive(buffer, arrivals)
    assert buffer.stats.late == 1
    assert buffer.stats.fec == 1  # its turn came first: rebuilt from 1041's FEC
    assert played(steps) == [1000 + k for k in range(100)]
    assert max(target for _, _, target in steps) < 0.030  # one outlier does not move the target


def test_jitter_grows_the_delay_quickly_and_it_shrinks_back_slowly() -> None:
    rng = random.Random(3)
    jitter = [rng.uniform(0.0, 0.080) if 100 <= k < 400 else 0.001 for k in range(1500)]
    arrivals = stream(1500, delay=lambda k: jitter[k])
    buffer = JitterBuffer(keep_delays=True)
    steps = drive(buffer, arrivals)
    t0 = arrivals[0][0]

    def target_at(seconds: float) -> float:
        return next(target for t, _, target in steps if t >= t0 + seconds)

    assert target_at(1.9) < 0.030  # before the jitter
    assert target_at(2.5) > 0.080  # 0.5 s into it: grown past the jitter
    assert target_at(7.9) > 0.080  # the jitter ended at 8 s
    assert target_at(9.0) > 0.060  # shrinking by at most 20 ms a second...
    assert target_at(18.0) < 0.030  # ...back where it was
    # the delay really played follows the target (frames inserted, then packets spliced out)
    late_delays = buffer.stats.delays[-100:]
    assert max(late_delays) < 0.045
    assert buffer.stats.expanded > 0 and buffer.stats.accelerated > 0
    # as the target is the 97th percentile of the jitter, about 3 % of packets came too late
    assert buffer.stats.late <= 0.04 * 300
    heard = played(steps)
    assert heard[-200:] == [1000 + k for k in range(1300, 1500)]


def test_a_new_ssrc_restarts_cleanly() -> None:
    a = stream(50, ssrc=1, start_seq=65500, start_ts=4_294_960_000)  # both wrap around
    last = a[-1][0]
    b = stream(50, ssrc=2, start_seq=300, start_ts=77, t0=last + 0.02)
    buffer = JitterBuffer()
    steps = drive(buffer, a + b)
    heard = played(steps)
    # what was still buffered of the old stream (up to the target's worth) is dropped
    assert heard[:49] == [(65500 + k) & 0xFFFF for k in range(49)]
    assert heard[-50:] == list(range(300, 350))
    assert [p.reset for _, p, _ in steps].count(True) == 1
    assert next(p for _, p, _ in steps if p.reset).payload == payload(300)
    assert buffer.stats.resets == 1 and buffer.stats.late == 0


def test_a_stream_that_stops_goes_quiet_and_plays_again_when_it_resumes() -> None:
    # muted for 3 s: sequence numbers and timestamps go on where they stopped (aiortc's sender)
    first = stream(50)
    second = stream(50, start_seq=1050, start_ts=50_000 + 50 * FRAME, t0=first[-1][0] + 3.0)
    buffer = JitterBuffer()
    steps = drive(buffer, first + second)
    stop = first[-1][0]
    quiet = [t for t, _, _ in steps if stop + 0.3 < t < second[0][0]]
    assert quiet == []  # nothing played while stopped (at most 200 ms of concealment)
    assert played(steps)[-50:] == list(range(1050, 1100))
    assert buffer.stats.restarts == 1 and buffer.stats.late == 0
    resumed = next(p for t, p, _ in steps if t > second[0][0])
    assert resumed.reset  # perhaps another speaker on this section: a fresh decoder


def test_a_short_stall_loses_nothing() -> None:
    # 120 ms without packets (a short mute, or the section moved to another speaker), then the
    # sequence goes on, 120 ms later than its timestamps say
    first = stream(50)
    second = stream(50, start_seq=1050, start_ts=50_000 + 50 * FRAME, t0=first[-1][0] + 0.14)
    buffer = JitterBuffer(keep_delays=True)
    steps = drive(buffer, first + second)
    heard = [seq for seq in played(steps) if seq is not None]
    assert heard == list(range(1000, 1100))
    assert buffer.stats.rewound == 1 and buffer.stats.late == 0
    assert buffer.stats.delays[-1] < 0.040  # and the delay is back to normal


def test_a_jump_in_sequence_numbers_restarts_the_stream() -> None:
    first = stream(50)
    second = stream(50, start_seq=9000, start_ts=50_000 + 50 * FRAME, t0=first[-1][0] + 0.02)
    buffer = JitterBuffer()
    steps = drive(buffer, first + second)
    assert played(steps)[-50:] == list(range(9000, 9050))
    assert buffer.stats.resets == 1


def test_a_burst_after_a_stall_is_flushed_down_to_the_target() -> None:
    # 600 ms without packets, then all at once (and the stream goes on)
    arrivals = stream(200, delay=lambda k: max(0.001, 2.6 - k * 0.02) if 100 <= k < 130 else 0.001)
    buffer = JitterBuffer(idle_after=1.0, keep_delays=True)
    drive(buffer, arrivals)
    # 28 frames were inserted while waiting; most of that is skipped at once, down to the
    # target, which the burst raised to its maximum
    assert buffer.stats.flushed >= 5
    assert buffer.target == pytest.approx(0.200)
    assert max(buffer.stats.delays[-60:]) <= 0.200 + 0.015


# --- decoding -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fec_packets() -> list[bytes]:
    """2 s of the bench's coded tone, encoded as PublishConnection's sender does."""
    return audio_loss._encoded_packets(2.0)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def test_fec_rebuilds_a_lost_packet_much_better_than_concealment(fec_packets) -> None:
    reference = OpusDecoder()
    clean = [reference.decode(p) for p in fec_packets]
    assert all(len(pcm) == 2 * FRAME for pcm in clean)
    for lost in (30, 51, 77):
        with_fec, without = OpusDecoder(), OpusDecoder()
        for packet in fec_packets[:lost]:
            with_fec.decode(packet)
            without.decode(packet)
        assert with_fec.has_fec(fec_packets[lost + 1])
        rebuilt = with_fec.decode_fec(fec_packets[lost + 1], FRAME)
        concealed = without.conceal(FRAME)
        assert len(rebuilt) == len(concealed) == 2 * FRAME
        assert correlation(rebuilt, clean[lost]) > 0.9
        assert correlation(concealed, clean[lost]) < 0.7


def test_only_the_fec_encoder_puts_fec_in_its_packets() -> None:
    decoder = OpusDecoder()
    assert decoder.version.startswith("libopus")
    packets = {}
    for name, encoder in (("aiortc", OpusEncoder()), ("parley", seam.FecOpusEncoder())):
        rng = np.random.default_rng(1)
        out = []
        for k in range(25):
            # speech-like: a buzz whose pitch moves
            t = np.arange(FRAME) + k * FRAME
            samples = 3000 * np.sign(np.sin(2 * np.pi * (120 + 40 * np.sin(k / 5)) * t / RATE))
            samples = (samples + rng.normal(0, 300, FRAME)).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = k * FRAME
            frame.time_base = fractions.Fraction(1, RATE)
            out += encoder.encode(frame)[0]
        packets[name] = out[5:]
    assert not any(decoder.has_fec(p) for p in packets["aiortc"])
    assert sum(decoder.has_fec(p) for p in packets["parley"]) >= len(packets["parley"]) // 2


async def test_the_track_delivers_20_ms_stereo_frames_like_aiortcs(fec_packets) -> None:
    track = AudioReceiveTrack()
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def feed() -> None:
        for k, packet in enumerate(fec_packets[:25]):
            if k != 10:  # one lost
                track.push(99, 500 + k, 1000 + k * FRAME, packet)
            await asyncio.sleep(max(0.0, start + (k + 1) * 0.02 - loop.time()))

    feeder = asyncio.ensure_future(feed())
    frames = [await asyncio.wait_for(track.recv(), 2.0) for _ in range(20)]
    await feeder
    assert [f.pts for f in frames] == [k * FRAME for k in range(20)]
    for frame in frames:
        assert (frame.format.name, frame.layout.name, frame.sample_rate, frame.samples) == (
            "s16", "stereo", RATE, FRAME)
    assert track.buffer.stats.fec == 1 and track.fec_available == 1
    track.stop()
    with pytest.raises(Exception):
        await track.recv()


# --- loopback -----------------------------------------------------------------------------------


async def test_loopback_at_5_percent_loss_loses_far_fewer_frames_than_aiortc() -> None:
    raw = await audio_loss.run_pair(loss=0.05, duration=6.0, warmup=1.5, jitter=0.0, fec=True, seed=5)
    figures = audio_loss.analyse(raw)["paths"]
    expected = figures["parley"]["expected"]
    assert expected >= 200
    assert raw["dropped"] >= 10  # the shim did drop packets
    lost_packets = figures["arrival"]["missing"]
    assert lost_packets >= 0.02 * expected
    aiortc, parley = figures["aiortc"]["missing"], figures["parley"]["missing"]
    # aiortc loses several frames per lost packet; Parley's path rebuilds most lost packets from
    # FEC (loose bounds: a loaded machine adds jitter, which both paths see)
    assert aiortc >= 3 * lost_packets
    assert parley < lost_packets and 4 * parley <= aiortc, (parley, lost_packets, aiortc)
    assert raw["buffer"]["fec"] >= lost_packets // 2 and raw["fec_available"] >= 1


def test_a_mono_voice_arrives_as_loud_as_it_was_said() -> None:
    """aiortc upmixes mono to stereo at -3 dB a channel; Parley's encoder sends both channels
    at the microphone's level."""
    from aiortc.codecs.opus import OpusDecoder
    from aiortc.jitterbuffer import JitterFrame

    encoder, decoder = seam.FecOpusEncoder(), OpusDecoder()
    t = np.arange(960 * 50) / 48000
    said = (np.sin(2 * np.pi * 440 * t) * 0.1 * 32767).astype(np.int16)
    heard = []
    for i in range(50):
        frame = av.AudioFrame.from_ndarray(said[i * 960:(i + 1) * 960].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 48000, i * 960, fractions.Fraction(1, 48000)
        packets, timestamp = encoder.encode(frame)
        for packet in packets:
            for decoded in decoder.decode(JitterFrame(data=packet, timestamp=timestamp)):
                heard.append(decoded.to_ndarray().reshape(-1, 2))
    out = np.concatenate(heard[10:]).astype(np.float64)

    def dbfs(x) -> float:
        return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) / 32768)

    for channel in (0, 1):
        assert abs(dbfs(out[:, channel]) - dbfs(said)) < 0.5
