"""The loads of ``janus_vs_builtin.py``, and the figures its bots' reports give for each.

Two shapes:

- ``N`` (``1 → N``): one publisher (bot 0: synthetic camera and microphone, stamped pictures) and
  N receivers (bots 1..N, no camera, no microphone). Receivers 1 and 2 decode; the rest are
  ``--light`` (they count frames without decoding).
- ``meshN``: N bots, each publishing a camera and a microphone and receiving all the others.
  Bots 0..N-3 are ``--light``: they replay a pre-encoded clip (its pictures carry no capture time)
  and count what they receive without decoding; they join first. The last two encode a live
  stamped camera and decode everything; they join once every light bot's camera is in. So each
  decoding bot's glass-to-glass latency is that of the other decoding bot's pictures (the only
  stamped ones it gets), and its first decoded picture is measured, from its own ``joined``, for
  each light bot already publishing when it came: the median of those is "first decoded frame",
  the last of them ("all pictures") is when its whole grid was showing.

On two cores eight decoding bots would be the bench's own load, not the server's; two decoders
is what the ``1 → N`` loads use too.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from harness import rnd

__all__ = ["DECODING_RECEIVERS", "Load", "fanout_figures", "mesh_figures", "parse_loads"]

DECODING_RECEIVERS = 2


@dataclass(frozen=True)
class Load:
    """``1 → n`` (``mesh`` False) or ``mesh n``."""

    n: int
    mesh: bool = False

    @property
    def tag(self) -> str:
        """As written on the command line, and in file names: ``15``, ``mesh8``."""
        return f"mesh{self.n}" if self.mesh else str(self.n)

    @property
    def label(self) -> str:
        return f"mesh {self.n}" if self.mesh else f"1 → {self.n}"

    @property
    def bots(self) -> int:
        return self.n if self.mesh else self.n + 1

    @property
    def light(self) -> int:
        """Mesh: how many bots are ``--light`` (bots 0..light-1); the rest decode."""
        return max(0, self.n - DECODING_RECEIVERS)

    def options(self, i: int) -> tuple[str, ...]:
        """Bot ``i``'s own options (beside the bench's size, rate, duration)."""
        if self.mesh:
            return ("--light",) if i < self.light else ()
        if i == 0:
            return ()  # the publisher
        return ("--camera", "none", "--mic", "none", *(() if i <= DECODING_RECEIVERS else ("--light",)))

    def decoding(self) -> range:
        """The indices of the bots that decode and measure."""
        return range(self.light, self.n) if self.mesh else range(1, min(self.n, DECODING_RECEIVERS) + 1)


def parse_loads(text: str) -> list[Load]:
    """``"4,15,mesh8"`` → the loads; ValueError for anything else."""
    loads = []
    for item in text.split(","):
        item = item.strip().lower()
        mesh = item.startswith("mesh")
        n = int(item[4:] if mesh else item)
        if n < (2 if mesh else 1):
            raise ValueError(f"load {item!r}: a mesh needs 2 bots at least, 1 → N one receiver")
        loads.append(Load(n, mesh))
    return loads


def frames_total(reports: list[dict | None]) -> int:
    """Video frames received by every bot from everyone, added up: did the forwarder keep up?"""
    return sum(sum(r.get("frames_received", {}).values()) for r in reports if r)


def _g2g(decoding: list[dict]) -> dict:
    p50 = [r["latency_ms"]["p50"] for r in decoding if r.get("latency_ms")]
    p95 = [r["latency_ms"]["p95"] for r in decoding if r.get("latency_ms") and r["latency_ms"].get("p95") is not None]
    return {"g2g_p50_ms": rnd(statistics.median(p50)) if p50 else None,
            "g2g_p95_ms": rnd(max(p95)) if p95 else None}  # the worse decoding bot's, over its stay


def fanout_figures(load: Load, reports: list[dict | None], attendees: list[str]) -> dict:
    """``1 → N``: ``reports`` and ``attendees`` of every bot, in start order (None: no report)."""
    publisher = attendees[0]
    decoding = [r for r in (reports[i] for i in load.decoding()) if r]
    first = [r["first_frame_ms"][publisher] - r["joined_ms"] for r in decoding
             if publisher in r.get("first_frame_ms", {}) and r.get("joined_ms") is not None]
    received = sum(1 for r in reports[1:] if r and r.get("frames_received", {}).get(publisher, 0) > 0)
    return {**_g2g(decoding), "first_frame_ms": rnd(statistics.median(first)) if first else None,
            "receivers_with_video": received, "receivers_expected": load.n, "frames_received": frames_total(reports)}


def mesh_figures(load: Load, reports: list[dict | None], attendees: list[str]) -> dict:
    """``mesh N``: as ``fanout_figures``. ``receivers_with_video`` counts the bots that got video
    from every other bot."""
    decoding = [r for r in (reports[i] for i in load.decoding()) if r]
    light = attendees[:load.light]
    medians, alls = [], []
    for r in decoding:
        if r.get("joined_ms") is None:
            continue
        firsts = [r["first_frame_ms"][a] - r["joined_ms"] for a in light if a in r.get("first_frame_ms", {})]
        if firsts:
            medians.append(statistics.median(firsts))
            if len(firsts) == len(light):
                alls.append(max(firsts))
    received = sum(1 for i, r in enumerate(reports) if r and all(
        r.get("frames_received", {}).get(a, 0) > 0 for j, a in enumerate(attendees) if j != i))
    return {**_g2g(decoding),
            "first_frame_ms": rnd(statistics.median(medians)) if medians else None,
            "first_frame_all_ms": rnd(statistics.median(alls)) if alls else None,
            "receivers_with_video": received, "receivers_expected": load.n, "frames_received": frames_total(reports)}
