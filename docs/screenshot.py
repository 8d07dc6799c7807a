"""Take the README's screenshot: the real app window under Xvfb, in a meeting with bots.

    python docs/screenshot.py [--bots 4] [--out docs/screenshot.png] [--window lobby|call|start]
                              [--share N] [--minutes M] [--app-arg ARG] [--locale pseudo]
                              [--size WxH] [--setting KEY=VALUE]

The app runs with settings of its own (a fresh XDG_CONFIG_HOME); ``--setting`` writes into them
first, e.g. the lobby with the synthetic presenter camera and a strong background blur:

    python docs/screenshot.py --window lobby --bots 0 --size 1040x620 --out docs/screenshot-blur.png \
        --setting devices/camera/id=synthetic:presenter --setting video/background=blur:strong

Needs Xvfb and ImageMagick's ``import`` (Debian: xvfb imagemagick; ``--keys`` needs xdotool,
``--wm`` openbox). The share picker, under a window manager with two other windows:

    python docs/screenshot.py --bots 3 --wm --size 1720x900 --settle 25 --with-window "notes:Agenda.txt" \
        --with-window "xclock -geometry 220x220+1290+470" --keys ctrl+shift+s --key-wait 6 --out docs/screenshot-picker.png

Everything runs on loopback and is stopped (by PID) before the script exits.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


NOTES = """import sys
from PySide6.QtWidgets import QApplication, QTextEdit
app = QApplication([])
text = QTextEdit()
text.setWindowTitle(sys.argv[1])
text.setPlainText("Agenda\\n\\n1. Where we are\\n2. The release on Friday\\n3. Questions\\n")
text.setGeometry(1260, 60, 440, 300)
text.show()
app.exec()
"""


def post(url: str, key: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bots", type=int, default=4)
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshot.png"))
    parser.add_argument("--window", choices=["call", "lobby", "start"], default="call")
    parser.add_argument("--size", default="1200x760", help="the screen: the call window opens at 1200x760")
    parser.add_argument("--settle", type=float, default=6.0)
    parser.add_argument("--minutes", type=float, help="the meeting ends this many minutes after it starts")
    parser.add_argument("--share", type=int, default=0, help="this many bots share a synthetic screen")
    parser.add_argument("--app-arg", action="append", default=[], help="passed to parley (repeatable)")
    parser.add_argument("--locale", help="the app's language, e.g. de, or pseudo (cut-off text shows)")
    parser.add_argument("--display", default=":97", help="the Xvfb display to use")
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting of the app's own, written before it starts (repeatable), "
                             "e.g. video/background=blur:strong")
    parser.add_argument("--wm", action="store_true", help="run a window manager (openbox) on the display, as a desktop has")
    parser.add_argument("--with-window", action="append", default=[], metavar="COMMAND",
                        help="another program's window on the screen (e.g. 'xclock'), for the share picker")
    parser.add_argument("--cameras", type=int, help="only this many bots send video and sound (a loaded machine)")
    parser.add_argument("--light-bots", action="store_true", help="bots send pre-encoded video (many bots, less CPU)")
    parser.add_argument("--say", action="append", default=[], metavar="TEXT",
                        help="the first bots each say one of these in the chat (repeatable)")
    parser.add_argument("--hands", type=int, default=0, help="this many bots (from the last) raise their hand")
    parser.add_argument("--click", action="append", default=[], metavar="X,Y",
                        help="click here (screen pixels) after the keys, in order (xdotool), e.g. to open a menu")
    parser.add_argument("--key-wait", type=float, default=1.0, help="seconds to wait after each --keys")
    parser.add_argument("--log", help="write the app's output here (to see why a shot failed)")
    parser.add_argument("--keys", action="append", default=[],
                        help="keys pressed in the app's window before the shot, e.g. ctrl+shift+p (xdotool)")
    args = parser.parse_args()

    names = ["Grace Hopper", "Linus Torvalds", "Margaret Hamilton", "Alan Turing", "Katherine Johnson",
             "Dennis Ritchie", "Barbara Liskov", "Ken Thompson", "Frances Allen", "Donald Knuth", "Radia Perlman",
             "Tim Berners-Lee", "Hedy Lamarr", "John McCarthy", "Annie Easley", "Edsger Dijkstra"]
    key = secrets.token_urlsafe(16)
    env = dict(os.environ, PARLEY_API_KEY=key, PYTHONPATH=str(REPO))
    env.pop("QT_QPA_PLATFORM", None)
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            display = args.display
            processes.append(subprocess.Popen(["Xvfb", display, "-screen", "0", f"{args.size}x24", "-nolisten", "tcp"]))
            x_env = dict(os.environ, DISPLAY=display)
            x_env.pop("XDG_SESSION_TYPE", None)  # as a bare X11 session: the app names it itself
            if args.wm:
                time.sleep(0.5)
                processes.append(subprocess.Popen(["openbox"], env=x_env, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL))
            for command in args.with_window:
                if command.startswith("notes:"):  # a window with some text in it: a document to share
                    command = shlex.join([sys.executable, "-c", NOTES, command[6:]])
                processes.append(subprocess.Popen(shlex.split(command), env=x_env, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL))
            server = subprocess.Popen(
                [sys.executable, "-m", "server", "--port", "0", "--data-dir", tmp, "--ice-address", "127.0.0.1"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            processes.append(server)
            base = re.search(r"(http://\S+)", server.stdout.readline()).group(1)
            body = {"settings_override": {"limits": {"max_duration_seconds": int(args.minutes * 60)}}} \
                if args.minutes else {}
            meeting = post(f"{base}/v1/meetings", key, body)["meeting"]["id"]

            def join_url(name: str, role: str = "participant") -> str:
                return post(f"{base}/v1/meetings/{meeting}/attendees", key,
                            {"user_id": name.lower().replace(" ", "-"), "name": name, "role": role})["join_url"]

            for i, name in enumerate(names[: args.bots]):
                bot = [sys.executable, "-m", "desktop.bot", join_url(name), "--duration", "120", "--size", "640x360"]
                if i == 1:
                    bot += ["--camera", "none"]  # shows the initials tile
                if i < args.share:
                    bot += ["--screen", "synthetic", "--screen-size", "1280x720", "--screen-fps", "5"]
                if args.light_bots:
                    bot.append("--light")
                if args.cameras is not None and i >= args.cameras:
                    bot += ["--camera", "none", "--mic", "none"]
                if i < len(args.say):
                    bot += ["--say", args.say[i]]
                if i >= args.bots - args.hands:
                    bot.append("--raise-hand")
                processes.append(subprocess.Popen(bot, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                time.sleep(0.3)
            app_env = dict(env, DISPLAY=display, PARLEY_FAKE_DEVICES="1",
                           XDG_CONFIG_HOME=str(Path(tmp) / "config"), XDG_DATA_HOME=str(Path(tmp) / "data"))
            if args.setting:
                # Where the app's QSettings() looks: $XDG_CONFIG_HOME/Parley/Parley.conf on Linux.
                write = ("import sys; from PySide6.QtCore import QSettings; q = QSettings('Parley', 'Parley')\n"
                         "for pair in sys.argv[1:]: q.setValue(*pair.split('=', 1))\nq.sync()")
                subprocess.run([sys.executable, "-c", write, *args.setting], env=app_env, check=True, timeout=30)
            app = [sys.executable, "-m", "desktop.app", "--name", "Ada Lovelace", "--new-instance"]
            if args.window != "start":
                app.append(join_url("Ada Lovelace", "host"))
            if args.window == "call":
                app.append("--no-lobby")
            app += args.app_arg
            if args.locale:
                app += ["--locale", args.locale]
            log = open(args.log, "w") if args.log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
            parley = subprocess.Popen(app, env=app_env, stdout=log, stderr=log)
            processes.append(parley)
            time.sleep(args.settle)
            for keys in args.keys:  # e.g. the shortcuts that open the people and chat panels
                focus = "windowactivate" if args.wm else "windowfocus"  # a window manager decides who has focus
                subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(parley.pid), "--name", "Parley",
                                focus, "--sync", "key", "--clearmodifiers", keys],
                               env=dict(os.environ, DISPLAY=display), check=True, timeout=30,
                               stderr=subprocess.DEVNULL)
                time.sleep(args.key_wait)
            for point in args.click:
                x, y = point.split(",")
                subprocess.run(["xdotool", "mousemove", "--sync", x, y, "click", "1"],
                               env=dict(os.environ, DISPLAY=display), check=True, timeout=30)
                time.sleep(args.key_wait)
            subprocess.run(["import", "-display", display, "-window", "root", args.out], check=True, timeout=30)
            print(f"wrote {args.out}")
        finally:
            for process in reversed(processes):
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
