"""What people notice in the call window: one side panel with tabs, a People list that reads and
finds, host actions for everyone at once, a toolbar that never moves, reactions that fade, a
filmstrip that pages, a notice when alone."""

from __future__ import annotations

import base64
import json

import pytest
from PySide6.QtCore import Qt

from desktop.signalling.join_link import shareable
from desktop.ui.call_window import CallWindow
from desktop.ui.chat_panel import BREAK, render
from desktop.ui.side_panel import CHAT, PEOPLE
from desktop.ui.stage import SELF, SPEAKER
from desktop.ui.tile_grid import STRIP_MIN
from wire.messages import AttendeeInfo


def person(attendee_id: str, name: str, **extra) -> AttendeeInfo:
    return AttendeeInfo(attendee_id, attendee_id, name, extra.pop("role", "participant"), **extra)


@pytest.fixture
def call(qtbot) -> CallWindow:
    window = CallWindow()
    qtbot.addWidget(window)
    window.resize(1200, 760)
    window.set_me("me")
    window.roster.set_me("me", ("end-call", "mute-others", "remove-participant"))
    window.roster.upsert(person("me", "Ada Lovelace", role="host", video=True))
    window.show()
    qtbot.waitExposed(window)
    return window


def test_people_and_chat_are_one_panel_with_tabs_and_a_close_button(qtbot, call: CallWindow) -> None:
    grid_alone = call.grid.width()
    call.bar.people_button.click()
    assert call.side.isVisible() and call.roster.isVisible() and not call.chat.isVisible()
    with_panel = call.grid.width()
    call.side.tabs[CHAT].click()  # the tab, in the panel
    assert call.chat.isVisible() and not call.roster.isVisible()
    assert call.bar.chat_button.isChecked() and not call.bar.people_button.isChecked()
    assert call.grid.width() == with_panel  # one panel's width, whichever tab
    assert with_panel > grid_alone * 0.6
    call.bar.people_button.click()  # People's button: back to its tab
    assert call.roster.isVisible() and call.side.current == PEOPLE
    call.side.close_button.click()
    assert not call.side.isVisible()
    assert not call.bar.people_button.isChecked() and not call.bar.chat_button.isChecked()
    assert call.side.tabs[PEOPLE].text() == "People (1)"


def test_the_search_finds_people_by_name(call: CallWindow) -> None:
    for key, name in (("g", "Grace Hopper"), ("l", "Linus Torvalds"), ("m", "Margaret Hamilton")):
        call.add_attendee(person(key, name))
    call.show_panel(PEOPLE)
    call.roster.search.setText("ha")  # Hamilton, and nobody else ("Ada" has no "ha")
    assert call.roster.shown() == ["m"]
    call.roster.search.setText("TORV")
    assert call.roster.shown() == ["l"] and not call.roster.nobody.isVisible()
    call.roster.search.setText("nobody at all")
    assert call.roster.shown() == [] and call.roster.nobody.isVisible()
    call.add_attendee(person("k", "Ken Thompson"))  # a newcomer who does not match stays hidden
    assert call.roster.shown() == []
    call.roster.search.clear()
    assert call.roster.shown() == ["me", "g", "l", "m", "k"]


def test_names_keep_the_width_of_the_row(call: CallWindow) -> None:
    call.add_attendee(person("g", "Katherine Johnson-Goble"))
    call.show_panel(PEOPLE)
    row = call.roster.rows["g"]
    assert row.name.width() >= row.width() - 110  # the icons beside it take about 100 px
    assert row.name.width() >= row.name.fontMetrics().horizontalAdvance("Katherine Johnson-Goble")  # in full


