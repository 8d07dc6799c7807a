"""Bug 4 (issue 21), the stage's part: in speaker view with nobody talking yet (just after a
server restart), a muted person was put on the big stage; the first person not muted goes there."""

from __future__ import annotations

from desktop.session import Participant
from desktop.ui.call_window import SPEAKER, CallWindow


def test_nobody_talking_yet_puts_someone_not_muted_on_the_stage(qtbot) -> None:
    call = CallWindow()
    qtbot.addWidget(call)
    call.set_me("me")
    call.set_layout(SPEAKER)
    call.add_attendee(Participant("g", "u-g", "Grace", "participant", muted=True))
    call.add_attendee(Participant("l", "u-l", "Linus", "participant"))
    assert call.grid.stage_keys() == ["l"]
    call.add_attendee(Participant("l", "u-l", "Linus", "participant", muted=True))  # all muted: the first
    call.stage.update()
    assert call.grid.stage_keys() == ["g"]
