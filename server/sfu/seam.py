"""The one place the forwarding unit reaches into aiortc's internals (aiortc == 1.16.0).

aiortc is built to decode what it receives and encode what it sends. The forwarding unit
wants neither: it takes RTP packets as they arrive on a publisher's connection and sends
them, header rewritten, on each subscriber's connection, without holding a frame. To do
that it needs things aiortc does not make public, all gathered here so that a new aiortc
release means reading one file (tests/test_sfu_seam.py checks each of them):

1. ``tap_receiver``: replace ``RTCRtpReceiver._handle_rtp_packet`` on one receiver with ours.
   We keep what the receiver does for the publisher leg (RTCP statistics for receiver
   reports, RTX unwrapping, NACKs for missing packets) and hand each packet on instead of
   feeding the jitter buffer and decoder. The decoder thread then never sees a frame. Its
   RTCP loop starts at its first packet (most sections of a meeting receive none), and the
   publisher's sender reports are read by the tap (not into aiortc's statistics objects).
2. ``request_keyframe``: ``RTCRtpReceiver._send_rtcp_pli`` towards the publisher.
3. ``attach_sender``: a subscriber's ``RTCRtpSender`` gets a track that never yields a
   frame (so its encoder never starts), and its keyframe-request and retransmission hooks
   (``_send_keyframe``, ``_retransmit``) are routed to the forwarding unit.
4. ``send_rtp``: ``RTCDtlsTransport._send_rtp`` (SRTP-protects and sends one packet), with
   ``sender_ssrc`` (``RTCRtpSender._ssrc``), the SSRC a section's packets carry.
5. RTCP sender reports: the caller's, from its own counters (it sends past the sender's own
   loop): ``attach_sender`` replaces the sender's own RTCP loop
   (``RTCRtpSender._run_rtcp``: a task per section waking about every second, each sending
   its report alone, also from the spare and paused sections that send nothing), and
   ``sender_report`` makes a section's report (with its SDES) only when it sent something
   since its last one (RFC 3550 6.4), which ``send_rtcp`` sends, one compound packet for all
   of a connection's sections (peers.SubscriberPeer).
6. Bandwidth estimation, both legs (aiortc's own path is bypassed by 1. and 3.):
   ``BitrateEstimator`` is aiortc's receive-side estimator (``aiortc.rate``: abs-send-time,
   overuse detector, AIMD), fed by ``tap_receiver``'s ``on_arrival`` for a publisher's uplink;
   ``send_remb`` sends the publisher a Receiver Estimated Maximum Bitrate (its aiortc sender
   sets its encoder's target from it); ``attach_sender`` reads the REMB a subscriber's aiortc
   receivers send (``SenderHooks.on_remb``) and reports the abs-send-time extension id the
   subscriber's section negotiated (``on_started``), so forwarded packets can carry it.

7. ``receive_directly``: SRTP and SRTCP arriving on a connected transport's nominated pair are
   handled as the datagram arrives, not through aioice's queue and the DTLS transport's reading
   task (one extra event-loop turn per received packet; DTLS and STUN keep that path). RTP of an
   SSRC a tapped receiver has had goes straight to the tap, read by ``rtp_in.parse_rtp``
   (no aiortc ``RtpPacket``, no coroutine, no router); a publisher's transport goes direct as
   soon as it connects, so sections that send only RTCP (a camera that is off) do too. The
   usual RTCP (sender reports, receiver reports, REMB) is read by ``rtcp.read_compound`` and
   handled where aiortc would route it, without aiortc's parser, router or coroutines; SRTP
   through ``srtp.py``, without pylibsrtp's per-call allocation; sends go to the socket.

8. ``add_transceiver``: ``RTCPeerConnection.addTransceiver`` without aiortc's receive-side
   bandwidth estimator in the section's receiver (``RTCRtpReceiver.__remote_bitrate_estimator``).
   The forwarding unit never lets aiortc's receivers handle RTP (``tap_receiver``; a subscriber's
   sections only send), and each estimator is 1000 ``RateBucket`` objects made at once: at
   1 → 15 that was a quarter of the CPU a join took on the event loop, and the garbage collector
   walked them ever after.
9. ``fixed_fingerprints``: the connection's certificate fingerprints (sha-256/384/512 of it) are
   worked out once, not at every description aiortc writes.

And, for ``/metrics``, ``count_codecs``: it wraps aiortc's ``get_encoder``/``get_decoder``
where the sender and receiver modules look them up, so every codec instance made in the
process is counted (the forwarding unit must make none).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiortc
import pylibsrtp
import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
from aiortc.rtcdtlstransport import State as _DtlsState
from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtcrtpsender import RTT_ALPHA as _RTT_ALPHA
from aiortc.rtp import (RTCP_PSFB_APP, RtcpByePacket, RtcpPsfbPacket, RtcpRrPacket, RtcpSrPacket, RtpPacket,
                        pack_remb_fci, unpack_remb_fci)

from rtcseam.arrival import ArrivalCount, aiortc_ms

from . import rtcp, rtp_in, srtp
from .eager import run_now as _run_now

AIORTC_VERSION = "1.16.0"

logger = logging.getLogger(__name__)

#: (the packet: aiortc's RtpPacket or an rtp_in.ReceivedPacket, its codec) -> None when handled,
#: else what is left of it to await
PacketHandler = Callable[[object, RTCRtpCodecParameters], Awaitable[None] | None]
#: (arrival time in ms, abs-send-time (24 bits), payload bytes, ssrc) of each packet that carried
#: the abs-send-time extension
ArrivalHandler = Callable[[int, int, int, int], None]

#: The header extension aiortc offers and answers for video sections (and sets on what it sends).
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

#: aiortc's receive-side bandwidth estimator: ``add(arrival_time_ms, abs_send_time,
#: payload_size, ssrc)`` answers ``(bitrate, ssrcs)`` when its estimate is due (every 500 ms,
#: at once on overuse), else None.
BitrateEstimator = RemoteBitrateEstimator


_NTP_OFFSET_NS = 2_208_988_800 * 1_000_000_000  # 1900 to 1970


def current_ntp_time() -> int:
    """Now as a 64-bit NTP timestamp, as aiortc's sender reports want it: the clock of
    ``aiortc.clock.current_ntp_time`` (CLOCK_REALTIME), read without its ``datetime`` objects
    (a quarter of its cost: it runs for every received packet)."""
    seconds, ns = divmod(time.time_ns() + _NTP_OFFSET_NS, 1_000_000_000)
    return (seconds << 32) | ((ns << 32) // 1_000_000_000)


def check_version() -> None:
    if aiortc.__version__ != AIORTC_VERSION:
        raise RuntimeError(
            f"Parley's forwarding unit is written against aiortc {AIORTC_VERSION}, "
            f"found {aiortc.__version__}: re-check server/sfu/seam.py"
        )


_codecs = {"encoder": 0, "decoder": 0}


def _no_estimator() -> None:
    return None


def add_transceiver(pc, kind: str, direction: str):  # noqa: ANN001, ANN201 - aiortc's types
    """``pc.addTransceiver(kind, direction=direction)``, its receiver without aiortc's receive-side
    estimator (see 8. above: aiortc skips it when it is None). aiortc looks the class up in its
    receiver module as it builds the receiver; the swap lasts that synchronous call only."""
    module = aiortc.rtcrtpreceiver
    saved = module.RemoteBitrateEstimator
    module.RemoteBitrateEstimator = _no_estimator  # type: ignore[assignment,misc]
    try:
        return pc.addTransceiver(kind, direction=direction)
    finally:
        module.RemoteBitrateEstimator = saved  # type: ignore[misc]


def fixed_fingerprints(pc) -> None:  # noqa: ANN001 - an RTCPeerConnection
    """Work out ``pc``'s certificate fingerprints now, once (see 9. above)."""
    for certificate in pc._RTCPeerConnection__certificates:  # type: ignore[attr-defined]
        fingerprints = certificate.getFingerprints()
        certificate.getFingerprints = lambda fingerprints=fingerprints: list(fingerprints)


