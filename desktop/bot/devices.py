"""The bot's devices: live synthetic ones, pre-encoded replay (``--light``), or a simulated room
heard through the app's own ``LocalMedia`` and voice processing (``--room``)."""

from __future__ import annotations

import zlib

from .options import BotOptions, parse_room

__all__ = ["make_devices", "make_room"]


def make_devices(options: BotOptions):
    """The bot's microphone and camera: live synthetic devices, or pre-encoded replay.
    (With a room, the microphone is the room's: see ``make_room``.)"""
    camera = microphone = None
    if options.light:
        from ..media.layers import LOW_BITRATE, LOW_EVERY, LOW_SCALE
        from ..media.synthetic.replay import ReplayAudioTrack, ReplayVideoTrack, encode_audio_clip, encode_video_clip

        if options.camera == "synthetic":
            # its small layer as a live camera's (media/layers.py): half the size, half the rate
            # (none under the smallest stamped picture, 80x48: a camera that small has one layer)
            small = (round(options.width * LOW_SCALE) // 2 * 2, round(options.height * LOW_SCALE) // 2 * 2)
            low = None
            if small[0] >= 80 and small[1] >= 48:
                rate = max(1, options.fps // LOW_EVERY)
                low = ReplayVideoTrack(encode_video_clip(*small, rate, keyframe_interval=rate, bitrate=LOW_BITRATE))
            camera = ReplayVideoTrack(encode_video_clip(options.width, options.height, options.fps), low)
        if options.mic == "synthetic":
            microphone = ReplayAudioTrack(encode_audio_clip())
    else:
        from ..media.synthetic.capture import SyntheticCamera, SyntheticMicrophone

        if options.camera == "synthetic":
            camera = SyntheticCamera(options.width, options.height, options.fps)
        if options.mic == "synthetic" and options.room is None:
            microphone = SyntheticMicrophone()
    return microphone, camera


def make_room(options: BotOptions):
    """A simulated room and the app's ``LocalMedia`` over it (nothing opened yet): the
    microphone then runs through ``LocalMedia.voice``, the speaker feeds its far end."""
    from ..media.synthetic.acoustic import AcousticBackend, Room
    from ..media.devices import DeviceManager
    from ..media.local_media import LocalMedia
    from ..media.voice import VoiceProcessor

    kind, delay_ms = parse_room(options.room or "")
    if options.light:
        raise ValueError("a room needs decoded audio: not with light")
    seed = options.voice_seed
    if seed is None:
        seed = zlib.crc32((options.name or options.join_url).encode())
    room = Room.laptop(seed, delay_ms) if kind == "echo" else Room.headset(seed)
    voice = VoiceProcessor(echo_cancellation=options.echo_cancellation)
    media = LocalMedia(DeviceManager([AcousticBackend(room)]), voice=voice)
    return room, media
