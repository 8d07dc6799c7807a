"""Background effects in the app: chosen in the lobby (the preview shows it), kept for the
call, changed from the call's menu or the settings, remembered for the next run."""

from __future__ import annotations

from app_support import join_from_lobby
from desktop.media.background.effect import BackgroundEffect
from support import Server, eventually


def pick(menu, value: str) -> None:
    menu.aboutToShow.emit()  # the menu is rebuilt when it opens
    action = next(a for a in menu.actions() if a.data() == value)
    assert action.isEnabled()
    action.trigger()


async def test_background_from_the_lobby_to_the_call_and_the_next_run(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    flow = app_flow()
    flow.open_lobby(await server.join_url(meeting["id"], "Ada"))
    lobby = flow.lobby
    gallery = lobby.background_gallery
    assert not gallery.isVisible()  # no effect yet: the gallery opens with the button
    lobby.background_button.click()
    assert gallery.isVisible()
    labels = [button.accessibleName() for button in gallery.items.values()]
    assert labels[:3] == ["None", "Light blur", "Strong blur"] and len(labels) >= 4  # and the pictures
    assert all(not button.icon().isNull() for button in gallery.items.values())  # thumbnails
    gallery.items["blur:strong"].click()
    assert gallery.items["blur:strong"].isChecked() and not gallery.items["none"].isChecked()
    effect = flow.media._effect_track
    assert effect is not None and effect.effect == BackgroundEffect("blur", "strong")
    before = effect.frames_processed
    await eventually(lambda: effect.frames_processed > before + 3, what="the preview's frames blurred")
    assert effect.failure is None

    await join_from_lobby(flow, flow.join_url, "Ada")
    call = flow.call
    call.bar.background_menu.aboutToShow.emit()
    checked = [a.data() for a in call.bar.background_menu.actions() if a.isChecked()]
    assert checked == ["blur:strong"]
    pick(call.bar.background_menu, "replace:" + next(a.data()[8:] for a in call.bar.background_menu.actions()
                                                  if (a.data() or "").startswith("replace:")))
    assert flow.media._effect_track.effect.kind == "replace"
    flow.open_settings()
    combo = flow.dialogs.settings_dialog.widget("video/background")
    combo.setCurrentIndex(combo.findData("none"))  # from the settings: as filmed
    assert not flow.media._effect_track.effect.active
    combo.setCurrentIndex(combo.findData("blur:light"))
    assert flow.media._effect_track.effect == BackgroundEffect("blur", "light")

    second = app_flow()  # the next run of the app, same settings
    assert second.settings.get("video/background") == "blur:light"
