"""QVideoFrame -> av.VideoFrame: the one copy between Qt Multimedia's pictures and ours."""

from __future__ import annotations

import av
import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QVideoFrame, QVideoFrameFormat

__all__ = ["video_frame_to_av"]

_PF = QVideoFrameFormat.PixelFormat


#: Qt pixel format -> (FFmpeg pixel format, order of Qt's planes in the av frame).
#: Qt 6's packed RGB names give the byte order in memory (Format_BGRA8888 is B, G, R, A), as
#: FFmpeg's do. Premultiplied alpha is treated as straight: cameras are opaque.
_PIXEL_FORMATS: dict[QVideoFrameFormat.PixelFormat, tuple[str, tuple[int, ...] | None]] = {
    _PF.Format_NV12: ("nv12", None),
    _PF.Format_NV21: ("nv21", None),
    _PF.Format_YUV420P: ("yuv420p", None),
    _PF.Format_YV12: ("yuv420p", (0, 2, 1)),  # Y, V, U in Qt's planes
    _PF.Format_YUV422P: ("yuv422p", None),
    _PF.Format_YUV420P10: ("yuv420p10le", None),
    _PF.Format_P010: ("p010le", None),
    _PF.Format_P016: ("p016le", None),
    _PF.Format_YUYV: ("yuyv422", None),
    _PF.Format_UYVY: ("uyvy422", None),
    _PF.Format_Y8: ("gray", None),
    _PF.Format_Y16: ("gray16le", None),
    _PF.Format_BGRA8888: ("bgra", None),
    _PF.Format_BGRA8888_Premultiplied: ("bgra", None),
    _PF.Format_BGRX8888: ("bgr0", None),
    _PF.Format_RGBA8888: ("rgba", None),
    _PF.Format_RGBX8888: ("rgb0", None),
    _PF.Format_ARGB8888: ("argb", None),
    _PF.Format_ARGB8888_Premultiplied: ("argb", None),
    _PF.Format_XRGB8888: ("0rgb", None),
    _PF.Format_ABGR8888: ("abgr", None),
    _PF.Format_XBGR8888: ("0bgr", None),
}

_YUV = {"nv12", "nv21", "yuv420p", "yuv422p", "yuv420p10le", "p010le", "p016le", "yuyv422", "uyvy422"}
# FFmpeg's AVColorSpace and AVColorRange numbers, as PyAV takes them.
_AV_COLORSPACE = {
    QVideoFrameFormat.ColorSpace.ColorSpace_BT601: 6,  # SMPTE 170M
    QVideoFrameFormat.ColorSpace.ColorSpace_BT709: 1,
    QVideoFrameFormat.ColorSpace.ColorSpace_BT2020: 9,
}
_AV_RANGE = {
    QVideoFrameFormat.ColorRange.ColorRange_Video: 1,
    QVideoFrameFormat.ColorRange.ColorRange_Full: 2,
}


def video_frame_to_av(frame: QVideoFrame) -> av.VideoFrame | None:
    """Copy a QVideoFrame into a new av.VideoFrame (None when it holds no picture).

    The common camera formats are copied plane by plane, honouring both sides' line strides.
    Anything else (Jpeg, AYUV, IMC*, texture-only frames that cannot be mapped) goes through
    ``QVideoFrame.toImage()``, which costs milliseconds a frame: a fallback, not the path.
    """
    if not frame.isValid():
        return None
    known = _PIXEL_FORMATS.get(frame.pixelFormat())
    if known is not None:
        converted = _copy_planes(frame, *known)
        if converted is not None:
            return converted
    return _via_image(frame)


def _copy_planes(frame: QVideoFrame, av_format: str, order: tuple[int, ...] | None):
    width, height = frame.width(), frame.height()
    if width <= 0 or height <= 0:
        return None
    if not frame.map(QVideoFrame.MapMode.ReadOnly):
        return None
    try:
        out = av.VideoFrame(width, height, av_format)
        planes = out.planes
        count = frame.planeCount()
        if count != len(planes):
            return None
        for index in range(count):
            source_index = order[index] if order else index
            if not _copy_plane(frame, source_index, planes[index]):
                return None
    finally:
        frame.unmap()
    if av_format in _YUV:
        surface = frame.surfaceFormat()
        colorspace = _AV_COLORSPACE.get(surface.colorSpace())
        color_range = _AV_RANGE.get(surface.colorRange())
        if colorspace is not None:
            out.colorspace = colorspace
        if color_range is not None:
            out.color_range = color_range
    return out


def _copy_plane(frame: QVideoFrame, index: int, plane) -> bool:
    stride = frame.bytesPerLine(index)
    available = frame.mappedBytes(index)
    bits = frame.bits(index)
    if stride <= 0 or available <= 0 or bits is None:
        return False
    source = np.frombuffer(bits, dtype=np.uint8, count=min(available, len(bits)))
    rows = plane.height
    width = min(stride, plane.line_size)
    target = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    full = min(rows, len(source) // stride)
    target[:full, :width] = source[: full * stride].reshape(full, stride)[:, :width]
    if full < rows:  # the last row may be mapped without its padding
        rest = len(source) - full * stride
        if full + 1 < rows or rest <= 0:
            return False
        target[full, : min(rest, width)] = source[full * stride : full * stride + min(rest, width)]
    return True


def _via_image(frame: QVideoFrame) -> av.VideoFrame | None:
    image = frame.toImage()
    if image.isNull():
        return None
    image = image.convertToFormat(QImage.Format.Format_RGBX8888)  # bytes R, G, B, X
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    source = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    out = av.VideoFrame(width, height, "rgb0")
    plane = out.planes[0]
    target = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    target[:, : width * 4] = source.reshape(height, stride)[:, : width * 4]
    return out
