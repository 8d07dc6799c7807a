"""The People panel's "Make host": offered to hosts (whose role may ``update-call-settings``)
for someone whose role is not theirs, never for themselves, and never to a participant; once
the app is made host, its menus offer the host controls."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from desktop.ui.call_window import CallWindow
from desktop.ui.side_panel import PEOPLE
from wire import Capability
from wire.messages import AttendeeInfo

HOST = tuple(Capability)  # the default call type's host: every capability
PARTICIPANT = (Capability.JOIN_CALL, Capability.SEND_AUDIO, Capability.SEND_VIDEO, Capability.SCREENSHARE)


def person(attendee_id: str, name: str, role: str = "participant") -> AttendeeInfo:
    return AttendeeInfo(attendee_id, attendee_id, name, role)


@pytest.fixture
def call(qtbot) -> CallWindow:
    window = CallWindow()
    qtbot.addWidget(window)
    window.resize(1200, 760)
    window.set_me("me")
    window.show()
    qtbot.waitExposed(window)
    return window


def offered(call: CallWindow, key: str) -> list[str]:
    menu = call.roster.rows[key].more.menu()
    menu.aboutToShow.emit()
    return [a.text() for a in menu.actions() if a.isVisible() and not a.isSeparator()]


def test_make_host_is_offered_to_hosts_for_those_who_are_not_hosts(call: CallWindow) -> None:
    call.roster.set_me("me", HOST)
    call.roster.upsert(person("me", "Ada", role="host"))
    call.add_attendee(person("g", "Grace"))
    call.add_attendee(person("l", "Linus", role="host"))
    asked = []
    call.roster.moderate_requested.connect(lambda who, action: asked.append((who, str(action))))
    assert "Make host" in offered(call, "g")
    assert "Make host" not in offered(call, "l")  # a host already
    assert "Make host" not in offered(call, "me")
    next(a for a in call.roster.rows["g"].more.menu().actions() if a.text() == "Make host").trigger()
    assert asked == [("g", "make_host")]
    # the server's participant_updated: Grace is a host now, and is offered it no more
    call.roster.upsert(person("g", "Grace", role="host"))
    assert "Make host" not in offered(call, "g")


def test_a_participant_is_not_offered_make_host_until_made_host(call: CallWindow) -> None:
    call.roster.set_me("me", PARTICIPANT)
    call.roster.upsert(person("me", "Ada"))
    call.add_attendee(person("g", "Grace"))
    call.add_attendee(person("h", "Hedy", role="host"))
    call.show_panel(PEOPLE)
    assert offered(call, "g") == ["Pin to the stage"]
    assert not call.roster.mute_all_button.isVisible()
    # Hedy makes me host: capabilities_updated comes first, then participant_updated with my role
    call.roster.set_me("me", HOST)
    call.roster.upsert(person("me", "Ada", role="host"))
    assert "Make host" in offered(call, "g") and "Mute" in offered(call, "g")
    assert "Make host" not in offered(call, "h")
    assert call.roster.mute_all_button.isVisible()
    assert call.roster.rows["g"].more.accessibleName() == "Host controls for Grace"


def test_spotlight_is_offered_to_hosts_and_puts_that_tile_on_everyones_stage(call: CallWindow) -> None:
    from desktop.ui.spotlight import BADGE, show_spotlight
    from desktop.ui.stage import SELF

    call.roster.set_me("me", HOST)
    call.roster.upsert(person("me", "Ada", role="host"))
    for key, name in (("g", "Grace"), ("l", "Linus"), ("m", "Margaret")):
        call.add_attendee(person(key, name))
    asked = []
    call.roster.moderate_requested.connect(lambda who, action: asked.append((who, str(action))))
    assert "Spotlight for everyone" in offered(call, "g") and "Spotlight for everyone" in offered(call, "me")
    next(a for a in call.roster.rows["g"].more.menu().actions() if a.text() == "Spotlight for everyone").trigger()
    assert asked == [("g", "spotlight")]
    assert call.grid.stage_keys() == []  # nothing large until the server says so

    # the server's spotlight: Grace is large, with the badge, above my own pin of Linus
    call.stage.pin("l")
    key = lambda who: SELF if who == "me" else who  # noqa: E731 (the controller's tile key)
    show_spotlight(call, "g", key)
    assert call.grid.stage_keys() == ["g"]
    badges = {k for k in call.grid.keys() if call.grid.tile(k).findChild(QLabel, BADGE) is not None}
    assert badges == {"g"}
    assert call.grid.tile("g").findChild(QLabel, BADGE).text() == "Spotlight"
    assert "Remove spotlight" in offered(call, "g") and "Spotlight for everyone" in offered(call, "m")
    asked.clear()
    next(a for a in call.roster.rows["g"].more.menu().actions() if a.text() == "Remove spotlight").trigger()
    assert asked == [("g", "unspotlight")]

    # on someone else, then on nobody: my pin comes back
    show_spotlight(call, "me", key)
    assert call.grid.stage_keys() == [SELF]
    show_spotlight(call, None, key)
    assert call.grid.stage_keys() == ["l"]
    assert not any(call.grid.tile(k).findChild(QLabel, BADGE) for k in call.grid.keys())


def test_a_participant_is_offered_no_spotlight(call: CallWindow) -> None:
    call.roster.set_me("me", PARTICIPANT)
    call.roster.upsert(person("me", "Ada"))
    call.add_attendee(person("g", "Grace"))
    assert offered(call, "g") == ["Pin to the stage"] and offered(call, "me") == ["Pin to the stage"]
