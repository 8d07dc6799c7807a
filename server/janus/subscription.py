"""A participant's receive connection on Janus: one multistream subscriber handle, whose
m-lines are used like the built-in unit's sections (``Subscriber``).

Janus makes an m-line inactive when its source is unsubscribed or leaves, and gives it new SSRCs
when it fills it again, which an aiortc receiver cannot route (it learns a section's SSRCs
once). So no section is ever let go: one that carries nobody is switched to the room's *parking
feed* (a remote publisher nothing is sent to); a wanted source takes a parked section of its
kind by ``switch`` (no renegotiation, ``tracks_updated``); only when none is left does an
``update`` add sections (with ``SPARE_SECTIONS`` parked ones more), and a publisher about to go
is parked out of every subscription first. Sections Janus closed by itself (a publisher whose
connection went) are filled with the parking feed for good when Janus revives them.

Layers (layers.py): a camera's section carries the stream of the layer chosen for this
subscriber, and moves to the other layer by ``switch`` (Janus asks the new layer for a keyframe;
the section keeps its SSRC). A camera whose tile is hidden is *held*: its section is parked,
while the client is still told it is that camera's (as the built-in unit keeps a hidden tile's
section bound and sends nothing on it). What the subscriber receives of each camera is told as
the built-in unit tells it (``on_video``: the room's ``video_paused``, never paused here).

Whenever Janus offers (the first ``join``, an ``update``, or by itself), the offer goes to the
client as ``subscribe_offer`` with the map mid -> attendee read from Janus's ``streams``
(``feed_display`` is the attendee id); the client's answer is sent back with ``start``. No
request is made while an offer waits for its answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from wire import ErrorCode, ProtocolError, TileNeed, TrackInfo

from ..sfu.offer import vet_subscribe_answer
from .admin import LossMeter, MediaCounters
from .connection import Event, JanusConnection, JanusError, JanusGone, plugin_data
from .layers import LinkWatch, choose_layer
from .tracks import VIDEOROOM, JanusTrack, missing_feed, unavailable

logger = logging.getLogger(__name__)

#: Parked sections of each kind added whenever a subscription is renegotiated anyway (as the
#: built-in unit's SPARE_SECTIONS): the next people reach a subscriber by a switch, not an offer.
SPARE_SECTIONS = 2

SendOffer = Callable[[str, list[TrackInfo]], Awaitable[None]]
SendTracks = Callable[[list[TrackInfo]], Awaitable[None]]
#: (attendee id, paused, why or None, the layer forwarded or None): server/rooms/media.py
VideoNotice = Callable[[str, bool, "str | None", "str | None"], None]
Camera = tuple[int, str]  # (feed id, the mid of its whole picture)


class Placement(Protocol):
    def handles_changed(self, delta: int) -> None: ...


class RoomSide(Protocol):
    """What a subscription uses of its meeting's VideoRoom (videoroom.JanusMediaRoom)."""

    room_id: int
    pin: str
    parking_feed: int
    parking_mids: dict[str, str]
    live_feeds: set[int]
    placement: Placement

    async def ready(self) -> JanusConnection: ...

    def parked(self, count: int) -> list[dict[str, Any]]: ...

    def feed_gone(self, feed_id: int) -> None: ...

    def forget(self, subscriber: "JanusSubscriber") -> None: ...

    def layers_changed(self) -> None: ...


