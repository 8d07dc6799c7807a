"""The network bench's userspace delay/loss stage (bench/netstage.py): its queue logic on an
injected clock and random generator, how it reads RTP and retransmissions from IP packets (made
up here, with loopback addresses, and never sent), and (as root, in namespaces the test makes and
removes, with the bench's 10.77.x.x addresses inside them) real packets through its TUN device."""

from __future__ import annotations

import os
import random
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parent.parent / "bench"))  # bench/ modules import plainly
from netstage import DelayLine, Impairment, Link, LinkConfig, RtpCounter, rtp_header  # noqa: E402


def ipv4_udp(src: str, dst: str, payload: bytes) -> bytes:
    """An IPv4/UDP packet as a TUN device hands it over (checksums left at zero)."""
    udp = struct.pack("!HHHH", 5000, 6000, 8 + len(payload), 0) + payload
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + udp


def rtp(seq: int, ssrc: int = 0x1234, payload_type: int = 97, size: int = 100) -> bytes:
    return struct.pack("!BBHII", 0x80, payload_type, seq, seq * 3000, ssrc) + bytes(size)


# --- the delay line --------------------------------------------------------------------------


def test_loss_drops_the_share_asked_for_and_nothing_else() -> None:
    line = DelayLine(Impairment(loss=0.05), random.Random(1))
    kept = sum(line.push(b"x", now=i * 0.001) for i in range(20000))
    assert 0.04 < 1 - kept / 20000 < 0.06
    assert len(line) == kept  # everything not lost waits to leave


def test_every_packet_leaves_within_delay_plus_minus_jitter_and_in_order() -> None:
    line = DelayLine(Impairment(delay_ms=20, jitter_ms=5), random.Random(2))
    now, sent, out = 0.0, {}, []
    for seq in range(2000):
        now += 0.0007  # about 1400 packets a second, as 16 cameras would send
        packet = seq.to_bytes(4, "big")
        assert line.push(packet, now)
        sent[packet] = now
        out += [(p, now) for p in line.pop_due(now)]
    while line.next_due() is not None:  # drain on the injected clock
        now = line.next_due()
        out += [(p, now) for p in line.pop_due(now)]
    assert [int.from_bytes(p, "big") for p, _ in out] == list(range(2000))  # nothing reordered
    waits = [left - sent[p] for p, left in out]
    assert min(waits) >= 0.015 - 0.0007 and max(waits) <= 0.025 + 0.0007
    assert max(waits) - min(waits) > 0.005  # the delay does vary


def test_nothing_leaves_before_its_time() -> None:
    line = DelayLine(Impairment(delay_ms=30), random.Random(3))
    line.push(b"a", now=1.0)
    assert line.pop_due(1.029) == []
    assert line.next_due() == pytest.approx(1.030)
    assert line.pop_due(1.030) == [b"a"]


def test_impairments_out_of_range_are_refused() -> None:
    for bad in (dict(loss=1.0), dict(loss=-0.1), dict(delay_ms=5, jitter_ms=6), dict(delay_ms=-1)):
        with pytest.raises(ValueError):
            Impairment(**bad)


# --- reading packets -------------------------------------------------------------------------


def test_rtp_is_told_from_stun_dtls_and_rtcp() -> None:
    assert rtp_header(ipv4_udp("127.0.0.2", "127.1.0.2", rtp(7, 99, 111))) == (111, 7, 99)
    stun = b"\x00\x01\x00\x00" + bytes(16)
    dtls = b"\x16\xfe\xfd" + bytes(20)
    rtcp = struct.pack("!BBHI", 0x81, 201, 7, 99) + bytes(24)
    for payload in (stun, dtls, rtcp):
        assert rtp_header(ipv4_udp("127.0.0.2", "127.1.0.2", payload)) is None
    assert rtp_header(b"\x60" + bytes(60)) is None  # IPv6: not ours


def test_a_packet_sent_again_or_over_rtx_is_a_retransmission() -> None:
    counter = RtpCounter(rtx_types=(98,))
    assert not counter.is_retransmission(97, 1, 5)
    assert not counter.is_retransmission(97, 2, 5)
    assert counter.is_retransmission(97, 1, 5)  # the server resends a packet as it was
    assert not counter.is_retransmission(97, 1, 6)  # another stream's number 1
    assert counter.is_retransmission(98, 40, 7)  # a publisher's RTX


def test_a_link_counts_each_direction_and_what_it_dropped() -> None:
    link = Link(LinkConfig("t1", "127.1.0.0/24", down=Impairment(loss=0.5)), random.Random(4))
    for seq in range(1000):
        link.receive(ipv4_udp("127.0.0.2", "127.1.0.2", rtp(seq)), now=0.0)
    for seq in range(100):  # the server sends the first hundred again
        link.receive(ipv4_udp("127.0.0.2", "127.1.0.2", rtp(seq)), now=0.0)
    for seq in range(10):
        link.receive(ipv4_udp("127.1.0.2", "127.0.0.2", rtp(seq, ssrc=9)), now=0.0)
    stats = link.stats()
    assert stats["down"]["packets"] == 1100 and stats["down"]["retransmitted"] == 100
    assert stats["up"]["packets"] == 10 and stats["up"]["lost"] == 0
    assert 450 < stats["down"]["lost"] < 650
    assert stats["queued"] == {"down": 1100 - stats["down"]["lost"], "up": 10}
    assert len(link.due(0.0)) == 1110 - stats["down"]["lost"]


# --- real packets, in namespaces this test makes -----------------------------------------------


