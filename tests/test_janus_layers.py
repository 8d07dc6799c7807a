"""The Janus backend's choice of layer per subscriber and camera (server/janus/layers.py), and
the figures it reads from Janus's Admin API (server/janus/admin.py), without a Janus: the rules
alone, with an injected clock. End to end with a real Janus: test_janus_e2e.py."""

from __future__ import annotations

from server.janus.admin import MIN_PACKETS, LossMeter, media_counters
from server.janus.layers import GOOD_AFTER, LinkWatch, choose_layer
from wire import TileNeed

BOTH = ["high", "low"]


def tile(height: int) -> TileNeed:
    return TileNeed("ada", height * 16 // 9, height)


def test_the_tile_chooses_the_smallest_layer_that_fills_it_and_a_hidden_tile_gets_nothing() -> None:
    assert choose_layer(BOTH, None, False) == "high"  # no word from the subscriber: the whole picture
    assert choose_layer(BOTH, tile(90), False) == "low"
    assert choose_layer(BOTH, tile(180), False) == "low"
    assert choose_layer(BOTH, tile(181), False) == "high"
    assert choose_layer(BOTH, tile(1080), False) == "high"
    assert choose_layer(BOTH, tile(0), False) is None
    assert choose_layer(["high"], tile(90), False) == "high"  # one layer: that one


def test_a_poor_link_gets_the_small_layer_whatever_the_tile_and_hidden_stays_hidden() -> None:
    assert choose_layer(BOTH, tile(720), True) == "low"
    assert choose_layer(BOTH, None, True) == "low"
    assert choose_layer(BOTH, tile(0), True) is None
    assert choose_layer(["high"], tile(720), True) == "high"


def test_the_link_is_poor_at_once_and_good_again_only_after_a_clean_while() -> None:
    now = [0.0]
    link = LinkWatch(lambda: now[0])
    assert link.observe(0.02) is False and not link.poor
    assert link.observe(None) is False
    assert link.observe(0.15) is True and link.poor
    now[0] += 2
    assert link.observe(0.01) is False and link.poor  # clean since now
    now[0] += GOOD_AFTER - 1
    assert link.observe(0.05) is False and link.poor  # not clean enough: starts again
    now[0] += 2
    assert link.observe(0.0) is False
    now[0] += GOOD_AFTER
    assert link.observe(0.0) is True and not link.poor


def test_the_loss_meter_waits_for_enough_packets_and_follows_restarted_counters() -> None:
    meter = LossMeter()
    assert meter.read(100, 0) is None  # a first reading says nothing
    assert meter.read(110, 0) is None  # too few packets since: waits
    assert meter.read(100 + MIN_PACKETS, 5) == 5 / (MIN_PACKETS + 5)
    assert meter.loss == 5 / (MIN_PACKETS + 5)
    assert meter.read(10, 0) is None and meter.loss is None  # counters restarted (a new handle)
    assert meter.read(110, 0) == 0.0


def test_handle_info_is_read_per_mid() -> None:
    info = {"webrtc": {"media": {
        "0": {"type": "audio", "stats": {"in": {"packets": 500}, "out": {"packets": 7}},
              "rtcp": {"main": {"lost": 4, "lost-by-remote": 1}}},
        "1": {"type": "video", "stats": {"in": {"packets": 900, "bytes": 1}}, "rtcp": {}},
        "2": {"type": "data"}}}}
    counters = media_counters(info)
    assert set(counters) == {"0", "1"}
    assert (counters["0"].packets_in, counters["0"].packets_out, counters["0"].lost_in,
            counters["0"].lost_by_remote) == (500, 7, 4, 1)
    assert counters["1"].kind == "video" and counters["1"].packets_in == 900 and counters["1"].lost_in == 0
    assert media_counters({}) == {}  # a handle without a PeerConnection yet
