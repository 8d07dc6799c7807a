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
