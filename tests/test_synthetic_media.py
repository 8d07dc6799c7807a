"""Stamps, the synthetic camera and microphone (desktop/media/synthetic: stamp.py, capture.py, patterns.py)."""

from __future__ import annotations

import asyncio
import fractions
import math

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import compute_audio_level_dbov

from desktop.media.synthetic.replay import create_vp8_encoder
from desktop.media.synthetic.stamp import Stamp, luma_view, read_stamp, read_stamp_luma, write_stamp
from desktop.media.synthetic.capture import RealTimePacer, SyntheticCamera, SyntheticMicrophone, tone_samples
from desktop.media.synthetic.patterns import MovingPattern

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def cell(y_plane: np.ndarray, row: int, column: int) -> np.ndarray:
    """The pixels of one stamp cell (40 columns of width/40, rows of height/24)."""
    height, width = y_plane.shape
    x0, x1 = round(column * width / 40), round((column + 1) * width / 40)
    y0, y1 = round(row * height / 24), round((row + 1) * height / 24)
    return y_plane[y0:y1, x0:x1]


# --- stamps -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(640, 360), (320, 180)])
def test_stamp_round_trips_through_vp8_at_300_kbps(size: tuple[int, int]) -> None:
    width, height = size
    encoder = create_vp8_encoder(width, height, fps=30, bitrate=300_000)
    decoder = av.CodecContext.create("libvpx", "r")
    pattern = MovingPattern(width, height)
    sent: list[Stamp] = []
    read: list[Stamp | None] = []
    for index in range(40):
        # A live camera's clock moves ~33 ms a frame, flipping many low bits every frame.
        stamp = Stamp(frame_number=1000 + index, captured_ms=EPOCH_MS + index * 33)
        sent.append(stamp)
        frame = pattern.render(stamp.frame_number, stamp.captured_ms)
        frame.pts = index
        frame.time_base = encoder.time_base
        for packet in encoder.encode(frame):
            read.extend(read_stamp(decoded) for decoded in decoder.decode(packet))
    assert read == sent


def test_stamp_reads_from_rescaled_and_converted_frames() -> None:
    frame = MovingPattern(640, 360).render(123456, EPOCH_MS)
    expected = Stamp(123456, EPOCH_MS)
    for width, height in [(320, 180), (480, 270), (1280, 720), (854, 480), (640, 480)]:
        assert read_stamp(frame.reformat(width=width, height=height)) == expected, (width, height)
    # Formats without a luma plane first are converted to grey before reading.
    assert read_stamp(frame.reformat(format="rgb24")) == expected
    assert read_stamp(frame.reformat(format="nv12")) == expected


def test_frame_without_stamp_reads_as_none() -> None:
    grey = av.VideoFrame.from_ndarray(np.full((360, 640, 3), 128, np.uint8), format="rgb24")
    assert read_stamp(grey.reformat(format="yuv420p")) is None
    noise = np.random.default_rng(7).integers(0, 256, (180, 320), dtype=np.uint8)
    assert read_stamp_luma(noise) is None
    assert read_stamp_luma(np.zeros((20, 30), np.uint8)) is None  # too small to hold a stamp


def test_corrupted_stamp_reads_as_none() -> None:
    y_plane = np.full((360, 640), 100, np.uint8)
    write_stamp(y_plane, Stamp(42, EPOCH_MS))
    assert read_stamp_luma(y_plane) == Stamp(42, EPOCH_MS)

    flipped_data = y_plane.copy()
    data_cell = cell(flipped_data, row=1, column=20)
    data_cell[:] = 251 - data_cell  # black <-> white: one data bit flipped
    assert read_stamp_luma(flipped_data) is None

    flipped_guard = y_plane.copy()
    guard_cell = cell(flipped_guard, row=0, column=0)
    guard_cell[:] = 251 - guard_cell
    assert read_stamp_luma(flipped_guard) is None


def test_write_stamp_honours_a_strided_plane_view() -> None:
    frame = av.VideoFrame(322, 182, "yuv420p")  # line_size is padded past the width
    y_plane = luma_view(frame)
    y_plane[:] = 128
    write_stamp(y_plane, Stamp(7, 99))
    assert read_stamp(frame) == Stamp(7, 99)


def test_stamp_values_are_range_checked() -> None:
    with pytest.raises(ValueError):
        Stamp(-1, 0)
    with pytest.raises(ValueError):
        Stamp(0, 1 << 48)
    with pytest.raises(ValueError):
        write_stamp(np.zeros((40, 60), np.uint8), Stamp(0, 0))


# --- pacing -----------------------------------------------------------------------------------


