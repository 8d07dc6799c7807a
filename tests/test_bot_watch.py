"""parley-bot's per-remote figures (desktop/bot/watch.py) on an injected clock, and the packet
counters of a received video section (desktop/media/receive_counters.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from desktop.bot.cli import parse_args
from desktop.bot.watch import MediaWatch
from desktop.media.audio_receive import BufferStats
from desktop.media.receive_counters import VideoReceiveCounter, vp8_keyframe_start

INTERVAL = 1 / 30


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def watch_with_window(clock: Clock) -> MediaWatch:
    watch = MediaWatch(INTERVAL, clock)
    watch.open_window({}, {})
    return watch


def show(watch: MediaWatch, clock: Clock, who: str, number: int | None, keyframe: bool = False,
         captured_ms: int | None = None, step: float = INTERVAL) -> None:
    clock.now += step
    wall_ms = round(clock.now * 1000)
    captured = captured_ms if captured_ms is not None else (None if number is None else wall_ms - 40)
    watch.picture(who, number, captured, keyframe, wall_ms)


def test_a_steady_camera_is_never_frozen_and_its_rate_and_latency_are_reported() -> None:
    clock = Clock()
    watch = watch_with_window(clock)
    for n in range(300):
        show(watch, clock, "a", n, keyframe=n == 0)
    video = watch.close({"a": (400, 0, 1)}, {}, {"a": "Ann"}, {"a"})["a"]["video"]
    assert video["frames"] == 300 and round(video["fps"]) == 30
    assert video["frozen_share"] == 0.0
    assert video["latency_ms"]["p50"] == 40.0
    assert video["damaged_pictures"] == 0 and video["pictures_missing"] == 0
    assert video["keyframes"] == 1 and video["packets"] == 400
    assert (video["layer"], video["paused"], video["paused_share"]) == (None, False, 0.0)


def test_a_paused_video_is_neither_counted_nor_frozen_and_its_layers_are_shared_out() -> None:
    clock = Clock()
    watch = MediaWatch(INTERVAL, clock)
    watch.video_state("a", False, "high")  # before the window: the first allocation
    watch.open_window({}, {})
    for n in range(150):  # 5 s on the high layer
        show(watch, clock, "a", n, keyframe=n == 0)
    watch.video_state("a", False, "low")
    for n in range(150, 300):  # 5 s on the low layer
        show(watch, clock, "a", n, keyframe=n == 150)
    watch.video_state("a", True, None)  # the link cannot carry it: 5 s paused, no pictures
    clock.now += 5.0
    watch.video_state("a", False, "low")
    clock.now += 0.5  # its first picture after the resumption comes half a second later
    for n in range(300, 450):
        show(watch, clock, "a", n, keyframe=n == 300)
    video = watch.close({}, {}, {}, {"a"})["a"]["video"]
    assert video["stage_share"] == 0.0
    assert (video["layer"], video["paused"]) == ("low", False)
    assert abs(video["paused_share"] - 5.0 / 20.5) < 0.01
    assert round(video["fps"]) == 29  # 450 pictures in the 15.5 s it was not paused
    assert abs(video["frozen_share"] - 0.5 / 15.5) < 0.01  # only the wait after the resumption
    assert video["layers"]["high"] == pytest.approx(5.0 / 20.5, abs=0.01)
    assert video["layers"]["low"] == pytest.approx(10.5 / 20.5, abs=0.01)


def test_a_video_paused_all_along_is_reported_paused_not_frozen() -> None:
    clock = Clock()
    watch = MediaWatch(INTERVAL, clock)
    watch.video_state("a", True, None)
    watch.open_window({}, {})
    clock.now += 10.0
    video = watch.close({}, {}, {}, {"a"})["a"]["video"]
    assert video["paused"] is True and video["paused_share"] == 1.0
    assert video["fps"] is None and video["frozen_share"] is None


def test_a_long_gap_counts_whole_as_frozen_and_a_short_one_not_at_all() -> None:
    clock = Clock()
    watch = watch_with_window(clock)
    for n in range(30):
        show(watch, clock, "a", n)
    show(watch, clock, "a", 30, step=0.09)  # under 3 intervals: no freeze
    show(watch, clock, "a", 31, step=1.0)  # a second without a new picture
    for n in range(32, 60):
        show(watch, clock, "a", n)
    video = watch.close({}, {}, {}, set())["a"]["video"]
    seconds = video["seconds"]
    assert abs(video["frozen_share"] - 1.0 / seconds) < 0.001
    assert video["longest_gap_ms"] == 1000.0


def test_pictures_after_a_lost_one_are_damaged_until_a_keyframe() -> None:
    clock = Clock()
    watch = watch_with_window(clock)
    for n in (1, 2, 3):
        show(watch, clock, "a", n)
    show(watch, clock, "a", 6)  # 4 and 5 never came: 6 refers to what we do not have
    show(watch, clock, "a", 7)
    show(watch, clock, "a", None)  # a smeared picture: its stamp no longer reads
    show(watch, clock, "a", 9, keyframe=True)  # whole again
    show(watch, clock, "a", 10)
    video = watch.close({}, {}, {}, set())["a"]["video"]
    assert video["damaged_pictures"] == 3  # 6, 7 and the unreadable one
    assert video["pictures_missing"] == 2
    assert video["stamps_unreadable"] == 1


def test_replayed_clips_are_not_judged_by_their_stamps() -> None:
    clock = Clock()
    watch = watch_with_window(clock)
    for n in (0, 1, 2, 40, 41, 0, 1):  # a clip loops and skips to keyframes
        show(watch, clock, "light", n, captured_ms=0)
    video = watch.close({}, {}, {}, set())["light"]["video"]
    assert video["frames"] == 7
    assert video["damaged_pictures"] is None and video["latency_ms"] is None


def test_before_the_window_nothing_counts_and_a_camera_that_left_is_no_freeze() -> None:
    clock = Clock()
    watch = MediaWatch(INTERVAL, clock)
    for n in range(30):
        show(watch, clock, "a", n)  # before the window opens
    watch.open_window({"a": (100, 0, 1)}, {})
    for n in range(30, 90):
        show(watch, clock, "a", n)
    watch.stopped("a")  # it left
    clock.now += 5.0
    video = watch.close({"a": (250, 2, 3)}, {}, {}, set())["a"]["video"]
    assert video["frames"] == 60 and video["frozen_share"] == 0.0 and round(video["seconds"]) == 2
    assert (video["packets"], video["repeated"], video["keyframes"]) == (150, 2, 2)


def test_a_camera_that_never_showed_is_frozen_all_along() -> None:
    clock = Clock()
    watch = watch_with_window(clock)
    clock.now += 10
    video = watch.close({}, {}, {"b": "Bea"}, {"b"})["b"]["video"]
    assert (video["fps"], video["frozen_share"]) == (0.0, 1.0)


def test_audio_shares_come_from_the_jitter_buffer_over_the_window() -> None:
    clock = Clock()
    watch = MediaWatch(INTERVAL, clock)
    watch.open_window({}, {"a": BufferStats(packets=100, decoded=100)})
    now = BufferStats(packets=1100, decoded=1000, fec=60, concealed=40, expanded=3)
    audio = watch.close({}, {"a": (now, 0.06)}, {}, set())["a"]["audio"]
    assert audio["packets"] == 1000
    assert audio["lost_share"] == 0.1 and audio["concealed_share"] == 0.04
    assert audio["delay_ms"] == 60.0


def test_the_encoder_target_is_summarised_in_kbit_per_s() -> None:
    clock = Clock()
    watch = watch_with_window(clock)
    for bitrate in (500_000, 500_000, 300_000, None):
        watch.encoder_target(bitrate)
    assert watch.encoder_json() == {"p50": 500.0, "min": 300.0, "max": 500.0, "last": 300.0, "samples": 3}


# --- packet counters -------------------------------------------------------------------------

VP8_KEY = bytes([0x90, 0x80, 0x81, 0x23]) + bytes([0x50, 0x00, 0x00, 0x9D, 0x01, 0x2A]) + bytes(10)
VP8_INTER = bytes([0x90, 0x80, 0x81, 0x24]) + bytes([0x51, 0x00, 0x00]) + bytes(10)
VP8_MIDDLE = bytes([0x80, 0x80, 0x81, 0x23]) + bytes(16)  # a later packet of the keyframe


@dataclass
class Packet:
    sequence_number: int
    timestamp: int
    payload: bytes


def test_vp8_keyframes_are_found_by_their_first_packet() -> None:
    assert vp8_keyframe_start(VP8_KEY)
    assert not vp8_keyframe_start(VP8_INTER) and not vp8_keyframe_start(VP8_MIDDLE)
    assert not vp8_keyframe_start(b"\x10")


def test_the_counter_sees_keyframes_and_packets_that_came_twice() -> None:
    counter = VideoReceiveCounter()
    for packet in (Packet(1, 3000, VP8_KEY), Packet(2, 3000, VP8_MIDDLE), Packet(3, 6000, VP8_INTER),
                   Packet(2, 3000, VP8_MIDDLE), Packet(4, 9000, VP8_KEY)):
        counter.on_packet(packet)
    assert (counter.packets, counter.repeated, counter.keyframes) == (5, 1, 2)
    assert counter.is_keyframe(3000) and counter.is_keyframe(9000)
    assert not counter.is_keyframe(6000) and not counter.is_keyframe(None)


def test_the_counter_keeps_each_pictures_id_by_its_timestamp() -> None:
    counter = VideoReceiveCounter()
    for seq, timestamp, picture_id in ((1, 3000, 7), (2, 3000, 7), (3, 6000, 8), (4, 9000, 300)):
        counter.on_packet(Packet(seq, timestamp, bytes([0x90, 0x80, 0x80 | picture_id >> 8, picture_id & 0xFF, 0])))
    assert [counter.picture_id(t) for t in (3000, 6000, 9000, 12000, None)] == [7, 8, 300, None, None]


# --- the options that feed it ------------------------------------------------------------------


def test_the_bot_takes_its_host_address_and_measuring_window_from_the_command_line() -> None:

    options, _ = parse_args(["parley://127.0.0.1:8750/m/x?token=t", "--ice-address", "127.0.0.2",
                             "--measure-after", "3", "--duration", "10"])
    assert options.ice_addresses == ("127.0.0.2",) and options.measure_after == 3.0
    assert parse_args(["parley://127.0.0.1:8750/m/x?token=t"])[0].ice_addresses is None
    for bad in (["--ice-address", "not-an-address"], ["--measure-after", "10", "--duration", "10"]):
        with pytest.raises(SystemExit):
            parse_args(["parley://127.0.0.1:8750/m/x?token=t", *bad])


def test_the_bot_shows_its_remotes_at_the_tile_size_it_is_given() -> None:
    url = "parley://127.0.0.1:8750/m/x?token=t"
    assert parse_args([url])[0].tile == (640, 360)
    assert parse_args([url, "--tile", "320x180"])[0].tile == (320, 180)
    assert parse_args([url, "--tile", "0x0"])[0].tile == (0, 0)
    for bad in ("big", "320", "-1x5"):
        with pytest.raises(SystemExit):
            parse_args([url, "--tile", bad])


def test_who_was_on_stage_is_shared_out_over_the_window() -> None:
    clock = Clock()
    watch = MediaWatch(INTERVAL, clock)
    watch.on_stage("a")  # before the window: only what falls in it counts
    clock.now += 5
    watch.open_window({}, {})
    clock.now += 3
    watch.on_stage("b")
    clock.now += 1
    watch.picture("a", None, None, False, None)
    watch.picture("b", None, None, False, None)
    remotes = watch.close({}, {}, {}, {"a", "b"})
    assert remotes["a"]["video"]["stage_share"] == 0.75 and remotes["b"]["video"]["stage_share"] == 0.25


def test_picture_ids_tell_a_lost_picture_from_one_never_taken_or_superseded() -> None:
    clock = Clock()
    watch = watch_with_window(clock)

    def shown(number: int, picture_id: int, keyframe: bool = False, superseded: int = 0) -> None:
        clock.now += INTERVAL
        wall_ms = round(clock.now * 1000)
        watch.picture("a", number, wall_ms - 40, keyframe, wall_ms, picture_id, superseded)

    shown(0, 100, keyframe=True)
    for n in range(1, 10):  # a small layer at half the camera's rate: every other number, next ids
        shown(2 * n, 100 + n)
    shown(20, 111, superseded=1)  # 110 was decoded but replaced before it was taken: whole
    shown(22, 114, superseded=1)  # 112 and 113 never arrived: this one and the next are damaged
    shown(24, 115, superseded=1)
    shown(26, 116, keyframe=True, superseded=1)  # whole again
    shown(28, 117, superseded=1)
    video = watch.close({}, {}, {}, set())["a"]["video"]
    assert video["damaged_pictures"] == 2 and video["pictures_missing"] == 2
