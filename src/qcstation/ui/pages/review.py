"""The supervisor's queue: accept or reject what needs review, always with a reason."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Decision
from qcstation.domain.summaries import InspectionSummary
from qcstation.services import review
from qcstation.ui.context import UiContext
from qcstation.ui.models import InspectionsModel
from qcstation.ui.pages.inspection_view import InspectionDialog
from qcstation.ui.widgets import button, muted, record_table, shortcut, title


class ReviewPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("review-page")
        self.model = InspectionsModel(self)
        self.table = record_table("review-table", self.model)
        self.table.activated.connect(self.open_selected)
        self.status = muted()
        accept = button(self.tr("Accept"), "A", "pass-button")
        reject = button(self.tr("Reject"), "R", "fail-button")
        view = button(self.tr("Open"), "Enter")
        accept.clicked.connect(lambda: self.decide(Decision.ACCEPTED))
        reject.clicked.connect(lambda: self.decide(Decision.REJECTED))
        view.clicked.connect(self.open_selected)
        row = QHBoxLayout()
        for b in (view, accept, reject):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(title(self.tr("Review queue")))
        layout.addWidget(
            muted(self.tr("Completed inspections whose verdict is needs review, oldest first."))
        )
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(row)
        shortcut(self, "A", lambda: self.decide(Decision.ACCEPTED))
        shortcut(self, "R", lambda: self.decide(Decision.REJECTED))
        ctx.events.inspection_completed.connect(self._on_completed)

    def _on_completed(self, _inspection_id: str) -> None:
        if self.isVisible():  # a hidden queue is refreshed when it is shown
            self.refresh()

    def refresh(self) -> None:
        station = self.ctx.station
        self.ctx.run(lambda: review.queue(station), self._show)

    def _show(self, rows: list) -> None:
        self.model.set_rows(rows)
        self.status.setText(self.tr("{0} waiting").format(len(rows)))
        if rows:
            self.table.selectRow(0)
        self.table.setFocus()

    def selected(self) -> InspectionSummary | None:
        return self.model.row_at(self.table.currentIndex())

    def open_selected(self) -> None:
        row = self.selected()
        if row is not None:
            InspectionDialog(self.ctx, row.id, self).open()

    def decide(self, decision: Decision) -> None:
        row = self.selected()
        if row is None:
            return
        word = self.tr("Accept") if decision is Decision.ACCEPTED else self.tr("Reject")
        reason, ok = QInputDialog.getText(
            self,
            word,
            self.tr("{0} {1} {2}: why? (kept in the audit trail)").format(
                word, row.job_ticket, row.sku
            ),
        )
        if not ok:
            return
        station, actor = self.ctx.station, self.ctx.actor
        self.ctx.run(
            lambda: review.decide(station, actor, row.id, decision, reason),
            lambda _d: self.refresh(),
        )

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()
