"""The video playout delay: a picture repaired by a retransmission, and those queued behind it,
are shown at the camera's pace instead of after a freeze; a clean link adds no delay; the delay
is bounded; a jump in the RTP timestamps at a layer switch does not hold video back.

Times are made up (seconds); a camera films 30 pictures a second, RTP time 3000 apart."""

from __future__ import annotations

import asyncio
import random

from desktop.media.playout import MAX_DELAY, PlayoutDelay
from desktop.media.video_receive import VideoReceiveTrack

FRAME = 1 / 30
FREEZE = 3 * FRAME  # the bot's and WebRTC's shortest freeze


def shown_at(arrivals: list[tuple[int, float]], playout: PlayoutDelay | None = None) -> list[float]:
    """When each picture is shown, for frames (RTP time, arrival) in decoding order: at its due
    time, or on arrival if that is later, never before the picture before it."""
    playout = playout or PlayoutDelay()
    shown, last = [], 0.0
    for timestamp, arrival in arrivals:
        playout.arrived(timestamp, arrival)
        due = playout.due(timestamp)
        last = max(last, arrival, due)
        shown.append(last)
    return shown


def lossy(seconds: float, rng: random.Random, loss: float = 0.05, repair: float = 0.07,
          packets: int = 3) -> list[tuple[int, float]]:
    """A 30 fps stream over a 20 ± 4 ms link where each picture's packets (3) are lost with
    ``loss`` and repaired ``repair`` s later; a picture waits for the one before it."""
    arrivals, previous = [], 0.0
    for n in range(int(seconds * 30)):
        arrival = n * FRAME + 0.02 + rng.uniform(-0.004, 0.004)
        if any(rng.random() < loss for _ in range(packets)):
            arrival += repair
        arrival = max(arrival, previous)  # decoded in order
        arrivals.append((1000 + 3000 * n, arrival))
        previous = arrival
    return arrivals


def freezes(times: list[float]) -> float:
    """Seconds spent in gaps longer than three frame intervals."""
    return sum(b - a for a, b in zip(times, times[1:]) if b - a > FREEZE)


def test_a_clean_link_adds_no_more_than_its_jitter() -> None:
    rng = random.Random(1)
    playout = PlayoutDelay()
    arrivals = [(3000 * n, n * FRAME + 0.02 + rng.uniform(-0.004, 0.004)) for n in range(300)]
    shown = shown_at(arrivals, playout)
    assert playout.delay <= 0.009
    assert max(s - a for s, (_t, a) in zip(shown, arrivals)) <= 0.009


def test_repaired_pictures_are_shown_at_the_cameras_pace() -> None:
    arrivals = lossy(30, random.Random(7))
    as_decoded = [a for _t, a in arrivals]
    shown = shown_at(arrivals)
    duration = shown[-1] - shown[0]
    # Shown as they are decoded, the repairs freeze the picture for a good share of the time ...
    assert freezes(as_decoded) / duration > 0.05
    # ... held for the playout delay, hardly ever.
    assert freezes(shown) / duration < 0.01
    # and the picture is never held more than the bound behind its arrival
    assert max(s - a for s, a in zip(shown, as_decoded)) <= MAX_DELAY + 1e-9


def test_pictures_of_one_packet_repaired_as_often_as_five_percent_keep_the_pace_too() -> None:
    # The bench's camera: about one packet a picture, so at 5 % loss about 5 % of the pictures
    # are repaired; a 3 s window then often holds fewer repairs than the share the delay may
    # leave late, and the delay fell under a single repair (issue 17: 5 % loss rows over 3 %).
    worst = 0.0
    for seed in range(10):
        shown = shown_at(lossy(17, random.Random(seed), packets=1))
        worst = max(worst, freezes(shown) / (shown[-1] - shown[0]))
    assert worst < 0.01


