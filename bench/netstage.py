"""The userspace delay/loss stage of the network bench: what ``sch_netem`` would do, which this
kernel lacks.

A link runs through one TUN device in the bench's router namespace (``linklab.py`` routes the
participant's traffic, both ways, into it). The stage reads each IP packet from the device,
drops a share of them at random, holds the rest for the link's delay (with jitter) and writes
them back into the same device, where the kernel routes them on (to the participant, through
its ``tbf`` rate cap, or to the server). Packets of one direction leave in the order they came,
as on a real path; jitter is a delay offset redrawn every ``JITTER_PERIOD`` (so packets bunch
when it falls, as a queue draining would) rather than an independent draw per packet, which
would either reorder packets or, kept in order, turn into a fixed extra delay.

It also counts what it sees, per link and direction: packets and bytes offered, packets it
dropped, RTP packets, and retransmissions among them. The RTP header travels in the clear in
SRTP, so a retransmission is recognised without keys: the same SSRC and sequence number seen
again (the server resends a lost packet as it was), or a packet of an RTX payload type (what a
publisher's aiortc sends; the bench passes the type in).

The pure parts (``Impairment``, ``DelayLine``, ``RtpCounter``, ``rtp_header``) take an injected
clock and random generator and are unit-tested; ``run`` is the loop over real TUN devices::

    python bench/netstage.py --config LINKS.json --stats STATS.json [--seed N]

It runs until SIGTERM/SIGINT and rewrites ``--stats`` (atomically) every half second and at exit.
"""

from __future__ import annotations

import argparse
import fcntl
import ipaddress
import json
import os
import random
import select
import signal
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

__all__ = [
    "DelayLine", "Direction", "Impairment", "Link", "LinkConfig", "RtpCounter", "open_tun",
    "rtp_header", "run",
]

JITTER_PERIOD = 0.020  # seconds a jitter offset holds before the next is drawn
SEQ_WINDOW = 4096  # sequence numbers remembered per SSRC to recognise a packet sent again
STATS_EVERY = 0.5  # seconds between stats files

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


@dataclass(frozen=True)
class Impairment:
    """What one direction of a link does to packets: a one-way delay, a jitter (the delay
    varies by up to ± this much), a share of packets lost at random (0..1)."""

    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    loss: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.jitter_ms <= self.delay_ms <= 10_000:
            raise ValueError(f"delay {self.delay_ms} ms with jitter {self.jitter_ms} ms: need "
                             "0 <= jitter <= delay <= 10000")
        if not 0 <= self.loss < 1:
            raise ValueError(f"loss must be in [0, 1), got {self.loss}")


@dataclass
class Direction:
    """Counters of one direction of one link."""

    packets: int = 0  # offered to the stage
    bytes: int = 0
    lost: int = 0  # dropped by the stage (random loss)
    sent: int = 0  # written on
    write_errors: int = 0
    rtp: int = 0
    rtp_bytes: int = 0
    retransmitted: int = 0  # RTP packets sent again (same SSRC and sequence number, or RTX)
    retransmitted_bytes: int = 0


def rtp_header(packet: bytes) -> tuple[int, int, int] | None:
    """(payload type, sequence number, SSRC) of an RTP packet in an IPv4/UDP ``packet``, or None
    (not IPv4/UDP, or not RTP: STUN, DTLS and RTCP share the port and are told apart by their
    first bytes, RFC 7983 and 5761)."""
    if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != 17:
        return None
    ihl = (packet[0] & 0x0F) * 4
    rtp = ihl + 8
    if len(packet) < rtp + 12:
        return None
    first, second = packet[rtp], packet[rtp + 1]
    if not 128 <= first <= 191 or 192 <= second <= 223:  # not version 2, or RTCP
        return None
    seq, = struct.unpack_from("!H", packet, rtp + 2)
    ssrc, = struct.unpack_from("!I", packet, rtp + 8)
    return second & 0x7F, seq, ssrc


