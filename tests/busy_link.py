"""A real aiortc link on loopback whose receiver is on a busy computer, or behind a bottleneck.

For tests/test_kernel_arrival.py and bench/busy_receiver.py.

- The sender (:func:`steady_sender`, on the caller's event loop) sends one video section of
  pre-encoded "frames" of a fixed size at a fixed rate: a steady bit rate that no REMB moves
  (aiortc packs pre-encoded packets as they are), stamped with abs-send-time as aiortc does.
- The receiver (:class:`Receiver`) is an aiortc peer connection on an event loop of its own, in
  a thread of its own, as the app's is on a computer that is busy (:class:`Busy`): in spells the
  loop gets only a sliver of each 10 ms, and each packet costs it some time (a process short of
  CPU: its work takes longer than the packets' spacing, so they wait in the socket, and it
  catches up after the spell). ``time.sleep`` holds the loop and not the GIL, so the sender goes
  on. Its video goes to a tap that drops it (the app's own receive path takes it there too; no
  decoder), and its REMB goes back to the sender as usual. With ``kernel_times`` it is the app's
  receiving connection since rtcseam.arrival; without, aiortc's own arrival times as before.

  A loop that is only late now and then (held 30-80 ms every 100 ms, with cheap packets) is not
  enough to fool aiortc's estimator: what it then reads in one go arrives within a few ms, and
  the estimator takes such a burst as one group. What fools it is a backlog that builds over a
  spell, each packet read later than the one before (bench/busy_receiver.py shows both).
- Beside aiortc's own estimator, the receiver feeds a second one (the same class) with the event
  loop's time for each packet: what the estimate would be with today's arrival times, from the
  very same packets.
- :func:`narrow` puts a bottleneck in front of the sender's socket: datagrams leave at most at
  ``rate`` bit/s, the rest wait their turn (a router's queue: a real, growing delay).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription, clock
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rate import RemoteBitrateEstimator

from desktop.media import seam
from rtcseam.arrival import ArrivalCount, use_kernel_arrival_times
from rtcseam.ice import gathering

LOOPBACK = ("127.0.0.1",)
FPS = 30
SAMPLE_PERIOD = 0.25
PIECE = 0.01  # during a spell the loop is held for ``hold`` of each PIECE seconds


@dataclass(frozen=True)
class Busy:
    """How busy the receiver's computer is: every ``period`` seconds a spell of ``spell``
    seconds during which its loop is held ``hold`` of each 10 ms; each video packet costs the
    loop ``cost`` seconds; or, as ``blocks``, the loop is held between ``blocks[0]`` and
    ``blocks[1]`` seconds (drawn) every 0.1 s instead of spells."""

    period: float = 2.0
    spell: float = 0.6
    hold: float = 0.9
    cost: float = 0.001
    blocks: tuple[float, float] | None = None


#: spells of a starved loop (the busy computer of docs/screenshot-connection.png, as a model)
SPELLS = Busy()
#: a loop held 30-80 ms every 100 ms, packets cheap
BLOCKS = Busy(cost=0.0, blocks=(0.03, 0.08))
VIDEO_TIME_BASE = Fraction(1, 90000)


class SteadyVideo(MediaStreamTrack):
    """``bitrate`` bit/s of pre-encoded video, FPS frames a second, every frame the same size."""

    kind = "video"

    def __init__(self, bitrate: int) -> None:
        super().__init__()
        self.bitrate = bitrate
        self._payload = bytes(range(256)) * (bitrate // 8 // FPS // 256 + 1)
        self._payload = self._payload[: bitrate // 8 // FPS]
        self._frames = 0
        self._start: float | None = None

    async def recv(self) -> av.Packet:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        due = self._start + self._frames / FPS
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        packet = av.Packet(self._payload)
        packet.pts = packet.dts = self._frames * 90000 // FPS
        packet.time_base = VIDEO_TIME_BASE
        self._frames += 1
        return packet


@dataclass
class Sample:
    at: float  # seconds since the media started (the receiver's monotonic clock)
    aiortc: int | None  # aiortc's estimate (the REMB it sends), bit/s; None before its first
    loop_times: int | None  # the same estimator fed the loop's arrival times, bit/s


class Watch:
    """One aiortc video receiver's estimate (the last REMB value its estimator gave), and beside
    it the estimate of a second estimator of the same class fed the same packets with the event
    loop's time as each reaches the receiver (what aiortc took before rtcseam.arrival)."""

    def __init__(self, receiver) -> None:  # noqa: ANN001 - an RTCRtpReceiver
        self.aiortc: int | None = None
        self.loop_times: int | None = None
        self.packets = 0
        self.bytes = 0  # RTP payload and padding
        self.first: float | None = None  # time.monotonic() of the first packet
        self._shadow = RemoteBitrateEstimator()
        estimator = receiver._RTCRtpReceiver__remote_bitrate_estimator
        add, handle = estimator.add, receiver._handle_rtp_packet

        def add_noted(**kwargs):  # noqa: ANN003, ANN202 - aiortc's estimator's add
            remb = add(**kwargs)
            if remb is not None:
                self.aiortc = remb[0]
            return remb

        async def handle_rtp_packet(packet, arrival_time_ms: int) -> None:  # noqa: ANN001
            if self.first is None:
                self.first = time.monotonic()
            self.packets += 1
            self.bytes += len(packet.payload) + packet.padding_size
            if packet.extensions.abs_send_time is not None:
                remb = self._shadow.add(arrival_time_ms=clock.current_ms(),
                                        abs_send_time=packet.extensions.abs_send_time,
                                        payload_size=len(packet.payload) + packet.padding_size, ssrc=packet.ssrc)
                if remb is not None:
                    self.loop_times = remb[0]
            await handle(packet, arrival_time_ms)

        estimator.add = add_noted
        receiver._handle_rtp_packet = handle_rtp_packet


