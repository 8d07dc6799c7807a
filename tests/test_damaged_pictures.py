"""Issue 17, "zero damaged pictures shown": what a viewer sees, and what parley-bot counts.

Real VP8 from libvpx through the receive path (``media/video_receive.py``), every picture shown
compared with the one sent, and the bot's count (``bot/watch.py``) fed as the bot feeds it
(``bot/runner.py``: stamp, keyframe and picture id from the section's packet counter, the
track's superseded counts).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from desktop.bot.watch import MediaWatch
from desktop.media.receive_counters import VideoReceiveCounter
from desktop.media.synthetic.stamp import read_stamp
from desktop.media.video_receive import FrameAssembler, VideoReceiveTrack
from tests.test_video_receive import encode, packetize, psnr


async def decoded(track: VideoReceiveTrack, count: int) -> None:
    """Until the decoder has dealt with ``count`` frames in all (decoded them or withheld them),
    and the pictures decoded reached the loop (bounded)."""
    for _ in range(2000):
        if track.frames_decoded + track._thread_withheld >= count:
            break
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.002)


async def test_a_frame_dropped_on_its_way_to_the_decoder_leaves_the_picture_held_until_a_keyframe() -> None:
    # The decoder's backlog drops a frame after the assembler released it, while frames behind it
    # (released in the same batch after a repair) still reach the decoder: they refer to the
    # dropped one, so they must not be decoded; the last good picture stays until the keyframe.
    sent, encoded = encode(16, keyframe_every=10)
    assembler = FrameAssembler()
    frames = [f for seq, ts, marker, payload, _ in packetize(encoded)
              for f in assembler.push(seq, ts, marker, payload, 0.0)]
    assert [f.timestamp // 3000 for f in frames] == list(range(16))
    track = VideoReceiveTrack(clock=lambda: 0.0)
    shown = []
    try:
        handed = 0
        for frame in frames:
            if frame.timestamp // 3000 == 4:
                continue  # the frame the backlog dropped
            track._decode(frame)
            handed += 1
            await decoded(track, handed)
            while track._latest is not None:
                shown.append(await track.recv())
    finally:
        track.stop()
    numbers = [p.pts // 3000 for p in shown]
    assert numbers == [0, 1, 2, 3, 10, 11, 12, 13, 14, 15]  # 5-9 not shown: 3 held until the keyframe
    for picture in shown:
        assert psnr(picture, sent[picture.pts // 3000]) > 30, picture.pts
    assert track.stats.damaged_withheld == 5 and track.keyframes_requested == 1


async def test_a_keyframe_superseded_before_it_was_taken_is_no_damage_in_the_bots_count() -> None:
    # After a loss the receive path skips to the next keyframe (8); on a slow link the frame
    # behind it comes right after it, so the keyframe's picture is replaced before anyone takes
    # it. Every picture shown is whole, and the bot must count none of them as damaged.
    sent, encoded = encode(16, keyframe_every=8)
    packets = packetize(encoded)
    lost = next(p[0] for p in packets if p[4] == 5)  # a packet of frame 5, never repaired
    counter = VideoReceiveCounter()
    now = [0.0]
    track = VideoReceiveTrack(clock=lambda: now[0])
    watch = MediaWatch(1 / 30, lambda: now[0])
    watch.open_window({}, {})
    shown = []

    def take(picture) -> None:  # what the bot does with each picture it takes (runner._on_video)
        stamp = read_stamp(picture)
        assert stamp is not None
        shown.append(picture)
        watch.picture("a", stamp.frame_number, stamp.captured_ms, counter.is_keyframe(picture.pts),
                      now[0] * 1000, counter.picture_id(picture.pts), track.frames_superseded,
                      track.keyframes_superseded)

    try:
        for index in range(16):
            now[0] = index / 30
            for seq, ts, marker, payload, _ in (p for p in packets if p[4] == index and p[0] != lost):
                counter.on_packet(SimpleNamespace(sequence_number=seq, timestamp=ts, payload=payload))
                track.push(seq, ts, marker, payload)
            if index == 8:
                continue  # the keyframe came late: the frame behind it is decoded before it is taken
            await decoded(track, index + 1 if index < 5 else max(5, index - 2))  # 5-7 never decoded
            while track._latest is not None:
                take(await track.recv())
    finally:
        track.stop()
    numbers = [p.pts // 3000 for p in shown]
    assert numbers == [0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 15]  # 5-7 skipped, 8 superseded by 9
    for picture in shown:
        assert psnr(picture, sent[picture.pts // 3000]) > 30, picture.pts  # every one whole
    assert track.frames_superseded == 1 and track.keyframes_superseded == 1
    video = watch.close({}, {}, {}, set())["a"]["video"]
    assert video["damaged_pictures"] == 0


async def test_a_picture_due_at_once_never_overtakes_one_still_waiting_for_its_time() -> None:
    # Picture 0 waits for its playout time (lip sync holds it); picture 1 is decoded when that
    # time has all but come, before picture 0's timer ran. Shown the moment it was decoded, it
    # came first and picture 0 replaced it: the picture went back a frame.
    sent, encoded = encode(2)
    packets = packetize(encoded)
    now = [0.0]
    track = VideoReceiveTrack(clock=lambda: now[0])
    taken: list[int] = []

    async def pump() -> None:  # as the session does (remote_media._pump)
        while True:
            taken.append((await track.recv()).pts // 3000)

    pumping = asyncio.ensure_future(pump())
    try:
        track.playout.extra = 0.3  # picture 0 is due 0.3 s after it arrived
        for seq, ts, marker, payload, _ in (p for p in packets if p[4] == 0):
            track.push(seq, ts, marker, payload)
        await decoded(track, 1)
        assert taken == []  # held for its time
        now[0], track.playout.extra = 0.3, 0.0
        for seq, ts, marker, payload, _ in (p for p in packets if p[4] == 1):
            track.push(seq, ts, marker, payload)
        await decoded(track, 2)
        await asyncio.sleep(0.4)  # picture 0's timer has run
    finally:
        pumping.cancel()
        track.stop()
    assert taken == sorted(taken) and taken[-1] == 1  # never back a frame; the newest shown last
    assert track.frames_decoded == 2 and len(taken) + track.frames_superseded == 2


def test_an_unreadable_stamp_is_damage_only_where_the_chain_is_not_known_intact() -> None:
    # Seen on clean links: a stamp unreadable in one picture whose ids follow on from a keyframe
    # with nothing lost (the encoder blurred it; the decoder makes exactly the encoder's picture).
    now = [100.0]
    watch = MediaWatch(1 / 30, lambda: now[0])
    watch.open_window({}, {})

    def shown(who: str, number: int | None, picture_id: int | None, keyframe: bool = False) -> None:
        now[0] += 1 / 30
        wall_ms = now[0] * 1000
        watch.picture(who, number, None if number is None else wall_ms - 40, keyframe, wall_ms, picture_id)

    shown("intact", 0, 100, keyframe=True)
    shown("intact", None, 101)  # unreadable, on an intact chain
    shown("intact", 2, 102)
    shown("after-a-gap", 0, 200, keyframe=True)
    shown("after-a-gap", None, 203)  # 201 and 202 never came: damaged, readable or not
    shown("no-ids", 0, None)
    shown("no-ids", None, None)  # nothing to follow the chain by: damaged
    remotes = watch.close({}, {}, {}, set())
    figures = {who: (r["video"]["damaged_pictures"], r["video"]["stamps_unreadable"]) for who, r in remotes.items()}
    assert figures == {"intact": (0, 1), "after-a-gap": (1, 1), "no-ids": (1, 1)}