def count_codecs() -> None:
    """Count every encoder and decoder aiortc creates in this process from now on (once)."""
    get_encoder = aiortc.rtcrtpsender.get_encoder
    get_decoder = aiortc.rtcrtpreceiver.get_decoder
    if getattr(get_encoder, "counting", False):
        return

    def counting_encoder(codec):
        _codecs["encoder"] += 1
        return get_encoder(codec)

    def counting_decoder(codec):
        _codecs["decoder"] += 1
        return get_decoder(codec)

    counting_encoder.counting = counting_decoder.counting = True
    aiortc.rtcrtpsender.get_encoder = counting_encoder
    aiortc.rtcrtpreceiver.get_decoder = counting_decoder


def codec_counts() -> dict[str, int]:
    """Encoders and decoders created since ``count_codecs``."""
    return dict(_codecs)


def tap_receiver(receiver: RTCRtpReceiver, on_packet: PacketHandler,
                 on_unknown: Callable[[], None] | None = None,
                 on_arrival: ArrivalHandler | None = None,
                 nacks: Callable[[int], list[int]] | None = None,
                 on_sender_report: Callable[[int, int], None] | None = None) -> None:
    """Make ``receiver`` hand every RTP packet to ``on_packet`` instead of decoding it, with
    the codec its payload type was negotiated for; a packet whose payload type the answer did
    not negotiate is dropped (``on_unknown`` counts it). Every packet that carries the
    abs-send-time extension, retransmissions aside, is first reported to ``on_arrival`` (the
    uplink's estimator). ``nacks(seq)``, when given,
    says which lost packets to NACK as each packet arrives, instead of aiortc's generator (which
    asks for every missing packet again at each new loss).

    ``on_packet`` may return None (handled) or something to await. Once the connection is up
    (``receive_directly``), each packet of an SSRC this receiver has had is read as the
    datagram arrives (rtp_in.parse_rtp: no aiortc ``RtpPacket``, no coroutine) and handled at
    once; the receive statistics (receiver reports), RTX unwrapping and NACKs are kept.

    The publisher's RTCP sender reports for this receiver are told to ``on_sender_report(ntp,
    rtp)`` and kept for the receiver reports' LSR/DLSR, as aiortc keeps them, but without
    aiortc's ``remote-outbound-rtp`` statistics (nothing here reads them); once the connection
    is up, a compound packet of sender reports and SDES alone (what an aiortc sender sends,
    about once a second per section, camera on or not) is read with ``struct`` as it arrives
    (``_handled``)."""
    codecs: dict[int, RTCRtpCodecParameters] = receiver._RTCRtpReceiver__codecs  # type: ignore[attr-defined]
    rtx_ssrc: dict[int, int] = receiver._RTCRtpReceiver__rtx_ssrc  # type: ignore[attr-defined]
    streams: dict[int, StreamStatistics] = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    nack_generator = receiver._RTCRtpReceiver__nack_generator  # type: ignore[attr-defined]
    direct = [False]
    first_stream = asyncio.Event()  # set at the first RTP packet

    def handle(packet, abs_send_time: int | None, arrival_time_ms: int):  # noqa: ANN001, ANN202
        """One packet (aiortc's RtpPacket or rtp_in's): what is left to await (a NACK to send,
        what ``on_packet`` returned), or None."""
        codec = codecs.get(packet.payload_type)
        if codec is None:
            if on_unknown is not None:
                on_unknown()
            return None
        rtx = is_rtx(codec)
        if on_arrival is not None and abs_send_time is not None and not rtx:
            # (a retransmission carries its original's send time: it would read as a queue)
            on_arrival(arrival_time_ms, abs_send_time, len(packet.payload) + packet.padding_size, packet.ssrc)
        stream = streams.get(packet.ssrc)
        if stream is None:
            stream = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
            first_stream.set()
        stream.add(packet)
        if rtx:
            original_ssrc = rtx_ssrc.get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or apt not in codecs:
                return None
            packet = rtp_in.unwrap_rtx(packet, apt, original_ssrc)
            if packet is None:
                return None
            codec = codecs[apt]
        nack = None
        if nacks is not None:
            missing = nacks(packet.sequence_number)
            if missing:
                nack = receiver._send_rtcp_nack(packet.ssrc, missing)
        elif nack_generator is not None and nack_generator.add(packet):
            nack = receiver._send_rtcp_nack(packet.ssrc, sorted(nack_generator.missing))
        result = on_packet(packet, codec)
        if nack is None:
            return result
        return _both(nack, result)

    def handle_datagram(data: bytes, arrival_time_ms: int) -> None:
        """A decrypted RTP packet of one of this receiver's SSRCs, straight off the socket."""
        if not receiver._enabled:
            return
        parsed = rtp_in.parse_rtp(data, extension_ids[0].abs_send_time)
        if parsed is None:
            return  # malformed: what aiortc's parser refuses
        pending = handle(parsed[0], parsed[1], arrival_time_ms)
        if pending is not None:
            _run_now(pending)

    extension_ids: list = [None]  # the transport's negotiated header extension ids (aiortc's)

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        # aiortc's own path: before the connection is up, or when something waits in its queue
        if not receiver._enabled:
            return
        dtls = receiver.transport
        if not direct[0]:  # from the next packet on, without aioice's queue
            direct[0] = receive_directly(dtls)
        if direct[0]:  # aiortc routed this SSRC here: its next packets come straight here
            extension_ids[0] = dtls._rtp_header_extensions_map._HeaderExtensionsMap__ids
            dtls._parley_fast.setdefault(packet.ssrc, handle_datagram)
        pending = handle(packet, packet.extensions.abs_send_time, arrival_time_ms)
        if pending is not None:
            await pending

    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]
    lsr: dict[int, int] = receiver._RTCRtpReceiver__lsr  # type: ignore[attr-defined]
    lsr_time: dict[int, float] = receiver._RTCRtpReceiver__lsr_time  # type: ignore[attr-defined]
    original_rtcp = receiver._handle_rtcp_packet

    def sender_report(ssrc: int, ntp: int, rtp: int) -> None:
        lsr[ssrc] = (ntp >> 16) & 0xFFFFFFFF  # what aiortc keeps for its receiver reports
        lsr_time[ssrc] = time.time()
        if on_sender_report is not None:
            on_sender_report(ntp, rtp)

    async def handle_rtcp_packet(packet) -> None:  # noqa: ANN001 - routed here by aiortc (by SSRC)
        if not isinstance(packet, RtcpSrPacket):
            await original_rtcp(packet)
            return
        reports = getattr(receiver.transport, "_parley_reports", None)
        if reports is not None:  # connected directly: its next reports come straight here
            reports[packet.ssrc] = (receiver, sender_report)
        sender_report(packet.ssrc, packet.sender_info.ntp_timestamp, packet.sender_info.rtp_timestamp)

    receiver._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]
    original_run_rtcp = receiver._run_rtcp

    async def run_rtcp() -> None:
        # aiortc's loop wakes every 0.5-1.5 s to send receiver reports on the streams received;
        # a section that receives nothing (a camera or microphone that is off: most of a
        # meeting's sections) has none to send, and waits for its first packet instead
        if not streams:
            receiver._RTCRtpReceiver__rtcp_started.set()  # type: ignore[attr-defined]
            try:
                await first_stream.wait()
            except asyncio.CancelledError:
                receiver._RTCRtpReceiver__rtcp_exited.set()  # type: ignore[attr-defined]
                return
        await original_run_rtcp()

    receiver._run_rtcp = run_rtcp  # type: ignore[method-assign]
    original_receive = receiver.receive

    async def receive(parameters) -> None:
        # aiortc routes RTP by SSRC, or by payload type when only one receiver has it, and never
        # registers a receiver's RTX SSRC: with a camera's two layers on one connection, both
        # sections share the RTX payload type, and every retransmission the server asked for
        # was dropped before it reached a receiver (5 % uplink loss: none of 51 came). Register it.
        await original_receive(parameters)
        router = receiver.transport._rtp_router
        for ssrc in rtx_ssrc:
            router.ssrc_table[ssrc] = receiver

    receiver.receive = receive  # type: ignore[method-assign]
    dtls = receiver.transport

    def on_state() -> None:
        # a connection whose sections send only RTCP (a camera that is off still sends sender
        # reports) never gets a first RTP packet: go direct once it is up all the same
        if dtls.state == "connected":
            direct[0] = receive_directly(dtls)

    dtls.on("statechange", on_state)


