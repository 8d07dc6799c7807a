"""A client on a network that drops UDP (a hotel, many offices) reaches a meeting through coturn
over TCP, and media flows both ways; a client on an open network beside it goes straight.

Everything runs in network namespaces this test makes and removes (tests/netlab.py): the
server's (parley-server and coturn on 10.77.19.1) and the blocked client's (10.77.19.2, every
UDP packet in or out dropped by iptables).
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


def test_a_client_whose_udp_is_dropped_joins_through_turn_over_tcp(lab: Lab) -> None:
    server_ns = lab.namespace("s")
    hotel = lab.namespace("h")
    lab.link(server_ns, "10.77.19.1/24", hotel, "10.77.19.2/24")
    lab.drop_udp(hotel)
    lab.coturn(server_ns, "10.77.19.1", SECRET)
    # the relay over UDP comes first, as operators list it: the blocked client finds it dead and
    # goes over TCP, the open one could use either but goes straight
    server = lab.parley_server(server_ns, "10.77.19.1", "--ice-address", "10.77.19.1",
                               "--turn-server", "turn:10.77.19.1:3478",
                               "--turn-server", "turn:10.77.19.1:3478?transport=tcp",
                               "--turn-secret", SECRET)
    meeting = server.meeting()
    options = ("--duration", str(STAY), "--size", "320x180", "--fps", "15")
    office = lab.bot(server_ns, "Ada", server.join_url(meeting, "Ada"), *options)
    blocked = lab.bot(hotel, "Grace", server.join_url(meeting, "Grace"), *options)
    ada, grace = report(office, 60), report(blocked, 60)

    assert "error" not in grace and grace["end_reason"] == "left", grace
    assert "error" not in ada and ada["end_reason"] == "left", ada
    # pictures and sound both ways: Grace's through the relay, Ada's to Grace through it too
    assert grace["frames_received"].get(ada["attendee_id"], 0) > 10, grace["frames_received"]
    assert grace["audio_frames_received"].get(ada["attendee_id"], 0) > 50, grace["audio_frames_received"]
    assert ada["frames_received"].get(grace["attendee_id"], 0) > 10, ada["frames_received"]
    assert ada["audio_frames_received"].get(grace["attendee_id"], 0) > 50, ada["audio_frames_received"]
    assert grace["reconnects"] == 0 and ada["reconnects"] == 0
    # and coturn really carried it: it gave Grace allocations with her credentials
    log = (lab.tmp / "turnserver.log").read_text(errors="replace")
    assert f":{grace['attendee_id']}" in log and "ALLOCATE processed, success" in log


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
