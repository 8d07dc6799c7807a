"""What a call notes for the benchmarks when a stats file is asked for (``PARLEY_STATS_FILE``):
at its end, what each tile showed, the loop's lag, each video's receive counters and the voices'
(bench/app.py, bench/app_load.py); every stats sample, a timeline line (bench/app_load.py)."""

from __future__ import annotations

import dataclasses
import json
import time

SELF = "self"  # the self-view tile's key (call_window.SELF), never counted


def _frames_shown(grid) -> dict[str, int]:
    return {key: grid.tile(key).frames_shown for key in grid.keys() if key != SELF}


def write_stats(path: str, seconds_in_call: float, grid, remote) -> None:
    """The call's end: ``remote`` is the session's RemoteMedia."""
    stats = {
        "seconds_in_call": seconds_in_call,
        "frames_shown": _frames_shown(grid),
        "loop_lag": remote.loop_lag.summary(),
        "video": {who: dataclasses.asdict(totals) for who, totals in remote.video_totals().items()},
        "audio": remote.audio_totals(),
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(stats, out)


def note_timeline(path: str, grid, remote) -> None:
    """One line: what each tile showed so far, which are paused, the loop's recent lag, decoding."""
    totals = remote.video_totals()
    line = {"t": time.time(), "busy": remote.busy, "paused": sorted(remote.paused),
            "lag_p99_ms": remote.loop_lag.recent_p99(), "frames_shown": _frames_shown(grid),
            "decode_s": sum(t.decode_seconds for t in totals.values()),
            "decoded": sum(t.frames_decoded for t in totals.values())}
    with open(path + ".timeline", "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
