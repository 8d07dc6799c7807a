"""Network bench: a meeting where one participant's link is constrained, beside a control.

    sudo python bench/network.py [--scenario NAME ...] [--duration 25] [--measure-after 8]
                                 [--delay-ms 20] [--jitter-ms 4] [--queue-ms 200] [--keep-logs]

Each scenario builds its own network namespaces (``linklab.py``): a router, a server side, and
two participants, each in its own namespace behind its own link through the userspace
delay/loss stage (``netstage.py``; this kernel has no ``sch_netem``) with the same one-way delay
and jitter each way. The **constrained** participant's link also gets the scenario's ``tbf``
rate cap (downlink and/or uplink) or random loss; the **control** participant's does not. Both
are full ``parley-bot``s (the synthetic camera, 640x360 at 30 fps, encoded by aiortc; the
synthetic voice; received video decoded, latency read from the stamps). The other cameras are
``--light`` bots (a replayed clip, not decoded) on the server side, with no link shaping, so
the machine's two cores go to the two bots that measure. Every figure is therefore read twice
in one run, by the constrained participant and by the control, and the ratio between them is
what this loaded, shared machine can say.

It prints one row per participant and scenario (a Markdown table), then one JSON line with
every figure. It needs root; it removes its namespaces, TUN devices and processes when done,
on Ctrl-C or SIGTERM and on failure, and (``linklab.sweep_stale``) what a killed run left.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import psutil
from harness import REPO, Api, bot_env, cpu_seconds, log, start_server
from linklab import SERVER_ADDRESS, Lab, Shape, check_environment, in_netns, sweep_stale
from netstage import Impairment

CONSTRAINED, CONTROL = 1, 2  # link indices


@dataclass(frozen=True)
class Scenario:
    name: str
    cameras: int  # cameras in the meeting, the two measuring bots' included
    down_kbps: float | None = None
    up_kbps: float | None = None
    loss: float = 0.0  # random loss each way on the constrained link
    #: the two measuring bots count frames where packets arrive instead of decoding (and
    #: publish a replayed clip): two bots decoding 15 cameras each need the whole machine
    light: bool = False
    #: the tile the measuring bots show each camera at (a 3x2 grid of 6 on a 1920x1080 screen;
    #: 16 in a 4x4 grid of a 1280x720 window are 320x180): what they tell the server they need
    tile: str = "640x360"

    def scaled(self, factor: float) -> "Scenario":
        """The same pressure on cameras that send ``factor`` times what the issue's did."""
        scale = (lambda kbps: None if kbps is None else round(kbps * factor))
        return replace(self, down_kbps=scale(self.down_kbps), up_kbps=scale(self.up_kbps))

    def describe(self) -> str:
        parts = [f"{self.cameras} cameras"]
        if self.down_kbps:
            parts.append(f"downlink {self.down_kbps / 1000:g} Mbit/s")
        if self.up_kbps:
            parts.append(f"uplink {self.up_kbps:g} kbit/s")
        if self.loss:
            parts.append(f"{self.loss * 100:g} % random loss each way")
        if self.light:
            parts.append("measured without decoding")
        return ", ".join(parts) if len(parts) > 1 else parts[0] + ", no constraint"


#: what the issue's 5 cameras needed on a downlink (kbit/s, audio included): its caps are set
#: against it (2.4 Mbit/s is 85 % of it, 1.5 is 53 %, 0.6 is 21 %)
ISSUE_DEMAND_5_CAMERAS = 2830

SCENARIOS = {s.name: s for s in (
    Scenario("clean", 6),
    Scenario("down-2.4", 6, down_kbps=2400),
    Scenario("down-1.5", 6, down_kbps=1500),
    Scenario("down-0.6", 6, down_kbps=600),
    Scenario("up-0.5", 6, up_kbps=500),
    Scenario("loss-5", 6, loss=0.05),
    Scenario("16cams-down-4", 16, down_kbps=4000, light=True, tile="320x180"),
)}


def rtx_payload_types() -> tuple[int, ...]:
    """The RTX payload types aiortc offers for video (the publishers' retransmissions)."""
    from aiortc.codecs import CODECS

    return tuple(c.payloadType for c in CODECS["video"] if c.mimeType.lower() == "video/rtx")


