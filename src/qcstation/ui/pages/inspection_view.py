"""A past inspection, read-only: answers, defects and its evidence photos."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.holds import Hold
from qcstation.domain.inspections import (
    Decision,
    Inspection,
    Outcome,
    Status,
    evaluate,
    positions_of,
)
from qcstation.domain.nonconformance import ReworkChain
from qcstation.domain.numbers import format_readings
from qcstation.domain.signing import ESignature
from qcstation.domain.templates import MeasurementItem, PhotoItem
from qcstation.domain.users import Permission
from qcstation.domain.verdicts import shown as shown_verdict
from qcstation.services import (
    annotation_layers,
    holds,
    inspections,
    nonconformance,
    review,
    signing,
)
from qcstation.services.context import Station
from qcstation.services.errors import Conflict
from qcstation.services.inspections import EvidenceInfo
from qcstation.ui import i18n
from qcstation.ui.context import UiContext
from qcstation.ui.documents import PRINT_CERTIFICATE, PRINT_REPORT, SAVE_REPORT, DocumentActions
from qcstation.ui.pages.checklist import step_label
from qcstation.ui.pages.measure_dialog import MeasureDialog
from qcstation.ui.widgets import button, muted, shortcut, title


class InspectionDialog(QDialog):
    def __init__(self, ctx: UiContext, inspection_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("inspection-dialog")
        self.setWindowTitle(self.tr("Inspection"))
        self.resize(1000, 720)
        self.heading = title(self.tr("Loading…"))
        self.info = muted()
        self.answers = QTableWidget(0, 4)
        self.answers.setObjectName("answers-table")
        self.answers.setHorizontalHeaderLabels(
            [self.tr("Check"), self.tr("Result"), self.tr("Reading / value"), self.tr("Note")]
        )
        header = self.answers.horizontalHeader()
        for column in range(3):  # check, result, reading: as wide as their contents
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # the note: the rest
        self.answers.verticalHeader().setVisible(False)
        self.defects = muted()
        self.chain = muted()
        self.chain.setObjectName("rework-chain")
        self.photos = QHBoxLayout()
        strip = QWidget()
        strip.setLayout(self.photos)
        scroll = QScrollArea()
        scroll.setWidget(strip)
        scroll.setWidgetResizable(True)
        scroll.setMaximumHeight(190)
        self.signatures = muted()
        self.signatures.setObjectName("signatures")
        self.docs = DocumentActions(ctx, self)
        self.docs.signed.connect(lambda _id: self._load_signatures())
        self.sign_button = button(self.tr("Sign…"), "Ctrl+S")
        self.report_button = button(self.tr("Save report…"), "Ctrl+E")
        self.print_button = button(self.tr("Print report…"), "Ctrl+P")
        self.certificate_button = button(self.tr("Certificate…"), "Ctrl+Shift+P")
        self.sign_button.clicked.connect(self.sign)
        self.report_button.clicked.connect(lambda: self._document("export", "report"))
        self.print_button.clicked.connect(lambda: self._document("print", "report"))
        self.certificate_button.clicked.connect(lambda: self._document("print", "certificate"))
        shortcut(self, "Ctrl+S", self.sign)
        shortcut(self, "Ctrl+E", lambda: self._document("export", "report"))
        shortcut(self, "Ctrl+P", lambda: self._document("print", "report"))
        shortcut(self, "Ctrl+Shift+P", lambda: self._document("print", "certificate"))
        doc_row = QHBoxLayout()
        for b in (self.sign_button, self.report_button, self.print_button):
            doc_row.addWidget(b)
        if ctx.can(Permission.REVIEW):  # certificates are issued by QA, not at the bench
            doc_row.addWidget(self.certificate_button)
        else:
            self.certificate_button.hide()
        doc_row.addStretch(1)
        # Why the documents cannot be made yet, said before anyone presses a button.
        self.documents_note = muted()
        self.documents_note.setObjectName("documents-note")
        self.documents_note.hide()
        self._signatures: list[ESignature] = []
        self.inspection_id = inspection_id
        self.inspection: Inspection | None = None
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (self.heading, self.info):
            layout.addWidget(w)
        layout.addWidget(self.answers, 1)
        layout.addWidget(self.defects)
        layout.addWidget(self.chain)
        layout.addWidget(scroll)
        layout.addWidget(self.signatures)
        layout.addWidget(self.documents_note)
        layout.addLayout(doc_row)
        layout.addWidget(close)
        station = ctx.station
        ctx.run(
            lambda: (
                inspections.get(station, inspection_id),
                inspections.evidence_of(station, inspection_id),
                nonconformance.chain(station, inspection_id),
                holds.hold_of(station, inspection_id),
                review.decision_of(station, inspection_id),
            ),
            self._loaded,
        )

    def _loaded(
        self,
        loaded: tuple[Inspection, list[EvidenceInfo], ReworkChain, Hold, Decision | None],
    ) -> None:
        ins, evidence, chain, hold, decision = loaded
        self.inspection = ins
        why = self._why_not()
        self.documents_note.setText(why or "")
        self.documents_note.setVisible(bool(why))
        self._load_signatures()
        verdict = shown_verdict(ins.verdict, decision, ins.status.value)  # as History says
        self.heading.setText(f"{ins.job_ticket} · {ins.sku} · {ins.serial} — {verdict}")
        self.info.setText(
            self.tr("{0}, checklist {1} v{2}; by {3} at {4}; started {5}").format(
                ins.template.stage.label,
                ins.template.template,
                ins.template.version,
                ins.inspector,
                ins.station,
                f"{ins.started_at.astimezone():%Y-%m-%d %H:%M}" if ins.started_at else "",
            )
            # where an unfinished one is, or who abandoned it and why
            + (
                ""
                if ins.status is Status.COMPLETED
                else f"; {hold.describe(self.ctx.station.now())}"
            )
        )
        rows = [
            (item, pos)
            for item in ins.template.items()
            for pos in positions_of(item, ins.position_counts)
        ]
        self.answers.setRowCount(len(rows))
        decimal = i18n.decimal_separator()
        for r, (item, pos) in enumerate(rows):
            answer = ins.answers.get((item.id, pos))
            result, value, note = "—", "", ""
            if answer is not None:
                try:
                    ev = evaluate(item, answer)
                    result = ev.outcome.value
                    if isinstance(item, PhotoItem) and ev.outcome is Outcome.PASS:
                        result = self.tr("photo taken")  # evidence kept, not a check passed
                except ValueError:
                    result = "?"
                value = answer.value or ""
                if answer.readings and isinstance(item, MeasurementItem):
                    figures = format_readings(answer.readings, item.decimals, decimal)
                    value = f"{figures} {item.unit}"
                    if answer.instrument:
                        value += " — " + self.tr("read from {0}").format(answer.instrument)
                note = answer.note
            for c, text in enumerate((step_label(item, pos), result, value, note)):
                cell = QTableWidgetItem(text)
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.answers.setItem(r, c, cell)
        # the disposition decided after completion, where there is one
        step = next(s for s in chain.steps if s.inspection_id == ins.id)
        decided = [d for _code, d in step.dispositions] or [d.disposition for d in ins.defects]
        self.defects.setText(
            self.tr("Defects: {0}").format(
                "; ".join(
                    f"{d.code} ({d.severity.value}, {disposition.value.replace('_', ' ')})"
                    for d, disposition in zip(ins.defects, decided, strict=False)
                )
                or self.tr("none")
            )
        )
        self.chain.setText(chain_text(self, chain, ins.id))
        station = self.ctx.station
        for shown in evidence:
            self._load_photo(station, shown)

    # --- signatures and documents ------------------------------------------------------------

    def _why_not(self) -> str | None:
        """Why signing or a document cannot be done now, in words; None when it can."""
        ins = self.inspection
        if ins is None:
            return self.tr("The inspection is still loading: try again in a moment.")
        if ins.status is not Status.COMPLETED:
            answered, total = ins.progress()
            state = (
                self.tr("still in progress ({0} of {1} answered)").format(answered, total)
                if ins.status is Status.IN_PROGRESS
                else ins.status.value.replace("_", " ")
            )
            return self.tr(
                "This inspection is {0}: it is signed, and its report and certificate are "
                "made, once it is completed at the bench."
            ).format(state)
        return None  # who may issue documents: DocumentActions.may_issue says

    def _refuse(self, why: str) -> None:
        self.ctx.errors.report(Conflict(why))

    def _load_signatures(self) -> None:
        station, ins_id = self.ctx.station, self.inspection_id
        self.ctx.run(lambda: signing.signatures(station, ins_id), self._show_signatures)

    def _show_signatures(self, found: list[ESignature]) -> None:
        self._signatures = found
        self.signatures.setText(
            self.tr("Signatures: {0}").format(
                "; ".join(
                    f"{s.manifest.meaning.label} {s.manifest.printed_name} "
                    f"({s.manifest.local_time})"
                    for s in found
                )
                or self.tr("none yet")
            )
        )

    def _mine(self) -> bool:
        return (
            self.inspection is not None
            and self.ctx.user is not None
            and self.inspection.inspector == self.ctx.user.username
        )

    def _signed_by_me(self) -> bool:
        me = self.ctx.user.username if self.ctx.user is not None else None
        return any(s.manifest.username == me for s in self._signatures)

    def _what(self) -> str:
        ins = self.inspection
        assert ins is not None
        return f"{ins.job_ticket} · {ins.sku} · {ins.serial}".strip(" ·")

    def sign(self) -> None:
        why = self._why_not()
        if why is None and self._signed_by_me():
            why = self.tr("You have signed this inspection already.")
        if why is not None:
            self._refuse(why)
            return
        assert self.inspection is not None
        self.docs.sign(self.inspection.id, self._mine(), self._what())

    def _document(self, how: str, kind: str) -> None:
        why = self._why_not()
        if why is not None:
            self._refuse(why)
            return
        if not self.docs.may_issue():
            return  # said why, before a file or a password is asked
        assert self.inspection is not None
        wanted = {
            ("export", "report"): SAVE_REPORT,
            ("print", "report"): PRINT_REPORT,
            ("print", "certificate"): PRINT_CERTIFICATE,
        }[(how, kind)]
        paths: dict[str, Path] = {}
        if wanted == SAVE_REPORT:
            chosen, _ = QFileDialog.getSaveFileName(
                self,
                self.tr("Save the signed PDF"),
                str(self.docs.default_path("report", self.inspection.id)),
                self.tr("PDF files (*.pdf)"),
            )
            if not chosen:
                return
            paths[SAVE_REPORT] = Path(chosen)
        # signing is offered beside the document, so one password does both
        self.docs.issue(
            self.inspection.id,
            {wanted},
            performed_by_me=None if self._signed_by_me() else self._mine(),
            what=self._what(),
            paths=paths,
        )

    def _load_photo(self, station: Station, shown: EvidenceInfo) -> None:
        self.ctx.run(
            lambda: inspections.read_evidence(station, shown.sha256),
            lambda data: self._add_photo(data, shown),
            self._photo_failed,
        )

    def _add_photo(self, data: bytes, shown: EvidenceInfo | None = None) -> None:
        pix = QPixmap()
        pix.loadFromData(data)
        thumb = QToolButton()
        thumb.setObjectName("evidence-thumbnail")
        small = pix.scaledToHeight(160, Qt.TransformationMode.SmoothTransformation)
        thumb.setIcon(QIcon(small))
        thumb.setIconSize(small.size())
        thumb.setAutoRaise(True)
        if shown is not None and shown.media_type.startswith("image/"):
            thumb.setToolTip(self.tr("Open: measurements, export, golden sample"))
            thumb.clicked.connect(lambda: self.open_image(shown.id))
        self.photos.addWidget(thumb)

    def open_image(self, evidence_id: int) -> None:
        """The measuring editor, view-only for a closed inspection (export, compare, and a
        supervisor may make the image the golden sample)."""
        station = self.ctx.station
        self.ctx.run(
            lambda: annotation_layers.open_image(station, evidence_id),
            lambda opened: MeasureDialog(self.ctx, opened, None, self).open(),
        )

    def _photo_failed(self, exc: BaseException) -> None:
        self.photos.addWidget(muted(str(exc)))


def chain_text(widget: QWidget, chain: ReworkChain, inspection_id: str) -> str:
    """'Rework chain, step 2 of 3: fail (CST-POR: rework) → …', or '' for a lone inspection."""
    if len(chain.steps) < 2:
        return ""
    at = next(i for i, s in enumerate(chain.steps) if s.inspection_id == inspection_id) + 1
    return widget.tr("Rework chain, inspection {0} of {1}: {2}").format(
        at, len(chain.steps), chain.describe()
    )
