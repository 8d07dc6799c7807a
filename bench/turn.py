"""What TURN over TCP costs a participant, against going straight over UDP, in one run.

    sudo python bench/turn.py [--rounds 3] [--duration 12] [--size 320x180] [--fps 15]

Needs root (it makes network namespaces: tests/netlab.py), iptables and coturn. In each round two
meetings run at once on one parley-server, with one coturn beside it (both in the server's
namespace, 10.77.19.1 / 10.77.18.1):

- the **relayed** meeting: a bot on a network that drops UDP (10.77.19.2; it can only reach
  coturn over TCP) and a bot in the server's namespace;
- the **direct** meeting, the control: a bot on an open network (10.77.18.2, the same kind of
  link) and a bot in the server's namespace.

Every bot is a full one (live synthetic camera, decoded video), so each reads glass-to-glass
latency from the stamps in the pictures it gets from the other. Figures per meeting:

- join → first frame: the client's ``first_frame_ms`` (from starting to join, before its socket
  opens, to the first picture of the other bot), the relayed client against the open one;
- glass-to-glass: the median of the two bots' p50 (each direction crosses the relay once in the
  relayed meeting), and the relay's added latency = relayed − direct.

Prints a line per round and one JSON line with everything. The machine is shared: read the
figures as ratios within a round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.netlab import Lab, coturn_unavailable, report  # noqa: E402

SECRET = "bench-turn-secret"


def first_frame_ms(me: dict, other: dict) -> float | None:
    """From starting to join (the bot's clock zero: before the socket opens) to the first
    picture of ``other``: signalling, gathering (a TURN allocation included), ICE, DTLS, and
    the first keyframe."""
    first = me["first_frame_ms"].get(other["attendee_id"])
    return None if first is None else round(first, 1)


def g2g(*reports: dict) -> float | None:
    p50s = [r["latency_ms"]["p50"] for r in reports if r.get("latency_ms")]
    return round(statistics.median(p50s), 1) if p50s else None


def one_round(tmp: Path, duration: float, size: str, fps: int) -> dict:
    lab = Lab(tmp)
    try:
        server_ns, hotel, home = lab.namespace("s"), lab.namespace("h"), lab.namespace("o")
        lab.link(server_ns, "10.77.19.1/24", hotel, "10.77.19.2/24")
        lab.link(server_ns, "10.77.18.1/24", home, "10.77.18.2/24")
        lab.drop_udp(hotel)
        lab.coturn(server_ns, "10.77.19.1", SECRET)
        server = lab.parley_server(server_ns, "10.77.19.1", "--ice-address", "10.77.19.1", "10.77.18.1",
                                   "--host", "0.0.0.0", "--public-host", "10.77.19.1:8750",
                                   "--turn-server", "turn:10.77.19.1:3478?transport=tcp",
                                   "--turn-secret", SECRET)
        relayed_meeting, direct_meeting = server.meeting(), server.meeting()
        options = ("--duration", str(duration), "--size", size, "--fps", str(fps))
        hotel_url = server.join_url(relayed_meeting, "Relayed")
        # the open network reaches the server on its own link's address
        home_url = server.join_url(direct_meeting, "Direct").replace("10.77.19.1:8750", "10.77.18.1:8750")
        bots = {
            "relayed_peer": lab.bot(server_ns, "RelayedPeer", server.join_url(relayed_meeting, "RelayedPeer"), *options),
            "direct_peer": lab.bot(server_ns, "DirectPeer", server.join_url(direct_meeting, "DirectPeer"), *options),
        }
        time.sleep(1.0)  # the peers are in first: the clients' first frame is theirs to wait for
        bots["relayed"] = lab.bot(hotel, "Relayed", hotel_url, *options)
        bots["direct"] = lab.bot(home, "Direct", home_url, *options)
        got = {name: report(proc, duration + 90) for name, proc in bots.items()}
    finally:
        lab.close()
    return {
        "first_frame_ms": {"relayed": first_frame_ms(got["relayed"], got["relayed_peer"]),
                           "direct": first_frame_ms(got["direct"], got["direct_peer"])},
        "joined_ms": {"relayed": got["relayed"]["joined_ms"], "direct": got["direct"]["joined_ms"]},
        "glass_to_glass_p50_ms": {"relayed": g2g(got["relayed"], got["relayed_peer"]),
                                  "direct": g2g(got["direct"], got["direct_peer"])},
        "frames": {name: sum(r["frames_received"].values()) for name, r in got.items()},
        "reconnects": {name: r["reconnects"] for name, r in got.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=12.0, help="seconds each bot stays")
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--fps", type=int, default=15)
    args = parser.parse_args()
    reason = coturn_unavailable()
    if reason:
        print(f"bench/turn.py: cannot run: {reason}", file=sys.stderr)
        return 2
    rounds = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="parley-turn-bench-") as tmp:
            result = one_round(Path(tmp), args.duration, args.size, args.fps)
        rounds.append(result)
        ff, g = result["first_frame_ms"], result["glass_to_glass_p50_ms"]
        added = None if None in (g["relayed"], g["direct"]) else round(g["relayed"] - g["direct"], 1)
        print(f"round {n + 1}: join->first frame relayed {ff['relayed']} ms, direct {ff['direct']} ms; "
              f"glass-to-glass p50 relayed {g['relayed']} ms, direct {g['direct']} ms (relay adds {added} ms); "
              f"frames {result['frames']}", flush=True)

    def med(key: str, which: str) -> float | None:
        values = [r[key][which] for r in rounds if r[key][which] is not None]
        return round(statistics.median(values), 1) if values else None

    summary = {
        "rounds": rounds,
        "median_first_frame_ms": {"relayed": med("first_frame_ms", "relayed"), "direct": med("first_frame_ms", "direct")},
        "median_glass_to_glass_p50_ms": {"relayed": med("glass_to_glass_p50_ms", "relayed"),
                                         "direct": med("glass_to_glass_p50_ms", "direct")},
    }
    g = summary["median_glass_to_glass_p50_ms"]
    summary["relay_added_ms"] = None if None in g.values() else round(g["relayed"] - g["direct"], 1)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
