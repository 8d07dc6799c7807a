"""TURN and NAT settings, without a network: what ``parley-server`` accepts, the credentials
each ``joined`` carries (renewed at every join), how the app reads them, and a host candidate
offered under its announced address. The real relay and the real NAT are in
test_blocked_networks.py and test_server_behind_nat.py."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest

from desktop.media.ice import IceRoute, relays_from
from rtcseam.turn_url import parse_turn_url
from server.app import start_server
from server.cli import parse_args
from server.clock import ManualClock
from server.sfu.peers import PublisherPeer
from server.turn import TurnCredentials
from desktop.media.peers import PublishConnection
from tests.raw_client import RawClient, attendee
from tests.support import Server, bounded, config_for
from tests.test_ice_seam import host_candidates
from wire import IceServer

URLS = ["turn:turn.example.org:3478", "turn:turn.example.org:3478?transport=tcp",
        "turns:turn.example.org:443?transport=tcp"]


def test_turn_urls_the_app_can_use() -> None:
    assert parse_turn_url("turn:turn.example.org") == ("turn", "turn.example.org", 3478, "udp")
    assert parse_turn_url("turn:[::1]:3479?transport=tcp") == ("turn", "::1", 3479, "tcp")
    assert parse_turn_url("turns:turn.example.org") == ("turns", "turn.example.org", 5349, "tcp")
    for bad in ("stun:turn.example.org", "turns:turn.example.org:443?transport=udp",
                "turn:turn.example.org:0", "turn:", "turn:a b", "turn:host?transport=sctp"):
        with pytest.raises(ValueError):
            parse_turn_url(bad)


def test_server_arguments_for_turn_and_nat(tmp_path: Path) -> None:
    config = parse_args(["--data-dir", str(tmp_path), "--ice-address", "127.0.0.2",
                         "--announced-address", "127.0.0.9", *[a for u in URLS for a in ("--turn-server", u)],
                         "--turn-secret", "s3cret"])
    assert config.turn_servers == tuple(URLS) and config.turn_secret == "s3cret"
    assert config.announced == {"127.0.0.2": "127.0.0.9"}
    # the secret may come from the environment, which others cannot read in the process list
    config = parse_args(["--data-dir", str(tmp_path), "--turn-server", URLS[0]], {"PARLEY_TURN_SECRET": "env"})
    assert config.turn_secret == "env"
    assert parse_args(["--data-dir", str(tmp_path)], {}).turn_servers == ()


@pytest.mark.parametrize("argv, says", [
    (["--turn-server", "turn:relay.example"], "--turn-server needs --turn-secret"),
    (["--turn-server", "stun:relay.example", "--turn-secret", "x"], "is not a TURN URL"),
    (["--announced-address", "127.0.0.9", "--announced-address", "127.0.0.8"], "each --announced-address"),
    (["--announced-address", "relay.example"], "is not an IP address"),
])
def test_bad_turn_and_nat_arguments_exit_with_usage(argv, says, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(["--data-dir", str(tmp_path), *argv], {})
    assert exc.value.code == 2
    assert says in capsys.readouterr().err


def test_credentials_follow_the_turn_rest_api_scheme() -> None:
    clock = ManualClock()
    turn = TurnCredentials(tuple(URLS), "s3cret", clock.now, lifetime=3600)
    [server] = turn.for_attendee("ada")
    assert server.urls == URLS
    assert server.username == f"{int(clock.now()) + 3600}:ada"
    # what coturn's static-auth-secret recomputes: base64(HMAC-SHA1(secret, username)); the
    # real coturn accepts it in test_blocked_networks.py
    assert server.credential == base64.b64encode(
        hmac.new(b"s3cret", server.username.encode(), hashlib.sha1).digest()).decode()
    if shutil.which("openssl"):  # and a second implementation agrees
        openssl = subprocess.run(["openssl", "dgst", "-sha1", "-hmac", "s3cret", "-binary"],
                                 input=server.username.encode(), capture_output=True, check=True).stdout
        assert server.credential == base64.b64encode(openssl).decode()
    clock.advance(60)
    assert turn.for_attendee("ada")[0].username == f"{int(clock.now()) + 3600}:ada"  # a fresh expiry
    assert TurnCredentials((), "", clock.now).for_attendee("ada") == []


async def test_joined_carries_fresh_credentials_at_every_join(tmp_path: Path) -> None:
    clock = ManualClock()
    config = dataclasses.replace(config_for(tmp_path / "data"), turn_servers=tuple(URLS), turn_secret="s3cret")
    runner, base_url, app = await start_server(config, clock)
    try:
        async with aiohttp.ClientSession() as session:
            server = Server(base_url, session, clock, app, tmp_path / "data")
            meeting = await server.create_meeting()
            ada_id, token = await attendee(server, meeting["id"], "Ada")
            first = await RawClient.join(session, base_url, meeting["id"], token)
            joined = await first.next("joined")
            [ice] = joined["ice_servers"]
            assert ice["urls"] == URLS and ice["username"].endswith(f":{ada_id}")
            await first.close()
            clock.advance(120)  # she comes back two minutes later: new credentials
            again = await RawClient.join(session, base_url, meeting["id"], token)
            rejoined = await again.next("joined")
            expiry = int(rejoined["ice_servers"][0]["username"].split(":")[0])
            assert expiry == int(ice["username"].split(":")[0]) + 120
            await again.close()
    finally:
        await bounded(runner.cleanup(), 45, "the server's cleanup")


def test_the_app_reads_every_relay_and_skips_what_it_cannot_use() -> None:
    relays = relays_from([IceServer(urls=[*URLS, "turn:bad host"], username="1:ada", credential="c")])
    assert [(r.host, r.port, r.transport, r.tls) for r in relays] == [
        ("turn.example.org", 3478, "udp", False), ("turn.example.org", 3478, "tcp", False),
        ("turn.example.org", 443, "tcp", True)]
    assert {(r.username, r.password) for r in relays} == {("1:ada", "c")}
    route = IceRoute.for_host("127.0.0.1")
    route.use([IceServer(urls=[URLS[1]], username="2:ada", credential="d")])
    assert route.addresses == ("127.0.0.1",) and route.relays[0].username == "2:ada"


async def test_a_host_candidate_is_offered_under_its_announced_address() -> None:
    client = PublishConnection(None, None, audio=True, video=False, ice_addresses=("127.0.0.1",))
    server = PublisherPeer("ada", ("127.0.0.1",), {"127.0.0.1": "127.0.0.9"})
    try:
        answer = await server.answer(await client.offer())
        assert host_candidates(answer) == {"127.0.0.9"}  # the socket itself is on 127.0.0.1
    finally:
        await server.close()
        await client.close()
