"""Health from both directions: the signal bars, a weak uplink, a poor downlink."""

from __future__ import annotations

from desktop.media.stats import LinkStats
from desktop.session.health import DirectionalHealth, ReceivePoor, UplinkWeak, link_quality


def test_the_signal_bars_count_what_i_receive_too() -> None:
    assert link_quality(LinkStats()) is None
    assert link_quality(LinkStats(uplink_audio_loss=0.0, receive_loss=0.0)) == 1.0
    assert link_quality(LinkStats(uplink_audio_loss=0.0, receive_loss=0.1)) == 0.5  # only the downlink is lossy
    assert link_quality(LinkStats(uplink_audio_loss=0.3, receive_loss=0.0)) == 0.0
    assert link_quality(LinkStats(uplink_loss=0.1)) == 0.5  # no audio report yet: my worst section


def test_a_weak_uplink_and_a_poor_downlink_are_told_apart_once_a_cooldown() -> None:
    health = DirectionalHealth(loss=0.1, samples=5, cooldown=120)
    lossy_up = LinkStats(uplink_loss=0.2, receive_loss=0.0, send_estimate_kbps=400)
    alerts = [health.sample(lossy_up, t * 2.0, camera_on=True) for t in range(5)]
    assert alerts[:4] == [[], [], [], []] and alerts[4] == [UplinkWeak(0.2, 400)]
    assert all(health.sample(lossy_up, 10 + t * 2.0, camera_on=True) == [] for t in range(20))  # cooldown
    # camera off: a lossy uplink does not make my video look bad
    quiet = DirectionalHealth(samples=3)
    assert all(quiet.sample(lossy_up, t, camera_on=False) == [] for t in range(10))
    # the encoder held far down by the estimate counts as weak too
    held = DirectionalHealth(samples=3)
    slow = LinkStats(uplink_loss=0.0, send_estimate_kbps=60)
    assert [held.sample(slow, t, camera_on=True) for t in range(3)][-1] == [UplinkWeak(0.0, 60)]
    # what I receive arrives badly
    down = DirectionalHealth(samples=3)
    lossy_down = LinkStats(uplink_loss=0.0, receive_loss=0.25)
    assert [down.sample(lossy_down, t, camera_on=False) for t in range(3)][-1] == [ReceivePoor(0.25)]


def test_a_busy_computer_is_not_called_a_poor_connection() -> None:
    """Packets read late by a busy computer look like a lossy downlink: while the computer is
    busy (videos paused for load, the loop late) the alert puts it down to the computer, and
    the network is blamed only after a whole run in which the computer kept up."""
    now = [0.0]  # the injected clock: two seconds a sample
    health = DirectionalHealth(loss=0.1, samples=3, cooldown=120)
    lossy = LinkStats(uplink_loss=0.0, receive_loss=0.3)

    def sample(busy: bool) -> list[object]:
        now[0] += 2.0
        return health.sample(lossy, now[0], camera_on=False, computer_busy=busy)

    assert [sample(True) for _ in range(3)][-1] == [ReceivePoor(0.3, computer=True)]
    now[0] += 120  # past the cooldown
    assert [sample(b) for b in (False, True, False)][-1] == [ReceivePoor(0.3, computer=True)]  # busy once in the run
    now[0] += 120
    assert [sample(False) for _ in range(3)][-1] == [ReceivePoor(0.3, computer=False)]  # the network


def test_the_session_calls_the_computer_busy_from_its_loop_lag_or_its_pauses() -> None:
    from desktop.session.remote_media import RemoteMedia

    remote = RemoteMedia(None, None, None, lambda event: None, lambda: 0.0,  # type: ignore[arg-type]
                         watch_media=lambda pc, current: None, heard=lambda who: None, speaker=None,
                         decode_video=False, stats_interval=2.0)
    for _ in range(40):
        remote.loop_lag.note(0.003)  # 3 ms late: keeping up
    assert not remote.computer_busy()
    for _ in range(10):
        remote.loop_lag.note(0.2)  # half a second of 200 ms wake-ups in the last two seconds
    assert remote.computer_busy()
    for _ in range(40):
        remote.loop_lag.note(0.003)  # the lag was more than a stats interval ago
    assert not remote.computer_busy()
    remote.busy = True  # the load governor pauses videos
    assert remote.computer_busy()
