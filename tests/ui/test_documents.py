"""Signing, saving, printing and verifying from the window, on real signed PDFs."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QApplication, QMessageBox

from qcstation.domain.stages import Stage
from qcstation.reports.raster import render_pages
from qcstation.services import accounts, documents, signing, verify
from qcstation.services.context import Station
from qcstation.services.demo import DEMO_USERS
from qcstation.ui.documents import PasswordDialog
from qcstation.ui.pages.inspection_view import InspectionDialog
from qcstation.ui.pages.verify import VerifyPage
from qcstation.ui.printing import paint_pdf, setup_printer

from ..conftest import have_tools
from .conftest import WAIT_MS

PASSWORDS = {u: p for u, p, _r, _n in DEMO_USERS}


def completed(station: Station, username: str = "ines", seed: int = 5) -> str:
    from qcstation.services import demo

    user = accounts.login(station, username, PASSWORDS[username])
    return demo.run_inspection(station, user, Stage.FINAL_QC, random.Random(seed))


def signed_by_ines(station: Station, seed: int = 5) -> str:
    ins_id = completed(station, seed=seed)
    ines = accounts.login(station, "ines", PASSWORDS["ines"])
    signing.sign(station, ines, ins_id, signing.Meaning.PERFORMED, PASSWORDS["ines"])
    return ins_id


def _soft(rgb: Any) -> Any:
    import cv2

    return cv2.GaussianBlur(rgb.astype(np.float32), (5, 5), 0)


def open_dialog(driver: Any, inspection_id: str) -> InspectionDialog:
    dialog = InspectionDialog(driver.ctx, inspection_id, driver.win)
    driver.qtbot.addWidget(dialog)
    dialog.show()
    driver.settle()
    return dialog


def answer(driver: Any, dialog: PasswordDialog, password: str) -> None:
    dialog.password.setText(password)
    dialog.ok.click()
    driver.settle()


def test_signing_asks_the_password_again_and_a_wrong_one_signs_nothing(
    driver: Any, ui_station: Station
) -> None:
    ins_id = completed(ui_station)
    driver.sign_in("ines")
    view = open_dialog(driver, ins_id)
    assert "none yet" in view.signatures.text()
    assert view.sign_button.isEnabled()

    view.sign()
    dialog = view.docs.dialog
    assert dialog is not None and dialog.isVisible()
    assert [dialog.meaning.itemData(i) for i in range(dialog.meaning.count())] == ["performed"]
    answer(driver, dialog, "not-my-password")
    assert dialog.isVisible(), "a refusal keeps the dialog open"
    assert "nothing was signed" in dialog.message.text()
    assert signing.signatures(ui_station, ins_id) == []

    answer(driver, dialog, PASSWORDS["ines"])
    assert not dialog.isVisible()
    found = signing.signatures(ui_station, ins_id)
    assert [s.manifest.meaning.value for s in found] == ["performed"]
    driver.settle()
    assert "Performed by" in view.signatures.text()


def test_a_supervisor_saves_a_signed_report_that_verifies(
    driver: Any, ui_station: Station, tmp_path: Path
) -> None:
    ins_id = signed_by_ines(ui_station)
    driver.sign_in("sam")
    view = open_dialog(driver, ins_id)
    assert view.certificate_button.isVisible()
    out = tmp_path / "out" / "report.pdf"
    dialog = view.docs.export("report", ins_id, out)
    assert dialog is not None
    answer(driver, dialog, PASSWORDS["sam"])
    assert not dialog.isVisible()
    assert out.exists()
    box = view.findChild(QMessageBox, "exported-message")
    assert box is not None and str(out) in box.text()
    result = verify.verify_pdf(out, ui_station)
    assert result.ok, result.problems


def test_an_inspector_is_not_offered_the_certificate(driver: Any, ui_station: Station) -> None:
    ins_id = completed(ui_station)
    driver.sign_in("ines")
    view = open_dialog(driver, ins_id)
    assert not view.certificate_button.isVisible()


def test_an_inspector_asking_for_a_report_is_told_who_issues_it(
    driver: Any, ui_station: Station, tmp_path: Path
) -> None:
    """Reports are the plant's: an inspector pressing Save or Print report is told why
    nothing happens, before any password is asked (and nothing is written)."""
    from PySide6.QtCore import Qt

    ins_id = signed_by_ines(ui_station)
    driver.sign_in("ines")
    view = open_dialog(driver, ins_id)
    view.activateWindow()
    view.sign_button.setFocus()
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    for key, mods in ((Qt.Key.Key_E, ctrl), (Qt.Key.Key_P, ctrl), (Qt.Key.Key_P, ctrl | shift)):
        driver.qtbot.keyClick(view.sign_button, key, mods)  # Save report, Print, Certificate
        driver.settle()
        assert view.docs.dialog is None, "no password is asked of someone who may not issue"
        said = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "problem-message"
        ]
        box = next(b for b in said if b.isVisible())  # the reason, said in a message
        assert "issued by a supervisor or an administrator" in box.text()
        driver.qtbot.keyClick(box, Qt.Key.Key_Return)  # read, and closed by a key
        driver.settle()
        view.activateWindow()  # offscreen, closing a message does not give the focus back
        view.sign_button.setFocus()
        driver.settle()
    said = [str(e) for e in driver.ctx.errors.shown]
    assert len(said) == 3 and all("issued by a supervisor or an administrator" in t for t in said)
    assert not view.docs.default_path("report", ins_id).exists()


def test_print_paints_the_signed_pdf_itself_page_for_page(
    driver: Any, ui_station: Station, tmp_path: Path
) -> None:
    ins_id = signed_by_ines(ui_station)
    driver.sign_in("sam")
    view = open_dialog(driver, ins_id)
    view._document("print", "report")
    dialog = view.docs.dialog
    assert dialog is not None
    answer(driver, dialog, PASSWORDS["sam"])
    preview = view.findChild(QPrintPreviewDialog, "print-preview")
    assert preview is not None and preview.isVisible()
    preview.close()

    # What the preview paints, printed to a PDF file instead of paper.
    data = view.docs.default_path("report", ins_id).read_bytes()
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    setup_printer(printer, data, "report")
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    pages = paint_pdf(printer, data)
    original = list(render_pages(data, 30))
    assert pages == len(original) >= 1
    again = list(render_pages(printed.read_bytes(), 30))
    assert len(again) == pages
    for a, b in zip(original, again, strict=True):
        assert abs(a.width_pt - b.width_pt) < 2 and abs(a.height_pt - b.height_pt) < 2
        h, w = min(a.rgb.shape[0], b.rgb.shape[0]), min(a.rgb.shape[1], b.rgb.shape[1])
        # Qt's painter and poppler place glyphs a sub-pixel apart at 30 dpi: compared pixel
        # by pixel, a dense page of text differed by 12-13 though it was the same page (a
        # page painted from another differs by over 20). Compared softened, the same page
        # differs by about 9 and another page still by over 20.
        diff = np.abs(_soft(a.rgb[:h, :w]) - _soft(b.rgb[:h, :w])).mean()
        assert diff < 12, f"page {a.index}: printed page differs from the PDF (mean {diff:.1f})"
    if have_tools("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "40",
                "-f",
                "1",
                "-l",
                "1",
                str(printed),
                str(tmp_path / "p"),
            ],
            check=True,
        )


@pytest.fixture
def signed_report(ui_station: Station, tmp_path: Path) -> Path:
    ins_id = signed_by_ines(ui_station, seed=9)
    out = tmp_path / "r.pdf"
    sam = accounts.login(ui_station, "sam", PASSWORDS["sam"])
    documents.export_report(ui_station, sam, PASSWORDS["sam"], ins_id, out)
    return out


def verify_page(driver: Any) -> VerifyPage:
    driver.sign_in("ines")
    page = driver.win.findChild(VerifyPage)
    assert page is not None
    return page


def test_verify_page_says_valid_for_a_signed_report(driver: Any, signed_report: Path) -> None:
    page = verify_page(driver)
    page.check_pdf(signed_report)
    driver.settle()
    assert page.verdict.text() == "VALID"
    assert page.page_view.pixmap() is not None and not page.page_view.pixmap().isNull()


def test_verify_page_says_invalid_when_one_byte_changed(
    driver: Any, signed_report: Path, tmp_path: Path
) -> None:
    data = bytearray(signed_report.read_bytes())
    at = data.index(b"/Type /Page") + 2  # inside the signed byte range
    data[at] ^= 0x01
    bad = tmp_path / "changed.pdf"
    bad.write_bytes(bytes(data))
    page = verify_page(driver)
    page.check_pdf(bad)
    driver.settle()
    assert page.verdict.text().startswith("INVALID")
    assert any(page.lines.item(i).text().startswith("PROBLEM") for i in range(page.lines.count()))


def test_verify_page_says_a_truncated_pdf_cannot_be_checked(
    driver: Any, signed_report: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(signed_report.read_bytes()[:5000])
    page = verify_page(driver)
    page.check_pdf(cut)
    driver.settle()
    assert page.verdict.text() == "Could not be checked"
    assert "truncated" in page.lines.item(0).text()
    assert driver.ctx.errors.shown == []


def test_a_certificate_held_under_the_camera_verifies(
    driver: Any, ui_station: Station, tmp_path: Path
) -> None:
    from ..services.conftest import finish

    ines = accounts.login(ui_station, "ines", PASSWORDS["ines"])
    sam = accounts.login(ui_station, "sam", PASSWORDS["sam"])
    ins_id = finish(ui_station, ines, serial="SN-CAM")  # final QC, all passed
    signing.sign(ui_station, ines, ins_id, signing.Meaning.PERFORMED, PASSWORDS["ines"])
    signing.sign(ui_station, sam, ins_id, signing.Meaning.APPROVED, PASSWORDS["sam"])
    cert = tmp_path / "cert.pdf"
    documents.export_certificate(ui_station, sam, PASSWORDS["sam"], ins_id, cert)
    page_image = next(render_pages(cert.read_bytes(), 150)).rgb[:, :, ::-1].copy()  # BGR

    class CertificateUnderCamera:
        def __init__(self) -> None:
            self.seq = 0

        def latest(self) -> tuple[np.ndarray, int]:
            self.seq += 1
            return page_image, self.seq

        def status(self) -> str:
            return "certificate (test)"

    driver.win.camera.set_source(CertificateUnderCamera())
    driver.win.camera.poll()
    page = verify_page(driver)
    page.start_scan()
    driver.qtbot.waitUntil(lambda: not page.scan_timer.isActive(), timeout=WAIT_MS)
    driver.settle()
    assert page.verdict.text() == "VALID", [
        page.lines.item(i).text() for i in range(page.lines.count())
    ]


def test_history_saves_signed_reports_of_the_selected_inspections(
    driver: Any, ui_station: Station, tmp_path: Path
) -> None:
    from PySide6.QtCore import QItemSelectionModel

    from qcstation.ui.pages.history import HistoryPage

    ids = [completed(ui_station, seed=s) for s in (21, 22)]
    ines = accounts.login(ui_station, "ines", PASSWORDS["ines"])
    for i in ids:
        signing.sign(ui_station, ines, i, signing.Meaning.PERFORMED, PASSWORDS["ines"])
    driver.sign_in("sam")
    driver.win.go_page(1)
    driver.settle()
    page = driver.win.findChild(HistoryPage)
    assert page is not None
    selection = page.table.selectionModel()
    selection.clearSelection()
    for r in range(page.model.rowCount()):
        row = page.model.row_at(page.model.index(r, 0))
        if row is not None and row.id in ids:
            selection.select(
                page.model.index(r, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
    assert sorted(page.selected_completed()) == sorted(ids)
    folder = tmp_path / "batch"
    page.export_selected(folder)
    dialog = page.docs.dialog
    assert dialog is not None
    answer(driver, dialog, PASSWORDS["sam"])
    pdfs = sorted(folder.glob("*.pdf"))
    assert len(pdfs) == 2
    assert all(verify.verify_pdf(p, ui_station).ok for p in pdfs)
