"""An image view that takes clicks as image points (for marking ticks and measuring).

The left button marks (``marked`` carries the point in pixel coordinates, the convention
of imaging.measure and imaging.annotations); the middle button drags to pan, the wheel
zooms, the keys of :class:`ImageView` work as before. Owners draw what they hold by
appending to ``overlay_painters``: ``painter(p, viewport)`` is called after the image is drawn.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QWidget

from qcstation.imaging.display import Viewport
from qcstation.ui.image_view import ImageView

Point = tuple[float, float]
Painter = Callable[[QPainter, Viewport], None]


class MarkingView(ImageView):
    marked = Signal(float, float)  # pixel coordinates on the image
    hovered = Signal(float, float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.overlay_painters: list[Painter] = []

    def pans_with(self, event: QMouseEvent) -> bool:
        return event.button() == Qt.MouseButton.MiddleButton

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.viewport is not None:
            pos = event.position()
            x, y = self.viewport.to_pixel((pos.x(), pos.y()))
            iw, ih = self.viewport.image_size
            if -0.5 <= x <= iw - 0.5 and -0.5 <= y <= ih - 0.5:
                self.marked.emit(x, y)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None and self.viewport is not None:
            pos = event.position()
            self.hovered.emit(*self.viewport.to_pixel((pos.x(), pos.y())))
        super().mouseMoveEvent(event)

    def click_at_pixel(self, point: Point) -> QPointF:
        """Where in the widget an image pixel is (tests and keyboard marking)."""
        assert self.viewport is not None
        return QPointF(*self.viewport.from_pixel(point))

    def paint_overlay(self, p: QPainter, vp: Viewport) -> None:
        for painter in self.overlay_painters:
            painter(p, vp)


def draw_marker(p: QPainter, vp: Viewport, point: Point, color: str = "#ffd400") -> None:
    """A small cross with a ring: visible on bright metal and on dark velvet."""
    x, y = vp.from_pixel(point)
    dark = QPen(QColor(0, 0, 0, 200))
    dark.setWidth(3)
    light = QPen(QColor(color))
    light.setWidth(1)
    for pen in (dark, light):
        p.setPen(pen)
        p.drawLine(QPointF(x - 9, y), QPointF(x + 9, y))
        p.drawLine(QPointF(x, y - 9), QPointF(x, y + 9))
        p.drawEllipse(QPointF(x, y), 5, 5)
