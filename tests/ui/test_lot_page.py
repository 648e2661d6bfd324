"""A lot from the start page: the ISO 2859-1 plan, the pieces to pull, counts and verdict."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from qcstation.domain.stages import Stage
from qcstation.services import lots

K = Qt.Key


def _start_lot(driver, size: int, stage: Stage = Stage.RECEIVING, supplier: str = "Aurum"):  # type: ignore[no-untyped-def]
    start = driver.win.start
    start.stage.setCurrentIndex(start.stage.findData(stage.value))
    driver.settle()
    start.lot.setChecked(True)
    assert start.lot_form.isVisible()
    start.scan.setText("PO-4711")
    start.sku.setText("FIND-CLASP-05")
    start.lot_size.setValue(size)
    start.lot_form.supplier.setText(supplier)
    start.grab().save(str(Path(driver.ctx.station.location.data_dir).parent / "start-lot.png"))
    start.sku.setFocus()
    driver.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_a_lot_shows_its_plan_and_records_the_verdict(driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    _start_lot(driver, 1000)
    page = driver.win.lot_page
    assert driver.win.inspect.currentWidget() is page
    lot = page.lot
    assert lot is not None and [p.sample_size for p in lot.plans] == [200, 80, 80]
    assert "J → L" in [page.grid.itemAtPosition(1, 3).widget().text()]
    assert str(sorted(lot.sample)[0]) in page.pieces.toPlainText()
    page.grab().save(str(tmp_path / "lot-planned.png"))
    # keyboard: the first count has the focus; type counts, Ctrl+Enter records
    assert driver.focus() is page.counts[lot.plans[0].severity]
    page.counts[lot.plans[1].severity].setValue(3)  # major 3 > Ac 2: rejected
    driver.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert page.lot is not None and page.lot.status == "decided"
    assert "Lot rejected" in page.verdict.text() and "major" in page.verdict.text()
    assert "switching score" in page.switching.text()
    assert not page.record.isEnabled()
    page.grab().save(str(tmp_path / "lot-decided.png"))
    (stored,) = lots.find(driver.ctx.station)
    assert stored.verdict is not None and stored.verdict.value == "rejected"
    driver.press(K.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert driver.win.inspect.currentWidget() is driver.win.start


def test_small_lot_is_inspected_completely(driver) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    _start_lot(driver, 12, stage=Stage.CASTING, supplier="")
    page = driver.win.lot_page
    assert page.lot is not None and page.lot.hundred_percent
    assert "100 %" in page.subtitle.text() and "Every piece" in page.pieces.toPlainText()


def test_receiving_lot_without_supplier_is_refused_on_the_form(driver, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(driver.ctx.errors, "report", lambda exc: shown.append(str(exc)))
    driver.sign_in("ines")
    _start_lot(driver, 500, supplier="")
    assert driver.win.inspect.currentWidget() is driver.win.start
    assert shown and "needs its supplier" in shown[0]
    assert driver.win.start.go.isEnabled()


def test_only_a_supervisor_sees_the_reduced_approval(driver) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    _start_lot(driver, 1000)
    page = driver.win.lot_page
    assert not page.approve_reduced.isVisible() and page.steady.isChecked()
    driver.win.sign_out()
    driver.sign_in("sam")
    driver.win.inspect.setCurrentWidget(driver.win.start)
    _start_lot(driver, 1000)
    assert page.approve_reduced.isVisible() and not page.approve_reduced.isChecked()
