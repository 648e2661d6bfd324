"""A lot from the start page: the ISO 2859-1 plan, the pieces to pull, counts and verdict."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from qcstation.domain.lots import LotVerdict
from qcstation.domain.stages import Stage
from qcstation.services import lot_streams, lots

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


def _grid_rows(page) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The plan table as the screen shows it (class .. Re), one list per class."""
    rows = []
    for r in range(1, page.grid.rowCount()):
        item = page.grid.itemAtPosition(r, 0)
        if item is None or item.widget() is None:
            continue
        rows.append([page.grid.itemAtPosition(r, c).widget().text() for c in range(7)])
    return rows


def test_a_rejected_lot_is_resubmitted_by_keys(driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    _start_lot(driver, 1000)
    page = driver.win.lot_page
    first = page.lot
    assert first is not None and "ANSI/ASQ Z1.4" in page.tables_note.text()
    assert "ISO 2859-1:1999's switching score" in page.tables_note.text()
    assert not page.resubmit_row.isVisible() and not page.decisions.isVisible()
    driver.type("1")  # one critical nonconforming: Ac 0, rejected
    driver.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "Lot rejected" in page.verdict.text()
    before = lot_streams.stream_states(driver.ctx.station, key="Aurum")
    assert page.resubmit_row.isVisible() and page.resubmit.isEnabled()
    assert not page.resubmit_normal.isVisible()  # the authority's choice: supervisors only
    assert page.resubmit_size.value() == 1000
    driver.press(K.Key_R, Qt.KeyboardModifier.ControlModifier)
    again = page.lot
    assert again is not None and again.id != first.id
    # screen, database and plan agree: a resubmission on tightened, of the rejected lot
    assert "resubmission of rejected lot" in page.subtitle.text()
    assert "not counted in the switching rules" in page.subtitle.text()
    stored = lots.get(driver.ctx.station, again.id)
    assert stored.resubmission_of == first.id and stored.status == "planned"
    assert _grid_rows(page) == [
        [p.severity.value.capitalize(), p.aql, "tightened", *_letter_n_ac_re(p)]
        for p in stored.plans
    ]
    page.grab().save(str(tmp_path / "lot-resubmitted.png"))
    assert driver.focus() is page.counts[again.plans[0].severity]
    driver.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)  # all 0: accepted
    assert "Lot accepted" in page.verdict.text()
    assert lots.get(driver.ctx.station, again.id).verdict is LotVerdict.ACCEPTED
    # not an original lot: the stream's switching state did not move
    assert lot_streams.stream_states(driver.ctx.station, key="Aurum") == before
    assert "not counted in switching" in page.history.toPlainText()
    assert not page.resubmit_row.isVisible()
    # the first lot cannot be resubmitted twice
    driver.win.open_lot(lots.get(driver.ctx.station, first.id))
    driver.settle()
    assert page.resubmit_row.isVisible() and not page.resubmit.isEnabled()


def _letter_n_ac_re(p: lots.ClassPlanView) -> list[str]:
    letter = p.code_letter + (f" → {p.plan_letter}" if p.plan_letter != p.code_letter else "")
    return [letter, str(p.sample_size), str(p.accept), str(p.reject)]


def test_a_supervisor_starts_tightened_and_reinstates_by_keys(  # type: ignore[no-untyped-def]
    driver, monkeypatch, tmp_path: Path
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(driver.ctx.errors, "report", lambda exc: shown.append(str(exc)))
    driver.sign_in("sam")
    _start_lot(driver, 1000)
    page = driver.win.lot_page
    assert page.decisions.isVisible() and page.decision_class.currentData() == "critical"
    page.decision_class.setFocus()
    driver.press(K.Key_Down)  # major
    assert page.decision_class.currentData() == "major"
    page.decision_reason.setFocus()
    driver.type("audit finding 12")
    driver.press(K.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert shown == []
    states = {
        s.severity.value: s for s in lot_streams.stream_states(driver.ctx.station, key="Aurum")
    }
    assert states["major"].mode.value == "tightened" and set(states) == {"major"}
    assert "major: tightened" in page.switching.text()
    assert "start on tightened inspection: audit finding 12" in page.history.toPlainText()
    assert "(major: now tightened)" in page.history.toPlainText()
    assert page.decision_reason.text() == ""
    page.grab().save(str(tmp_path / "lot-decision.png"))
    # the standard's condition is not met: refused, nothing changes
    page.decision_reason.setFocus()
    driver.type("changed my mind")
    driver.press(K.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert shown and "5 more needed" in shown[-1]
    assert lot_streams.stream_states(driver.ctx.station, key="Aurum")[0].mode.value == "tightened"
    # the lot planned before the decision must be planned again: the switching state rules
    page.counts[page.lot.plans[0].severity].setFocus()  # type: ignore[union-attr]
    driver.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "plan the lot again" in shown[-1]
    assert lots.get(driver.ctx.station, page.lot.id).status == "planned"  # type: ignore[union-attr]
    driver.press(K.Key_N, Qt.KeyboardModifier.ControlModifier)
    _start_lot(driver, 1000)
    modes = {p.severity.value: p.mode.value for p in page.lot.plans}  # type: ignore[union-attr]
    assert modes == {"critical": "normal", "major": "tightened", "minor": "normal"}
    assert [row[2] for row in _grid_rows(page)] == ["normal", "tightened", "normal"]
