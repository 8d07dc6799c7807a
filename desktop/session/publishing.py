"""What I send: my microphone and camera on the publish connection, mute, and my volume. No Qt.

The publisher negotiates both sections whenever my role may send, so a device can be switched
on or swapped later without a new negotiation; it asks the server for a video slot when the
camera goes on, tells the server when I mute, sends my volume indicator about 5 times a second,
and notices when I talk into a muted microphone ("You're muted").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aiortc import MediaStreamTrack

from wire import (
    Camera,
    CameraState,
    Capability,
    ErrorCode,
    Mute,
    ProtocolError,
    Publish,
    PublishAnswer,
    PublishLayers,
    VideoAvailable,
)

from ..media.ice import IceRoute
from ..media.peers import PublishConnection
from ..media.sender_track import for_sending
from .dispatch import MessageTable
from .events import CameraChanged, CameraRefused, SpeakingWhileMuted, VideoSlotFreed
from .participant import Participant
from .ports import Signalling
from ..tasks import TaskOwner
from .volume import VolumeReporter, volume_from_level

#: "You're muted": speech (a volume indicator this high) for this long, at most this often
MUTED_SPEECH_VOLUME = 0.4
MUTED_SPEECH_SECONDS = 1.0
MUTED_HINT_EVERY = 60.0


class PublisherContext(Protocol):
    """What the publisher reads from the session above it."""

    @property
    def capabilities(self) -> tuple[str, ...]: ...

    @property
    def mute_locked(self) -> bool: ...

    @property
    def reconnecting(self) -> bool: ...

    @property
    def reconnects(self) -> int: ...


class Publisher:
    def __init__(self, signalling: Signalling, context: PublisherContext, tasks: TaskOwner,
                 emit: Callable[[object], None], clock: Callable[[], float], *,
                 watch_media: Callable[[Any, Callable[[], bool]], None],
                 microphone: MediaStreamTrack | None, camera: MediaStreamTrack | None,
                 camera_on: bool, muted: bool, retry_camera_when_free: bool,
                 volume_source: Callable[[], float] | None,
                 route: IceRoute | None = None, video_layers: bool = True,
                 server_layers: Callable[[], bool] = lambda: True) -> None:
        """``watch_media(pc, current)``: the link watches a peer connection for failure;
        ``volume_source``: the microphone's current RMS level 0..1; ``route``: the host
        candidates to offer and the TURN relays to gather from (media/ice.py);
        ``video_layers``: send the camera as two layers (the whole picture and a small one), of
        which the server asks for those anyone receives (``publish_layers``), when
        ``server_layers()`` (the latest ``joined.video_layers``) says the server takes them."""
        self._signalling = signalling
        self._context = context
        self._tasks = tasks
        self._emit = emit
        self._clock = clock
        self._watch_media = watch_media
        self.microphone = microphone
        self.camera = camera
        self.wants_camera = camera_on
        self.camera_on = False
        self.muted = muted
        self.retry_camera_when_free = retry_camera_when_free
        self.volume_source = volume_source
        self._route = route or IceRoute()
        self.video_layers = video_layers
        self._server_layers = server_layers
        #: the layers the server last asked for (None: all, until it says)
        self.layers_wanted: set[str] | None = None
        self.connection: PublishConnection | None = None
        self._reporter = VolumeReporter()
        self._muted_speech_since: float | None = None
        self._muted_hint_at: float | None = None

    def register(self, table: MessageTable) -> None:
        table.register(VideoAvailable, self._on_video_available)
        table.register(PublishLayers, self._on_publish_layers)

    def _on_publish_layers(self, message: PublishLayers) -> None:
        """Dynacast: encode only the layers someone receives."""
        self.layers_wanted = {str(layer) for layer in message.layers}
        if self.connection is not None:
            self.connection.use_layers(self.layers_wanted)

    @property
    def pc(self) -> Any:
        """The publish connection's RTCPeerConnection, for the stats (None: not publishing)."""
        return self.connection.pc if self.connection is not None else None

    # --- publishing -----------------------------------------------------------------------

    async def start(self) -> None:
        """Say I am muted (if so, or if I have no microphone; after a reconnect, whatever I am)
        and publish what my role may send."""
        context = self._context
        if self.microphone is None:  # no microphone at all: muted, as others should see (and
            self.muted = True  # their apps expect no sound of me, nor take my silence for a fault)
        if self.muted or context.reconnects or context.reconnecting:
            await self._signalling.send(Mute(muted=self.muted))
        if {Capability.SEND_AUDIO, Capability.SEND_VIDEO} & set(context.capabilities):
            await self._publish()

    async def _publish(self) -> None:
        audio = Capability.SEND_AUDIO in self._context.capabilities
        video = Capability.SEND_VIDEO in self._context.capabilities
        # each connection gets its own handles on the devices: closing it (a reconnect) must not
        # stop them (aiortc stops a closing sender's track)
        connection = self.connection = PublishConnection(
            for_sending(self.microphone), for_sending(self.camera), audio=audio, video=video,
            ice_addresses=self._route.addresses, relays=self._route.relays,
            layers=self.video_layers and self._server_layers())
        self.layers_wanted = None  # a new connection: the server says again
        self._watch_media(connection.pc, lambda: connection is self.connection)
        connection.send_microphone(not self.muted)
        wants_video = video and self.wants_camera and self.camera is not None
        answer = await self._signalling.request(
            Publish(sdp=await connection.offer(), audio=audio, video=wants_video))
        assert isinstance(answer, PublishAnswer)
        await connection.accept(answer.sdp)
        self._set_camera(answer.video == "on")
        if answer.video == ErrorCode.VIDEO_UNAVAILABLE:
            self._emit(CameraRefused("All 16 video slots are in use: you are in the meeting with audio."))

    async def close(self) -> None:
        """Close the publish connection (the devices stay open)."""
        connection, self.connection = self.connection, None
        if connection is not None:
            await connection.close()

    # --- the camera ---------------------------------------------------------------------------

    def _set_camera(self, on: bool) -> None:
        if self.connection is not None:
            self.connection.send_camera(on)
        if on != self.camera_on:
            self.camera_on = on
            self._emit(CameraChanged(on))

    async def set_camera(self, on: bool) -> bool:
        """Turn the camera on or off; False when the meeting has no free video slot."""
        self.wants_camera = on
        if on and self.camera is None:
            return False
        try:
            state = await self._signalling.request(Camera(on=on))
        except ProtocolError as exc:
            if exc.code == ErrorCode.VIDEO_UNAVAILABLE:
                self._emit(CameraRefused(exc.message))
                return False
            raise
        assert isinstance(state, CameraState)
        self._set_camera(state.on)
        return state.on

    def _on_video_available(self, message: VideoAvailable) -> None:
        self._emit(VideoSlotFreed(message.video_slots.used, message.video_slots.max))
        if self.retry_camera_when_free and not self.camera_on and self.connection and self.connection.camera:
            self._tasks.spawn(self.set_camera(True))

    def use_camera(self, track: MediaStreamTrack | None) -> None:
        """Send this camera from now on (a device switch); None: no camera device."""
        self.camera = track
        if self.connection is not None:
            self.connection.camera = for_sending(track)
            self.connection.send_camera(self.camera_on and track is not None)

    # --- the microphone -------------------------------------------------------------------------

    def use_microphone(self, track: MediaStreamTrack | None) -> None:
        """Send this microphone from now on (a device switch)."""
        self.microphone = track
        if self.connection is not None:
            self.connection.use_microphone(for_sending(track))
            self.connection.send_microphone(not self.muted)

    async def set_muted(self, muted: bool) -> None:
        if not muted and self._context.mute_locked:
            return  # the server would refuse it: a host muted us
        self.muted = muted
        if self.connection is not None:
            self.connection.send_microphone(not muted)
        if self._context.reconnecting:
            return  # said when the session is back in
        await self._signalling.send(Mute(muted=muted))

    def on_me_updated(self, me: Participant) -> None:
        """The server changed me: when a host muted me, stop sending my voice. (Only a host's
        mute, which locks: an echo of my own earlier ``mute`` can arrive after I unmuted again,
        by holding Space say, and must not mute me a second time.)"""
        if me.muted and me.mute_locked and not self.muted:
            self.muted = True
            if self.connection is not None:
                self.connection.send_microphone(False)

    async def report_volume(self) -> None:
        """Send my volume when it changed, and check whether I talk while muted (5 times a second)."""
        source = self.volume_source
        level = source() if source is not None and not self.muted and self.microphone is not None else 0.0
        if not self._context.reconnecting:  # a drop: the reconnect takes over; said again once back
            await self._reporter.report(self._signalling.send, level)
        if self.muted and source is not None and self.microphone is not None:
            self.check_muted_speech(source())

    def check_muted_speech(self, level: float) -> None:
        """While muted: speech into the microphone for more than a second emits
        SpeakingWhileMuted ("You're muted"), at most once a minute. ``level`` is the (processed)
        microphone's RMS 0..1."""
        now = self._clock()
        if not self.muted or volume_from_level(level) < MUTED_SPEECH_VOLUME:
            self._muted_speech_since = None
            return
        if self._muted_speech_since is None:
            self._muted_speech_since = now
        elif now - self._muted_speech_since >= MUTED_SPEECH_SECONDS and (
                self._muted_hint_at is None or now - self._muted_hint_at >= MUTED_HINT_EVERY):
            self._muted_hint_at = now
            self._muted_speech_since = None
            self._emit(SpeakingWhileMuted())
