"""Qt Multimedia devices on a machine without any: nothing crashes, frames convert, ends are told.

Run with QT_QPA_PLATFORM=offscreen. Real capture and playback need hardware; what can be
exercised without it is: listing and change signals, QVideoFrame -> av.VideoFrame for the
common pixel formats (checked against the bytes written and against Qt's own conversion), the
video sink track, audio format conversion, the speaker's feeding logic, and how each device
ends when Qt cannot open it.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable

import av
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSize  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtMultimedia import (  # noqa: E402
    QAudioDevice,
    QAudioFormat,
    QAudioSink,
    QCameraDevice,
    QVideoFrame,
    QVideoFrameFormat,
    QVideoSink,
)

from desktop.media.devices import Device, DeviceKind, DeviceManager, DeviceUnavailable  # noqa: E402
from desktop.media.synthetic.backend import SyntheticBackend  # noqa: E402
from desktop.media.mixer import Mixer  # noqa: E402
from desktop.media.qt.audio import AudioThread, DeviceWatcher, PcmConverter  # noqa: E402
from desktop.media.qt.backend import QtBackend  # noqa: E402
from desktop.media.qt.camera import QtCameraTrack, choose_camera_format  # noqa: E402
from desktop.media.qt.frames import video_frame_to_av  # noqa: E402
from desktop.media.qt.microphone import QtMicrophoneTrack  # noqa: E402
from desktop.media.qt.speaker import Feeder, QtSpeaker  # noqa: E402
from desktop.media.qt.video_sink import VideoSinkTrack  # noqa: E402

PF = QVideoFrameFormat.PixelFormat


@pytest.fixture(scope="module")
def qapp():
    # A QApplication (not just a QGuiApplication): the one instance of the process must also
    # serve widget tests that run after these.
    from PySide6.QtWidgets import QApplication

    yield QCoreApplication.instance() or QApplication([])


def process_until(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents()
        time.sleep(0.002)
    return True


# -- the backend ---------------------------------------------------------------------------------


def test_backend_lists_no_devices_here_and_wires_change_signals(qapp) -> None:
    backend = QtBackend()
    try:
        for kind in DeviceKind:
            listed = backend.devices(kind)
            assert isinstance(listed, list) and all(isinstance(d, Device) for d in listed)
        fired: list[str] = []
        backend.on_changed(lambda: fired.append("changed"))
        backend.on_changed(lambda: 1 / 0)  # a broken listener is logged, not raised
        backend._media.audioInputsChanged.emit()
        backend._media.videoInputsChanged.emit()
        backend._media.audioOutputsChanged.emit()
        assert fired == ["changed"] * 3
        manager = DeviceManager([backend, SyntheticBackend()])
        if not backend.devices(DeviceKind.MICROPHONE):
            assert manager.default(DeviceKind.MICROPHONE).synthetic
        with pytest.raises(DeviceUnavailable):
            backend.open_microphone(Device(DeviceKind.MICROPHONE, "00ff", "Gone"))
    finally:
        backend.close()
        backend.close()


class FakeOpened:
    def __init__(self, kind: DeviceKind, id_: str) -> None:
        self.device_kind, self.device_id, self.device_name = kind, id_, "Headset"
        self.lost: list[str] = []
        self.closed = False
        self.finished = False

    def device_lost(self, reason: str) -> None:
        self.lost.append(reason)

    def close_device(self) -> None:
        self.closed = True


def test_backend_ends_what_was_opened_on_a_vanished_device(qapp) -> None:
    backend = QtBackend()
    headset = FakeOpened(DeviceKind.SPEAKER, "0badc0de")
    camera = FakeOpened(DeviceKind.CAMERA, "0badc0de")
    backend._opened += [headset, camera]
    backend._media.audioOutputsChanged.emit()  # the list no longer has it
    assert headset.lost == ["Headset was disconnected"] and camera.lost == []
    backend.close()
    assert headset.closed and camera.closed


# -- QVideoFrame -> av.VideoFrame -----------------------------------------------------------------


def make_frame(pf, width: int, height: int, fill: Callable[[int, np.ndarray], None]) -> QVideoFrame:
    frame = QVideoFrame(QVideoFrameFormat(QSize(width, height), pf))
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    for plane in range(frame.planeCount()):
        rows = np.frombuffer(frame.bits(plane), np.uint8, count=frame.mappedBytes(plane))
        fill(plane, rows.reshape(-1, frame.bytesPerLine(plane)))
    frame.unmap()
    return frame


def planes_of(frame: QVideoFrame) -> list[np.ndarray]:
    assert frame.map(QVideoFrame.MapMode.ReadOnly)
    try:
        return [np.frombuffer(frame.bits(p), np.uint8, count=frame.mappedBytes(p))
                .reshape(-1, frame.bytesPerLine(p)).copy() for p in range(frame.planeCount())]
    finally:
        frame.unmap()


def av_plane(frame: av.VideoFrame, index: int) -> np.ndarray:
    plane = frame.planes[index]
    return np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)


def qt_rgb(frame: QVideoFrame) -> np.ndarray:
    image = frame.toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3).copy()


# (Qt format, av format, bytes per pixel of each plane's row, Qt plane index of each av plane)
PLANAR = [
    (PF.Format_NV12, "nv12", (1, 2), (0, 1)),
    (PF.Format_NV21, "nv21", (1, 2), (0, 1)),
    (PF.Format_YUV420P, "yuv420p", (1, 1, 1), (0, 1, 2)),
    (PF.Format_YV12, "yuv420p", (1, 1, 1), (0, 2, 1)),
    (PF.Format_YUV422P, "yuv422p", (1, 1, 1), (0, 1, 2)),
    (PF.Format_YUYV, "yuyv422", (2,), (0,)),
    (PF.Format_UYVY, "uyvy422", (2,), (0,)),
    (PF.Format_BGRA8888, "bgra", (4,), (0,)),
    (PF.Format_XRGB8888, "0rgb", (4,), (0,)),
]


@pytest.mark.parametrize("pf, av_format, bpp, order", PLANAR, ids=[p[1] + "-" + p[0].name for p in PLANAR])
@pytest.mark.parametrize("size", [(22, 10), (640, 360)])
def test_planes_are_copied_byte_for_byte(qapp, pf, av_format, bpp, order, size) -> None:
    width, height = size
    rng = np.random.default_rng(7)
    frame = make_frame(pf, width, height, lambda p, rows: rows.__setitem__(slice(None), rng.integers(0, 256, rows.shape)))
    source = planes_of(frame)
    converted = video_frame_to_av(frame)
    assert converted.format.name == av_format and (converted.width, converted.height) == size
    for index, qt_index in enumerate(order):
        plane = converted.planes[index]
        row_bytes = plane.width * bpp[index]
        assert np.array_equal(av_plane(converted, index)[:, :row_bytes],
                              source[qt_index][: plane.height, :row_bytes])


@pytest.mark.parametrize("pf", [PF.Format_BGRA8888, PF.Format_RGBA8888, PF.Format_ARGB8888,
                                PF.Format_ABGR8888, PF.Format_XRGB8888, PF.Format_BGRX8888,
                                PF.Format_RGBX8888, PF.Format_XBGR8888], ids=lambda p: p.name)
def test_packed_rgb_byte_order_agrees_with_qt(qapp, pf) -> None:
    rng = np.random.default_rng(3)
    alpha_first = pf in (PF.Format_ARGB8888, PF.Format_ABGR8888, PF.Format_XRGB8888, PF.Format_XBGR8888)

    def fill(plane: int, rows: np.ndarray) -> None:
        rows[:] = rng.integers(0, 256, rows.shape)
        rows.reshape(rows.shape[0], -1, 4)[:, :, 0 if alpha_first else 3] = 255  # opaque

    frame = make_frame(pf, 24, 8, lambda p, rows: fill(p, rows[:, : 24 * 4]))
    assert np.array_equal(video_frame_to_av(frame).to_ndarray(format="rgb24"), qt_rgb(frame))


@pytest.mark.parametrize("pf", [PF.Format_NV12, PF.Format_NV21, PF.Format_YV12, PF.Format_YUYV,
                                PF.Format_UYVY], ids=lambda p: p.name)
def test_yuv_colours_agree_with_qt(qapp, pf) -> None:
    """Chroma constant down each column, so chroma interpolation cannot differ: U/V order counts."""
    width, height = 32, 8
    rng = np.random.default_rng(5)
    columns = rng.integers(30, 220, (2, width // 2))
    luma = rng.integers(40, 200, (height, width))

    def fill(plane: int, rows: np.ndarray) -> None:
        u, v = columns
        if pf in (PF.Format_YUYV, PF.Format_UYVY):
            pixels = rows[:height, : width * 2].reshape(height, width // 2, 4)
            y0, uu, y1, vv = (0, 1, 2, 3) if pf == PF.Format_YUYV else (1, 0, 3, 2)
            pixels[:, :, y0], pixels[:, :, y1] = luma[:, 0::2], luma[:, 1::2]
            pixels[:, :, uu], pixels[:, :, vv] = u, v
        elif plane == 0:
            rows[:height, :width] = luma
        elif pf in (PF.Format_NV12, PF.Format_NV21):
            first, second = (u, v) if pf == PF.Format_NV12 else (v, u)
            rows[:, 0:width:2], rows[:, 1:width:2] = first, second
        else:  # YV12: plane 1 is V, plane 2 is U
            rows[:, : width // 2] = v if plane == 1 else u

    frame = make_frame(pf, width, height, fill)
    ours = video_frame_to_av(frame).to_ndarray(format="rgb24").astype(int)
    assert np.abs(ours - qt_rgb(frame)).max() <= 4


def test_other_formats_fall_back_to_qt_image(qapp) -> None:
    frame = make_frame(PF.Format_AYUV, 16, 8, lambda p, rows: rows.__setitem__(slice(None), 128))
    converted = video_frame_to_av(frame)
    assert converted is not None and converted.format.name == "rgb0"
    assert np.array_equal(converted.to_ndarray(format="rgb24"), qt_rgb(frame))
    assert video_frame_to_av(QVideoFrame()) is None


# -- the video sink track -------------------------------------------------------------------------


def nv12(width: int, height: int, luma: int) -> QVideoFrame:
    return make_frame(PF.Format_NV12, width, height,
                      lambda p, rows: rows.__setitem__(slice(None), luma if p == 0 else 128))


async def test_video_sink_track_hands_out_the_latest_frame_scaled_to_fit(qapp) -> None:
    now = [100.0]
    sink = QVideoSink()
    track = VideoSinkTrack(sink, 320, 180, name="test", clock=lambda: now[0])
    try:
        for luma in (50, 100, 150):  # only the newest is kept
            sink.setVideoFrame(nv12(640, 480, luma))
        first = await asyncio.wait_for(track.recv(), 2)
        assert (first.width, first.height) == (240, 180)  # 4:3 fitted into 320x180
        assert first.format.name == "yuv420p" and first.pts == 0
        assert abs(int(first.to_ndarray()[:180].mean()) - 150) <= 1
        # A frame delivered from another thread (as Qt's capture threads do) wakes recv.
        now[0] = 100.5
        pending = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0.01)
        assert not pending.done()
        threading.Thread(target=lambda: sink.setVideoFrame(nv12(320, 180, 60))).start()
        second = await asyncio.wait_for(pending, 2)
        assert (second.width, second.height, second.format.name) == (320, 180, "nv12")  # unscaled
        assert second.pts == 45000  # 0.5 s in 1/90000
        assert track.frames_captured == 4
    finally:
        track.stop()


async def test_video_sink_track_ends_when_its_source_is_lost(qapp) -> None:
    sink = QVideoSink()
    track = VideoSinkTrack(sink, 320, 180)
    ended: list[bool] = []
    track.on("ended", lambda: ended.append(True))
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.01)
    track.device_lost("camera unplugged")
    from aiortc.mediastreams import MediaStreamError

    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(pending, 1)
    assert ended == [True] and track.ended_reason == "camera unplugged"
    sink.setVideoFrame(nv12(64, 48, 10))  # after the end: ignored
    assert track.frames_captured == 0


def test_camera_track_without_a_camera_ends_at_once(qapp) -> None:
    track = QtCameraTrack(QCameraDevice(), 640, 360, 30)
    assert track.readyState == "ended"
    assert track.ended_reason and "camera" in track.ended_reason.lower()
    track.stop()  # idempotent


class FakeFormat:
    def __init__(self, w: int, h: int, fps: float, pf=PF.Format_NV12) -> None:
        self._size, self._fps, self._pf = QSize(w, h), fps, pf

    def resolution(self) -> QSize:
        return self._size

    def maxFrameRate(self) -> float:
        return self._fps

    def pixelFormat(self):
        return self._pf


def test_camera_format_choice() -> None:
    formats = [FakeFormat(1920, 1080, 30), FakeFormat(640, 480, 30, PF.Format_Jpeg),
               FakeFormat(640, 480, 30, PF.Format_YUYV), FakeFormat(640, 360, 10),
               FakeFormat(320, 240, 30)]
    assert choose_camera_format(formats, 640, 360, 30) is formats[2]  # enough fps, smallest cover
    assert choose_camera_format(formats, 640, 360, 10) is formats[3]
    assert choose_camera_format([], 640, 360, 30) is None


# -- audio ----------------------------------------------------------------------------------------


def audio_format(rate: int, channels: int, sample_format) -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(rate)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(sample_format)
    return fmt


def test_pcm_converter_passes_48k_mono_s16_through_in_20ms_frames() -> None:
    converter = PcmConverter(audio_format(48000, 1, QAudioFormat.SampleFormat.Int16))
    samples = np.arange(-1000, 1000, dtype=np.int16)
    data = samples.tobytes()
    frames = converter.feed(data[:1001]) + converter.feed(data[1001:])  # split mid-sample
    assert [len(f) for f in frames] == [960, 960]
    assert np.array_equal(np.concatenate(frames), samples[:1920])


def test_pcm_converter_downmixes_and_resamples_float_stereo_44k() -> None:
    converter = PcmConverter(audio_format(44100, 2, QAudioFormat.SampleFormat.Float))
    t = np.arange(44100) / 44100
    left = 0.5 * np.sin(2 * np.pi * 500 * t)
    stereo = np.stack([left, left], axis=1).astype("<f4")  # a second of a 500 Hz tone
    frames = []
    for chunk in np.array_split(stereo, 37):
        frames += converter.feed(chunk.tobytes())
    assert 48 <= len(frames) <= 50 and all(len(f) == 960 for f in frames)
    body = np.concatenate(frames)[4800:43200].astype(np.float64)
    assert np.sqrt(np.mean(body**2)) == pytest.approx(0.5 * 32767 / np.sqrt(2), rel=0.03)


class FakeSink:
    def __init__(self, buffer_size: int, free: int) -> None:
        self.buffer_size, self.free = buffer_size, free

    def bytesFree(self) -> int:
        return self.free

    def bufferSize(self) -> int:
        return self.buffer_size


class FakeIo:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data) -> int:
        self.written.append(bytes(data))
        return len(self.written[-1])


def test_speaker_feeder_keeps_at_most_the_target_queued(qapp) -> None:
    mixer = Mixer(prebuffer=0.0)
    mixer.push_samples("a", np.full((4800, 2), 1234, dtype=np.int16))
    sink, io = FakeSink(buffer_size=19200, free=19200), FakeIo()  # 100 ms buffer, empty
    played: list[np.ndarray] = []
    feeder = Feeder(sink, io, mixer, audio_format(48000, 2, QAudioFormat.SampleFormat.Int16),
                     0.060, played.append)
    feeder.tick()
    assert len(io.written[-1]) == 2880 * 4  # 60 ms
    assert (np.frombuffer(io.written[-1], np.int16) == 1234).all()
    assert len(played) == 1 and played[0].shape == (2880, 2)
    sink.free = 19200 - 2880 * 4 + 480 * 4  # 10 ms played since
    feeder.tick()
    assert len(io.written[-1]) == 480 * 4
    sink.free = 19200 - 2880 * 4  # nothing played: nothing written
    feeder.tick()
    assert len(io.written) == 2


def test_speaker_feeder_converts_to_the_device_format(qapp) -> None:
    mixer = Mixer(prebuffer=0.0)
    mixer.push_samples("a", np.full((9600, 2), 16384, dtype=np.int16))
    io = FakeIo()
    feeder = Feeder(FakeSink(44100 * 4, 44100 * 4), io, mixer,
                     audio_format(44100, 1, QAudioFormat.SampleFormat.Float), 0.060, None)
    feeder.tick()
    out = np.frombuffer(io.written[-1], "<f4")
    assert 2500 <= len(out) <= 2646  # about 60 ms at 44.1 kHz, mono
    assert np.abs(out[200:-200] - 0.5).max() < 0.01


def test_audio_watcher_reports_a_device_that_stopped_with_an_error(qapp) -> None:
    thread = AudioThread("test")
    reasons: list[str] = []
    thread._on_failed = reasons.append
    sink = QAudioSink(QAudioDevice(), audio_format(48000, 2, QAudioFormat.SampleFormat.Int16))
    watcher = DeviceWatcher(thread, sink, "Headphones")
    assert sink.start() is None  # no device here: stopped with OpenError
    assert watcher.check() and watcher.check()
    assert process_until(lambda: bool(reasons))
    QCoreApplication.processEvents()
    assert reasons == ["Headphones: OpenError"]  # said once


def test_microphone_without_a_device_ends_and_says_why(qapp) -> None:
    track = QtMicrophoneTrack(QAudioDevice())
    ended: list[bool] = []
    track.on("ended", lambda: ended.append(True))
    assert process_until(lambda: track.readyState == "ended")
    assert ended == [True] and track.ended_reason
    assert not track._thread.isRunning()


def test_speaker_without_a_device_ends_and_never_raises(qapp) -> None:
    speaker = QtSpeaker(QAudioDevice())
    ended: list[bool] = []
    speaker.on_ended(lambda: ended.append(True))
    assert process_until(lambda: bool(ended))
    assert speaker.ended_reason
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 1920), np.int16), format="s16", layout="stereo")
    frame.sample_rate = 48000
    speaker.play("alice", frame)  # after the end: ignored
    speaker.play_sound(np.zeros(480, np.int16))
    speaker.remove_source("alice")
    speaker.close()
    assert not speaker._thread.isRunning()


async def test_microphone_frames_cross_from_the_capture_thread_to_the_loop(qapp) -> None:
    track = QtMicrophoneTrack(QAudioDevice())  # no device here: we play the capture thread
    track._thread.stop()  # stop the real one (it would fail to open) before it reports
    tone = (8000 * np.sin(np.arange(960) / 5)).astype(np.int16)
    try:
        pending = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0.01)
        worker = threading.Thread(target=lambda: [track._on_captured(tone) for _ in range(3)])
        worker.start()
        worker.join()
        frames = [await asyncio.wait_for(pending, 1)] + [await track.recv() for _ in range(2)]
        assert [f.pts for f in frames] == [0, 960, 1920]
        assert all(f.samples == 960 and f.sample_rate == 48000 and f.layout.name == "mono" for f in frames)
        assert track.level == pytest.approx(8000 / np.sqrt(2) / 32767, rel=0.05)
    finally:
        track.stop()
