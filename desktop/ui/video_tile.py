"""VideoTile: one participant in the grid — their picture, or their initials, with name and
microphone state.

It keeps only the latest frame and converts it lazily, once, when it paints: PyAV's swscale
scales straight to the size on screen and to BGRA, which a QImage wraps without a copy
(DESIGN.md: one custom widget painting RGB32 QImages is far cheaper than QVideoWidget).
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .icons import pixmap

_AVATAR_COLOURS = ("#2563eb", "#7c3aed", "#db2777", "#ea580c", "#0d9488", "#65a30d", "#0891b2", "#9333ea")
_BACKGROUND = QColor("#1f2430")
_ACCENT = QColor("#3b82f6")


def initials(name: str) -> str:
    words = [w for w in name.replace("(you)", "").split() if w[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper() if len(words[0]) > 1 and not words[0][1].isdigit() else words[0][0].upper()
    return (words[0][0] + words[-1][0]).upper()


def avatar_colour(name: str) -> QColor:
    digest = hashlib.sha1(name.encode("utf-8")).digest()
    return QColor(_AVATAR_COLOURS[digest[0] % len(_AVATAR_COLOURS)])


class VideoTile(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.name = ""
        self.muted = False
        self.video_on = True
        self.speaking = False
        self.self_view = False
        self.frames_shown = 0  # frames handed to the tile
        self.conversions = 0  # frames converted for painting (at most one per frame shown)
        self._frame = None
        self._image: QImage | None = None
        self._image_data: bytes | None = None  # the QImage's pixels live here
        self._image_key: tuple | None = None

    # --- state ---------------------------------------------------------------------------------

    @property
    def has_frame(self) -> bool:
        return self._frame is not None

    def set_frame(self, frame) -> None:
        """Show ``frame`` (an av.VideoFrame) next; None clears the picture."""
        self._frame = frame
        if frame is not None:
            self.frames_shown += 1
        self.update()

    def set_name(self, name: str) -> None:
        if name != self.name:
            self.name = name
            self.setAccessibleName(name)
            self.setToolTip(name)
            self.update()

    def set_muted(self, muted: bool) -> None:
        if muted != self.muted:
            self.muted = muted
            self.update()

    def set_video_on(self, on: bool) -> None:
        if on != self.video_on:
            self.video_on = on
            self.update()

    def set_speaking(self, speaking: bool) -> None:
        if speaking != self.speaking:
            self.speaking = speaking
            self.update()

    def set_self_view(self, self_view: bool) -> None:
        self.self_view = self_view
        self.update()

    # --- painting ------------------------------------------------------------------------------

    def _picture(self, width: int, height: int) -> tuple[QImage, float, float] | None:
        """The latest frame scaled to cover width x height (cropped, like other meeting apps)."""
        frame = self._frame
        if frame is None or frame.width == 0 or frame.height == 0:
            return None
        scale = max(width / frame.width, height / frame.height)
        scaled_w = max(2, int(round(frame.width * scale)) & ~1)
        scaled_h = max(2, int(round(frame.height * scale)) & ~1)
        key = (id(frame), scaled_w, scaled_h)
        if key != self._image_key:
            bgra = frame.reformat(width=scaled_w, height=scaled_h, format="bgra")
            plane = bgra.planes[0]
            self._image_data = bytes(plane)
            self._image = QImage(self._image_data, scaled_w, scaled_h, plane.line_size, QImage.Format.Format_RGB32)
            self._image_key = key
            self.conversions += 1
        return self._image, (width - scaled_w) / 2, (height - scaled_h) / 2

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect())
        clip = QPainterPath()
        clip.addRoundedRect(rect, 10, 10)
        painter.setClipPath(clip)
        painter.fillRect(rect, _BACKGROUND)
        picture = self._picture(self.width(), self.height()) if self.video_on else None
        if picture is not None:
            image, x, y = picture
            if self.self_view:  # a mirror, as people expect to see themselves
                painter.save()
                painter.translate(self.width(), 0)
                painter.scale(-1, 1)
                painter.drawImage(int(x), int(y), image)
                painter.restore()
            else:
                painter.drawImage(int(x), int(y), image)
        else:
            self._paint_avatar(painter, rect)
        self._paint_name(painter, rect)
        if self.speaking:
            painter.setClipping(False)
            painter.setPen(QPen(_ACCENT, 3))
            painter.drawRoundedRect(rect.adjusted(1.5, 1.5, -1.5, -1.5), 10, 10)
        painter.end()

    def _paint_avatar(self, painter: QPainter, rect: QRectF) -> None:
        diameter = max(24.0, min(rect.width(), rect.height()) * 0.42)
        circle = QRectF(rect.center().x() - diameter / 2, rect.center().y() - diameter / 2, diameter, diameter)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(avatar_colour(self.name or "?"))
        painter.drawEllipse(circle)
        font = QFont(self.font())
        font.setPixelSize(max(10, int(diameter * 0.38)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, initials(self.name))

    def _paint_name(self, painter: QPainter, rect: QRectF) -> None:
        font = QFont(self.font())
        font.setPixelSize(13)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        label = self.name or ""
        badge = 18 if self.muted else 0
        text_w = min(metrics.horizontalAdvance(label) + 2, int(rect.width()) - 40 - badge)
        label = metrics.elidedText(label, Qt.TextElideMode.ElideRight, max(0, text_w))
        pill = QRectF(8, rect.height() - 8 - 24, text_w + 16 + badge, 24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(pill, 12, 12)
        if self.muted:
            painter.drawPixmap(int(pill.left() + 6), int(pill.top() + 4), pixmap("mic-off", 16, "#f87171"))
        painter.setPen(QColor("#ffffff"))
        painter.drawText(pill.adjusted(8 + badge, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         label)