class FakeTime:
    """A monotonic clock whose sleep advances it, so pacing is tested without waiting."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_pacer_keeps_a_fixed_grid_catches_up_and_skips_long_stalls() -> None:
    fake = FakeTime()
    pacer = RealTimePacer(0.1, max_lag=0.25, clock=fake.clock, sleep=fake.sleep)
    assert [await pacer.next_slot() for _ in range(3)] == [0, 1, 2]
    assert fake.now == pytest.approx(100.2)
    fake.now += 0.03  # work between frames does not shift the grid
    assert await pacer.next_slot() == 3
    assert fake.now == pytest.approx(100.3)
    fake.now += 0.2  # 0.1 s late for slot 4: within max_lag, delivered at once
    assert await pacer.next_slot() == 4
    assert await pacer.next_slot() == 5
    assert fake.now == pytest.approx(100.5)
    fake.now += 1.0  # a long stall: skip to the current slot instead of bursting
    assert await pacer.next_slot() == 15
    assert await pacer.next_slot() == 16
    assert fake.now == pytest.approx(101.6)


# --- camera -----------------------------------------------------------------------------------


async def test_camera_frames_have_size_pts_and_stamps() -> None:
    wall = iter([1000.0, 1000.02, 1000.04, 1000.061])
    camera = SyntheticCamera(320, 180, fps=50, wall_clock=lambda: next(wall))
    frames = [await camera.recv() for _ in range(4)]

    assert camera.kind == "video"
    assert all((f.width, f.height, f.format.name) == (320, 180, "yuv420p") for f in frames)
    assert all(f.time_base == fractions.Fraction(1, 90000) for f in frames)
    pts = [f.pts for f in frames]
    assert pts[0] == 0 and all(b - a >= 1800 for a, b in zip(pts, pts[1:]))
    assert [read_stamp(f) for f in frames] == [
        Stamp(0, 1_000_000),
        Stamp(1, 1_000_020),
        Stamp(2, 1_000_040),
        Stamp(3, 1_000_061),
    ]
    # The pattern moves: the pictures below the stamp differ from frame to frame.
    pictures = [f.to_ndarray(format="gray")[40:] for f in frames]
    assert all(not np.array_equal(a, b) for a, b in zip(pictures, pictures[1:]))
    camera.stop()


async def test_camera_stamps_the_real_wall_clock_by_default() -> None:
    import time

    camera = SyntheticCamera(160, 90)
    before = int(time.time() * 1000)
    stamp = read_stamp(await camera.recv())
    after = int(time.time() * 1000)
    assert stamp is not None and before <= stamp.captured_ms <= after


async def test_camera_stop_is_idempotent_and_ends_recv() -> None:
    camera = SyntheticCamera(160, 90, fps=5)
    await camera.recv()
    pending = asyncio.ensure_future(camera.recv())  # waits ~200 ms for its slot
    await asyncio.sleep(0.01)
    camera.stop()
    camera.stop()
    assert camera.readyState == "ended"
    with pytest.raises(MediaStreamError):
        await pending
    with pytest.raises(MediaStreamError):
        await camera.recv()


def test_moving_pattern_rejects_odd_or_tiny_sizes() -> None:
    with pytest.raises(ValueError):
        MovingPattern(641, 360)
    with pytest.raises(ValueError):
        MovingPattern(64, 36)


# --- microphone -------------------------------------------------------------------------------


async def test_microphone_frames_are_20ms_s16_mono_at_48khz_near_minus_20_dbfs() -> None:
    microphone = SyntheticMicrophone()
    assert microphone.kind == "audio" and microphone.level == 0.0
    frames = [await microphone.recv() for _ in range(3)]

    for index, frame in enumerate(frames):
        assert (frame.samples, frame.sample_rate) == (960, 48000)
        assert (frame.format.name, frame.layout.name) == ("s16", "mono")
        assert frame.time_base == fractions.Fraction(1, 48000)
        assert compute_audio_level_dbov(frame) == -20  # what aiortc puts in the RTP header
    assert [f.pts for f in frames] == [0, 960, 1920]
    assert 20 * math.log10(microphone.level) == pytest.approx(-20.0, abs=0.1)
    # A continuous tone: the frames join without a phase jump.
    samples = np.concatenate([f.to_ndarray()[0] for f in frames])
    amplitude = math.sqrt(2) * 0.1 * 32767
    np.testing.assert_array_equal(samples, tone_samples(0, 2880, 440.0, amplitude, 48000))
    microphone.stop()


async def test_microphone_stop_ends_recv() -> None:
    microphone = SyntheticMicrophone(level_dbfs=-30.0)
    await microphone.recv()
    assert 20 * math.log10(microphone.level) == pytest.approx(-30.0, abs=0.1)
    microphone.stop()
    microphone.stop()
    with pytest.raises(MediaStreamError):
        await microphone.recv()
    with pytest.raises(ValueError):
        SyntheticMicrophone(level_dbfs=0.0)  # a sine at 0 dBFS RMS would clip
