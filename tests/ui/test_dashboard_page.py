"""The supervisor's dashboard page on the hand-worked data set of the service tests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from tests.services.dashboard_data import D4, D5, load

from qcstation.domain.dashboards import ParetoBy
from qcstation.services import accounts
from qcstation.ui.pages.dashboard import DashboardPage

K = Qt.Key


def test_dashboard_shows_the_figures_and_exports(driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    station = driver.ctx.station
    load(
        station,
        accounts.login(station, "ada", "ada-demo-pass"),
        accounts.login(station, "sam", "sam-demo-pass"),
    )
    driver.sign_in("sam")
    driver.press(K.Key_7, Qt.KeyboardModifier.AltModifier)  # after the quality pages
    page = driver.win.area.currentWidget()
    assert isinstance(page, DashboardPage)
    driver.settle()
    assert page.data is not None
    assert "80 inspections, 11 failed (13.8 %), 7 defects, 2 day(s) out of control" in (
        page.totals.text()
    )
    assert [b.key for b in page.pareto.bars] == ["CST-POR", "CST-SHRK", "CST-SHORT"]
    assert [p.day for p in page.p_chart.chart.out_of_control] == [D4, D5]
    assert len(page.fpy.points) == 4
    driver.win.resize(1300, 860)
    driver.qtbot.wait(50)
    page.grab().save(str(tmp_path / "dashboard.png"))
    page.pareto_by.setCurrentIndex(page.pareto_by.findData(ParetoBy.MATERIAL.value))
    assert page.pareto.bars[0].key == "18k yellow gold"
    # filter: polishing only, then station bench-2 (loaded after sign-in)
    page.stage.setCurrentIndex(page.stage.findData("polishing"))
    page.refresh()
    driver.settle()
    assert page.data is not None and page.data.inspected == 14
    assert page.station.findData("bench-2") > 0
    page.export_to(tmp_path / "d.csv")
    driver.settle()
    text = (tmp_path / "d.csv").read_text()
    assert text.startswith("chart,group,key") and "polishing" in text
    assert "Exported to" in page.totals.text()
    page.grab().save(str(tmp_path / "dashboard-polishing.png"))


def test_inspectors_do_not_get_the_dashboard(driver) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    pages = [driver.win.area.widget(i) for i in range(driver.win.area.count())]
    assert not any(isinstance(p, DashboardPage) for p in pages)