def test_the_delay_falls_back_slowly_once_the_link_is_clean() -> None:
    rng = random.Random(3)
    playout = PlayoutDelay()
    arrivals = lossy(5, rng)
    shown_at(arrivals, playout)
    assert playout.delay > 0.05
    start = arrivals[-1][1]
    clean = [(1000 + 3000 * (150 + n), start + (n + 1) * FRAME) for n in range(300)]
    previous_due, delays = None, []
    for timestamp, arrival in clean:
        playout.arrived(timestamp, arrival)
        due = playout.due(timestamp)
        if previous_due is not None:
            assert due - previous_due >= FRAME * 0.94  # shown at most ~5 % faster: no jump
        previous_due = due
        delays.append(playout.delay)
    assert delays[-1] < 0.01  # ten seconds later the delay is gone


def test_a_timestamp_jump_at_a_keyframe_starts_again_without_delay() -> None:
    # The forwarding unit resumes a section at a keyframe, continuing its RTP time by one frame
    # although two seconds went by: the offset jumps by two seconds.
    playout = PlayoutDelay()
    for n in range(60):
        playout.arrived(3000 * n, n * FRAME)
    resumed = 60 * FRAME + 2.0
    playout.arrived(3000 * 60, resumed, keyframe=True)
    assert playout.due(3000 * 60) == resumed
    for n in range(61, 90):
        arrival = resumed + (n - 60) * FRAME
        playout.arrived(3000 * n, arrival)
        assert abs(playout.due(3000 * n) - arrival) < 1e-6
    assert playout.delay < 1e-9


def test_the_rtp_clock_wraps() -> None:
    playout = PlayoutDelay()
    start = (1 << 32) - 3000 * 10
    for n in range(30):
        timestamp = (start + 3000 * n) & 0xFFFFFFFF
        playout.arrived(timestamp, n * FRAME)
        assert abs(playout.due(timestamp) - n * FRAME) < 1e-6


def test_the_delay_never_exceeds_its_bound() -> None:
    playout = PlayoutDelay()
    playout.arrived(0, 0.0)
    for n in (1, 2, 3):
        playout.arrived(3000 * n, n * FRAME + 1.5)  # pictures a second and a half late
    assert playout.delay == MAX_DELAY


async def test_the_track_shows_the_pictures_in_order_through_the_delay() -> None:
    """A real decoder and loop: the track holds pictures for their playout time and hands them
    out in order, up to the last one; nothing is withheld or skipped for the late frame."""
    from tests.test_video_receive import encode, packetize

    sent, encoded = encode(10)  # the 7 frames released by the repair stay within the decoder's backlog
    packets = packetize(encoded)
    clock = asyncio.get_running_loop().time
    track = VideoReceiveTrack(clock=clock)
    start = clock()
    late = {p[0] for p in packets if p[4] == 3}  # frame 3 comes 60 ms late (a repair)
    shown: list[int] = []
    try:
        for seq, ts, marker, payload, index in packets:
            if seq in late:
                continue
            track.push(seq, ts, marker, payload)
        await asyncio.sleep(0.06)
        for seq, ts, marker, payload, index in packets:
            if seq in late:
                track.push(seq, ts, marker, payload)
        while (not shown or shown[-1] < len(sent) - 1) and clock() - start < 10:
            picture = await asyncio.wait_for(track.recv(), 10)
            shown.append(picture.pts // 3000)
    finally:
        track.stop()
    assert shown == sorted(shown) and shown[-1] == len(sent) - 1
    assert track.stats.damaged_withheld == 0 and track.stats.frames_skipped == 0


def test_one_frame_very_late_does_not_hold_every_picture_back() -> None:
    playout = PlayoutDelay()
    for n in range(60):  # two clean seconds
        playout.arrived(3000 * n, n * FRAME + 0.02)
    playout.arrived(3000 * 60, 60 * FRAME + 0.02 + 0.18)  # a retransmission that was lost again
    for n in range(61, 70):
        playout.arrived(3000 * n, 60 * FRAME + 0.2 + (n - 60) * 0.001)  # the frames behind it, at once
    # the ten late frames are more than 2 % of the window: the delay covers all but the latest
    # of them (2 % of 70 frames: 1; the second was 148 ms late) ...
    assert 0.14 < playout.delay < 0.15
    clean = PlayoutDelay()
    for n in range(90):
        clean.arrived(3000 * n, n * FRAME + 0.02 + (0.15 if n == 45 else 0.0))  # one frame alone
    # ... one frame alone is shown when it comes, and the rest keep no delay
    assert clean.delay < 0.001