@dataclass
class Receiver:
    """The receiving side on its own loop and thread (see the module's docstring)."""

    kernel_times: bool
    busy: Busy | None = None
    seed: int = 17
    samples: list[Sample] = field(default_factory=list)
    arrivals: ArrivalCount | None = None

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="busy-receiver", daemon=True)
        self._thread.start()
        self._random = random.Random(self.seed)
        self._stopped = False
        self._spells_from: float | None = None
        self.pc: RTCPeerConnection | None = None
        self.watch: Watch | None = None

    @property
    def packets(self) -> int:
        return self.watch.packets if self.watch is not None else 0

    async def _run(self, coro):  # noqa: ANN001 - a coroutine for the receiver's loop
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    async def answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        return await self._run(self._answer(offer))

    async def _answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await self.pc.setRemoteDescription(offer)
        if self.kernel_times:
            self.arrivals = use_kernel_arrival_times(self.pc)
        receiver = self.pc.getTransceivers()[0].receiver
        seam.tap_video_rtp(receiver, self._on_packet)
        self.watch = Watch(receiver)
        with gathering(LOOPBACK, kernel_arrival_times=self.kernel_times):
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        self._loop.call_later(SAMPLE_PERIOD, self._sample)
        if self.busy is not None:
            self._loop.call_later(PIECE, self._hold)
        return self.pc.localDescription

    def _on_packet(self, packet) -> None:  # noqa: ANN001 - what the app's receive path would take
        if self.busy is not None and self.busy.cost:
            time.sleep(self.busy.cost)

    def _sample(self) -> None:
        if self._stopped:
            return
        watch = self.watch
        if watch is not None and watch.first is not None:
            self.samples.append(Sample(time.monotonic() - watch.first, watch.aiortc, watch.loop_times))
        self._loop.call_later(SAMPLE_PERIOD, self._sample)

    def _hold(self) -> None:
        busy = self.busy
        if self._stopped or busy is None:
            return
        if busy.blocks is not None:
            time.sleep(self._random.uniform(*busy.blocks))  # the loop runs nothing else meanwhile
            self._loop.call_later(0.1, self._hold)
            return
        if self._spells_from is None:
            self._spells_from = time.monotonic()
        if (time.monotonic() - self._spells_from) % busy.period < busy.spell:
            time.sleep(busy.hold * PIECE)
            self._loop.call_later((1 - busy.hold) * PIECE, self._hold)
        else:
            self._loop.call_later(PIECE, self._hold)

    async def close(self) -> None:
        self._stopped = True
        try:
            if self.pc is not None:
                await self._run(self.pc.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 10)
            if not self._thread.is_alive():
                self._loop.close()


async def steady_sender(bitrate: int) -> RTCPeerConnection:
    """A connection that sends SteadyVideo(``bitrate``) once connected (VP8, no RTX)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver(SteadyVideo(bitrate), direction="sendonly")
    codecs = RTCRtpSender.getCapabilities("video").codecs
    transceiver.setCodecPreferences([c for c in codecs if c.mimeType == "video/VP8"])
    with gathering(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    return pc


async def connect(sender: RTCPeerConnection, receiver: Receiver) -> None:
    answer = await receiver.answer(sender.localDescription)
    await sender.setRemoteDescription(answer)


def narrow(sender: RTCPeerConnection, rate: int, max_delay: float = 2.0) -> None:
    """From now on the datagrams ``sender`` sends leave at most at ``rate`` bit/s, one after the
    other, in order; one that would wait more than ``max_delay`` seconds is dropped (the
    queue's end)."""
    ice = sender.getTransceivers()[0].sender.transport.transport
    send = ice._send
    queue: deque[bytes] = deque()
    state = {"next": 0.0, "queued_bits": 0, "task": None}

    async def drain() -> None:
        loop = asyncio.get_running_loop()
        while queue:
            data = queue.popleft()
            state["queued_bits"] -= len(data) * 8
            state["next"] = max(state["next"], loop.time()) + len(data) * 8 / rate
            await asyncio.sleep(max(0.0, state["next"] - loop.time()))
            try:
                await send(data)
            except ConnectionError:
                return
        state["task"] = None

    async def send_narrowed(data: bytes) -> None:
        if (state["queued_bits"] + len(data) * 8) / rate > max_delay:
            return
        queue.append(data)
        state["queued_bits"] += len(data) * 8
        if state["task"] is None:
            state["task"] = asyncio.ensure_future(drain())

    ice._send = send_narrowed