async def _both(first: Awaitable[object], second: Awaitable[object] | None) -> None:
    await first
    if second is not None:
        await second


def receive_counts(receiver: RTCRtpReceiver) -> tuple[int, int]:
    """Packets received and lost so far on this receiver (from its RTCP statistics)."""
    streams: dict[int, StreamStatistics] = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    received = sum(stream.packets_received for stream in streams.values())
    lost = sum(max(0, stream.packets_lost) for stream in streams.values())
    return received, lost


async def request_keyframe(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Send a Picture Loss Indication to the publisher of ``media_ssrc``."""
    await receiver._send_rtcp_pli(media_ssrc)


async def send_remb(receiver: RTCRtpReceiver, bitrate: int, ssrcs: list[int]) -> None:
    """Send the publisher a REMB of ``bitrate`` bit/s for its streams ``ssrcs``: each of its
    aiortc senders whose SSRC is listed sets its encoder's target to it (aiortc recreates its
    VP8 encoder, with a keyframe, when that moves by more than 10 %)."""
    rtcp_ssrc = receiver._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined] # set when it starts
    if rtcp_ssrc is None or not ssrcs:
        return
    await receiver._send_rtcp(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0,
                                             fci=pack_remb_fci(int(bitrate), list(ssrcs))))


class _IdleTrack(MediaStreamTrack):
    """Keeps a forwarding sender's own RTP loop parked: it never yields a frame."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._stopped = asyncio.get_event_loop().create_future()

    async def recv(self):  # type: ignore[override]
        await asyncio.shield(self._stopped)
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        if not self._stopped.done():
            self._stopped.set_result(None)


