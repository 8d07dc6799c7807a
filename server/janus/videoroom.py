"""One meeting's media on Janus: a VideoRoom, a publisher handle and a subscriber handle per
participant. These are the room's peers (``server.rooms.media``: ``PeerFactory``,
``Publisher``, ``Subscriber``, ``PublishedTrack``), so :class:`~server.rooms.room.Room` drives
Janus exactly as it drives the built-in forwarding unit, and the clients cannot tell.

- Publishing: the client's ``publish`` offer (vetted as for the built-in unit) goes to a new
  handle as ``joinandconfigure`` (ptype publisher, display = the attendee id); Janus's JSEP answer
  is the ``publish_answer``. Each stream Janus reports becomes a :class:`JanusTrack` (its feed id
  and the publisher's mid).
- Receiving: one multistream subscriber handle per participant, whose m-lines are used like the
  built-in unit's sections. Janus makes an m-line inactive when its source is unsubscribed or
  leaves, and gives it new SSRCs when it fills it again, which an aiortc receiver cannot route
  (it learns a section's SSRCs once). So no section is ever let go: one that carries nobody is
  switched to the room's *parking feed* (a remote publisher nothing is sent to); a wanted source
  takes a parked section of its kind by ``switch`` (no renegotiation, ``tracks_updated``); only
  when none is left does an ``update`` add sections (with ``SPARE_SECTIONS`` parked ones more),
  and a publisher about to go is parked out of every subscription first. Sections Janus closed
  by itself (a publisher whose connection went) are filled with the parking feed for good when
  Janus revives them. Whenever Janus offers (the first ``join``, an ``update``, or by itself),
  the offer goes to the client as ``subscribe_offer`` with the map mid → attendee read from
  Janus's ``streams`` (``feed_display`` is the attendee id); the client's answer is sent back
  with ``start``. No request is made while an offer waits for its answer.
- Feeds: Janus lets a feed be subscribed only once its publisher's connection is up
  (``webrtcup``): subscriptions take it then (``feed_live``), and drop it when Janus does.
- Keyframes: ``configure`` with ``keyframe: true`` on the publisher's handle (at most one per
  ``KEYFRAME_INTERVAL`` per publisher). Janus also asks publishers for one by itself when a new
  subscriber stream starts.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from wire import ErrorCode, ProtocolError, TrackInfo

from ..sfu.offer import vet_publish_offer, vet_subscribe_answer
from .connection import Event, JanusConnection, JanusError, JanusGone, plugin_data

logger = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
#: Keyframe requests per publisher are coalesced to one in this many seconds (as the built-in unit).
KEYFRAME_INTERVAL = 0.25
#: VideoRoom caps publishers per room; every participant publishes (its microphone at least),
#: and the 16 cameras and 2 shares are Parley's own rules (server/rooms/slots.py).
MAX_PUBLISHERS = 1000
#: Parked sections of each kind added whenever a subscription is renegotiated anyway (as the
#: built-in unit's SPARE_SECTIONS): the next people reach a subscriber by a switch, not an offer.
SPARE_SECTIONS = 2
#: The parking feed's streams: a remote publisher nothing is ever sent to.
PARKING_STREAMS = [{"type": "audio", "mindex": 0, "mid": "0", "codec": "opus"},
                   {"type": "video", "mindex": 1, "mid": "1", "codec": "vp8"}]

SendOffer = Callable[[str, list[TrackInfo]], Awaitable[None]]
SendTracks = Callable[[list[TrackInfo]], Awaitable[None]]


class Placement(Protocol):
    """Where a meeting's VideoRoom lives: the instance's connection, or None while none is up."""

    def connection(self) -> JanusConnection | None: ...

    def handles_changed(self, delta: int) -> None: ...


#: VideoRoom's error code for a feed that is not (or no longer) there
NO_SUCH_FEED = 428


def _missing_feed(error: JanusError) -> int | None:
    """The feed a ``No such feed (ID)`` refusal names, if that is what it is."""
    if error.code != NO_SUCH_FEED:
        return None
    digits = "".join(c if c.isdigit() else " " for c in error.reason).split()
    return int(digits[-1]) if digits else None


def unavailable() -> ProtocolError:
    # retryable for the clients (desktop/session/link.py): they come back and publish again
    return ProtocolError(ErrorCode.SERVER_RESTARTING, "the media server is not reachable; try again")


class JanusTrack:
    """One published stream: the publisher's feed id and mid (``PublishedTrack``)."""

    def __init__(self, publisher: "JanusPublisher", kind: str, feed_id: int, mid: str) -> None:
        self.publisher = publisher
        self.kind = kind
        self.feed_id = feed_id
        self.mid = mid
        self._last_keyframe_request = float("-inf")

    @property
    def packets_received(self) -> int:
        return 0  # Janus counts these itself (Admin API handle_info), not Parley

    @property
    def packets_forwarded(self) -> int:
        return 0

    def request_keyframe(self) -> None:
        now = time.monotonic()
        if self.kind != "video" or now - self._last_keyframe_request < KEYFRAME_INTERVAL:
            return
        self._last_keyframe_request = now
        self.publisher.ask_keyframe(self.mid)

    def recent_loss(self) -> float | None:
        return None  # Janus's RTCP figures stay in Janus


