"""parley-bot: a headless participant over the same session layer as the desktop app.

It joins with synthetic devices, stays, leaves, and reports what it received. It is the load
generator of bench/ and the backbone of the end-to-end tests. It never imports Qt.

    parley-bot JOIN_URL [--name NAME] [--camera synthetic|none] [--mic synthetic|none]
               [--duration SECONDS] [--light] [--muted] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from dataclasses import dataclass, field

from .media.stamp import read_stamp
from .session.events import (
    AudioFrameReceived,
    CameraRefused,
    VideoFrameReceived,
    VolumesUpdated,
)
from .session.meeting_session import JoinFailed, MeetingSession


@dataclass
class BotOptions:
    join_url: str
    name: str | None = None
    camera: str = "synthetic"
    mic: str = "synthetic"
    duration: float = 10.0
    light: bool = False
    muted: bool = False
    width: int = 640
    height: int = 360
    fps: int = 30


@dataclass
class BotReport:
    """What the bot saw; ``to_json`` is the documented ``--json`` output."""

    attendee_id: str | None = None
    joined_ms: float | None = None
    camera: str = "off"  # the camera's state when the bot left: "on" or "off"
    camera_refused: bool = False  # the server refused the camera at some point (16 were on)
    first_frame_ms: dict[str, float] = field(default_factory=dict)
    frames_received: dict[str, int] = field(default_factory=dict)
    audio_frames_received: dict[str, int] = field(default_factory=dict)
    latency_samples: list[float] = field(default_factory=list)
    roster: list[dict] = field(default_factory=list)
    volumes: dict[str, dict] = field(default_factory=dict)
    end_reason: str | None = None
    error: dict | None = None

    def latency_ms(self) -> dict | None:
        if not self.latency_samples:
            return None
        ordered = sorted(self.latency_samples)

        def pick(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

        return {"p50": pick(0.5), "p95": pick(0.95), "samples": len(ordered)}

    def to_json(self) -> dict:
        out = {
            "attendee_id": self.attendee_id,
            "joined_ms": self.joined_ms,
            "camera": self.camera,
            "camera_refused": self.camera_refused,
            "first_frame_ms": self.first_frame_ms,
            "frames_received": self.frames_received,
            "audio_frames_received": self.audio_frames_received,
            "latency_ms": self.latency_ms(),
            "roster": self.roster,
            "volumes": self.volumes,
            "end_reason": self.end_reason,
        }
        if self.error is not None:
            out["error"] = self.error
        return out


def make_devices(options: BotOptions):
    """The bot's microphone and camera: live synthetic devices, or pre-encoded replay."""
    camera = microphone = None
    if options.light:
        from .media.replay import ReplayAudioTrack, ReplayVideoTrack, encode_audio_clip, encode_video_clip

        if options.camera == "synthetic":
            camera = ReplayVideoTrack(encode_video_clip(options.width, options.height, options.fps))
        if options.mic == "synthetic":
            microphone = ReplayAudioTrack(encode_audio_clip())
    else:
        from .media.synthetic import SyntheticCamera, SyntheticMicrophone

        if options.camera == "synthetic":
            camera = SyntheticCamera(options.width, options.height, options.fps)
        if options.mic == "synthetic":
            microphone = SyntheticMicrophone()
    return microphone, camera


