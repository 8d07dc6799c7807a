"""Background effects (desktop/media/background/): blur and replacement behind the person.

Most tests inject a fake segmenter whose mask they choose; the last ones load the real model
(MediaPipe's selfie segmentation, run by ai-edge-litert) from the resources the app ships.
"""

from __future__ import annotations

import fractions
import logging
import threading
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop import assets
from desktop.media.background.compositor import BackgroundCompositor, ImageUnavailable, cover, load_picture
from desktop.media.background.effect import (
    DEGRADED_MESSAGE,
    IMAGE_FAILED_MESSAGE,
    NONE,
    BackgroundEffect,
    bundled_backgrounds,
    default_model_path,
    resolve_background_image,
)
from desktop.media.background.governor import LoadGovernor
from desktop.media.background.segmentation import MaskSmoother, SelfieSegmenter
from desktop.media.background.track import BackgroundEffectTrack

BLUR = BackgroundEffect("blur", "strong")
LIGHT = BackgroundEffect("blur", "light")
TIME_BASE = fractions.Fraction(1, 90000)


def plane(frame: av.VideoFrame, index: int) -> np.ndarray:
    p = frame.planes[index]
    return np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width].copy()


def noise_frame(width: int = 640, height: int = 360, seed: int = 0, pts: int | None = 0) -> av.VideoFrame:
    """A yuv420p frame of random pixels: any blur shows as a loss of variance."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame


class FakeSegmenter:
    """Says the person is wherever ``masks`` (a list used in turn, the last one repeating) is 1."""

    def __init__(self, masks: list[np.ndarray] | np.ndarray, input_size: tuple[int, int] = (32, 18),
                 on_mask=None) -> None:
        self.input_size = input_size
        self.masks = masks if isinstance(masks, list) else [masks]
        self.calls = 0
        self.shapes: list[tuple[int, ...]] = []
        self.on_mask = on_mask

    def mask(self, rgb: np.ndarray) -> np.ndarray:
        self.shapes.append(rgb.shape)
        n, self.calls = self.calls, self.calls + 1
        if self.on_mask is not None:
            self.on_mask(n)
        return self.masks[min(n, len(self.masks) - 1)].astype(np.float32)


def left_half(value_left: float = 1.0, value_right: float = 0.0, size=(32, 18)) -> np.ndarray:
    w, h = size
    m = np.full((h, w), value_right, np.float32)
    m[:, : w // 2] = value_left
    return m


def solid_picture(rgb=(200, 30, 60), width: int = 320, height: int = 200) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((height, width, 3), rgb, np.uint8), format="rgb24")


# -- the effect as a setting --------------------------------------------------------------------


@pytest.mark.parametrize("effect", [
    NONE, BackgroundEffect("blur", "light"), BackgroundEffect("blur", "strong"),
    BackgroundEffect("replace", image="warm-bokeh.jpg"),
    BackgroundEffect("replace", image="C:\\Users\\me\\Pictures\\beach: sunset.png"),
    BackgroundEffect("replace", image="/home/me/my picture.jpg"),
])
def test_effect_setting_round_trip(effect: BackgroundEffect) -> None:
    assert BackgroundEffect.from_setting(effect.to_setting()) == effect


@pytest.mark.parametrize("text", ["", "nonsense", "blur:medium", "replace:", "replace", "sepia:strong", None, 3])
def test_unknown_settings_mean_no_effect(text) -> None:
    assert BackgroundEffect.from_setting(text) == NONE


def test_effect_values() -> None:
    assert BackgroundEffect.from_setting("blur") == BackgroundEffect("blur", "strong")
    assert not NONE.active and BLUR.active
    with pytest.raises(ValueError):
        BackgroundEffect("replace")
    with pytest.raises(ValueError):
        BackgroundEffect("blur", "medium")  # type: ignore[arg-type]


def test_bundled_backgrounds_are_found_and_readable() -> None:
    names = bundled_backgrounds()
    assert len(names) >= 3
    for name in names:
        path = resolve_background_image(name)
        assert path.is_file() and path.stat().st_size < 150_000
        picture = load_picture(path)
        assert (picture.width, picture.height) == (1280, 720)


# -- the compositor with a fake segmenter -------------------------------------------------------


def test_masked_in_pixels_are_untouched_and_masked_out_pixels_blurred() -> None:
    source = noise_frame()
    compositor = BackgroundCompositor(FakeSegmenter(left_half()))
    for effect in (LIGHT, BLUR):
        out = compositor.apply(source, effect)
        assert out.format.name == "yuv420p" and (out.width, out.height) == (640, 360)
        for index, keep in ((0, 240), (1, 120), (2, 120)):  # the person: left half, minus the edge
            assert np.array_equal(plane(out, index)[:, :keep], plane(source, index)[:, :keep])
        y_in, y_out = plane(source, 0)[:, 400:].astype(float), plane(out, 0)[:, 400:].astype(float)
        assert y_out.std() < y_in.std() / 4  # noise blurred away
        assert abs(y_out.mean() - y_in.mean()) < 6  # same brightness


def test_strong_blur_is_smoother_than_light() -> None:
    source = noise_frame(seed=3)
    everywhere_background = np.zeros((18, 32), np.float32)
    light = BackgroundCompositor(FakeSegmenter(everywhere_background)).apply(source, LIGHT)
    strong = BackgroundCompositor(FakeSegmenter(everywhere_background)).apply(source, BLUR)
    assert plane(strong, 0).std() < plane(light, 0).std()


def test_masked_out_pixels_replaced_by_the_picture() -> None:
    source = noise_frame(seed=1)
    compositor = BackgroundCompositor(FakeSegmenter(left_half()), picture_loader=lambda image: solid_picture())
    out = compositor.apply(source, BackgroundEffect("replace", image="anything.jpg"))
    expected = solid_picture().reformat(format="yuv420p", width=64, height=64)
    for index, keep, start in ((0, 240, 400), (1, 120, 200), (2, 120, 200)):
        assert np.array_equal(plane(out, index)[:, :keep], plane(source, index)[:, :keep])
        colour = int(plane(expected, index)[10, 10])
        assert np.abs(plane(out, index)[:, start:].astype(int) - colour).max() <= 1  # swscale dithers


def test_replacement_picture_covers_the_frame_without_stretching() -> None:
    wide = np.zeros((100, 400, 3), np.uint8)
    wide[:, :100] = (255, 0, 0)  # a red band in the left quarter: cropped away when covering 16:9
    wide[:, 100:] = (0, 0, 255)
    covered = cover(av.VideoFrame.from_ndarray(wide, format="rgb24"), 160, 90).to_ndarray()
    assert covered.shape == (90, 160, 3)
    assert covered[..., 0].max() < 40 and covered[..., 2].min() > 200
    tall = np.zeros((400, 100, 3), np.uint8)
    tall[:100] = (255, 0, 0)  # red top quarter: cropped away too
    tall[100:] = (0, 255, 0)
    covered = cover(av.VideoFrame.from_ndarray(tall, format="rgb24"), 160, 90).to_ndarray()
    assert covered[..., 0].max() < 40


def test_an_unreadable_picture_is_reported() -> None:
    def broken(image: str) -> av.VideoFrame:
        raise OSError("no such file")

    compositor = BackgroundCompositor(FakeSegmenter(left_half()), picture_loader=broken)
    with pytest.raises(ImageUnavailable):
        compositor.apply(noise_frame(), BackgroundEffect("replace", image="gone.jpg"))


def test_mask_is_smoothed_across_frames() -> None:
    w, h = 32, 18
    off, on = np.zeros((h, w), np.float32), np.ones((h, w), np.float32)
    segmenter = FakeSegmenter([off, off, off, on, on, on, on, on, on])
    compositor = BackgroundCompositor(segmenter)
    source = noise_frame(seed=2)
    means, outputs = [], []
    for _ in range(9):
        outputs.append(compositor.apply(source, BLUR))
        means.append(float(compositor.alpha.mean()))
    assert means[:3] == [0.0, 0.0, 0.0]
    assert 0.0 < means[3] < 1.0  # the flip is followed gradually...
    assert means[3] <= means[4] <= means[5]
    assert means[-1] == 1.0  # ...and completely, so the person is then exactly the camera's
    assert np.array_equal(plane(outputs[-1], 0), plane(source, 0))
    y_first_flip = plane(outputs[3], 0).astype(int)
    assert not np.array_equal(y_first_flip, plane(source, 0))
    assert not np.array_equal(y_first_flip, plane(outputs[2], 0))


def test_hesitant_edges_are_smoothed_more_than_clear_changes() -> None:
    smoother = MaskSmoother()
    first = smoother.update(np.zeros((10, 10), np.float32))
    assert first.max() == 0.0
    flip = MaskSmoother()
    flip.update(np.zeros((10, 10), np.float32))
    sure = flip.update(np.ones((10, 10), np.float32))
    unsure = MaskSmoother()
    unsure.update(np.zeros((10, 10), np.float32))
    hesitant = unsure.update(np.full((10, 10), 0.6, np.float32))
    # a clear move gets most of the way at once; a hesitant value barely moves the alpha
    assert sure.mean() > 0.7
    assert hesitant.mean() < 0.1


@pytest.mark.parametrize("fmt", ["nv12", "bgra", "rgb24", "yuyv422"])
def test_camera_formats_and_odd_sizes(fmt: str) -> None:
    source = noise_frame(322, 242).reformat(format=fmt)
    source.pts, source.time_base = 1234, TIME_BASE
    segmenter = FakeSegmenter(left_half(size=(20, 12)), input_size=(20, 12))
    out = BackgroundCompositor(segmenter).apply(source, BLUR)
    assert out.format.name == "yuv420p" and (out.width, out.height) == (322, 242)
    assert (out.pts, out.time_base) == (1234, TIME_BASE)
    assert segmenter.shapes == [(12, 20, 3)]
    odd = noise_frame(321, 241)
    out = BackgroundCompositor(FakeSegmenter(left_half(size=(20, 12)), input_size=(20, 12))).apply(odd, BLUR)
    assert (out.width, out.height) == (321, 241)


def test_the_mask_can_be_reused_for_a_lower_effect_rate() -> None:
    segmenter = FakeSegmenter(left_half())
    compositor = BackgroundCompositor(segmenter)
    compositor.apply(noise_frame(seed=1), BLUR)
    out = compositor.apply(noise_frame(seed=2), BLUR, segment=False, refresh_background=False)
    assert segmenter.calls == 1
    assert np.array_equal(plane(out, 0)[:, :240], plane(noise_frame(seed=2), 0)[:, :240])


# -- the load governor ------------------------------------------------------------------------------


def test_governor_lowers_the_rate_when_slow_and_raises_it_when_calm() -> None:
    governor = LoadGovernor(budget=0.5, window=5, relax=0.3, relax_window=10, warmup=0)
    interval = 1 / 30
    fired = [governor.record(0.005, interval) for _ in range(20)]
    assert not any(fired) and governor.level == 0
    fired = [governor.record(0.030, interval) for _ in range(5)]
    # the mean over the last 5 frames passes 16.7 ms with the third slow frame
    assert fired == [False, False, True, False, False] and governor.level == 1
    assert [governor.plan()[0] for _ in range(4)] == [True, False, True, False]
    fired = [governor.record(0.030, interval) for _ in range(40)]
    assert not any(fired)  # said once
    assert governor.level == len(governor.levels) - 1
    for _ in range(5 + 10):
        governor.record(0.001, interval)
    assert governor.level == len(governor.levels) - 2


# -- the track -------------------------------------------------------------------------------------


class FakeCamera(MediaStreamTrack):
    kind = "video"

    def __init__(self, count: int = 1000, width: int = 160, height: int = 90) -> None:
        super().__init__()
        self.count = count
        self.sent: list[av.VideoFrame] = []
        self.stopped = False
        self._frames = [noise_frame(width, height, seed=i) for i in range(4)]

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live" or len(self.sent) >= self.count:
            raise MediaStreamError
        template = self._frames[len(self.sent) % 4]
        frame = av.VideoFrame(template.width, template.height, "yuv420p")
        for index in range(3):
            np.frombuffer(frame.planes[index], np.uint8)[:] = np.frombuffer(template.planes[index], np.uint8)
        frame.pts, frame.time_base = len(self.sent) * 3000, TIME_BASE
        self.sent.append(frame)
        return frame

    def stop(self) -> None:
        self.stopped = True
        super().stop()


async def test_track_passes_frames_through_without_an_effect() -> None:
    camera = FakeCamera()
    created = []
    track = BackgroundEffectTrack(camera, segmenter_factory=lambda: created.append(1) or FakeSegmenter(left_half()))
    for i in range(5):
        frame = await track.recv()
        assert frame is camera.sent[i] and frame.pts == i * 3000
    assert created == [] and track._executor is None  # no worker, no model without an effect
    track.stop()
    assert camera.stopped


async def test_track_applies_the_effect_off_the_loop_and_keeps_timestamps() -> None:
    camera = FakeCamera()
    threads = set()
    segmenter = FakeSegmenter(left_half(), on_mask=lambda n: threads.add(threading.get_ident()))
    track = BackgroundEffectTrack(camera, BLUR, segmenter_factory=lambda: segmenter)
    for i in range(4):
        frame = await track.recv()
        source = camera.sent[i]
        assert frame is not source
        assert (frame.pts, frame.time_base) == (source.pts, source.time_base)
        assert np.array_equal(plane(frame, 0)[:, :50], plane(source, 0)[:, :50])
        assert not np.array_equal(plane(frame, 0)[:, 100:], plane(source, 0)[:, 100:])
    assert threads and threading.get_ident() not in threads
    track.set_effect(NONE)  # live switch
    frame = await track.recv()
    assert frame is camera.sent[-1]
    track.set_effect(BackgroundEffect("replace", image="warm-bokeh.jpg"))
    frame = await track.recv()
    assert frame is not camera.sent[-1] and frame.pts == camera.sent[-1].pts
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_an_error_in_the_effect_never_loses_a_frame(caplog: pytest.LogCaptureFixture) -> None:
    def fail_sometimes(n: int) -> None:
        if n in (1, 2):
            raise RuntimeError("model hiccup")

    camera = FakeCamera()
    failed: list[str] = []
    track = BackgroundEffectTrack(camera, BLUR, segmenter_factory=lambda: FakeSegmenter(left_half(), on_mask=fail_sometimes),
                                  on_failed=failed.append)
    with caplog.at_level(logging.ERROR, logger="desktop.media.background"):
        frames = [await track.recv() for _ in range(6)]
    assert [f.pts for f in frames] == [f.pts for f in camera.sent]
    assert frames[1] is camera.sent[1] and frames[2] is camera.sent[2]  # passed through
    assert frames[3] is not camera.sent[3]  # and the effect goes on
    assert failed == []
    assert sum("background effect failed" in r.getMessage() for r in caplog.records) == 1
    track.stop()


async def test_an_effect_that_keeps_failing_turns_itself_off_once() -> None:
    def always(n: int) -> None:
        raise RuntimeError("broken")

    camera = FakeCamera()
    failed: list[str] = []
    track = BackgroundEffectTrack(camera, BLUR, segmenter_factory=lambda: FakeSegmenter(left_half(), on_mask=always),
                                  on_failed=failed.append)
    frames = [await track.recv() for _ in range(15)]
    assert all(f is s for f, s in zip(frames, camera.sent))
    assert len(failed) == 1 and track.failure is not None
    track.stop()


async def test_without_a_segmenter_frames_pass_and_the_app_is_told() -> None:
    def no_runtime():
        raise ImportError("No module named 'ai_edge_litert'")

    camera = FakeCamera()
    failed: list[str] = []
    track = BackgroundEffectTrack(camera, BLUR, segmenter_factory=no_runtime, on_failed=failed.append)
    frames = [await track.recv() for _ in range(5)]
    assert all(f is s for f, s in zip(frames, camera.sent))
    assert len(failed) == 1
    track.stop()


async def test_an_unreadable_picture_falls_back_to_blur_and_says_so() -> None:
    camera = FakeCamera()
    failed: list[str] = []
    track = BackgroundEffectTrack(camera, BackgroundEffect("replace", image="/nonexistent/picture.jpg"),
                                  segmenter_factory=lambda: FakeSegmenter(left_half()), on_failed=failed.append)
    frames = [await track.recv() for _ in range(3)]
    assert all(f is not s for f, s in zip(frames, camera.sent))
    assert failed == [IMAGE_FAILED_MESSAGE]
    track.stop()


async def test_a_slow_machine_lowers_the_effect_rate_not_the_camera_rate() -> None:
    now = [0.0]
    segmenter = FakeSegmenter(left_half(), on_mask=lambda n: now.__setitem__(0, now[0] + 0.030))
    camera = FakeCamera(count=60)
    degraded: list[str] = []
    track = BackgroundEffectTrack(camera, BLUR, segmenter_factory=lambda: segmenter, clock=lambda: now[0],
                                  on_degraded=degraded.append)
    frames = []
    while True:
        try:
            frames.append(await track.recv())
        except MediaStreamError:
            break
    assert len(frames) == 60  # every camera frame came out
    assert [f.pts for f in frames] == [f.pts for f in camera.sent]
    assert degraded == [DEGRADED_MESSAGE]  # said once
    assert track.governor.level >= 1
    assert segmenter.calls < 50  # the mask was re-used on some frames
    assert track.interval == pytest.approx(1 / 30)


async def test_stop_ends_the_worker_and_the_camera() -> None:
    camera = FakeCamera()
    track = BackgroundEffectTrack(camera, BLUR, segmenter_factory=lambda: FakeSegmenter(left_half()))
    await track.recv()
    executor = track._executor
    track.stop()
    track.stop()  # idempotent
    assert camera.stopped and executor is not None and executor._shutdown
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_the_track_ends_when_the_camera_ends() -> None:
    track = BackgroundEffectTrack(FakeCamera(count=2), BLUR, segmenter_factory=lambda: FakeSegmenter(left_half()))
    await track.recv()
    await track.recv()
    with pytest.raises(MediaStreamError):
        await track.recv()
    assert track.readyState == "ended"


# -- the real model ---------------------------------------------------------------------------------

needs_runtime = pytest.mark.skipif(not SelfieSegmenter.available(), reason=str(SelfieSegmenter.why_unavailable()))


def test_the_model_ships_with_its_licence() -> None:
    model = default_model_path()
    assert model.name == "selfie_segmentation_landscape.tflite" and model.stat().st_size > 200_000
    licence = (model.parent / "LICENSE-selfie-segmentation.txt").read_text()
    assert "MediaPipe" in licence and "Apache License" in licence and "Version 2.0" in licence


def test_the_model_is_found_through_the_resource_override(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "selfie_segmentation_landscape.tflite").write_bytes(b"x")
    monkeypatch.setattr(assets, "override", tmp_path)
    assert default_model_path() == tmp_path / "models" / "selfie_segmentation_landscape.tflite"


@pytest.fixture(scope="module")
def segmenter() -> SelfieSegmenter:
    if not SelfieSegmenter.available():
        pytest.skip(str(SelfieSegmenter.why_unavailable()))
    return SelfieSegmenter()


@needs_runtime
@pytest.mark.parametrize("size", [(640, 360), (1280, 720), (320, 240)])
def test_the_real_model_masks_camera_frames(segmenter: SelfieSegmenter, size: tuple[int, int]) -> None:
    assert segmenter.input_size == (256, 144)
    width, height = size
    compositor = BackgroundCompositor(segmenter)
    out = compositor.apply(noise_frame(width, height), BLUR)
    assert (out.width, out.height) == size
    alpha = compositor.alpha
    assert alpha.shape == (144, 256) and alpha.dtype == np.float32
    assert 0.0 <= alpha.min() and alpha.max() <= 1.0
    raw = segmenter.mask(np.zeros((144, 256, 3), np.uint8))
    assert raw.shape == (144, 256) and raw.dtype == np.float32
    grey = av.VideoFrame.from_ndarray(np.full((height, width, 3), 128, np.uint8), format="rgb24")
    compositor.reset()
    compositor.apply(grey.reformat(format="yuv420p"), BLUR)
    assert compositor.alpha.std() < 0.05 and compositor.alpha.mean() < 0.1  # nobody in an empty grey room


@needs_runtime
def test_the_real_model_finds_a_head_and_shoulders(segmenter: SelfieSegmenter) -> None:
    """A flat drawing of a person (not a photo): enough to check the input's colours and range."""
    h, w = 144, 256
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.uint8)
    img[:] = (190, 190, 205)
    head = ((xx - 128) / 30) ** 2 + ((yy - 50) / 38) ** 2 < 1
    body = ((xx - 128) / 80) ** 2 + ((yy - 170) / 70) ** 2 < 1
    img[body] = (40, 50, 90)
    img[head] = (215, 165, 140)
    img[head & (yy < 25)] = (25, 18, 12)
    mask = segmenter.mask(img)
    assert mask[head | body].mean() > 0.6
    assert mask[~(head | body)].mean() < 0.2


