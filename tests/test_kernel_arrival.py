"""The receive-side bandwidth estimate takes arrival times from the kernel (rtcseam.arrival).

A busy computer's event loop reads datagrams late; with aiortc's own arrival times (taken when
the loop gets round to a datagram) that lateness reads as a queue on the link, and the estimate
(the REMB the server reads as this app's downlink) falls on a perfectly good link. With the
kernel's receive times it holds; a real queue on the link still cuts it.
"""

from __future__ import annotations

import asyncio
import datetime
import socket
from collections.abc import Callable

import pytest
from aiortc import clock

from rtcseam import arrival
from tests.busy_link import SPELLS, Receiver, Sample, connect, narrow, steady_sender

BITRATE = 1_000_000

needs_kernel_times = pytest.mark.skipif(not arrival.available(), reason="no SO_TIMESTAMPNS here")


class Collect(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr) -> None:  # noqa: ANN001
        self.received.put_nowait(data)


async def one_datagram(stamped: bool) -> bytes:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Collect, local_addr=("127.0.0.1", 0))
    try:
        assert arrival.stamp_transport(transport) is stamped
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            out.sendto(b"\x90hello", transport.get_extra_info("sockname"))
        return await asyncio.wait_for(protocol.received.get(), 5)
    finally:
        transport.close()


