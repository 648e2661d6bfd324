"""The live magnified image beside the checklist.

The panel polls its source for the newest frame on a timer (the capture thread keeps
only the newest, so nothing queues up); the view paints only the visible part of it
(fit, zoom, pan, 1:1: see ui/image_view.py). The numpy array behind the QImage is kept
alive as long as the QImage is shown.

When the source reports a problem (``problem()``: the camera is lost, reconnecting, or
never came), the last good frame stays on screen under a red banner saying what happened;
the grabber reconnects by itself and the banner goes when frames come again.

:meth:`CameraPanel.shot` is where every capture takes its picture (the capture key, the
defect form): the grabber's newest frame, or the frozen one while frozen, with the camera's
description, the magnification and the camera's problem at that moment; services.microscope
refuses, encodes and records it on the worker. Under the picture, the strip of this
inspection's captures (ui/evidence_strip.py) and a line saying what the last capture kept.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from qcstation.imaging.frames import Frame
from qcstation.services.microscope import Shot
from qcstation.ui.evidence_strip import EvidenceStrip
from qcstation.ui.image_view import ImageView, to_qimage
from qcstation.ui.thumbnail_shelf import ThumbnailShelf
from qcstation.ui.widgets import button, muted

__all__ = ["CameraPanel", "FrameSource", "PreviewView", "to_qimage"]


class FrameSource(Protocol):
    """What the panel needs of a camera: the newest frame and a word on its state.

    A source may also offer ``newest() -> Frame | None`` (the grabber's frame with its time),
    ``problem() -> str | None`` and ``capabilities()``; captures use them when it does."""

    def latest(self) -> tuple[np.ndarray, int] | None: ...

    def status(self) -> str: ...


def newest_frame(source: Any) -> Frame | None:
    """The source's newest frame as a Frame (its number and the time it was taken), for
    sources that keep one; None for those that do not."""
    newest = getattr(source, "newest", None)
    return newest() if callable(newest) else None


class PreviewView(ImageView):
    """The live picture: an :class:`ImageView` the panel feeds with the newest frame."""


class CameraPanel(QWidget):
    capture_requested = Signal()
    calibrate_requested = Signal()
    stack_requested = Signal()
    magnification_changed = Signal(str)
    camera_changed = Signal()  # another camera id (a camera connected, or was swapped)

    def __init__(self, source: FrameSource | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("camera-panel")
        self.source = source
        self.view = PreviewView()
        self.state = muted()
        self.state.setObjectName("camera-state")
        self.frozen = False
        self.shown: Frame | None = None  # the frame on screen (the frozen one while frozen)
        self._seq = -1
        self._camera_id = ""
        self._id_checked = 0.0
        self.capture = button(self.tr("Capture"))
        self.capture.setObjectName("capture-button")
        self.show_capture_key("F9")
        self.capture.clicked.connect(self.capture_requested.emit)
        self.freeze = freeze = button(self.tr("Freeze"))
        freeze.setObjectName("freeze-button")
        freeze.setCheckable(True)
        freeze.toggled.connect(self.set_frozen)
        grid = button(self.tr("Grid"))
        grid.setCheckable(True)
        grid.toggled.connect(self.set_overlay)
        cross = button(self.tr("Cross"))
        cross.setToolTip(self.tr("Crosshair on the image centre"))
        cross.setCheckable(True)
        cross.toggled.connect(self.set_crosshair)
        fit = button(self.tr("Fit"))
        fit.setToolTip(self.tr("Fit the picture to the panel (key 0 in the picture)"))
        fit.clicked.connect(self.view.fit)
        one = button(self.tr("1:1"))
        one.setToolTip(self.tr("One camera pixel per screen pixel (key 1 in the picture)"))
        one.clicked.connect(self.view.one_to_one)
        zoom_in = button("+")
        zoom_in.setToolTip(self.tr("Zoom in (wheel, or + in the picture)"))
        zoom_in.clicked.connect(lambda: self.view.zoom_by(1.25))
        zoom_out = button("−")
        zoom_out.setToolTip(self.tr("Zoom out (wheel, or - in the picture)"))
        zoom_out.clicked.connect(lambda: self.view.zoom_by(0.8))
        self.magnification_box = QComboBox()
        self.magnification_box.setObjectName("magnification")
        self.magnification_box.setToolTip(self.tr("The microscope's zoom setting"))
        self.magnification_box.addItem("1.0x")
        self.magnification_box.currentTextChanged.connect(self.magnification_changed.emit)
        self.stack = button(self.tr("Focus stack…"))
        self.stack.setObjectName("stack-button")
        self.stack.setToolTip(self.tr("Several frames while the focus turns, fused sharp"))
        self.stack.clicked.connect(self.stack_requested.emit)
        self.calibrate = button(self.tr("Calibrate…"))
        self.calibrate.setObjectName("calibrate-button")
        self.calibrate.clicked.connect(self.calibrate_requested.emit)
        self.calibration_label = QLabel()
        self.calibration_label.setObjectName("calibration-state")
        self.calibration_label.setWordWrap(True)
        self.zoom_label = muted()
        self.zoom_label.setObjectName("zoom-label")
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("3200 %"))
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.view_changed.connect(self._show_zoom)
        self.problem = ""
        self.focus_bar = QProgressBar()
        self.focus_bar.setObjectName("focus-bar")
        self.focus_bar.setRange(0, 100)
        self.focus_bar.setFormat(self.tr("focus %p %"))
        self.focus_bar.setMaximumHeight(18)
        self.strip = EvidenceStrip()
        self.notice = muted()
        self.notice.setObjectName("capture-notice")
        self.notice.setWordWrap(True)
        # two lines kept free: the live picture must not jump when a capture is announced
        self.notice.setMinimumHeight(2 * self.notice.fontMetrics().lineSpacing())
        self.notice.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # Two short rows rather than one long one: the panel shares the width with the
        # checklist, and the window must still fit a 1366-pixel screen.
        row = QHBoxLayout()
        for w in (self.capture, self.stack, freeze):
            row.addWidget(w)
        row.addStretch(1)
        view_row = QHBoxLayout()
        for w in (grid, cross):
            view_row.addWidget(w)
        view_row.addStretch(1)
        for tail in (zoom_out, self.zoom_label, zoom_in, fit, one):
            view_row.addWidget(tail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.focus_bar)
        layout.addWidget(self.state)
        cal_row = QHBoxLayout()
        cal_row.addWidget(self.magnification_box)
        cal_row.addWidget(self.calibration_label, 1)
        cal_row.addWidget(self.calibrate)
        layout.addLayout(cal_row)
        layout.addLayout(row)
        layout.addLayout(view_row)
        layout.addWidget(self.notice)
        layout.addWidget(ThumbnailShelf(self.strip))
        self.timer = QTimer(self)
        self.timer.setInterval(15)
        self.timer.timeout.connect(self.poll)
        self.set_source(source)
        self._show_zoom()

    def show_capture_key(self, key: str) -> None:
        """The configured capture key on the button (a foot pedal sends it)."""
        self.capture.setText(self.tr("Capture") + f"  [{key}]")
        self.capture.setToolTip(
            self.tr(
                "{0} captures from anywhere on the checklist; Space too, outside text fields"
            ).format(key)
        )

    def set_source(self, source: FrameSource | None) -> None:
        self.source = source
        self._seq = -1
        self.shown = None
        self.capture.setEnabled(source is not None)
        self.stack.setEnabled(source is not None)
        if source is None:
            self.view.message = self.tr("No camera. Connect the microscope, or capture later.")
            self.timer.stop()
        else:
            self.view.message = ""
            self.timer.start()
        self.view.update()

    # ------------------------------------------------------------------ calibration
    def set_magnifications(self, names: list[str]) -> None:
        current = self.magnification()
        self.magnification_box.blockSignals(True)
        self.magnification_box.clear()
        self.magnification_box.addItems(names)
        if current in names:
            self.magnification_box.setCurrentText(current)
        self.magnification_box.blockSignals(False)
        if self.magnification() != current:
            self.magnification_changed.emit(self.magnification())

    def magnification(self) -> str:
        return self.magnification_box.currentText()

    def capabilities(self) -> Any:
        """The camera's Capabilities (imaging.source), or None when it does not say."""
        caps = getattr(self.source, "capabilities", None)
        return caps() if callable(caps) else None

    def camera_id(self) -> str:
        caps = self.capabilities()
        return caps.camera_id if caps is not None else "unknown-camera"

    def show_calibration(self, text: str, ok: bool) -> None:
        """What the calibration check says for this camera and magnification."""
        self.calibration_label.setText(text)
        self.calibration_label.setStyleSheet("" if ok else "color: #b00020; font-weight: bold;")

    # ------------------------------------------------------------------ view
    def set_frozen(self, frozen: bool) -> None:
        self.frozen = frozen
        if self.freeze.isChecked() != frozen:
            self.freeze.setChecked(frozen)
        self._show_banner()

    def set_overlay(self, on: bool) -> None:
        self.view.grid = on
        self.view.update()

    def set_crosshair(self, on: bool) -> None:
        self.view.crosshair = on
        self.view.update()

    def _show_zoom(self) -> None:
        self.zoom_label.setText(
            self.tr("fit") if self.view.fitted else f"{self.view.zoom * 100:.0f} %"
        )

    def _show_banner(self) -> None:
        if self.problem:
            text = self.problem
        elif self.frozen:
            text = self.tr("Frozen: press Freeze again for the live picture")
        else:
            text = ""
        if text != self.view.banner:
            self.view.banner = text
            self.view.update()

    def poll(self) -> None:
        if self.source is None:
            return
        self.state.setText(self.source.status())
        said = self.problem_text()
        self.problem = self.tr("Camera problem: %1").replace("%1", said) if said else ""
        self._show_banner()
        if self.frozen:
            return
        got = self.source.latest()
        if got is None:
            return
        frame, seq = got
        now = time.monotonic()
        if self._seq < 0 or now - self._id_checked > 1.0:  # it changes only on a (re)connect
            self._id_checked = now
            cam = self.camera_id()
            if cam != self._camera_id:
                self._camera_id = cam
                self.camera_changed.emit()
        if seq != self._seq:
            self._seq = seq
            kept = newest_frame(self.source)
            # the grabber's own Frame when it is this picture: its time is when it was taken
            self.shown = kept if kept is not None and kept.image is frame else Frame(frame, seq)
            self.view.show_frame(frame)
            level = getattr(self.source, "focus_level", None)
            self.focus_bar.setVisible(level is not None)
            if level is not None:
                self.focus_bar.setValue(int(level * 100))

    def current_frame(self) -> np.ndarray | None:
        return None if self.view.frame is None else self.view.frame.copy()

    def shot(self) -> Shot:
        """The picture a capture keeps, taken now on the GUI thread (no copy, no encoding):
        the frozen frame while frozen, else the grabber's newest; with the camera's
        description and the problem it reports, for services.microscope to judge."""
        if self.source is None:
            return Shot(None)
        frame = self.shown if self.frozen else (newest_frame(self.source) or self.shown)
        return Shot(
            frame, self.capabilities(), self.magnification(), self.frozen, self.problem_text()
        )

    def problem_text(self) -> str:
        """What the source reports wrong right now (not waiting for the next poll)."""
        problem = getattr(self.source, "problem", None)
        return (problem() or "") if callable(problem) else ""

    def announce(self, text: str, warn: bool = False) -> None:
        """Say what the last capture kept, under the picture."""
        self.notice.setText(text)
        self.notice.setStyleSheet("color: #b00020; font-weight: bold;" if warn else "")
