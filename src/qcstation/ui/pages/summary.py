"""The end of a checklist: the verdict so far, what is still missing, and Complete."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Inspection, Missing, Verdict
from qcstation.domain.summaries import Completion
from qcstation.domain.templates import label_of
from qcstation.services import inspections
from qcstation.services.errors import Conflict
from qcstation.services.inspections import Incomplete
from qcstation.ui.context import UiContext
from qcstation.ui.documents import DocumentActions
from qcstation.ui.pages.checklist import step_label
from qcstation.ui.tasks import Owner
from qcstation.ui.widgets import button, muted, shortcut, title
from qcstation.ui.wrapping_list import WrappingList

VERDICT_TEXT = {Verdict.PASS: "PASS", Verdict.FAIL: "FAIL", Verdict.NEEDS_REVIEW: "NEEDS REVIEW"}


class SummaryPage(QWidget):
    back_requested = Signal(object)  # (item_id, position) to go to, or None
    completed = Signal(object)  # Completion
    next_requested = Signal()

    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("summary-page")
        self.inspection: Inspection | None = None
        self.done: Completion | None = None
        self._completing = False  # a completion is on its way to the service
        self.heading = title(self.tr("Summary"))
        self.verdict = QLabel()
        self.verdict.setObjectName("verdict-pass")
        self.counts = muted()
        self.missing = WrappingList("missing-list")
        self.missing.itemActivated.connect(self._jump)
        self.defects = WrappingList("defect-list")
        self.back = button(self.tr("Back to the checklist"), "Esc")
        self.complete = button(self.tr("Complete inspection"), "Ctrl+Enter", "pass-button")
        self.next = button(self.tr("Next piece"), "Enter")
        self.sign_button = button(self.tr("Sign…"), "Ctrl+S")
        self.sign_button.setObjectName("sign-button")
        self.sign_button.clicked.connect(self.sign)
        self.docs = DocumentActions(ctx, self)
        self.docs.signed.connect(self._signed)
        self.back.clicked.connect(lambda: self.back_requested.emit(None))
        self.complete.clicked.connect(self.on_complete)
        self.next.clicked.connect(self.next_requested.emit)
        row = QHBoxLayout()
        for b in (self.back, self.complete, self.sign_button, self.next):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.verdict)
        layout.addWidget(self.counts)
        layout.addWidget(muted(self.tr("Still to do (Enter on a line goes there)")))
        layout.addWidget(self.missing, 1)
        layout.addWidget(muted(self.tr("Defects logged")))
        layout.addWidget(self.defects, 1)
        layout.addLayout(row)
        shortcut(self, "Ctrl+Return", self.on_complete)
        shortcut(self, "Ctrl+Enter", self.on_complete)
        shortcut(self, "Escape", self._escape)
        shortcut(self, "Ctrl+S", self.sign)

    def sign(self) -> None:
        """The inspector's own signature, "performed", with the password re-entered; the
        signed report can be saved or printed with the same entry."""
        if self.done is None:
            self.ctx.errors.report(
                Conflict("complete the inspection first (Ctrl+Enter): it is signed once completed")
            )
            return
        if not self.sign_button.isEnabled():
            self.ctx.errors.report(Conflict("you have signed this inspection already"))
            return
        what = self.inspection.job_ticket if self.inspection else ""
        self.docs.sign(self.done.inspection_id, performed_by_me=True, what=what)

    def _signed(self, _inspection_id: str) -> None:
        self.sign_button.setEnabled(False)
        self.sign_button.setText(self.tr("Signed"))
        self.next.setFocus()

    def _escape(self) -> None:
        if self.done is None:
            self.back_requested.emit(None)

    def show_inspection(self, inspection: Inspection) -> None:
        self.inspection, self.done, self._completing = inspection, None, False
        verdict = inspection.current_verdict()
        self.heading.setText(
            self.tr("Summary — {0} {1}").format(inspection.job_ticket, inspection.sku)
        )
        self._show_verdict(verdict, final=False)
        answered, total = inspection.progress()
        self.counts.setText(
            self.tr("{0} of {1} answered, {2} defect(s)").format(
                answered, total, len(inspection.defects)
            )
        )
        self._show_missing(inspection, inspection.missing())
        self.defects.clear()
        for d in inspection.defects:
            where = (
                f" — {label_of(inspection.template, d.item_id, d.position)}" if d.item_id else ""
            )
            note = f": {d.note}" if d.note else ""
            self.defects.addItem(
                f"{d.code} ({d.severity.value}, {d.disposition.value.replace('_', ' ')})"
                f"{where}{note}"
            )
        ready = self.missing.count() == 0
        self.complete.setEnabled(ready)
        self.complete.setVisible(True)
        self.next.setVisible(False)
        self.sign_button.setVisible(False)
        self.sign_button.setText(self.tr("Sign…  [Ctrl+S]"))
        self.back.setVisible(True)
        if ready:
            self.complete.setFocus()
        else:
            self.missing.setFocus()
            self.missing.setCurrentRow(0)

    def _show_missing(self, inspection: Inspection, missing: list[Missing]) -> None:
        self.missing.clear()
        for m in missing:
            label = step_label(inspection.template.item(m.item_id), m.position)
            row = QListWidgetItem(f"{label} — {m.reason}")
            row.setData(Qt.ItemDataRole.UserRole, (m.item_id, m.position))
            self.missing.addItem(row)

    def _show_verdict(self, verdict: Verdict, final: bool) -> None:
        self.verdict.setObjectName(f"verdict-{verdict.value}")
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)
        word = self.tr(VERDICT_TEXT[verdict])
        self.verdict.setText(word if final else self.tr("If completed now: {0}").format(word))

    def _jump(self, row: QListWidgetItem) -> None:
        self.back_requested.emit(row.data(Qt.ItemDataRole.UserRole))

    def on_complete(self) -> None:
        # With something missing the button is greyed, but the key still asks the service,
        # so the refusal comes back in words naming each item and what it needs.
        if self.inspection is None or self.done is not None or self._completing:
            return
        self._completing = True
        self.complete.setEnabled(False)
        station, actor, ins_id = self.ctx.station, self.ctx.actor, self.inspection.id
        self.ctx.run(
            lambda: inspections.complete(station, actor, ins_id),
            self._completed,
            self._failed,
            owner=Owner(ins_id),
            applies=self._shows,
        )

    def _shows(self, owner: Owner) -> bool:
        return self.inspection is not None and self.inspection.id == owner.inspection_id

    def _failed(self, exc: BaseException) -> None:
        self._completing = False
        if isinstance(exc, Incomplete) and self.inspection is not None:
            self._show_missing(self.inspection, exc.missing)
        self.complete.setEnabled(self.missing.count() == 0)
        self.ctx.errors.report(exc)

    def _completed(self, done: Completion) -> None:
        self._completing = False
        self.done = done
        self._show_verdict(done.verdict, final=True)
        self.heading.setText(
            self.tr("Completed — {0}").format(self.inspection.job_ticket if self.inspection else "")
        )
        self.complete.setVisible(False)
        self.back.setVisible(False)
        self.sign_button.setVisible(True)
        self.sign_button.setEnabled(True)
        self.next.setVisible(True)
        self.next.setDefault(True)
        self.next.setFocus()
        self.completed.emit(done)
        self.ctx.events.inspection_completed.emit(done.inspection_id)
