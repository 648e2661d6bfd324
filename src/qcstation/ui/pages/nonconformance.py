"""Nonconformance (supervisors): every nonconforming item without a disposition, decided
by key — rework, scrap, use as is (with a reason), return to supplier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.defects import Disposition
from qcstation.domain.nonconformance import Nonconformance
from qcstation.domain.users import Permission
from qcstation.services import inspections, nonconformance
from qcstation.ui.context import UiContext
from qcstation.ui.models import Column, ListModel
from qcstation.ui.pages.corrective import NewCapaDialog
from qcstation.ui.pages.inspection_view import InspectionDialog
from qcstation.ui.widgets import button, muted, record_table, shortcut, title


class NonconformanceModel(ListModel[Nonconformance]):
    columns: ClassVar[Sequence[Column]] = [
        ("Found", lambda n: f"{n.found_at.astimezone():%Y-%m-%d %H:%M}"),
        ("Severity", lambda n: n.severity.value),
        ("Code", lambda n: n.code),
        ("Defect", lambda n: n.name),
        ("Stage", lambda n: n.stage.label),
        ("Job", lambda n: n.job_ticket),
        ("SKU", lambda n: n.sku),
        ("Piece / lot", lambda n: n.subject_label),
        ("Where", lambda n: n.where),
        ("Photos", lambda n: len(n.photos)),
        ("Disposition", lambda n: n.disposition.value.replace("_", " ")),
        ("Decided by", lambda n: n.decided_by),
        ("Reason", lambda n: n.reason),
    ]


DECIDED_COLUMNS = (10, 11, 12)

# key, disposition, button label
KEYS: tuple[tuple[str, Disposition, str], ...] = (
    ("W", Disposition.REWORK, "Rework"),
    ("S", Disposition.SCRAP, "Scrap"),
    ("U", Disposition.USE_AS_IS, "Use as is"),
    ("T", Disposition.RETURN_TO_SUPPLIER, "Return to supplier"),
)


class NonconformancePage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("nonconformance-page")
        self.model = NonconformanceModel(self)
        self.table = record_table("nonconformance-table", self.model)
        self.table.activated.connect(self.open_selected)
        self.decided = QCheckBox(self.tr("Show decided  [D]"))
        self.decided.setObjectName("show-decided")
        self.decided.toggled.connect(lambda _on: self.refresh())
        self.detail = muted()
        self.detail.setObjectName("nonconformance-detail")
        self.photo = QLabel()
        self.photo.setFixedHeight(150)
        self.status = muted()
        self.status.setObjectName("nonconformance-status")
        self.last_decision = ""
        # Two rows: what to do with the selected item, and its disposition; six buttons in
        # one row do not fit a 1280-pixel screen.
        row = QHBoxLayout()
        view = button(self.tr("Open inspection"), "Enter")
        view.clicked.connect(self.open_selected)
        row.addWidget(view)
        capa = button(self.tr("Corrective action"), "C")
        capa.clicked.connect(self.open_capa)
        row.addWidget(capa)
        row.addStretch(1)
        shortcut(self, "C", self.open_capa)
        decide = QHBoxLayout()
        decide.addWidget(muted(self.tr("Disposition:")))
        for key, disposition, label in KEYS:
            b = button(self.tr(label), key, f"disposition-{disposition.value}")
            b.clicked.connect(lambda _c=False, d=disposition: self.decide(d))
            decide.addWidget(b, 1)
            shortcut(self, key, lambda d=disposition: self.decide(d))
        shortcut(self, "D", self.decided.toggle)
        info = QHBoxLayout()
        info.addWidget(self.detail, 1)
        info.addWidget(self.photo)
        layout = QVBoxLayout(self)
        layout.addWidget(title(self.tr("Nonconformance")))
        layout.addWidget(
            muted(
                self.tr(
                    "Nonconforming items of completed inspections without a disposition, "
                    "most severe first. Rework opens a re-inspection of the same piece."
                )
            )
        )
        layout.addWidget(self.decided)
        layout.addWidget(self.table, 1)
        layout.addLayout(info)
        layout.addWidget(self.status)
        layout.addLayout(row)
        layout.addLayout(decide)
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show_detail())
        ctx.events.inspection_completed.connect(self._on_completed)

    def _on_completed(self, _inspection_id: str) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        station, decided = self.ctx.station, self.decided.isChecked()
        self.ctx.run(
            lambda: (
                nonconformance.recent_decisions(station)
                if decided
                else nonconformance.open_items(station)
            ),
            self._show,
        )

    def _show(self, rows: list[Nonconformance]) -> None:
        self.model.set_rows(rows)
        # what was decided, by whom and why: only in the decided list
        for column in DECIDED_COLUMNS:
            self.table.setColumnHidden(column, not self.decided.isChecked())
        if self.decided.isChecked():
            self.status.setText(self.tr("{0} decided recently").format(len(rows)))
        else:
            self.status.setText(self.tr("{0} waiting for a disposition").format(len(rows)))
        if self.last_decision:
            self.status.setText(f"{self.last_decision} — {self.status.text()}")
        if rows:
            self.table.selectRow(0)
        else:
            self._show_detail()
        self.table.setFocus()

    def selected(self) -> Nonconformance | None:
        return self.model.row_at(self.table.currentIndex())

    def _show_detail(self) -> None:
        n = self.selected()
        self.photo.clear()
        if n is None:
            self.detail.setText(self.tr("Nothing selected."))
            return
        lines = [
            f"<b>{n.code}</b> {n.name} — {n.severity.value}",
            self.tr("{0} · {1} · {2} · {3}").format(
                n.stage.label, n.job_ticket, n.sku, n.subject_label
            ),
            self.tr("Checklist item: {0}").format(n.where or self.tr("the whole piece")),
            self.tr("Found by {0} at {1}").format(
                n.found_by, f"{n.found_at.astimezone():%Y-%m-%d %H:%M}"
            ),
        ]
        if n.note:
            lines.append(self.tr("Note: {0}").format(n.note))
        if n.rework_inspection_id:
            lines.append(self.tr("Re-inspection: {0}").format(n.rework_inspection_id))
        self.detail.setText("<br>".join(lines))
        if n.photos:
            station, sha = self.ctx.station, n.photos[0]
            self.ctx.run(lambda: inspections.read_evidence(station, sha), self._photo_loaded)

    def _photo_loaded(self, data: bytes) -> None:
        pix = QPixmap()
        pix.loadFromData(data)
        self.photo.setPixmap(pix.scaledToHeight(150, Qt.TransformationMode.SmoothTransformation))

    def _cannot(self, why: str) -> None:
        """A key that cannot act says why where the page reports, instead of nothing."""
        self.status.setText(why)

    def _selected_or_say(self) -> Nonconformance | None:
        n = self.selected()
        if n is None:
            self._cannot(
                self.tr("Select a defect first (↑ and ↓ in the list).")
                if self.model.rowCount()
                else self.tr("Nothing is waiting for a disposition.")
            )
        return n

    def open_selected(self) -> None:
        n = self._selected_or_say()
        if n is not None:
            InspectionDialog(self.ctx, n.inspection_id, self).open()

    def decide(self, disposition: Disposition) -> None:
        if self.decided.isChecked():
            self._cannot(
                self.tr(
                    "These are decided already: press D to list the ones waiting for a disposition."
                )
            )
            return
        n = self._selected_or_say()
        if n is None:
            return
        label = next(lbl for _k, d, lbl in KEYS if d is disposition)
        if disposition is Disposition.USE_AS_IS:
            prompt = self.tr(
                "Use {0} on {1} as is: why is it acceptable? (required, audited)"
            ).format(n.code, n.subject_label)
        else:
            prompt = self.tr("{0}: {1} on {2}. Reason (optional, audited)").format(
                self.tr(label), n.code, n.subject_label
            )
        reason, ok = QInputDialog.getText(self, self.tr(label), prompt)
        if not ok:
            return
        station, actor = self.ctx.station, self.ctx.actor
        self.ctx.run(
            lambda: nonconformance.decide(station, actor, n.defect_id, disposition, reason),
            self._decided,
        )

    def _decided(self, done: Nonconformance) -> None:
        text = self.tr("Defect {0} ({1}): {2}").format(
            done.defect_id, done.code, done.disposition.value.replace("_", " ")
        )
        if done.rework_inspection_id:
            text += self.tr("; re-inspection opened for {0}").format(done.subject_label)
            self.ctx.events.inspection_changed.emit(done.rework_inspection_id)
        self.last_decision = text
        self.refresh()

    def open_capa(self) -> None:
        """Open a corrective action from the selected defect (it keeps its disposition)."""
        if not self.ctx.can(Permission.MANAGE_CORRECTIVE_ACTIONS):
            self._cannot(self.tr("Corrective actions are opened by QA: ask a supervisor."))
            return
        n = self._selected_or_say()
        if n is None:
            return
        dialog = NewCapaDialog(self.ctx, n.defect_id, self)
        dialog.title_text(f"{n.code} {n.name} — {n.sku}")
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.created is not None:
            self.status.setText(
                self.tr("Corrective action #{0} opened from defect {1}").format(
                    dialog.created.id, n.defect_id
                )
            )

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()
