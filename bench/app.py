"""The desktop app in a meeting with N light bots: its CPU and resident memory.

    python bench/app.py [--bots 15] [--size 320x180] [--fps 15] [--duration 30] [--display auto|offscreen]

Starts a server, N light bots (pre-encoded video at --size/--fps, a tone) and the real app
(``parley JOIN_URL --no-lobby --fake-devices``) under Xvfb when it is installed (else Qt's
offscreen platform), measures the app process over a window once every tile shows video,
and prints the figures. Targets for 15 bots (16 tiles at 320x180, 15 fps): at most 0.6 of a
core and 300 MB resident. Loopback only; every process is stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from harness import REPO, Api, bot_command, bot_env, cpu_seconds, start_server, stop_process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=15)
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured")
    parser.add_argument("--display", choices=["auto", "offscreen"], default="auto")
    args = parser.parse_args(argv)

    key = secrets.token_urlsafe(16)
    processes: list[tuple[str, subprocess.Popen]] = []
    with tempfile.TemporaryDirectory(prefix="parley-bench-app-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            server, base, _ = start_server(tmp, key, timeout=30)
            processes.append(("server", server))
            api = Api(base, key)
            meeting = api.create_meeting()

            def join_url(name: str) -> str:
                return api.add_attendee(meeting, name.lower().replace(" ", "-"), name)[1]

            env = bot_env()
            stay = str(args.duration + 60)
            for i in range(args.bots):
                bot = bot_command(join_url(f"Bot {i + 1}"), "--light", "--mic", "synthetic", "--size", args.size,
                                  "--fps", str(args.fps), "--duration", stay)
                processes.append((f"bot {i + 1}", subprocess.Popen(bot, cwd=REPO, env=env,
                                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
                time.sleep(0.15)

            app_env = dict(env, PARLEY_FAKE_DEVICES="1", XDG_CONFIG_HOME=str(tmp / "config"),
                           XDG_DATA_HOME=str(tmp / "data-home"), PARLEY_STATS_FILE=str(tmp / "app-stats.json"))
            where = "offscreen"
            if args.display == "auto" and shutil.which("Xvfb"):
                xvfb = subprocess.Popen(["Xvfb", ":93", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                processes.append(("Xvfb", xvfb))
                app_env["DISPLAY"] = ":93"
                app_env.pop("QT_QPA_PLATFORM", None)
                where = "Xvfb"
                time.sleep(0.5)
            else:
                app_env["QT_QPA_PLATFORM"] = "offscreen"
            app = subprocess.Popen([sys.executable, "-m", "desktop.app", join_url("The App"), "--name", "The App",
                                    "--no-lobby", "--fake-devices", "--new-instance"], cwd=REPO, env=app_env,
                                   stdout=subprocess.DEVNULL, stderr=(tmp / "app.stderr").open("wb"))
            processes.append(("app", app))
            settle = 8.0
            print(f"app (pid {app.pid}) on {where} with {args.bots} light bots at {args.size} {args.fps} fps; "
                  f"settling {settle:.0f} s, then measuring {args.duration:.0f} s", flush=True)
            time.sleep(settle)
            proc = psutil.Process(app.pid)
            cpu0, wall0 = cpu_seconds(proc), time.monotonic()
            psutil.cpu_percent(None)
            rss_peak = 0
            end = wall0 + args.duration
            while time.monotonic() < end and app.poll() is None:
                rss_peak = max(rss_peak, proc.memory_info().rss)
                time.sleep(0.5)
            cpu1, wall1 = cpu_seconds(proc), time.monotonic()
            machine = psutil.cpu_percent(None)
            rss = proc.memory_info().rss
            stop_process(app, "app", grace=15)  # SIGTERM: the app leaves and writes its stats
            stats = json.loads((tmp / "app-stats.json").read_text()) if (tmp / "app-stats.json").exists() else {}
        finally:
            for name, process in reversed(processes):
                stop_process(process, name, grace=10)

    app_cpu = 100.0 * (cpu1 - cpu0) / (wall1 - wall0)
    tiles = stats.get("frames_shown", {})
    seconds = stats.get("seconds_in_call") or 1.0
    rates = sorted(count / seconds for count in tiles.values())
    figures = {
        "bench": "app", "bots": args.bots, "size": args.size, "fps": args.fps, "display": where,
        "window_s": round(wall1 - wall0, 1), "app_cpu_pct_of_core": round(app_cpu, 1),
        "app_rss_mb": round(rss / 2**20, 1), "app_rss_peak_mb": round(rss_peak / 2**20, 1),
        "machine_cpu_pct": round(machine, 1), "tiles": len(tiles),
        "tile_fps_p50": round(rates[len(rates) // 2], 1) if rates else None,
        "tile_fps_min": round(rates[0], 1) if rates else None,
    }
    print(f"app CPU: {figures['app_cpu_pct_of_core']} % of one core (target <= 60 %); "
          f"resident memory {figures['app_rss_mb']} MB, peak {figures['app_rss_peak_mb']} MB (target <= 300 MB)")
    print(f"remote tiles showing video: {figures['tiles']}; frames per second per tile over the call: "
          f"p50 {figures['tile_fps_p50']} min {figures['tile_fps_min']} (bots send {args.fps}); "
          f"machine CPU {figures['machine_cpu_pct']} % of all cores")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
