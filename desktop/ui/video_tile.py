"""VideoTile: one participant in the grid — their picture, or their initials, with name,
microphone state, a speaking border and (when poor) their connection quality.

Cheap by construction (DESIGN.md: one custom widget painting RGB32 QImages made by PyAV's
swscale is far cheaper than QVideoWidget or GL):

- ``set_frame`` only keeps the latest frame and asks for a repaint; frames that arrive between
  two paints are dropped unconverted.
- The latest frame is converted at most once: swscale scales it straight to the tile's size in
  *device* pixels (crisp on high-DPI screens) and to BGRA, which a QImage wraps without a copy
  (minding the plane's line size). In a call the conversion runs on the call's ``FrameScaler``
  worker thread (``set_scaler``), never on the GUI thread, and the tile repaints when the
  picture is back (meanwhile it shows the previous one); a tile without a scaler converts while
  it paints. The picture covers the tile and is cropped
  (like Meet), so the blit is 1:1 with no transform. The self-view is mirrored once per frame,
  never through a painter transform.
- No clip paths: the rounded corners are painted over in the parent's background colour.

Measured offscreen (one core): a 320x180 frame in a 480x270 tile costs 0.27-0.45 ms a paint
with its conversion (swscale: 0.2 ms of it), 0.06-0.1 ms without; 17 tiles (249x140) in a
1280x720 grid, each with a new frame, 4-4.7 ms a repaint: 6-7 % of a core at 15 fps.

Call it from the GUI thread only (the session bridge already delivers there).
"""

from __future__ import annotations

import hashlib

from av.video.reformatter import VideoReformatter
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .frame_scaler import PIXEL_FORMAT, FrameScaler, ScaleJob
from .icons import pixmap

_AVATAR_COLOURS = ("#2563eb", "#7c3aed", "#db2777", "#ea580c", "#0d9488", "#65a30d", "#0891b2", "#9333ea")
_BACKGROUND = QColor("#1f2430")  # tiles are dark in both themes, like other meeting apps
_ACCENT = QColor("#3b82f6")
_PILL = QColor(0, 0, 0, 150)
_BADGE = QColor(17, 24, 39, 225)  # a near-opaque backdrop: an icon on it reads on any picture
_MUTED_RED = QColor("#f87171")
_QUALITY_POOR = QColor("#f59e0b")
_QUALITY_BAD = QColor("#ef4444")
RADIUS = 10.0
QUALITY_WARN = 0.6
"""Below this quality (0..1) the tile shows the signal badge: amber, and red below 0.3."""

_PIXEL_FORMAT = PIXEL_FORMAT
_SELF_SUFFIX = "(you)"


