"""A 1080p screen share from the desktop app to a bot: frames per second received, app CPU.

    python bench/screen_share.py [--screen system|synthetic] [--duration 30] [--fps-target 10]

Starts a server, a light bot (counts the frames it receives without decoding them) and the
real app (``parley JOIN_URL --no-lobby --fake-devices --share-screen``) on a 1920x1080 Xvfb
screen. ``--screen system`` shares that X screen through Qt's QScreenCapture (grab, copy,
BGRX -> I420 and VP8 encode); ``synthetic`` shares a synthetic 1920x1080 desktop with a
scrolling document. The bot's report gives the frames of the app's share it received over the
measured window; the app process's CPU is measured over the same window. Targets (issue 5): at
least 10 fps at no more than one core. Needs Xvfb. Loopback only; every process is stopped by PID.
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
    parser.add_argument("--screen", choices=["system", "synthetic"], default="system")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured")
    parser.add_argument("--settle", type=float, default=8.0, help="seconds before measuring")
    args = parser.parse_args(argv)
    if not shutil.which("Xvfb"):
        print("bench/screen_share.py needs Xvfb (apt-get install xvfb)", file=sys.stderr)
        return 2

    key = secrets.token_urlsafe(16)
    processes: list[tuple[str, subprocess.Popen]] = []
    with tempfile.TemporaryDirectory(prefix="parley-bench-share-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            server, base, _ = start_server(tmp, key, timeout=30)
            processes.append(("server", server))
            api = Api(base, key)
            meeting = api.create_meeting()

            def join_url(name: str) -> str:
                return api.add_attendee(meeting, name.lower().replace(" ", "-"), name)[1]

            env = bot_env()
            xvfb = subprocess.Popen(["Xvfb", ":94", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"])
            processes.append(("Xvfb", xvfb))
            time.sleep(0.5)
            # an X11 session as a desktop has one (Qt grabs with XShm only when it is told so)
            app_env = dict(env, PARLEY_FAKE_DEVICES="1", XDG_CONFIG_HOME=str(tmp / "config"),
                           XDG_DATA_HOME=str(tmp / "data-home"), DISPLAY=":94", XDG_SESSION_TYPE="x11")
            app_env.pop("QT_QPA_PLATFORM", None)
            app = subprocess.Popen([sys.executable, "-m", "desktop.app", join_url("The App"), "--name", "The App",
                                    "--no-lobby", "--fake-devices", "--screen", args.screen, "--share-screen"],
                                   cwd=REPO, env=app_env, stdout=subprocess.DEVNULL,
                                   stderr=(tmp / "app.stderr").open("wb"))
            processes.append(("app", app))
            time.sleep(2.0)
            # the viewer joins once the share is up and stays exactly the measured window
            print(f"app (pid {app.pid}) sharing its {args.screen} 1920x1080 screen on Xvfb; settling "
                  f"{args.settle:.0f} s, then measuring {args.duration:.0f} s", flush=True)
            time.sleep(max(0.0, args.settle - 2.0))
            bot = subprocess.Popen(bot_command(join_url("Viewer"), "--light", "--camera", "none", "--mic", "none",
                                               "--duration", str(args.duration), "--json"),
                                   cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            processes.append(("bot", bot))
            proc = psutil.Process(app.pid)
            cpu0, wall0 = cpu_seconds(proc), time.monotonic()
            out, _ = bot.communicate(timeout=args.duration + 60)
            cpu1, wall1 = cpu_seconds(proc), time.monotonic()
            rss = proc.memory_info().rss
            report = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        finally:
            for name, process in reversed(processes):
                stop_process(process, name, grace=10)

    content = report.get("content_frames_received", {})
    first = min((ms for who, ms in report.get("first_frame_ms", {}).items() if who in content), default=None)
    frames = sum(content.values())
    window = wall1 - wall0
    figures = {
        "bench": "screen_share", "screen": args.screen, "size": "1920x1080", "window_s": round(window, 1),
        "shares_seen": len(content), "content_frames": frames,
        "fps_received": round(frames / args.duration, 1) if args.duration else None,
        "app_cpu_pct_of_core": round(100.0 * (cpu1 - cpu0) / window, 1),
        "app_rss_mb": round(rss / 2**20, 1), "bot_end": report.get("end_reason"), "first_frame_ms": first,
    }
    print(f"share received by the bot: {figures['fps_received']} fps over {args.duration:.0f} s "
          f"({frames} frames; target >= 10); app CPU {figures['app_cpu_pct_of_core']} % of one core "
          f"(target <= 100 %), resident {figures['app_rss_mb']} MB")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