class RtpCounter:
    """Recognises RTP packets sent again: an SSRC and sequence number seen before (within the
    last ``SEQ_WINDOW`` of that SSRC), or a payload type in ``rtx_types``."""

    def __init__(self, rtx_types: Iterable[int] = ()) -> None:
        self.rtx_types = frozenset(rtx_types)
        self._seen: dict[int, tuple[set[int], deque[int]]] = {}

    def is_retransmission(self, payload_type: int, seq: int, ssrc: int) -> bool:
        if payload_type in self.rtx_types:
            return True
        entry = self._seen.get(ssrc)
        if entry is None:
            entry = self._seen[ssrc] = (set(), deque())
        seen, order = entry
        if seq in seen:
            return True
        seen.add(seq)
        order.append(seq)
        if len(order) > SEQ_WINDOW:
            seen.discard(order.popleft())
        return False


class DelayLine:
    """One direction of one link: loss, then a delay that keeps the packets' order.

    ``push(packet, now)`` takes a packet (False: lost); ``pop_due(now)`` gives back, in order,
    every packet whose time has come; ``next_due()`` is when the next one will be."""

    def __init__(self, impairment: Impairment, rng: random.Random) -> None:
        self.impairment = impairment
        self._rng = rng
        self._queue: deque[tuple[float, bytes]] = deque()
        self._last_due = float("-inf")
        self._offset = 0.0
        self._offset_until = float("-inf")

    def _delay(self, now: float) -> float:
        imp = self.impairment
        if imp.jitter_ms and now >= self._offset_until:
            self._offset = self._rng.uniform(-imp.jitter_ms, imp.jitter_ms) / 1000.0
            self._offset_until = now + JITTER_PERIOD
        return imp.delay_ms / 1000.0 + (self._offset if imp.jitter_ms else 0.0)

    def push(self, packet: bytes, now: float) -> bool:
        if self.impairment.loss and self._rng.random() < self.impairment.loss:
            return False
        due = max(now + self._delay(now), self._last_due)
        self._last_due = due
        self._queue.append((due, packet))
        return True

    def next_due(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def pop_due(self, now: float) -> list[bytes]:
        out = []
        queue = self._queue
        while queue and queue[0][0] <= now:
            out.append(queue.popleft()[1])
        return out

    def __len__(self) -> int:
        return len(self._queue)


@dataclass(frozen=True)
class LinkConfig:
    """One participant's link through the stage: its TUN device, its subnet (a packet to it is
    going down the link, anything else up), and what each direction does."""

    device: str
    subnet: str
    down: Impairment = Impairment()
    up: Impairment = Impairment()
    rtx_types: tuple[int, ...] = ()

    @classmethod
    def from_json(cls, data: dict) -> "LinkConfig":
        return cls(data["device"], data["subnet"], Impairment(**data.get("down", {})),
                   Impairment(**data.get("up", {})), tuple(data.get("rtx_types", ())))

    def to_json(self) -> dict:
        return {"device": self.device, "subnet": self.subnet, "down": asdict(self.down),
                "up": asdict(self.up), "rtx_types": list(self.rtx_types)}


@dataclass
class Link:
    """A link's two delay lines and counters (no device: ``run`` owns those)."""

    config: LinkConfig
    rng: random.Random
    down: Direction = field(default_factory=Direction)
    up: Direction = field(default_factory=Direction)

    def __post_init__(self) -> None:
        network = ipaddress.ip_network(self.config.subnet)
        self._net, self._mask = int(network.network_address), int(network.netmask)
        self.lines = {"down": DelayLine(self.config.down, self.rng), "up": DelayLine(self.config.up, self.rng)}
        self._rtp = {"down": RtpCounter(self.config.rtx_types), "up": RtpCounter(self.config.rtx_types)}

    def direction_of(self, packet: bytes) -> str:
        if len(packet) >= 20 and packet[0] >> 4 == 4:
            dst, = struct.unpack_from("!I", packet, 16)
            if dst & self._mask == self._net:
                return "down"
        return "up"

    def receive(self, packet: bytes, now: float) -> None:
        way = self.direction_of(packet)
        counts = self.down if way == "down" else self.up
        counts.packets += 1
        counts.bytes += len(packet)
        header = rtp_header(packet)
        if header is not None:
            counts.rtp += 1
            counts.rtp_bytes += len(packet)
            if self._rtp[way].is_retransmission(*header):
                counts.retransmitted += 1
                counts.retransmitted_bytes += len(packet)
        if not self.lines[way].push(packet, now):
            counts.lost += 1

    def next_due(self) -> float | None:
        dues = [d for d in (self.lines["down"].next_due(), self.lines["up"].next_due()) if d is not None]
        return min(dues) if dues else None

    def due(self, now: float) -> list[tuple[str, bytes]]:
        return [(way, p) for way in ("down", "up") for p in self.lines[way].pop_due(now)]

    def stats(self) -> dict:
        return {"down": asdict(self.down), "up": asdict(self.up),
                "queued": {"down": len(self.lines["down"]), "up": len(self.lines["up"])}}


def open_tun(name: str) -> int:
    """A non-blocking file descriptor on the TUN device ``name`` (created beforehand by
    ``ip tuntap add``, in this process's network namespace), without packet information."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    except OSError:
        os.close(fd)
        raise
    return fd


def _write_stats(path: str, links: dict[int, Link], started: float, now: float) -> None:
    data = {"seconds": round(now - started, 3),
            "links": {link.config.device: link.stats() for link in links.values()}}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def run(configs: list[LinkConfig], stats_path: str, seed: int | None = None,
        clock: Callable[[], float] = time.monotonic, stop: Callable[[], bool] = lambda: False) -> None:
    """Move packets through every link until ``stop()`` (checked at least twice a second)."""
    rng = random.Random(seed)
    links: dict[int, Link] = {}
    try:
        for config in configs:
            links[open_tun(config.device)] = Link(config, rng)
        poller = select.epoll()
        for fd in links:
            poller.register(fd, select.EPOLLIN)
        started = next_stats = clock()
        while not stop():
            now = clock()
            dues = [d for d in (link.next_due() for link in links.values()) if d is not None]
            timeout = min([STATS_EVERY] + [max(0.0, d - now) for d in dues])
            try:
                events = poller.poll(timeout)
            except InterruptedError:
                continue
            now = clock()
            for fd, _ in events:
                link = links[fd]
                for _ in range(256):  # a bounded batch, so one busy link cannot starve the rest
                    try:
                        packet = os.read(fd, 65535)
                    except BlockingIOError:
                        break
                    link.receive(packet, now)
            now = clock()
            for fd, link in links.items():
                for way, packet in link.due(now):
                    counts = link.down if way == "down" else link.up
                    try:
                        os.write(fd, packet)
                        counts.sent += 1
                    except OSError:
                        counts.write_errors += 1
            if now >= next_stats:
                _write_stats(stats_path, links, started, now)
                next_stats = now + STATS_EVERY
        _write_stats(stats_path, links, started, clock())
    finally:
        for fd in links:
            os.close(fd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The network bench's userspace delay/loss stage.")
    parser.add_argument("--config", required=True, help="JSON: a list of links (LinkConfig.to_json)")
    parser.add_argument("--stats", required=True, help="where to write the counters (JSON)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--realtime", action="store_true",
                        help="run under SCHED_FIFO: the stage plays the network, which a busy "
                             "machine's other processes must not slow down (it sleeps in epoll "
                             "between packets, so it takes only what the packets need)")
    args = parser.parse_args(argv)
    if args.realtime:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    with open(args.config) as f:
        configs = [LinkConfig.from_json(item) for item in json.load(f)]
    stopping = False

    def on_signal(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    run(configs, args.stats, args.seed, stop=lambda: stopping)
    return 0


if __name__ == "__main__":
    sys.exit(main())
