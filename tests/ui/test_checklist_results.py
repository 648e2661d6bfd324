"""Late results at the bench: each lands on the item it was given for, and a fail stays a
fail until its defect is logged or it is changed on purpose.

Driven by keys on the real window over a real SQLite station; the worker's results are
held back (tests/ui/gated_tasks.py) so the inspector's next keys arrive before the save
returns, as on a slow database. After each step the screen is compared with the database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from sqlalchemy import select
from tests.ui.gated_tasks import GatedRunner, gate

from qcstation.domain.inspections import Inspection, Outcome, Status
from qcstation.domain.stages import Stage
from qcstation.services import audit, inspections
from qcstation.store.models import AuditEntry
from qcstation.ui.pages.checklist import ChecklistPage, step_label
from qcstation.ui.pages.defect_dialog import DefectDialog

K = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def gated(window) -> Iterator[GatedRunner]:  # type: ignore[no-untyped-def]
    yield from gate(window[1])


def open_casting(driver, serial: str = "SN1") -> tuple[ChecklistPage, Inspection]:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    ins = inspections.start(
        driver.ctx.station, driver.ctx.actor, Stage.CASTING, "JT-1", "RG-1", serial
    )
    driver.win.open_inspection(ins)
    driver.settle()
    page = driver.win.checklist
    driver.type("F-1")  # the flask number, saved at once
    driver.press(K.Key_Return)
    assert current(page) == ("fill", None)
    return page, ins


def key(driver, k: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    """A key into whatever has the focus, without waiting for the worker."""
    driver.qtbot.keyClick(driver.focus(), k, modifier)


def current(page: ChecklistPage) -> tuple[str, int | None]:
    item, pos, _ = page.steps[page.list.currentRow()]
    assert page.editor.item is not None
    assert (page.editor.item.id, page.editor.position) == (item.id, pos)  # one item on screen
    return item.id, pos


def row(page: ChecklistPage, item_id: str, pos: int | None = None) -> str:
    i = next(i for i, (it, p, _) in enumerate(page.steps) if (it.id, p) == (item_id, pos))
    return page.list.item(i).text()


def stored(driver, ins: Inspection) -> Inspection:  # type: ignore[no-untyped-def]
    return inspections.get(driver.ctx.station, ins.id)


def open_dialog(win: QWidget) -> DefectDialog | None:
    found = [d for d in win.findChildren(DefectDialog) if d.isVisible()]
    assert len(found) <= 1
    return found[0] if found else None


def message_box(name: str) -> QMessageBox | None:
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QMessageBox) and w.objectName() == name and w.isVisible():
            return w
    return None


# --- problem 2: late results ----------------------------------------------------------------


def test_a_late_save_marks_the_row_it_was_given_on(driver, gated) -> None:  # type: ignore[no-untyped-def]
    page, ins = open_casting(driver)
    gated.holding = True
    key(driver, K.Key_P)  # fill passes; its save is still on its way back
    key(driver, K.Key_Right)  # and the inspector moves on before it returns
    gated.release_all()
    driver.settle()
    db = stored(driver, ins)
    assert db.answers[("fill", None)].outcome is Outcome.PASS
    assert ("porosity", None) not in db.answers
    assert row(page, "fill").startswith("✓")
    assert row(page, "porosity").startswith("○")
    assert current(page) == ("shrinkage", None)  # P showed porosity, → the one after
    assert page.progress.value() == 2


def test_a_second_answer_while_the_first_is_saving_is_kept(driver, gated) -> None:  # type: ignore[no-untyped-def]
    page, ins = open_casting(driver)
    gated.holding = True
    key(driver, K.Key_P)  # fill
    assert current(page) == ("porosity", None)  # the screen moves on at once ...
    assert row(page, "fill").startswith("…")  # ... and shows the first save on its way
    key(driver, K.Key_P)  # porosity, as shown: never dropped because a save is in flight
    gated.release_all()
    driver.settle()
    db = stored(driver, ins)
    assert db.answers[("fill", None)].outcome is Outcome.PASS
    assert db.answers[("porosity", None)].outcome is Outcome.PASS
    assert row(page, "fill").startswith("✓") and row(page, "porosity").startswith("✓")
    assert current(page) == ("shrinkage", None)


def test_the_defect_form_opens_for_the_failed_item_not_the_one_moved_to(driver, gated) -> None:  # type: ignore[no-untyped-def]
    page, ins = open_casting(driver)
    driver.press(K.Key_P)  # fill
    gated.holding = True
    key(driver, K.Key_F)  # porosity fails: its defect form comes when the save returns
    key(driver, K.Key_Right)  # held, with a word on screen, not silently lost
    assert current(page) == ("porosity", None)
    assert "No porosity" in page.notice.text() and page.notice.isVisible()
    gated.release_all()
    driver.settle()
    dialog = open_dialog(driver.win)
    assert dialog is not None and dialog.item is not None and dialog.item.id == "porosity"
    assert current(page) == ("porosity", None)
    assert stored(driver, ins).answers[("porosity", None)].outcome is Outcome.FAIL


def test_a_photo_counts_for_its_own_item_when_the_save_returns_late(driver, gated) -> None:  # type: ignore[no-untyped-def]
    page, ins = open_casting(driver)
    driver.press(K.Key_Space)  # the capture key: one photo of the fill
    assert page.photos_for("fill", None) == 1
    gated.holding = True
    key(driver, K.Key_F)  # the fill fails (it needs a defect and a photo)
    key(driver, K.Key_Right)
    gated.release_all()
    driver.settle()
    dialog = open_dialog(driver.win)
    assert dialog is not None and dialog.item is not None and dialog.item.id == "fill"
    driver.press(K.Key_Escape)  # no defect yet
    db = stored(driver, ins)
    assert db.answers[("fill", None)].photos == 1
    assert page.inspection is not None and page.inspection.answers[("fill", None)].photos == 1
    assert page.photos_for("porosity", None) == 0
    driver.press(K.Key_Return, CTRL)  # to the summary: what is missing there is the database's
    summary = driver.win.summary
    assert driver.win.inspect.currentWidget() is summary
    shown = [summary.missing.item(i).text() for i in range(summary.missing.count())]
    assert shown == [
        f"{step_label(db.template.item(m.item_id), m.position)} — {m.reason}" for m in db.missing()
    ]
    assert (
        "Complete fill - all prongs, edges, details and lettering present — failed: log a defect"
        in shown
    )
    assert not any("attach a photo" in line for line in shown)


def test_a_new_history_search_shows_only_its_own_results(driver, gated) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    for serial in ("SN-A", "SN-B"):
        inspections.start(driver.ctx.station, driver.ctx.actor, Stage.CASTING, "JT", "RG", serial)
    driver.press(K.Key_2, Qt.KeyboardModifier.AltModifier)
    history = driver.win.area.currentWidget()
    assert history.objectName() == "history-page"
    gated.holding = True
    history.text.setFocus()
    driver.type("SN-A")
    key(driver, K.Key_Return)  # the first search is still on its way ...
    history.text.setFocus()
    history.text.selectAll()
    driver.type("SN-B")
    key(driver, K.Key_Return)  # ... when the inspector asks for another
    gated.release_all()
    driver.settle()
    assert [r.serial for r in history.model.rows] == ["SN-B"]


# --- problem 3: a cancelled defect form ------------------------------------------------------


def fail_porosity_and_cancel(driver) -> tuple[ChecklistPage, Inspection]:  # type: ignore[no-untyped-def]
    page, ins = open_casting(driver)
    driver.press(K.Key_P)  # fill
    driver.press(K.Key_F)  # porosity fails: the defect form opens ...
    assert open_dialog(driver.win) is not None
    driver.press(K.Key_Escape)  # ... and is cancelled
    assert open_dialog(driver.win) is None
    return page, ins


def test_a_cancelled_defect_form_leaves_a_fail_that_says_what_it_still_needs(driver) -> None:  # type: ignore[no-untyped-def]
    page, ins = fail_porosity_and_cancel(driver)
    assert stored(driver, ins).answers[("porosity", None)].outcome is Outcome.FAIL
    assert current(page) == ("porosity", None)
    assert (
        page.editor.status.text()
        == "Recorded: fail — defect still to log (D), photo still to attach"
    )
    assert row(page, "porosity").startswith("✗") and "defect to log" in row(page, "porosity")
    assert "defect to log" not in row(page, "fill")


def test_p_on_a_recorded_fail_asks_before_it_becomes_a_pass(driver) -> None:  # type: ignore[no-untyped-def]
    page, ins = fail_porosity_and_cancel(driver)
    key(driver, K.Key_P)
    box = message_box("change-fail")
    assert box is not None and "No porosity" in box.text()
    driver.press(K.Key_Escape)  # keep the fail
    assert stored(driver, ins).answers[("porosity", None)].outcome is Outcome.FAIL
    assert (
        page.editor.status.text()
        == "Recorded: fail — defect still to log (D), photo still to attach"
    )
    key(driver, K.Key_P)
    assert message_box("change-fail") is not None
    driver.press(K.Key_Return)  # change it, on purpose
    assert stored(driver, ins).answers[("porosity", None)].outcome is Outcome.PASS
    assert row(page, "porosity").startswith("✓")
    with driver.ctx.station.db.read() as s:  # the change says why, in the audit trail
        reasons = s.scalars(select(AuditEntry.reason).where(AuditEntry.entity == "answers"))
        assert "a recorded fail changed to pass at the bench" in list(reasons)
    assert audit.verify(driver.ctx.station).ok


def test_d_opens_the_defect_form_for_the_failed_item_even_from_a_reading(driver) -> None:  # type: ignore[no-untyped-def]
    page, ins = open_casting(driver)
    while current(page) != ("min-wall", None):
        page.go_next()
    driver.type("0.45")
    driver.press(K.Key_Return)  # a thin wall: fail, and its form opens
    driver.press(K.Key_Escape)
    assert current(page) == ("min-wall", None)
    assert "defect still to log (D)" in page.editor.status.text()
    assert driver.focus() is page.editor.readings[0]  # the cursor is back in the reading
    driver.press(K.Key_D)
    dialog = open_dialog(driver.win)
    assert dialog is not None and dialog.item is not None and dialog.item.id == "min-wall"
    assert page.editor.readings[0].text() == "0.45"  # the D went to the form, not the field
    driver.press(K.Key_Return)  # the suggested code, CST-THIN
    db = stored(driver, ins)
    assert [(d.code, d.item_id) for d in db.defects] == [("CST-THIN", "min-wall")]
    assert "defect to log" not in row(page, "min-wall") and row(page, "min-wall").startswith("✗")


def test_completing_with_a_missing_defect_names_the_item(driver) -> None:  # type: ignore[no-untyped-def]
    _page, ins = fail_porosity_and_cancel(driver)
    driver.press(K.Key_Right)
    for _ in range(7):  # shrinkage, cracks, distortion, inclusions, sprue stub, surface, flash
        driver.press(K.Key_P)
    driver.type("1.2")
    driver.press(K.Key_Return)
    driver.type("0.85")
    driver.press(K.Key_Return)
    summary = driver.win.summary
    assert driver.win.inspect.currentWidget() is summary
    driver.press(K.Key_Return, CTRL)  # complete: refused, and the window says why
    box = message_box("problem-message")
    assert box is not None
    assert "No porosity at 10x on visible surfaces" in box.text()
    assert "log a defect" in box.text()
    assert stored(driver, ins).status is Status.IN_PROGRESS


def test_after_a_defect_form_the_keyboard_is_on_the_next_item(driver) -> None:  # type: ignore[no-untyped-def]
    page, _ins = open_casting(driver)
    while current(page) != ("flash", None):
        page.go_next()
    driver.press(K.Key_F)  # flash fails (a minor defect is required), the form opens
    driver.press(K.Key_Return)  # and is saved with its suggested code
    assert open_dialog(driver.win) is None
    assert current(page) == ("weight-deviation", None)
    assert driver.focus() is page.editor.readings[0]  # typing goes on where it should
    driver.type("1.2")
    assert page.editor.readings[0].text() == "1.2"


def test_each_refused_completion_says_again_what_is_missing(driver) -> None:  # type: ignore[no-untyped-def]
    _page, ins = fail_porosity_and_cancel(driver)
    driver.press(K.Key_Return, CTRL)  # the summary
    summary = driver.win.summary
    assert driver.win.inspect.currentWidget() is summary
    for _ in range(2):  # the message closes with Enter and the keyboard is back on the summary
        driver.press(K.Key_Return, CTRL)
        box = message_box("problem-message")
        assert box is not None and "No porosity at 10x on visible surfaces" in box.text()
        driver.press(K.Key_Return)
        assert message_box("problem-message") is None
    assert stored(driver, ins).status is Status.IN_PROGRESS


def test_a_defect_form_on_the_last_item_leads_to_the_summary_with_the_keyboard(driver) -> None:  # type: ignore[no-untyped-def]
    page, _ins = open_casting(driver)
    for _ in range(
        9
    ):  # fill, porosity, shrinkage, cracks, distortion, inclusions, sprue, surface, flash
        driver.press(K.Key_P)
    driver.type("1.2")
    driver.press(K.Key_Return)
    driver.type("0.45")  # the last item fails: its defect form, then the summary
    driver.press(K.Key_Return)
    driver.press(K.Key_Return)  # the suggested code
    summary = driver.win.summary
    assert driver.win.inspect.currentWidget() is summary
    assert summary.isAncestorOf(driver.focus())
    driver.press(K.Key_Escape)  # back to the checklist, on the item last shown
    assert driver.win.inspect.currentWidget() is page
    assert current(page) == ("min-wall", None)
    assert driver.focus() is page.editor.readings[0]
