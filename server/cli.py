"""``parley-server``: run a meeting server until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import gc
import ipaddress
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from rtcseam.ice import unbindable

from .app import start_server
from .config import (
    API_KEY_FILE,
    DataDirError,
    ServerConfig,
    api_key_from,
    default_data_dir,
    resolve_api_key,
    using_data_dir,
)
from .http.keys import CLUSTER_KEY
from .http.ratelimit import LogFlood
from .sfu import seam
from .store import StoreError
from .store_open import is_postgres
from .tls import certificate_fingerprint
from .turn import check_turn_url

#: Where the TURN secret may come from instead of the command line (which others can read).
TURN_SECRET_ENV = "PARLEY_TURN_SECRET"

log = logging.getLogger("parley.server")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is not between 0 and 65535")
    return port


def _public_host(text: str) -> str:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return text


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address") from None


def _turn_url(text: str) -> str:
    try:
        return check_turn_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _minutes(text: str) -> float:
    """Minutes (may be fractional) as seconds; must be positive."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 minutes")
    return value * 60


def _janus_url(text: str) -> str:
    parsed = urlsplit(text)
    if parsed.scheme not in ("ws", "wss") or not parsed.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not a WebSocket URL (ws://HOST:8188/)")
    return text


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _days(text: str) -> float:
    """Days (may be fractional), 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not 0 <= value < 1e6:
        raise argparse.ArgumentTypeError("must be 0 days or more")
    return value


def parse_args(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
               home: Path | None = None) -> ServerConfig:
    """The server's configuration from its arguments and its environment (``os.environ``
    and the user's home unless given): the only place the server reads either."""
    return parse_command(argv, environ, home)[0]


def parse_command(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
                  home: Path | None = None) -> tuple[ServerConfig, bool]:
    """``parse_args`` and whether to stop when standard input closes (``--exit-with-stdin``)."""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    data_dir = default_data_dir(environ, home)
    parser = argparse.ArgumentParser(
        prog="parley-server",
        description="Run a Parley meeting server. The API key comes from $PARLEY_API_KEY or is "
        "generated once into the data dir.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=_port, default=8750,
                        help="port to listen on, 0 for a free one (default %(default)s)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"where meetings and secrets are kept (default $PARLEY_DATA_DIR or "
                        f"{data_dir})")
    parser.add_argument("--ice-address", dest="ice_addresses", action="extend", nargs="+",
                        metavar="ADDR", default=None,
                        help="address offered to clients for media; repeatable (default 127.0.0.1)")
    parser.add_argument("--announced-address", dest="announced_addresses", action="append",
                        type=_ip, default=None, metavar="PUBLIC",
                        help="behind a 1:1 NAT (a cloud VM): the public address that reaches the "
                        "--ice-address given in the same place; the server binds the private one "
                        "and offers this one to clients; repeatable")
    parser.add_argument("--turn-server", dest="turn_servers", action="append", type=_turn_url,
                        default=None, metavar="URL",
                        help="a TURN server clients may relay media through when their network "
                        "blocks UDP: turn:HOST:3478, turn:HOST:3478?transport=tcp, "
                        "turns:HOST:443?transport=tcp; repeatable, needs --turn-secret")
    parser.add_argument("--turn-secret", default=None, metavar="SECRET",
                        help=f"the secret shared with the TURN server (coturn's "
                        f"static-auth-secret); default ${TURN_SECRET_ENV}")
    parser.add_argument("--media", choices=("builtin", "janus"), default="builtin",
                        help="what moves the media: builtin, this process's own forwarding unit "
                        "(default), or janus, Janus VideoRoom at --janus-url")
    parser.add_argument("--janus-url", dest="janus_urls", action="append", type=_janus_url,
                        metavar="ws://HOST:8188/", default=None,
                        help="a Janus instance's WebSocket API; repeatable: each new meeting goes "
                        "to the least loaded live one (needs --media janus)")
    parser.add_argument("--janus-api-secret", default=None, metavar="SECRET",
                        help="Janus's api_secret, if its janus.jcfg sets one (default "
                        "$PARLEY_JANUS_API_SECRET)")
    parser.add_argument("--janus-admin-url", dest="janus_admin_urls", action="append", type=_janus_url,
                        metavar="ws://HOST:7188/", default=None,
                        help="optional: a Janus instance's Admin API WebSocket (admin_ws), one per "
                        "--janus-url in the same order: Janus's packet and loss figures feed "
                        "/metrics, signal strength and the choice of layers")
    parser.add_argument("--janus-admin-secret", default=None, metavar="SECRET",
                        help="Janus's admin_secret (janus.jcfg), for --janus-admin-url (default "
                        "$PARLEY_JANUS_ADMIN_SECRET)")
    parser.add_argument("--public-host", type=_public_host, default=None, metavar="HOST:PORT",
                        help="host:port written into join URLs (default HOST:PORT listened on)")
    parser.add_argument("--public-tls", action="store_true",
                        help="the --public-host address speaks TLS, terminated by a balancer or reverse "
                        "proxy in front of this server: join links say parleys://")
    parser.add_argument("--max-meeting-minutes", type=_minutes, default=24 * 3600, metavar="MINUTES",
                        help="no meeting runs longer, whatever its settings (default 1440: 24 h)")
    parser.add_argument("--empty-minutes", type=_minutes, default=5 * 60, metavar="MINUTES",
                        help="a started meeting nobody is in ends after this long (default 5)")
    parser.add_argument("--alone-minutes", type=_minutes, default=30 * 60, metavar="MINUTES",
                        help="a meeting with one person in it ends after this long (default 30)")
    parser.add_argument("--tls-cert", type=Path, default=None, metavar="PEM",
                        help="serve https/wss with this PEM certificate (chain, the server's own "
                        "first); needs --tls-key. Join links then say parleys://")
    parser.add_argument("--tls-key", type=Path, default=None, metavar="PEM",
                        help="the certificate's unencrypted PEM private key; needs --tls-cert")
    parser.add_argument("--allow-private-webhooks", action="store_true",
                        help="let webhooks point at loopback, link-local and private addresses "
                        "(refused by default: they reach what only this server can reach)")
    parser.add_argument("--metrics-public", action="store_true",
                        help="answer GET /metrics without the API key")
    parser.add_argument("--max-connections-per-address", type=_count, default=64, metavar="N",
                        help="connections one address may hold at once; 0: no cap, e.g. behind a "
                        "reverse proxy (default %(default)s)")
    parser.add_argument("--joins-per-minute", type=_count, default=30, metavar="N",
                        help="join attempts one address may make a minute; 0: no limit, e.g. behind a "
                        "load balancer, where everyone shares its address (default %(default)s)")
    parser.add_argument("--chat-retention-days", type=_days, default=None, metavar="DAYS",
                        help="forget a meeting's chat (private messages included) this many days "
                        "after it ended; 0: when it ends (default: kept with the meeting)")
    _add_store_arguments(parser)
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="stop when standard input closes: for a program that runs this server "
                        "as its child (the app's \"Start a meeting on this computer\"), so the "
                        "server stops with it even when it crashes")
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together: give both, or neither")
    if args.media == "janus" and not args.janus_urls:
        parser.error("--media janus needs at least one --janus-url ws://HOST:8188/")
    if args.media != "janus" and args.janus_urls:
        parser.error("--janus-url is for --media janus")
    if args.janus_admin_urls and len(args.janus_admin_urls) != len(args.janus_urls or []):
        parser.error("give one --janus-admin-url per --janus-url, in the same order")
    ice_addresses = args.ice_addresses or ["127.0.0.1"]
    announced = args.announced_addresses or []
    if len(announced) > len(ice_addresses):
        parser.error("each --announced-address goes with the --ice-address in the same place: "
                     "give the private address it maps to with --ice-address")
    turn_secret = args.turn_secret or environ.get(TURN_SECRET_ENV, "").strip() or None
    if args.turn_servers and not turn_secret:
        parser.error(f"--turn-server needs --turn-secret (or ${TURN_SECRET_ENV}): the secret "
                     "the TURN server checks credentials with")
    return ServerConfig(
        max_meeting_seconds=args.max_meeting_minutes,
        empty_timeout_seconds=args.empty_minutes,
        alone_timeout_seconds=args.alone_minutes,
        host=args.host,
        port=args.port,
        data_dir=(args.data_dir or data_dir).expanduser(),
        api_key=api_key_from(environ),
        ice_addresses=ice_addresses,
        announced_addresses=announced,
        turn_servers=tuple(args.turn_servers or ()),
        turn_secret=turn_secret if args.turn_servers else None,
        media=args.media,
        janus_urls=args.janus_urls or [],
        janus_api_secret=args.janus_api_secret or environ.get("PARLEY_JANUS_API_SECRET") or None,
        janus_admin_urls=args.janus_admin_urls or [],
        janus_admin_secret=args.janus_admin_secret or environ.get("PARLEY_JANUS_ADMIN_SECRET") or None,
        public_host=args.public_host,
        public_tls=args.public_tls,
        tls_cert=args.tls_cert.expanduser() if args.tls_cert else None,
        tls_key=args.tls_key.expanduser() if args.tls_key else None,
        allow_private_webhooks=args.allow_private_webhooks,
        metrics_public=args.metrics_public,
        connections_per_address=args.max_connections_per_address,
        joins_per_minute=args.joins_per_minute,
        chat_retention_days=args.chat_retention_days,
        store=args.store,
        node_id=args.node_id,
        internal_url=args.internal_url,
        lease_seconds=args.lease_seconds,
    ), args.exit_with_stdin


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 3600:
        raise argparse.ArgumentTypeError("must be more than 0 seconds and under an hour")
    return value


def _store(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("give a postgresql:// URL or a SQLite file's path")
    if "://" in text and not is_postgres(text) and not text.startswith("sqlite:"):
        raise argparse.ArgumentTypeError(f"{text.split('://')[0]}:// is no store parley-server knows "
                                         "(postgresql://…, or a SQLite file's path)")
    return text


def _add_store_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("store and several nodes (docs/deployment.md)")
    group.add_argument("--store", type=_store, default=None, metavar="URL",
                       help="where meetings are kept: postgresql://USER:PASSWORD@HOST/DB for a database "
                       "several parley-server nodes share, or a SQLite file (default: parley.sqlite3 in "
                       "the data dir)")
    group.add_argument("--node-id", default=None, metavar="ID",
                       help="this node's name among the nodes sharing the store (default: host, process "
                       "and a random part)")
    group.add_argument("--internal-url", default=None, metavar="URL",
                       help="where the other nodes reach this one, e.g. http://10.0.0.5:8750 (default: "
                       "the address listened on; needed when listening on 0.0.0.0 or ::)")
    group.add_argument("--lease-seconds", type=_seconds, default=10.0, metavar="S",
                       help="a node that stops answering loses its meetings to the others after this "
                       "long (default %(default)s)")


#: Exit codes: 0 a clean stop; 1 the server could not start (a port in use, a bad certificate);
#: 2 its data dir cannot be used (another server holds it, read-only, full) or an ICE address
#: is not one of this machine's; argparse's usage errors are 2 as well.
EXIT_CANNOT_START = 1
EXIT_DATA_DIR = 2
EXIT_CONFIG = 2


def ice_address_problem(config: ServerConfig) -> str | None:
    """One sentence when an ``--ice-address`` cannot be bound here (every call would fail)."""
    missing = unbindable(config.ice_addresses)
    if not missing:
        return None
    return (f"--ice-address {', '.join(missing)} is not an address of this machine (behind a 1:1 "
            "NAT, give the private address with --ice-address and the public one with "
            "--announced-address).")


def _watch_stdin(on_closed) -> None:
    """Call ``on_closed()`` (from a daemon thread) once standard input reaches its end: the
    parent that holds the pipe's other end closed it, or died (the kernel closes it then)."""

    def read() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        on_closed()

    threading.Thread(target=read, name="stdin-watch", daemon=True).start()


async def serve(config: ServerConfig, exit_with_stdin: bool = False) -> int:
    """Listen until a signal (or, with ``exit_with_stdin``, the end of standard input) resolves
    the one shutdown future; 0 on a clean stop, else one sentence on stderr and an exit code
    (``EXIT_CANNOT_START``, ``EXIT_DATA_DIR``)."""
    loop = asyncio.get_running_loop()
    shutdown: asyncio.Future[None] = loop.create_future()

    def request_shutdown(*_: object) -> None:
        if not shutdown.done():
            shutdown.set_result(None)

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        try:
            loop.add_signal_handler(sig, request_shutdown)
        except NotImplementedError:  # Windows: no loop signal handlers
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(request_shutdown))
    if exit_with_stdin:
        _watch_stdin(lambda: loop.call_soon_threadsafe(request_shutdown))

    problem = ice_address_problem(config)
    if problem is not None:
        print(f"parley-server: cannot start: {problem}", file=sys.stderr, flush=True)
        return EXIT_CONFIG
    try:
        with using_data_dir(config.data_dir):
            api_key, created = resolve_api_key(config)
        fingerprint = certificate_fingerprint(config.tls_cert) if config.tls_cert else None
        runner, base_url, _app = await start_server(config)
    except DataDirError as exc:
        print(f"parley-server: cannot start: {exc}", file=sys.stderr, flush=True)
        return EXIT_DATA_DIR
    except (OSError, RuntimeError, StoreError) as exc:
        print(f"parley-server: cannot start: {exc}", file=sys.stderr, flush=True)
        return EXIT_CANNOT_START
    try:
        if created:
            # the key itself is never printed or logged (stdout often ends up in a journal)
            print(f"API key generated: read it from {config.data_dir / API_KEY_FILE} (mode 0600)", flush=True)
        if fingerprint is not None:
            # What people compare with the fingerprint their app shows before they trust a
            # certificate it cannot verify (a self-signed one).
            print(f"TLS certificate SHA-256 fingerprint: {fingerprint}", flush=True)
        cluster = _app[CLUSTER_KEY]
        if cluster.shared:
            print(f"node {cluster.node_id} on {cluster.store.location}, reachable by the other nodes at "
                  f"{cluster.internal_url}", flush=True)
        # What exists now (modules, classes, the app) lives as long as the server: the garbage
        # collector's full passes skip it from here on (they ran while people joined, on the loop
        # that forwards; bench/README.md, janus_vs_builtin.py).
        gc.freeze()
        print(f"parley-server listening on {base_url}", flush=True)
        await shutdown
        log.info("shutting down")
    finally:
        await runner.cleanup()
        for sig in signals:
            try:
                loop.remove_signal_handler(sig)
            except NotImplementedError:
                signal.signal(sig, signal.SIG_DFL)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    config, exit_with_stdin = parse_command(argv)
    seam.count_codecs()  # the forwarding unit must never create one: /metrics shows it
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # a flood of one kind of error cannot fill the disk
        handler.addFilter(LogFlood())
    return asyncio.run(serve(config, exit_with_stdin))
