"""A whole inspection by keyboard only: sign in, scan, checklist with a fail and its
defect, complete, and find it in history."""

from __future__ import annotations

from PySide6.QtCore import Qt

from qcstation.domain.inspections import Status, Verdict
from qcstation.services import audit, inspections
from qcstation.ui.pages.defect_dialog import DefectDialog

K = Qt.Key


def test_keyboard_only_inspection(driver) -> None:  # type: ignore[no-untyped-def]
    d, win, ctx = driver, driver.win, driver.ctx
    d.sign_in("ines")
    assert win.top.currentWidget() is win.workspace
    assert [win.nav.item(i).text() for i in range(win.nav.count())] == [
        "Inspect",
        "History",
        "Verify",
    ]
    # a barcode scanner types the ticket and Enter; SKU and serial by hand
    assert d.focus() is win.start.scan
    d.type("JT-26-000777")
    d.press(K.Key_Return)
    d.type("RG-SOL-0412")
    d.press(K.Key_Return)
    d.type("SN000777")
    win.start.stage.setCurrentIndex(win.start.stage.findData("casting"))  # the suggested stage
    d.settle()
    win.start.serial.setFocus()
    d.press(K.Key_Return)
    assert win.inspect.currentWidget() is win.checklist
    page = win.checklist
    ins = page.inspection
    assert ins is not None and ins.template.template == "casting"
    # flask number (text), then pass, a FAIL on porosity, passes, two readings
    d.type("F-12")
    d.press(K.Key_Return)
    d.press(K.Key_P)  # fill
    d.press(K.Key_F)  # porosity fails: the defect form opens, catalog filtered, code suggested
    dialog = win.findChild(DefectDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.current() is not None and dialog.current().code == "CST-POR"
    assert dialog.photo.isChecked()  # porosity asks for a photo: the current frame goes along
    d.type("poro")  # typing filters the codes; Enter saves the one chosen
    assert [dialog.codes.item(i).text().split()[0] for i in range(dialog.codes.count())] == [
        "CST-POR"
    ]
    d.press(K.Key_Return)
    driver.qtbot.waitUntil(lambda: win.findChild(DefectDialog) is None)  # closed and freed
    for _ in range(7):  # shrinkage, cracks, distortion, inclusions, sprue stub, surface, flash
        d.press(K.Key_P)
    d.type("1.2")  # weight deviation %
    d.press(K.Key_Return)
    d.type("0.85")  # minimum wall, mm
    d.press(K.Key_Return)
    assert win.inspect.currentWidget() is win.summary
    assert win.summary.missing.count() == 0
    d.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert win.summary.done is not None and win.summary.done.verdict is Verdict.FAIL
    stored = inspections.get(ctx.station, ins.id)
    assert stored.status is Status.COMPLETED
    assert [x.code for x in stored.defects] == ["CST-POR"]
    assert stored.answers[("porosity", None)].photos == 1
    assert stored.answers[("weight-deviation", None)].readings == (1.2,)
    # find it in history: Alt+2, type the serial, Enter, open with Enter
    d.press(K.Key_2, Qt.KeyboardModifier.AltModifier)
    history = win.area.currentWidget()
    assert history.objectName() == "history-page"
    d.type("SN000777")
    d.press(K.Key_Return)
    assert history.model.rowCount() == 1
    assert history.model.rows[0].id == ins.id
    assert audit.verify(ctx.station).ok
