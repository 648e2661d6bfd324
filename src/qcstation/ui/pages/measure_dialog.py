"""Measuring and annotating a captured image: a layer over the untouched original.

Tools (key in brackets): length [L], polyline [P] (Enter finishes), angle [A] (arm, vertex,
arm), circle diameter through three points [C], arrow [R] (tail, then head), ellipse [E]
(centre, then a corner), text [T] (click where; the text comes from the label field).
Values are in mm through the calibration the image was taken with; when it was missing or
did not match they are blocked, when it was stale they are shown flagged and cannot fill a
checklist item. Saving stores the layer with the evidence; exporting writes a copy with the
layer and a scale bar burned in.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.users import Permission
from qcstation.imaging.annotations import (
    AnnotationLayer,
    ArrowItem,
    EllipseItem,
    Item,
    MeasureItem,
    TextItem,
    new_id,
)
from qcstation.imaging.calibration import CalibrationStatus
from qcstation.imaging.display import Viewport
from qcstation.imaging.measure import (
    Angle,
    CircleDiameter,
    Length,
    Measurement,
    Polyline,
    circle_through,
)
from qcstation.services import annotation_layers, golden
from qcstation.services.annotation_layers import OpenedImage
from qcstation.services.golden import GoldenComparison
from qcstation.ui.context import UiContext
from qcstation.ui.errors import is_known
from qcstation.ui.marking_view import MarkingView, Point, draw_marker
from qcstation.ui.pages.golden_dialog import GoldenDialog
from qcstation.ui.tasks import Job
from qcstation.ui.widgets import button, muted, shortcut

TOOLS: tuple[tuple[str, str, str], ...] = (
    ("length", "Length", "L"),
    ("polyline", "Polyline", "P"),
    ("angle", "Angle", "A"),
    ("circle", "Circle ⌀", "C"),
    ("arrow", "Arrow", "R"),
    ("ellipse", "Ellipse", "E"),
    ("text", "Text", "T"),
)
CLICKS = {"length": 2, "angle": 3, "circle": 3, "arrow": 2, "ellipse": 2, "text": 1}


class MeasureDialog(QDialog):
    value_chosen = Signal(float)  # a usable measurement for the current checklist item
    layer_saved = Signal(int)  # evidence id

    def __init__(
        self,
        ctx: UiContext,
        opened: OpenedImage,
        target_unit: str | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ctx, self.opened, self.target_unit = ctx, opened, target_unit
        self.setObjectName("measure-dialog")
        self.setWindowTitle(
            self.tr("Measure and annotate — evidence {0}").format(opened.evidence_id)
        )
        self.setMinimumSize(1100, 720)
        self.layer: AnnotationLayer = opened.layer
        self.saved_layer = opened.layer
        self.undo_stack: list[AnnotationLayer] = []
        self.tool = "length"
        self.pending: list[Point] = []
        self.view = MarkingView()
        self.view.setObjectName("measure-view")
        self.view.show_frame(opened.image)
        self.view.overlay_painters.append(self._paint)
        self.view.marked.connect(self.click)
        self.tools = QButtonGroup(self)
        tool_row = QVBoxLayout()
        for name, label, key in TOOLS:
            b = button(self.tr(label), key)
            b.setCheckable(True)
            b.setObjectName(f"tool-{name}")
            b.setChecked(name == self.tool)
            b.clicked.connect(lambda _c=False, n=name: self.set_tool(n))
            shortcut(self, key, lambda n=name: self.set_tool(n))
            self.tools.addButton(b)
            tool_row.addWidget(b)
        self.label = QLineEdit()
        self.label.setObjectName("annotation-label")
        self.label.setPlaceholderText(self.tr("Label, or the text for [T]"))
        self.calibration_note = QLabel()
        self.calibration_note.setObjectName("calibration-note")
        self.calibration_note.setWordWrap(True)
        self.items = QListWidget()
        self.items.setObjectName("annotation-items")
        self.items.setWordWrap(True)
        self.items.currentRowChanged.connect(self._selected)
        self.hint = muted()
        self.hint.setObjectName("measure-hint")
        self.use = button(self.tr("Use in checklist"), "Ctrl+U")
        self.use.setObjectName("use-measurement")
        self.use.clicked.connect(self.use_selected)
        shortcut(self, "Ctrl+U", self.use_selected)
        delete = button(self.tr("Delete item"), "Del")
        delete.clicked.connect(self.delete_selected)
        shortcut(self, "Del", self.delete_selected)
        undo = button(self.tr("Undo"), "Ctrl+Z")
        undo.clicked.connect(self.undo)
        shortcut(self, "Ctrl+Z", self.undo)
        self.save_button = button(self.tr("Save layer"), "Ctrl+S")
        self.save_button.setObjectName("save-layer")
        self.save_button.clicked.connect(self.save)
        shortcut(self, "Ctrl+S", self.save)
        export = button(self.tr("Export copy…"), "Ctrl+E")
        export.setObjectName("export-copy")
        export.clicked.connect(self.choose_export)
        shortcut(self, "Ctrl+E", self.choose_export)
        compare = button(self.tr("Compare with golden sample"), "Ctrl+G")
        compare.setObjectName("compare-golden")
        compare.clicked.connect(self.compare_golden)
        shortcut(self, "Ctrl+G", self.compare_golden)
        self.make_golden = button(self.tr("Make this the golden sample"))
        self.make_golden.setObjectName("make-golden")
        self.make_golden.setToolTip(
            self.tr("The reference for this SKU and stage (supervisors and administrators)")
        )
        self.make_golden.setVisible(ctx.can(Permission.REVIEW))
        self.make_golden.clicked.connect(self.set_golden)
        close = button(self.tr("Close"), "Esc")
        close.clicked.connect(self.reject)
        self.status = muted()
        self.comparing: Job | None = None  # the golden compare, while it runs
        self.status.setObjectName("measure-status")
        side = QVBoxLayout()
        side.addWidget(self.calibration_note)
        tools_box = QHBoxLayout()
        tools_box.addLayout(tool_row)
        right = QVBoxLayout()
        right.addWidget(self.items, 1)
        right.addWidget(self.use)
        right.addWidget(delete)
        right.addWidget(undo)
        tools_box.addLayout(right, 1)
        side.addLayout(tools_box, 1)
        side.addWidget(self.label)
        side.addWidget(self.hint)
        side.addWidget(self.status)
        for b in (self.save_button, export, compare, self.make_golden, close):
            side.addWidget(b)
        panel = QWidget()
        panel.setFixedWidth(400)
        panel.setLayout(side)
        body = QHBoxLayout(self)
        body.addWidget(self.view, 1)
        body.addWidget(panel)
        if not opened.editable:
            for tool_button in self.tools.buttons():
                tool_button.setEnabled(False)
            self.save_button.setEnabled(False)
            self.status.setText(
                self.tr("The inspection is closed: this image can be viewed and exported only.")
            )
        self._show_calibration()
        self._refresh()

    # ------------------------------------------------------------------ state
    def measurements(self) -> dict[str, Measurement]:
        return {i.id: m for i, m in self.layer.measurements(self.opened.max_age)}

    def _show_calibration(self) -> None:
        chk = self.layer.calibration_check(self.opened.max_age)
        if chk.status is CalibrationStatus.VALID and chk.calibration is not None:
            c = chk.calibration
            self.calibration_note.setText(
                self.tr("Calibrated {0:%Y-%m-%d}: {1:.1f} px/mm ({2})").format(
                    c.made_at, c.px_per_mm, c.magnification
                )
            )
            self.calibration_note.setStyleSheet("")
            return
        lead = (
            self.tr("Measurements FLAGGED")
            if chk.status is CalibrationStatus.STALE
            else self.tr("Lengths BLOCKED")
        )
        self.calibration_note.setText(f"{lead}: {chk.message}")
        self.calibration_note.setStyleSheet("color: #b00020; font-weight: bold;")

    def _edit(self, layer: AnnotationLayer) -> None:
        self.undo_stack.append(self.layer)
        self.layer = layer
        self._refresh()

    def _refresh(self) -> None:
        values = self.measurements()
        row = self.items.currentRow()
        self.items.blockSignals(True)
        self.items.clear()
        for item in self.layer.items:
            text = _describe(item, values.get(item.id))
            entry = QListWidgetItem(text)
            entry.setData(Qt.ItemDataRole.UserRole, item.id)
            self.items.addItem(entry)
        self.items.blockSignals(False)
        if self.items.count():
            self.items.setCurrentRow(min(max(row, 0), self.items.count() - 1))
        self._selected(self.items.currentRow())
        need = CLICKS.get(self.tool)
        self.hint.setText(
            self.tr("{0}: {1} point(s) marked{2}").format(
                self.tool,
                len(self.pending),
                self.tr(" (Enter finishes)") if need is None else f" / {need}",
            )
        )
        self.view.update()

    def selected_item(self) -> Item | None:
        row = self.items.currentRow()
        return self.layer.items[row] if 0 <= row < len(self.layer.items) else None

    def _selected(self, _row: int) -> None:
        item = self.selected_item()
        m = self.measurements().get(item.id) if item is not None else None
        ok = (
            m is not None
            and m.usable
            and self.target_unit is not None
            and m.unit == self.target_unit
        )
        self.use.setEnabled(ok)
        if m is not None and not m.usable and m.value is not None:
            self.use.setToolTip(self.tr("Flagged values cannot fill the checklist"))
        elif self.target_unit is None:
            self.use.setToolTip(self.tr("The current checklist item takes no measurement"))
        else:
            self.use.setToolTip("")
        self.view.update()

    # ------------------------------------------------------------------ tools
    def set_tool(self, name: str) -> None:
        if not self.opened.editable:
            return
        self.tool = name
        self.pending = []
        for b in self.tools.buttons():
            b.setChecked(b.objectName() == f"tool-{name}")
        self._refresh()

    def click(self, x: float, y: float) -> None:
        if not self.opened.editable:
            return
        self.pending.append((x, y))
        need = CLICKS.get(self.tool)
        if need is not None and len(self.pending) >= need:
            self._finish()
        else:
            self._refresh()

    def finish_polyline(self) -> None:
        if self.tool == "polyline" and len(self.pending) >= 2:
            self._finish()

    def _finish(self) -> None:
        pts, label, tool = self.pending, self.label.text().strip(), self.tool
        self.pending = []
        item: Item
        if tool == "length":
            item = MeasureItem(new_id(), Length(pts[0], pts[1]), label)
        elif tool == "polyline":
            item = MeasureItem(new_id(), Polyline(tuple(pts)), label)
        elif tool == "angle":
            item = MeasureItem(new_id(), Angle(pts[0], pts[1], pts[2]), label)
        elif tool == "circle":
            item = MeasureItem(new_id(), CircleDiameter(pts[0], pts[1], pts[2]), label)
        elif tool == "arrow":
            item = ArrowItem(new_id(), pts[0], pts[1], label)
        elif tool == "ellipse":
            (cx, cy), (px, py) = pts
            axes = (max(1.0, abs(px - cx)), max(1.0, abs(py - cy)))
            item = EllipseItem(new_id(), pts[0], axes, 0.0, label)
        else:
            if not label:
                self.status.setText(self.tr("Type the text in the label field first."))
                self._refresh()
                return
            item = TextItem(new_id(), pts[0], label)
        self._edit(self.layer.add(item))
        self.items.setCurrentRow(self.items.count() - 1)
        self.label.clear()  # a label names one item, not the next
        self.status.setText("")

    def delete_selected(self) -> None:
        item = self.selected_item()
        if item is not None and self.opened.editable:
            self._edit(self.layer.remove(item.id))

    def undo(self) -> None:
        if self.pending:
            self.pending.pop()
            self._refresh()
        elif self.undo_stack:
            self.layer = self.undo_stack.pop()
            self._refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.tool == "polyline":
            self.finish_polyline()
            return
        if event.key() == Qt.Key.Key_Escape and self.pending:
            self.pending = []
            self._refresh()
            return
        if event.key() == Qt.Key.Key_Escape and self.comparing is not None:
            self.cancel_compare()  # the first Esc stops the compare, the next closes
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ results
    def use_selected(self) -> None:
        item = self.selected_item()
        m = self.measurements().get(item.id) if item is not None else None
        if m is None or not self.use.isEnabled() or m.value is None:
            return
        self.value_chosen.emit(float(m.value))
        self.status.setText(self.tr("{0} put into the checklist item.").format(m.text()))

    def save(self) -> None:
        if not self.opened.editable:
            return
        station, actor, layer = self.ctx.station, self.ctx.actor, self.layer
        eid = self.opened.evidence_id
        self.save_button.setEnabled(False)
        self.ctx.run(
            lambda: annotation_layers.save(station, actor, eid, layer),
            lambda n: self._saved(layer, n),
            self._failed,
        )

    def _saved(self, layer: AnnotationLayer, count: int) -> None:
        self.saved_layer = layer
        self.save_button.setEnabled(True)
        self.status.setText(self.tr("Layer saved ({0} items).").format(count))
        self.layer_saved.emit(self.opened.evidence_id)

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(self.opened.editable)
        if is_known(exc):
            self.status.setText(str(exc))
        else:
            self.ctx.errors.report(exc)

    def choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Export a copy with overlays"),
            f"evidence-{self.opened.evidence_id}.png",
            self.tr("PNG image (*.png)"),
        )
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        """Drawing the overlays and encoding the PNG run on the work lane (no database
        write): saves never wait for it."""
        station, image, layer = self.ctx.station, self.opened.image, self.layer
        self.status.setText(self.tr("Exporting a copy with the overlays…"))
        self.ctx.run_work(
            lambda _job: annotation_layers.export_copy(station, image, layer, path),
            lambda p: self.status.setText(self.tr("Exported to {0}").format(p)),
            self._failed,
            label=self.tr("Exporting a copy with the overlays"),
            on_cancelled=lambda: self.status.setText(self.tr("Export cancelled.")),
        )

    def compare_golden(self) -> None:
        """On the work lane (decoding and aligning two images): saves never wait for it."""
        if self.comparing is not None:
            return
        station, eid = self.ctx.station, self.opened.evidence_id
        self.status.setText(self.tr("Comparing with the golden sample… (Esc stops)"))
        self.comparing = self.ctx.run_work(
            lambda job: golden.compare(station, eid, step=job.step),
            self._compared,
            self._compare_failed,
            label=self.tr("Comparing with the golden sample"),
            on_cancelled=self._compare_cancelled,
        )

    def cancel_compare(self) -> None:
        if self.comparing is not None:
            self.comparing.cancel()
            self.status.setText(self.tr("Cancelling the compare…"))

    def _compare_cancelled(self) -> None:
        self.comparing = None
        self.status.setText(self.tr("Compare cancelled."))

    def _compare_failed(self, exc: BaseException) -> None:
        self.comparing = None
        self._failed(exc)

    def _compared(self, comparison: GoldenComparison) -> None:
        job, self.comparing = self.comparing, None
        if job is not None and job.cancelled:  # it ended just as Esc was pressed
            self._compare_cancelled()
            return
        if not self.isVisible():  # closed (sign-out) or hidden (lock) while comparing
            self.status.setText(self.tr("Ctrl+G compares with the golden sample again."))
            return
        self.status.setText("")
        self.golden_dialog = GoldenDialog(comparison, self)
        self.golden_dialog.open()

    def set_golden(self) -> None:
        station, actor, eid = self.ctx.station, self.ctx.actor, self.opened.evidence_id
        self.ctx.run(
            lambda: golden.set_from_evidence(station, actor, eid),
            lambda g: self.status.setText(
                self.tr("This image is now the golden sample of {0} at {1}.").format(
                    g.sku, g.stage.value.replace("_", " ")
                )
            ),
            self._failed,
        )

    def has_unsaved_changes(self) -> bool:
        return self.layer != self.saved_layer

    # ------------------------------------------------------------------ drawing
    def _paint(self, p: QPainter, vp: Viewport) -> None:
        values = self.measurements()
        chosen = self.selected_item()
        for item in self.layer.items:
            _draw_item(p, vp, item, values.get(item.id), item is chosen)
        for pt in self.pending:
            draw_marker(p, vp, pt, "#00c8ff")


def _describe(item: Item, m: Measurement | None) -> str:
    if isinstance(item, TextItem):
        return f"text — {item.text}"
    label = f"{item.label}: " if item.label else ""
    if isinstance(item, MeasureItem) and m is not None:
        return f"{label}{item.shape.kind} — {m.text()}"
    return f"{label}{item.type}"


def _pen(color: str, width: float, chosen: bool) -> QPen:
    pen = QPen(QColor("#00e5ff") if chosen else QColor(color))
    pen.setWidthF(width + (1.5 if chosen else 0))
    return pen


def _outline(p: QPainter, draw: object, color: str, chosen: bool) -> None:
    """Draw twice: dark and wide, then coloured, so lines read on metal and on velvet."""
    for pen in (QPen(QColor(0, 0, 0, 190), 4 + (1.5 if chosen else 0)), _pen(color, 2, chosen)):
        p.setPen(pen)
        draw()  # type: ignore[operator]


def _draw_item(p: QPainter, vp: Viewport, item: Item, m: Measurement | None, chosen: bool) -> None:
    w = vp.from_pixel
    p.setBrush(Qt.BrushStyle.NoBrush)
    if isinstance(item, MeasureItem):
        pts = [QPointF(*w(pt)) for pt in item.shape.points]
        shape = item.shape
        if isinstance(shape, CircleDiameter):
            circle = circle_through(shape.p1, shape.p2, shape.p3)
            if circle is not None:
                (cx, cy), r = circle
                c = QPointF(*w((cx, cy)))
                _outline(p, lambda: p.drawEllipse(c, r * vp.zoom, r * vp.zoom), item.color, chosen)
        elif isinstance(shape, Angle):
            _outline(p, lambda: p.drawPolyline(QPolygonF(pts)), item.color, chosen)
        else:
            _outline(p, lambda: p.drawPolyline(QPolygonF(pts)), item.color, chosen)
        for pt in item.shape.points:
            draw_marker(p, vp, pt, item.color)
        if m is not None:
            _label(p, pts[-1] + QPointF(8, -8), m.text(), m.usable or m.unit == "deg")
    elif isinstance(item, ArrowItem):
        a, b = QPointF(*w(item.start)), QPointF(*w(item.end))
        ang = math.atan2(b.y() - a.y(), b.x() - a.x())
        head = QPainterPath(b)
        for side in (-1, 1):
            head.moveTo(b)
            head.lineTo(
                b.x() - 14 * math.cos(ang + side * 0.45), b.y() - 14 * math.sin(ang + side * 0.45)
            )

        def arrow() -> None:
            p.drawLine(a, b)
            p.drawPath(head)

        _outline(p, arrow, item.color, chosen)
        if item.label:
            _label(p, a + QPointF(6, 14), item.label, True)
    elif isinstance(item, EllipseItem):
        c = QPointF(*w(item.center))
        rx, ry = item.axes[0] * vp.zoom, item.axes[1] * vp.zoom

        def ellipse() -> None:
            p.save()
            p.translate(c)
            p.rotate(item.angle_deg)
            p.drawEllipse(QRectF(-rx, -ry, 2 * rx, 2 * ry))
            p.restore()

        _outline(p, ellipse, item.color, chosen)
        if item.label:
            _label(p, c + QPointF(rx + 6, 0), item.label, True)
    else:
        at = QPointF(*w(item.position))
        p.setPen(QPen(QColor(item.color)))
        _label(p, at, item.text, True, QColor(item.color))


def _label(p: QPainter, at: QPointF, text: str, ok: bool, color: QColor | None = None) -> None:
    rect = p.fontMetrics().boundingRect(text).adjusted(-4, -2, 4, 2)
    rect.moveTopLeft(at.toPoint())
    p.fillRect(rect, QColor(0, 0, 0, 170))
    p.setPen(color or (QColor("#ffd400") if ok else QColor("#ff5a5a")))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
