"""Calibrating the microscope with a stage micrometer on the live (frozen) frame.

Ticks are looked for automatically as the dialog opens (on the worker); when they are
found, the fitted pitch is the proposed calibration and the tick centres are drawn. The
inspector may instead mark two ticks N divisions apart with the mouse: a mark snaps to the
nearest found tick and N is counted from the ticks; without found ticks, N is typed in.
Saving stores it for this camera and magnification (supervisors and admins).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.users import Permission
from qcstation.imaging.calibration import (
    Calibration,
    CalibrationCheck,
    from_pitch,
    from_two_points,
)
from qcstation.imaging.display import Viewport
from qcstation.imaging.errors import ImagingError
from qcstation.imaging.ticks import TickDetection, detect_ticks
from qcstation.services import calibration
from qcstation.services.calibration import SavedCalibration
from qcstation.ui.context import UiContext
from qcstation.ui.errors import is_known
from qcstation.ui.marking_view import MarkingView, Point, draw_marker
from qcstation.ui.tasks import Job
from qcstation.ui.widgets import button, muted, shortcut


def calibration_text(chk: CalibrationCheck) -> str:
    """One line for the camera panel: the calibration in force, or what is wrong with it."""
    c = chk.calibration
    if chk.ok and c is not None:
        return QCoreApplication.translate(
            "calibration", "Calibrated {0:%Y-%m-%d} by {1}: {2:.1f} px/mm"
        ).format(c.made_at, c.made_by or "?", c.px_per_mm)
    return QCoreApplication.translate("calibration", "Not for measuring: {0}").format(chk.message)


class CalibrationDialog(QDialog):
    calibration_saved = Signal(object)  # SavedCalibration

    def __init__(
        self,
        ctx: UiContext,
        frame: np.ndarray,
        camera_id: str,
        magnification: str,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ctx, self.camera_id, self.magnification = ctx, camera_id, magnification
        self.setObjectName("calibration-dialog")
        self.setWindowTitle(self.tr("Calibrate {0} at {1}").format(camera_id, magnification))
        self.setMinimumSize(1000, 680)
        self.frame = np.ascontiguousarray(frame)
        self.size_px = (int(frame.shape[1]), int(frame.shape[0]))
        self.detection: TickDetection | None = None
        self.finding: Job | None = None  # finding the ticks, while it runs
        self.marks: list[Point] = []
        self.candidate: Calibration | None = None
        self.view = MarkingView()
        self.view.setObjectName("calibration-view")
        self.view.show_frame(self.frame)
        self.view.overlay_painters.append(self._paint)
        self.view.marked.connect(self.mark)
        self.division_mm = QDoubleSpinBox()
        self.division_mm.setObjectName("division-mm")
        self.division_mm.setDecimals(4)
        self.division_mm.setRange(0.0001, 10.0)
        self.division_mm.setSingleStep(0.001)
        self.division_mm.setValue(0.01)
        self.division_mm.setSuffix(" mm")
        self.division_mm.setMinimumWidth(130)
        self.division_mm.valueChanged.connect(self._recompute)
        self.divisions = QSpinBox()
        self.divisions.setObjectName("divisions")
        self.divisions.setRange(1, 10000)
        self.divisions.setValue(10)
        self.divisions.setMinimumWidth(130)
        self.divisions.valueChanged.connect(self._recompute)
        self.found = muted(self.tr("Looking for the micrometer's ticks…"))
        self.found.setObjectName("ticks-found")
        self.result_label = QLabel()
        self.result_label.setObjectName("calibration-result")
        self.result_label.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("calibration-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.find_button = button(self.tr("Find ticks"), "Ctrl+T")
        self.find_button.clicked.connect(self.find_ticks)
        shortcut(self, "Ctrl+T", self.find_ticks)
        clear = button(self.tr("Clear marks"), "Del")
        clear.clicked.connect(self.clear_marks)
        shortcut(self, "Del", self.clear_marks)
        self.save_button = button(self.tr("Save calibration"), "Ctrl+S")
        self.save_button.setObjectName("save-calibration")
        self.save_button.clicked.connect(self.save)
        shortcut(self, "Ctrl+S", self.save)
        close = button(self.tr("Close"), "Esc")
        close.clicked.connect(self.reject)
        may = ctx.can(Permission.REVIEW)
        self.permission_note = muted(
            "" if may else self.tr("Only a supervisor or an administrator can save a calibration.")
        )
        form = QFormLayout()
        form.addRow(self.tr("Division size"), self.division_mm)
        form.addRow(self.tr("Divisions"), self.divisions)
        self.divisions.setToolTip(self.tr("Divisions between the two marked ticks"))
        side = QVBoxLayout()
        side.addWidget(
            muted(
                self.tr(
                    "Put the stage micrometer under the microscope, focus it and freeze the "
                    "picture. Ticks are found automatically; or click two ticks far apart "
                    "(a click snaps to the nearest found tick). Wheel zooms, middle button "
                    "pans."
                )
            )
        )
        side.addLayout(form)
        side.addWidget(self.found)
        side.addWidget(self.result_label)
        side.addWidget(self.error)
        side.addStretch(1)
        side.addWidget(self.permission_note)
        for b in (self.find_button, clear, self.save_button, close):
            side.addWidget(b)
        body = QHBoxLayout(self)
        body.addWidget(self.view, 1)
        panel = QWidget()
        panel.setFixedWidth(320)
        panel.setLayout(side)
        body.addWidget(panel)
        self._recompute()
        self.find_ticks()

    # ------------------------------------------------------------------ finding ticks
    def find_ticks(self) -> None:
        """On the work lane (image analysis): saves never wait for it; Esc stops it."""
        if self.finding is not None:
            return
        frame = self.frame
        self.find_button.setEnabled(False)
        self.finding = self.ctx.run_work(
            lambda job: detect_ticks(frame, step=job.step),
            self._found,
            self._not_found,
            label=self.tr("Finding the ticks"),
            on_cancelled=self._find_cancelled,
        )

    def _find_cancelled(self) -> None:
        self.finding = None
        self.find_button.setEnabled(True)
        self.found.setText(self.tr("Finding the ticks was cancelled: mark two ticks by hand."))

    def reject(self) -> None:
        """Esc or Close: stops finding the ticks (if it runs) and closes; nothing is saved."""
        if self.finding is not None:
            self.finding.cancel()
        super().reject()

    def _found(self, detection: TickDetection) -> None:
        job, self.finding = self.finding, None
        if job is None or job.cancelled:  # stopped meanwhile: the marks stay the person's
            return
        self.find_button.setEnabled(True)
        self.detection = detection
        self.found.setText(
            self.tr("{0} ticks found, pitch {1:.2f} px (fit residual {2:.2f} px)").format(
                detection.count, detection.pitch_px, detection.residual_px
            )
        )
        self.marks = [detection.nearest(m)[1] for m in self.marks]
        self._recompute()

    def _not_found(self, exc: BaseException) -> None:
        self.finding = None
        self.find_button.setEnabled(True)
        if not isinstance(exc, ImagingError):
            self.ctx.errors.report(exc)
            return
        self.detection = None
        self.found.setText(
            self.tr(
                "No ticks found ({0}). Mark two ticks and type the divisions between them."
            ).format(exc)
        )
        self._recompute()

    # ------------------------------------------------------------------ marking
    def mark(self, x: float, y: float) -> None:
        point: Point = (x, y)
        if self.detection is not None:
            point = self.detection.nearest(point)[1]
        if len(self.marks) >= 2:
            self.marks = []
        self.marks.append(point)
        self._recompute()

    def clear_marks(self) -> None:
        self.marks = []
        self._recompute()

    def _recompute(self) -> None:
        self.error.setText("")
        self.candidate = None
        common: dict[str, Any] = {
            "camera_id": self.camera_id,
            "magnification": self.magnification,
            "image_size": self.size_px,
        }
        try:
            if len(self.marks) == 2:
                if self.detection is not None:
                    n0 = self.detection.nearest(self.marks[0])[0]
                    n1 = self.detection.nearest(self.marks[1])[0]
                    if n0 != n1:
                        self.divisions.blockSignals(True)
                        self.divisions.setValue(abs(n1 - n0))
                        self.divisions.blockSignals(False)
                self.candidate = from_two_points(
                    self.marks[0],
                    self.marks[1],
                    self.divisions.value(),
                    self.division_mm.value(),
                    **common,
                )
            elif self.detection is not None and not self.marks:
                d = self.detection
                self.candidate = from_pitch(
                    d.pitch_px, d.pitch_stderr_px, d.count, self.division_mm.value(), **common
                )
        except ImagingError as exc:
            self.error.setText(str(exc))
        self._show_candidate()
        self.view.update()

    def _show_candidate(self) -> None:
        c = self.candidate
        may = self.ctx.can(Permission.REVIEW)
        self.save_button.setEnabled(c is not None and may)
        if c is None:
            self.result_label.setText(
                self.tr("Mark a second tick.")
                if len(self.marks) == 1
                else self.tr("No calibration yet.")
            )
            return
        how = (
            self.tr("from the found ticks")
            if c.method.value == "auto_ticks"
            else self.tr("from two marked ticks {0} divisions apart").format(c.divisions)
        )
        self.result_label.setText(
            self.tr("{0:.2f} px/mm ({1:.6f} mm/px), uncertainty ±{2:.3f} %, {3}").format(
                c.px_per_mm, c.mm_per_px, c.residual * 100, how
            )
        )

    def _paint(self, p: QPainter, vp: Viewport) -> None:
        if self.detection is not None:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#00c8ff"))
            for c in self.detection.centers:  # small dots: ticks may be a few pixels apart
                p.drawEllipse(QPointF(*vp.from_pixel(c)), 2.5, 2.5)
            p.setBrush(Qt.BrushStyle.NoBrush)
        for m in self.marks:
            draw_marker(p, vp, m, "#ffd400")

    # ------------------------------------------------------------------ saving
    def save(self) -> None:
        cal = self.candidate
        if cal is None or not self.save_button.isEnabled():
            return
        station, actor = self.ctx.station, self.ctx.actor
        self.save_button.setEnabled(False)
        self.ctx.run(lambda: calibration.save(station, actor, cal), self._saved, self._failed)

    def _saved(self, saved: SavedCalibration) -> None:
        self.calibration_saved.emit(saved)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if is_known(exc):
            self.error.setText(str(exc))
        else:
            self.ctx.errors.report(exc)