def test_host_actions_for_everyone_and_a_menu_that_offers_what_applies(qtbot, call: CallWindow) -> None:
    call.add_attendee(person("g", "Grace", hand_raised_at="2026-01-01T00:00:00Z"))
    call.add_attendee(person("l", "Linus", muted=True, mute_locked=True))
    call.add_attendee(person("m", "Margaret"))
    roster = call.roster
    call.show_panel(PEOPLE)
    asked = []
    roster.moderate_requested.connect(lambda who, action: asked.append((who, str(action))))
    assert roster.mute_all_button.isVisible() and roster.lower_hands_button.isVisible()
    roster.mute_all_button.click()  # Linus is muted by a host already; never me
    assert asked == [("g", "mute"), ("m", "mute")]
    asked.clear()
    roster.lower_hands_button.click()
    assert asked == [("g", "lower_hand")]

    def offered(key: str) -> list[str]:
        menu = roster.rows[key].more.menu()
        menu.aboutToShow.emit()
        return [a.text() for a in menu.actions() if a.isVisible() and not a.isSeparator()]

    assert "Allow to unmute" in offered("l") and "Mute" not in offered("l")
    assert "Allow to unmute" not in offered("m") and "Mute" in offered("m")
    assert "Lower hand" in offered("g") and "Lower hand" not in offered("m")
    assert offered("me") == ["Pin to the stage", "Spotlight for everyone"]  # a host may spotlight themselves
    next(a for a in roster.rows["m"].more.menu().actions() if a.text() == "Pin to the stage").trigger()
    assert call.stage.pinned == "m" and call.grid.stage_keys() == ["m"]
    assert offered("m")[0] == "Unpin"
    next(a for a in roster.rows["m"].more.menu().actions() if a.text() == "Unpin").trigger()
    assert call.stage.pinned is None

    # a participant: no host buttons, Pin only
    call.roster.set_me("me", ("join-call",))
    assert not roster.mute_all_button.isVisible() and not roster.lower_hands_button.isVisible()
    assert offered("g") == ["Pin to the stage"]


@pytest.mark.parametrize("mode", [None, "light", "dark"])
def test_the_toolbar_never_moves_as_the_tally_and_the_countdown_change(qtbot, call: CallWindow, themed, mode) -> None:
    if mode:
        themed(mode)
    call.set_can_extend(True)
    call.show_time_left(3599, "59:59")
    qtbot.waitUntil(lambda: call.bar.timer_box.isVisible())
    call.bar.reaction_strip.clock = lambda: 0.0
    qtbot.wait(10)
    before = {b.accessibleName(): b.geometry() for b in (call.bar.mic_button, call.bar.people_button,
                                                        call.bar.leave_button)}
    before_global = call.bar.mic_button.mapTo(call, call.bar.mic_button.rect().topLeft())
    for emoji in ("👍", "🎉", "❤️", "😂", "😮", "👏", "👍", "👍"):
        call.show_reaction("nobody", emoji)
    call.show_time_left(61, "1:01")
    call.show_time_left(9, "0:09")
    call.set_mic(False)  # "Mute" becomes "Unmute"
    call.set_hand(True)  # "Raise" becomes "Lower"
    qtbot.wait(50)
    after = {b.accessibleName(): b.geometry() for b in (call.bar.mic_button, call.bar.people_button,
                                                       call.bar.leave_button)}
    assert after == before
    assert call.bar.mic_button.mapTo(call, call.bar.mic_button.rect().topLeft()) == before_global


def test_the_reaction_tally_fades_a_few_seconds_after_the_last(call: CallWindow) -> None:
    now = [100.0]
    tally = call.bar.reaction_strip
    tally.clock = lambda: now[0]
    call.show_reaction(SELF, "👍")
    now[0] += 4
    call.show_reaction(SELF, "👍")
    tally.tick()
    assert "👍 2" in tally.text()
    now[0] += tally.fade_after - 0.5
    tally.tick()
    assert "👍 2" in tally.text()  # counted from the last one
    assert tally.text() == "👍 2" and not call.bar.count_label.isVisible()  # whole, in the count's place
    now[0] += 1
    tally.tick()
    assert tally.text() == "" and call.bar.reaction_counts == {}
    assert call.bar.count_label.isVisible()
    call.show_reaction(SELF, "🎉")  # a new moment starts afresh
    assert tally.text() == "🎉 1"


def test_reactions_are_one_row_of_large_emoji(qtbot, call: CallWindow) -> None:
    call.set_reactions(("👍", "👏", "😂", "🎉", "❤️", "😮"))
    buttons = call.bar.reaction_bar.buttons
    assert [b.text() for b in buttons] == ["👍", "👏", "😂", "🎉", "❤️", "😮"]
    assert all(b.width() >= 40 for b in buttons) and buttons[0].font().pixelSize() >= 24
    call.bar.reaction_bar.adjustSize()
    assert len({b.y() for b in buttons}) == 1  # one row
    with qtbot.waitSignal(call.react_requested) as sent:
        buttons[3].click()
    assert sent.args == ["🎉"]


