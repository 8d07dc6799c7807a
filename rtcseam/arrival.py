"""When each received datagram really arrived: the kernel's receive time, not the event loop's.

aiortc's receive-side bandwidth estimator (abs-send-time, ``RemoteBitrateEstimator``: the REMB
a receiver sends, and what the Parley server reads as that receiver's downlink) compares when
each packet was sent with when it arrived, and reads a growing difference as a queue building
up on the link: overuse, and the estimate is cut to 0.85 of what arrives. aiortc takes the
arrival time (``clock.current_ms()``) when its reading task gets round to the datagram, after
aioice's queue: on a busy computer the event loop runs late (tens of ms, now and then), the
datagrams wait in the socket meanwhile, and that wait reads as a queue on a perfectly good link
(a loopback link read as 434 kbit/s, docs/screenshot-connection.png).

So the receiving app asks the kernel: with ``SO_TIMESTAMPNS`` on a socket, Linux notes when
each datagram reached the socket (CLOCK_REALTIME, in the network stack's receive path,
whatever the process is doing) and hands it over with the datagram (``recvmsg``'s ancillary
data). libwebrtc does the same on Linux (``SO_TIMESTAMP`` in its PhysicalSocket). The link's
own queue still shows: a datagram that waited at a bottleneck reaches the socket late.

- ``stamp_transport(transport)``: an asyncio datagram transport's socket (aioice's host
  candidates, ``rtcseam.ice.gathering(..., kernel_arrival_times=True)``) gets the option, and
  each datagram it yields is a :class:`Datagram` (``bytes`` with ``arrival_ns``). It flows
  unchanged through aioice (STUN parsing, its queue) to aiortc's DTLS transport.
- ``use_kernel_arrival_times(pc)``: that DTLS transport's RTP then reaches the receivers (their
  estimators) with the datagram's kernel time on aiortc's clock (ms since 1900, from
  CLOCK_REALTIME: the same clock, the NTP epoch's offset added) instead of the loop's.
- ``aiortc_ms(data)``: that time for one datagram, for a receive path of one's own.

Where any of this is missing — ``PARLEY_ARRIVAL_TIMES=loop`` in the environment, not Linux, a kernel without the option, an event loop whose
datagram transport does not read through ``socket.recvfrom`` (the Windows proactor, uvloop), a
relayed (TURN) candidate — the datagram is plain ``bytes`` and aiortc's own time is used, as
before. A kernel time that is implausible (later than now, or a minute old) is not used either.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import socket
import struct
import sys
import time

from aiortc import RTCPeerConnection

logger = logging.getLogger(__name__)

#: ``PARLEY_ARRIVAL_TIMES=loop`` in the environment: no kernel times (the event loop's, as before).
OFF_SWITCH = "PARLEY_ARRIVAL_TIMES"
#: aiortc's clock (``aiortc.clock.current_ms``) counts ms since 1900-01-01; CLOCK_REALTIME since 1970.
NTP_OFFSET_MS = 2_208_988_800_000
#: A kernel time further back than this (ns) is not believed: the clock was stepped, or worse.
MAX_AGE_NS = 60_000_000_000
#: ... nor one more than this (ns) in the future.
MAX_AHEAD_NS = 5_000_000

#: Linux (the generic socket option numbers; alpha, mips, parisc and sparc number them otherwise):
#: SO_TIMESTAMPNS_NEW (5.1+: a 64-bit timespec on every architecture), SO_TIMESTAMPNS_OLD.
_GENERIC_MACHINES = ("x86_64", "amd64", "i386", "i486", "i586", "i686", "aarch64", "arm64",
                     "armv6l", "armv7l", "armv8l", "riscv64", "ppc64le", "ppc64", "s390x",
                     "loongarch64")
_OPTIONS = ((64, struct.Struct("=qq")), (35, struct.Struct("@ll")))
#: room for one timespec's control message
_ANCILLARY = socket.CMSG_SPACE(16) if hasattr(socket, "CMSG_SPACE") else 0


class Datagram(bytes):
    """A received datagram, and when the kernel received it (``arrival_ns``: CLOCK_REALTIME, ns
    since 1970, what ``time.time_ns()`` reads)."""

    arrival_ns: int


class _Choice:
    """The socket option this machine's kernel takes (found once, with a throwaway socket)."""

    found = False
    option: int | None = None
    layout: struct.Struct | None = None


def _option() -> tuple[int, struct.Struct] | None:
    if not _Choice.found:
        _Choice.found = True
        if os.environ.get(OFF_SWITCH) == "loop":
            pass
        elif sys.platform == "linux" and platform.machine().lower() in _GENERIC_MACHINES:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                for option, layout in _OPTIONS:
                    try:
                        probe.setsockopt(socket.SOL_SOCKET, option, 1)
                    except OSError:
                        continue
                    _Choice.option, _Choice.layout = option, layout
                    break
        if _Choice.option is None:
            logger.info("no kernel receive times here: arrival times are the event loop's")
    if _Choice.option is None or _Choice.layout is None:
        return None
    return _Choice.option, _Choice.layout