def test_without_the_runtime_effects_are_unavailable_and_say_why(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # import fails
    assert not SelfieSegmenter.available()
    assert "ai-edge-litert" in (SelfieSegmenter.why_unavailable() or "")


def test_an_unsure_edge_shows_no_sharp_camera_background() -> None:
    """Where the model hesitates (a band of 0.55 beside the person), the camera's own background
    (sharp noise here: a bookshelf, in life) must not show through as a coloured fringe: the
    edge is tightened and the person's pixels there are mixed towards their own spread colours."""
    mask = np.zeros((18, 32), np.float32)
    mask[:, :12] = 1.0  # the person
    mask[:, 12:20] = 0.55  # the unsure edge
    source = noise_frame(seed=5)
    for effect in (BLUR, BackgroundEffect("replace", image="anything.jpg")):
        compositor = BackgroundCompositor(FakeSegmenter(mask), picture_loader=lambda image: solid_picture())
        out = compositor.apply(source, effect)
        band = slice(270, 350)  # inside the unsure band, away from its ends (640 px wide frame)
        for index, scale in ((0, 1), (1, 2), (2, 2)):
            camera = plane(source, index)[:, band.start // scale: band.stop // scale].astype(float)
            shown = plane(out, index)[:, band.start // scale: band.stop // scale].astype(float)
            assert shown.std() < camera.std() * 0.15, (effect.kind, index, shown.std(), camera.std())
        assert np.array_equal(plane(out, 0)[:, :150], plane(source, 0)[:, :150])  # the person stays sharp