def test_the_layout_menu_marks_the_current_choice(call: CallWindow) -> None:
    call.set_layout(SPEAKER)
    actions = call.bar.layout_actions
    assert actions[SPEAKER].isChecked() and not actions["grid"].isChecked()
    assert all(a.icon().isNull() for a in actions.values())  # Fusion would draw an icon instead of the check
    assert call.bar.layout_button.text() == "Speaker"


def test_toolbar_buttons_are_labelled_and_take_no_focus_from_a_click(call: CallWindow) -> None:
    bar = call.bar
    assert bar.mic_button.text() == "Mute" and bar.camera_button.text() == "Stop video"
    assert bar.mic_button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextUnderIcon
    assert all(b.focusPolicy() == Qt.FocusPolicy.TabFocus for b in (*bar.bar_buttons, bar.leave_button))
    call.set_mic(False)
    assert bar.mic_button.text() == "Unmute" and bar.mic_button.property("off") is True


def test_the_device_arrows_list_the_devices(call: CallWindow) -> None:
    from desktop.media.devices import Device, DeviceKind

    mics = [Device(DeviceKind.MICROPHONE, "m1", "Desk microphone"), Device(DeviceKind.MICROPHONE, "m2", "Headset")]
    call.set_devices(DeviceKind.MICROPHONE, mics, mics[1])
    call.set_devices(DeviceKind.SPEAKER, [Device(DeviceKind.SPEAKER, "s1", "Speakers")], None)
    call.set_devices(DeviceKind.CAMERA, [Device(DeviceKind.CAMERA, "c1", "Webcam")], None)
    call.bar.mic_arrow.rebuild()
    texts = {a.text(): a for a in call.bar.mic_arrow.menu().actions()}
    assert {"Microphone", "Desk microphone", "Headset", "Speaker", "Speakers"} <= set(texts)
    assert texts["Headset"].isChecked()
    call.bar.camera_arrow.rebuild()
    assert "Webcam" in [a.text() for a in call.bar.camera_arrow.menu().actions()]
    assert call.bar.background_menu.menuAction() in call.bar.camera_arrow.menu().actions()


def test_speaker_view_with_16_pages_a_filmstrip_of_readable_thumbnails(qtbot, call: CallWindow) -> None:
    for i in range(16):
        call.add_attendee(person(f"p{i:02}", f"Person {i}"))
    call.set_layout(SPEAKER)
    grid = call.grid
    qtbot.waitUntil(lambda: grid.stage_keys() != [])
    strip = grid.strip_keys()
    assert 2 <= len(strip) < 16 and grid.strip_pages > 1
    assert all(grid.tile(k).width() >= STRIP_MIN for k in strip)
    previous, following = grid.page_arrows
    assert previous.isVisible() and not previous.isEnabled() and following.isEnabled()
    others = len(grid.keys()) - len(grid.stage_keys())
    assert following.text() == f"{others - len(strip)} more"  # how many are that way
    seen = set(strip)
    while following.isEnabled():
        following.click()
        assert not seen & set(grid.strip_keys())  # another page, other people
        seen |= set(grid.strip_keys())
    assert seen | set(grid.stage_keys()) == set(grid.keys())  # everyone on some page
    assert following.text() == "" and previous.text().endswith("more")
    previous.click()
    assert grid.strip_page == grid.strip_pages - 2
    call.set_layout("grid")
    assert all(grid.tile(k).isVisible() for k in grid.keys()) and not following.isVisible()


def test_alone_says_so_and_offers_the_invite_link(qtbot, call: CallWindow) -> None:
    assert call.alone.isVisible() and not call.alone.copy_button.isVisible()
    call.set_invite("parley://127.0.0.1:8750/m/x?token=y")
    assert call.alone.copy_button.isVisible()
    call.alone.copy_button.click()
    from PySide6.QtGui import QGuiApplication
    assert QGuiApplication.clipboard().text() == "parley://127.0.0.1:8750/m/x?token=y"
    call.add_attendee(person("g", "Grace"))
    assert not call.alone.isVisible()
    call.remove_attendee("g")
    assert call.alone.isVisible()