# --- one run ------------------------------------------------------------------------------------


def _bot(lab: Lab, namespace: str, address: str, join_url: str, name: str, args, light: bool,
         duration: float, out: Path, crowd: bool = False,
         tile: str = "640x360") -> subprocess.Popen:
    command = [sys.executable, "-m", "desktop.bot", join_url, "--json", "--name", name,
               "--duration", f"{duration:g}", "--measure-after", f"{args.measure_after:g}",
               "--ice-address", address, "--tile", args.tile or tile]
    if light:
        command.append("--light")
    if crowd and args.quiet_crowd:  # only the two who measure talk: each on the other's stage
        command.append("--muted")
    if crowd and args.crowd_nice:  # the crowd stands for people on their own computers
        command = ["nice", "-n", str(args.crowd_nice), *command]
    return lab.spawn(namespace, name, command, stdout=(out / f"{name}.json").open("wb"),
                     stderr=out / f"{name}.stderr", env=bot_env(), cwd=REPO)


def _counts(lab: Lab) -> dict:
    return {"stage": lab.stage_stats().get("links", {}),
            "caps": {i: lab.cap_counts(i) for i in (CONSTRAINED, CONTROL)},
            "tun_drops": {i: lab.tun_drops(i) for i in (CONSTRAINED, CONTROL)}, "at": time.monotonic()}


def _wait_joined(lab: Lab, api: Api, meeting: str, ids: dict[str, str], procs: dict,
                 respawn, timeout: float) -> dict[str, float]:
    """When the server's roster first listed each attendee of ``ids`` (name -> attendee id;
    polled every 0.2 s), once it has listed them all. A bot that gave up joining (a loaded
    machine can time a join out) is started again, twice at most."""
    deadline = time.monotonic() + timeout
    retries = {n: 2 for n in ids}
    seen: dict[str, float] = {}
    while time.monotonic() < deadline:
        present = {p.get("attendee_id") for p in in_netns(lab.server, lambda: api.participants(meeting)) or []}
        for n, attendee_id in ids.items():
            if attendee_id in present:
                seen.setdefault(n, time.monotonic())
        if len(seen) == len(ids):
            return seen
        for n, attendee_id in ids.items():
            if attendee_id not in present and procs[n].poll() is not None:
                if not retries[n]:
                    raise RuntimeError(f"{n} could not join (three tries): see its stderr")
                retries[n] -= 1
                log(f"network: {n} could not join; starting it again")
                procs[n] = respawn(n)
        time.sleep(0.2)
    raise RuntimeError(f"the meeting was not complete within {timeout:.0f} s")


