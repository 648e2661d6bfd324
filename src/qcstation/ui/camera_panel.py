"""The live magnified image beside the checklist.

The panel polls its source for the newest frame on a timer (the capture thread keeps
only the newest, so nothing queues up); painting scales the frame to fit. The numpy
array behind the QImage is kept alive as long as the QImage is shown.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from qcstation.imaging.scenes import encode_png
from qcstation.ui.widgets import button, muted


class FrameSource(Protocol):
    """What the panel needs of a camera: the newest frame and a word on its state."""

    def latest(self) -> tuple[np.ndarray, int] | None: ...

    def status(self) -> str: ...


def to_qimage(frame: np.ndarray) -> QImage:
    """A QImage over the frame's own memory (BGR, 8 bit); the caller keeps ``frame`` alive."""
    if frame.ndim == 2:
        h, w = frame.shape
        return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_Grayscale8)
    h, w, _ = frame.shape
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888)


class PreviewView(QWidget):
    """Paints the frame fitted to the widget, with an optional crosshair and grid."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.frame: np.ndarray | None = None
        self.image: QImage | None = None
        self.overlay = False
        self.message = ""

    def show_frame(self, frame: np.ndarray) -> None:
        self.frame = np.ascontiguousarray(frame)
        self.image = to_qimage(self.frame)
        self.update()

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#101214"))
        if self.image is not None:
            iw, ih = self.image.width(), self.image.height()
            scale = min(self.width() / iw, self.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1)
            p.drawImage(target, self.image)
            if self.overlay:
                pen = QPen(QColor(0, 255, 120, 170))
                pen.setWidth(1)
                p.setPen(pen)
                for k in range(1, 4):
                    x = target.left() + target.width() * k / 4
                    y = target.top() + target.height() * k / 4
                    p.drawLine(int(x), int(target.top()), int(x), int(target.bottom()))
                    p.drawLine(int(target.left()), int(y), int(target.right()), int(y))
        if self.message:
            p.setPen(QColor("#f1f3f4"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
        p.end()


class CameraPanel(QWidget):
    capture_requested = Signal()

    def __init__(self, source: FrameSource | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("camera-panel")
        self.source = source
        self.view = PreviewView()
        self.state = muted()
        self.state.setObjectName("camera-state")
        self.frozen = False
        self._seq = -1
        self.capture = button(self.tr("Capture"), "Space")
        self.capture.setObjectName("capture-button")
        self.capture.clicked.connect(self.capture_requested.emit)
        freeze = button(self.tr("Freeze"))
        freeze.setCheckable(True)
        freeze.toggled.connect(self.set_frozen)
        grid = button(self.tr("Grid"))
        grid.setCheckable(True)
        grid.toggled.connect(self.set_overlay)
        self.focus_bar = QProgressBar()
        self.focus_bar.setObjectName("focus-bar")
        self.focus_bar.setRange(0, 100)
        self.focus_bar.setFormat(self.tr("focus %p %"))
        self.focus_bar.setMaximumHeight(18)
        self.thumbs = QHBoxLayout()
        self.thumbs.addStretch(1)
        row = QHBoxLayout()
        for w in (self.capture, freeze, grid):
            row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.focus_bar)
        layout.addWidget(self.state)
        layout.addLayout(row)
        layout.addLayout(self.thumbs)
        self.timer = QTimer(self)
        self.timer.setInterval(15)
        self.timer.timeout.connect(self.poll)
        self.set_source(source)

    def set_source(self, source: FrameSource | None) -> None:
        self.source = source
        self._seq = -1
        self.capture.setEnabled(source is not None)
        if source is None:
            self.view.message = self.tr("No camera. Connect the microscope, or capture later.")
            self.timer.stop()
        else:
            self.view.message = ""
            self.timer.start()
        self.view.update()

    def set_frozen(self, frozen: bool) -> None:
        self.frozen = frozen

    def set_overlay(self, on: bool) -> None:
        self.view.overlay = on
        self.view.update()

    def poll(self) -> None:
        if self.source is None:
            return
        self.state.setText(self.source.status())
        if self.frozen:
            return
        got = self.source.latest()
        if got is None:
            return
        frame, seq = got
        if seq != self._seq:
            self._seq = seq
            self.view.show_frame(frame)
            level = getattr(self.source, "focus_level", None)
            self.focus_bar.setVisible(level is not None)
            if level is not None:
                self.focus_bar.setValue(int(level * 100))

    def current_frame(self) -> np.ndarray | None:
        return None if self.view.frame is None else self.view.frame.copy()

    def capture_png(self) -> bytes | None:
        frame = self.current_frame()
        return None if frame is None else encode_png(frame)

    def add_thumbnail(self, frame: np.ndarray) -> None:
        label = QLabel()
        image = to_qimage(np.ascontiguousarray(frame)).copy()  # copy: the array may go
        label.setPixmap(QPixmap.fromImage(image).scaledToHeight(64))
        self.thumbs.insertWidget(0, label)
        while self.thumbs.count() > 7:
            old = self.thumbs.takeAt(self.thumbs.count() - 2)
            gone = old.widget() if old is not None else None
            if gone is not None:
                gone.deleteLater()
