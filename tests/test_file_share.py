"""Sharing a video file: FileSource decodes a file on a worker thread and plays it in real time.

The media files are made here, at test time, with PyAV: a moving white bar on grey and a 440 Hz
tone, in the containers and codecs this PyAV build can write.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import dataclass, field
from pathlib import Path

import aioice.ice
import av
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop.media.file_share.decoder import SUPPORTED, FileShareError
from desktop.media.file_share.source import FileSource
from desktop.media.synthetic.clip import make_media
from rtcseam.ice import set_host_addresses

TONE_RMS = 0.3 / np.sqrt(2)  # the tone's amplitude is 0.3 of full scale


def _pick(*names: str) -> str | None:
    return next((name for name in names if name in av.codecs_available), None)


H264, VP8, MPEG4 = _pick("libx264", "h264"), _pick("libvpx"), _pick("mpeg4")
AAC, OPUS, MP3 = _pick("aac"), _pick("libopus", "opus"), _pick("libmp3lame", "mp3")

# (suffix, video codec, audio codec, audio rate): what each container is made with
CONTAINERS = {
    "mp4": (".mp4", H264 or MPEG4, AAC or MP3, 44100),
    "webm": (".webm", VP8, OPUS, 48000),
    "mkv": (".mkv", MPEG4 or H264, MP3 or AAC, 44100),
    "mov": (".mov", H264 or MPEG4, AAC or MP3, 44100),
}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    files: dict[str, Path] = {}
    for name, (suffix, vcodec, acodec, rate) in CONTAINERS.items():
        if vcodec and acodec:
            files[name] = make_media(folder / f"clip{suffix}", vcodec, acodec, rate=rate)
    mp4 = CONTAINERS["mp4"]
    files["short"] = make_media(folder / "short.mp4", mp4[1], mp4[2], seconds=1.0)
    files["big"] = make_media(folder / "big.mp4", mp4[1], None, width=2560, height=1440, fps=5,
                              seconds=0.6)
    files["rotated"] = make_media(folder / "phone.mov", mp4[1], None, seconds=0.4, rotation=90)
    files["silent"] = make_media(folder / "silent.mkv", mp4[1], None, seconds=0.4)
    files["sound"] = make_media(folder / "sound.mka", None, mp4[2], seconds=0.4)
    return files


class SteppedClock:
    """The clock a FileSource plays by, moved on by the test: a frame comes when this clock
    reaches its time, however fast or slow the machine is."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class RunningClock:
    """Real time, except that the test may hold it, and move it on while held (a pause of a
    known length takes no time)."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._moved = 0.0
        self._held: float | None = None

    def __call__(self) -> float:
        return self._held if self._held is not None else time.monotonic() - self._start + self._moved

    def hold(self) -> None:
        self._held = self()

    def move_on(self, seconds: float) -> None:
        assert self._held is not None, "hold the clock first"
        self._held += seconds

    def release(self) -> None:
        """Run on from where it was held (and moved to)."""
        held, self._held = self._held, None
        self._moved += held - self()


def on_clock(source: FileSource, clock: SteppedClock | RunningClock | None = None) -> SteppedClock | RunningClock:
    """Play ``source`` by ``clock`` (a new SteppedClock, which the test moves); install it
    before the first ``recv()``.

    FileSource takes no clock argument; its playback clock reads the time through ``now``.
    """
    clock = clock or SteppedClock()
    source._playback.clock.now = clock
    return clock


#: how far the tests move the playback clock at a time: less than a video frame (1/15 s) and
#: than the lag after which the source skips a frame, so every frame comes, in the step it is due
STEP = 0.05
#: the frame periods of the files made here (15 fps video, 20 ms audio frames)
PERIOD = {"video": 1 / 15, "audio": 0.02}


@dataclass
class Pump:
    """Reads a track as a sender would, noting each frame with the playback clock's time then."""

    track: MediaStreamTrack
    clock: SteppedClock | RunningClock | None = None
    frames: list = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    error: BaseException | None = None
    ended_events: int = 0

    def __post_init__(self) -> None:
        self.track.on("ended", self._on_ended)
        self.rate = 90000 if self.track.kind == "video" else 48000
        self.task = asyncio.ensure_future(self._run())

    def _on_ended(self) -> None:
        self.ended_events += 1

    async def _run(self) -> None:
        try:
            while True:
                frame = await self.track.recv()
                self.frames.append(frame)
                if self.clock is not None:
                    self.times.append(self.clock())
        except MediaStreamError as exc:
            self.error = exc

    @property
    def pts(self) -> list[int]:
        return [frame.pts for frame in self.frames]

    @property
    def due(self) -> list[float]:
        """When each frame was due on the playback clock: its timestamp in seconds (the
        timestamps count paused time too, as the clock does)."""
        return [pts / self.rate for pts in self.pts]

    def caught_up(self) -> bool:
        """Everything due by now has come (the next frame, a period after the last, is not due
        yet), or the track ended."""
        period = PERIOD[self.track.kind]
        return self.error is not None or bool(self.frames) and self.due[-1] + period > self.clock() + 1e-6


