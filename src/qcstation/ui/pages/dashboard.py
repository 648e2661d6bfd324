"""Dashboard for supervisors: Pareto of defects, first-pass yield, the daily p-chart.

The figures come from services/dashboards.py (counted in the database on the worker);
this page only holds the filter and paints. Export writes the same figures as CSV or PDF.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.dashboards import Bucket, Dashboard, DashboardFilter, ParetoBy
from qcstation.domain.stages import Stage
from qcstation.services import dashboard_export, dashboards
from qcstation.ui.charts import ParetoChart, PChartWidget, YieldChart
from qcstation.ui.context import UiContext
from qcstation.ui.widgets import button, muted, shortcut, title


class DashboardPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("dashboard-page")
        self.data: Dashboard | None = None
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setSpecialValueText(" ")
            d.setMinimumDate(QDate(2000, 1, 1))
            d.setDate(d.minimumDate())  # blank: no limit
        self.sku = QLineEdit()
        self.sku.setObjectName("dashboard-sku")
        self.sku.setPlaceholderText(self.tr("SKU"))
        self.sku.setMinimumWidth(120)
        self.sku.setMaximumWidth(180)
        self.sku.returnPressed.connect(self.refresh)
        self.stage = QComboBox()
        self.stage.setObjectName("dashboard-stage")
        self.stage.addItem(self.tr("Any stage"), None)
        for s in Stage:
            self.stage.addItem(self.tr(s.label), s.value)
        self.station = QComboBox()
        self.station.setObjectName("dashboard-station")
        self.station.addItem(self.tr("Any station"), None)
        self.bucket = QComboBox()
        for b, label in (
            (Bucket.DAY, self.tr("by day")),
            (Bucket.WEEK, self.tr("by week")),
            (Bucket.MONTH, self.tr("by month")),
        ):
            self.bucket.addItem(label, b.value)
        self.bucket.setCurrentIndex(1)
        self.pareto_by = QComboBox()
        self.pareto_by.setObjectName("dashboard-pareto-by")
        self.pareto_titles = {
            ParetoBy.CODE: self.tr("Defects by code"),
            ParetoBy.STAGE: self.tr("Defects by stage"),
            ParetoBy.WORKER: self.tr("Defects by worker (inspector)"),
            ParetoBy.MATERIAL: self.tr("Defects by material"),
        }
        for by, label in self.pareto_titles.items():
            self.pareto_by.addItem(label, by.value)
        self.pareto_by.currentIndexChanged.connect(self._show_pareto)
        show = button(self.tr("Show"), "F5", "dashboard-refresh")
        show.clicked.connect(self.refresh)
        export = button(self.tr("Export…"), "Ctrl+E", "dashboard-export")
        export.clicked.connect(self.on_export)
        filters = QHBoxLayout()
        filters.addWidget(muted(self.tr("From")))
        filters.addWidget(self.date_from)
        filters.addWidget(muted(self.tr("to")))
        filters.addWidget(self.date_to)
        for w in (self.sku, self.stage, self.station, self.bucket):
            filters.addWidget(w)
        filters.addWidget(show)
        # Export beside the title: the filter row alone fills a 1280-pixel screen.
        head = QHBoxLayout()
        head.addWidget(title(self.tr("Quality dashboard")), 1)
        head.addWidget(export)
        self.totals = muted()
        self.totals.setObjectName("dashboard-totals")
        self.pareto = ParetoChart("")
        self.fpy = YieldChart(self.tr("First-pass yield per stage"))
        self.p_chart = PChartWidget(self.tr("p-chart: daily fraction failed"))
        pareto_box = QVBoxLayout()
        pareto_box.addWidget(self.pareto_by)
        pareto_box.addWidget(self.pareto, 1)
        grid = QGridLayout()
        grid.addLayout(pareto_box, 0, 0)
        grid.addWidget(self.fpy, 0, 1)
        grid.addWidget(self.p_chart, 1, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(filters)
        layout.addWidget(self.totals)
        layout.addLayout(grid, 1)
        shortcut(self, "F5", self.refresh)
        shortcut(self, "Ctrl+E", self.on_export)
        ctx.events.signed_in.connect(lambda _u: self._load_stations())
        ctx.events.inspection_completed.connect(lambda _id: self._stale())

    def _stale(self) -> None:
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def _load_stations(self) -> None:
        station = self.ctx.station
        self.ctx.run(lambda: dashboards.stations(station), self._stations_loaded)

    def _stations_loaded(self, names: list[str]) -> None:
        current = self.station.currentData()
        while self.station.count() > 1:
            self.station.removeItem(1)
        for name in names:
            self.station.addItem(name, name)
        self.station.setCurrentIndex(max(0, self.station.findData(current)))

    def _date(self, edit: QDateEdit) -> date | None:
        if edit.date() == edit.minimumDate():
            return None
        return date.fromisoformat(edit.date().toString("yyyy-MM-dd"))

    def current_filter(self) -> DashboardFilter:
        stage = self.stage.currentData()
        return DashboardFilter(
            date_from=self._date(self.date_from),
            date_to=self._date(self.date_to),
            sku=self.sku.text().strip() or None,
            stage=Stage(stage) if stage else None,
            station=self.station.currentData(),
        )

    def refresh(self) -> None:
        if self.ctx.user is None:
            return
        f, bucket = self.current_filter(), Bucket(self.bucket.currentData())
        station, actor = self.ctx.station, self.ctx.actor
        self.totals.setText(self.tr("Counting…"))
        self.ctx.run(lambda: dashboards.dashboard(station, actor, f, bucket), self.show_dashboard)

    def show_dashboard(self, d: Dashboard) -> None:
        self.data = d
        rate = 100 * d.failed / d.inspected if d.inspected else 0.0
        self.totals.setText(
            self.tr(
                "{0}: {1} inspections, {2} failed ({3:.1f} %), {4} defects, "
                "{5} day(s) out of control"
            ).format(
                d.filter.describe(),
                f"{d.inspected:,}",
                f"{d.failed:,}",
                rate,
                f"{d.defects:,}",
                len(d.p_chart.out_of_control),
            )
        )
        self._show_pareto()
        self.fpy.title = self.tr("First-pass yield per stage, {0}").format(
            self.bucket.currentText()
        )
        self.fpy.set_points(d.first_pass_yield)
        self.p_chart.set_chart(d.p_chart)

    def _show_pareto(self) -> None:
        by = ParetoBy(self.pareto_by.currentData())
        bars = self.data.pareto.get(by, ()) if self.data else ()
        self.pareto.set_bars(bars)  # the choice above names it

    def on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Export dashboard"),
            str(Path.home() / "qcstation-dashboard.pdf"),
            self.tr("PDF summary (*.pdf);;CSV figures (*.csv)"),
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        f, bucket = self.current_filter(), Bucket(self.bucket.currentData())
        station, actor = self.ctx.station, self.ctx.actor
        self.ctx.run(
            lambda: dashboard_export.export(station, actor, path, f, bucket),
            lambda _d: self.totals.setText(self.tr("Exported to {0}").format(path)),
        )