@dataclass
class SenderHooks:
    on_keyframe_request: Callable[[], None]
    on_nack: Callable[[int], Awaitable[None]]
    #: called once aiortc starts the sender, with the negotiated payload type and the id of the
    #: abs-send-time header extension (None: the section did not negotiate it)
    on_started: Callable[[int, int | None], None]
    #: a REMB from the subscriber naming this sender's SSRC: its estimate in bit/s
    on_remb: Callable[[int], None] | None = None


def attach_sender(sender: RTCRtpSender, hooks: SenderHooks) -> None:
    """Turn a subscriber connection's sender into a forwarding sender."""
    sender.replaceTrack(_IdleTrack(sender.kind))
    sender._send_keyframe = hooks.on_keyframe_request  # type: ignore[method-assign]
    sender._retransmit = hooks.on_nack  # type: ignore[method-assign]
    original_send = sender.send
    original_rtcp = sender._handle_rtcp_packet
    sender._parley_reported = 0  # type: ignore[attr-defined] # packets sent as of its last report

    async def run_rtcp() -> None:
        # aiortc's own loop, minus the reports (sender_report): started, stopped, and a BYE
        # when it stops if it ever sent anything
        sender._RTCRtpSender__rtcp_started.set()  # type: ignore[attr-defined]
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            pass
        if sender._parley_reported:  # type: ignore[attr-defined]
            await sender._send_rtcp([RtcpByePacket(sources=[sender._ssrc])])
        sender._RTCRtpSender__rtcp_exited.set()  # type: ignore[attr-defined]

    async def send(parameters: RTCRtpSendParameters) -> None:
        await original_send(parameters)
        abs_send_time = next((ext.id for ext in parameters.headerExtensions
                              if ext.uri == ABS_SEND_TIME_URI), None)
        hooks.on_started(parameters.codecs[0].payloadType, abs_send_time)

    def receiver_report(ssrc: int, fraction_lost: int, lsr: int, dlsr: int) -> None:
        # what aiortc's sender does with a report block on its SSRC, minus its statistics
        # objects: the round trip (smoothed as aiortc does), and the share lost
        if lsr == sender._RTCRtpSender__lsr and dlsr:  # type: ignore[attr-defined]
            rtt = time.time() - sender._RTCRtpSender__lsr_time - dlsr / 65536  # type: ignore[attr-defined]
            old = sender._RTCRtpSender__rtt  # type: ignore[attr-defined]
            sender._RTCRtpSender__rtt = rtt if old is None else _RTT_ALPHA * old + (1 - _RTT_ALPHA) * rtt  # type: ignore[attr-defined]
            sender._parley_rtt = (rtt, time.time())  # type: ignore[attr-defined] # unsmoothed
        sender._parley_loss = (fraction_lost / 256, time.time())  # type: ignore[attr-defined]

    def remb(bitrate: int, ssrcs: list[int]) -> None:
        if hooks.on_remb is not None and sender._ssrc in ssrcs:
            hooks.on_remb(bitrate)

    async def handle_rtcp_packet(packet) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                remb(*unpack_remb_fci(packet.fci))
            except ValueError:
                pass
            return
        if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
            for block in packet.reports:
                if block.ssrc == sender._ssrc:
                    receiver_report(block.ssrc, block.fraction_lost, block.lsr, block.dlsr)
            return
        await original_rtcp(packet)

    #: what ``receive_directly`` calls for a report block on this sender, and for a REMB
    sender._parley_rtcp = (receiver_report, remb)  # type: ignore[attr-defined]
    sender.send = send  # type: ignore[method-assign]
    sender._run_rtcp = run_rtcp  # type: ignore[method-assign]
    sender._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]