def run_scenario(scenario: Scenario, args, workdir: Path) -> dict:
    base = Impairment(args.delay_ms, args.jitter_ms)
    lossy = replace(base, loss=scenario.loss)
    key = secrets.token_hex(16)
    with Lab(workdir) as lab:
        lab.build()
        lab.add_participant(CONSTRAINED, Shape(scenario.down_kbps, scenario.up_kbps, args.queue_ms, lossy, lossy))
        lab.add_participant(CONTROL, Shape(None, None, args.queue_ms, base, base))
        lab.start_stage(rtx_payload_types(), seed=args.seed)
        server, base_url, _ = start_server(workdir, key, 30, port=8750, host=SERVER_ADDRESS,
                                           wrap=("ip", "netns", "exec", lab.server))
        lab.processes.append(("server", server))
        api = Api(base_url, key)
        meeting = in_netns(lab.server, api.create_meeting)
        joins = {}
        names = ["constrained", "control"] + [f"light{i}" for i in range(scenario.cameras - 2)]
        for n in names:
            joins[n] = in_netns(lab.server, lambda n=n: api.add_attendee(meeting, n, n))
        out = workdir / "bots"
        out.mkdir(exist_ok=True)
        where = {"constrained": CONSTRAINED, "control": CONTROL}

        def spawn(n: str) -> subprocess.Popen:
            if n in where:  # the two who measure, each behind its own link
                ns, address = lab.links[where[n]][0], f"10.77.{where[n]}.2"
                return _bot(lab, ns, address, joins[n][1], n, args, scenario.light, args.duration, out,
                            tile=scenario.tile)
            # the crowd, on the server's side, staying a little longer than the two who measure
            return _bot(lab, lab.server, SERVER_ADDRESS, joins[n][1], n, args, True, args.duration + 6, out,
                        crowd=True)

        procs = {}
        for n in names[2:] + ["control", "constrained"]:
            procs[n] = spawn(n)
            time.sleep(0.3)
        seen = _wait_joined(lab, api, meeting, {n: joins[n][0] for n in names}, procs, spawn, timeout=120)
        joined = max(seen["constrained"], seen["control"])  # the two who measure stay from here
        server_proc = psutil.Process(server.pid)
        time.sleep(max(0.0, joined + args.measure_after - time.monotonic()))
        first, cpu0 = _counts(lab), cpu_seconds(server_proc)
        time.sleep(max(0.0, joined + args.duration - 0.5 - time.monotonic()))
        last, cpu1 = _counts(lab), cpu_seconds(server_proc)
        reports = {}
        for n in ("constrained", "control"):
            try:
                procs[n].wait(timeout=60)
            except subprocess.TimeoutExpired:
                log(f"network: {n} did not leave within 60 s of its end")
            try:
                reports[n] = json.loads((out / f"{n}.json").read_text() or "null")
            except ValueError:
                reports[n] = None
        window = last["at"] - first["at"]
        cpu = None if cpu0 is None or cpu1 is None else round((cpu1 - cpu0) / window * 100, 1)
        ids = {n: joins[n][0] for n in names}
    drops = {i: (last["tun_drops"][i] or 0) - (first["tun_drops"][i] or 0) for i in (CONSTRAINED, CONTROL)}
    if any(drops.values()):
        log(f"network: WARNING: the stage fell behind and the kernel dropped {drops} packets on "
            "their way into it: this run's losses are not all the scenario's")
    return {"scenario": scenario.name, "describe": scenario.describe(), "reports": reports, "tun_drops": drops,
            "delay_ms": args.delay_ms,
            "ids": ids, "window_s": round(window, 2), "first": first, "last": last, "server_cpu": cpu}


# --- figures ------------------------------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _link(run: dict, index: int, way: str) -> dict:
    """What crossed link ``index`` in direction ``way`` during the window: offered kbit/s, the
    retransmissions' share of it, the stage's losses, and the cap's drops."""
    device = f"t{index}"
    a, b = run["first"]["stage"].get(device, {}).get(way), run["last"]["stage"].get(device, {}).get(way)
    out: dict = {}
    if a and b:
        d = {k: b[k] - a[k] for k in b}
        out = {"kbps": round(d["bytes"] * 8 / 1000 / run["window_s"], 1),
               "retransmitted_share": _share(d["retransmitted_bytes"], d["bytes"]),
               "retransmitted_kbps": round(d["retransmitted_bytes"] * 8 / 1000 / run["window_s"], 1),
               "stage_lost_share": _share(d["lost"], d["packets"])}
    ca, cb = run["first"]["caps"][index][way], run["last"]["caps"][index][way]
    if ca and cb:
        sent, dropped = cb["packets"] - ca["packets"], cb["drops"] - ca["drops"]
        out["cap_dropped_share"] = _share(dropped, sent + dropped)
    return out


