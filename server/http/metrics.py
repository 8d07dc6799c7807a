"""``GET /metrics``: what the server is doing, in Prometheus' text format.

It also shows how many codec instances aiortc created in this process. The forwarding unit
must never create one (it moves encoded packets); ``parley-server`` starts counting at start
(``sfu.seam.count_codecs``) so that tests and operators can see that stays at zero.

It needs the API key (``Authorization: Bearer <api key>``, as Prometheus' ``authorization``
setting sends it) unless the server runs with ``--metrics-public``: how many meetings and
people are on a server is not everyone's business.
"""

from __future__ import annotations

from aiohttp import web

from ..sfu.seam import codec_counts
from .auth import require_api_key
from .keys import CONFIG_KEY, ROOMS_KEY


async def metrics_handler(request: web.Request) -> web.Response:
    if not request.app[CONFIG_KEY].metrics_public:
        require_api_key(request)
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
    lines += [f'parley_codec_instances_total{{kind="{k}"}} {v}' for k, v in codec_counts().items()]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")