def _lab_unavailable() -> str | None:
    from linklab import check_environment

    return check_environment()


@pytest.mark.skipif(sys.platform != "linux", reason="network namespaces are Linux's")
def test_udp_through_the_stage_both_ways_in_namespaces(tmp_path: Path) -> None:
    why = _lab_unavailable()
    if why is not None:
        pytest.skip(f"network lab unavailable: {why}")
    from linklab import Lab, Shape

    lab = Lab(tmp_path)
    try:
        lab.build()
        lossy = Impairment(delay_ms=5, jitter_ms=1, loss=0.2)
        ns, address = lab.add_participant(1, Shape(down=lossy, up=Impairment(delay_ms=5)))
        lab.start_stage(seed=5)
        # an echo on the server side; 300 datagrams from the participant, each echoed once
        echo = lab.spawn(lab.server, "echo", [sys.executable, "-c", (
            "import socket\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.77.0.2', 7000))\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    data, peer = s.recvfrom(2000); s.sendto(data, peer)\n")], stdout=subprocess.PIPE)
        assert echo.stdout.readline() == b"ready\n"  # bound before anything is sent
        client = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", (
            "import socket, time\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('%s', 0))\n"
            "got = set()\n"
            "def drain():\n"
            "    try:\n"
            "        while True: got.add(int.from_bytes(s.recv(2000, socket.MSG_DONTWAIT)[:4], 'big'))\n"
            "    except BlockingIOError: pass\n"
            "for i in range(300):\n"
            "    s.sendto(i.to_bytes(4, 'big') + bytes(200), ('10.77.0.2', 7000)); time.sleep(0.002); drain()\n"
            "s.settimeout(2)\n"
            "try:\n"
            "    while True: got.add(int.from_bytes(s.recv(2000)[:4], 'big'))\n"
            "except socket.timeout: pass\n"
            "print(len(got))\n") % address], capture_output=True, text=True, timeout=60)
        assert echo.poll() is None, "the echo died"
        echoed = int(client.stdout.strip())
        deadline = time.monotonic() + 5
        while (stats := lab.stage_stats()["links"]["t1"])["down"]["sent"] < echoed and time.monotonic() < deadline:
            time.sleep(0.1)  # its counters are written every half second
        assert stats["up"]["packets"] == 300 and stats["up"]["lost"] == 0  # all went up through it
        assert stats["down"]["packets"] == 300  # every echo came back down through it
        assert stats["down"]["sent"] == echoed == 300 - stats["down"]["lost"]
        assert 30 < stats["down"]["lost"] < 90  # 20 % of 300
    finally:
        lab.close()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert lab.tag not in listed  # its namespaces (and their devices) are gone


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="network namespaces are Linux's")
def test_a_short_shaped_meeting_through_the_namespaces(tmp_path: Path) -> None:
    """Two real bots, each in its own namespace behind the stage (one link losing 5 % each
    way), with the server in a third: each sees the other's camera and voice, the stage carried
    their RTP both ways and dropped some on the lossy link, and nothing is left afterwards."""
    why = _lab_unavailable()
    if why is not None:
        pytest.skip(f"network lab unavailable: {why}")
    import argparse

    from network import Scenario, figures, run_scenario

    args = argparse.Namespace(duration=12.0, measure_after=4.0, delay_ms=10.0, jitter_ms=2.0,
                              queue_ms=200.0, seed=3, tile=None, quiet_crowd=False)
    run = run_scenario(Scenario("test", cameras=2, loss=0.05), args, tmp_path)
    for who, other in (("constrained", "control"), ("control", "constrained")):
        report = run["reports"][who]
        assert report is not None and report["end_reason"] == "left", who
        seen = report["remotes"][run["ids"][other]]
        assert seen["video"]["frames"] > 0 and seen["audio"]["packets"] > 0, who
        assert seen["video"]["layer"] in ("high", "low"), who  # the server said which layer it sends
        row = figures(run, who, other)
        assert row["down"]["kbps"] > 0 and row["up"]["kbps"] > 0, who  # both ways through the stage
    stage = run["last"]["stage"]
    assert stage["t1"]["down"]["lost"] > 0 and stage["t1"]["up"]["lost"] > 0  # the lossy link
    assert stage["t2"]["down"]["lost"] == 0 and stage["t2"]["up"]["lost"] == 0  # the control's
    assert stage["t1"]["down"]["rtp"] > 0 and stage["t2"]["up"]["rtp"] > 0
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert f"pnetbench{os.getpid()}-" not in listed  # the run's namespaces, devices and all, are gone


@pytest.mark.skipif(sys.platform != "linux", reason="network namespaces are Linux's")
def test_what_a_killed_run_left_is_swept_away() -> None:
    why = _lab_unavailable()
    if why is not None:
        pytest.skip(f"network lab unavailable: {why}")
    from linklab import PREFIX, sweep_stale

    dead = subprocess.Popen(["true"])
    dead.wait()  # a PID that ran a lab and is gone
    name = f"{PREFIX}{dead.pid}-r"
    subprocess.run(["ip", "netns", "add", name], check=True)
    left = subprocess.Popen(["ip", "netns", "exec", name, "sleep", "60"])
    try:
        deadline = time.monotonic() + 10
        while not subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.strip():
            assert time.monotonic() < deadline, "the process never entered the namespace"
            time.sleep(0.05)
        assert name in sweep_stale()
        assert left.wait(timeout=10) == -9  # what ran inside was killed
        assert name not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    finally:
        if left.poll() is None:
            left.kill()
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