def figures(run: dict, who: str, other: str) -> dict:
    """``who``'s view of the meeting and the meeting's view of ``who``."""
    report, seen_by = run["reports"].get(who), run["reports"].get(other)
    me, them = run["ids"][who], run["ids"][other]
    out: dict = {"who": who}
    if not report:
        return out | {"error": "no report"}
    remotes = report.get("remotes") or {}
    videos = [r["video"] for r in remotes.values() if r.get("video")]
    audios = [r["audio"] for r in remotes.values() if r.get("audio")]
    live = (remotes.get(them) or {}).get("video") or {}
    live_audio = (remotes.get(them) or {}).get("audio") or {}
    fps = [v["fps"] for v in videos if v.get("fps") is not None]
    # the active speaker: the camera longest on this bot's stage
    speaker = max(videos, key=lambda v: v.get("stage_share") or 0.0, default={})
    # camera-time by what the server forwarded: each layer's share, and paused (a notice shown)
    shares: dict[str, float] = {}
    for v in videos:
        for name, share in (v.get("layers") or {}).items():
            shares[name] = shares.get(name, 0.0) + share / len(videos)
        shares["paused"] = shares.get("paused", 0.0) + (v.get("paused_share") or 0.0) / len(videos)
    latency = live.get("latency_ms") or {}
    out |= {
        "fps_p50": _median(fps), "fps_min": min(fps) if fps else None,
        "frozen_share": _median([v.get("frozen_share") for v in videos]),
        "g2g_p50": latency.get("p50"), "g2g_p95": latency.get("p95"),
        "layer_shares": {k: round(v, 3) for k, v in sorted(shares.items())},
        "paused_at_end": sum(1 for v in videos if v.get("paused")),
        "speaker_fps": speaker.get("fps"), "speaker_frozen": speaker.get("frozen_share"),
        "speaker_stage_share": speaker.get("stage_share"),
        # the voice's own glass to glass: the two links' delay and its jitter buffer's
        "behind_voice_ms": (round(latency["p50"] - live_audio["delay_ms"] - 2 * run["delay_ms"], 1)
                            if latency.get("p50") is not None and live_audio.get("delay_ms") is not None else None),
        # the bot's own A/V figure: video shown minus voice played for one capture instant
        "av_p50": ((remotes.get(them) or {}).get("av_offset_ms") or {}).get("p50"),
        "av_p95": ((remotes.get(them) or {}).get("av_offset_ms") or {}).get("p95"),
        "damaged": sum(v.get("damaged_pictures") or 0 for v in videos),
        # counted without decoding (media/voice_count.py): of the packets each voice sent in the
        # window, the share that came in time; and what it sent, of a voice's 50 a second
        "audio_delivered": _median([a.get("delivered_share") for a in audios]),
        "audio_sent": _median([min(1.0, a["sent_per_s"] / 50) for a in audios if a.get("sent_per_s")]),
        "audio_behind_ms": _median([a.get("behind_fastest_ms") for a in audios]),
        "audio_lost": _median([a.get("lost_share") for a in audios]),
        "audio_concealed": _median([a.get("concealed_share") for a in audios]),
        "keyframes_per_s_received_live": live.get("keyframes_per_s"),
        "keyframes_per_s_received_replayed": _median([r["video"].get("keyframes_per_s")
                                                      for k, r in remotes.items() if k != them and r.get("video")]),
        "encoder_target_kbps": (report.get("encoder_target_kbps") or {}).get("p50"),
        "encoder_target_last_kbps": (report.get("encoder_target_kbps") or {}).get("last"),
        "down": _link(run, CONSTRAINED if who == "constrained" else CONTROL, "down"),
        "up": _link(run, CONSTRAINED if who == "constrained" else CONTROL, "up"),
    }
    mine = ((seen_by or {}).get("remotes") or {}).get(me) or {}
    video, audio = mine.get("video") or {}, mine.get("audio") or {}
    out["seen_by_other"] = {
        "fps": video.get("fps"), "frozen_share": video.get("frozen_share"),
        "g2g_p50": (video.get("latency_ms") or {}).get("p50"), "g2g_p95": (video.get("latency_ms") or {}).get("p95"),
        "damaged": video.get("damaged_pictures"), "keyframes_per_s": video.get("keyframes_per_s"),
        "voice_lost": audio.get("lost_share"), "voice_concealed": audio.get("concealed_share"),
    }
    return out


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.1f} %"


def _n(value, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:g}{unit}"


HEADER = ("| scenario | who | fps p50 / min | frozen | g2g p50 / p95 ms | behind voice ms | A/V p50 / p95 ms | damaged | "
          "camera-time high / low / paused | speaker fps, frozen (time on stage) | "
          "audio lost / concealed | kf/s received live / replayed | link down kbit/s (retx share, cap drops) | "
          "link up kbit/s (retx share, cap drops) | encoder target kbit/s p50 / last | "
          "the other sees it: fps, frozen, g2g p50 / p95, kf/s, voice lost |")


