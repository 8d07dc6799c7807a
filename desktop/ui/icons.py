"""Parley's icon set: monochrome SVGs in resources/icons, recoloured for the current palette.

Every icon is a 24x24 stroke drawing (``stroke="currentColor"``). Whatever colour the file is
drawn in, it is rendered onto a transparent image at the device pixel ratio and then painted
over in one colour (``SourceIn``), so one set serves light mode, dark mode and coloured badges.

``icon(name)`` without a colour follows the palette by itself: its engine renders in the
application palette's text colour *when it is painted*, so buttons and menus change colour with
the theme (light/dark, and the system switching) without any code in the widgets. Its disabled
mode uses the palette's disabled text colour. ``icon(name, colour)`` is fixed to ``colour``
(disabled: 40 % opacity). Rendered pixmaps are cached by (name, colour, size, pixel ratio).
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer

from ..assets import asset_path

ICON_NAMES = (
    "mic", "mic-off", "camera", "camera-off", "screen-share", "leave", "settings", "speaker",
    "users", "chat", "hand", "more", "link", "copy", "check", "warning", "signal", "pin",
    "screen-share-off", "grid", "stage", "smile", "background",
)
"""The icons the set provides (one ``resources/icons/<name>.svg`` each)."""

ICON_SIZES = (16, 20, 24, 32, 48, 64)
"""Common logical sizes (the engine renders any size on demand)."""

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


class _SvgIconEngine(QIconEngine):
    """Renders one icon of the set at any size, in a fixed colour or the palette's text colour."""

    def __init__(self, name: str, rgba: int | None) -> None:
        super().__init__()
        self._name = name
        self._rgba = rgba  # None: follow the application palette

    def _colour(self, mode: QIcon.Mode) -> int:
        disabled = mode == QIcon.Mode.Disabled
        if self._rgba is None:
            group = QPalette.ColorGroup.Disabled if disabled else QPalette.ColorGroup.Active
            return _color(None, group).rgba()
        if not disabled:
            return self._rgba
        faded = QColor.fromRgba(self._rgba)
        faded.setAlphaF(faded.alphaF() * 0.4)
        return faded.rgba()

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:  # noqa: N802
        # ``size`` is in device pixels here; the pixmap carries ``scale`` as its ratio.
        scale = scale or 1.0
        return _render(self._name, self._colour(mode), max(1, round(size.width() / scale)),
                       max(1, round(size.height() / scale)), float(scale))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return _render(self._name, self._colour(mode), max(1, size.width()), max(1, size.height()), 1.0)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        dpr = painter.device().devicePixelRatioF() if painter.device() else 1.0
        painter.drawPixmap(rect, _render(self._name, self._colour(mode), max(1, rect.width()),
                                         max(1, rect.height()), dpr))

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: N802
        side = min(size.width(), size.height())  # the icons are square
        return QSize(side, side)

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._name, self._rgba)

    def key(self) -> str:
        return "parley-svg"

    def iconName(self) -> str:  # noqa: N802
        return self._name


@lru_cache(maxsize=512)
def _icon(name: str, rgba: int | None) -> QIcon:
    _renderer(name)  # fail now, with the path, if the icon does not exist
    return QIcon(_SvgIconEngine(name, rgba))


def icon(name: str, color: ColorLike = None) -> QIcon:
    """Icon ``name`` as a QIcon, crisp at any size and pixel ratio.

    Without ``color`` it is drawn in the palette's text colour of the moment it is painted, so it
    follows theme changes; with ``color`` it stays that colour.
    """
    return _icon(name, None if color is None else _color(color).rgba())


def clear_cache() -> None:
    """Forget every rendered icon (e.g. after an SVG changed on disk)."""
    _icon.cache_clear()
    _render.cache_clear()
    _renderer.cache_clear()


def app_icon() -> QIcon:
    """Parley's own (colour) icon, for windows and the About dialog: every ``parley-<N>.png``
    beside ``resources/icons/app/parley.svg`` (packaging/make_icons.py renders them), and the
    SVG itself where there are none."""
    result = QIcon()
    try:
        svg = asset_path("icons/app/parley.svg")
    except FileNotFoundError:
        return result
    for png in sorted(svg.parent.glob("parley-*.png")):
        size = png.stem.rsplit("-", 1)[1]
        if size.isdigit():
            result.addFile(str(png), QSize(int(size), int(size)))
    if result.isNull():
        result.addFile(str(svg))
    return result