async def settle(clock: SteppedClock, pumps: tuple[Pump, ...]) -> None:
    """Wait (in real time, bounded) until every track has delivered what is due by now."""
    deadline = time.monotonic() + 5.0
    while not all(pump.caught_up() for pump in pumps):
        assert time.monotonic() < deadline, {p.track.kind: (len(p.frames), p.due[-1:], clock()) for p in pumps}
        await asyncio.sleep(0.002)


async def step(clock: SteppedClock, *pumps: Pump, seconds: float = STEP) -> None:
    """Move the playback clock on once everything due by now has come (the first ``recv()``
    starts the clock at 0), and wait until what is due by then has come too."""
    await settle(clock, pumps)
    clock.now = round(clock.now + seconds, 6)
    await settle(clock, pumps)


def assert_on_time(pump: Pump) -> None:
    """Each frame came when the playback clock reached its time: never before it, and within
    the step of the clock that made it due."""
    for due, at in zip(pump.due, pump.times, strict=True):
        assert due - 1e-6 <= at < due + STEP - 1e-6, (pump.track.kind, due, at)


async def until(condition, received: dict[str, list], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, {kind: len(frames) for kind, frames in received.items()}
        await asyncio.sleep(0.05)


def assert_audio_frames(frames: list[av.AudioFrame]) -> None:
    for frame in frames:
        assert frame.format.name == "s16" and frame.sample_rate == 48000
        assert frame.layout.name in ("mono", "stereo") and frame.samples == 960
        assert frame.time_base == fractions.Fraction(1, 48000)


def assert_increasing(pts: list[int]) -> None:
    assert all(b > a for a, b in zip(pts, pts[1:])), pts


# --- playing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("container", ["mp4", "webm"])
async def test_a_file_plays_by_its_timestamps_with_sound_and_both_tracks_end(media, container) -> None:
    if container not in media:
        pytest.skip(f"this PyAV cannot write {container}")
    source = await FileSource.open(media[container])
    assert source.video is not None and source.audio is not None
    assert source.video.kind == "video" and source.audio.kind == "audio"
    assert source.duration == pytest.approx(2.0, abs=0.1)
    clock = on_clock(source)
    video, audio = Pump(source.video, clock), Pump(source.audio, clock)
    levels: list[float] = []
    while not source.ended.is_set():
        assert clock.now < 3.0, "the file should have ended"
        await step(clock, video, audio)
        levels.append(source.level)
    await asyncio.wait_for(asyncio.gather(video.task, audio.task), 1.0)

    # the file's 2 s, played once: it ended when the playback clock reached its end
    assert clock.now == pytest.approx(2.0, abs=0.1)
    assert 28 <= len(video.frames) <= 30
    assert all(f.width == 320 and f.height == 240 and f.format.name == "yuv420p" for f in video.frames)
    assert all(f.time_base == fractions.Fraction(1, 90000) for f in video.frames)
    assert_increasing(video.pts)
    assert np.median(np.diff(video.pts)) == pytest.approx(6000, abs=60)  # 15 fps in 1/90000
    assert 97 <= len(audio.frames) <= 104  # 2 s of 20 ms frames (AAC pads its last frame)
    assert_audio_frames(audio.frames)
    assert np.diff(audio.pts).tolist() == [960] * (len(audio.frames) - 1)
    # one clock for both: a frame comes when its timestamp is due, sound and picture alike
    assert_on_time(video)
    assert_on_time(audio)
    # the tone is heard, and both tracks ended as aiortc tracks end
    assert max(levels) == pytest.approx(TONE_RMS, rel=0.1)
    assert isinstance(video.error, MediaStreamError) and isinstance(audio.error, MediaStreamError)
    assert video.ended_events == audio.ended_events == 1
    assert source.video.readyState == source.audio.readyState == "ended"
    assert source.end_reason == "finished" and source.level == 0.0
    assert source.position == pytest.approx(1.93, abs=0.1)
    await source.aclose()
    assert source.closed


@pytest.mark.parametrize("container", ["mp4", "webm", "mkv", "mov"])
async def test_each_container_gives_yuv420p_video_and_48k_s16_audio(media, container) -> None:
    if container not in media:
        pytest.skip(f"this PyAV cannot write {container}")
    source = FileSource(media[container])
    try:
        frames = [await source.video.recv() for _ in range(3)]
        sounds = [await source.audio.recv() for _ in range(5)]
        assert [(f.width, f.height, f.format.name) for f in frames] == [(320, 240, "yuv420p")] * 3
        assert_increasing([f.pts for f in frames])
        assert_audio_frames(sounds)
        assert [f.pts for f in sounds] == [0, 960, 1920, 2880, 3840]
    finally:
        await source.aclose()


async def test_pause_delivers_nothing_and_resume_goes_on_with_later_timestamps(media) -> None:
    source = FileSource(media["short"])
    clock = on_clock(source, RunningClock())
    video, audio = Pump(source.video, clock), Pump(source.audio, clock)
    await asyncio.sleep(0.3)
    clock.hold()
    source.pause()
    assert source.paused and source.level == 0.0
    await asyncio.sleep(0.05)  # a frame already due may still come
    counts = len(video.frames), len(audio.frames)
    position = source.position
    await asyncio.sleep(0.3)
    assert (len(video.frames), len(audio.frames)) == counts  # nothing while paused
    assert source.position == position
    clock.move_on(0.65)  # the pause lasted 0.65 s
    source.resume()
    clock.release()
    await asyncio.wait_for(asyncio.gather(video.task, audio.task), 3.0)
    # all of the file came, once, and the timestamps never went back
    assert 14 <= len(video.frames) <= 15 and 48 <= len(audio.frames) <= 53
    assert_increasing(video.pts)
    assert_increasing(audio.pts)
    # across the pause the timestamps moved on by the time it took: 0.65 s, and a frame
    assert max(np.diff(video.pts)) == pytest.approx((0.65 + 1 / 15) * 90000, abs=2)
    assert max(np.diff(audio.pts)) == round(0.65 * 48000) + 960
    assert source.end_reason == "finished"


async def test_loop_starts_again_with_increasing_timestamps_until_turned_off(media) -> None:
    source = FileSource(media["short"], loop=True)  # 1 s
    clock = on_clock(source, RunningClock())
    video, audio = Pump(source.video, clock), Pump(source.audio, clock)
    positions = []
    for _ in range(12):
        await asyncio.sleep(0.2)
        positions.append(source.position)
    assert not source.ended.is_set()
    assert any(b < a for a, b in zip(positions, positions[1:])), positions  # went round
    assert all(0 <= p < 1.0 for p in positions)
    source.loop = False  # the current pass is the last
    await asyncio.wait_for(source.ended.wait(), 2.5)
    await asyncio.wait_for(asyncio.gather(video.task, audio.task), 1.0)
    assert source.end_reason == "finished"
    # whole passes of the file's 15 frames, as many as the playback clock ran through
    passes = round((video.times[-1] - video.times[0]) + 1 / 15)
    assert passes in (3, 4)
    assert passes * 15 - 1 <= len(video.frames) <= passes * 15
    assert_increasing(video.pts)
    assert_increasing(audio.pts)
    assert_audio_frames(audio.frames)
    # where a pass ends and the next begins: no overlap, and no hole beyond the few ms by
    # which the file's sound outlasts its picture (AAC pads its last frame); both restart
    # together, so they stay in sync
    assert max(np.diff(video.pts)) <= 6000 + 0.06 * 90000
    assert max(np.diff(audio.pts)) <= 960 + 0.06 * 48000


async def test_a_track_nobody_reads_ends_with_the_file(media) -> None:
    source = FileSource(media["short"])
    video = Pump(source.video)  # the sound is not read (a share that only sends the picture)
    ended = []
    source.audio.on("ended", lambda: ended.append("audio"))
    await asyncio.wait_for(source.ended.wait(), 3.0)
    assert ended == ["audio"] and isinstance(video.error, MediaStreamError)
    assert source.end_reason == "finished"
    with pytest.raises(MediaStreamError):
        await source.audio.recv()


async def test_close_ends_the_tracks_and_releases_the_file(media) -> None:
    source = FileSource(media["mp4"])
    video, audio = Pump(source.video), Pump(source.audio)
    await asyncio.sleep(0.2)
    source.pause()
    await asyncio.sleep(0.1)
    source.close()  # while paused, with recv() waiting
    await asyncio.wait_for(asyncio.gather(video.task, audio.task), 1.0)
    assert isinstance(video.error, MediaStreamError) and video.ended_events == 1
    assert source.ended.is_set() and source.end_reason == "closed"
    await asyncio.wait_for(source.aclose(), 2.0)
    assert source.closed


async def test_stopping_both_tracks_ends_the_share(media) -> None:
    source = FileSource(media["mp4"])
    await source.video.recv()
    source.video.stop()
    assert not source.ended.is_set()
    source.audio.stop()  # as aiortc does when the connection closes
    assert source.ended.is_set() and source.end_reason == "closed"
    await source.aclose()


# --- what is sent ------------------------------------------------------------------------------


async def test_a_picture_larger_than_1080p_is_scaled_down_to_fit(media) -> None:
    source = FileSource(media["big"])
    assert source.audio is None
    try:
        frame = await source.video.recv()
        assert (frame.width, frame.height, frame.format.name) == (1920, 1080, "yuv420p")
        assert (source.width, source.height) == (1920, 1080)
    finally:
        await source.aclose()


async def test_a_rotated_phone_video_is_sent_upright(media) -> None:
    source = FileSource(media["rotated"])  # 320x240 shown turned 90° counter-clockwise
    try:
        frame = await source.video.recv()
        assert (frame.width, frame.height) == (240, 320)
        rgb = frame.to_ndarray(format="rgb24")
        assert rgb[-8, 8, 0] > 200 and rgb[-8, 8, 1] < 80  # the red corner is now bottom left
    finally:
        await source.aclose()


async def test_files_with_only_picture_or_only_sound(media) -> None:
    silent = FileSource(media["silent"])
    sound = FileSource(media["sound"])
    try:
        assert silent.audio is None and silent.video is not None
        assert sound.video is None and sound.audio is not None
        frames = [await sound.audio.recv() for _ in range(3)]
        assert_audio_frames(frames)
        assert (await silent.video.recv()).width == 320
    finally:
        await silent.aclose()
        await sound.aclose()


def test_what_is_not_media_is_refused_with_a_message_for_the_user(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping: milk, eggs\n")
    fake = tmp_path / "holiday.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    empty = tmp_path / "empty.webm"
    empty.write_bytes(b"")
    subtitles = tmp_path / "words.srt"
    subtitles.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")
    cases = {
        notes: "it is not a video or audio file",
        fake: "it is not a video or audio file",
        empty: "it is not a video or audio file",
        subtitles: "has no picture or sound",
        tmp_path / "gone.mkv": "could not be found",
        tmp_path: "is a folder",
    }
    for path, words in cases.items():
        with pytest.raises(FileShareError) as raised:
            FileSource(path)
        assert words in raised.value.message and path.name in raised.value.message
        assert isinstance(raised.value, ValueError)


def test_the_file_dialog_offers_the_usual_containers() -> None:
    assert SUPPORTED == (".mp4", ".mkv", ".webm", ".mov")


# --- over a real connection ------------------------------------------------------------------


async def test_viewers_get_the_picture_and_the_sound_over_webrtc(media, monkeypatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", aioice.ice.get_host_addresses)
    set_host_addresses(["127.0.0.1"])  # aioice leaves loopback out unless asked (this test's task)
    source = await FileSource.open(media["mp4"])
    sender = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiver = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    received: dict[str, list] = {"video": [], "audio": []}
    tasks: list[asyncio.Task] = []

    async def read(track: MediaStreamTrack) -> None:
        try:
            while True:
                received[track.kind].append(await track.recv())
        except MediaStreamError:
            pass

    receiver.on("track", lambda track: tasks.append(asyncio.ensure_future(read(track))))
    try:
        sender.addTrack(source.video)
        sender.addTrack(source.audio)
        await sender.setLocalDescription(await sender.createOffer())
        await receiver.setRemoteDescription(sender.localDescription)
        await receiver.setLocalDescription(await receiver.createAnswer())
        await sender.setRemoteDescription(receiver.localDescription)
        await until(lambda: len(received["video"]) >= 8 and len(received["audio"]) >= 25,
                    received)
        # paused: the flow stops; resumed: it goes on (the timestamps moved on meanwhile)
        source.pause()
        await asyncio.sleep(0.3)
        counts = {kind: len(frames) for kind, frames in received.items()}
        await asyncio.sleep(0.4)
        assert {kind: len(frames) for kind, frames in received.items()} == counts
        source.resume()
        await until(lambda: len(received["video"]) >= counts["video"] + 5
                    and len(received["audio"]) >= counts["audio"] + 15, received)
        pictures = received["video"]
        assert (pictures[-1].width, pictures[-1].height) == (320, 240)
        # the moving bar arrived: the brightest columns of the picture are where it is
        luma = pictures[-1].to_ndarray(format="gray")
        assert luma.max() > 200 and np.median(luma) < 100
        sound = np.concatenate([f.to_ndarray().ravel() for f in received["audio"][-10:]])
        assert np.sqrt(np.mean(sound.astype(np.float64) ** 2)) / 32768 > TONE_RMS / 2  # heard
    finally:
        await sender.close()
        await receiver.close()
        for task in tasks:
            task.cancel()
        await source.aclose()