@needs_kernel_times
async def test_a_datagram_says_when_the_kernel_received_it_on_aiortcs_clock(monkeypatch) -> None:
    data = await one_datagram(stamped=True)
    assert data == b"\x90hello" and isinstance(data, arrival.Datagram)
    # the same instant on aiortc's arrival clock (ms since 1900, from the wall clock)
    instant = datetime.datetime.fromtimestamp(data.arrival_ns // 1000 / 1e6, datetime.timezone.utc)
    monkeypatch.setattr(clock, "current_datetime", lambda: instant)
    assert arrival.aiortc_ms(data) == clock.current_ms()
    assert arrival.aiortc_ms(b"plain") is None


async def test_without_the_socket_option_datagrams_come_as_before(monkeypatch) -> None:
    monkeypatch.setattr(arrival._Choice, "found", True)
    monkeypatch.setattr(arrival._Choice, "option", None)
    data = await one_datagram(stamped=False)
    assert data == b"\x90hello" and type(data) is bytes and arrival.aiortc_ms(data) is None


def cuts(values: list[int | None]) -> int:
    """How often an estimate fell: aiortc's only lowers it on overuse (a queue read on the link)."""
    values = [v for v in values if v is not None]
    return sum(b < a for a, b in zip(values, values[1:]))


class FakeTransceiver:
    """What use_kernel_arrival_times reaches: transceiver.receiver.transport (a DTLS transport)
    whose .transport (ICE) has _recv, and its _handle_rtp_data."""

    def __init__(self, datagrams: list[bytes]) -> None:
        self.handled: list[int] = []
        queue = list(datagrams)

        async def recv() -> bytes:
            return queue.pop(0)

        async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
            self.handled.append(arrival_time_ms)

        ice = type("Ice", (), {"_recv": staticmethod(recv)})()
        dtls = type("Dtls", (), {"transport": ice, "_handle_rtp_data": staticmethod(handle_rtp_data)})()
        self.receiver = type("Receiver", (), {"transport": dtls})()
        self.dtls = dtls

    def getTransceivers(self) -> list:  # noqa: N802 - aiortc's name
        return [self]


def stamped(data: bytes, arrival_ns: int) -> arrival.Datagram:
    datagram = arrival.Datagram(data)
    datagram.arrival_ns = arrival_ns
    return datagram


async def test_the_reading_task_hands_on_the_kernel_time_once_and_only_for_rtp() -> None:
    rtp, rtcp = b"\x90\x60" + bytes(10), b"\x80\xc8" + bytes(10)
    pc = FakeTransceiver([stamped(rtp, 5_000_000), stamped(rtcp, 6_000_000), stamped(rtp, 7_000_000)])
    count = arrival.use_kernel_arrival_times(pc)
    assert arrival.use_kernel_arrival_times(pc) is count  # once per transport
    dtls = pc.dtls

    async def reading_task() -> None:  # what aiortc's RTCDtlsTransport._recv_next does
        await dtls.transport._recv()
        await dtls._handle_rtp_data(b"rtp", arrival_time_ms=111)  # 5 ms after 1970 on aiortc's clock
        await dtls._handle_rtp_data(b"rtp", arrival_time_ms=222)  # no second use of it
        await dtls.transport._recv()  # SRTCP: its time is not for the next RTP
        await dtls.transport._recv()

    await asyncio.ensure_future(reading_task())
    # a receive path of one's own, outside the reading task, keeps its own time
    await dtls._handle_rtp_data(b"rtp", arrival_time_ms=333)
    assert pc.handled == [arrival.NTP_OFFSET_MS + 5, 222, 333]
    assert (count.kernel, count.loop) == (1, 2)


async def run_link(receiver: Receiver, until: Callable[[list[Sample]], bool], seconds: float,
                   bottleneck: int = 0, narrow_when: Callable[[list[Sample]], bool] | None = None) -> float | None:
    """Steady video to ``receiver`` until ``until(samples)``, for at most ``seconds`` of samples;
    through a ``bottleneck`` (bit/s) from when ``narrow_when(samples)``: returns when that was
    (the samples' clock)."""
    sender = await steady_sender(BITRATE)
    try:
        await connect(sender, receiver)
        narrowed: float | None = None
        for _ in range(int(seconds * 10) + 200):  # bounded: the samples' clock, not this loop's
            samples = list(receiver.samples)
            if bottleneck and narrowed is None and narrow_when is not None and narrow_when(samples):
                narrow(sender, bottleneck)
                narrowed = samples[-1].at
            elif samples and (samples[-1].at >= seconds or until(samples)):
                break
            await asyncio.sleep(0.1)
        assert receiver.samples, "media never flowed"
    finally:
        await receiver.close()
        await sender.close()
    return narrowed


@needs_kernel_times
async def test_a_busy_computer_is_not_a_queue_on_the_link() -> None:
    receiver = Receiver(kernel_times=True, busy=SPELLS)
    # until the loop's times have been read as a queue twice (a spell every 2 s; often not each)
    await run_link(receiver, lambda samples: cuts([s.loop_times for s in samples]) >= 2, seconds=25)
    assert receiver.arrivals is not None and receiver.arrivals.kernel > 500 and receiver.arrivals.loop == 0
    estimates = [s.aiortc for s in receiver.samples if s.aiortc is not None]
    loop_times = [s.loop_times for s in receiver.samples if s.loop_times is not None]
    assert estimates and loop_times
    # with the kernel's times the link is never read as congested, and the estimate grows past
    # what it carries (aiortc allows up to 1.5 times that)
    assert cuts(estimates) == 0, estimates
    assert estimates[-1] > BITRATE, estimates
    # the very same packets with the loop's times (aiortc's own, before) read as a queue: cut
    # to 0.85 of what arrives, again and again
    assert cuts(loop_times) >= 2 and min(loop_times) < 0.9 * BITRATE, loop_times


@needs_kernel_times
async def test_a_real_queue_on_the_link_still_cuts_the_estimate() -> None:
    receiver = Receiver(kernel_times=True, busy=SPELLS)
    # once the link has been read as what it is, a 600 kbit/s bottleneck under the 1 Mbit/s
    narrowed = await run_link(receiver, lambda samples: any(s.aiortc and s.aiortc < 600_000 for s in samples),
                              seconds=20, bottleneck=600_000,
                              narrow_when=lambda samples: any(s.aiortc and s.aiortc > BITRATE for s in samples))
    assert narrowed is not None and receiver.arrivals is not None and receiver.arrivals.loop == 0
    before = [s.aiortc for s in receiver.samples if s.aiortc is not None and s.at <= narrowed]
    after = [s.aiortc for s in receiver.samples if s.aiortc is not None and s.at > narrowed]
    assert before and max(before) > BITRATE and cuts(before) == 0, before
    # the queue that builds at the bottleneck reaches the socket late: overuse, cut under it
    assert after and min(after) < 600_000, after
