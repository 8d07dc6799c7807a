"""The user's own devices, opened: what the lobby previews and what the call sends. No Qt.

One object lives from the lobby through the call, so devices open once: the camera feeds the
preview (and the self-view) and, through a Tee and a SwitchableTrack, the publishing connection; the
microphone feeds the level meter and the connection; the speaker plays remote voices.
Switching a device, turning one off, or losing one (unplugged) never disturbs the call: the
sending tracks just change source. A lost device is replaced by the system default, and
``on_device_lost`` says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from .background.effect import NONE, BackgroundEffect
from .background.track import BackgroundEffectTrack
from .devices import Device, DeviceKind, DeviceManager, Speaker
from .switchable import SwitchableTrack
from .tee import Tee
from .voice import ProcessedMicrophone, VoiceProcessor

logger = logging.getLogger(__name__)


class LocalMedia:
    def __init__(self, devices: DeviceManager, width: int = 640, height: int = 360, fps: int = 30,
                 voice: VoiceProcessor | None = None) -> None:
        self.devices = devices
        #: echo cancellation (the far end: what our speaker plays), noise suppression, high-pass
        self.voice = voice if voice is not None else VoiceProcessor()
        if not VoiceProcessor.available():
            logger.warning("livekit is not installed: the microphone has no echo cancellation or noise suppression")
        self.size = (width, height)
        self.fps = fps
        self.camera_device: Device | None = None
        self.microphone_device: Device | None = None
        self.speaker_device: Device | None = None
        self.speaker: Speaker | None = None
        self.camera_track = SwitchableTrack("video")  # what the call sends
        self.microphone_track = SwitchableTrack("audio")
        self.mic_level = 0.0
        #: called with each camera frame (av.VideoFrame), or None when the camera stops
        self.on_preview: Callable[[Any], None] | None = None
        #: called with (kind, lost device, replacement or None) when a device in use vanishes
        self.on_device_lost: Callable[[DeviceKind, Device, Device | None], None] | None = None
        #: the background effect on the camera: applied before the preview and the encoder see a frame
        self.background: BackgroundEffect = NONE
        #: called with a sentence when the effect runs slower than asked, or cannot run at all
        self.on_background_notice: Callable[[str], None] | None = None
        self._effect_track: BackgroundEffectTrack | None = None
        self._camera: Tee | None = None
        self._microphone: Tee | None = None
        self._closing: set[asyncio.Task] = set()
        self._closed = False

    # --- choosing devices -----------------------------------------------------------------

    def select_camera(self, device: Device | None) -> None:
        """Film with ``device`` (None: camera off)."""
        self._close_tee(self._camera)
        self._camera = self._effect_track = None
        self.camera_device = device
        if device is None:
            self.camera_track.switch(None)
            if self.on_preview:
                self.on_preview(None)
            return
        width, height = self.size
        effect = self._effect_track = BackgroundEffectTrack(
            self.devices.open_camera(device, width, height, self.fps), self.background, fps=self.fps,
            on_degraded=self._background_notice, on_failed=self._background_notice)
        tee = self._camera = Tee(
            effect,
            on_frame=lambda frame: self.on_preview and self.on_preview(frame),
            on_end=lambda: self._device_lost(DeviceKind.CAMERA, device, self.select_camera),
        )
        self.camera_track.switch(tee.branch())

    def set_background(self, effect: BackgroundEffect) -> None:
        """Blur or replace the background (NONE: as filmed) from the next camera frame on."""
        self.background = effect
        if self._effect_track is not None:
            self._effect_track.set_effect(effect)

    def _background_notice(self, message: str) -> None:
        if self.on_background_notice is not None:
            self.on_background_notice(message)

    def select_microphone(self, device: Device | None) -> None:
        """Listen with ``device`` (None: no microphone)."""
        self._close_tee(self._microphone)
        self._microphone = None
        self.microphone_device = device
        self.mic_level = 0.0
        if device is None:
            self.microphone_track.switch(None)
            return
        source = self.devices.open_microphone(device)
        if device.synthetic and not getattr(source, "wants_voice_processing", False):
            pass  # a tone hears no echo, and noise suppression would take the steady tone for noise
            # (a simulated room's microphone, media/synthetic/acoustic.py, does hear one: it is processed)
        elif hasattr(source, "processor"):  # Qt: processed on its own capture thread
            source.processor = self.voice
        else:  # any other track: on the loop, ~0.2 ms per 20 ms frame
            source = ProcessedMicrophone(source, self.voice)

        def measure(frame) -> None:
            level = getattr(source, "level", None)
            self.mic_level = float(level) if level is not None else rms_level(frame)

        tee = self._microphone = Tee(
            source, on_frame=measure,
            on_end=lambda: self._device_lost(DeviceKind.MICROPHONE, device, self.select_microphone),
        )
        self.microphone_track.switch(tee.branch())

    def select_speaker(self, device: Device | None) -> None:
        """Play on ``device`` (None: nowhere)."""
        if self.speaker is not None:
            self.speaker.close()
            self.speaker = None
        self.speaker_device = device
        if device is not None:
            speaker = self.speaker = self.devices.open_speaker(device, far_end=self.voice.far_end)

            def ended() -> None:
                if self.speaker is speaker and not self._closed:
                    self._device_lost(DeviceKind.SPEAKER, device, self.select_speaker)

            speaker.on_ended(ended)

    def test_speaker(self) -> None:
        """A short two-note chime on the chosen speaker."""
        if self.speaker is not None:
            self.speaker.play_sound(chime())

    # --- devices that go away --------------------------------------------------------------------

    def _device_lost(self, kind: DeviceKind, lost: Device, select: Callable[[Device | None], None]) -> None:
        if self._closed:
            return
        fallback = self.devices.default(kind)
        if fallback is not None and fallback.id == lost.id:
            fallback = None
        logger.warning("%s %r stopped; switching to %r", kind, lost.name, fallback and fallback.name)
        try:
            select(fallback)
        except Exception:  # the default failed too: go on without
            logger.exception("could not open %r", fallback)
            select(None)
            fallback = None
        if self.on_device_lost is not None:
            self.on_device_lost(kind, lost, fallback)

    def _close_tee(self, tee: Tee | None) -> None:
        if tee is not None:
            task = asyncio.ensure_future(tee.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Release every device (the camera's light goes off) and wait until they are closed."""
        if self._closed:
            return
        self._closed = True
        self._close_tee(self._camera)
        self._close_tee(self._microphone)
        self._camera = self._microphone = None
        self.camera_track.stop()
        self.microphone_track.stop()
        self.select_speaker(None)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


def rms_level(frame) -> float:
    samples = frame.to_ndarray().astype(np.float64)
    return float(np.sqrt(np.mean(samples * samples)) / 32768.0) if samples.size else 0.0


def chime(sample_rate: int = 48000) -> np.ndarray:
    """Two soft notes (A5 then E6), 0.5 s, mono int16 at ``sample_rate``."""
    t = np.arange(int(0.25 * sample_rate)) / sample_rate
    envelope = np.exp(-6.0 * t)
    notes = [np.sin(2 * np.pi * f * t) * envelope for f in (880.0, 1318.5)]
    return (np.concatenate(notes) * 0.3 * 32767).astype(np.int16)
