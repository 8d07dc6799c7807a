"""The light path's voice counts (desktop/media/voice_count.py) and how parley-bot reports them
(desktop/bot/watch.py), on made-up packets and an injected clock: what a listener would have
heard of what each publisher sent, over the time each voice ran in the window."""

from __future__ import annotations

from desktop.bot.watch import MediaWatch
from desktop.media.voice_count import VoicePacketCount, voice_window

TICKS = 960  # 20 ms of 48 kHz


def feed(count: VoicePacketCount, seqs, start_seq: int, start_ts: int, t0: float,
         skip_slots: set[int] = frozenset(), delays: dict[int, float] | None = None) -> None:
    """Packets ``seqs`` (indexes from ``start_seq``) come: packet i carries the i-th 20 ms slot
    its publisher did not skip, and arrives at ``t0`` plus that slot's time plus ``delays[i]``."""
    slot_of: list[int] = []
    slot = 0
    while len(slot_of) <= max(seqs):
        if slot not in skip_slots:
            slot_of.append(slot)
        slot += 1
    for i in seqs:
        count.on_packet((start_seq + i) & 0xFFFF, (start_ts + slot_of[i] * TICKS) & 0xFFFFFFFF,
                        t0 + slot_of[i] * 0.02 + (delays or {}).get(i, 0.0))


def test_a_voice_that_lost_one_packet_in_ten_was_delivered_nine_tenths() -> None:
    count = VoicePacketCount()
    feed(count, range(100), 65500, 4294960000, 10.0)  # both counters wrap on the way
    before = count.snapshot()
    feed(count, [i for i in range(100, 600) if i % 10 != 3], 65500, 4294960000, 10.0)
    # the window's 500 packets, 50 of them lost on the way
    figures = voice_window(before, count.snapshot(), window_s=10.0)
    assert figures["packets"] == 450
    assert figures["expected"] == 500
    assert figures["delivered_share"] == 0.9
    assert figures["sent_per_s"] == 50.0


def test_slots_a_publisher_skipped_lower_what_it_sent_not_what_was_delivered() -> None:
    # a replayed voice on a starved machine: every fourth 20 ms never sent (it used no sequence number)
    count = VoicePacketCount()
    feed(count, range(10), 1000, 0, 0.0)
    before = count.snapshot()
    skipped = {s for s in range(10, 410) if s % 4 == 0}
    feed(count, range(10, 310), 1000, 0, 0.0, skip_slots=skipped)
    figures = voice_window(before, count.snapshot(), window_s=8.0)
    assert figures["packets"] == 300
    assert figures["delivered_share"] == 1.0
    assert figures["packets_per_s"] == 37.5  # what the old figure read as 75 % "came"
    assert figures["live_seconds"] == 8.0 and figures["sent_per_s"] == 37.5


def test_packets_later_than_a_jitter_buffer_waits_are_not_delivered_in_time() -> None:
    count = VoicePacketCount()
    feed(count, range(100), 0, 0, 0.0, delays={40: 0.15, 50: 0.25, 51: 0.3})
    figures = voice_window(None, count.snapshot(), window_s=2.0)
    assert figures["late"] == 2
    assert figures["expected"] == 100
    assert figures["delivered_share"] == 0.98
    assert figures["behind_fastest_ms"] == 7.0  # (150 + 250 + 300 ms) over 100 packets


def test_a_delay_that_lasts_is_late_until_a_buffer_would_follow_it_and_shows_as_behind() -> None:
    count = VoicePacketCount()
    feed(count, range(100), 0, 0, 0.0)  # 2 s on time
    before = count.snapshot()
    feed(count, range(100, 400), 0, 0, 0.0, delays={i: 0.51 for i in range(100, 400)})
    figures = voice_window(before, count.snapshot(), window_s=6.0)
    assert figures["late"] == 74  # until the on-time packets are 2 s old
    assert figures["delivered_share"] == round(226 / 300, 4)
    assert figures["behind_fastest_ms"] == 510.0


def test_a_voice_that_began_inside_the_window_counts_from_its_first_packet() -> None:
    count = VoicePacketCount()
    feed(count, range(250), 7, 123, 0.0)  # five seconds of voice in a ten-second window
    figures = voice_window(None, count.snapshot(), window_s=10.0)
    assert figures["expected"] == 250 and figures["delivered_share"] == 1.0
    assert figures["live_seconds"] == 5.0 and figures["sent_per_s"] == 50.0
    assert figures["packets_per_s"] == 25.0  # by the window: half, though nothing was lost


def test_the_bot_reports_each_counted_voice_over_the_window() -> None:
    clock = [100.0]
    watch = MediaWatch(1 / 30, lambda: clock[0])
    early, late = VoicePacketCount(), VoicePacketCount()
    feed(early, range(100), 0, 0, 98.0)
    watch.open_window({}, {"early": early.snapshot()})
    feed(early, range(100, 600), 0, 0, 98.0)
    feed(late, range(200), 0, 0, 106.0)  # joined 6 s into the window, sent 4 s
    clock[0] = 110.0
    remotes = watch.close({}, {"early": (early.snapshot(), None), "late": (late.snapshot(), None)},
                          {"early": "E", "late": "L"}, set())
    assert remotes["early"]["audio"]["delivered_share"] == 1.0
    assert remotes["early"]["audio"]["expected"] == 500
    assert remotes["late"]["audio"]["delivered_share"] == 1.0
    assert remotes["late"]["audio"]["live_seconds"] == 4.0
    assert remotes["late"]["audio"]["packets_per_s"] == 20.0
