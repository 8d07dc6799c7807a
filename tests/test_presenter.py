"""The synthetic presenter camera (desktop/media/synthetic/presenter.py PresenterPattern): a person in
front of a bookshelf, for background effects, and what the real segmenter makes of it."""

from __future__ import annotations

import asyncio
import fractions

import numpy as np
import pytest

from desktop.media.background.segmentation import SelfieSegmenter
from desktop.media.devices import DeviceKind
from desktop.media.synthetic.backend import SyntheticBackend
from desktop.media.synthetic.stamp import Stamp, read_stamp, stamp_height
from desktop.media.synthetic.capture import SyntheticCamera
from desktop.media.synthetic.presenter import PresenterPattern

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize("size", [(640, 360), (320, 180), (320, 240), (160, 90)])
def test_presenter_frames_are_stamped_and_sway(size: tuple[int, int]) -> None:
    width, height = size
    pattern = PresenterPattern(width, height)
    frames = [pattern.render(n, EPOCH_MS + n * 33) for n in (0, 15, 30)]
    assert all((f.width, f.height, f.format.name) == (width, height, "yuv420p") for f in frames)
    assert [read_stamp(f) for f in frames] == [Stamp(n, EPOCH_MS + n * 33) for n in (0, 15, 30)]
    # The person moves; the room behind them does not.
    below = stamp_height(height) + 2
    pictures = [f.to_ndarray(format="gray")[below:].astype(int) for f in frames]
    assert all(np.abs(a - b).mean() > 1 for a, b in zip(pictures, pictures[1:]))
    assert pattern.offset(0) == 0 and pattern.offset(PresenterPattern.PERIOD // 4) > 0
    assert pattern.offset(3 * PresenterPattern.PERIOD // 4) < 0


def test_presenter_rejects_odd_or_tiny_sizes() -> None:
    with pytest.raises(ValueError):
        PresenterPattern(641, 360)
    with pytest.raises(ValueError):
        PresenterPattern(64, 36)


def test_the_synthetic_backend_offers_the_presenter_after_the_test_pattern() -> None:
    backend = SyntheticBackend()
    cameras = backend.devices(DeviceKind.CAMERA)
    assert [c.name for c in cameras] == ["Synthetic camera", "Synthetic presenter"]
    assert cameras[1].id == "synthetic:presenter" and cameras[1].synthetic
    assert len(backend.devices(DeviceKind.MICROPHONE)) == len(backend.devices(DeviceKind.SPEAKER)) == 1


async def test_the_presenter_camera_delivers_frames_of_the_asked_size_at_the_asked_rate() -> None:
    backend = SyntheticBackend()
    camera = backend.open_camera(SyntheticBackend.PRESENTER, 320, 180, 30)
    assert isinstance(camera, SyntheticCamera) and camera.label == "Synthetic presenter"
    loop = asyncio.get_running_loop()
    try:
        start = loop.time()
        frames = [await asyncio.wait_for(camera.recv(), 2) for _ in range(10)]
        elapsed = loop.time() - start
    finally:
        backend.close()
    assert camera.readyState == "ended"
    assert all((f.width, f.height, f.format.name) == (320, 180, "yuv420p") for f in frames)
    assert all(f.time_base == fractions.Fraction(1, 90000) for f in frames)
    steps = np.diff([f.pts for f in frames])
    # 30 fps: 3000 ticks of 90 kHz a frame (more only if a slow machine skipped a slot).
    assert frames[0].pts == 0 and all(step % 3000 == 0 and step > 0 for step in steps)
    assert np.median(steps) == 3000
    assert elapsed >= 9 / 30 - 0.01  # paced in real time, never faster
    assert [read_stamp(f).frame_number for f in frames] == list(range(10))
    # It is the presenter, not the colour bars: the picture is mostly warm room and person.
    assert frames[0].to_ndarray(format="rgb24")[60:].std() > 20


# -- the real model -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def segmenter() -> SelfieSegmenter:
    if not SelfieSegmenter.available():
        pytest.skip(str(SelfieSegmenter.why_unavailable()))
    return SelfieSegmenter()


QUARTER = PresenterPattern.PERIOD // 4


@pytest.mark.parametrize("frame_number", [0, QUARTER, 3 * QUARTER, PresenterPattern.BLINK_EVERY - 1],
                         ids=["middle", "right", "left", "blinking"])
def test_the_real_model_finds_the_presenter(segmenter: SelfieSegmenter, frame_number: int) -> None:
    width, height = segmenter.input_size  # 256x144
    frame = PresenterPattern(640, 360).render(frame_number, EPOCH_MS)
    mask = segmenter.mask(frame.reformat(width=width, height=height, format="rgb24").to_ndarray())
    torso = mask[int(height * 0.75) :, int(width * 0.4) : int(width * 0.6)]  # always the sweater
    band = stamp_height(height) + 2
    corners = [mask[band : band + 30, :40], mask[band : band + 30, -40:]]  # bookshelf; wall
    assert torso.mean() > 0.9 and (torso > 0.8).mean() > 0.95, torso.mean()
    for corner in corners:
        assert corner.mean() < 0.1 and (corner < 0.2).mean() > 0.95, corner.mean()
    # Over the whole picture, the person is a sensible share of it (head and shoulders).
    assert 0.12 < (mask > 0.5).mean() < 0.4