class Bot:
    def __init__(self, options: BotOptions) -> None:
        self.options = options
        self.report = BotReport()
        microphone, camera = make_devices(options)
        self.session = MeetingSession(
            options.join_url,
            name=options.name,
            microphone=microphone,
            camera=camera,
            muted=options.muted,
            decode_video=not options.light,
            volume_source=lambda: getattr(microphone, "level", 0.0) if microphone is not None else 0.0,
        )
        self._t0 = 0.0
        self.session.on(VideoFrameReceived, self._on_video)
        self.session.on(AudioFrameReceived, self._on_audio)
        self.session.on(CameraRefused, self._on_camera_refused)
        self.session.on(VolumesUpdated, self._on_volumes)

    def _elapsed_ms(self) -> float:
        return round((time.monotonic() - self._t0) * 1000.0, 1)

    def _on_video(self, event: VideoFrameReceived) -> None:
        frames = self.report.frames_received
        if event.attendee_id not in frames:
            self.report.first_frame_ms[event.attendee_id] = self._elapsed_ms()
        frames[event.attendee_id] = frames.get(event.attendee_id, 0) + 1
        if event.decoded:
            stamp = read_stamp(event.frame)
            if stamp is not None and stamp.captured_ms > 0:
                self.report.latency_samples.append(time.time() * 1000.0 - stamp.captured_ms)

    def _on_camera_refused(self, event: CameraRefused) -> None:
        self.report.camera_refused = True
        self.report.camera = "video_unavailable"

    def _on_volumes(self, event: VolumesUpdated) -> None:
        for info in event.updates:
            self.report.volumes[info.attendee_id] = {
                "volume": info.volume, "muted": info.muted, "signal_strength": info.signal_strength,
            }

    def _on_audio(self, event: AudioFrameReceived) -> None:
        counts = self.report.audio_frames_received
        counts[event.attendee_id] = counts.get(event.attendee_id, 0) + 1

    async def run(self, stop: asyncio.Event | None = None) -> BotReport:
        self._t0 = time.monotonic()
        try:
            joined = await self.session.join()
        except JoinFailed as exc:
            self.report.error = {"code": exc.reason, "message": exc.message}
            self.report.end_reason = "refused" if exc.reason != "connection_failed" else exc.reason
            return self.report
        self.report.joined_ms = self._elapsed_ms()
        self.report.attendee_id = joined.attendee.attendee_id
        if self.session.camera_on:
            self.report.camera = "on"
        waits = [asyncio.ensure_future(self.session.ended.wait())]
        if stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        await asyncio.wait(waits, timeout=self.options.duration, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
        self.report.camera = "on" if self.session.camera_on else "off"
        self.report.roster = [
            {"attendee_id": a.attendee_id, "name": a.name, "muted": a.muted, "video": a.video}
            for a in self.session.attendees.values()
        ]
        if not self.session.ended.is_set():
            await self.session.leave()
        self.report.end_reason = self.session.end_reason
        return self.report


def parse_args(argv: list[str] | None) -> tuple[BotOptions, bool]:
    parser = argparse.ArgumentParser(prog="parley-bot", description="A headless Parley participant.")
    parser.add_argument("join_url", help="parley://HOST:PORT/m/MEETING_ID?token=TOKEN")
    parser.add_argument("--name")
    parser.add_argument("--camera", choices=["synthetic", "none"], default="synthetic")
    parser.add_argument("--mic", choices=["synthetic", "none"], default="synthetic")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to stay (default 10)")
    parser.add_argument("--muted", action="store_true", help="join with the microphone muted")
    parser.add_argument("--light", action="store_true",
                        help="publish pre-encoded video and count frames without decoding")
    parser.add_argument("--size", default="640x360", help="camera size WxH (default 640x360)")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print one JSON report on stdout")
    args = parser.parse_args(argv)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        parser.error("--size takes WIDTHxHEIGHT, e.g. 640x360")
    return BotOptions(args.join_url, args.name, args.camera, args.mic, args.duration, args.light,
                      args.muted, width, height, args.fps), args.json


async def _main(options: BotOptions) -> BotReport:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    return await Bot(options).run(stop)


def main(argv: list[str] | None = None) -> int:
    try:
        options, as_json = parse_args(argv)
        report = asyncio.run(_main(options))
    except ValueError as exc:  # a bad join link
        print(f"parley-bot: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(report.to_json()), flush=True)
    else:
        print(f"attendee {report.attendee_id}: end_reason={report.end_reason} "
              f"video frames={report.frames_received} audio frames={report.audio_frames_received}")
    if report.error is not None:
        print(f"parley-bot: {report.error['code']}: {report.error['message']}", file=sys.stderr)
        return 1
    return 0 if report.end_reason in ("left", "deleted") else 1


if __name__ == "__main__":
    sys.exit(main())
