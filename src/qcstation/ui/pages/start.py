"""Start an inspection: scan the job ticket, check the stage it suggests, go.

A barcode scanner types like a keyboard and ends with Enter. A ticket may carry the job,
SKU and serial together, separated by '|' or ';' (JT-26-001234|RG-SOL-0412|SN123456).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Inspection, SubjectKind
from qcstation.domain.stages import Stage
from qcstation.domain.templates import ChecklistTemplate
from qcstation.services import inspections, lots, templates
from qcstation.ui.context import UiContext
from qcstation.ui.pages.lot_plan import LotPlanForm
from qcstation.ui.pages.unfinished import LIST_KEY, UnfinishedList
from qcstation.ui.widgets import VerticalScroll, button, muted, shortcut, title


def split_scan(text: str) -> list[str]:
    for sep in ("|", ";", "\t"):
        if sep in text:
            return [part.strip() for part in text.split(sep)]
    return [text.strip()]


class StartPage(QWidget):
    started = Signal(object)  # Inspection (new, resumed or taken over)
    lot_planned = Signal(object)  # lots.LotInfo: ISO 2859-1 plan and sample drawn

    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("start-page")
        self.template: ChecklistTemplate | None = None
        self.scan = QLineEdit()
        self.scan.setObjectName("scan")
        self.scan.setPlaceholderText(self.tr("Scan or type the job ticket, then Enter"))
        self.sku = QLineEdit()
        self.sku.setObjectName("sku")
        self.serial = QLineEdit()
        self.serial.setObjectName("serial")
        self.stage = QComboBox()
        self.stage.setObjectName("stage")
        for s in Stage:
            self.stage.addItem(self.tr(s.label), s.value)
        self.piece = QRadioButton(self.tr("One piece"))
        self.lot = QRadioButton(self.tr("A lot"))
        self.piece.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.piece)
        group.addButton(self.lot)
        self.lot_size = QSpinBox()
        self.lot_size.setRange(2, 1_000_000)
        self.lot_size.setValue(100)
        self.sample_size = QSpinBox()
        self.sample_size.setRange(1, 1_000_000)
        self.sample_size.setValue(20)
        self.counts_form = QFormLayout()
        self.count_fields: dict[str, QSpinBox] = {}
        self.hint = muted()
        self.hint.setObjectName("start-hint")
        self.go = button(self.tr("Start inspection"), "Enter")
        self.go.setObjectName("start-button")
        self.go.clicked.connect(self.on_start)
        subject = QHBoxLayout()
        subject.addWidget(self.piece)
        subject.addWidget(self.lot)
        subject.addSpacing(24)
        subject.addWidget(muted(self.tr("lot size")))
        subject.addWidget(self.lot_size)
        subject.addStretch(1)
        # The sample size of a lot comes from its ISO 2859-1 plan (the lot form below).
        self.sample_size.hide()
        self.lot_form = LotPlanForm()
        form = self.form = QFormLayout()
        form.addRow(self.tr("Job ticket"), self.scan)
        form.addRow(self.tr("SKU"), self.sku)
        form.addRow(self.tr("Serial"), self.serial)
        form.addRow(self.tr("Stage"), self.stage)
        form.addRow(self.tr("Subject"), subject)
        self.unfinished = UnfinishedList(ctx)  # held here, parked, held elsewhere
        self.unfinished.opened.connect(self.started.emit)
        # The form on the left, as wide as a form reads well; what is still open on the
        # right. The form scrolls on a low screen (a lot's sampling fields make it tall).
        fields = QWidget()
        fields.setObjectName("start-fields")
        left = QVBoxLayout(fields)
        left.setContentsMargins(0, 0, 8, 0)
        left.addLayout(form)
        left.addWidget(self.lot_form)
        left.addLayout(self.counts_form)
        left.addWidget(self.hint)
        left.addWidget(self.go)
        left.addStretch(1)
        scroll = VerticalScroll(fields, "start-form")
        scroll.setMaximumWidth(680)
        right = QVBoxLayout()
        right.addWidget(self.unfinished, 1)
        columns = QHBoxLayout()
        columns.addWidget(scroll, 3)
        columns.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(title(self.tr("New inspection")))
        layout.addLayout(columns, 1)
        self.scan.returnPressed.connect(self.on_scanned)
        self.sku.returnPressed.connect(self.serial.setFocus)
        self.serial.returnPressed.connect(self.on_start)
        self.stage.currentIndexChanged.connect(self.load_template)
        self.lot.toggled.connect(self._subject_changed)
        self._align_labels()
        shortcut(self, "Ctrl+Return", self.on_start)
        shortcut(self, LIST_KEY, self.unfinished.focus_list)
        # Enter on the boxes that have no Enter of their own goes on as the form implies:
        # start when the ticket and SKU are there, else to the field still missing.
        for box in (self.stage, self.piece, self.lot, self.lot_size, self.lot_form):
            box.installEventFilter(self)
        self._subject_changed()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers()
            in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        ):
            self.on_start()
            return True
        return super().eventFilter(watched, event)

    def reset(self) -> None:
        for field in (self.scan, self.sku, self.serial):
            field.clear()
        self.hint.setText("")
        self.go.setEnabled(True)
        self.scan.setFocus()
        self.load_template()
        self.refresh_unfinished()

    def refresh_unfinished(self) -> None:
        self.unfinished.refresh()

    def _subject_changed(self) -> None:
        lot = self.lot.isChecked()
        self.lot_size.setEnabled(lot)
        self.sample_size.setEnabled(lot)
        self.lot_form.setVisible(lot)

    def load_template(self) -> None:
        stage = Stage(self.stage.currentData())
        station = self.ctx.station
        self.ctx.run(
            lambda: templates.active_template(station, stage)[1],
            self._template_loaded,
            lambda exc: self._no_template(stage, exc),
        )

    def _no_template(self, stage: Stage, exc: BaseException) -> None:
        self.template = None
        self.hint.setText(str(exc))

    def _template_loaded(self, tpl: ChecklistTemplate) -> None:
        self.template = tpl
        while self.counts_form.rowCount():
            self.counts_form.removeRow(0)
        # One count per kind of position (stones, prongs), shared by every item that uses it.
        self.count_fields = {}
        groups: dict[str, list[str]] = {}
        for item in tpl.items():
            if item.positions is not None:
                groups.setdefault(item.positions.label, []).append(item.id)
        for label, ids in groups.items():
            first = tpl.item(ids[0]).positions
            assert first is not None
            spin = QSpinBox()
            spin.setRange(first.min, first.max)
            spin.setValue(first.default)
            spin.setObjectName(f"count-{label.lower()}")
            spin.installEventFilter(self)  # Enter starts, as on the other boxes
            spin.setProperty("items", ids)
            self.count_fields[label] = spin
            self.counts_form.addRow(self.tr("Number of {0}s").format(label.lower()), spin)
        # Any stage may sample a lot by ISO 2859-1; the checklist does not take part in it.
        self.lot.setEnabled(True)
        self.piece.setEnabled("piece" in tpl.subjects)
        (self.piece if "piece" in tpl.subjects else self.lot).setChecked(True)
        self.hint.setText(self.tr("Checklist: {0} v{1}").format(tpl.name, tpl.version))
        self._align_labels()

    def _align_labels(self) -> None:
        """The three forms (piece, lot, counts) read as one: their fields start together."""
        forms = [self.form, self.counts_form, self.lot_form.form]
        labels = [
            label
            for f in forms
            for row in range(f.rowCount())
            if (item := f.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None
            and (label := item.widget()) is not None
        ]
        widest = max((w.sizeHint().width() for w in labels), default=0)
        for label in labels:
            label.setMinimumWidth(widest)

    def on_scanned(self) -> None:
        parts = split_scan(self.scan.text())
        self.scan.setText(parts[0])
        if len(parts) > 1:
            self.sku.setText(parts[1])
        if len(parts) > 2:
            self.serial.setText(parts[2])
        job = parts[0]
        if not job:
            return
        station = self.ctx.station
        self.ctx.run(lambda: inspections.suggest_next(station, job), self._suggested)

    def _suggested(self, suggestion: tuple[Stage, str, str] | None) -> None:
        if suggestion is not None:
            stage, sku, serial = suggestion
            self.stage.setCurrentIndex(self.stage.findData(stage.value))
            if not self.sku.text():
                self.sku.setText(sku)
            if not self.serial.text():
                self.serial.setText(serial)
            self.hint.setText(
                self.tr("This job was last inspected before {0}.").format(stage.label)
            )
        (self.serial if self.sku.text() else self.sku).setFocus()
        if self.sku.text() and self.serial.text():
            self.go.setFocus()

    def on_start(self) -> None:
        if not self.go.isEnabled():
            return
        stage = Stage(self.stage.currentData())
        job, sku, serial = (
            self.scan.text().strip(),
            self.sku.text().strip(),
            self.serial.text().strip(),
        )
        if not job or not sku:
            self.hint.setText(self.tr("A job ticket and a SKU are needed."))
            (self.scan if not job else self.sku).setFocus()
            return
        lot = self.lot.isChecked()
        if lot:
            self._plan_lot(stage, job, sku)
            return
        counts = {
            item_id: spin.value()
            for spin in self.count_fields.values()
            for item_id in spin.property("items")
        }
        station, actor = self.ctx.station, self.ctx.actor
        lot_size = self.lot_size.value() if lot else None
        sample = self.sample_size.value() if lot else None
        self.go.setEnabled(False)
        self.ctx.run(
            lambda: inspections.start(
                station,
                actor,
                stage,
                job,
                sku,
                serial,
                SubjectKind.LOT if lot else SubjectKind.PIECE,
                lot_size,
                sample,
                counts,
            ),
            self._started,
            self._failed,
        )

    def _plan_lot(self, stage: Stage, job: str, sku: str) -> None:
        station, actor = self.ctx.station, self.ctx.actor
        size, form = self.lot_size.value(), self.lot_form
        aqls, level, supplier = form.aqls(), form.level.currentData(), form.supplier.text()
        self.go.setEnabled(False)
        self.ctx.run(
            lambda: lots.plan_lot(
                station,
                actor,
                stage=stage,
                job_ticket=job,
                sku=sku,
                lot_size=size,
                aqls=aqls,
                level=level,
                supplier=supplier,
            ),
            self._lot_planned,
            self._failed,
        )

    def _lot_planned(self, lot: lots.LotInfo) -> None:
        self.go.setEnabled(True)
        self.lot_planned.emit(lot)

    def _failed(self, exc: BaseException) -> None:
        self.go.setEnabled(True)
        self.ctx.errors.report(exc)

    def _started(self, ins: Inspection) -> None:
        self.go.setEnabled(True)
        self.started.emit(ins)