def row(run: dict, f: dict) -> str:
    if "error" in f:
        return f"| {run['scenario']} | {f['who']} | {f['error']} |"

    def link(d: dict) -> str:
        if not d:
            return "n/a"
        return f"{_n(d.get('kbps'))} ({_pct(d.get('retransmitted_share'))}, {_pct(d.get('cap_dropped_share'))})"

    def layers(shares: dict) -> str:
        if set(shares) <= {"paused"} and not shares.get("paused"):
            return "n/a"  # the server said nothing of layers (before adaptation)
        return " / ".join(_pct(shares.get(k, 0.0)) for k in ("high", "low", "paused"))

    s = f["seen_by_other"]
    audio = (f"{_pct(f['audio_lost'])} / {_pct(f['audio_concealed'])}" if f["audio_lost"] is not None
             else (f"{_pct(f['audio_delivered'])} came in time (sent {_pct(f['audio_sent'])}, "
                   f"{_n(f['audio_behind_ms'])} ms behind its fastest)")
             if f["audio_delivered"] is not None else "n/a")
    return (f"| {run['scenario']} | {f['who']} | {_n(f['fps_p50'])} / {_n(f['fps_min'])} | {_pct(f['frozen_share'])} | "
            f"{_n(f['g2g_p50'])} / {_n(f['g2g_p95'])} | {_n(f['behind_voice_ms'])} | "
            f"{_n(f['av_p50'])} / {_n(f['av_p95'])} | {f['damaged']} | "
            f"{layers(f['layer_shares'])} | {_n(f['speaker_fps'])}, {_pct(f['speaker_frozen'])} ({_pct(f['speaker_stage_share'])}) | "
            f"{audio} | "
            f"{_n(f['keyframes_per_s_received_live'])} / {_n(f['keyframes_per_s_received_replayed'])} | "
            f"{link(f['down'])} | {link(f['up'])} | {_n(f['encoder_target_kbps'])} / {_n(f['encoder_target_last_kbps'])} | "
            f"{_n(s['fps'])}, {_pct(s['frozen_share'])}, {_n(s['g2g_p50'])} / {_n(s['g2g_p95'])}, "
            f"{_n(s['keyframes_per_s'])}, {_pct(s['voice_lost'])} |")


# --- main ---------------------------------------------------------------------------------------


