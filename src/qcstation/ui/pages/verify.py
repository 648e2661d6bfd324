"""Checking a signed report or certificate: open its PDF, paste its QR text, or hold the
printed certificate under the microscope camera. Anyone signed in may check."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from qcstation.reports.raster import render_pages
from qcstation.services import audit, verify
from qcstation.services.verify import Unverifiable, Verification
from qcstation.ui import theme
from qcstation.ui.context import UiContext
from qcstation.ui.widgets import button, muted, shortcut, title

SCAN_SECONDS = 15  # how long the camera looks for a QR code before giving up
SCAN_EVERY_MS = 250


def first_page(path: Path) -> QImage | None:
    """The PDF's first page, small, for the person to see what was checked (worker thread)."""
    try:
        data = path.read_bytes()
        page = next(render_pages(data, dpi=40), None)
    except (OSError, ValueError):
        return None
    if page is None:
        return None
    h, w = page.rgb.shape[:2]
    return QImage(page.rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class VerifyPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("verify-page")
        self.open_button = button(self.tr("Open a PDF…"), "Ctrl+O")
        self.scan_button = button(self.tr("Read a certificate under the camera"), "F6")
        self.payload = QLineEdit()
        self.payload.setObjectName("qr-payload")
        self.payload.setPlaceholderText(self.tr("…or paste a certificate's QR text or URL, Enter"))
        self.verdict = QLabel()
        self.verdict.setObjectName("verify-verdict")
        self.subject = muted()
        self.lines = QListWidget()
        self.lines.setObjectName("verify-lines")
        self.lines.setWordWrap(True)
        self.lines.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.page_view = QLabel()
        self.page_view.setObjectName("verify-page-view")
        self.page_view.setFixedWidth(340)
        self.page_view.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.trail_button = button(self.tr("Check the audit trail"), "Ctrl+T")
        self.open_button.clicked.connect(self.choose_pdf)
        self.scan_button.clicked.connect(self.start_scan)
        self.trail_button.clicked.connect(self.check_trail)
        self.payload.returnPressed.connect(self.check_payload)
        shortcut(self, "Ctrl+O", self.choose_pdf)
        shortcut(self, "F6", self.start_scan)
        shortcut(self, "Ctrl+T", self.check_trail)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addWidget(self.scan_button)
        row.addWidget(self.trail_button)
        row.addStretch(1)
        results = QVBoxLayout()
        results.addWidget(self.verdict)
        results.addWidget(self.subject)
        results.addWidget(self.lines, 1)
        body = QHBoxLayout()
        body.addLayout(results, 1)
        body.addWidget(self.page_view)
        layout = QVBoxLayout(self)
        layout.addWidget(title(self.tr("Verify a report, a certificate or the audit trail")))
        layout.addWidget(
            muted(
                self.tr(
                    "Checks that the plant issued it: the PDF is signed by the plant's "
                    "document key, chained to its root certificate, and what the document "
                    "states (carried inside the signature) equals this database's record; a "
                    "certificate's QR code is checked for its seal, number, date and claims. "
                    "The lines below are what was verified: compare them with the paper."
                )
            )
        )
        layout.addLayout(row)
        layout.addWidget(self.payload)
        layout.addLayout(body, 1)
        self.scan_timer = QTimer(self)
        self.scan_timer.setInterval(SCAN_EVERY_MS)
        self.scan_timer.timeout.connect(self._scan_once)
        self._scan_until = 0.0
        self._scan_busy = False
        self._show_idle()

    # --- what is shown ----------------------------------------------------------------------

    def _show_idle(self) -> None:
        self.verdict.setText(self.tr("Nothing checked yet"))
        self.verdict.setStyleSheet("font-size: 20pt; font-weight: bold;")

    def _verdict(self, text: str, colour: str) -> None:
        self.verdict.setText(text)
        self.verdict.setStyleSheet(f"{theme.VERDICT_FONT} color: {colour};")

    def show_result(self, result: Verification) -> None:
        self.lines.clear()
        for line in result.lines:
            self.lines.addItem(line)
        for problem in result.problems:
            self.lines.addItem(self.tr("PROBLEM: {0}").format(problem))
        if result.ok:
            self._verdict(self.tr("VALID"), theme.PASS_COLOUR)
        else:
            self._verdict(self.tr("INVALID — do not accept this document"), theme.FAIL_COLOUR)

    def show_unreadable(self, exc: BaseException) -> None:
        self.lines.clear()
        text = str(exc)
        self.lines.addItem(text[:1].upper() + text[1:])
        self._verdict(self.tr("Could not be checked"), theme.REVIEW_COLOUR)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Unverifiable):
            self.show_unreadable(exc)
        else:
            self.ctx.errors.report(exc)

    # --- the audit trail ----------------------------------------------------------------------

    def check_trail(self) -> None:
        """The whole trail against its signatures, this station's anchor and every record,
        on the work lane: saves go on meanwhile, the top bar shows how far it got, and its
        Cancel stops the check (which writes nothing)."""
        self.lines.clear()
        self.page_view.clear()
        self.subject.setText("")
        self._verdict(self.tr("Checking the audit trail…"), theme.REVIEW_COLOUR)
        self.trail_button.setEnabled(False)
        station = self.ctx.station
        self.ctx.run_work(
            lambda job: audit.verify(station, progress=job.step),
            self.show_trail,
            self._trail_failed,
            label=self.tr("Checking the audit trail"),
            on_cancelled=self._trail_cancelled,
        )

    def _trail_cancelled(self) -> None:
        self.trail_button.setEnabled(True)
        self._verdict(self.tr("Check of the audit trail cancelled"), theme.REVIEW_COLOUR)

    def show_trail(self, report: audit.VerifyReport) -> None:
        self.trail_button.setEnabled(True)
        self.lines.clear()
        for note in report.notes:
            self.lines.addItem(note)
        for finding in report.findings:
            self.lines.addItem(self.tr("PROBLEM: {0}").format(finding))
        self.subject.setText(
            self.tr("{0} entries, {1} signatures, {2} records checked").format(
                report.entries, report.signed_entries, report.records
            )
        )
        if report.ok:
            self._verdict(self.tr("AUDIT TRAIL INTACT"), theme.PASS_COLOUR)
        else:
            self._verdict(self.tr("THE AUDIT TRAIL SHOWS PROBLEMS"), theme.FAIL_COLOUR)
        self.ctx.events.audit_checked.emit(list(report.findings))

    def _trail_failed(self, exc: BaseException) -> None:
        self.trail_button.setEnabled(True)
        self._failed(exc)

    # --- a PDF ------------------------------------------------------------------------------

    def choose_pdf(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a signed PDF"), "", self.tr("PDF files (*.pdf)")
        )
        if chosen:
            self.check_pdf(Path(chosen))

    def check_pdf(self, path: Path) -> None:
        self.stop_scan()
        self.subject.setText(str(path))
        self.page_view.clear()
        self._verdict(self.tr("Checking…"), theme.REVIEW_COLOUR)
        station = self.ctx.station
        self.ctx.run(lambda: verify.verify_pdf(path, station), self.show_result, self._failed)
        self.ctx.run(lambda: first_page(path), self._show_page)

    def _show_page(self, image: QImage | None) -> None:
        if image is not None:
            self.page_view.setPixmap(
                QPixmap.fromImage(image).scaledToWidth(
                    self.page_view.width(), Qt.TransformationMode.SmoothTransformation
                )
            )

    # --- a QR code --------------------------------------------------------------------------

    def check_payload(self) -> None:
        text = self.payload.text().strip()
        if not text:
            return
        self.stop_scan()
        self.subject.setText(self.tr("QR code text"))
        self.page_view.clear()
        station = self.ctx.station
        self.ctx.run(lambda: verify.verify_qr(text, station), self.show_result, self._failed)

    def start_scan(self) -> None:
        if self.ctx.camera is None:
            self.show_unreadable(Unverifiable("no camera: connect the microscope"))
            return
        self.page_view.clear()
        self.lines.clear()
        self.subject.setText(self.tr("Certificate under the camera"))
        self._verdict(self.tr("Looking for the QR code…"), theme.REVIEW_COLOUR)
        self._scan_until = time.monotonic() + SCAN_SECONDS
        self.scan_timer.start()
        self._scan_once()

    def stop_scan(self) -> None:
        self.scan_timer.stop()

    def _scan_once(self) -> None:
        if self._scan_busy:
            return
        if time.monotonic() > self._scan_until:
            self.stop_scan()
            self.show_unreadable(
                Unverifiable(
                    "no qcstation QR code was seen: hold the certificate flat under the "
                    "camera, QR code in the middle, at the lowest magnification"
                )
            )
            return
        frame = self.ctx.camera.current_frame() if self.ctx.camera is not None else None
        if frame is None:
            return
        self._scan_busy = True
        station = self.ctx.station
        self.ctx.run(
            lambda: verify.verify_qr_image(frame.copy(), station),
            self._scanned,
            self._scan_missed,
        )

    def _scanned(self, result: Verification) -> None:
        self._scan_busy = False
        self.stop_scan()
        self.show_result(result)

    def _scan_missed(self, exc: BaseException) -> None:
        self._scan_busy = False
        if not isinstance(exc, Unverifiable):
            self.stop_scan()
            self.ctx.errors.report(exc)
        # No code in this frame: the timer tries the next one until the time is up.

    def hideEvent(self, event: Any) -> None:
        self.stop_scan()
        super().hideEvent(event)