def sender_report(sender: RTCRtpSender, packets: int, octets: int, rtp_timestamp: int,
                  ntp_timestamp: int) -> bytes | None:
    """The RTCP sender report (and SDES) of an attached sender that has sent ``packets``
    packets of ``octets`` payload bytes, the latest stamped ``rtp_timestamp`` at
    ``ntp_timestamp``, serialised; None when it sent nothing since its last report. The
    sender's counters (its statistics) and round-trip time follow, as with aiortc's own."""
    if packets == sender._parley_reported:  # type: ignore[attr-defined]
        return None
    sender._parley_reported = packets  # type: ignore[attr-defined]
    sender._RTCRtpSender__packet_count = packets  # type: ignore[attr-defined]
    sender._RTCRtpSender__octet_count = octets  # type: ignore[attr-defined]
    sender._RTCRtpSender__rtp_timestamp = rtp_timestamp  # type: ignore[attr-defined]
    sender._RTCRtpSender__ntp_timestamp = ntp = ntp_timestamp  # type: ignore[attr-defined]
    report = rtcp.sender_report(sender._ssrc, ntp, rtp_timestamp, packets, octets)
    sender._RTCRtpSender__lsr = (ntp >> 16) & 0xFFFFFFFF  # type: ignore[attr-defined]
    sender._RTCRtpSender__lsr_time = time.time()  # type: ignore[attr-defined]
    cname = sender._RTCRtpSender__cname  # type: ignore[attr-defined]
    if cname is not None:
        report += rtcp.sdes(sender._ssrc, cname.encode())
    return report


