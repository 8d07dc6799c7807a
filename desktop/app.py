"""``parley``: the composition root of the desktop app.

It builds the real parts — the device backends, the settings, a meeting server for "Start a
meeting on this computer" (a child process: desktop/hosting.py) — wires them into the AppFlow, runs Qt and asyncio on one loop
(qasync), and owns shutdown: closing the last window, SIGINT and SIGTERM all resolve the
flow's one shutdown future, and the call is left before the app exits.

    parley [JOIN_URL] [--name NAME] [--no-lobby] [--fake-devices] [--screen system|synthetic]
           [--share-screen] [--idle-timeout SECONDS] [--idle-prompt SECONDS] [--locale LOCALE]
           [--theme system|light|dark] [--new-instance]

One Parley runs per user: launched again (a join link clicked in the browser), it hands the link
to the running app and exits (desktop/ui/single_instance.py).

The environment is read here and nowhere else in the app: the options' defaults
(``PARLEY_FAKE_DEVICES``, ``PARLEY_SCREEN``, ``PARLEY_LOCALE``, ``PARLEY_THEME``,
``PARLEY_NEW_INSTANCE``) and ``AppConfig`` (the instance name, the log folder, the resources
override, the bench's stats file), passed down as values.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import platform
import signal
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from . import assets
from .logs import log_dir, setup_logging
from .system_libraries import missing_libraries, missing_message


@dataclass(frozen=True)
class AppConfig:
    """What this run takes from the environment besides its options, read once at start."""

    instance: str = ""  # PARLEY_INSTANCE: a separate "one Parley per user" (tests, profiles)
    log_dir: Path | None = None  # PARLEY_LOG_DIR, else the platform's (XDG_STATE_HOME, LOCALAPPDATA)
    resources: Path | None = None  # PARLEY_RESOURCES: bundled files from another folder first
    stats_file: str | None = None  # PARLEY_STATS_FILE: what each tile showed (bench/app.py)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> AppConfig:
        resources = environ.get("PARLEY_RESOURCES")
        return cls(instance=environ.get("PARLEY_INSTANCE", ""), log_dir=log_dir(environ),
                   resources=Path(resources) if resources else None,
                   stats_file=environ.get("PARLEY_STATS_FILE") or None)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="parley", description="Parley video meetings.")
    parser.add_argument("join_url", nargs="?", help="a parley:// meeting link: opens its lobby")
    parser.add_argument("--name", help="your name in the meeting")
    parser.add_argument("--no-lobby", action="store_true",
                        help="join at once with the remembered (or default) devices")
    parser.add_argument("--fake-devices", action="store_true",
                        default=os.environ.get("PARLEY_FAKE_DEVICES", "") not in ("", "0"),
                        help="add a synthetic camera, microphone and a silent speaker (also PARLEY_FAKE_DEVICES=1)")
    parser.add_argument("--screen", choices=["system", "synthetic"],
                        default=os.environ.get("PARLEY_SCREEN", "system"),
                        help="share real screens and windows (default) or a synthetic screen "
                             "(also PARLEY_SCREEN=synthetic)")
    parser.add_argument("--share-screen", action="store_true",
                        help="share your (first) screen as soon as you are in the meeting")
    parser.add_argument("--idle-timeout", type=float, metavar="SECONDS",
                        help='ask "Are you still there?" after this long without input (default 3600)')
    parser.add_argument("--idle-prompt", type=float, metavar="SECONDS",
                        help="leave when nobody answers within this long (default 60)")
    parser.add_argument("--locale", default=os.environ.get("PARLEY_LOCALE"),
                        help="language of the app, e.g. de, or 'pseudo' to find cut-off text "
                             "(also PARLEY_LOCALE; default: the system's)")
    parser.add_argument("--theme", choices=["system", "light", "dark"], default=os.environ.get("PARLEY_THEME"),
                        help="this run's theme (also PARLEY_THEME; default: the one in Settings)")
    parser.add_argument("--new-instance", action="store_true",
                        default=os.environ.get("PARLEY_NEW_INSTANCE", "") not in ("", "0"),
                        help="run beside a Parley already running instead of handing the link to it")
    parser.add_argument("--video-size", default="640x360", help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"parley {__version__}")
    args = parser.parse_args(argv)
    if args.theme is not None and args.theme not in ("system", "light", "dark"):  # from PARLEY_THEME
        parser.error(f"PARLEY_THEME must be system, light or dark, not {args.theme!r}")
    if args.no_lobby and not args.join_url:
        parser.error("--no-lobby needs a meeting link")
    for option in ("idle_timeout", "idle_prompt"):
        if getattr(args, option) is not None and getattr(args, option) <= 0:
            parser.error(f"--{option.replace('_', '-')} must be a positive number of seconds")
    if args.join_url:
        from .session.meeting_session import JoinUrl

        try:
            JoinUrl(args.join_url)
        except ValueError as exc:
            parser.error(str(exc))
    return args


def user_data_dir() -> Path:
    """Where the app keeps its own files (the local meeting server's data)."""
    from PySide6.QtCore import QStandardPaths

    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


async def run_app(args: argparse.Namespace, config: AppConfig, instance=None, opener=None) -> int:
    """``instance``: where second launches hand their links over; ``opener``: links macOS
    delivers as events (kept until the flow can take them)."""
    from .hosted_server import HostedServer, child_environment
    from .idle.backends import detect_backend
    from .idle.qt.app_input import AppInputBackend
    from .idle.qt.dbus import SESSION_BUS_BACKENDS
    from .media.devices import DeviceManager
    from .media.qt.backend import QtBackend
    from .session.meeting_session import MeetingSession
    from .ui.flow import AppFlow, FlowOptions
    from .ui.settings import Settings

    backends = [QtBackend()]
    if args.fake_devices:
        from .media.synthetic.backend import SyntheticBackend

        backends.append(SyntheticBackend())
    devices = DeviceManager(backends)
    local = HostedServer(user_data_dir() / "server", environ=child_environment(os.environ))
    width, height = (int(v) for v in args.video_size.lower().split("x"))
    idle_source = detect_backend(os.environ, AppInputBackend, session_bus=SESSION_BUS_BACKENDS)
    options = FlowOptions(args.join_url, args.name, args.no_lobby, (width, height),
                          idle_timeout=args.idle_timeout, idle_prompt=args.idle_prompt,
                          share_screen=args.share_screen, stats_file=config.stats_file)
    if args.screen == "synthetic":
        from .media.synthetic.backend import SyntheticScreens

        screens = SyntheticScreens()
    else:
        from .media.qt.screens import QtScreens

        screens = QtScreens(environ=os.environ)
    settings = Settings()
    flow = AppFlow(devices, settings, options, local.start_meeting, idle_source, screens,
                   session_factory=functools.partial(MeetingSession, step_down=True))
    if instance is not None:  # links a second launch hands over
        instance.link_received.connect(flow.open_link)
        instance.activation_requested.connect(flow.bring_to_front)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, flow.quit)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C stays with Qt
            pass
    flow.start()
    if opener is not None:
        opener.set_target(flow.open_link)
    try:
        return await flow.shutdown
    finally:
        await local.close()
        devices.close()
        if idle_source is not None:
            idle_source.close()


