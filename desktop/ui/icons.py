"""Parley's icon set: monochrome SVGs in resources/icons, recoloured for the current palette.

Every icon is a 24x24 stroke drawing (``stroke="currentColor"``). Whatever colour the file is
drawn in, it is rendered onto a transparent image at the device pixel ratio and then painted
over in one colour (``SourceIn``), so one set serves light mode, dark mode and coloured badges.

Results are cached by (name, colour, size, ratio). The default colour is the application
palette's text colour *at the time of the call*: after a theme change, widgets fetch their icons
again (on ``QEvent.PaletteChange``, or when ``theme.theme_changed`` fires).
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from .assets import asset_path

ICON_NAMES = (
    "mic", "mic-off", "camera", "camera-off", "screen-share", "leave", "settings", "speaker",
    "users", "chat", "hand", "more", "link", "copy", "check", "warning", "signal",
)
"""The icons the set provides (one ``resources/icons/<name>.svg`` each)."""

ICON_SIZES = (16, 20, 24, 32, 48, 64)
"""Logical sizes a QIcon from :func:`icon` carries pixmaps for."""

ColorLike = QColor | str | Qt.GlobalColor | None


def _color(color: ColorLike, group: QPalette.ColorGroup = QPalette.ColorGroup.Active) -> QColor:
    if color is None:
        return QGuiApplication.palette().color(group, QPalette.ColorRole.WindowText)
    result = QColor(color)
    if not result.isValid():
        raise ValueError(f"not a colour: {color!r}")
    return result


def _device_pixel_ratio() -> float:
    screens = QGuiApplication.screens()
    return max((screen.devicePixelRatio() for screen in screens), default=1.0) or 1.0


@lru_cache(maxsize=None)
def _renderer(name: str) -> QSvgRenderer:
    svg = asset_path(f"icons/{name}.svg").read_bytes()
    # Qt SVG resolves currentColor to the `color` property; pin it so any drawing is opaque.
    svg = svg.replace(b"currentColor", b"#000000")
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise ValueError(f"icon {name!r} is not a valid SVG")
    return renderer


@lru_cache(maxsize=1024)
def _render(name: str, rgba: int, width: int, height: int, dpr: float) -> QPixmap:
    device_w, device_h = max(1, round(width * dpr)), max(1, round(height * dpr))
    image = QImage(device_w, device_h, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    _renderer(name).render(painter, QRectF(0, 0, device_w, device_h))
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(image.rect(), QColor.fromRgba(rgba))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


def pixmap(name: str, size: int | QSize = 24, color: ColorLike = None,
           device_pixel_ratio: float | None = None) -> QPixmap:
    """Icon ``name`` as a pixmap of ``size`` logical pixels, in ``color`` (default: palette text).

    The pixmap holds ``size * device_pixel_ratio`` device pixels (default ratio: the highest of
    the screens) and carries that ratio, so it stays crisp on high-DPI screens.
    """
    if isinstance(size, QSize):
        width, height = size.width(), size.height()
    else:
        width = height = int(size)
    dpr = float(device_pixel_ratio or _device_pixel_ratio())
    return _render(name, _color(color).rgba(), width, height, dpr)


@lru_cache(maxsize=256)
def _icon(name: str, rgba: int, disabled_rgba: int, dpr: float) -> QIcon:
    result = QIcon()
    ratios = sorted({1.0, dpr})
    for size in ICON_SIZES:
        for ratio in ratios:
            result.addPixmap(_render(name, rgba, size, size, ratio), QIcon.Mode.Normal)
            result.addPixmap(_render(name, disabled_rgba, size, size, ratio), QIcon.Mode.Disabled)
    return result


def icon(name: str, color: ColorLike = None) -> QIcon:
    """Icon ``name`` as a QIcon in ``color`` (default: the palette's text colour).

    Its disabled mode uses the palette's disabled text colour (or ``color`` at 40 % opacity).
    """
    normal = _color(color)
    if color is None:
        disabled = _color(None, QPalette.ColorGroup.Disabled)
    else:
        disabled = QColor(normal)
        disabled.setAlphaF(normal.alphaF() * 0.4)
    return _icon(name, normal.rgba(), disabled.rgba(), _device_pixel_ratio())


def clear_cache() -> None:
    """Forget every rendered icon (e.g. after the screens' pixel ratio changed)."""
    _icon.cache_clear()
    _render.cache_clear()