def token(claims: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=") + ".c2ln"


def test_an_invite_link_is_shareable_a_personal_one_is_not() -> None:
    invite = f"parley://127.0.0.1:8750/m/M1?token={token({'meeting_id': 'M1', 'role': 'participant', 'invite_id': 'I'})}"
    personal = f"parley://127.0.0.1:8750/m/M1?token={token({'meeting_id': 'M1', 'attendee_id': 'A'})}"
    assert shareable(invite) == invite
    assert shareable(personal) is None
    assert shareable("parley://127.0.0.1:8750/m/M1?token=%%%") is None


def test_a_long_web_address_can_wrap_in_the_chat() -> None:
    html = render("see https://example.com/a/very/long/path?x=1&y=2")
    assert 'href="https://example.com/a/very/long/path?x=1&amp;y=2"' in html  # the link is whole
    assert f"/{BREAK}very" in html  # the shown text may wrap after a slash


def test_the_background_gallery_picks_a_background(qtbot) -> None:
    from desktop.ui.background_gallery import BackgroundGallery

    gallery = BackgroundGallery()
    qtbot.addWidget(gallery)
    gallery.set_current("none")
    values = list(gallery.items)
    assert values[:3] == ["none", "blur:light", "blur:strong"] and any(v.startswith("replace:") for v in values)
    assert gallery.items["none"].isChecked()
    sizes = {button.icon().availableSizes()[0].width() for button in gallery.items.values()}
    assert sizes and all(size >= 96 for size in sizes)  # thumbnails, not words
    picture = next(v for v in values if v.startswith("replace:"))
    with qtbot.waitSignal(gallery.chosen) as chosen:
        gallery.items[picture].click()
    assert chosen.args == [picture]
    assert gallery.items[picture].isChecked() and not gallery.items["none"].isChecked()
    gallery.set_current("replace:/home/someone/holiday.jpg")  # a picture of one's own gets a thumbnail too
    assert gallery.items["replace:/home/someone/holiday.jpg"].isChecked()


def test_the_settings_show_the_gallery_beside_the_choice(qtbot, qsettings) -> None:
    from desktop.ui.backgrounds import background_choices
    from desktop.ui.settings import Settings
    from desktop.ui.settings_dialog import SettingsDialog

    settings = Settings(qsettings)
    dialog = SettingsDialog(settings, providers={"video/background": lambda: background_choices(settings.get("video/background"))})
    qtbot.addWidget(dialog)
    changed = []
    dialog.changed.connect(changed.append)
    dialog.background_gallery.items["blur:strong"].click()
    assert settings.get("video/background") == "blur:strong" and changed == ["video/background"]
    combo = dialog.widget("video/background")
    assert combo.currentData() == "blur:strong"
    combo.setCurrentIndex(combo.findData("blur:light"))
    assert dialog.background_gallery.items["blur:light"].isChecked()


async def test_the_share_picker_is_a_grid_of_cards_with_a_plain_cancel(qtbot) -> None:
    from PySide6.QtWidgets import QCheckBox

    from desktop.media.synthetic.backend import SyntheticScreens
    from desktop.ui.screen_picker import CELL, ScreenPicker

    picker = ScreenPicker(SyntheticScreens())
    qtbot.addWidget(picker)
    picker.show()
    await picker.thumbnails_done.wait()
    count = picker.list.count()
    assert count >= 1 and picker.list.gridSize() == CELL
    assert not picker.list.item(0).icon().isNull()  # the thumbnail came
    # sized to its cards: one card is one card wide, not a card in a big empty box
    assert picker.list.width() <= min(3, count) * (CELL.width() + 40) + 60
    assert picker.cancel_button.text() == "Cancel" and picker.cancel_button.icon().isNull()
    assert not picker.findChildren(QCheckBox)  # no "share sound": a screen shares no sound here
    with qtbot.assertNotEmitted(picker.chosen):
        picker.cancel_button.click()
    assert not picker.isVisible()


def test_a_wrapped_address_is_copied_without_its_wrap_points(qtbot) -> None:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest

    from desktop.ui.chat_panel import ChatBubble

    url = "https://example.org/team/2026/planning/q1-review-slides-final.pdf"
    bubble = ChatBubble(render(url), url)
    qtbot.addWidget(bubble)
    bubble.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    bubble.show()
    from PySide6.QtGui import QTextDocument
    document = QTextDocument()
    document.setHtml(bubble.text())
    bubble.setSelection(0, len(document.toPlainText()))
    assert BREAK in bubble.selectedText()
    QTest.keySequence(bubble, "Ctrl+C")
    assert QGuiApplication.clipboard().text() == url