async def send_rtcp(sender: RTCRtpSender, data: bytes) -> None:
    """SRTCP-protect and send ``data`` (RTCP packets, one compound packet) on the sender's
    transport; nothing when it is not connected. Once connected, straight to the nominated
    pair's socket (as ``direct_rtp_sender``), not through aiortc's four coroutine layers."""
    dtls = sender.transport
    send = getattr(dtls, "_parley_rtcp_send", None)
    if send is not None and send(data):
        return
    dtls._parley_rtcp_send = None
    if dtls.state == "connected":
        send = dtls._parley_rtcp_send = _direct_send(dtls, srtp.protect_rtcp(dtls._tx_srtp))
        if send is not None and send(data):
            return
    try:
        await dtls._send_rtp(data)
    except ConnectionError:
        pass


def sender_rtt(sender: RTCRtpSender) -> float | None:
    """The round trip (seconds) aiortc keeps for ``sender`` from its subscriber's receiver
    reports (smoothed; None before the first report that answers one of its sender reports)."""
    return sender._RTCRtpSender__rtt  # type: ignore[attr-defined]


def sender_rtt_sample(sender: RTCRtpSender) -> tuple[float, float] | None:
    """The newest round trip (seconds) one receiver report of ``sender``'s subscriber gave, not
    smoothed, and when it came (``time.time()``); None before the first. aiortc's smoothed one
    (:func:`sender_rtt`) keeps 85 % of the old at each report: a queue that grew 200 ms in a
    second showed 30 ms of it a report later, too late to stop before it overflowed."""
    return getattr(sender, "_parley_rtt", None)


