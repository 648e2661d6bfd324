"""Signing and the documents of one piece: one password for all of it, and a clear word
when they cannot be made yet (they did nothing, silently, on an unfinished inspection)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintPreviewDialog
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from qcstation.domain.inspections import Inspection, positions_of
from qcstation.domain.stages import Stage
from qcstation.domain.templates import Item
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import accounts, inspections, signing, verify
from qcstation.services.context import Station
from qcstation.services.demo_answers import passing_answer
from qcstation.services.errors import Conflict
from qcstation.ui.documents import PasswordDialog
from qcstation.ui.pages.inspection_view import InspectionDialog

from .conftest import PASSWORDS, Driver

K, CTRL, SHIFT = Qt.Key, Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def steps_of(ins: Inspection) -> list[tuple[Item, int]]:
    return [(i, p) for i in ins.template.items() for p in positions_of(i, ins.position_counts)]


def answered(station: Station, user: User, leave_open: int = 0) -> str:
    """A final QC answered all-pass (photos where asked); the last `leave_open` unanswered."""
    ins = inspections.start(station, user, Stage.FINAL_QC, "JT-ONCE", "RG-SOL-0412", "SN-ONCE")
    steps = steps_of(ins)
    for n, (item, pos) in enumerate(steps[: len(steps) - leave_open]):
        if item.photo_required or item.kind == "photo":
            png = encode_png(render_piece(n, 64, 48))
            inspections.attach_evidence(station, user, ins.id, png, "image/png", item.id, pos)
        inspections.record_answer(station, user, ins.id, passing_answer(item, pos))
    return ins.id


def password_dialogs(root: QWidget) -> list[PasswordDialog]:
    return root.findChildren(PasswordDialog)


def open_view(d: Driver, ins_id: str) -> InspectionDialog:
    view = InspectionDialog(d.ctx, ins_id, d.win)
    d.qtbot.addWidget(view)
    view.show()
    view.activateWindow()
    view.setFocus()
    d.settle()
    return view


def test_an_unfinished_inspection_says_why_it_cannot_be_signed(
    driver: Driver, ui_station: Station
) -> None:
    ines = accounts.login(ui_station, "ines", PASSWORDS["ines"])
    ins_id = answered(ui_station, ines, leave_open=3)
    driver.sign_in("sam")  # a supervisor, who could otherwise also print the certificate
    view = open_view(driver, ins_id)
    assert view.documents_note.isVisible()
    total = len(steps_of(inspections.get(ui_station, ins_id)))
    assert f"still in progress ({total - 3} of {total} answered)" in view.documents_note.text()
    for key, modifiers in (
        (K.Key_S, CTRL),
        (K.Key_E, CTRL),
        (K.Key_P, CTRL),
        (K.Key_P, CTRL | SHIFT),
    ):
        before = len(driver.ctx.errors.shown)
        driver.qtbot.keyClick(view, key, modifiers)
        driver.settle()
        said = driver.ctx.errors.shown[before:]
        assert len(said) == 1 and isinstance(said[0], Conflict), (key, modifiers)
        assert "completed at the bench" in str(said[0])
        for box in driver.win.findChildren(QMessageBox, "problem-message"):
            box.close()  # read, and Enter: back to the inspection
        view.activateWindow()
        driver.qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    assert password_dialogs(view) == []  # no password asked for what cannot be done
    view.close()


def test_the_summary_says_to_complete_before_signing(driver: Driver, ui_station: Station) -> None:
    driver.sign_in("ines")
    ins_id = answered(ui_station, driver.ctx.actor, leave_open=1)
    driver.win.resume(ins_id)
    driver.settle()
    driver.win.show_summary(driver.win.checklist.inspection)
    driver.settle()
    driver.press(K.Key_S, CTRL)
    assert "complete the inspection first" in str(driver.ctx.errors.shown[-1])


def complete_at_the_bench(driver: Driver, user: str) -> tuple[str, PasswordDialog]:
    """``user`` answers a final QC, completes it by keys and asks to sign it (Ctrl+S)."""
    driver.sign_in(user)
    ins_id = answered(driver.ctx.station, driver.ctx.actor)
    win = driver.win
    win.resume(ins_id)
    driver.settle()
    win.show_summary(win.checklist.inspection)
    driver.settle()
    driver.press(K.Key_Return, CTRL)  # complete
    assert win.summary.done is not None
    driver.press(K.Key_S, CTRL)  # sign…
    dialog = win.summary.docs.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.chosen() == {"sign"}
    return ins_id, dialog


def test_an_inspector_signing_is_offered_her_signature_only(driver: Driver) -> None:
    _ins_id, dialog = complete_at_the_bench(driver, "ines")
    assert set(dialog.also) == {"sign"}  # documents are the plant's: issued by supervisors
    dialog.reject()


def test_one_password_signs_saves_and_prints_one_piece(driver: Driver, ui_station: Station) -> None:
    # a supervisor inspecting at the bench signs as performer and issues the documents
    ins_id, dialog = complete_at_the_bench(driver, "sam")
    win = driver.win
    dialog.also["save_report"].setChecked(True)  # ticked once
    dialog.also["print_report"].setChecked(True)
    assert dialog.ok.text() == "Sign, save and print…"
    dialog.password.setFocus()
    driver.type(PASSWORDS["sam"])
    driver.press(K.Key_Return)
    assert not dialog.isVisible()
    assert [s.manifest.meaning.value for s in signing.signatures(ui_station, ins_id)] == [
        "performed"
    ]
    report = win.summary.docs.default_path("report", ins_id)
    result = verify.verify_pdf(report, ui_station)
    assert result.ok, result.problems
    preview = win.summary.findChild(QPrintPreviewDialog, "print-preview")
    assert preview is not None and preview.isVisible()
    preview.close()
    assert len(password_dialogs(win.summary)) == 1  # asked once for the three
    # the next piece's signing dialog remembers what this bench ticks
    assert win.summary.docs.ticked == {"sign", "save_report", "print_report"}


def test_a_supervisor_approves_and_prints_the_certificate_with_one_password(
    driver: Driver, ui_station: Station, tmp_path: Path
) -> None:
    ines = accounts.login(ui_station, "ines", PASSWORDS["ines"])
    ins_id = answered(ui_station, ines)
    inspections.complete(ui_station, ines, ins_id)
    signing.sign(ui_station, ines, ins_id, signing.Meaning.PERFORMED, PASSWORDS["ines"])
    driver.sign_in("sam")
    view = open_view(driver, ins_id)
    assert not view.documents_note.isVisible()
    driver.qtbot.keyClick(view, K.Key_P, CTRL | SHIFT)  # the certificate…
    driver.settle()
    dialog = view.docs.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.chosen() == {"print_certificate"}
    assert "sign" in dialog.also  # his approval is offered beside it
    dialog.also["sign"].setChecked(True)
    dialog.password.setText(PASSWORDS["sam"])
    dialog.ok.click()
    driver.settle()
    assert not dialog.isVisible(), dialog.message.text()
    meanings = {s.manifest.meaning.value for s in signing.signatures(ui_station, ins_id)}
    assert meanings == {"performed", "approved"}
    assert view.docs.default_path("certificate", ins_id).exists()
    preview = view.findChild(QPrintPreviewDialog, "print-preview")
    assert preview is not None
    preview.close()
    assert len(password_dialogs(view)) == 1
    view.close()
