"""One review state everywhere: after a supervisor accepts a needs-review inspection, History,
the inspection view and the certificate all say ACCEPTED ON REVIEW (issue 13, item 6)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from qcstation.domain.defects import Severity
from qcstation.domain.inspections import Decision
from qcstation.domain.signing import Meaning
from qcstation.services import accounts, documents, inspections, review, signing, verify
from qcstation.services.context import Station
from qcstation.ui.pages.history import HistoryPage
from qcstation.ui.pages.inspection_view import InspectionDialog

from ..services.conftest import finish
from .conftest import PASSWORDS


def accepted_on_review(station: Station) -> str:
    """A final QC with one minor scratch (needs review), signed, then accepted by sam."""
    ines = accounts.login(station, "ines", PASSWORDS["ines"])
    sam = accounts.login(station, "sam", PASSWORDS["sam"])
    ins = finish(station, ines, serial="SN-REVIEWED", complete=False)
    inspections.raise_defect(station, ines, ins, "POL-SCR", severity=Severity.MINOR)
    inspections.complete(station, ines, ins)
    signing.sign(station, ines, ins, Meaning.PERFORMED, PASSWORDS["ines"])
    signing.sign(station, sam, ins, Meaning.APPROVED, PASSWORDS["sam"])
    review.decide(station, sam, ins, Decision.ACCEPTED, "hairline inside the back, accepted")
    return ins


def history_row(driver: Any, inspection_id: str) -> dict[str, str]:
    page = driver.win.findChild(HistoryPage)
    assert page is not None
    model = page.model
    for r in range(model.rowCount()):
        row = model.row_at(model.index(r, 0))
        if row is not None and row.id == inspection_id:
            return {
                str(model.headerData(c, Qt.Orientation.Horizontal)): str(
                    model.data(model.index(r, c))
                )
                for c in range(model.columnCount())
            }
    raise AssertionError(f"{inspection_id} is not in History")


def test_history_the_inspection_view_and_the_certificate_say_accepted_on_review(
    driver: Any, ui_station: Station, tmp_path: Path
) -> None:
    ins = accepted_on_review(ui_station)
    driver.sign_in("sam")
    driver.win.go_page(1)
    driver.settle()
    assert history_row(driver, ins)["Verdict"] == "ACCEPTED ON REVIEW"

    view = InspectionDialog(driver.ctx, ins, driver.win)
    driver.qtbot.addWidget(view)
    view.show()
    driver.settle()
    assert view.heading.text().endswith("— ACCEPTED ON REVIEW"), view.heading.text()

    sam = accounts.login(ui_station, "sam", PASSWORDS["sam"])
    cert = documents.export_certificate(ui_station, sam, PASSWORDS["sam"], ins, tmp_path / "c.pdf")
    result = verify.verify_pdf(cert.path, ui_station)
    assert result.ok and "verdict: ACCEPTED ON REVIEW" in result.lines
    printed = subprocess.run(
        ["pdftotext", str(cert.path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "ACCEPTED ON REVIEW" in printed and "NEEDS REVIEW" not in printed
    report = documents.export_report(ui_station, sam, PASSWORDS["sam"], ins, tmp_path / "r.pdf")
    assert "verdict: ACCEPTED ON REVIEW" in verify.verify_pdf(report.path, ui_station).lines
