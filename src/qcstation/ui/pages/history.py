"""History: find any past inspection by job, SKU, serial, dates, verdict or inspector."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Verdict
from qcstation.domain.nonconformance import ReworkChain
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import InspectionSummary, SearchFilter
from qcstation.services import inspections, nonconformance
from qcstation.ui.context import UiContext
from qcstation.ui.documents import DocumentActions
from qcstation.ui.models import HistoryModel
from qcstation.ui.pages.inspection_view import InspectionDialog, chain_text
from qcstation.ui.widgets import button, muted, record_table, shortcut, title


class HistoryPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("history-page")
        self.text = QLineEdit()
        self.text.setObjectName("history-search")
        self.text.setPlaceholderText(
            self.tr("Any part of a job ticket, SKU, serial or inspector's name, then Enter")
        )
        self.stage = QComboBox()
        self.stage.addItem(self.tr("Any stage"), None)
        for s in Stage:
            self.stage.addItem(self.tr(s.label), s.value)
        self.verdict = QComboBox()
        self.verdict.addItem(self.tr("Any verdict"), None)
        for v in Verdict:
            self.verdict.addItem(self.tr(v.value.replace("_", " ")), v.value)
        self.inspector = QLineEdit()
        self.inspector.setPlaceholderText(self.tr("Inspector"))
        self.inspector.setToolTip(self.tr("Any part of a user name or full name"))
        self.inspector.setMaximumWidth(140)
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setSpecialValueText(" ")
            d.setMinimumDate(QDate(2000, 1, 1))
            d.setDate(d.minimumDate())  # blank: no limit
        find = button(self.tr("Search"), "Enter")
        find.clicked.connect(self.search)
        self.status = muted()
        self.status.setObjectName("history-status")
        self.chain = muted()
        self.chain.setObjectName("history-chain")
        self.model = HistoryModel(self._fetch, self)
        self.model.loading_changed.connect(self._loading)
        self.table = record_table(
            "history-table", self.model, QAbstractItemView.SelectionMode.ExtendedSelection
        )
        self.table.activated.connect(self.open_row)
        self.docs = DocumentActions(ctx, self)
        export = button(self.tr("Save reports of the selected…"), "Ctrl+E")
        export.clicked.connect(self.export_selected)
        shortcut(self, "Ctrl+E", self.export_selected)
        # The search box on a row of its own, as wide as the page; the filters under it.
        bar = QHBoxLayout()
        bar.addWidget(self.text, 1)
        bar.addWidget(find)
        filters = QHBoxLayout()
        for w in (self.stage, self.verdict, self.inspector):
            filters.addWidget(w)
        filters.addWidget(muted(self.tr("from")))
        filters.addWidget(self.date_from)
        filters.addWidget(muted(self.tr("to")))
        filters.addWidget(self.date_to)
        filters.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(title(self.tr("History")))
        layout.addLayout(bar)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.chain)
        foot = QHBoxLayout()
        foot.addWidget(self.status, 1)
        foot.addWidget(export)
        layout.addLayout(foot)
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show_chain())
        for field in (self.text, self.inspector):
            field.returnPressed.connect(self.search)
            field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_PageDown)
            and self.model.rowCount()
        ):
            self.table.setFocus()  # from the search box down into the results
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)
            return True
        return super().eventFilter(watched, event)

    def _date(self, edit: QDateEdit) -> date | None:
        if edit.date() == edit.minimumDate():
            return None
        d = edit.date()
        return date(d.year(), d.month(), d.day())

    def current_filter(self) -> SearchFilter:
        return SearchFilter(
            text=self.text.text().strip() or None,
            stage=Stage(self.stage.currentData()) if self.stage.currentData() else None,
            verdict=Verdict(self.verdict.currentData()) if self.verdict.currentData() else None,
            inspector=self.inspector.text().strip() or None,
            date_from=self._date(self.date_from),
            date_to=self._date(self.date_to),
        )

    def search(self) -> None:
        """Search and leave the keys where they are: the next letters refine the search;
        Down (or Tab) goes to the results."""
        self.model.search(self.current_filter())

    def _fetch(self, f: SearchFilter, deliver: Callable[[list[InspectionSummary]], None]) -> None:
        station = self.ctx.station
        self.ctx.run(lambda: inspections.search(station, f), deliver)

    def _loading(self, busy: bool) -> None:
        if busy:
            self.status.setText(self.tr("Searching…"))
            return
        n = self.model.rowCount()
        more = "" if self.model.complete else self.tr(" (scroll for more)")
        self.status.setText(self.tr("{0} inspection(s) shown{1}").format(n, more))
        if n and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def _show_chain(self) -> None:
        """The selected inspection's rework chain, first failure to final verdict."""
        row = self.model.row_at(self.table.currentIndex())
        self.chain.clear()
        if row is None:
            return
        station, wanted = self.ctx.station, row.id

        def shown(chain: ReworkChain) -> None:
            current = self.model.row_at(self.table.currentIndex())
            if current is not None and current.id == wanted:
                self.chain.setText(chain_text(self, chain, wanted))

        self.ctx.run(lambda: nonconformance.chain(station, wanted), shown)

    def open_row(self, index: object) -> None:
        row = self.model.row_at(index)  # type: ignore[arg-type]
        if row is not None:
            InspectionDialog(self.ctx, row.id, self).open()

    def selected_completed(self) -> list[str]:
        rows = [self.model.row_at(i) for i in self.table.selectionModel().selectedRows()]
        return [r.id for r in rows if r is not None and r.status == "completed"]

    def export_selected(self, folder: Path | None = None) -> None:
        ids = self.selected_completed()
        if not ids:
            self.status.setText(
                self.tr("Select completed inspections first (Shift or Ctrl with the arrows).")
            )
            return
        self.docs.export_many(ids, folder)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self.model.rowCount() == 0:
            self.search()
        self.text.setFocus()
        self.text.selectAll()
