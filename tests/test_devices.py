"""Device lists and choices, the synthetic backend, the silent speaker and switchable tracks."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop.media.switchable import SwitchableTrack
from desktop.media.devices import Device, DeviceKind, DeviceManager, DeviceUnavailable, Speaker
from desktop.media.synthetic.backend import SilentSpeaker, SyntheticBackend
from desktop.media.synthetic.capture import SyntheticCamera, SyntheticMicrophone, tone_samples

CAM, MIC, SPK = DeviceKind.CAMERA, DeviceKind.MICROPHONE, DeviceKind.SPEAKER


class FakeBackend:
    """A 'real' backend whose device lists a test edits, with opened objects recorded."""

    def __init__(self, devices: dict[DeviceKind, list[Device]] | None = None) -> None:
        self.lists = devices or {CAM: [], MIC: [], SPK: []}
        self.callbacks: list[Callable[[], None]] = []
        self.opened: list[tuple[str, Device]] = []
        self.closed = 0

    def devices(self, kind: DeviceKind) -> list[Device]:
        return list(self.lists.get(kind, []))

    def on_changed(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def change(self, kind: DeviceKind, devices: list[Device]) -> None:
        self.lists[kind] = devices
        for callback in self.callbacks:
            callback()

    def open_camera(self, device, width=640, height=360, fps=30):
        self.opened.append(("camera", device))
        return SyntheticCamera(width, height, fps)

    def open_microphone(self, device):
        self.opened.append(("microphone", device))
        return SyntheticMicrophone()

    def open_speaker(self, device):
        self.opened.append(("speaker", device))
        return SilentSpeaker(run=False)

    def close(self) -> None:
        self.closed += 1


def mic(id_: str, name: str, default: bool = False) -> Device:
    return Device(MIC, id_, name, is_default=default)


@pytest.fixture
def real() -> FakeBackend:
    return FakeBackend({
        CAM: [Device(CAM, "cam-1", "Integrated Camera")],
        MIC: [mic("usb-7", "Jabra Speak 510"), mic("pci-1", "Built-in Microphone", default=True)],
        SPK: [],
    })


def test_lists_merge_backends_with_real_devices_first(real: FakeBackend) -> None:
    manager = DeviceManager([SyntheticBackend(), real])
    assert [d.name for d in manager.devices(MIC)] == [
        "Jabra Speak 510", "Built-in Microphone", "Synthetic microphone"]
    assert [d.name for d in manager.devices(SPK)] == ["Silent speaker"]
    assert manager.devices(CAM)[-1].synthetic


def test_default_is_the_backends_default_else_the_first(real: FakeBackend) -> None:
    manager = DeviceManager([real, SyntheticBackend()])
    assert manager.default(MIC).name == "Built-in Microphone"
    assert manager.default(CAM).name == "Integrated Camera"  # nobody says default: the first
    assert manager.default(SPK).name == "Silent speaker"
    assert DeviceManager([]).default(MIC) is None


def test_choose_by_id_then_by_name_then_default(real: FakeBackend) -> None:
    manager = DeviceManager([real, SyntheticBackend()])
    assert manager.choose(MIC, "usb-7", "Jabra Speak 510").id == "usb-7"
    # After a reboot the USB id changed, the name did not.
    real.lists[MIC] = [mic("usb-9", "Jabra Speak 510"), mic("pci-1", "Built-in Microphone", True)]
    assert manager.choose(MIC, "usb-7", "Jabra Speak 510").id == "usb-9"
    # Unplugged: the default.
    real.lists[MIC] = [mic("pci-1", "Built-in Microphone", True)]
    assert manager.choose(MIC, "usb-7", "Jabra Speak 510").id == "pci-1"
    assert manager.choose(MIC, None, None).id == "pci-1"
    assert manager.choose(MIC, "synthetic:microphone", None).synthetic


def test_change_callbacks_fire(real: FakeBackend) -> None:
    manager = DeviceManager([real, SyntheticBackend()])
    seen: list[list[str]] = []
    manager.on_changed(lambda: seen.append([d.id for d in manager.devices(MIC)]))
    manager.on_changed(lambda: 1 / 0)  # a broken listener does not stop the others
    real.change(MIC, [mic("pci-1", "Built-in Microphone", True)])
    assert seen == [["pci-1", "synthetic:microphone"]]


def test_open_dispatches_to_the_backend_that_lists_the_device(real: FakeBackend) -> None:
    synthetic = SyntheticBackend()
    manager = DeviceManager([real, synthetic])
    track = manager.open_microphone(manager.choose(MIC, "usb-7", None))
    assert real.opened == [("microphone", real.lists[MIC][0])]
    track.stop()
    camera = manager.open_camera(SyntheticBackend.CAMERA, 160, 90, 15)
    assert isinstance(camera, SyntheticCamera) and (camera.width, camera.height) == (160, 90)
    camera.stop()
    with pytest.raises(DeviceUnavailable):
        manager.open_microphone(mic("gone", "Unplugged"))
    manager.close()
    manager.close()
    assert real.closed == 1


async def test_synthetic_backend_opens_tracks_that_produce_frames() -> None:
    backend = SyntheticBackend()
    camera = backend.open_camera(backend.devices(CAM)[0], 160, 90, 30)
    microphone = backend.open_microphone(backend.devices(MIC)[0])
    try:
        video = await asyncio.wait_for(camera.recv(), 1)
        audio = await asyncio.wait_for(microphone.recv(), 1)
        assert isinstance(video, av.VideoFrame) and (video.width, video.height) == (160, 90)
        assert isinstance(audio, av.AudioFrame) and audio.samples == 960 and audio.sample_rate == 48000
        assert microphone.level > 0
    finally:
        backend.close()
    assert camera.readyState == "ended" and microphone.readyState == "ended"
    with pytest.raises(DeviceUnavailable):
        backend.open_camera(backend.devices(MIC)[0])


def remote_frame(value: int, samples: int = 960) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(np.full((1, 2 * samples), value, dtype=np.int16),
                                       format="s16", layout="stereo")
    frame.sample_rate = 48000
    return frame


def test_silent_speaker_mixes_two_sources_and_counts_frames() -> None:
    speaker = SilentSpeaker(run=False)
    assert isinstance(speaker, Speaker)
    for _ in range(3):
        speaker.play("alice", remote_frame(1000))
        speaker.play("bob", remote_frame(500))
    out = speaker.render(1920)
    assert (out == 1500).all()
    assert speaker.frames_played == 6
    assert speaker.frames_by_source == {"alice": 3, "bob": 3}
    assert speaker.level == pytest.approx(1500 / 32767, rel=1e-3)
    assert speaker.samples_heard == 1920
    speaker.remove_source("bob")
    assert (speaker.render(960) == 1000).all()
    speaker.close()
    speaker.close()
    speaker.play("alice", remote_frame(1000))  # after close: ignored, never raises
    assert speaker.frames_played == 6


def test_silent_speaker_hears_a_test_sound() -> None:
    speaker = SilentSpeaker(run=False)
    speaker.render(480)
    assert speaker.level == 0.0
    speaker.play_sound(tone_samples(0, 4800, 660, 8000, 48000))
    speaker.render(480)
    assert speaker.level > 0.1
    speaker.close()


def test_silent_speaker_plays_in_real_time_on_its_thread() -> None:
    speaker = SilentSpeaker(period=0.005)
    try:
        speaker.play_sound(tone_samples(0, 48000, 660, 8000, 48000))
        for _ in range(10):
            speaker.play("alice", remote_frame(1000))
        deadline = time.monotonic() + 2
        while speaker.samples_heard < 4800 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert speaker.samples_heard >= 4800  # 100 ms of sound rendered
        assert speaker.peak_level > 0.1
        assert speaker.frames_by_source["alice"] == 10
    finally:
        speaker.close()
    rendered = speaker.samples_rendered
    time.sleep(0.03)
    assert speaker.samples_rendered == rendered  # the thread is gone


class ListTrack(MediaStreamTrack):
    """Hands out prepared frames, then ends (as an unplugged device does)."""

    kind = "audio"

    def __init__(self, frames: list[av.AudioFrame], hold: bool = False) -> None:
        super().__init__()
        self.frames = list(frames)
        self.hold = hold

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        if not self.frames:
            if self.hold:
                while self.readyState == "live":
                    await asyncio.sleep(0.001)
            raise MediaStreamError
        return self.frames.pop(0)


def stamped(pts: int) -> av.AudioFrame:
    frame = remote_frame(pts % 1000, 960)
    frame.pts = pts
    frame.time_base = fractions.Fraction(1, 48000)
    return frame


async def test_switchable_track_survives_its_device_ending() -> None:
    first = ListTrack([stamped(0), stamped(960)])
    switchable = SwitchableTrack("audio", first)
    assert [(await switchable.recv()).pts for _ in range(2)] == [0, 960]
    # The device ends; recv waits (does not raise) until the app switches.
    pending = asyncio.ensure_future(switchable.recv())
    await asyncio.sleep(0.01)
    assert not pending.done()
    switchable.switch(ListTrack([stamped(480_000), stamped(480_960)]))
    frame = await asyncio.wait_for(pending, 1)
    assert frame.pts == 1920  # continuous across the switch
    assert (await switchable.recv()).pts == 2880
    switchable.stop()
    with pytest.raises(MediaStreamError):
        await switchable.recv()


async def test_switchable_track_switch_while_waiting_on_the_old_device() -> None:
    old = ListTrack([stamped(0)], hold=True)
    switchable = SwitchableTrack("audio", old)
    await switchable.recv()
    pending = asyncio.ensure_future(switchable.recv())
    await asyncio.sleep(0.01)
    switchable.switch(ListTrack([stamped(5)]))
    assert (await asyncio.wait_for(pending, 1)).pts == 960
    assert old.readyState == "ended"  # the previous device was stopped
    # Stopping the switchable while it waits for a device ends its recv.
    pending = asyncio.ensure_future(switchable.recv())
    await asyncio.sleep(0.01)
    switchable.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(pending, 1)
