"""A camera sent as two layers: the whole picture, and a small one (simulcast as separate tracks).

aiortc has no simulcast, so the publish connection carries a second video section for the small
layer, each with its own VP8 encoder: the server forwards to each subscriber the layer its
downlink and its tile can take (server/sfu/allocation.py). :class:`CameraLayers` reads the camera
once per frame: the high layer's track gets every frame, the low layer's every
:data:`LOW_EVERY`-th one, which its encoder scales to :data:`LOW_SCALE` of the size in aiortc's
encoder thread (seam.encode_vp8_layer): 640x360@30 and 320x180@15 from a 640x360 camera. The high
track drives the reading (its sender pulls frames even while it encodes none), so the low layer
never reads the camera on its own.

Measured cost of the second layer: bench/README.md ("Two layers").
"""

from __future__ import annotations

import asyncio
import collections

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

#: The small layer: this share of the camera's width and height, every this many frames.
LOW_SCALE = 0.5
LOW_EVERY = 2
#: Its encoder's target to start with, and the range REMB may move it in (bit/s).
LOW_BITRATE = 150_000
LOW_FLOOR = 50_000
LOW_CEILING = 300_000


class _LowLayer(MediaStreamTrack):
    kind = "video"

    def __init__(self, layers: CameraLayers) -> None:
        super().__init__()
        self._layers = layers
        self._frames: collections.deque = collections.deque(maxlen=1)
        self._ready = asyncio.Event()

    def push(self, frame) -> None:
        self._frames.append(frame)
        self._ready.set()

    async def recv(self):  # type: ignore[override]
        while not self._frames:
            if self.readyState != "live" or self._layers.ended:
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def wake(self) -> None:
        self._ready.set()


class _HighLayer(MediaStreamTrack):
    kind = "video"

    def __init__(self, layers: CameraLayers) -> None:
        super().__init__()
        self._layers = layers

    async def recv(self):  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        return await self._layers.next_frame()


class CameraLayers:
    """One camera track as a high layer (``high``) and a low one (``low``), for two senders."""

    def __init__(self, camera: MediaStreamTrack) -> None:
        self.camera = camera
        self.ended = False
        self.high = _HighLayer(self)
        self.low = _LowLayer(self)
        self._count = 0

    async def next_frame(self):
        try:
            frame = await self.camera.recv()
        except MediaStreamError:
            self.ended = True
            self.low.wake()
            raise
        if self._count % LOW_EVERY == 0:
            self.low.push(frame)
        self._count += 1
        return frame

    def stop(self) -> None:
        self.high.stop()
        self.low.stop()
        self.low.wake()
