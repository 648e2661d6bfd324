"""The Nonconformance and Corrective actions pages, driven by key as a supervisor does."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog

from qcstation.domain.corrective import CapaStatus, RootCauseCategory
from qcstation.domain.defects import Disposition
from qcstation.domain.inspections import Answer, Outcome, positions_of
from qcstation.domain.stages import Stage
from qcstation.domain.templates import ChoiceItem, MeasurementItem, PhotoItem, TextItem
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import accounts, holds, inspections, nonconformance
from qcstation.services import corrective_actions as capa
from qcstation.services.context import Station
from qcstation.services.corrective_actions import CapaEdit
from qcstation.ui import theme
from qcstation.ui.pages.corrective import (
    CapaModel,
    CloseDialog,
    CorrectiveActionsPage,
    NewCapaDialog,
)
from qcstation.ui.pages.inspection_view import InspectionDialog
from qcstation.ui.pages.nonconformance import NonconformanceModel, NonconformancePage

K = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier


def answer_all(station: Station, user: User, ins_id: str, fail: str | None = None) -> None:
    """Every item answered (pass, or fail for `fail` with a photo and its defect)."""
    ins = holds.resume(station, user, ins_id)  # a re-inspection waits parked until resumed
    for item in ins.template.items():
        for pos in positions_of(item, ins.position_counts):
            bad = item.id == fail
            if item.photo_required or isinstance(item, PhotoItem) or bad:
                png = encode_png(render_piece(7, 96, 72))
                inspections.attach_evidence(station, user, ins_id, png, "image/png", item.id, pos)
            if isinstance(item, MeasurementItem):
                lo = item.lower if item.lower is not None else (item.upper or 0) - 1
                hi = item.upper if item.upper is not None else lo + 1
                a = Answer(item.id, pos, readings=((lo + hi) / 2,) * item.readings)
            elif isinstance(item, ChoiceItem):
                a = Answer(item.id, pos, value=item.acceptable[0])
            elif isinstance(item, TextItem):
                a = Answer(item.id, pos, value="F-12")
            else:
                a = Answer(item.id, pos, Outcome.FAIL if bad else Outcome.PASS)
            inspections.record_answer(station, user, ins_id, a)
            if bad:
                inspections.raise_defect(station, user, ins_id, item.on_fail.defects[0], item.id)
    inspections.complete(station, user, ins_id)


def failed_casting(station: Station, user: User, serial: str, item: str = "porosity") -> str:
    ins = inspections.start(station, user, Stage.CASTING, "JT-77", "RG-SOL-0412", serial)
    answer_all(station, user, ins.id, fail=item)
    return ins.id


@pytest.fixture
def ines(ui_station: Station) -> User:
    return accounts.login(ui_station, "ines", "ines-demo-pass")


def test_supervisor_decides_by_key_and_rework_opens_a_reinspection(  # type: ignore[no-untyped-def]
    driver, ui_station, ines, monkeypatch, qtbot
) -> None:
    first = failed_casting(ui_station, ines, "SN1")
    failed_casting(ui_station, ines, "SN2", item="fill")
    failed_casting(ui_station, ines, "SN3", item="cracks")
    reasons = iter(["beyond repair", "", "only inside the shank, polished out"])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (next(reasons), True))
    driver.sign_in("sam")
    driver.win.go_page(4)  # Nonconformance
    driver.settle()
    page = driver.win.area.currentWidget()
    assert isinstance(page, NonconformancePage)
    assert page.model.rowCount() == 3
    assert "3 waiting" in page.status.text()
    assert "Found by ines" in page.detail.text()
    qtbot.waitUntil(lambda: page.photo.pixmap() is not None and not page.photo.pixmap().isNull())
    codes = [page.model.rows[i].code for i in range(3)]
    driver.press(K.Key_S)  # scrap the first
    assert page.model.rowCount() == 2 and "scrap" in page.status.text()
    driver.press(K.Key_W)  # rework the next: a re-inspection is opened
    assert "re-inspection opened" in page.status.text()
    driver.press(K.Key_U)  # use as is, with the reason
    assert page.model.rowCount() == 0 and nonconformance.open_items(ui_station) == []
    decided = {n.code: n for n in nonconformance.recent_decisions(ui_station)}
    assert decided[codes[0]].disposition is Disposition.SCRAP
    assert decided[codes[0]].reason == "beyond repair"
    rework = decided[codes[1]]
    assert rework.disposition is Disposition.REWORK and rework.rework_inspection_id
    assert decided[codes[2]].reason == "only inside the shank, polished out"
    driver.press(K.Key_D)  # show the decided ones
    assert page.model.rowCount() == 3 and "decided recently" in page.status.text()
    # the re-inspection passes; the first inspection's view shows the whole chain
    answer_all(ui_station, ines, rework.rework_inspection_id)
    dialog = InspectionDialog(driver.ctx, rework.inspection_id, page)
    qtbot.addWidget(dialog)
    driver.settle()
    assert "inspection 1 of 2" in dialog.chain.text() and "→ pass" in dialog.chain.text()
    assert "rework" in dialog.defects.text()
    assert first


def test_history_shows_the_rework_chain_of_the_selected_inspection(  # type: ignore[no-untyped-def]
    driver, ui_station, ines, admin_of=None
) -> None:
    sam = accounts.login(ui_station, "sam", "sam-demo-pass")
    first = failed_casting(ui_station, ines, "SN8")
    defect = inspections.get(ui_station, first).defects[0].id
    assert defect is not None
    again = nonconformance.decide(ui_station, sam, defect, Disposition.REWORK).rework_inspection_id
    assert again is not None
    answer_all(ui_station, ines, again)
    driver.sign_in("sam")
    driver.win.go_page(1)
    driver.settle()
    page = driver.win.area.currentWidget()
    driver.settle()
    assert page.chain.text() == "Rework chain, inspection 2 of 2: fail (CST-POR: rework) → pass"


def test_an_inspector_does_not_see_the_supervisor_pages(driver) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    names = [driver.win.nav.item(i).text() for i in range(driver.win.nav.count())]
    assert "Nonconformance" not in names and "Corrective actions" not in names


def test_corrective_action_from_open_to_signed_off_by_key(  # type: ignore[no-untyped-def]
    driver, ui_station, ines, monkeypatch, qtbot
) -> None:
    sam = accounts.login(ui_station, "sam", "sam-demo-pass")
    today = ui_station.now().date()
    late = capa.open_action(ui_station, sam, "Late one", "p", trend=("CST-POR", today, today))
    assert late.id is not None
    capa.update(
        ui_station, sam, late.id, CapaEdit("Late one", "p", owner="ines", due=today - timedelta(3))
    )
    driver.sign_in("sam")
    driver.win.go_page(5)
    driver.settle()
    page = driver.win.area.currentWidget()
    assert isinstance(page, CorrectiveActionsPage)
    # a new action from a defect, through the dialog
    defect = inspections.get(ui_station, failed_casting(ui_station, ines, "SN5")).defects[0].id
    dialog = NewCapaDialog(driver.ctx, defect, page)
    qtbot.addWidget(dialog)
    driver.settle()
    dialog.title_text("Porosity on heavy shanks")
    dialog.problem.setPlainText("CST-POR on SN5 at 10x")
    dialog.save()
    driver.settle()
    assert dialog.created is not None and dialog.created.defect_id == defect
    page._changed(dialog.created)
    driver.settle()
    # the overdue one stands out: first, red, marked
    assert page.model.rows[0].id == late.id
    red = page.model.data(page.model.index(0, 0), Qt.ItemDataRole.ForegroundRole)
    assert red.color().name() == theme.FAIL_COLOUR
    assert page.model.data(page.model.index(0, 2)).startswith("OVERDUE")
    assert page.model.data(page.model.index(1, 0), Qt.ItemDataRole.ForegroundRole) is None
    assert "1 overdue" in page.message.text()
    # select the new one and fill in the 8D by keyboard
    page.table.selectRow(1)
    driver.settle()
    new_id = dialog.created.id
    assert page.current is not None and page.current.id == new_id
    page.table.setFocus()
    driver.press(K.Key_E, CTRL)  # open -> in progress
    assert capa.get(ui_station, new_id).status is CapaStatus.IN_PROGRESS  # type: ignore[arg-type]
    driver.press(K.Key_E, CTRL)  # refused: no root cause yet; the message says what is missing
    assert "root cause" in page.message.text()
    page.category.setCurrentIndex(page.category.findData(RootCauseCategory.METHOD.value))
    page.root_cause.setFocus()
    driver.type("burnout cycle cut to 8 h")
    page.whys.setFocus()
    for n, why in enumerate(("gas porosity", "residue in the mould", "burnout too short")):
        if n:
            qtbot.keyClick(page.whys, K.Key_Return)  # one why per line
        driver.type(why)
    page.corrective.setFocus()
    driver.type("restore the 12 h cycle")
    page.owner.setCurrentIndex(page.owner.findData("ines"))
    page.due.setDate(page.due.date().currentDate().addDays(10))
    page.title_edit.setFocus()
    driver.press(K.Key_S, CTRL)
    saved = capa.get(ui_station, new_id)  # type: ignore[arg-type]
    assert saved.why_chain == ("gas porosity", "residue in the mould", "burnout too short")
    assert saved.owner == "ines" and saved.root_cause_category is RootCauseCategory.METHOD
    driver.press(K.Key_E, CTRL)  # -> awaiting verification
    assert capa.get(ui_station, new_id).status is CapaStatus.AWAITING_VERIFICATION  # type: ignore[arg-type]
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("only 5 castings seen", True))
    driver.press(K.Key_B, CTRL)  # sent back
    assert capa.get(ui_station, new_id).status is CapaStatus.IN_PROGRESS  # type: ignore[arg-type]
    driver.press(K.Key_E, CTRL)

    def accept(self: CloseDialog) -> int:
        self.evidence.setPlainText("no porosity on 50 castings over two weeks")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(CloseDialog, "exec", accept)
    driver.press(K.Key_D, CTRL)
    closed = capa.get(ui_station, new_id)  # type: ignore[arg-type]
    assert closed.status is CapaStatus.CLOSED and closed.verified_by == "sam"
    assert page.model.rows[-1].id == new_id  # closed ones go last
    page.table.selectRow(len(page.model.rows) - 1)
    driver.settle()
    assert not page.save_button.isEnabled() and "signed off by sam" in page.evidence.text()
    # every change, from the audit trail, with who and why
    assert "only 5 castings seen" in page.changes.text() and "closed" in page.changes.text()


def test_new_action_dialog_says_what_is_wrong(driver, qtbot) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("sam")
    dialog = NewCapaDialog(driver.ctx, None, driver.win)
    qtbot.addWidget(dialog)
    driver.settle()
    dialog.save()
    driver.settle()
    assert "title" in dialog.message.text() and dialog.isEnabled() and dialog.created is None
    dialog.title.setText("Scratches after polishing")
    dialog.problem.setPlainText("rising since the new compound")
    dialog.date_from.setDate(dialog.date_to.date().addDays(1))
    dialog.save()
    driver.settle()
    assert "period" in dialog.message.text()


def test_models_pass_the_model_tester(qtmodeltester, ui_station, ines) -> None:  # type: ignore[no-untyped-def]
    sam = accounts.login(ui_station, "sam", "sam-demo-pass")
    failed_casting(ui_station, ines, "SN6")
    ncr = NonconformanceModel()
    ncr.set_rows(nonconformance.open_items(ui_station))
    qtmodeltester.check(ncr)
    day = date(2026, 1, 5)
    capa.open_action(ui_station, sam, "t", "p", trend=("CST-POR", day, day))
    model = CapaModel()
    model.set_rows(capa.list_actions(ui_station))
    qtmodeltester.check(model)
    assert ncr.rowCount() == 1 and model.rowCount() == 1
