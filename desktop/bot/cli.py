"""``parley-bot``'s command line: arguments to ``BotOptions``, run one ``Bot``, print its report."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import signal
import sys

from wire import EndReason

from .options import BotOptions, parse_room, parse_tile
from .report import BotReport
from .runner import Bot

__all__ = ["main", "parse_args"]


def parse_args(argv: list[str] | None) -> tuple[BotOptions, bool]:
    parser = argparse.ArgumentParser(prog="parley-bot", description="A headless Parley participant.")
    parser.add_argument("join_url", help="parley://HOST:PORT/m/MEETING_ID?token=TOKEN")
    parser.add_argument("--name")
    parser.add_argument("--camera", choices=["synthetic", "none"], default="synthetic")
    parser.add_argument("--mic", choices=["synthetic", "none"], default="synthetic")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to stay (default 10)")
    parser.add_argument("--muted", action="store_true", help="join with the microphone muted")
    parser.add_argument("--light", action="store_true",
                        help="publish pre-encoded video and count frames without decoding")
    parser.add_argument("--size", default="640x360", help="camera size WxH (default 640x360)")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--screen", choices=["synthetic", "none"], default="none",
                        help="share a synthetic screen (a scrolling document)")
    parser.add_argument("--screen-size", default="1920x1080", help="shared screen size WxH")
    parser.add_argument("--screen-fps", type=int, default=15)
    parser.add_argument("--share-for", type=float, help="stop sharing after this many seconds")
    parser.add_argument("--say", help="send this chat message to everyone once in")
    parser.add_argument("--share-file", metavar="PATH", help="share a video file (picture and sound) as content")
    parser.add_argument("--raise-hand", action="store_true", help="raise the hand once in")
    parser.add_argument("--room", metavar="echo[:DELAY_MS]|headphones",
                        help="talk (synthetic speech) and listen in a simulated room, through the "
                             "app's voice processing: echo = a laptop without headphones (its "
                             "speaker comes back into its microphone DELAY_MS later, default 80, "
                             "at -6 dB); headphones = no echo")
    parser.add_argument("--no-echo-cancellation", dest="echo_cancellation", action="store_false",
                        help="with --room: turn echo cancellation off")
    parser.add_argument("--voice-seed", type=int, help="with --room: which synthetic voice")
    parser.add_argument("--media-timeout", type=float, default=None, metavar="SECONDS",
                        help="a media connection not connected this long has failed; after 3 joins "
                        "like that the bot ends with media_blocked (default 15)")
    parser.add_argument("--ice-address", dest="ice_addresses", action="append", metavar="ADDRESS",
                        help="offer this host address for media (repeatable; default: loopback for "
                             "a server on loopback, else every address of the machine)")
    parser.add_argument("--measure-after", type=float, default=0.0, metavar="SECONDS",
                        help="count the per-remote figures (fps, freezes, latency, audio loss) from "
                             "this long after joining (default 0)")
    parser.add_argument("--tile", default="640x360", metavar="WxH",
                        help="the size every remote video is shown at, told to the server as the app "
                             "tells its tiles' sizes, the active speaker on stage (default 640x360: "
                             "any layer; 0x0: tell nothing)")
    parser.add_argument("--json", action="store_true", help="print one JSON report on stdout")
    args = parser.parse_args(argv)
    if args.room is not None:
        try:
            parse_room(args.room)
        except ValueError as exc:
            parser.error(f"--room: {exc}")
        if args.light:
            parser.error("--room needs decoded audio: not with --light")
    if args.ice_addresses:
        try:
            args.ice_addresses = tuple(str(ipaddress.ip_address(a)) for a in args.ice_addresses)
        except ValueError as exc:
            parser.error(f"--ice-address: {exc}")
    if not 0 <= args.measure_after < args.duration:
        parser.error("--measure-after must be at least 0 and less than --duration")
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
        screen_width, screen_height = (int(v) for v in args.screen_size.lower().split("x"))
    except ValueError:
        parser.error("--size and --screen-size take WIDTHxHEIGHT, e.g. 640x360")
    try:
        tile = parse_tile(args.tile)
    except ValueError as exc:
        parser.error(f"--tile: {exc}")
    return BotOptions(args.join_url, args.name, args.camera, args.mic, args.duration, args.light,
                      args.muted, width, height, args.fps, args.screen, screen_width, screen_height,
                      args.screen_fps, args.share_for, args.say, args.share_file, args.raise_hand,
                      args.room, args.echo_cancellation, args.voice_seed, args.media_timeout,
                      ice_addresses=args.ice_addresses or None, measure_after=args.measure_after, tile=tile), args.json


async def _main(options: BotOptions) -> BotReport:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    return await Bot(options).run(stop)


#: Endings that are no failure (exit 0): the bot left, or the meeting ended for everyone by a
#: rule or a person (its timer, its host, the API, its longest, nobody or one alone in it).
#: A lost connection, a removal, a replacement, a server going away: exit 1.
NORMAL_ENDINGS = frozenset({
    EndReason.LEFT, EndReason.DELETED, EndReason.ENDED, EndReason.ENDED_BY_HOST, EndReason.TIMER_EXPIRED,
    EndReason.MAX_DURATION, EndReason.EMPTY, EndReason.ALONE,
})


def main(argv: list[str] | None = None) -> int:
    try:
        options, as_json = parse_args(argv)
        report = asyncio.run(_main(options))
    except ValueError as exc:  # a bad join link
        print(f"parley-bot: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(report.to_json()), flush=True)
    else:
        print(f"attendee {report.attendee_id}: end_reason={report.end_reason} "
              f"video frames={report.frames_received} audio frames={report.audio_frames_received}")
    if report.error is not None:
        print(f"parley-bot: {report.error['code']}: {report.error['message']}", file=sys.stderr)
        return 1
    return 0 if report.end_reason in NORMAL_ENDINGS else 1