def _wait_calm(load: float, limit: float) -> float:
    """Seconds waited (``limit`` at most) for the 1-minute load average to fall under ``load``."""
    began = time.monotonic()
    while psutil.getloadavg()[0] >= load and time.monotonic() - began < limit:
        time.sleep(2)
    return time.monotonic() - began


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt  # unwinds through every ``with Lab``: processes and namespaces go


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="run only these (repeatable; default: all, in the issue's order)")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds each measuring bot stays")
    parser.add_argument("--measure-after", type=float, default=8.0,
                        help="seconds after joining before the figures count")
    parser.add_argument("--delay-ms", type=float, default=20.0, help="one-way delay of every link, each way")
    parser.add_argument("--jitter-ms", type=float, default=4.0, help="± jitter of that delay")
    parser.add_argument("--queue-ms", type=float, default=200.0, help="the rate caps' queue (tbf latency)")
    parser.add_argument("--seed", type=int, default=17, help="the stage's random loss and jitter")
    parser.add_argument("--cap-scale", default="1",
                        help="multiply every rate cap by this; 'auto': by what 5 cameras need here "
                             "(the control's downlink in the clean scenario, run first, without "
                             "retransmissions) over what "
                             f"they needed in the issue ({ISSUE_DEMAND_5_CAMERAS} kbit/s), so each "
                             "cap puts the same pressure on the link as the issue's did")
    parser.add_argument("--tile", default=None, metavar="WxH",
                        help="the tile size every bot tells the server it shows each camera at "
                             "(default: the scenario's, 640x360 (any layer) or 320x180 for 16 "
                             "cameras; 0x0: they tell nothing)")
    parser.add_argument("--crowd-nice", type=int, default=0, metavar="N",
                        help="run the crowd's bots at this nice level (e.g. 10): on two cores the "
                             "16-camera row's fourteen replaying bots otherwise starve the server, "
                             "which in a real meeting has its own machine")
    parser.add_argument("--quiet-crowd", action="store_true",
                        help="the crowd joins muted, so the two who measure are the only voices and "
                             "each is the other's active speaker (default: every bot talks)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the bots' reports and logs")
    parser.add_argument("--calm-load", type=float, default=None, metavar="LOAD",
                        help="before each scenario, wait (5 min at most) for the 1-minute load "
                             "average to fall under LOAD: on a shared machine, a starved bot "
                             "measures the machine, not the link")
    args = parser.parse_args(argv)
    if args.measure_after + 5 > args.duration:
        parser.error("--duration must leave at least 5 s after --measure-after")
    why = check_environment()
    if why is not None:
        print(f"network bench: {why}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    swept = sweep_stale()
    if swept:
        log(f"removed namespaces a killed run left: {', '.join(swept)}")
    names = args.scenario or list(SCENARIOS)
    if args.cap_scale == "auto":
        names = ["clean"] + [n for n in names if n != "clean"]
        scale = None
    else:
        try:
            scale = float(args.cap_scale)
        except ValueError:
            parser.error("--cap-scale takes a number or 'auto'")
    load = psutil.getloadavg()
    log(f"network bench: {len(names)} scenario(s), {args.duration:g} s each (figures from "
        f"{args.measure_after:g} s in), every link {args.delay_ms:g} ± {args.jitter_ms:g} ms each way, "
        f"rate caps queue {args.queue_ms:g} ms; load average {load[0]:.2f} {load[1]:.2f}, "
        f"{psutil.cpu_count()} cores")
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="parley-network-"))
    try:
        for name in names:
            scenario = SCENARIOS[name] if scale is None else SCENARIOS[name].scaled(scale)
            workdir = tmp / name
            workdir.mkdir()
            if args.calm_load is not None:
                waited = _wait_calm(args.calm_load, 300)
                log(f"{name}: load average {psutil.getloadavg()[0]:.2f} after {waited:.0f} s of waiting")
            psutil.cpu_percent(None)
            try:
                run = run_scenario(scenario, args, workdir)
            except RuntimeError as exc:  # its lab is gone already; the next one may do better
                log(f"{name}: failed: {exc}")
                continue
            machine = psutil.cpu_percent(None)
            rows = [figures(run, "constrained", "control"), figures(run, "control", "constrained")]
            results.append({"scenario": name, "describe": run["describe"], "server_cpu": run["server_cpu"],
                            "machine_cpu": machine, "window_s": run["window_s"], "rows": rows})
            log(f"{name}: {run['describe']}; window {run['window_s']} s, server CPU "
                f"{_n(run['server_cpu'], ' %')} of a core, machine {machine:.0f} % (load {psutil.getloadavg()[0]:.2f})")
            results[-1]["load_after"] = round(psutil.getloadavg()[0], 2)
            if scale is None:  # 'auto': the clean scenario just ran
                link = rows[1]["down"]  # the control's: what was offered, repeats left out
                demand = link["kbps"] - link["retransmitted_kbps"] if link.get("kbps") else None
                if not demand:
                    log("network bench: no downlink figure from the clean scenario to scale by")
                    return 1
                scale = round(demand / ISSUE_DEMAND_5_CAMERAS, 3)
                log(f"5 cameras need {demand:.0f} kbit/s here (retransmissions left out): caps scaled by {scale:g}")
        log()
        log(HEADER)
        log("|" + "---|" * HEADER.count(" | ") + "---|")
        for result in results:
            for f in result["rows"]:
                log(row(result, f))
        log()
        log(json.dumps({"args": vars(args), "cap_scale": scale, "results": results}))
    except KeyboardInterrupt:
        log("network bench: interrupted; cleaned up")
        return 130
    finally:
        if args.keep_logs:
            log(f"logs kept in {tmp}")
        else:
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
