"""Forwarding benchmark: one parley-server, N parley-bots in one meeting, figures on stdout.

    python bench/forwarding.py [--bots N] [--full K] [--duration S] [--size 640x360] [--fps 30]

It starts ``python -m server`` on a free loopback port with a throwaway data dir, creates a
meeting and N attendees over REST, and starts N ``python -m desktop.bot`` processes: K "full"
bots (live synthetic camera encoded by aiortc, received video decoded, glass-to-glass latency
read from the stamps drawn in each picture) and N-K ``--light`` bots (pre-encoded replay, frames
counted without decoding). Once every bot is in the meeting and media has settled, it measures
CPU over a window in the middle of the run, then collects each bot's ``--json`` report.

It prints figures, never pass/fail: human-readable lines, then one JSON line with everything.
Everything it starts is stopped by PID in a ``finally`` block; every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from harness import REPO, Api, bot_command, cpu_seconds, fmt, log, pct, rnd, start_server, stop_process

MAX_CAMERAS = 16  # video slots per meeting (DESIGN.md, Media)
POLL = 0.1  # seconds between roster polls outside the measurement window


# --- processes ----------------------------------------------------------------------------------


@dataclass
class BotProc:
    index: int
    full: bool
    attendee_id: str
    proc: subprocess.Popen
    stdout_path: Path
    stderr_path: Path
    started: float
    seen_at: float | None = None  # first time the roster listed it
    left_at: float | None = None  # first time the roster no longer listed it, after it was seen
    exited_at: float | None = None
    report: dict | None = None
    cpu_start: float | None = None
    cpu_end: float | None = None
    notes: list[str] = field(default_factory=list)


# --- the run ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Forwarding benchmark: prints figures, never pass/fail.")
    p.add_argument("--bots", type=int, default=16, help="participants (default %(default)s)")
    p.add_argument("--full", type=int, default=2,
                   help="of them, bots that encode a live camera and decode (default %(default)s)")
    p.add_argument("--duration", type=float, default=20.0,
                   help="seconds each bot stays after joining (default %(default)s)")
    p.add_argument("--size", default="640x360", help="camera size WxH (default %(default)s)")
    p.add_argument("--fps", type=int, default=30, help="camera frame rate (default %(default)s)")
    p.add_argument("--stagger", type=float, default=0.2, help="seconds between bot starts")
    p.add_argument("--settle", type=float, default=3.0,
                   help="seconds after all joined (and after the last start) before measuring")
    p.add_argument("--join-timeout", type=float, default=60.0,
                   help="give up waiting for all bots to join after this many seconds")
    p.add_argument("--keep-logs", action="store_true", help="keep the temp dir with all logs")
    args = p.parse_args(argv)
    if args.bots < 1:
        p.error("--bots must be at least 1")
    if not 0 <= args.full <= args.bots:
        p.error("--full must be between 0 and --bots")
    if not re.fullmatch(r"\d+x\d+", args.size):
        p.error("--size takes WIDTHxHEIGHT")
    return args


def run(args: argparse.Namespace) -> dict:
    key = secrets.token_urlsafe(24)
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    server: subprocess.Popen | None = None
    bots: list[BotProc] = []
    try:
        t_begin = time.monotonic()
        server, base_url, server_log = start_server(tmp, key, timeout=30.0)
        server_ps = psutil.Process(server.pid)
        api = Api(base_url, key)
        log(f"server pid {server.pid} at {base_url} (up in {time.monotonic() - t_begin:.1f} s)")

        meeting_id = api.create_meeting()
        links = [api.add_attendee(meeting_id, f"bench-{i}", f"Bot {i}") for i in range(args.bots)]

        # --- start the bots, staggered; the first K are full ones
        for i, (attendee_id, url) in enumerate(links):
            full = i < args.full
            cmd = bot_command(url, "--json", "--duration", str(args.duration),
                              "--size", args.size, "--fps", str(args.fps), "--name", f"Bot {i}")
            if not full:
                cmd.append("--light")
            out, err = tmp / f"bot{i}.stdout", tmp / f"bot{i}.stderr"
            proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.DEVNULL,
                                    stdout=out.open("wb"), stderr=err.open("wb"))
            bots.append(BotProc(i, full, attendee_id, proc, out, err, time.monotonic()))
            if i + 1 < args.bots:
                # Watch the roster while starting the rest: the first join times bound the window.
                next_start = time.monotonic() + args.stagger
                observe_joins(api, meeting_id, bots)
                time.sleep(max(0.0, next_start - time.monotonic()))
        last_start = bots[-1].started
        by_attendee = {b.attendee_id: b for b in bots}
        expected_cameras = min(args.bots, MAX_CAMERAS)

        # --- wait until all are in (roster) with their cameras, bounded
        deadline = time.monotonic() + args.join_timeout
        cameras_on = 0
        all_in = False
        while time.monotonic() < deadline:
            roster = observe_joins(api, meeting_id, bots)
            cameras_on = sum(1 for p in roster if p.get("video"))
            if all(b.seen_at is not None for b in bots) and cameras_on >= expected_cameras:
                all_in = True
                break
            if any(b.proc.poll() is not None for b in bots):
                break  # a bot died early: measure what there is
            time.sleep(POLL)
        t_all_in = time.monotonic()
        if not all_in:
            log(f"WARNING: not all bots joined with cameras within {args.join_timeout:.0f} s "
                f"({sum(b.seen_at is not None for b in bots)}/{args.bots} in, {cameras_on} cameras)")
        log(f"all {args.bots} bots in the meeting {t_all_in - bots[0].started:.1f} s after the first "
            f"start ({t_all_in - last_start:.1f} s after the last); {cameras_on} cameras on")

        # --- the measurement window: settle first; end 1 s before the first bot leaves
        first_seen = min((b.seen_at for b in bots if b.seen_at is not None), default=t_all_in)
        window_start = max(t_all_in, last_start) + args.settle
        window_end = first_seen + args.duration - 1.0 - POLL
        if window_end - window_start < 2.0:
            log(f"WARNING: measurement window only {window_end - window_start:.1f} s: "
                f"raise --duration (joins took {t_all_in - bots[0].started:.1f} s)")
            window_end = window_start + 2.0
        time.sleep(max(0.0, window_start - time.monotonic()))

        bot_ps = {}
        for b in bots:
            try:
                bot_ps[b.index] = psutil.Process(b.proc.pid)
            except psutil.NoSuchProcess:
                pass
        metrics0 = api.metrics()
        psutil.cpu_percent(None)  # starts the machine-wide interval
        t0 = time.monotonic()
        server_cpu0 = cpu_seconds(server_ps)
        for b in bots:
            b.cpu_start = cpu_seconds(bot_ps[b.index]) if b.index in bot_ps else None
        time.sleep(max(0.5, window_end - time.monotonic()))
        server_cpu1 = cpu_seconds(server_ps)
        for b in bots:
            b.cpu_end = cpu_seconds(bot_ps[b.index]) if b.index in bot_ps else None
        machine_pct = psutil.cpu_percent(None)
        t1 = time.monotonic()
        window = t1 - t0
        metrics1 = api.metrics()
        roster_end = api.participants(meeting_id) or []
        cameras_on_end = sum(1 for p in roster_end if p.get("video"))
        by_id = {b.attendee_id: b.index for b in bots}
        no_slot = sorted(by_id[p["attendee_id"]] for p in roster_end
                         if not p.get("video") and p.get("attendee_id") in by_id)
        in_room_end = len(roster_end)
        if in_room_end < sum(b.seen_at is not None for b in bots):
            log(f"WARNING: {in_room_end} of {args.bots} bots still in the meeting at the end of the CPU "
                f"window: it overlapped leaves")

        # --- the tail: note when each bot leaves the roster and exits; bounded
        tail_deadline = time.monotonic() + args.duration + args.join_timeout + 30.0
        while time.monotonic() < tail_deadline:
            now = time.monotonic()
            roster = api.participants(meeting_id)
            if roster is not None:
                present = {p.get("attendee_id") for p in roster}
                for b in bots:
                    if b.seen_at is not None and b.left_at is None and b.attendee_id not in present:
                        b.left_at = now
            for b in bots:
                if b.exited_at is None and b.proc.poll() is not None:
                    b.exited_at = now
            if all(b.exited_at is not None for b in bots):
                break
            time.sleep(POLL)
        for b in bots:
            if b.proc.poll() is None:
                b.notes.append("did not exit in time: stopped")
                stop_process(b.proc, f"bot {b.index}", grace=5.0)
        for b in bots:
            b.report = read_report(b)

        # --- stop the server
        stop_process(server, "parley-server", grace=10.0)
        server_rc = server.returncode

        return figures(args, bots, by_attendee, window, server_cpu0, server_cpu1, machine_pct,
                       cameras_on, cameras_on_end, in_room_end, no_slot, server_rc, server_log,
                       metrics0, metrics1)
    finally:
        for b in bots:
            if b.proc.poll() is None:
                stop_process(b.proc, f"bot {b.index}", grace=3.0)
        if server is not None and server.poll() is None:
            stop_process(server, "parley-server", grace=5.0)
        if args.keep_logs:
            log(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def observe_joins(api: Api, meeting_id: str, bots: list[BotProc]) -> list[dict]:
    """Poll the roster once; note when each bot first appears in it."""
    roster = api.participants(meeting_id) or []
    now = time.monotonic()
    present = {p.get("attendee_id") for p in roster}
    for b in bots:
        if b.seen_at is None and b.attendee_id in present:
            b.seen_at = now
    return roster


def read_report(b: BotProc) -> dict | None:
    try:
        lines = b.stdout_path.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    tail = b.stderr_path.read_text(errors="replace").strip().splitlines()[-3:]
    b.notes.append(f"no JSON report (exit {b.proc.returncode}); stderr: {' | '.join(tail)}")
    return None


# --- figures ------------------------------------------------------------------------------------


def figures(args, bots: list[BotProc], by_attendee: dict[str, BotProc], window: float,
            server_cpu0, server_cpu1, machine_pct: float, cameras_on: int, cameras_on_end: int,
            in_room_end: int, no_slot: list[int], server_rc, server_log: Path,
            metrics0: dict[str, float], metrics1: dict[str, float]) -> dict:
    n = args.bots
    reports = [b.report for b in bots if b.report is not None]

    # CPU, as % of one core over the window
    def core_pct(a, b_):
        return None if a is None or b_ is None else 100.0 * (b_ - a) / window

    server_pct = core_pct(server_cpu0, server_cpu1)
    full_bots = [core_pct(b.cpu_start, b.cpu_end) for b in bots if b.full]
    light_bots = [core_pct(b.cpu_start, b.cpu_end) for b in bots if not b.full]
    full_bots = [v for v in full_bots if v is not None]
    light_bots = [v for v in light_bots if v is not None]
    bots_total = sum(full_bots) + sum(light_bots)
    cores = psutil.cpu_count() or 1

    # What the server forwards in the window (from the roster: cameras holding a slot)
    mics = sum(1 for r in reports if r.get("end_reason") != "refused") or n
    video_streams = cameras_on * (n - 1)
    audio_streams = mics * (n - 1)
    per_video = None if not video_streams or server_pct is None else server_pct / video_streams

    # The server's own counters over the window (GET /metrics), audio and video together
    def per_s(name: str) -> float | None:
        if name not in metrics0 or name not in metrics1:
            return None
        return (metrics1[name] - metrics0[name]) / window

    pkts_in = per_s("parley_rtp_packets_received_total")
    pkts_out = per_s("parley_rtp_packets_forwarded_total")
    per_kpkt = None if not pkts_out or server_pct is None else server_pct / (pkts_out / 1000.0)
    codec_instances = {k.split('"')[1]: int(v) for k, v in metrics1.items()
                       if k.startswith("parley_codec_instances_total{")}

    # Joins and first frames
    joined = [r["joined_ms"] for r in reports if r.get("joined_ms") is not None]
    # A camera the server refused sends only once an earlier leaver frees a slot: its first frame
    # measures that wait, not the join, so first-frame figures leave such cameras out.
    refused_ids = {r.get("attendee_id") for r in reports if r.get("camera_refused")}

    def first_frames(r: dict) -> list[float]:
        return [ms - r["joined_ms"] for remote, ms in r.get("first_frame_ms", {}).items()
                if remote not in refused_ids]

    first_after_join = []
    for r in reports:
        if r.get("joined_ms") is None:
            continue
        first_after_join += first_frames(r)
    # The last bot into the roster: every other camera was already flowing when it came.
    seen = [b for b in bots if b.seen_at is not None and b.report and b.report.get("joined_ms") is not None]
    late = max(seen, key=lambda b: b.seen_at) if seen else None
    late_first = first_frames(late.report) if late else []

    # Frames per remote per second. A bot stays exactly --duration after it joined; it left the
    # roster at left_at, so its join was at left_at - duration (to the poll interval, 0.1 s). A
    # receiver got a remote's frames from its first frame until the earlier of the two leaves.
    def rates(counts_key: str, remote_filter, receivers=None) -> list[float]:
        out = []
        for b in receivers if receivers is not None else bots:
            r = b.report
            if not r or r.get("joined_ms") is None:
                continue
            end_r = b.left_at if b.left_at is not None else b.exited_at
            for remote, count in r.get(counts_key, {}).items():
                if not remote_filter(remote):
                    continue
                other = by_attendee.get(remote)
                end_a = None if other is None else (other.left_at if other.left_at is not None else other.exited_at)
                first = r.get("first_frame_ms", {}).get(remote) if counts_key == "frames_received" else None
                since_join = (first - r["joined_ms"]) / 1000.0 if first is not None else 0.0
                if end_r is None:
                    span = args.duration - max(0.0, since_join)
                else:
                    start_abs = end_r - args.duration + max(0.0, since_join)
                    stop_abs = end_r if end_a is None else min(end_r, end_a)
                    span = stop_abs - start_abs
                if span > 1.0:
                    out.append(count / span)
        return out

    video_ids = {r.get("attendee_id") for r in reports if r.get("camera") == "on"}
    video_rates = rates("frames_received", lambda a: a in video_ids)
    audio_rates = rates("audio_frames_received", lambda a: True)
    received_fps_total = sum(video_rates)
    # Streams at full camera rate that the received frames amount to, for a saturated machine.
    equiv_streams = received_fps_total / args.fps if args.fps else 0.0
    per_equiv = None if not equiv_streams or server_pct is None else server_pct / equiv_streams
    full_video_rates = rates("frames_received", lambda a: a in video_ids, [b for b in bots if b.full])
    light_video_rates = rates("frames_received", lambda a: a in video_ids, [b for b in bots if not b.full])

    # Glass-to-glass latency from the full bots' stamps (each bot reports its own quantiles)
    lat = [(b.index, b.report["latency_ms"]) for b in bots
           if b.full and b.report and b.report.get("latency_ms")]
    lat_p50 = statistics.median([l["p50"] for _, l in lat]) if lat else None
    lat_p95 = max(l["p95"] for _, l in lat) if lat else None
    samples = sum(l["samples"] for _, l in lat)

    refused = [b.index for b in bots if b.report and b.report.get("camera_refused")]
    camera_on_bots = sum(1 for r in reports if r.get("camera") == "on")
    end_reasons: dict[str, int] = {}
    for b in bots:
        reason = (b.report or {}).get("end_reason") or "no report"
        end_reasons[reason] = end_reasons.get(reason, 0) + 1

    return {
        "bench": "forwarding",
        "bots": n, "full": args.full, "light": n - args.full,
        "duration_s": args.duration, "size": args.size, "fps": args.fps,
        "cores": cores,
        "window_s": round(window, 1),
        "cameras_on": cameras_on, "cameras_on_at_window_end": cameras_on_end,
        "in_meeting_at_window_end": in_room_end,
        # Every bot publishes a camera: one without a slot in the window was refused by the server.
        "cameras_refused": len(no_slot), "cameras_refused_bots": no_slot,
        # Bots that were refused a camera at some point (their "camera_refused"), even if a slot
        # freed by an earlier leaver let their camera on later.
        "cameras_refused_bot_reported": len(refused), "cameras_refused_bot_reported_bots": refused,
        "bots_reporting_camera_on": camera_on_bots,
        "video_streams_forwarded": video_streams,
        "audio_streams_forwarded": audio_streams,
        "server_cpu_pct_of_core": rnd(server_pct),
        "server_cpu_pct_per_video_stream": rnd(per_video, 2),
        "video_frames_received_per_s_total": rnd(received_fps_total),
        "server_cpu_pct_per_full_rate_video_stream": rnd(per_equiv, 3),
        "server_rtp_packets_in_per_s": rnd(pkts_in),
        "server_rtp_packets_forwarded_per_s": rnd(pkts_out),
        "server_cpu_pct_per_1000_forwarded_packets_per_s": rnd(per_kpkt, 2),
        "server_codec_instances": codec_instances,
        "machine_cpu_pct_all_cores": rnd(machine_pct),
        "bots_cpu_pct_of_core": {
            "full_each": [rnd(v) for v in full_bots],
            "light_p50": rnd(pct(light_bots, 0.5)), "light_max": rnd(max(light_bots) if light_bots else None),
            "all_bots_total": rnd(bots_total),
        },
        "joined_ms": {"p50": rnd(pct(joined, 0.5)), "max": rnd(max(joined) if joined else None)},
        "first_frame_after_join_ms": {
            "p50": rnd(pct(first_after_join, 0.5)), "p95": rnd(pct(first_after_join, 0.95)),
            "max": rnd(max(first_after_join) if first_after_join else None), "n": len(first_after_join),
        },
        "late_joiner_first_frame_ms": {
            "bot": None if late is None else late.index,
            "p50": rnd(pct(late_first, 0.5)), "max": rnd(max(late_first) if late_first else None),
            "n": len(late_first),
        },
        "video_fps_per_remote": {"p50": rnd(pct(video_rates, 0.5)), "min": rnd(min(video_rates) if video_rates else None),
                                 "n": len(video_rates),
                                 "full_receivers_p50": rnd(pct(full_video_rates, 0.5)),
                                 "full_receivers_min": rnd(min(full_video_rates) if full_video_rates else None),
                                 "light_receivers_p50": rnd(pct(light_video_rates, 0.5)),
                                 "light_receivers_min": rnd(min(light_video_rates) if light_video_rates else None)},
        "audio_fps_per_remote": {"p50": rnd(pct(audio_rates, 0.5)), "min": rnd(min(audio_rates) if audio_rates else None),
                                 "n": len(audio_rates)},
        "glass_to_glass_ms": {"p50_median_of_bots": lat_p50, "p95_max_of_bots": lat_p95, "samples": samples,
                              "per_bot": {str(i): l for i, l in lat}},
        "end_reasons": end_reasons,
        "server_exit_code": server_rc,
        "notes": {str(b.index): b.notes for b in bots if b.notes},
    }


def print_figures(f: dict) -> None:
    log("")
    log(f"== forwarding: {f['bots']} bots ({f['full']} full, {f['light']} light), {f['size']} @ {f['fps']} fps, "
        f"{f['duration_s']:g} s each, {f['cores']} cores; CPU window {f['window_s']} s ==")
    log(f"cameras on: {f['cameras_on']} (at window end {f['cameras_on_at_window_end']}); "
        f"cameras refused (server roster in the window, no video slot): {f['cameras_refused']} "
        f"{f['cameras_refused_bots'] or ''}; bots that report camera_refused: "
        f"{f['cameras_refused_bot_reported']} {f['cameras_refused_bot_reported_bots'] or ''}")
    log(f"video streams forwarded = cameras on x (N-1) = {f['video_streams_forwarded']}; "
        f"audio streams forwarded = microphones x (N-1) = {f['audio_streams_forwarded']}")
    log(f"server CPU: {fmt(f['server_cpu_pct_of_core'], ' %')} of one core; "
        f"per forwarded video stream: {fmt(f['server_cpu_pct_per_video_stream'], ' %')} "
        f"(= server CPU / video streams forwarded; audio, RTCP and signalling included)")
    log(f"video frames received per second, all pairs: {fmt(f['video_frames_received_per_s_total'])}; "
        f"server CPU per full-rate video stream: {fmt(f['server_cpu_pct_per_full_rate_video_stream'], ' %')} "
        f"(= server CPU / (that total / camera fps); differs from the above when receivers fall behind)")
    log(f"server RTP packets (GET /metrics, audio+video): in {fmt(f['server_rtp_packets_in_per_s'])}/s, "
        f"forwarded {fmt(f['server_rtp_packets_forwarded_per_s'])}/s; server CPU per 1000 forwarded "
        f"packets/s: {fmt(f['server_cpu_pct_per_1000_forwarded_packets_per_s'], ' %')}; "
        f"codec instances in the server: {f['server_codec_instances'] or 'n/a'}")
    b = f["bots_cpu_pct_of_core"]
    log(f"bots CPU (% of one core): full each {b['full_each']}, light p50 {fmt(b['light_p50'])} "
        f"max {fmt(b['light_max'])}, all bots together {fmt(b['all_bots_total'])}")
    log(f"machine CPU: {fmt(f['machine_cpu_pct_all_cores'], ' %')} of all {f['cores']} cores")
    j, ff, late = f["joined_ms"], f["first_frame_after_join_ms"], f["late_joiner_first_frame_ms"]
    log(f"joined_ms: p50 {fmt(j['p50'])} max {fmt(j['max'])}")
    log(f"first video frame after own join (ms, {ff['n']} pairs; includes waiting for later joiners; "
        f"refused cameras left out): "
        f"p50 {fmt(ff['p50'])} p95 {fmt(ff['p95'])} max {fmt(ff['max'])}")
    log(f"late joiner (bot {late['bot']}) first frame after its join (ms, {late['n']} remotes): "
        f"p50 {fmt(late['p50'])} max {fmt(late['max'])}")
    v, a = f["video_fps_per_remote"], f["audio_fps_per_remote"]
    log(f"video frames per remote per second (camera {f['fps']} fps): p50 {fmt(v['p50'])} min {fmt(v['min'])} "
        f"({v['n']} pairs); full (decoding) receivers p50 {fmt(v['full_receivers_p50'])} "
        f"min {fmt(v['full_receivers_min'])}, light receivers p50 {fmt(v['light_receivers_p50'])} "
        f"min {fmt(v['light_receivers_min'])}")
    log(f"audio frames per remote per second (sent 50/s): p50 {fmt(a['p50'])} min {fmt(a['min'])} ({a['n']} pairs)")
    g = f["glass_to_glass_ms"]
    log(f"glass-to-glass latency (full bots, ms): p50 {fmt(g['p50_median_of_bots'])} (median of bots' p50), "
        f"p95 {fmt(g['p95_max_of_bots'])} (max of bots' p95), {g['samples']} samples; per bot {g['per_bot']}")
    if f["full"] < 2:
        log("  (latency needs two full bots: light bots replay a clip whose stamps carry no capture time)")
    log(f"end reasons: {f['end_reasons']}; server exit code {f['server_exit_code']}")
    for index, notes in f["notes"].items():
        log(f"bot {index}: {'; '.join(notes)}")
    log(json.dumps(f, sort_keys=True))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print_figures(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
