"""DeviceController: the user's camera, microphone and speaker, from the lobby through the call.

It opens the remembered devices (LocalMedia) once, switches them when the user picks another,
turns the camera's light off when the camera is off, says when a device stops working, and
applies the device-side settings: the background effect and the voice processing. It knows no
window: what the user should see goes out as signals (a notice, a preview frame, the lists to
show again, the background chosen), and the flow and the call controller put them on screen.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, Signal

from ..media.background.effect import DEGRADED_MESSAGE, BackgroundEffect
from ..media.devices import Device, DeviceKind, DeviceManager
from ..media.local_media import LocalMedia
from .backgrounds import SETTING as BACKGROUND_SETTING
from .settings import Settings
from ..tasks import TaskOwner

logger = logging.getLogger(__name__)

#: the settings that steer the voice processing (Settings → Join)
VOICE_SETTINGS = ("join/echo_cancellation", "join/noise_suppression", "join/auto_gain_control")


class DeviceController(QObject):
    notice = Signal(str)  # something the user should read, wherever they are
    info = Signal(str)  # something the user cannot act on: said quietly, never in red, nothing moves
    preview_frame = Signal(object)  # my camera's picture (av.VideoFrame), or None when it stops
    device_lost = Signal(object, object)  # DeviceKind, the fallback Device or None (after the notice)
    lists_changed = Signal()  # the devices there are, or those in use, changed: show them again
    background_changed = Signal(str)  # the background setting now in use

    def __init__(self, devices: DeviceManager, settings: Settings, tasks: TaskOwner,
                 video_size: tuple[int, int] = (640, 360), fps: int = 30) -> None:
        super().__init__()
        self.devices = devices
        self.settings = settings
        self.tasks = tasks
        self.video_size = video_size
        self.fps = fps
        self.media: LocalMedia | None = None
        devices.on_changed(self.lists_changed.emit)

    # --- opening and closing ----------------------------------------------------------------

    def open_media(self) -> LocalMedia:
        """Open the remembered devices (or the defaults); the same LocalMedia until closed."""
        if self.media is not None:
            return self.media
        width, height = self.video_size
        media = LocalMedia(self.devices, width, height, self.fps)
        self.apply_voice_settings(media)
        media.background = BackgroundEffect.from_setting(self.settings.get(BACKGROUND_SETTING))
        # "your computer is busy", "it stopped working" (sentences marked in media/background/effect.py)
        media.on_background_notice = self._on_background_notice
        media.on_preview = self.preview_frame.emit
        media.on_device_lost = self._on_device_lost
        self.media = media
        for kind in (DeviceKind.SPEAKER, DeviceKind.MICROPHONE):
            self.open(kind, self.remembered(kind))
        if self.settings.flag("camera_on"):
            self.open(DeviceKind.CAMERA, self.remembered(DeviceKind.CAMERA))
        else:
            media.camera_device = self.remembered(DeviceKind.CAMERA)
        return media

    def _on_background_notice(self, message: str) -> None:
        text = QCoreApplication.translate("Background", message)
        if message == DEGRADED_MESSAGE:  # a busy computer: nothing to do about it
            logger.info("background effect: %s", message)
            self.info.emit(text)
        else:
            self.notice.emit(text)

    def remembered(self, kind: DeviceKind) -> Device | None:
        """The device of this kind the settings name, else the system's default."""
        return self.devices.choose(kind, *self.settings.device(kind))

    def open(self, kind: DeviceKind, device: Device | None) -> None:
        """Use ``device`` for ``kind``; one that fails to open is replaced by none, and the user
        is told (a device must never stop anything else)."""
        media = self.open_media()
        select = {DeviceKind.CAMERA: media.select_camera, DeviceKind.MICROPHONE: media.select_microphone,
                  DeviceKind.SPEAKER: media.select_speaker}[kind]
        try:
            select(device)
        except Exception as exc:
            logger.warning("could not open %s %r: %s", kind, device and device.name, exc)
            select(None)
            self.notice.emit(self.tr("Could not open {device}: {error}").format(
                device=device.name if device else self._kind_name(kind), error=exc))

    def _kind_name(self, kind: DeviceKind) -> str:
        return {DeviceKind.CAMERA: self.tr("the camera"), DeviceKind.MICROPHONE: self.tr("the microphone"),
                DeviceKind.SPEAKER: self.tr("the speaker")}[kind]

    def camera_on(self) -> bool:
        """Turn the camera on (the one last used, else the default); False: there is none."""
        media = self.open_media()
        device = media.camera_device or self.devices.default(DeviceKind.CAMERA)
        if device is None:
            return False
        self.open(DeviceKind.CAMERA, device)
        return True

    def camera_off(self) -> None:
        """Close the camera (its light goes off), remembering it for when it is turned on again."""
        media = self.open_media()
        device = media.camera_device
        media.select_camera(None)
        media.camera_device = device

    def close_media(self) -> None:
        """Release the devices (closing goes on in the background)."""
        if self.media is not None:
            self.tasks.spawn(self.media.aclose())
            self.media = None

    async def release_media(self) -> None:
        """Release the devices and wait until they, and every closing under way, are done."""
        media, self.media = self.media, None
        if media is not None:
            await media.aclose()
        await self.tasks.wait()

    # --- the user's choices -----------------------------------------------------------------

    def choose(self, kind: DeviceKind, device: Device | None, camera_wanted: bool) -> None:
        """The user picked another device; a camera that is off is only remembered."""
        media = self.open_media()
        if kind == DeviceKind.CAMERA and not camera_wanted:
            media.camera_device = device
        else:
            self.open(kind, device)
        if device is not None:
            self.settings.set_device(kind, device.id, device.name)
        self.lists_changed.emit()

    def current(self, kind: DeviceKind) -> Device | None:
        media = self.media
        if media is None:
            return None
        return {DeviceKind.CAMERA: media.camera_device, DeviceKind.MICROPHONE: media.microphone_device,
                DeviceKind.SPEAKER: media.speaker_device}[kind]

    def show_in(self, window) -> None:
        """Fill a window's device menus (anything with ``set_devices(kind, devices, current)``)."""
        for kind in DeviceKind:
            window.set_devices(kind, self.devices.devices(kind), self.current(kind))

    def default_name(self, kind: DeviceKind) -> str | None:
        """The name of the device "System default" means now: the one in use, else the one
        that would open."""
        device = self.current(kind) or self.remembered(kind)
        return device.name if device is not None else None

    def choices(self, kind: DeviceKind) -> list[tuple[str, str]]:
        """(id, name) of every device of ``kind``, for the settings dialog."""
        return [(d.id, d.name) for d in self.devices.devices(kind)]

    def set_background(self, setting: str) -> None:
        """The user chose a background (in the lobby, the call's menu or the settings)."""
        if self.settings.get(BACKGROUND_SETTING) != setting:
            self.settings.set(BACKGROUND_SETTING, setting)
        if self.media is not None:
            self.media.set_background(BackgroundEffect.from_setting(setting))
        self.background_changed.emit(setting)

    def apply_voice_settings(self, media: LocalMedia | None = None) -> None:
        """Echo cancellation and noise suppression as the settings say (next 10 ms block)."""
        media = media or self.media
        if media is not None:
            media.voice.echo_cancellation = self.settings.flag("echo_cancellation")
            media.voice.noise_suppression = self.settings.flag("noise_suppression")
            media.voice.auto_gain_control = self.settings.flag("auto_gain_control")

    def test_speaker(self) -> None:
        if self.media is not None:
            self.media.test_speaker()

    def mic_level(self) -> float:
        return self.media.mic_level if self.media is not None else 0.0

    def _on_device_lost(self, kind: DeviceKind, lost: Device, fallback: Device | None) -> None:
        if fallback:
            text = self.tr("{device} stopped working; switched to {fallback}.").format(
                device=lost.name, fallback=fallback.name)
        else:
            text = {
                DeviceKind.CAMERA: self.tr("{device} stopped working, and there is no other camera to use."),
                DeviceKind.MICROPHONE: self.tr("{device} stopped working, and there is no other microphone to use."),
                DeviceKind.SPEAKER: self.tr("{device} stopped working, and there is no other speaker to use."),
            }[kind].format(device=lost.name)
        self.notice.emit(text)
        self.device_lost.emit(kind, fallback)
        self.lists_changed.emit()

    def facts(self) -> dict[str, str]:
        """The devices there are and those in use, for "Copy diagnostics" (names only)."""
        facts = {}
        for kind in DeviceKind:
            facts[f"{kind.capitalize()}s"] = ", ".join(d.name for d in self.devices.devices(kind)) or "none"
        media = self.media
        if media is not None:
            facts["In use"] = ", ".join(f"{kind}: {device.name}" for kind, device in (
                ("camera", media.camera_device), ("microphone", media.microphone_device),
                ("speaker", media.speaker_device)) if device is not None) or "nothing"
            facts["Audio processing"] = "on" if media.voice.active else "off or unavailable"
        return facts
