"""What a receiver shows when its media is damaged or stops: never a damaged picture, and never
silently dead. Real server and bots on loopback; packets are dropped in the receive seam (after
aiortc's loss detection, so nothing repairs them but a keyframe)."""

from __future__ import annotations

import asyncio

import av
import numpy as np

from desktop.media.synthetic.patterns import MovingPattern
from desktop.media.synthetic.stamp import read_stamp
from desktop.session.events import (IncomingMediaRestored, IncomingMediaStalled, Reconnected,
                                    VideoFrameReceived)
from support import RunningBot, Server, eventually

SMALL = dict(width=320, height=180, fps=15)


def psnr(received: av.VideoFrame, sent: av.VideoFrame) -> float:
    x = received.to_ndarray(format="gray").astype(np.float64)
    y = sent.to_ndarray(format="gray").astype(np.float64)
    mse = float(np.mean((x - y) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def video_track_of(bot, attendee_id: str):
    remote = bot.session.remote
    return next(track for mid, track in remote.connection.video_tracks.items() if remote.carrier(mid) == attendee_id)


async def test_pictures_after_lost_packets_are_never_shown_damaged(server: Server) -> None:
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **SMALL, light=True)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **SMALL)
    shown: list[av.VideoFrame] = []
    grace.session.on(VideoFrameReceived, lambda e: e.attendee_id == ada.report.attendee_id and shown.append(e.frame))
    await eventually(lambda: len(shown) > 10, timeout=20, what="Ada's video at Grace")
    track = video_track_of(grace, ada.report.attendee_id)
    push, count = track.push, 0

    def lossy(seq, timestamp, marker, payload):  # 1 packet in 5 never arrives
        nonlocal count
        count += 1
        if count % 5:
            push(seq, timestamp, marker, payload)

    track.push = lossy
    await asyncio.sleep(1.5)
    track.push = push
    before = len(shown)
    await eventually(lambda: len(shown) > before + 10, timeout=20, what="the picture moving again after a keyframe")

    pattern = MovingPattern(320, 180)
    for frame in shown:
        stamp = read_stamp(frame)
        assert stamp is not None
        assert psnr(frame, pattern.render(stamp.frame_number, stamp.captured_ms)) > 25, stamp.frame_number
    totals = grace.session.remote.video_totals()[ada.report.attendee_id]
    assert totals.damaged_withheld + totals.frames_skipped > 0
    assert 1 <= totals.keyframes_requested <= 3  # coalesced: about one a second while the loss lasted
    await ada.finish()
    await grace.finish()


async def test_a_receive_connection_that_goes_quiet_is_repaired_and_the_user_told(server: Server) -> None:
    meeting = await server.create_meeting()
    ada = RunningBot(await server.join_url(meeting["id"], "Ada"), **SMALL, light=True)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **SMALL)
    told: list[object] = []
    for kind in (IncomingMediaStalled, IncomingMediaRestored, Reconnected):
        grace.session.on(kind, told.append)
    frames: list[float] = []
    grace.session.on(VideoFrameReceived, lambda e: frames.append(asyncio.get_running_loop().time()))
    await eventually(lambda: len(frames) > 5, timeout=20, what="Ada's video at Grace")
    remote = grace.session.remote
    remote.watchdog.stall_after = remote.watchdog.repair_after = 1.0
    # The receive connection goes quiet (its RTP vanishes) while the socket and ICE stay up.
    for transceiver in remote.connection.pc.getTransceivers():
        async def dropped(packet, arrival_time_ms):
            return None
        transceiver.receiver._handle_rtp_packet = dropped
    await eventually(lambda: any(isinstance(e, IncomingMediaStalled) for e in told), timeout=10,
                     what="Grace told her incoming media stopped")
    await eventually(lambda: any(isinstance(e, Reconnected) for e in told), timeout=20,
                     what="the receiving connection reconnected")
    quiet_over = asyncio.get_running_loop().time()
    await eventually(lambda: any(isinstance(e, IncomingMediaRestored) for e in told), timeout=20,
                     what="Grace told media is back")
    await eventually(lambda: frames[-1] > quiet_over, timeout=20, what="Ada's video again")
    kinds = [type(e).__name__ for e in told]
    assert kinds.index("IncomingMediaStalled") < kinds.index("Reconnected") < kinds.index("IncomingMediaRestored")
    assert [e.repairing for e in told if isinstance(e, IncomingMediaStalled)] == [False, True]
    assert grace.session.reconnects == 1
    await ada.finish()
    await grace.finish()