def initials(name: str) -> str:
    words = [w for w in name.replace(_SELF_SUFFIX, "").split() if w[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper() if len(words[0]) > 1 and not words[0][1].isdigit() else words[0][0].upper()
    return (words[0][0] + words[-1][0]).upper()


def avatar_colour(name: str) -> QColor:
    """The avatar's colour: one of a few pleasant colours, the same for a name everywhere."""
    digest = hashlib.sha1(name.encode("utf-8")).digest()
    return QColor(_AVATAR_COLOURS[digest[0] % len(_AVATAR_COLOURS)])


def contain(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[int, int, int, int]:
    """Scale ``src`` to fit inside ``dst`` keeping its aspect (a shared screen must not be
    cropped): (scaled_w, scaled_h, crop_x, crop_y) like ``cover``, the crop negative: the
    picture starts that far inside the tile (centred, bars around it)."""
    scale = min(dst_w / src_w, dst_h / src_h)
    scaled_w = max(2, min(dst_w, round(src_w * scale)))
    scaled_h = max(2, min(dst_h, round(src_h * scale)))
    return scaled_w, scaled_h, -((dst_w - scaled_w) // 2), -((dst_h - scaled_h) // 2)


def cover(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[int, int, int, int]:
    """Scale ``src`` to cover ``dst`` keeping its aspect: (scaled_w, scaled_h, crop_x, crop_y),
    the crop being where ``dst`` starts inside the scaled picture (centred)."""
    scale = max(dst_w / src_w, dst_h / src_h)
    scaled_w = max(dst_w, round(src_w * scale))
    scaled_h = max(dst_h, round(src_h * scale))
    return scaled_w, scaled_h, (scaled_w - dst_w) // 2, (scaled_h - dst_h) // 2


def paint_pin(painter: QPainter, rect: QRectF) -> None:
    """The pinned badge, top left."""
    badge = QRectF(rect.left() + 8, rect.top() + 8, 26, 26)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(_PILL)
    painter.drawRoundedRect(badge, 6, 6)
    painter.drawPixmap(badge.adjusted(5, 5, -5, -5).toRect(), pixmap("pin", 16, QColor("#ffffff")))


def paint_signal(painter: QPainter, rect: QRectF, colour: QColor, size: int, dpr: float) -> None:
    """A poor connection's signal icon on a near-opaque dark badge, bottom right."""
    badge = QRectF(rect.width() - 8 - size, rect.height() - 6 - size, size, size)
    painter.setPen(QPen(QColor(255, 255, 255, 90), 1))
    painter.setBrush(_BADGE)
    painter.drawRoundedRect(badge, 7, 7)
    painter.drawPixmap(QPointF(badge.left() + 5, badge.top() + 5), pixmap("signal", size - 10, colour, dpr))


class VideoTile(QWidget):
    double_clicked = Signal()  # pin or unpin

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # every pixel is painted
        self.name = ""
        self.muted = False
        self.video_on = True
        self.speaking = False
        self.self_view = False
        self.fit = False  # letterbox the picture instead of cropping it (a shared screen)
        self.pinned = False
        self.hand_raised = False
        self.reaction: str | None = None  # shown for a few seconds over the picture
        self.quality: float | None = None
        self.paused: str | None = None  # why their video is paused on my side (a reason code), or None
        self.connecting = False  # in the meeting, but their sound and video do not get through
        self.frames_shown = 0  # frames handed to the tile
        self.conversions = 0  # frames converted for painting (at most one per frame shown)
        self._frame = None
        self._generation = 0  # bumped by every set_frame: a new frame, even at a reused address
        self._image: QImage | None = None
        self._image_owner = None  # keeps the converted frame alive while the QImage points into it
        self._image_key: tuple | None = None
        self._crop = (0, 0)
        self._scaler: FrameScaler | None = None
        self._asked: tuple | None = None  # the picture asked of the scaler, not yet back
        self._corners = QPainterPath()
        self._corners_size: tuple[float, float] | None = None
        self._name_font = QFont(self.font())
        self._name_font.setPixelSize(13)
        self._name_metrics = QFontMetrics(self._name_font)
        self._update_accessibility()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(320, 180)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(96, 54)

    # --- state ---------------------------------------------------------------------------------

    @property
    def has_frame(self) -> bool:
        return self._frame is not None

    def set_frame(self, frame) -> None:
        """Show ``frame`` (an av.VideoFrame) next; None clears the picture.

        Only the latest frame is kept; it is converted when (and if) the tile paints.
        """
        self._frame = frame
        self._generation += 1
        if frame is None:
            self._drop_image()
        else:
            self.frames_shown += 1
            if self._scaler is not None and self.isVisible():
                self._picture()  # off to the scaler: the tile repaints when the picture is back
                return
        self.update()

    def set_name(self, name: str) -> None:
        if name != self.name:
            self.name = name
            self.setToolTip(self._label())
            self._update_accessibility()
            self.update()

    def set_muted(self, muted: bool) -> None:
        if muted != self.muted:
            self.muted = muted
            self._update_accessibility()
            self.update()

    def set_video_on(self, on: bool) -> None:
        if on != self.video_on:
            self.video_on = on
            if not on:
                self._drop_image()
            self._update_accessibility()
            self.update()

    def set_speaking(self, speaking: bool) -> None:
        if speaking != self.speaking:
            self.speaking = speaking
            self._update_accessibility()
            self.update()

    def set_self_view(self, self_view: bool) -> None:
        """The user's own picture: mirrored (as people expect to see themselves), labelled "you"."""
        if self_view != self.self_view:
            self.self_view = self_view
            self._drop_image()
            self.setToolTip(self._label())
            self.update()

    def set_fit(self, fit: bool) -> None:
        """Show the whole picture, with bars around it (for a shared screen), not cropped."""
        if fit != self.fit:
            self.fit = fit
            self._drop_image()
            self.update()

    def set_pinned(self, pinned: bool) -> None:
        if pinned != self.pinned:
            self.pinned = pinned
            self._update_accessibility()
            self.update()

    def set_hand_raised(self, raised: bool) -> None:
        if raised != self.hand_raised:
            self.hand_raised = raised
            self._update_accessibility()
            self.update()

    def set_connecting(self, connecting: bool) -> None:
        if connecting != self.connecting:
            self.connecting = connecting
            self._update_accessibility()
            self.update()

    def show_reaction(self, emoji: str | None, seconds: float = 3.0) -> None:
        """Show ``emoji`` large over the tile for a few seconds (None: clear it)."""
        self.reaction = emoji
        if emoji is not None:
            QTimer.singleShot(int(seconds * 1000), self, lambda e=emoji: self.reaction == e and self.show_reaction(None))
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.double_clicked.emit()
        super().mouseDoubleClickEvent(event)

    def set_paused(self, reason: str | None) -> None:
        """Their video is paused (``reason``: ``load`` — this computer is busy; ``bandwidth`` — a
        poor connection; another code: paused) or not (None). A paused tile shows their initials
        and says why; their voice goes on."""
        if reason != self.paused:
            self.paused = reason
            self._update_accessibility()
            self.update()

    def paused_text(self) -> str:
        """What a paused tile says."""
        if self.paused is None:
            return ""
        if self.paused == "load":
            return self.tr("Video paused: your computer is busy")
        if self.paused == "bandwidth":
            return self.tr("Video paused because of a poor connection")
        return self.tr("Video paused")

    def set_quality(self, quality: float | None) -> None:
        """Connection quality from 0 (bad) to 1 (good); None: unknown. Shown only when poor."""
        if quality is not None:
            quality = min(1.0, max(0.0, float(quality)))
        if quality != self.quality:
            was_shown = self._quality_colour() is not None
            self.quality = quality
            self._update_accessibility()
            if was_shown or self._quality_colour() is not None:
                self.update()

    def _label(self) -> str:
        """The name as shown: the self-view says it is you; someone still connecting says so."""
        if not self.self_view:
            return self.tr("{name} · connecting…").format(name=self.name) if self.connecting else self.name
        you = self.tr("You")
        if not self.name or self.name.strip().lower() in ("you", you.lower()):
            return you
        if _SELF_SUFFIX in self.name.lower():  # already says so
            return self.name
        return self.tr("{name} (you)").format(name=self.name)

    def _quality_colour(self) -> QColor | None:
        if self.quality is None or self.quality >= QUALITY_WARN:
            return None
        return _QUALITY_POOR if self.quality >= 0.3 else _QUALITY_BAD

    def _update_accessibility(self) -> None:
        self.setAccessibleName(self.name)
        states = []
        if self.self_view:
            states.append(self.tr("you"))
        if self.muted:
            states.append(self.tr("muted"))
        if not self.video_on:
            states.append(self.tr("camera off"))
        if self.speaking:
            states.append(self.tr("speaking"))
        if self.pinned:
            states.append(self.tr("pinned"))
        if self.hand_raised:
            states.append(self.tr("hand raised"))
        if self.connecting:
            states.append(self.tr("connecting"))
        elif self._quality_colour() is not None:
            states.append(self.tr("poor connection"))
        if self.paused is not None:
            states.append(self.paused_text())
        self.setAccessibleDescription(", ".join(states))

    # --- the picture ---------------------------------------------------------------------------

    def set_scaler(self, scaler: FrameScaler | None) -> None:
        """Convert pictures on ``scaler``'s worker thread instead of while painting."""
        self._scaler = scaler
        self._asked = None

    def take_picture(self, key: tuple, image: QImage, owner) -> None:
        """The scaler converted a picture asked for (``key``: what it shows, and its crop)."""
        shows, crop = key
        if shows != self._asked:
            return  # asked for again since (a newer frame, another size): wait for that one
        self._asked = None
        if self._frame is None:
            return
        self._image, self._image_owner, self._image_key, self._crop = image, owner, shows, crop
        self.conversions += 1
        self.update()

    def _drop_image(self) -> None:
        self._image = None
        self._image_owner = None
        self._image_key = None
        self._asked = None

    def _picture(self) -> QImage | None:
        """The latest frame converted to cover the tile in device pixels (at most once a frame)."""
        frame = self._frame
        if frame is None or not self.video_on or self.paused is not None or frame.width <= 0 or frame.height <= 0:
            return None
        dpr = self.devicePixelRatioF()
        device_w, device_h = max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr))
        key = (self._generation, device_w, device_h, self.self_view, self.fit)
        if key != self._image_key:
            scale = contain if self.fit else cover
            scaled_w, scaled_h, crop_x, crop_y = scale(frame.width, frame.height, device_w, device_h)
            if self._scaler is not None:  # converted off the GUI thread; meanwhile the last one
                if key != self._asked:
                    self._asked = key
                    self._scaler.submit(ScaleJob(self, (key, (crop_x, crop_y)), frame, scaled_w, scaled_h,
                                                 self.self_view, dpr))
                return self._image
            # not frame.reformat: that swscale context lives on the frame, which an encoder's
            # thread may be scaling at this moment (the self-view's camera frame)
            converted = VideoReformatter().reformat(frame, width=scaled_w, height=scaled_h, format=_PIXEL_FORMAT,
                                                    threads=1)
            plane = converted.planes[0]
            image = QImage(plane, scaled_w, scaled_h, plane.line_size, QImage.Format.Format_RGB32)
            owner = converted
            if self.self_view:
                image = image.flipped(Qt.Orientation.Horizontal)  # a copy that owns its pixels
                owner = None
            image.setDevicePixelRatio(dpr)
            self._image, self._image_owner, self._image_key = image, owner, key
            self._crop = (crop_x, crop_y)
            self.conversions += 1
        return self._image

    # --- painting ------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        rect = QRectF(self.rect())
        image = self._picture()
        if image is not None:
            if self.fit:
                painter.fillRect(rect, _BACKGROUND)  # the bars around a letterboxed picture
            dpr = image.devicePixelRatio()
            crop_x, crop_y = self._crop
            # 1:1 in device pixels; the widget's own clip trims the cropped margins.
            painter.drawImage(QPointF(-crop_x / dpr, -crop_y / dpr), image)
        else:
            painter.fillRect(rect, _BACKGROUND)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if image is None:
            self._paint_avatar(painter, rect)
            if self.paused is not None:
                self._paint_paused(painter, rect)
        self._paint_name(painter, rect)
        self._paint_quality(painter, rect)
        if self.pinned:
            paint_pin(painter, rect)
        if self.hand_raised or self.reaction:
            self._paint_emoji(painter, rect)
        self._paint_corners(painter, rect)
        if self.speaking:
            painter.setPen(QPen(_ACCENT, 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1.5, 1.5, -1.5, -1.5), RADIUS - 1, RADIUS - 1)
        painter.end()

    def _paint_avatar(self, painter: QPainter, rect: QRectF) -> None:
        # between the badges at the top and the name pill at the bottom, never under them
        free = rect.height() - 2 * (self._pill_height() + 12)
        diameter = max(20.0, min(min(rect.width(), rect.height()) * 0.42, free))
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

    def _paint_paused(self, painter: QPainter, rect: QRectF) -> None:
        """Why the picture is paused, on a pill under their initials (above the name)."""
        text = self.paused_text()
        metrics = self._name_metrics
        width = min(metrics.horizontalAdvance(text) + 20, int(rect.width()) - 16)
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, width - 20))
        diameter = max(24.0, min(rect.width(), rect.height()) * 0.42)
        top = min(rect.center().y() + diameter / 2 + 6, rect.height() - 8 - 24 - 4 - 24)
        pill = QRectF(rect.center().x() - width / 2, max(rect.top() + 4, top), width, 24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_PILL)
        painter.drawRoundedRect(pill, 12, 12)
        painter.setFont(self._name_font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_emoji(self, painter: QPainter, rect: QRectF) -> None:
        font = QFont(self.font())
        if self.hand_raised:  # a raised hand: a badge in the top right corner
            font.setPixelSize(18)
            painter.setFont(font)
            badge = QRectF(rect.right() - 40, rect.top() + 8, 32, 32)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#f59e0b"))
            painter.drawRoundedRect(badge, 8, 8)
            painter.drawPixmap(badge.adjusted(6, 6, -6, -6).toRect(), pixmap("hand", 20, QColor("#111827")))
        if self.reaction:  # a reaction: large, in the middle, for a moment
            font.setPixelSize(max(24, int(min(rect.width(), rect.height()) * 0.3)))
            painter.setFont(font)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.reaction)

    def _pill_height(self) -> int:
        """The name pill's height: smaller on a filmstrip thumbnail, so it covers little."""
        return 24 if self.height() >= 160 else 20

    def _paint_name(self, painter: QPainter, rect: QRectF) -> None:
        label = self._label()
        if not label and not self.muted:
            return
        small = self._pill_height() < 24
        if small != (self._name_font.pixelSize() < 13):
            self._name_font.setPixelSize(11 if small else 13)
            self._name_metrics = QFontMetrics(self._name_font)
        height = self._pill_height()
        metrics = self._name_metrics
        badge = (height - 6) if self.muted else 0
        room = int(rect.width()) - 24 - badge - (34 if self._quality_colour() is not None else 0)
        text_w = min(metrics.horizontalAdvance(label) + 2, room)
        label = metrics.elidedText(label, Qt.TextElideMode.ElideRight, max(0, text_w))
        margin = 6 if small else 8
        pill = QRectF(margin, rect.height() - margin - height, max(0, text_w) + (12 if small else 16) + badge, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_PILL)
        painter.drawRoundedRect(pill, height / 2, height / 2)
        if self.muted:
            size = height - 8
            painter.drawPixmap(QPointF(pill.left() + 5, pill.top() + 4),
                               pixmap("mic-off", size, _MUTED_RED, self.devicePixelRatioF()))
        if label:
            painter.setFont(self._name_font)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(pill.adjusted((6 if small else 8) + badge, 0, -6, 0),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)

    def _paint_quality(self, painter: QPainter, rect: QRectF) -> None:
        """A poor connection: a signal icon on a dark, opaque badge at the bottom right (readable
        on any picture), away from the hand at the top and the notice in the middle."""
        colour = self._quality_colour()
        if colour is not None:
            paint_signal(painter, rect, colour, self._pill_height() + 4, self.devicePixelRatioF())

    def _paint_corners(self, painter: QPainter, rect: QRectF) -> None:
        """Round the corners by painting what lies outside them in the parent's colour."""
        parent = self.parentWidget()
        if parent is None:
            return  # a top-level tile (a grab, a preview window): square corners are fine
        size = (rect.width(), rect.height())
        if self._corners_size != size:
            outside = QPainterPath()
            outside.addRect(rect)
            inside = QPainterPath()
            inside.addRoundedRect(rect, RADIUS, RADIUS)
            self._corners, self._corners_size = outside.subtracted(inside), size
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(parent.palette().color(parent.backgroundRole()))
        painter.drawPath(self._corners)
