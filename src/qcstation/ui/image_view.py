"""A widget that shows one image with fit, zoom, pan and 1:1, plus grid/crosshair overlays.

The geometry is :class:`qcstation.imaging.display.Viewport` (no Qt there, tested on its
own); this widget only turns wheel, drag and keys into viewport changes and paints the
visible part of the image. The live preview and the measurement editor both use it; the
editor draws its shapes in :meth:`ImageView.paint_overlay` in widget coordinates through
``viewport.from_pixel``.

Keys (when the view has the focus): ``+``/``-`` zoom about the centre, ``0`` fit, ``1`` 1:1,
arrows pan (only when zoomed past the widget; otherwise there is nothing to pan to).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from qcstation.imaging.display import Viewport

ZOOM_STEP = 1.25
PAN_STEP = 80  # widget pixels per arrow key press


def to_qimage(frame: np.ndarray) -> QImage:
    """A QImage over the frame's own memory (BGR, 8 bit); the caller keeps ``frame`` alive."""
    if frame.ndim == 2:
        h, w = frame.shape
        return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_Grayscale8)
    h, w, _ = frame.shape
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888)


class ImageView(QWidget):
    """Paints an image through a viewport; overlays: "grid", "crosshair" or both."""

    view_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.frame: np.ndarray | None = None
        self.image: QImage | None = None
        self.viewport: Viewport | None = None
        self.grid = False
        self.crosshair = False
        self.message = ""  # centred, when there is no picture
        self.banner = ""  # across the top, over the picture (camera lost, frozen...)
        self._drag: QPointF | None = None

    # ------------------------------------------------------------------ image
    def show_frame(self, frame: np.ndarray) -> None:
        self.frame = np.ascontiguousarray(frame)
        self.image = to_qimage(self.frame)
        size = (self.image.width(), self.image.height())
        if self.viewport is None:
            self.viewport = Viewport.fit(self._widget_size(), size)
        else:
            self.viewport = self.viewport.with_image(size)
        self.update()

    def _widget_size(self) -> tuple[int, int]:
        return max(1, self.width()), max(1, self.height())

    # ------------------------------------------------------------------ view changes
    def set_viewport(self, viewport: Viewport) -> None:
        self.viewport = viewport
        self.update()
        self.view_changed.emit()

    @property
    def zoom(self) -> float:
        return self.viewport.zoom if self.viewport is not None else 1.0

    @property
    def fitted(self) -> bool:
        return self.viewport is None or self.viewport.fitted

    def fit(self) -> None:
        if self.viewport is not None:
            self.set_viewport(Viewport.fit(self._widget_size(), self.viewport.image_size))

    def one_to_one(self) -> None:
        if self.viewport is not None:
            self.set_viewport(self.viewport.one_to_one())

    def zoom_by(self, factor: float, at: tuple[float, float] | None = None) -> None:
        if self.viewport is not None:
            w, h = self._widget_size()
            self.set_viewport(self.viewport.zoom_at(factor, at or (w / 2, h / 2)))

    def pan(self, dx: float, dy: float) -> None:
        if self.viewport is not None and self.can_pan():
            self.set_viewport(self.viewport.pan_by(dx, dy))

    def can_pan(self) -> bool:
        """Is any of the image outside the widget (so panning shows something new)?"""
        if self.viewport is None:
            return False
        iw, ih = self.viewport.image_size
        ww, wh = self._widget_size()
        return iw * self.zoom > ww + 0.5 or ih * self.zoom > wh + 0.5

    def resizeEvent(self, event: Any) -> None:
        if self.viewport is not None:
            self.viewport = self.viewport.resized(self._widget_size())
        super().resizeEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps and self.viewport is not None:
            pos = event.position()
            self.zoom_by(ZOOM_STEP**steps, (pos.x(), pos.y()))
            event.accept()
        else:
            super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.pans_with(event) and self.can_pan():
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def pans_with(self, event: QMouseEvent) -> bool:
        """Which press starts a pan; the editor keeps the left button for its tools."""
        return event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            pos = event.position()
            self.pan(pos.x() - self._drag.x(), pos.y() - self._drag.y())
            self._drag = pos
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self._drag = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        k = int(event.key())
        arrows: dict[int, tuple[int, int]] = {
            Qt.Key.Key_Left: (PAN_STEP, 0),
            Qt.Key.Key_Right: (-PAN_STEP, 0),
            Qt.Key.Key_Up: (0, PAN_STEP),
            Qt.Key.Key_Down: (0, -PAN_STEP),
        }
        if k in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif k == Qt.Key.Key_Minus:
            self.zoom_by(1 / ZOOM_STEP)
        elif k == Qt.Key.Key_0:
            self.fit()
        elif k == Qt.Key.Key_1:
            self.one_to_one()
        elif k in arrows and self.can_pan():
            self.pan(*arrows[k])
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#101214"))
        vp = self.viewport
        if self.image is not None and vp is not None:
            if vp.widget_size != self._widget_size():
                vp = self.viewport = vp.resized(self._widget_size())
            sx, sy, sw, sh = vp.source_rect()
            tx, ty, tw, th = vp.target_rect()
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, vp.zoom < 1)
            p.drawImage(QRectF(tx, ty, tw, th), self.image, QRectF(sx, sy, sw, sh))
            target = QRectF(tx, ty, tw, th)
            if self.grid:
                self._paint_grid(p, target)
            if self.crosshair:
                self._paint_crosshair(p, target, vp)
            self.paint_overlay(p, vp)
        if self.message:
            p.setPen(QColor("#f1f3f4"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
        if self.banner:
            flags = Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
            room = self.rect().adjusted(8, 6, -8, 0)
            need = p.fontMetrics().boundingRect(room, flags, self.banner).height()
            band = QRectF(0, 0, self.width(), need + 12)
            p.fillRect(band, QColor(176, 0, 32, 225))
            p.setPen(QColor("#ffffff"))
            p.drawText(band.adjusted(8, 6, -8, -6), flags, self.banner)
        p.end()

    def paint_overlay(self, p: QPainter, vp: Viewport) -> None:
        """Subclasses draw here (widget coordinates: ``vp.from_pixel``)."""

    @staticmethod
    def _paint_grid(p: QPainter, target: QRectF) -> None:
        pen = QPen(QColor(0, 255, 120, 170))
        pen.setWidth(1)
        p.setPen(pen)
        for k in range(1, 4):
            x = target.left() + target.width() * k / 4
            y = target.top() + target.height() * k / 4
            p.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
            p.drawLine(QPointF(target.left(), y), QPointF(target.right(), y))

    @staticmethod
    def _paint_crosshair(p: QPainter, target: QRectF, vp: Viewport) -> None:
        # on the image's centre (the optical axis), wherever the view is panned to
        pen = QPen(QColor(255, 64, 64, 220))
        pen.setWidth(1)
        p.setPen(pen)
        iw, ih = vp.image_size
        c = QPointF(*vp.to_widget((iw / 2, ih / 2)))
        p.drawLine(QPointF(c.x(), target.top()), QPointF(c.x(), target.bottom()))
        p.drawLine(QPointF(target.left(), c.y()), QPointF(target.right(), c.y()))
        p.drawEllipse(c, 12, 12)
