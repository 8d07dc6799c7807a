"""``BotReport``: what a bot saw, and its ``--json`` form."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BotReport"]


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
    screen_share: str | None = None  # "published", or the refusal code; None: not asked to share
    screen_share_refused: bool = False  # refused at some point (two others were sharing)
    screen_share_ended: str | None = None  # why our share ended, if it did before we left
    content_frames_received: dict[str, int] = field(default_factory=dict)
    timer_ends_at: list[str | None] = field(default_factory=list)  # each timer_ends_at it was told
    reconnects: int = 0  # how many times it came back after its connection dropped
    #: per comeback: ms from noticing the drop to media flowing again (the first frame received
    #: after rejoining; or rejoining itself when nobody else sends anything)
    reconnect_ms: list[float] = field(default_factory=list)
    #: every chat message it could read (history included): sender, text, private or not
    chat_received: list[dict] = field(default_factory=list)
    #: the names with a hand up when it left, in the order the hands went up
    hands_raised: list[str] = field(default_factory=list)
    #: with --room: the room and the voice processing ({"room", "delay_ms", "echo_cancellation",
    #: "noise_suppression", "voice_seed", "processed_blocks", "far_blocks_dropped"})
    voice: dict | None = None
    #: with --room, per participant: how strongly our own voice came back in what they sent
    #: (media/synthetic/received.py ``voice_correlation``: 0..1, median over 2 s windows after the first
    #: 3 s; ~0.1 is chance; high = we heard ourselves: their echo cancellation let us through)
    own_voice_echo: dict[str, float] = field(default_factory=dict)
    #: ... and its details: {"value", "peak" (the best window), "lag_ms", "seconds", "windows"}
    own_voice_echo_detail: dict[str, dict] = field(default_factory=dict)
    #: per remote attendee, over the measuring window (watch.py): {"name", "video": {fps,
    #: frozen_share, latency_ms, damaged_pictures, keyframes, layer, paused, ...}, "audio":
    #: {lost_share, concealed_share, delay_ms, ...}}
    remotes: dict[str, dict] = field(default_factory=dict)
    #: what its camera's encoder aimed at, sampled each second of the window (kbit/s: p50, min,
    #: max, last, samples); None without a camera
    encoder_target_kbps: dict | None = None
    measured_from_ms: float | None = None  # the window opened this long after starting
    measured_seconds: float | None = None  # and lasted this long
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
            "screen_share": self.screen_share,
            "screen_share_refused": self.screen_share_refused,
            "screen_share_ended": self.screen_share_ended,
            "content_frames_received": self.content_frames_received,
            "timer_ends_at": self.timer_ends_at,
            "reconnects": self.reconnects,
            "reconnect_ms": self.reconnect_ms,
            "chat_received": self.chat_received,
            "hands_raised": self.hands_raised,
            "voice": self.voice,
            "own_voice_echo": self.own_voice_echo,
            "own_voice_echo_detail": self.own_voice_echo_detail,
            "remotes": self.remotes,
            "encoder_target_kbps": self.encoder_target_kbps,
            "measured_from_ms": self.measured_from_ms,
            "measured_seconds": self.measured_seconds,
            "end_reason": self.end_reason,
        }
        if self.error is not None:
            out["error"] = self.error
        return out
