"""``GET /metrics``: what the server is doing, in Prometheus' text format.

It also counts codec instances aiortc creates in this process. The forwarding unit must
never create one (it moves encoded packets); ``parley-server`` installs the counter at start
so that tests and operators can see that stays at zero.
"""

from __future__ import annotations

import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
from aiohttp import web

from .keys import ROOMS_KEY

_codecs = {"encoder": 0, "decoder": 0}
_installed = False


def count_codecs() -> None:
    """Count every encoder and decoder aiortc creates in this process from now on."""
    global _installed
    if _installed:
        return
    _installed = True
    get_encoder = aiortc.rtcrtpsender.get_encoder
    get_decoder = aiortc.rtcrtpreceiver.get_decoder

    def counting_encoder(codec):
        _codecs["encoder"] += 1
        return get_encoder(codec)

    def counting_decoder(codec):
        _codecs["decoder"] += 1
        return get_decoder(codec)

    aiortc.rtcrtpsender.get_encoder = counting_encoder
    aiortc.rtcrtpreceiver.get_decoder = counting_decoder


async def metrics_handler(request: web.Request) -> web.Response:
    stats = request.app[ROOMS_KEY].stats()
    lines = [
        "# HELP parley_rooms Meetings with at least one participant connected.",
        "# TYPE parley_rooms gauge",
        f"parley_rooms {stats.rooms}",
        "# HELP parley_participants Participants connected.",
        "# TYPE parley_participants gauge",
        f"parley_participants {stats.participants}",
        "# HELP parley_cameras_forwarded Cameras holding a video slot.",
        "# TYPE parley_cameras_forwarded gauge",
        f"parley_cameras_forwarded {stats.cameras}",
        "# HELP parley_screen_shares Screen shares running (at most 2 per meeting).",
        "# TYPE parley_screen_shares gauge",
        f"parley_screen_shares {stats.screen_shares}",
        "# HELP parley_rtp_packets_received_total RTP packets received from publishers (live tracks).",
        "# TYPE parley_rtp_packets_received_total counter",
        f"parley_rtp_packets_received_total {stats.packets_received}",
        "# HELP parley_rtp_packets_forwarded_total RTP packets sent to subscribers (live tracks).",
        "# TYPE parley_rtp_packets_forwarded_total counter",
        f"parley_rtp_packets_forwarded_total {stats.packets_forwarded}",
        "# HELP parley_codec_instances_total Encoders and decoders created in this process.",
        "# TYPE parley_codec_instances_total counter",
    ]
    lines += [f'parley_codec_instances_total{{kind="{k}"}} {v}' for k, v in _codecs.items()]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")
