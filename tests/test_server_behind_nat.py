"""A meeting server on a cloud VM behind a 1:1 NAT (``--announced-address``): it binds its
private address and offers the public one in every candidate, and clients on the public side get
media. Given the public address as ``--ice-address`` instead (which no interface of the VM has),
it says so at start and exits.

The VM, the cloud's NAT router, a home router and the clients are network namespaces this test
makes and removes (tests/netlab.py)::

    server 10.77.20.2 ── cloud router (1:1 NAT 10.77.21.10 <-> 10.77.20.2) ── Ada 10.77.21.2
                                   └── 10.77.23.2 home router (masquerade) ── Grace 10.77.22.2

Grace is the case the announced address is for: her home router lets in only replies, and her
checks toward the private address go nowhere, so without the public address in the server's
candidates nothing connects. Ada, on a public address, would also connect through what the
server's own checks teach her (peer-reflexive candidates); she gets media either way.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.netlab import REPO, Lab, report, unavailable

pytestmark = pytest.mark.slow

PRIVATE, PUBLIC = "10.77.20.2", "10.77.21.10"


@pytest.fixture
def cloud(tmp_path):
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    lab = Lab(tmp_path)
    try:
        vm, router, internet = lab.namespace("v"), lab.namespace("r"), lab.namespace("i")
        home_router, home = lab.namespace("hr"), lab.namespace("h")
        lab.link(vm, f"{PRIVATE}/24", router, "10.77.20.1/24")
        _, public_side = lab.link(internet, "10.77.21.2/24", router, "10.77.21.1/24")
        outside, _ = lab.link(home_router, "10.77.23.2/24", router, "10.77.23.1/24")
        lab.link(home, "10.77.22.2/24", home_router, "10.77.22.1/24")
        for ns, via in ((vm, "10.77.20.1"), (internet, "10.77.21.1"), (home_router, "10.77.23.1"),
                        (home, "10.77.22.1")):
            lab.route(ns, via)
        lab.one_to_one_nat(router, PRIVATE, PUBLIC, public_side)
        lab.home_nat(home_router, outside)
        yield lab, vm, internet, home
    finally:
        lab.close()


def test_clients_at_home_and_on_a_public_address_get_media_from_a_server_behind_1_to_1_nat(cloud) -> None:
    lab, vm, internet, home = cloud
    server = lab.parley_server(vm, PRIVATE, "--ice-address", PRIVATE, "--announced-address", PUBLIC,
                               "--public-host", f"{PUBLIC}:8750")
    meeting = server.meeting()
    options = ("--duration", "7", "--size", "160x90", "--fps", "10")
    ada_url, grace_url = server.join_url(meeting, "Ada"), server.join_url(meeting, "Grace")
    assert ada_url.startswith(f"parley://{PUBLIC}:8750/")
    bots = [lab.bot(internet, "Ada", ada_url, *options), lab.bot(home, "Grace", grace_url, *options)]
    ada, grace = (report(bot, 60) for bot in bots)
    for me, other in ((ada, grace), (grace, ada)):
        assert me["end_reason"] == "left" and me["reconnects"] == 0, me
        assert me["frames_received"].get(other["attendee_id"], 0) > 5, me["frames_received"]
        assert me["audio_frames_received"].get(other["attendee_id"], 0) > 50, me["audio_frames_received"]


def test_a_server_given_an_address_it_cannot_bind_says_so_and_exits(cloud) -> None:
    lab, vm, _, _ = cloud
    done = subprocess.run(
        ["ip", "netns", "exec", vm, sys.executable, "-m", "server", "--host", PRIVATE,
         "--data-dir", str(lab.tmp / "data"), "--ice-address", PUBLIC],
        cwd=REPO, env={"PYTHONPATH": str(REPO), "PARLEY_API_KEY": "k", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"--ice-address {PUBLIC} is not an address of this machine" in lines[0]
    assert "--announced-address" in lines[0]