def sender_reported_loss(sender: RTCRtpSender) -> tuple[float, float] | None:
    """What the subscriber's latest receiver report for an attached ``sender`` said was lost in
    its last interval (RFC 3550's fraction lost, 0..1; retransmissions that arrived count as
    received), and when it came (``time.time()``); None before the first report."""
    return getattr(sender, "_parley_loss", None)


def sender_ssrc(sender: RTCRtpSender) -> int:
    """The SSRC ``sender`` sends with (aiortc draws it when the sender is made; it never
    changes), which forwarded packets must carry."""
    return sender._ssrc


async def send_rtp(sender: RTCRtpSender, data: bytes) -> None:
    """SRTP-protect and send one serialised RTP packet on the sender's transport."""
    await sender.transport._send_rtp(data)


#: aiortc's arrival clock (``aiortc.clock.current_ms``: ms since 1900, through datetime), from
#: time.time(): the same value, read per received packet
_NTP_OFFSET_S = 2_208_988_800
_DTLS_CONNECTED = _DtlsState.CONNECTED


def receive_directly(dtls) -> bool:  # noqa: ANN001 - an RTCDtlsTransport
    """Once ``dtls`` is connected, hand each SRTP/SRTCP datagram on its nominated pair to it as
    it arrives (unprotect, parse, route: what its reading task does), instead of through
    aioice's queue and that task. Only while that queue is empty, so nothing overtakes what
    is already queued; DTLS and STUN still go the usual way. Once per transport; whether it
    is in place."""
    if getattr(dtls, "_parley_direct", False):
        return True
    if dtls._state is not _DTLS_CONNECTED or dtls._rx_srtp is None:
        return False
    connection = dtls.transport._connection
    pair = connection._nominated.get(1)
    if pair is None or pair.protocol is None:
        return False
    dtls._parley_direct = True
    arrivals = dtls._parley_arrivals = ArrivalCount()  # datagrams with and without a kernel time
    fast: dict[int, Callable[[bytes, int], None]] = {}  # SSRC -> its tapped receiver's handler
    dtls._parley_fast = fast
    reports: dict[int, tuple] = {}  # SSRC -> (its tapped receiver, what it does with a sender report)
    dtls._parley_reports = reports
    router = dtls._rtp_router
    routed, senders = router.ssrc_table, router.senders  # SSRC -> where aiortc routes its RTCP
    protocol, queue, rx = pair.protocol, connection._queue, dtls._rx_srtp
    unprotect, unprotect_rtcp = srtp.unprotect(rx), srtp.unprotect_rtcp(rx)
    usual = protocol.datagram_received

    def datagram_received(data: bytes, addr) -> None:  # noqa: ANN001
        if not data or not 127 < data[0] < 192 or not queue.empty() or dtls._state is not _DTLS_CONNECTED:
            usual(data, addr)  # STUN, DTLS, or something queued before it
            return
        arrival_ms = aiortc_ms(data)  # when the kernel received it (a publisher's connection)
        if arrival_ms is None:
            arrival_ms = int((time.time() + _NTP_OFFSET_S) * 1000)
            arrivals.loop += 1
        else:
            arrivals.kernel += 1
        try:
            if len(data) >= 2 and 192 <= data[1] <= 208:  # RTCP (aiortc.rtp.is_rtcp)
                plain = unprotect_rtcp(data)
                items = rtcp.read_compound(plain)
                if items is not None and _handled(items, reports, routed, senders):
                    return
                coro = dtls._handle_rtcp_data(plain)
            else:
                plain = unprotect(data)
                handler = fast.get(int.from_bytes(plain[8:12], "big")) if len(plain) >= 12 else None
                if handler is not None:  # an SSRC a tapped receiver has had (tap_receiver)
                    handler(plain, arrival_ms)
                    return
                coro = dtls._handle_rtp_data(plain, arrival_time_ms=arrival_ms)
        except (pylibsrtp.Error, ValueError):
            return  # what the reading task does with a packet that fails authentication
        _run_now(coro)

    protocol.datagram_received = datagram_received
    return True


