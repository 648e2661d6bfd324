"""From a frame to pixels a widget can paint, and where a widget point is on the image.

The UI's live preview does, per frame it paints::

    buf = to_display(frame)           # RGB888, C-contiguous, its own buffer
    QImage(buf.data, buf.width, buf.height, buf.bytes_per_line, QImage.Format_RGB888)
    # keep ``buf`` alive as long as the QImage (QImage does not own numpy memory)

A :class:`DisplayConverter` does the same but reuses buffers nobody holds any more, which
saves page-faulting a fresh 4-6 MB buffer per frame (about 0.5 ms at 1280x960): keep the
``DisplayBuffer`` itself (not only ``.data``) for as long as the QImage lives.

``to_display(frame, rgb=False)`` skips the conversion: the frame's own BGR pixels (never
reused by a source, so safe to hold) for ``QImage.Format_BGR888`` (Qt >= 5.14), zero-copy.

and keeps a :class:`Viewport` for fit / zoom / pan / 1:1, which maps widget points to image
points (to place a measurement click) and gives the source and target rectangles to paint.
Nothing here imports Qt.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

import cv2
import numpy as np

from qcstation.imaging.frames import Frame, Image

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class DisplayBuffer:
    data: Image  # (H, W, 3), C-contiguous; never written to afterwards
    width: int
    height: int
    bytes_per_line: int
    seq: int
    timestamp: float  # the frame's capture time (time.monotonic())
    format: str = "RGB888"  # or "BGR888" (the frame's own pixels)


def to_display(
    frame: Frame, max_size: tuple[int, int] | None = None, rgb: bool = True
) -> DisplayBuffer:
    """Display pixels of ``frame``: RGB888 in a buffer of its own (``rgb``), or the frame's
    BGR pixels as they are. When ``max_size`` (w, h) is given and the frame is larger, it is
    downscaled to fit first (area interpolation), which is cheaper to convert and paint."""
    img = frame.image
    if max_size is not None:
        h, w = img.shape[:2]
        scale = min(max_size[0] / w, max_size[1] / h)
        if scale < 1.0:
            size = (max(1, int(w * scale)), max(1, int(h * scale)))
            img = np.asarray(cv2.resize(img, size, interpolation=cv2.INTER_AREA), np.uint8)
    out = np.asarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), np.uint8) if rgb else img
    if not out.flags.c_contiguous:
        out = np.ascontiguousarray(out)
    h, w = out.shape[:2]
    fmt = "RGB888" if rgb else "BGR888"
    return DisplayBuffer(out, w, h, int(out.strides[0]), frame.seq, frame.timestamp, fmt)


class DisplayConverter:
    """:func:`to_display` (RGB888) into a small pool of reused buffers. A buffer is reused
    only when nothing but the pool refers to it any more (CPython reference counts)."""

    def __init__(self, pool: int = 4):
        self._size = max(1, pool)
        self._pool: list[Image] = []

    def convert(self, frame: Frame, max_size: tuple[int, int] | None = None) -> DisplayBuffer:
        img = frame.image
        if max_size is not None:
            h, w = img.shape[:2]
            scale = min(max_size[0] / w, max_size[1] / h)
            if scale < 1.0:
                size = (max(1, int(w * scale)), max(1, int(h * scale)))
                img = np.asarray(cv2.resize(img, size, interpolation=cv2.INTER_AREA), np.uint8)
        out = self._free(img.shape)
        cv2.cvtColor(img, cv2.COLOR_BGR2RGB, dst=out)
        h, w = out.shape[:2]
        return DisplayBuffer(out, w, h, int(out.strides[0]), frame.seq, frame.timestamp)

    def _free(self, shape: tuple[int, ...]) -> Image:
        for i in range(len(self._pool)):
            # references: the pool's list and getrefcount's own argument, nothing else
            if self._pool[i].shape == shape and sys.getrefcount(self._pool[i]) <= 2:
                return self._pool[i]
        arr = np.empty(shape, np.uint8)
        self._pool.append(arr)
        if len(self._pool) > self._size:
            self._pool.pop(0)  # still held elsewhere: the holder keeps it alive
        return arr


@dataclass(frozen=True)
class Viewport:
    """How an image of ``image_size`` sits in a widget of ``widget_size``.

    ``zoom`` is widget pixels per image pixel; ``center`` the image point shown at the
    widget's centre. ``fitted`` views follow the widget's size (call :meth:`resized`).
    ``to_image``/``to_widget`` use continuous image coordinates (the image spans 0..w);
    ``to_pixel``/``from_pixel`` the pixel-centre convention of measurements and annotations.
    """

    widget_size: tuple[int, int]
    image_size: tuple[int, int]
    zoom: float = 1.0
    center: Point = (0.0, 0.0)
    fitted: bool = True

    MIN_ZOOM = 0.05
    MAX_ZOOM = 32.0

    @classmethod
    def fit(cls, widget_size: tuple[int, int], image_size: tuple[int, int]) -> Viewport:
        ww, wh = widget_size
        iw, ih = image_size
        zoom = min(ww / iw, wh / ih) if iw and ih else 1.0
        return cls(widget_size, image_size, zoom, (iw / 2, ih / 2), True)

    def one_to_one(self) -> Viewport:
        return replace(self, zoom=1.0, fitted=False)._clamped()

    def resized(self, widget_size: tuple[int, int]) -> Viewport:
        if self.fitted:
            return Viewport.fit(widget_size, self.image_size)
        return replace(self, widget_size=widget_size)._clamped()

    def with_image(self, image_size: tuple[int, int]) -> Viewport:
        if image_size == self.image_size:
            return self
        if self.fitted:
            return Viewport.fit(self.widget_size, image_size)
        return replace(self, image_size=image_size)._clamped()

    def zoom_at(self, factor: float, widget_point: Point) -> Viewport:
        """Zoom by ``factor`` keeping the image point under ``widget_point`` in place."""
        anchor = self.to_image(widget_point)
        zoom = min(self.MAX_ZOOM, max(self.MIN_ZOOM, self.zoom * factor))
        wx, wy = widget_point
        ww, wh = self.widget_size
        cx = anchor[0] - (wx - ww / 2) / zoom
        cy = anchor[1] - (wy - wh / 2) / zoom
        return replace(self, zoom=zoom, center=(cx, cy), fitted=False)._clamped()

    def pan_by(self, dx_widget: float, dy_widget: float) -> Viewport:
        cx, cy = self.center
        moved = (cx - dx_widget / self.zoom, cy - dy_widget / self.zoom)
        return replace(self, center=moved, fitted=False)._clamped()

    def to_image(self, widget_point: Point) -> Point:
        wx, wy = widget_point
        ww, wh = self.widget_size
        return (
            self.center[0] + (wx - ww / 2) / self.zoom,
            self.center[1] + (wy - wh / 2) / self.zoom,
        )

    def to_widget(self, image_point: Point) -> Point:
        ix, iy = image_point
        ww, wh = self.widget_size
        return (
            (ix - self.center[0]) * self.zoom + ww / 2,
            (iy - self.center[1]) * self.zoom + wh / 2,
        )

    def to_pixel(self, widget_point: Point) -> Point:
        """The image point under ``widget_point`` in pixel coordinates (OpenCV convention,
        pixel centres at integers): what measurements and annotations store."""
        x, y = self.to_image(widget_point)
        return x - 0.5, y - 0.5

    def from_pixel(self, pixel_point: Point) -> Point:
        """Where an annotation's pixel point is in the widget (to draw the overlay)."""
        return self.to_widget((pixel_point[0] + 0.5, pixel_point[1] + 0.5))

    def source_rect(self) -> Rect:
        """The part of the image that is visible (image pixels)."""
        x0, y0 = self.to_image((0, 0))
        x1, y1 = self.to_image(self.widget_size)
        iw, ih = self.image_size
        x0, y0 = max(0.0, x0), max(0.0, y0)
        x1, y1 = min(float(iw), x1), min(float(ih), y1)
        return x0, y0, max(0.0, x1 - x0), max(0.0, y1 - y0)

    def target_rect(self) -> Rect:
        """Where that visible part lands in the widget (widget pixels)."""
        x, y, w, h = self.source_rect()
        tx, ty = self.to_widget((x, y))
        return tx, ty, w * self.zoom, h * self.zoom

    def _clamped(self) -> Viewport:
        """Keep the image on screen: centred when smaller than the widget on an axis."""
        ww, wh = self.widget_size
        iw, ih = self.image_size
        cx, cy = self.center
        half_w, half_h = ww / 2 / self.zoom, wh / 2 / self.zoom
        cx = iw / 2 if half_w * 2 >= iw else min(max(cx, half_w), iw - half_w)
        cy = ih / 2 if half_h * 2 >= ih else min(max(cy, half_h), ih - half_h)
        return replace(self, center=(cx, cy))
