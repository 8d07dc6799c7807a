"""What the call window says when what the others send arrives badly: the connection is blamed
only when this computer kept up; while it was busy the words say so, and nothing is added while
the "Your computer is busy, so Parley shows fewer videos." notice holds."""

from __future__ import annotations

from desktop.session.events import ComputerBusy, EventEmitter
from desktop.session.health import ReceivePoor
from desktop.ui.bridge import SessionBridge
from desktop.ui.call_window import CallWindow
from desktop.ui.media_notices import MediaNotices


class FakeSession(EventEmitter):
    """What the bridge uses of a MeetingSession: its events (the session's own emitter)."""


def test_loss_while_the_computer_is_busy_is_not_called_a_poor_connection(qtbot) -> None:
    session, window = FakeSession(), CallWindow()
    qtbot.addWidget(window)
    bridge = SessionBridge(session)  # type: ignore[arg-type]
    MediaNotices(window, bridge, lambda attendee_id: attendee_id)
    window.show()

    session.emit(ReceivePoor(0.3, computer=True))
    assert not window.alert.isVisible()  # no "Your connection is poor"
    assert window.banner.isVisible()
    assert window.banner.text() == "Your computer is busy, so others' videos may freeze or look blurry."

    session.emit(ComputerBusy(True))
    assert window.banner.text() == "Your computer is busy, so Parley shows fewer videos."
    window.banner.setVisible(False)
    session.emit(ReceivePoor(0.3, computer=True))
    assert not window.banner.isVisible() and not window.alert.isVisible()  # said already

    session.emit(ReceivePoor(0.3, computer=False))  # the computer kept up: the network it is
    assert window.alert.isVisible()
    assert window.alert_text.text() == "Your connection is poor. Others' videos may freeze or look blurry."
    bridge.close()
