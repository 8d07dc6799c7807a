"""Connection figures from the two peer connections' WebRTC stats (no Qt).

``StatsSampler.sample`` reads ``getStats()`` of the publishing and receiving connections and
turns the counters into rates since the previous sample: bitrate and packets per second each
way, the loss the server reports on my uplink (RTCP receiver reports: per sender, so audio's
own loss is known), the loss on what I receive, the round-trip time, and the bandwidth
estimates aiortc keeps (the downlink estimate behind the REMB it sends, and the target my
encoder follows), read through ``seam``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import seam


@dataclass(frozen=True)
class LinkStats:
    send_kbps: float = 0.0
    send_packets_per_s: float = 0.0
    receive_kbps: float = 0.0
    receive_packets_per_s: float = 0.0
    #: share of my audio packets the server lost lately (its receiver reports); None: unknown yet
    uplink_audio_loss: float | None = None
    #: the worst of my sections' loss as the server reports it
    uplink_loss: float | None = None
    #: share of the packets sent to me that never came, since the last sample
    receive_loss: float | None = None
    rtt_ms: float | None = None
    #: aiortc's receive-side bandwidth estimate of my downlink (the REMB it sends), kbit/s
    receive_estimate_kbps: float | None = None
    #: what my video encoder aims at now (it follows the server's REMB), kbit/s
    send_estimate_kbps: float | None = None


@dataclass
class _Totals:
    at: float
    bytes_sent: int = 0
    packets_sent: int = 0
    bytes_received: int = 0
    packets_received: int = 0
    inbound_received: int = 0
    inbound_lost: int = 0


async def _report(pc) -> list[Any]:
    if pc is None or pc.connectionState == "closed":
        return []
    try:
        return list((await pc.getStats()).values())
    except Exception:  # a connection closing under us: no figures this time
        return []


class StatsSampler:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: _Totals | None = None

    def reset(self) -> None:
        """New connections (a reconnect): counters start again from zero."""
        self._last = None

    async def sample(self, publish_pc, receive_pc) -> LinkStats:
        sent, received = await _report(publish_pc), await _report(receive_pc)
        now = _Totals(self._clock())
        audio_loss = worst = rtt = None
        for stat in sent:
            kind = getattr(stat, "type", "")
            if kind == "transport":
                now.bytes_sent += stat.bytesSent
                now.packets_sent += stat.packetsSent
            elif kind == "remote-inbound-rtp":
                fraction = (stat.fractionLost or 0) / 256.0  # RTCP's 8-bit fixed point
                worst = fraction if worst is None else max(worst, fraction)
                if stat.kind == "audio":
                    audio_loss = fraction
                if stat.roundTripTime is not None:
                    rtt = stat.roundTripTime * 1000.0 if rtt is None else min(rtt, stat.roundTripTime * 1000.0)
        for stat in received:
            kind = getattr(stat, "type", "")
            if kind == "transport":
                now.bytes_received += stat.bytesReceived
                now.packets_received += stat.packetsReceived
            elif kind == "inbound-rtp":
                now.inbound_received += stat.packetsReceived
                now.inbound_lost += max(0, stat.packetsLost)
        estimates = {"receive_estimate_kbps": _kbps(seam.receive_estimate(receive_pc) if receive_pc else None),
                     "send_estimate_kbps": _kbps(seam.send_estimate(publish_pc) if publish_pc else None)}
        last, self._last = self._last, now
        if last is None or now.at <= last.at or now.bytes_sent < last.bytes_sent \
                or now.bytes_received < last.bytes_received:
            return LinkStats(uplink_audio_loss=audio_loss, uplink_loss=worst, rtt_ms=rtt, **estimates)
        seconds = now.at - last.at
        got = now.inbound_received - last.inbound_received
        lost = max(0, now.inbound_lost - last.inbound_lost)
        return LinkStats(
            send_kbps=round((now.bytes_sent - last.bytes_sent) * 8 / 1000 / seconds, 1),
            send_packets_per_s=round((now.packets_sent - last.packets_sent) / seconds, 1),
            receive_kbps=round((now.bytes_received - last.bytes_received) * 8 / 1000 / seconds, 1),
            receive_packets_per_s=round((now.packets_received - last.packets_received) / seconds, 1),
            uplink_audio_loss=audio_loss,
            uplink_loss=worst,
            receive_loss=round(lost / (got + lost), 3) if got + lost > 0 else None,
            rtt_ms=round(rtt, 1) if rtt is not None else None,
            **estimates,
        )


def _kbps(bits_per_second: int | None) -> float | None:
    return None if bits_per_second is None else round(bits_per_second / 1000, 1)
