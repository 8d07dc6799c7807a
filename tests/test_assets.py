"""The asset resolver (dev, installed, frozen), the recoloured icon set, and the theme."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPalette, QPixmap
from PySide6.QtWidgets import QToolButton

from desktop import assets
from desktop.ui import icons, theme

REPO = Path(__file__).resolve().parent.parent


# --- assets --------------------------------------------------------------------------------------

def test_finds_the_checkout_resources_in_development() -> None:
    path = assets.asset_path("icons/mic.svg")
    assert path.is_file() and path.read_bytes().startswith(b"<svg")
    assert path == REPO / "resources" / "icons" / "mic.svg" or path.parent.parent.parent.name == "desktop"


def fake_root(base: Path, marker: str) -> Path:
    (base / "icons").mkdir(parents=True)
    (base / "icons" / "mic.svg").write_text(marker)
    return base


def test_an_installed_copy_comes_before_the_checkout(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(assets, "_INSTALLED_ROOT", fake_root(tmp_path / "desktop" / "resources", "installed"))
    assert assets.asset_path("icons/mic.svg").read_text() == "installed"
    # what the installed copy lacks still comes from the checkout
    assert assets.asset_path("icons/camera.svg") == REPO / "resources" / "icons" / "camera.svg"


def test_a_frozen_build_finds_its_bundle(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    fake_root(tmp_path / "resources", "frozen")
    assert assets.asset_path("icons/mic.svg").read_text() == "frozen"


def test_a_frozen_build_that_kept_the_package_layout(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(assets, "_CHECKOUT_ROOT", tmp_path / "nowhere")
    monkeypatch.setattr(assets, "_INSTALLED_ROOT", tmp_path / "nowhere")
    fake_root(tmp_path / "desktop" / "resources", "frozen package")
    assert assets.asset_path("icons/mic.svg").read_text() == "frozen package"


def test_the_override_comes_before_everything(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(assets, "override", None)
    assets.use_resources(fake_root(tmp_path / "mine", "override"))
    assert assets.asset_path("icons/mic.svg").read_text() == "override"
    assert assets.resource_roots()[0] == tmp_path / "mine"


def test_a_missing_asset_says_what_and_where(monkeypatch) -> None:
    with pytest.raises(FileNotFoundError, match=r"icons/nope\.svg.*looked in: .*resources"):
        assets.asset_path("icons/nope.svg")
    with pytest.raises(ValueError):
        assets.asset_path("../pyproject.toml")
    with pytest.raises(ValueError):
        assets.asset_path("/etc/passwd")


# --- icons ---------------------------------------------------------------------------------------

def ink(pixmap: QPixmap) -> set[str]:
    """The colours of a pixmap's fully opaque pixels."""
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_ARGB32)
    return {image.pixelColor(x, y).name() for y in range(image.height()) for x in range(image.width())
            if image.pixelColor(x, y).alpha() == 255}


def coverage(pixmap: QPixmap) -> float:
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_ARGB32)
    painted = sum(image.pixelColor(x, y).alpha() > 0 for y in range(image.height()) for x in range(image.width()))
    return painted / (image.width() * image.height())



@pytest.mark.parametrize("name", icons.ICON_NAMES)
def test_every_icon_is_a_24x24_monochrome_drawing(name: str, qapp) -> None:
    svg = assets.asset_path(f"icons/{name}.svg").read_text()
    assert 'viewBox="0 0 24 24"' in svg and "currentColor" in svg
    drawn = icons.pixmap(name, 24, "#123456", 1.0)
    assert 0.03 < coverage(drawn) < 0.6
    assert ink(drawn) == {"#123456"}


def test_icons_take_the_palette_text_colour_in_light_and_dark(themed) -> None:
    themed("light")
    light = icons.pixmap("mic", 24)
    assert theme.is_dark() is False
    themed("dark")
    dark = icons.pixmap("mic", 24)
    assert theme.is_dark() is True
    assert coverage(light) > 0.05 and coverage(dark) > 0.05
    assert ink(light) == {theme._LIGHT["text"]} and ink(dark) == {theme._DARK["text"]}


def test_an_icon_follows_the_theme_by_itself(qtbot, themed) -> None:
    themed("light")
    mic = icons.icon("mic")
    button = QToolButton()
    qtbot.addWidget(button)
    button.setIcon(mic)
    button.setIconSize(QSize(24, 24))
    button.resize(48, 48)
    button.show()
    qtbot.waitExposed(button)
    assert ink(mic.pixmap(24)) == {theme._LIGHT["text"]}
    assert theme._LIGHT["text"] in ink(button.grab())
    themed("dark")  # nothing told the button: its icon repaints in the new colour
    assert ink(mic.pixmap(24)) == {theme._DARK["text"]}
    qtbot.waitUntil(lambda: theme._DARK["text"] in ink(button.grab()))
    assert theme._LIGHT["text"] not in ink(button.grab())


def test_a_coloured_icon_keeps_its_colour_and_fades_when_disabled(themed) -> None:
    themed("dark")
    leave = icons.icon("leave", "#ffffff")
    assert ink(leave.pixmap(24)) == {"#ffffff"}
    themed("light")
    assert ink(leave.pixmap(24)) == {"#ffffff"}
    disabled = leave.pixmap(24, QIcon.Mode.Disabled).toImage()
    assert max(disabled.pixelColor(x, y).alpha() for y in range(24) for x in range(24)) <= 0.4 * 255 + 1
    palette_disabled = icons.icon("leave").pixmap(24, QIcon.Mode.Disabled)
    assert ink(palette_disabled) == {theme._LIGHT["muted"]}


def test_icons_are_crisp_at_the_device_pixel_ratio(qapp) -> None:
    sharp = icons.pixmap("check", 24, "#000000", 2.0)
    assert (sharp.width(), sharp.height()) == (48, 48) and sharp.devicePixelRatio() == 2.0
    assert sharp.deviceIndependentSize().toSize() == QSize(24, 24)
    assert icons.pixmap("check", 24, "#000000", 2.0) is not None  # cached: no second render
    big = icons.icon("check").pixmap(QSize(64, 64))
    assert big.width() >= 64


def test_an_unknown_icon_fails_loudly(qapp) -> None:
    with pytest.raises(FileNotFoundError):
        icons.icon("no-such-icon")
    with pytest.raises(ValueError):
        icons.pixmap("mic", 24, "not a colour")


# --- theme ---------------------------------------------------------------------------------------

def test_the_theme_is_fusion_with_the_accent(themed, qapp) -> None:
    themed("light")
    assert qapp.palette().color(QPalette.ColorRole.Highlight) == QColor(theme.ACCENT)
    assert "QToolButton#round" in qapp.styleSheet() and "QToolButton#leave" in qapp.styleSheet()
    qapp.setStyleSheet("")  # under a stylesheet, style() is Qt's wrapper around the base style
    assert qapp.style().name().lower() == "fusion"
    with pytest.raises(ValueError):
        theme.apply_theme(qapp, "sepia")


def test_the_system_mode_follows_the_desktop(qtbot, themed, qapp, monkeypatch) -> None:
    dark = {"now": False}
    monkeypatch.setattr(theme, "_system_is_dark", lambda app: dark["now"])
    themed("system")
    assert not theme.is_dark(qapp)
    with qtbot.waitSignal(theme.watcher.theme_changed, timeout=1000):
        dark["now"] = True
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.is_dark(qapp)
    themed("light")  # a forced mode stops following
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not theme.is_dark(qapp)
