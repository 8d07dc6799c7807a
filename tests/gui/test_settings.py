"""Preferences: declared once, stored typed, edited in a dialog generated from the declaration,
applied at once; window state kept apart from them."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QSpinBox

from desktop.ui import preferences as prefs
from desktop.ui.settings import Settings
from desktop.ui.settings_dialog import SettingsDialog
from desktop.ui.shortcuts import SHORTCUTS
from desktop.ui.theme import is_dark


def _other_value(preference: prefs.Preference):
    if preference.kind == prefs.BOOL:
        return not preference.default
    if preference.kind == prefs.INT:
        return (preference.minimum + 1) * preference.scale
    if preference.kind == prefs.CHOICE:
        return preference.choices[-1][0] if preference.choices else "blur:light"
    if preference.kind == prefs.DEVICE:
        return ("usb-1234", "Desk camera")
    return "meet.example.org:8750" if preference.error else "Ada Lovelace"


def test_every_preference_round_trips_through_the_settings_file(tmp_path) -> None:
    path = str(tmp_path / "parley.ini")
    written = Settings(QSettings(path, QSettings.Format.IniFormat))
    for preference in prefs.PREFERENCES:
        assert written.get(preference.key) == (preference.default if preference.kind != prefs.DEVICE
                                               else (None, None))
        written.set(preference.key, _other_value(preference))
    written.sync()
    again = Settings(QSettings(path, QSettings.Format.IniFormat))  # the next run of the app
    for preference in prefs.PREFERENCES:
        assert again.get(preference.key) == _other_value(preference), preference.key


def test_values_of_the_wrong_kind_read_as_the_default_and_are_refused(tmp_path) -> None:
    q = QSettings(str(tmp_path / "parley.ini"), QSettings.Format.IniFormat)
    for key, garbage in (("idle/timeout", "soon"), ("idle/prompt", 5), ("appearance/theme", "purple"),
                         ("join/mic_on", "maybe"), ("general/default_server", "not a server!")):
        q.setValue(key, garbage)
    settings = Settings(q)
    assert settings.get("idle/timeout") == 3600 and settings.get("idle/prompt") == 60
    assert settings.get("appearance/theme") == "system" and settings.get("join/mic_on") is True
    assert settings.get("general/default_server") == ""
    for key, bad in (("appearance/theme", "purple"), ("idle/prompt", 5), ("general/default_server", "a b")):
        try:
            settings.set(key, bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{key} accepted {bad!r}")


def test_window_geometry_lives_apart_from_the_preferences(qtbot, tmp_path) -> None:
    from PySide6.QtWidgets import QWidget

    path = tmp_path / "parley.ini"
    settings = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    settings.set("profile/name", "Ada")
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(640, 400)
    settings.save_geometry(window, "CallWindow")
    settings.sync()
    assert "geometry" not in path.read_text() and "Ada" in path.read_text()
    assert "geometry" in (tmp_path / "parley-state.ini").read_text()
    assert Settings(QSettings(str(path), QSettings.Format.IniFormat)).restore_geometry(QWidget(), "CallWindow")


def test_the_dialog_has_a_named_control_for_every_preference_and_lists_the_shortcuts(qtbot, qsettings) -> None:
    dialog = SettingsDialog(Settings(qsettings), {"devices/camera": lambda: [("cam-1", "Desk camera")]})
    qtbot.addWidget(dialog)
    kinds = {prefs.BOOL: QCheckBox, prefs.INT: QSpinBox, prefs.TEXT: QLineEdit,
             prefs.CHOICE: QComboBox, prefs.DEVICE: QComboBox}
    for preference in prefs.PREFERENCES:
        widget = dialog.widget(preference.key)
        assert isinstance(widget, kinds[preference.kind]) and widget.accessibleName(), preference.key
    assert [dialog.pages.item(i).text() for i in range(dialog.pages.count())][-1] == "Keyboard shortcuts"
    assert {s.id for s in SHORTCUTS} == set(dialog.shortcut_labels)
    assert dialog.shortcut_labels["mic"].text() == "Ctrl+D"

    changes: list[str] = []
    dialog.changed.connect(changes.append)
    camera = dialog.widget("devices/camera")
    assert [camera.itemText(i) for i in range(camera.count())] == ["System default", "Desk camera"]
    camera.setCurrentIndex(1)
    assert dialog.settings.device("camera") == ("cam-1", "Desk camera") and changes == ["devices/camera"]
    dialog.idle_minutes.setValue(5)
    assert dialog.settings.get("idle/timeout") == 300 and changes[-1] == "idle/timeout"

    server = dialog.widget("general/default_server")
    server.setText("no spaces allowed")
    server.editingFinished.emit()
    assert dialog.errors["general/default_server"].isVisibleTo(dialog)
    assert dialog.settings.get("general/default_server") == ""
    server.setText("meet.example.org:8750")
    server.editingFinished.emit()
    assert not dialog.errors["general/default_server"].isVisibleTo(dialog)
    assert dialog.settings.get("general/default_server") == "meet.example.org:8750"


async def test_the_theme_and_the_default_server_apply_at_once(app_flow, themed) -> None:
    app = QApplication.instance()  # themed: its look is put back after the test
    flow = app_flow()
    flow.start()
    flow.open_settings()
    dialog = flow.dialogs.settings_dialog
    theme = dialog.widget("appearance/theme")
    theme.setCurrentIndex(theme.findData("dark"))
    assert is_dark(app) and flow.settings.get("appearance/theme") == "dark"
    theme.setCurrentIndex(theme.findData("light"))
    assert not is_dark(app)
    server = dialog.widget("general/default_server")
    server.setText("meet.example.org:8750")
    server.editingFinished.emit()
    assert flow.start_window.server.text() == "meet.example.org:8750"  # "join with a server and a token"


async def test_the_side_panels_keep_the_width_they_were_dragged_to(qtbot, qsettings) -> None:
    """The People panel dragged wider in one call is as wide in the next (window state, not a
    preference)."""
    from support import eventually

    from desktop.ui.call_window import CallWindow

    settings = Settings(qsettings)
    call = CallWindow()
    qtbot.addWidget(call)
    call.resize(1200, 700)
    call.show()
    call.bar.people_button.click()  # the People panel opens beside the videos
    # (laid out by the loop: never processEvents() inside a coroutine, it re-enters qasync)
    await eventually(lambda: call.splitter.sizes()[1] >= 260, what="the People panel laid out")
    grid, people = call.splitter.sizes()  # People and Chat share one side panel
    call.splitter.setSizes([grid - 150, people + 150])  # dragged wider
    await eventually(lambda: call.splitter.sizes()[1] >= people + 140, what="the panel wider")
    wide = call.splitter.sizes()[1]
    settings.save_splitter(call.splitter, "CallWindow")  # what the app does when the call ends
    settings.sync()

    again = CallWindow()
    qtbot.addWidget(again)
    assert Settings(qsettings).restore_splitter(again.splitter, "CallWindow")  # the next call
    again.resize(1200, 700)
    again.show()
    again.bar.people_button.click()
    await eventually(lambda: abs(again.splitter.sizes()[1] - wide) <= 2, what="the panel as wide as it was left")
    assert "splitters/CallWindow" in settings.state.allKeys()
    assert "splitters/CallWindow" not in qsettings.allKeys()