def available() -> bool:
    """Whether sockets here can say when each datagram arrived."""
    return _option() is not None


class _StampingSocket(socket.socket):
    """A UDP socket whose ``recvfrom`` (what asyncio's selector datagram transport calls, one
    datagram at a time) returns a :class:`Datagram` when the kernel said when it arrived."""

    __slots__ = ()

    def recvfrom(self, bufsize: int, flags: int = 0):  # type: ignore[override]
        data, ancillary, _flags, address = self.recvmsg(bufsize, _ANCILLARY, flags)
        option, layout = _Choice.option, _Choice.layout
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == option and layout is not None and len(payload) >= layout.size:
                seconds, nanoseconds = layout.unpack_from(payload)
                arrival_ns = seconds * 1_000_000_000 + nanoseconds
                age = time.time_ns() - arrival_ns
                if -MAX_AHEAD_NS <= age <= MAX_AGE_NS:
                    datagram = Datagram(data)
                    datagram.arrival_ns = arrival_ns
                    return datagram, address
        return data, address


def stamp_transport(transport) -> bool:  # noqa: ANN001 - an asyncio datagram transport
    """From now on the datagrams ``transport`` reads carry their kernel receive time (the
    protocol's ``datagram_received`` gets :class:`Datagram`). Whether that is in place."""
    sock = getattr(transport, "_sock", None)
    if type(sock) is _StampingSocket:
        return True
    if type(sock) is not socket.socket or sock.type != socket.SOCK_DGRAM:
        return False
    choice = _option()
    if choice is None:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, choice[0], 1)
    except OSError as exc:
        logger.info("no kernel receive times on %s: %s", sock, exc)
        return False
    sock.__class__ = _StampingSocket
    return True


def aiortc_ms(data: bytes) -> int | None:
    """When ``data`` arrived, on aiortc's arrival clock (``aiortc.clock.current_ms``: ms since
    1900, CLOCK_REALTIME); None when the kernel did not say."""
    arrival_ns = getattr(data, "arrival_ns", None)
    if arrival_ns is None:
        return None
    return arrival_ns // 1_000_000 + NTP_OFFSET_MS


def _dtls_transports(pc: RTCPeerConnection) -> list:
    found = {}
    for transceiver in pc.getTransceivers():
        dtls = transceiver.receiver.transport
        if dtls is not None:
            found[id(dtls)] = dtls
    return list(found.values())


class ArrivalCount:
    """How many RTP packets reached a connection's receivers with the kernel's time, and how
    many with the event loop's (no kernel time for them)."""

    def __init__(self) -> None:
        self.kernel = 0
        self.loop = 0


def use_kernel_arrival_times(pc: RTCPeerConnection) -> ArrivalCount:
    """From now on, RTP arriving on ``pc`` reaches its receivers (their bandwidth estimators)
    with the kernel's receive time of its datagram, when it has one (see
    :func:`stamp_transport`); otherwise with aiortc's own, as before. Call it once the remote
    description is set, and again after each one that may add a transport (idempotent).
    Returns the connection's counts of which time was used."""
    count = getattr(pc, "_parley_arrivals", None)
    if count is None:
        count = ArrivalCount()
        pc._parley_arrivals = count  # type: ignore[attr-defined]
    for dtls in _dtls_transports(pc):
        if getattr(dtls, "_parley_kernel_times", False):
            continue
        dtls._parley_kernel_times = True
        _hook(dtls, count)
    return count


def _hook(dtls, count: ArrivalCount) -> None:  # noqa: ANN001 - an RTCDtlsTransport
    # aiortc's reading task (RTCDtlsTransport._recv_next) awaits ``transport._recv()`` for one
    # datagram, then, with no await in between, unprotects it and hands it to
    # ``_handle_rtp_data(data, arrival_time_ms=clock.current_ms())``. The datagram's kernel
    # time is kept between the two and used once, by that same task: a call from elsewhere (a
    # receive path of one's own, such as the server's ``receive_directly``) keeps its own time.
    ice = dtls.transport
    recv = ice._recv
    handle = dtls._handle_rtp_data
    pending: list = [None, None]  # [kernel ms, the reading task]

    async def recv_stamped() -> bytes:
        data = await recv()
        # only for SRTP that is not SRTCP (aiortc.rtp.is_rtcp): what goes to _handle_rtp_data
        rtp = len(data) >= 2 and 127 < data[0] < 192 and not 192 <= data[1] <= 208
        pending[0] = aiortc_ms(data) if rtp else None
        pending[1] = asyncio.current_task()
        return data

    async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
        kernel_ms = pending[0]
        if kernel_ms is not None and pending[1] is asyncio.current_task():
            pending[0] = None
            count.kernel += 1
            arrival_time_ms = kernel_ms
        else:
            count.loop += 1
        await handle(data, arrival_time_ms=arrival_time_ms)

    ice._recv = recv_stamped
    dtls._handle_rtp_data = handle_rtp_data