class JanusPublisher:
    """A participant's publish connection, answered by Janus (``Publisher``)."""

    def __init__(self, room: "JanusMediaRoom", attendee_id: str) -> None:
        self.room = room
        self.attendee_id = attendee_id
        self.tracks: dict[str, JanusTrack] = {}
        self._janus: JanusConnection | None = None
        self._handle: int | None = None
        self._closed = False
        self._tasks: set[asyncio.Task] = set()
        self.feed_id: int | None = None
        self._up = False  # its PeerConnection is up (Janus's ``webrtcup``)

    async def answer(self, offer_sdp: str) -> str:
        vet_publish_offer(offer_sdp)  # the same refusals as the built-in unit, before Janus sees it
        janus = await self.room.ready()
        try:
            self._handle = await janus.attach(VIDEOROOM, self._on_event)
            self._janus = janus
            self.room.placement.handles_changed(+1)
            reply = await janus.message(self._handle, {
                "request": "joinandconfigure", "room": self.room.room_id, "ptype": "publisher",
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
        for stream in data.get("streams", []):
            kind = stream.get("type")
            if kind in ("audio", "video") and not stream.get("disabled"):
                self.tracks[kind] = JanusTrack(self, kind, feed_id, str(stream["mid"]))
        return str(jsep["sdp"])

    def ask_keyframe(self, mid: str) -> None:
        if self._closed or self._janus is None or self._handle is None:
            return
        task = asyncio.get_running_loop().create_task(self._keyframe(self._janus, self._handle, mid))
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
        for task in list(self._tasks):
            task.cancel()
        if self.feed_id is not None:
            self.room.feed_gone(self.feed_id)
            await self.room.park(self.feed_id)
        if self._janus is not None and self._handle is not None:
            self.room.placement.handles_changed(-1)
            await self._janus.detach(self._handle)


class JanusSubscriber:
    """A participant's receive connection, offered by Janus (``Subscriber``)."""

    def __init__(self, room: "JanusMediaRoom", send_offer: SendOffer, send_tracks: SendTracks) -> None:
        self.room = room
        self._send_offer = send_offer
        self._send_tracks = send_tracks
        self._janus: JanusConnection | None = None
        self._handle: int | None = None
        self._desired: dict[tuple[str, str], JanusTrack] = {}
        self._streams: list[dict[str, Any]] = []  # Janus's latest summary of our m-lines
        #: sections Janus closed and filled again (new SSRCs): parked for good, never switched
        self._revived: set[str] = set()
        self._told: list[TrackInfo] = []
        self._offer_pending = False
        self._dirty = False
        self._closed = False
        self._lock = asyncio.Lock()
        self._sending: set[asyncio.Task] = set()

    def tracks(self) -> list[TrackInfo]:
        infos = []
        for stream in self._streams:
            kind = stream.get("type")
            if kind not in ("audio", "video"):
                continue
            active = (stream.get("active", True) and stream.get("feed_id") is not None
                      and stream.get("feed_id") != self.room.parking_feed)
            infos.append(TrackInfo(mid=str(stream["mid"]), kind=kind,
                                   attendee_id=str(stream.get("feed_display")) if active else None))
        return infos

    async def update(self, desired: dict[tuple[str, str], Any]) -> None:
        self._desired = {key: track for key, track in desired.items() if isinstance(track, JanusTrack)}
        await self._apply()

    async def refresh(self) -> None:
        """Subscribe again to what is wanted (a feed became available)."""
        await self._apply()

    async def _apply(self) -> None:
        """Carry exactly what is wanted: a section (m-line) no longer wanted is parked (switched
        to the room's silent parking feed), a wanted source takes a parked section of its kind
        (``switch``: no renegotiation), and only when none is left are sections added
        (``update``, with ``SPARE_SECTIONS`` parked ones of each kind besides: one offer)."""
        async with self._lock:
            if self._closed:
                return
            if self._offer_pending:
                self._dirty = True  # made once the answer is in
                return
            try:
                try:
                    await self._apply_now()
                except JanusError as exc:
                    gone = _missing_feed(exc)
                    if gone is None:
                        raise
                    self.room.feed_gone(gone)  # it left between our look and our request
                    await self._apply_now()
            except ProtocolError:
                raise
            except JanusGone as exc:
                logger.info("janus: subscription not updated, janus is gone: %s", exc)
            except JanusError as exc:
                # a stream that went away meanwhile (its publisher left): Janus tells us by itself
                logger.info("janus: subscription update refused: %s", exc)

    async def _apply_now(self) -> None:
        room = self.room
        want = {(t.feed_id, t.mid): t.kind for t in self._desired.values() if t.feed_id in room.live_feeds}
        if self._handle is None:
            if not want:
                return
            janus = await room.ready()
            self._handle = await janus.attach(VIDEOROOM, self._on_event)
            self._janus = janus
            room.placement.handles_changed(+1)
            streams = [{"feed": feed, "mid": mid} for feed, mid in sorted(want)] + room.parked(SPARE_SECTIONS)
            try:
                reply = await janus.message(self._handle, {
                    "request": "join", "room": room.room_id, "ptype": "subscriber", "streams": streams})
                self._take(plugin_data(reply), reply.get("jsep"))
            except JanusError:
                handle, self._handle = self._handle, None  # joined nothing: start again next time
                room.placement.handles_changed(-1)
                await janus.detach(handle)
                raise
            return
        assert self._janus is not None
        carried: dict[tuple[int, str], str] = {}
        parked: dict[str, list[str]] = {"audio": [], "video": []}
        dead: dict[str, list[str]] = {"audio": [], "video": []}
        for stream in self._streams:
            kind, sub_mid = stream.get("type"), str(stream.get("mid"))
            if kind not in parked:
                continue
            if not stream.get("active", True) or stream.get("feed_id") is None:
                dead[kind].append(sub_mid)  # closed by Janus (its source left unannounced)
            elif stream["feed_id"] == room.parking_feed:
                if sub_mid not in self._revived:
                    parked[kind].append(sub_mid)
            else:
                carried[(stream["feed_id"], str(stream.get("feed_mid")))] = sub_mid
        switches = []
        for key, sub_mid in sorted(carried.items(), key=lambda item: item[1]):
            if key not in want:
                kind = next(str(s.get("type")) for s in self._streams if str(s.get("mid")) == sub_mid)
                switches.append({"feed": room.parking_feed, "mid": room.parking_mids[kind], "sub_mid": sub_mid})
                parked[kind].append(sub_mid)
        subscribe = []
        for (feed, mid), kind in sorted(want.items()):
            if (feed, mid) in carried:
                continue
            if parked[kind]:
                switches.append({"feed": feed, "mid": mid, "sub_mid": parked[kind].pop(0)})
            else:
                subscribe.append({"feed": feed, "mid": mid})
        if switches:
            reply = await self._janus.message(self._handle, {"request": "switch", "streams": switches})
            self._take(plugin_data(reply), reply.get("jsep"))
        if subscribe:
            # Janus fills closed sections first, in order, and gives them new SSRCs, which this
            # client's receiver would not route: they take the parking feed for good (revived).
            absorb = [{"feed": room.parking_feed, "mid": room.parking_mids[kind]}
                      for kind, mids in dead.items() for _ in mids]
            logger.debug("janus: subscription adds %d section(s), %d closed one(s) absorbed", len(subscribe), len(absorb))
            reply = await self._janus.message(self._handle, {
                "request": "update", "subscribe": absorb + subscribe + room.parked(SPARE_SECTIONS)})
            self._take(plugin_data(reply), reply.get("jsep"))
            self._revived |= {mid for mids in dead.values() for mid in mids}

    async def park(self, feed_id: int) -> None:
        """``feed_id`` is about to go: its sections are parked first, so that Janus never closes
        them (a section Janus closes comes back, if ever, with new SSRCs, which an aiortc client
        that has received on it cannot route)."""
        async with self._lock:
            if self._closed or self._janus is None or self._handle is None:
                return
            room = self.room
            switches = [{"feed": room.parking_feed, "mid": room.parking_mids[str(s["type"])], "sub_mid": str(s["mid"])}
                        for s in self._streams
                        if s.get("feed_id") == feed_id and s.get("type") in room.parking_mids]
            if not switches:
                return
            try:
                reply = await self._janus.message(self._handle, {"request": "switch", "streams": switches})
                self._take(plugin_data(reply), reply.get("jsep"))
            except (JanusGone, JanusError) as exc:
                logger.info("janus: parking a subscriber's sections: %s", exc)

    def _on_event(self, event: Event) -> None:
        if event.get("janus") != "event":
            return
        try:
            data = plugin_data(event)
        except JanusError as exc:
            logger.info("janus: subscriber event: %s", exc)
            return
        self._take(data, event.get("jsep"))

    def _take(self, data: dict[str, Any], jsep: Event | None) -> None:
        """Janus's word on our subscription: its streams, and an offer to pass on."""
        if self._closed:
            return
        if isinstance(data.get("streams"), list):
            self._streams = data["streams"]
        tracks = self.tracks()
        if jsep and jsep.get("type") == "offer":
            self._offer_pending = True
            self._told = tracks
            self._spawn(self._send_offer(str(jsep["sdp"]), tracks))
        elif tracks != self._told and data.get("streams") is not None:
            self._told = tracks
            self._spawn(self._send_tracks(tracks))

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def on_answer(self, answer_sdp: str) -> None:
        async with self._lock:
            if not self._offer_pending or self._janus is None or self._handle is None:
                raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, "no offer is waiting for an answer")
            vet_subscribe_answer(answer_sdp)
            try:
                reply = await self._janus.message(self._handle, {"request": "start"},
                                                  {"type": "answer", "sdp": answer_sdp})
                plugin_data(reply)
            except JanusGone:
                raise unavailable() from None
            except JanusError as exc:
                raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, f"the media server refused this answer: {exc.reason}") from None
            self._offer_pending = False
            dirty, self._dirty = self._dirty, False
        if dirty:
            await self._apply()

    async def close(self) -> None:
        async with self._lock:
            if self._closed:
                return
            self._closed = True
        self.room.subscribers.discard(self)
        if self._janus is not None and self._handle is not None:
            self.room.placement.handles_changed(-1)
            await self._janus.detach(self._handle)


class JanusMediaRoom:
    """One meeting's VideoRoom on one Janus instance: the meeting's ``PeerFactory``."""

    def __init__(self, meeting_id: str, placement: Placement, bitrate: int = 0) -> None:
        self.meeting_id = meeting_id
        self.placement = placement
        self.room_id = secrets.randbelow(2**52) + 1
        self._secret = secrets.token_urlsafe(16)
        self._bitrate = bitrate
        self._created_on: JanusConnection | None = None
        self._lock = asyncio.Lock()
        self.subscribers: set[JanusSubscriber] = set()
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

    def publisher(self, attendee_id: str) -> JanusPublisher:
        return JanusPublisher(self, attendee_id)

    def subscriber(self, send_offer: SendOffer, send_tracks: SendTracks) -> JanusSubscriber:
        subscriber = JanusSubscriber(self, send_offer, send_tracks)
        self.subscribers.add(subscriber)
        return subscriber

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
                        "description": f"parley {self.meeting_id}"[:120], "is_private": True,
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