def name_the_x11_session(environ: MutableMapping[str, str], platform: str = sys.platform) -> bool:
    """Say ``XDG_SESSION_TYPE=x11`` on an X11 desktop that left it unset (startx, a bare window
    manager such as Openbox), before Qt starts: Qt Multimedia lists the windows one can share
    (and grabs screens with XShm) only when it says x11. Not under Wayland, not when the Qt
    platform is forced to something other than xcb. True when it was set here."""
    if (not platform.startswith("linux") or environ.get("XDG_SESSION_TYPE") or not environ.get("DISPLAY")
            or environ.get("WAYLAND_DISPLAY") or environ.get("QT_QPA_PLATFORM", "xcb").split(":")[0] != "xcb"):
        return False
    environ["XDG_SESSION_TYPE"] = "x11"
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = AppConfig.from_environment(os.environ)
    assets.use_resources(config.resources)
    # before Qt loads: a missing system library is named here, not by Qt's abort (frozen
    # bundles carry their own copies, which a plain dlopen would not find)
    missing = [] if getattr(sys, "frozen", False) else missing_libraries(platform.system(), os.environ)
    if missing:
        print(missing_message(missing), file=sys.stderr)
        return 1
    name_the_x11_session(os.environ)  # windows to share under a plain X11 window manager

    setup_logging(file=False)  # the console at once; the file once we know we are the one
    import qasync
    from PySide6.QtWidgets import QApplication

    from .ui.single_instance import HANDED, NO_ANSWER, SingleInstance, UrlOpenFilter, hand_over, instance_name
    from .ui.i18n import install_translations
    from .ui.icons import app_icon
    from .ui.settings import Settings
    from .ui.theme import apply_theme

    log = logging.getLogger(__name__)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Parley")
    app.setOrganizationName("Parley")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("org.parley.Parley")  # Wayland/X11: the taskbar finds the .desktop entry
    app.setQuitOnLastWindowClosed(False)  # the flow decides when to quit (after leaving a call)
    opener = UrlOpenFilter(app)  # macOS: the link that launched us may come before any window
    app.installEventFilter(opener)
    instance = None
    name = None if args.new_instance else instance_name(config.instance)
    if name is not None:
        handed = hand_over(name, args.join_url)
        if handed == HANDED:
            log.info("Parley is already running: handed %s over to it", "the link" if args.join_url else "the request")
            return 0
        if handed == NO_ANSWER:
            log.error("Parley is already running but does not answer; close it (or wait) and try again, "
                      "or start another with --new-instance")
            return 1
        instance = SingleInstance(name)
        instance.listen()
    # one log file, written by the one Parley of this user (another with --new-instance logs to
    # the console only: two writers would rotate the file under each other)
    log_file = setup_logging(config.log_dir, file=not args.new_instance)
    log.info("Parley %s starting; log file %s", __version__, log_file)
    install_translations(app, args.locale)
    app.setWindowIcon(app_icon())
    apply_theme(app, args.theme or Settings().get("appearance/theme"))
    try:
        return qasync.run(run_app(args, config, instance, opener))
    finally:
        if instance is not None:
            instance.close()


if __name__ == "__main__":
    sys.exit(main())
