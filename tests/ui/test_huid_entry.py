"""The HUID typed at the bench: a text of the wrong form is refused where it is typed, the
text kept to correct, and nothing stored; a photo in a past inspection is evidence kept,
not a passed check."""

from __future__ import annotations

from PySide6.QtCore import Qt

from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.stages import Stage
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import inspections

K = Qt.Key


def test_a_huid_of_the_wrong_form_is_refused_at_the_bench_and_kept_to_correct(driver) -> None:  # type: ignore[no-untyped-def]
    d, win = driver, driver.win
    d.sign_in("ines")
    ins = inspections.start(d.ctx.station, d.ctx.actor, Stage.FINAL_QC, "JT-H", "RG-1", "SN-H")
    win.open_inspection(ins)
    d.settle()
    page = win.checklist
    page.go_to(next(i for i, s in enumerate(page.steps) if s[0].id == "huid"))
    d.settle()
    field = page.editor.text_field
    assert field is not None and field.placeholderText() == "e.g. AB12C3"
    assert "Expected: 6 capital letters or digits" in page.editor.detail.text()
    field.setFocus()
    d.type("ab12c3")
    d.press(K.Key_Return)
    assert page.editor.status.text() == (
        "“ab12c3” is not 6 capital letters or digits, as on the piece (e.g. AB12C3)"
    )
    assert field.text() == "ab12c3"  # kept, to correct
    assert ("huid", None) not in inspections.get(d.ctx.station, ins.id).answers
    field.selectAll()
    d.type("AB12C3")
    d.press(K.Key_Return)
    d.settle()
    stored = inspections.get(d.ctx.station, ins.id).answers[("huid", None)]
    assert stored.value == "AB12C3" and page.steps[page.index][0].id != "huid"


def test_a_photo_in_a_past_inspection_reads_photo_taken_not_pass(driver) -> None:  # type: ignore[no-untyped-def]
    from qcstation.ui.pages.inspection_view import InspectionDialog

    d = driver
    d.sign_in("ines")
    station, ines = d.ctx.station, d.ctx.actor
    ins = inspections.start(station, ines, Stage.FINAL_QC, "JT-P", "RG-1", "SN-P")
    png = encode_png(render_piece(3, 64, 48))
    inspections.attach_evidence(station, ines, ins.id, png, "image/png", "finished-photo", None)
    inspections.record_answer(station, ines, ins.id, Answer("finished-photo"))
    inspections.record_answer(station, ines, ins.id, Answer("wearer-safety", outcome=Outcome.PASS))
    dialog = InspectionDialog(d.ctx, ins.id, d.win)
    d.qtbot.addWidget(dialog)
    d.settle()
    results = {
        dialog.answers.item(r, 0).text(): dialog.answers.item(r, 1).text()
        for r in range(dialog.answers.rowCount())
    }
    assert results["Photo of the finished piece, front view"] == "photo taken"
    assert results["No sharp edges, burrs or snagging prongs"] == "pass"
    dialog.close()