class JanusSubscriber:
    """A participant's receive connection, offered by Janus (``Subscriber``)."""

    def __init__(self, room: RoomSide, send_offer: SendOffer, send_tracks: SendTracks,
                 on_video: VideoNotice | None = None, link: LinkWatch | None = None) -> None:
        self.room = room
        self._send_offer = send_offer
        self._send_tracks = send_tracks
        self._on_video = on_video
        self._janus: JanusConnection | None = None
        self.handle: int | None = None
        self._desired: dict[tuple[str, str], JanusTrack] = {}
        self._streams: list[dict[str, Any]] = []  # Janus's latest summary of our m-lines
        #: sections Janus closed and filled again (new SSRCs): parked for good, never switched
        self._revived: set[str] = set()
        #: parked sections that stand for a camera whose tile is hidden: mid -> (camera, attendee)
        self._held: dict[str, tuple[Camera, str]] = {}
        self._needs: dict[str, TileNeed] = {}
        self.link = link or LinkWatch()
        self._downlink = LossMeter()
        self._out_seen: dict[str, int] = {}  # mid -> packets Janus had sent on it at the last reading
        self._video_told: dict[str, str | None] = {}  # attendee -> the layer last told
        #: camera -> the layer this subscriber takes of it (not hidden ones): the room's dynacast
        self.taking: dict[Camera, str] = {}
        self._told: list[TrackInfo] = []
        self._offer_pending = False
        self._dirty = False
        self._closed = False
        self._lock = asyncio.Lock()
        self._sending: set[asyncio.Task] = set()

    def tracks(self) -> list[TrackInfo]:
        infos = []
        for stream in self._streams:
            kind, mid = stream.get("type"), str(stream.get("mid"))
            if kind not in ("audio", "video"):
                continue
            active = (stream.get("active", True) and stream.get("feed_id") is not None
                      and stream.get("feed_id") != self.room.parking_feed)
            attendee = str(stream.get("feed_display")) if active else None
            if not active and mid in self._held:
                attendee = self._held[mid][1]
            infos.append(TrackInfo(mid=mid, kind=kind, attendee_id=attendee))
        return infos

    def set_needs(self, tiles: list[TileNeed]) -> None:
        """What the participant shows of each video (``video_needs``): the layers follow."""
        self._needs = {tile.attendee_id: tile for tile in tiles}
        self._spawn(self._apply())

    def observe(self, counters: dict[str, MediaCounters]) -> None:
        """Janus's counters of this handle (Admin API): the packets it sent of each source go to
        that source's forwarded count, and the share the client lost of its video decides
        whether its link is poor (its cameras then come at their small layer)."""
        layers = {(t.feed_id, layer.mid): layer for t in self._desired.values() for layer in t.layers.values()}
        sent = lost = 0
        for stream in self._streams:
            mid = str(stream.get("mid"))
            figures = counters.get(mid)
            if figures is None:
                continue
            before, self._out_seen[mid] = self._out_seen.get(mid, 0), figures.packets_out
            source = layers.get((stream.get("feed_id"), str(stream.get("feed_mid"))))
            if source is not None and figures.packets_out > before:
                source.forwarded += figures.packets_out - before
            if figures.kind == "video":
                sent += figures.packets_out
                lost += figures.lost_by_remote
        self.link_reading(self._downlink.read(sent, lost))

    def link_reading(self, loss: float | None) -> None:
        """The share of the video sent to this subscriber that it lost since the last reading
        (None: too few packets to tell); a change of the link's state moves its layers."""
        if self.link.observe(loss):
            logger.info("janus: a subscriber's downlink is %s (%.1f%% lost): its cameras at %s",
                        "poor" if self.link.poor else "good again", 100 * (loss or 0.0),
                        "the small layer" if self.link.poor else "the layer their tiles need")
            self._spawn(self._apply())

    async def update(self, desired: dict[tuple[str, str], Any]) -> None:
        self._desired = {key: track for key, track in desired.items() if isinstance(track, JanusTrack)}
        await self._apply()

    async def refresh(self) -> None:
        """Subscribe again to what is wanted (a feed became available)."""
        await self._apply()

    def _layer(self, track: JanusTrack) -> str | None:
        if track.kind != "video":
            return track.layer
        return choose_layer(list(track.layers), self._needs.get(track.attendee_id), self.link.poor)

    @staticmethod
    def _smallest(track: JanusTrack) -> str:
        return choose_layer(list(track.layers), None, True) or track.layer

    async def _apply(self) -> None:
        """Carry exactly what is wanted, each camera at its layer: a section no longer wanted is
        parked, a wanted source takes a parked section of its kind (``switch``), a camera moves
        between its layers or is held by ``switch``, and only when no parked section is left are
        sections added (``update``, with ``SPARE_SECTIONS`` parked ones of each kind besides)."""
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
                    gone = missing_feed(exc)
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
        want = {(t.feed_id, t.mid): t for t in self._desired.values() if t.feed_id in room.live_feeds}
        target = {camera: self._layer(t) for camera, t in want.items()}
        if self.handle is None:
            await self._join(want, target)
            return
        assert self._janus is not None
        layer_of = {(t.feed_id, layer.mid): (camera, name) for camera, t in want.items() for name, layer in t.layers.items()}
        carried: dict[Camera, tuple[str, str | None]] = {}  # camera -> (its mid, the layer on it; None: held)
        parked: dict[str, list[str]] = {"audio": [], "video": []}
        dead: dict[str, list[str]] = {"audio": [], "video": []}
        unwanted: list[tuple[str, str]] = []
        held: dict[str, tuple[Camera, str]] = {}
        for stream in self._streams:
            kind, sub_mid = stream.get("type"), str(stream.get("mid"))
            if kind not in parked:
                continue
            if not stream.get("active", True) or stream.get("feed_id") is None:
                dead[kind].append(sub_mid)  # closed by Janus (its source left unannounced)
            elif stream["feed_id"] == room.parking_feed:
                hold = self._held.get(sub_mid)
                if hold is not None and hold[0] in want and hold[0] not in carried:
                    carried[hold[0]] = (sub_mid, None)
                    held[sub_mid] = hold
                elif sub_mid not in self._revived:
                    parked[kind].append(sub_mid)
            else:
                source = layer_of.get((stream["feed_id"], str(stream.get("feed_mid"))))
                if source is None or source[0] in carried:
                    unwanted.append((sub_mid, str(kind)))
                else:
                    carried[source[0]] = (sub_mid, source[1])
        self._held = held
        switches = []
        for sub_mid, kind in sorted(unwanted, key=lambda item: item[0]):
            switches.append(self._parking(kind, sub_mid))
            parked[kind].append(sub_mid)
        for camera, (sub_mid, now) in sorted(carried.items(), key=lambda item: item[1][0]):
            track, name = want[camera], target[camera]
            if name == now:
                continue
            if name is None:
                switches.append(self._parking(track.kind, sub_mid))
                self._held[sub_mid] = (camera, track.attendee_id)
            else:
                switches.append({"feed": track.feed_id, "mid": track.layers[name].mid, "sub_mid": sub_mid})
                self._held.pop(sub_mid, None)
        subscribe = []
        for camera, track in sorted(want.items()):
            if camera in carried:
                continue
            name = target[camera]
            if parked[track.kind]:
                sub_mid = parked[track.kind].pop(0)
                if name is None:
                    self._held[sub_mid] = (camera, track.attendee_id)  # stays parked, told as this camera's
                else:
                    switches.append({"feed": track.feed_id, "mid": track.layers[name].mid, "sub_mid": sub_mid})
            else:
                subscribe.append({"feed": track.feed_id, "mid": track.layers[name or self._smallest(track)].mid})
                if name is None:
                    self._dirty = True  # held once the offer that adds its section is answered
        if switches:
            reply = await self._janus.message(self.handle, {"request": "switch", "streams": switches})
            self._take(plugin_data(reply), reply.get("jsep"))
        if subscribe:
            # Janus fills closed sections first, in order, and gives them new SSRCs, which this
            # client's receiver would not route: they take the parking feed for good (revived).
            absorb = [{"feed": room.parking_feed, "mid": room.parking_mids[kind]}
                      for kind, mids in dead.items() for _ in mids]
            logger.debug("janus: subscription adds %d section(s), %d closed one(s) absorbed", len(subscribe), len(absorb))
            reply = await self._janus.message(self.handle, {
                "request": "update", "subscribe": absorb + subscribe + room.parked(SPARE_SECTIONS)})
            self._take(plugin_data(reply), reply.get("jsep"))
            self._revived |= {mid for mids in dead.values() for mid in mids}
        self._tell_tracks()
        self._tell_videos(want, target)

    def _take_layers(self, want: dict[Camera, JanusTrack], target: dict[Camera, str | None]) -> None:
        taking = {camera: name for camera, name in target.items() if name is not None and want[camera].kind == "video"}
        if taking != self.taking:
            self.taking = taking
            self.room.layers_changed()

    async def _join(self, want: dict[Camera, JanusTrack], target: dict[Camera, str | None]) -> None:
        """The first subscription: the handle, and ``join`` with every wanted source (a hidden
        camera at its small layer, held once the offer is answered)."""
        if not want:
            return
        room = self.room
        janus = await room.ready()
        self.handle = await janus.attach(VIDEOROOM, self._on_event)
        self._janus = janus
        room.placement.handles_changed(+1)
        streams = [{"feed": t.feed_id, "mid": t.layers[target[camera] or self._smallest(t)].mid}
                   for camera, t in sorted(want.items())] + room.parked(SPARE_SECTIONS)
        try:
            reply = await janus.message(self.handle, {
                "request": "join", "room": room.room_id, "pin": room.pin, "ptype": "subscriber", "streams": streams})
            self._take(plugin_data(reply), reply.get("jsep"))
        except JanusError:
            handle, self.handle = self.handle, None  # joined nothing: start again next time
            room.placement.handles_changed(-1)
            await janus.detach(handle)
            raise
        self._dirty = self._dirty or any(name is None for name in target.values())
        self._tell_videos(want, target)

    def _parking(self, kind: str, sub_mid: str) -> dict[str, Any]:
        return {"feed": self.room.parking_feed, "mid": self.room.parking_mids[kind], "sub_mid": sub_mid}

    def _tell_tracks(self) -> None:
        """A held section changes the map the client knows without any word from Janus."""
        tracks = self.tracks()
        if not self._offer_pending and tracks != self._told:
            self._told = tracks
            self._spawn(self._send_tracks(tracks))

    def _tell_videos(self, want: dict[Camera, JanusTrack], target: dict[Camera, str | None]) -> None:
        """Each camera's layer as the built-in unit tells it (``video_paused``, never paused)."""
        self._take_layers(want, target)
        shown = set()
        for camera, track in want.items():
            if track.kind != "video":
                continue
            shown.add(track.attendee_id)
            layer = target[camera]
            if track.attendee_id in self._video_told and self._video_told[track.attendee_id] == layer:
                continue
            self._video_told[track.attendee_id] = layer
            if self._on_video is not None:
                self._on_video(track.attendee_id, False, None, layer)
        for attendee_id in set(self._video_told) - shown:
            del self._video_told[attendee_id]

    async def park(self, feed_id: int) -> None:
        """``feed_id`` is about to go: its sections are parked first, so that Janus never closes
        them (a section Janus closes comes back, if ever, with new SSRCs, which an aiortc client
        that has received on it cannot route)."""
        async with self._lock:
            if self._closed or self._janus is None or self.handle is None:
                return
            room = self.room
            self._held = {mid: hold for mid, hold in self._held.items() if hold[0][0] != feed_id}
            switches = [self._parking(str(s["type"]), str(s["mid"]))
                        for s in self._streams
                        if s.get("feed_id") == feed_id and s.get("type") in room.parking_mids]
            try:
                if switches:
                    reply = await self._janus.message(self.handle, {"request": "switch", "streams": switches})
                    self._take(plugin_data(reply), reply.get("jsep"))
            except (JanusGone, JanusError) as exc:
                logger.info("janus: parking a subscriber's sections: %s", exc)
            self._tell_tracks()

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
            if not self._offer_pending or self._janus is None or self.handle is None:
                raise ProtocolError(ErrorCode.NEGOTIATION_FAILED, "no offer is waiting for an answer")
            vet_subscribe_answer(answer_sdp)
            try:
                reply = await self._janus.message(self.handle, {"request": "start"},
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
        self.room.forget(self)
        if self.taking:
            self.taking = {}
            self.room.layers_changed()
        if self._janus is not None and self.handle is not None:
            self.room.placement.handles_changed(-1)
            await self._janus.detach(self.handle)
