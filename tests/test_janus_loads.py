"""bench/janus_loads.py: the loads of the Janus comparison and the figures read from the bots'
reports (which bots decode, what counts as the first decoded picture in a mesh)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parent.parent / "bench"))  # bench/ modules import plainly

from janus_loads import Load, fanout_figures, mesh_figures, parse_loads  # noqa: E402


def test_loads_parse_fan_outs_and_meshes():
    assert parse_loads("4, 15,mesh8") == [Load(4), Load(15), Load(8, mesh=True)]
    assert [load.label for load in parse_loads("4,mesh8")] == ["1 → 4", "mesh 8"]
    for bad in ("mesh", "mesh1", "0", "eight"):
        with pytest.raises(ValueError):
            parse_loads(bad)


def test_a_mesh_of_eight_has_six_light_publishers_then_two_decoding_ones():
    mesh = Load(8, mesh=True)
    assert mesh.bots == 8
    assert [mesh.options(i) for i in range(8)] == [("--light",)] * 6 + [()] * 2  # all publish
    assert list(mesh.decoding()) == [6, 7]
    fanout = Load(4)
    assert fanout.bots == 5
    assert fanout.options(0) == ()  # the publisher
    assert fanout.options(1) == ("--camera", "none", "--mic", "none")
    assert fanout.options(3) == ("--camera", "none", "--mic", "none", "--light")
    assert list(fanout.decoding()) == [1, 2]


def _report(joined: float, first: dict[str, float], p50: float | None = None, p95: float | None = None) -> dict:
    return {"joined_ms": joined, "first_frame_ms": first, "frames_received": {a: 10 for a in first},
            "latency_ms": None if p50 is None else {"p50": p50, "p95": p95, "samples": 100}}


def test_mesh_figures_take_the_decoding_bots_first_pictures_of_those_already_in():
    ids = ["a", "b", "c", "d"]  # mesh 4: a, b light; c, d decode
    reports = [
        _report(100, {"b": 300, "c": 900, "d": 950}),
        _report(150, {"a": 300, "c": 900, "d": 950}),
        _report(800, {"a": 860, "b": 900, "d": 1100}, p50=40, p95=90),  # firsts 60, 100
        _report(850, {"a": 920, "b": 1010, "c": 1000}, p50=50, p95=120),  # firsts 70, 160
    ]
    figures = mesh_figures(Load(4, mesh=True), reports, ids)
    # c: 60 and 100 ms after its join (median 80, all by 100); d: 70 and 160 (median 115, all by 160)
    assert figures["first_frame_ms"] == 97.5
    assert figures["first_frame_all_ms"] == 130.0
    assert figures["g2g_p50_ms"] == 45.0 and figures["g2g_p95_ms"] == 120.0  # the worse decoder's p95
    assert figures["receivers_with_video"] == 4
    assert figures["frames_received"] == 4 * 3 * 10
    reports[1]["frames_received"]["d"] = 0  # b never got d's video
    reports[3] = None  # and d wrote no report
    figures = mesh_figures(Load(4, mesh=True), reports, ids)
    assert figures["receivers_with_video"] == 2
    assert figures["first_frame_ms"] == 80.0 and figures["g2g_p50_ms"] == 40.0


def test_fanout_figures_count_the_publishers_first_picture_at_the_decoding_receivers():
    ids = ["pub", "r1", "r2", "r3"]
    light = {"joined_ms": 500, "first_frame_ms": {"pub": 900}, "frames_received": {"pub": 5}, "latency_ms": None}
    reports = [None, _report(400, {"pub": 470}, 30, 60), _report(420, {"pub": 520}, 34, 70), light]
    figures = fanout_figures(Load(3), reports, ids)
    assert figures["first_frame_ms"] == 85.0  # 70 and 100: the light receiver's is not a decoded picture
    assert figures["g2g_p50_ms"] == 32.0 and figures["g2g_p95_ms"] == 70.0
    assert figures["receivers_with_video"] == 3
