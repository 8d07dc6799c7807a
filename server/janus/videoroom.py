"""One meeting's media on Janus: a VideoRoom, a publisher handle and a subscriber handle per
participant. These are the room's peers (``server.rooms.media``: ``PeerFactory``,
``Publisher``, ``Subscriber``, ``PublishedTrack``), so :class:`~server.rooms.room.Room` drives
Janus exactly as it drives the built-in forwarding unit, and the clients cannot tell.

- Publishing: the client's ``publish`` offer (vetted as for the built-in unit) goes to a new
  handle as ``joinandconfigure`` (ptype publisher, display = the attendee id); Janus's JSEP answer
  is the ``publish_answer``. Each stream Janus reports becomes a :class:`JanusTrack` (its feed id
  and the publisher's mid); a second video stream is the camera's small layer (``video_layers``
  is True: the apps send two), kept in the first one's ``layers``. A publisher of two layers is
  told which to encode (``publish_layers``): those some subscriber takes, and the small one.
- Receiving: one multistream subscriber handle per participant (subscription.py), each camera at
  the layer chosen for it (layers.py).
- Feeds: Janus lets a feed be subscribed only once its publisher's connection is up
  (``webrtcup``): subscriptions take it then (``feed_live``), and drop it when Janus does.
- Keyframes: ``configure`` with ``keyframe: true`` on the publisher's handle (at most one per
  ``KEYFRAME_INTERVAL`` per publisher). Janus also asks publishers for one by itself when a new
  subscriber stream starts, and asks the new source when a section is switched.
- The VideoRoom: made by the node that runs the meeting, listed (``is_private`` false) under the
  description ``parley MEETING_ID`` so that any node can find it, joined with a pin, and guarded
  by a secret: both derived from ``room_key`` (a secret the nodes share through the store) and
  the room, so that another node can destroy a room whose node died (backend.RoomSweeper).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any, Protocol

from wire import ErrorCode, ProtocolError

from ..sfu.offer import vet_publish_offer
from .admin import MediaCounters
from .connection import Event, JanusConnection, JanusError, JanusGone, plugin_data
from .subscription import JanusSubscriber, SendOffer, SendTracks, VideoNotice
from .tracks import VIDEOROOM, JanusTrack, unavailable

logger = logging.getLogger(__name__)

#: VideoRoom caps publishers per room; every participant publishes (its microphone at least),
#: and the 16 cameras and 2 shares are Parley's own rules (server/rooms/slots.py).
MAX_PUBLISHERS = 1000
#: The parking feed's streams: a remote publisher nothing is ever sent to.
PARKING_STREAMS = [{"type": "audio", "mindex": 0, "mid": "0", "codec": "opus"},
                   {"type": "video", "mindex": 1, "mid": "1", "codec": "vp8"}]
#: The description of every VideoRoom Parley makes: this, then the meeting id.
DESCRIPTION_PREFIX = "parley "
#: The layers of a camera's video sections, in the order the apps offer them.
LAYER_NAMES = ("high", "low")

#: which layers of its camera a publisher should send (the room's ``publish_layers``)
LayersNotice = Callable[[list[str]], None]


def room_secret(room_key: bytes, meeting_id: str, room_id: int) -> str:
    """The secret of a meeting's VideoRoom (``create``, ``destroy``): any node that shares
    ``room_key`` can compute it from what ``list`` shows."""
    return hmac.new(room_key, f"secret {meeting_id} {room_id}".encode(), hashlib.sha256).hexdigest()[:32]


def room_pin(room_key: bytes, room_id: int) -> str:
    """The pin joining a VideoRoom needs: the room is listed, so its id is no secret."""
    return hmac.new(room_key, f"pin {room_id}".encode(), hashlib.sha256).hexdigest()[:24]


class Placement(Protocol):
    """Where a meeting's VideoRoom lives: the instance's connection, or None while none is up."""

    def connection(self) -> JanusConnection | None: ...

    def handles_changed(self, delta: int) -> None: ...


class JanusPublisher:
    """A participant's publish connection, answered by Janus (``Publisher``)."""

    def __init__(self, room: "JanusMediaRoom", attendee_id: str, on_layers: "LayersNotice | None" = None) -> None:
        self.room = room
        self.attendee_id = attendee_id
        self._on_layers = on_layers
        self._layers_told: list[str] | None = None  # None: every layer (until told)
        self.tracks: dict[str, JanusTrack] = {}
        self._janus: JanusConnection | None = None
        self.handle: int | None = None
        self._closed = False
        self._tasks: set[asyncio.Task] = set()
        self.feed_id: int | None = None
        self._up = False  # its PeerConnection is up (Janus's ``webrtcup``)

    async def answer(self, offer_sdp: str) -> str:
        vet_publish_offer(offer_sdp)  # the same refusals as the built-in unit, before Janus sees it
        janus = await self.room.ready()
        try:
            self.handle = await janus.attach(VIDEOROOM, self._on_event)
            self._janus = janus
            self.room.placement.handles_changed(+1)
            reply = await janus.message(self.handle, {
                "request": "joinandconfigure", "room": self.room.room_id, "pin": self.room.pin, "ptype": "publisher",
                "display": self.attendee_id,
            }, {"type": "offer", "sdp": offer_sdp})
            data = plugin_data(reply)
        except JanusGone:
            raise unavailable() from None
        except JanusError as exc:
            raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, f"the media server refused this offer: {exc.reason}") from None
        jsep = reply.get("jsep") or {}
        if jsep.get("type") != "answer" or not jsep.get("sdp"):
            raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, "the media server gave no answer to this offer")
        feed_id = self.feed_id = int(data["id"])
        if self._up:
            self.room.feed_live(feed_id)
        layers: list[JanusTrack] = []
        for stream in data.get("streams", []):
            kind = stream.get("type")
            if kind == "audio" and not stream.get("disabled"):
                self.tracks[kind] = JanusTrack(self, kind, feed_id, str(stream["mid"]))
            elif kind == "video" and not stream.get("disabled") and len(layers) < len(LAYER_NAMES):
                layers.append(JanusTrack(self, kind, feed_id, str(stream["mid"]), LAYER_NAMES[len(layers)]))
        if layers:  # the whole picture first, then the small layer (desktop/media/layers.py)
            self.tracks["video"] = layers[0]
            layers[0].layers = {track.layer: track for track in layers}
        self.room.publishers.add(self)
        return str(jsep["sdp"])

    def tell_layers(self, taken: set[str]) -> None:
        """Dynacast (``publish_layers``): encode the layers some subscriber takes, and the small
        one always (what a newcomer or a poor link starts on), as the built-in unit asks."""
        camera = self.tracks.get("video")
        if camera is None or len(camera.layers) < 2 or self._on_layers is None:
            return
        smallest = LAYER_NAMES[len(camera.layers) - 1]
        wanted = [name for name in LAYER_NAMES if name in camera.layers and (name in taken or name == smallest)]
        if wanted != self._layers_told:
            logger.info("janus: publisher %s: sends %s", self.attendee_id, "+".join(wanted))
            self._layers_told = wanted
            self._on_layers(wanted)

    def observe(self, counters: dict[str, MediaCounters]) -> None:
        """Janus's counters of this handle (Admin API): what it received of each stream, and
        the share of it lost on the way."""
        for track in self.tracks.values():
            for layer in track.layers.values():
                figures = counters.get(layer.mid)
                if figures is not None:
                    layer.received = figures.packets_in
                    layer.uplink.read(figures.packets_in, figures.lost_in)

    def ask_keyframe(self, mid: str) -> None:
        if self._closed or self._janus is None or self.handle is None:
            return
        task = asyncio.get_running_loop().create_task(self._keyframe(self._janus, self.handle, mid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _keyframe(janus: JanusConnection, handle: int, mid: str) -> None:
        try:
            plugin_data(await janus.message(handle, {"request": "configure", "keyframe": True}))
        except (JanusGone, JanusError) as exc:
            logger.debug("janus: keyframe request for %s: %s", mid, exc)

    def _on_event(self, event: Event) -> None:
        # Janus lets subscribers take a feed only once its PeerConnection is up, and drops a
        # feed whose connection went (``hangup``; the others hear ``unpublished``/``leaving``):
        # subscriptions follow that, whatever the Room believes until the client says so.
        kind = event.get("janus")
        if kind == "webrtcup":
            self._up = True
            if self.feed_id is not None:
                self.room.feed_live(self.feed_id)
        elif kind == "hangup" and self.feed_id is not None:
            self.room.feed_gone(self.feed_id)
        elif kind == "event":
            data = event.get("plugindata", {}).get("data", {})
            for key in ("unpublished", "leaving"):
                if isinstance(data.get(key), int):
                    self.room.feed_gone(data[key])

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.room.publishers.discard(self)
        for task in list(self._tasks):
            task.cancel()
        if self.feed_id is not None:
            self.room.feed_gone(self.feed_id)
            await self.room.park(self.feed_id)
        if self._janus is not None and self.handle is not None:
            self.room.placement.handles_changed(-1)
            await self._janus.detach(self.handle)


class JanusMediaRoom:
    """One meeting's VideoRoom on one Janus instance: the meeting's ``PeerFactory``."""

    #: a publisher's second video section is its camera's small layer (``joined.video_layers``)
    video_layers = True

    def __init__(self, meeting_id: str, placement: Placement, bitrate: int = 0,
                 room_key: bytes | None = None) -> None:
        self.meeting_id = meeting_id
        self.placement = placement
        self.room_id = secrets.randbelow(2**52) + 1
        room_key = room_key if room_key is not None else secrets.token_bytes(32)
        self._secret = room_secret(room_key, meeting_id, self.room_id)
        self.pin = room_pin(room_key, self.room_id)
        self._bitrate = bitrate
        self._created_on: JanusConnection | None = None
        self._lock = asyncio.Lock()
        self.subscribers: set[JanusSubscriber] = set()
        self.publishers: set[JanusPublisher] = set()  # those Janus answered
        #: feeds whose publisher connection is up: only those can be subscribed to
        self.live_feeds: set[int] = set()
        self._tasks: set[asyncio.Task] = set()
        #: the room's silent parking feed, where sections that carry nobody are switched
        self.parking_feed = 0
        self.closing = False
        self.parking_mids = {str(s["type"]): str(s["mid"]) for s in PARKING_STREAMS}

    def parked(self, count: int) -> list[dict[str, Any]]:
        """``count`` sections of each kind carrying the parking feed (to subscribe)."""
        return [{"feed": self.parking_feed, "mid": mid} for mid in self.parking_mids.values() for _ in range(count)]

    async def park(self, feed_id: int) -> None:
        """Before a publisher goes, every subscriber's sections carrying it are parked (not
        while the whole room closes)."""
        if self.closing:
            return
        await asyncio.gather(*(s.park(feed_id) for s in list(self.subscribers)), return_exceptions=True)

    def publisher(self, attendee_id: str, on_layers: LayersNotice | None = None) -> JanusPublisher:
        return JanusPublisher(self, attendee_id, on_layers)

    def subscriber(self, send_offer: SendOffer, send_tracks: SendTracks,
                   on_video: VideoNotice | None = None) -> JanusSubscriber:
        subscriber = JanusSubscriber(self, send_offer, send_tracks, on_video)
        self.subscribers.add(subscriber)
        return subscriber

    def forget(self, subscriber: JanusSubscriber) -> None:
        self.subscribers.discard(subscriber)

    def layers_changed(self) -> None:
        """What some subscriber takes of a camera changed: each publisher of two layers is told
        which to send."""
        for publisher in list(self.publishers):
            camera = publisher.tracks.get("video")
            if camera is None or len(camera.layers) < 2:
                continue
            key = (camera.feed_id, camera.mid)
            publisher.tell_layers({s.taking[key] for s in self.subscribers if key in s.taking})

    def feed_live(self, feed_id: int) -> None:
        """A publisher's connection is up: whoever wants its streams gets them now."""
        self.live_feeds.add(feed_id)
        for subscriber in list(self.subscribers):
            task = asyncio.get_running_loop().create_task(subscriber.refresh())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def feed_gone(self, feed_id: int) -> None:
        self.live_feeds.discard(feed_id)

    async def ready(self) -> JanusConnection:
        """The instance's connection, with this meeting's VideoRoom created on it."""
        async with self._lock:
            janus = self.placement.connection()
            if janus is None:
                raise unavailable()
            if self._created_on is janus:
                return janus
            try:
                handle = await janus.attach(VIDEOROOM, lambda event: None)
                try:
                    plugin_data(await janus.message(handle, {
                        "request": "create", "room": self.room_id, "secret": self._secret,
                        "description": f"{DESCRIPTION_PREFIX}{self.meeting_id}"[:120], "is_private": False,
                        "pin": self.pin,
                        "publishers": MAX_PUBLISHERS, "bitrate": self._bitrate, "fir_freq": 10,
                        "audiocodec": "opus", "videocodec": "vp8", "notify_joining": False,
                        "permanent": False}))
                    parking = plugin_data(await janus.message(handle, {
                        "request": "add_remote_publisher", "room": self.room_id, "secret": self._secret,
                        "display": "", "iface": "127.0.0.1", "port": 0, "streams": PARKING_STREAMS}))
                finally:
                    await janus.detach(handle)
            except JanusGone:
                raise unavailable() from None
            except JanusError as exc:
                raise ProtocolError(ErrorCode.INTERNAL_ERROR, f"the media server could not open this meeting: {exc.reason}") from None
            self.parking_feed = int(parking["id"])
            self.live_feeds.add(self.parking_feed)
            self._created_on = janus
            return janus

    async def close(self) -> None:
        """The meeting left this server: its VideoRoom is destroyed (quietly if Janus is gone)."""
        self.closing = True
        janus = self._created_on
        self._created_on = None
        if janus is None or janus.closed:
            return
        try:
            handle = await janus.attach(VIDEOROOM, lambda event: None)
            try:
                await janus.message(handle, {"request": "destroy", "room": self.room_id, "secret": self._secret})
            finally:
                await janus.detach(handle)
        except (JanusGone, JanusError) as exc:
            logger.debug("janus: destroying room of %s: %s", self.meeting_id, exc)
