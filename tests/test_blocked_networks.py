"""Clients on networks that drop UDP (a hotel, many offices) reach a meeting through coturn over
TCP or TLS, and media flows every way; a client beside the server goes straight. Without a TURN
server, such a client is told its network blocks calls, after a bounded number of tries.

Everything runs in network namespaces these tests make and remove (tests/netlab.py): the
server's (parley-server and coturn on 10.77.19.1) and the blocked clients' (10.77.19.2 and
10.77.18.2, every UDP packet in or out dropped by iptables, and for one TCP to 3478 too).
"""

from __future__ import annotations

import pytest

from desktop.session.reasons import describe
from tests.netlab import Lab, coturn_unavailable, report

pytestmark = pytest.mark.slow

SECRET = "lab-turn-secret"
STAY = 9.0  # seconds each bot stays


@pytest.fixture
def lab(tmp_path):
    reason = coturn_unavailable()
    if reason:
        pytest.skip(reason)
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        lab.close()


def test_clients_whose_udp_is_dropped_join_through_turn_over_tcp_and_tls(lab: Lab) -> None:
    """Grace's network drops UDP: she reaches coturn over TCP. Linus's drops UDP and TCP to
    3478 too: he reaches it over TLS (5349). Ada, beside the server, goes straight. Everyone
    sees and hears everyone."""
    server_ns, hotel, office = lab.namespace("s"), lab.namespace("h"), lab.namespace("o")
    lab.link(server_ns, "10.77.19.1/24", hotel, "10.77.19.2/24")
    lab.link(server_ns, "10.77.18.1/24", office, "10.77.18.2/24")
    lab.drop_udp(hotel)
    lab.drop_udp(office)
    lab.drop_tcp_port(office, 3478)
    lab.run(office, "ip", "route", "add", "10.77.19.0/24", "via", "10.77.18.1")  # coturn's address
    cert, key = lab.certificate("10.77.19.1")
    lab.coturn(server_ns, "10.77.19.1", SECRET, tls=(cert, key))
    # the relay over UDP comes first, as operators list it: the blocked clients find it dead and
    # go over TCP or TLS; Ada could use any but goes straight
    server = lab.parley_server(server_ns, "10.77.19.1", "--host", "0.0.0.0",
                               "--public-host", "10.77.19.1:8750",
                               "--ice-address", "10.77.19.1",
                               "--turn-server", "turn:10.77.19.1:3478",
                               "--turn-server", "turn:10.77.19.1:3478?transport=tcp",
                               "--turn-server", "turns:10.77.19.1:5349?transport=tcp",
                               "--turn-secret", SECRET)
    meeting = server.meeting()
    options = ("--duration", str(STAY), "--size", "320x180", "--fps", "15")
    bots = [
        lab.bot(server_ns, "Ada", server.join_url(meeting, "Ada"), *options),
        lab.bot(hotel, "Grace", server.join_url(meeting, "Grace"), *options),
        # Linus trusts the relay's self-signed certificate, as a client trusts a real one
        lab.bot(office, "Linus", server.join_url(meeting, "Linus").replace("10.77.19.1", "10.77.18.1"),
                *options, env={"SSL_CERT_FILE": str(cert)}),
    ]
    reports = [report(bot, 60) for bot in bots]

    for me in reports:
        assert "error" not in me and me["end_reason"] == "left" and me["reconnects"] == 0, me
        for other in reports:
            if other is not me:  # pictures and sound from everyone else
                assert me["frames_received"].get(other["attendee_id"], 0) > 10, me["frames_received"]
                assert me["audio_frames_received"].get(other["attendee_id"], 0) > 50, me["audio_frames_received"]
    # and coturn really carried them: it gave allocations to Grace and Linus, over TCP and TLS
    log = (lab.tmp / "turnserver.log").read_text(errors="replace")
    ada, grace, linus = reports
    allocated = [line for line in log.splitlines() if "ALLOCATE processed, success" in line]
    assert any(f":{grace['attendee_id']}>" in line for line in allocated), allocated
    assert any(f":{linus['attendee_id']}>" in line for line in allocated), allocated
    assert "local 10.77.19.1:5349, remote 10.77.18.2" in log  # Linus came over TLS


def test_without_turn_a_blocked_client_is_told_its_network_blocks_calls(lab: Lab) -> None:
    """No TURN server, UDP dropped: the client gets in (signalling is TCP) but no media
    connection ever connects. It tries a bounded number of times, then ends with
    ``media_blocked`` (which the app says in words); meanwhile the server shows everyone that
    person as connecting, not as a participant with full signal bars."""
    server_ns = lab.namespace("s")
    hotel = lab.namespace("h")
    lab.link(server_ns, "10.77.19.1/24", hotel, "10.77.19.2/24")
    lab.drop_udp(hotel)
    server = lab.parley_server(server_ns, "10.77.19.1", "--ice-address", "10.77.19.1")
    meeting = server.meeting()
    options = ("--size", "160x90", "--fps", "10")
    office = lab.bot(server_ns, "Ada", server.join_url(meeting, "Ada"), "--duration", "60", *options)
    blocked = lab.bot(hotel, "Grace", server.join_url(meeting, "Grace"), "--duration", "60",
                      "--media-timeout", "2", *options)
    seen: dict[str, set[bool]] = {}
    while blocked.poll() is None:
        for person in server.call("GET", f"/v1/meetings/{meeting}")["meeting"]["session"]["participants"]:
            seen.setdefault(person["name"], set()).add(person["connecting"])
    grace = report(blocked, 10)
    office.terminate()
    ada = report(office, 30)

    assert grace["end_reason"] == "media_blocked", grace
    # what the app then says, in words, with what to try
    assert describe(grace["end_reason"]).startswith("Your network seems to block calls")
    assert "Try another network" in describe(grace["end_reason"])
    assert grace["reconnects"] <= 2 and grace["frames_received"] == {}
    assert True in seen["Grace"], seen  # everyone was shown Grace as connecting
    assert seen["Ada"] >= {False}, seen  # Ada's own media connected
    assert ada["end_reason"] == "left"
    assert grace["attendee_id"] not in {p["attendee_id"] for p in ada["roster"]}  # she left at once