def _handled(items: list[tuple], reports: dict[int, tuple], routed: dict[int, object],
             senders: dict[int, RTCRtpSender]) -> bool:
    """Handle a compound RTCP packet read by ``rtcp.read_compound`` where aiortc would route it,
    without aiortc's parser and coroutines: a sender report to its tapped receiver's handler
    (``tap_receiver``), a report block or a REMB to each attached sender it names
    (``attach_sender``), and nowhere what aiortc routes nowhere. False, having done nothing,
    when something goes where this cannot take it (a sender report of an SSRC not handled so
    yet, a sender not attached): aiortc's own path then handles the whole packet."""
    calls = []
    for item in items:
        if type(item) is rtcp.SenderReport:
            ssrc = item[0]
            handler = reports.get(ssrc)
            if handler is not None and routed.get(ssrc) is handler[0]:
                calls.append((handler[1], item))
            elif ssrc in routed:
                return False
        else:
            for ssrc in ((item[0],) if type(item) is rtcp.ReceiverBlock else set(item[1])):
                sender = senders.get(ssrc)
                if sender is None:
                    continue
                hooks = getattr(sender, "_parley_rtcp", None)
                if hooks is None:
                    return False
                calls.append((hooks[0] if type(item) is rtcp.ReceiverBlock else hooks[1], item))
    for handle, item in calls:
        handle(*item)
    return True


def direct_rtp_sender(sender: RTCRtpSender) -> Callable[[bytes], bool] | None:
    """A synchronous way to send RTP on ``sender``'s connected transport, or None.

    ``send_rtp`` walks four coroutine layers (DTLS transport, ICE transport, aioice
    connection, STUN protocol) for every packet; a forwarding unit sends each packet to
    every subscriber, so it protects the packet and writes it to the nominated candidate
    pair's socket directly. The returned function answers False once that socket is
    closing (the connection went away), and the caller goes back to ``send_rtp``."""
    dtls = sender.transport
    if dtls.state != "connected":
        return None
    receive_directly(dtls)
    return _direct_send(dtls, srtp.protect(dtls._tx_srtp))


def _direct_send(dtls, protect: Callable[[bytes], bytes]) -> Callable[[bytes], bool] | None:  # noqa: ANN001
    """Protect with ``protect`` and write to the socket of ``dtls``'s nominated candidate pair;
    None when it has none. Straight to the socket (``sendto``) while asyncio's transport has
    nothing queued, else through the transport (which queues when the socket would block and
    reports errors as it always does). False once that socket is closing."""
    pair = dtls.transport._connection._nominated.get(1)
    transport = pair.protocol.transport if pair is not None and pair.protocol is not None else None
    if transport is None:
        return None
    address = pair.remote_addr
    sock = getattr(transport, "_sock", None)
    queued = getattr(transport, "_buffer", None)
    if sock is None or queued is None:  # not asyncio's selector transport: through it
        def send_through(data: bytes) -> bool:
            if transport.is_closing():
                return False
            transport.sendto(protect(data), address)
            return True

        return send_through
    sendto = sock.sendto

    def send(data: bytes) -> bool:
        if transport.is_closing():
            return False
        data = protect(data)
        if queued:
            transport.sendto(data, address)
            return True
        try:
            sendto(data, address)
        except OSError:  # would block, or an error to report: asyncio's own handling
            transport.sendto(data, address)
        return True

    return send
