"""The checklist of one inspection: every item in a list, the current one large, the camera beside.

Every answer is saved the moment it is given (one service call, committed); the list and
the progress bar follow from what the service says changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Answer, Inspection, Outcome, evaluate, positions_of
from qcstation.domain.summaries import AnswerOutcome
from qcstation.domain.templates import ChecklistItem, FollowUp, step_label
from qcstation.services import inspections
from qcstation.ui.context import UiContext
from qcstation.ui.pages.defect_dialog import DefectDialog
from qcstation.ui.pages.item_editor import ItemEditor
from qcstation.ui.theme import FAIL_COLOUR, PASS_COLOUR
from qcstation.ui.widgets import VerticalScroll, button, muted, shortcut
from qcstation.ui.wrapping_list import WrappingList

Step = tuple[ChecklistItem, int | None, str]  # item, position, section title


def steps_of(ins: Inspection) -> list[Step]:
    return [
        (item, pos, section.title)
        for section in ins.template.sections
        for item in section.items
        for pos in positions_of(item, ins.position_counts)
    ]


class ChecklistPage(QWidget):
    summary_requested = Signal(object)  # Inspection

    def __init__(
        self, ctx: UiContext, camera: QWidget | None = None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("checklist-page")
        self.inspection: Inspection | None = None
        self.steps: list[Step] = []
        self.index = 0
        self.busy = False
        # photos stored for an item not answered yet (an answer row carries its own count)
        self._captured: dict[tuple[str, int | None], int] = {}
        self.header = QLabel()
        self.header.setObjectName("checklist-header")
        self.header.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.verdict = muted()
        self.list = WrappingList("item-list")  # every item's whole name, wrapped
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.currentRowChanged.connect(self._row_clicked)
        self.editor = ItemEditor()
        self.editor.answered.connect(self.on_answered)
        back = button(self.tr("Back"), "←")
        nxt = button(self.tr("Next"), "→")
        done = button(self.tr("Summary"), "Ctrl+Enter")
        back.clicked.connect(self.go_back)
        nxt.clicked.connect(self.go_next)
        done.clicked.connect(self.show_summary)
        nav = QHBoxLayout()
        for w in (back, nxt, done):
            nav.addWidget(w)
        # The item in hand above the rest of the checklist, the camera beside them: the
        # live picture keeps the larger share of a 1280-pixel screen. A long prompt scrolls
        # on a low screen instead of being drawn over the buttons.
        editing = VerticalScroll(self.editor, "item-scroll")
        editing.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        centre = QWidget()
        centre.setObjectName("checklist-centre")
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(editing)
        centre_layout.addLayout(nav)
        centre_layout.addWidget(self.list, 1)
        split = QSplitter()
        split.setObjectName("checklist-split")
        split.addWidget(centre)
        if camera is not None:
            split.addWidget(camera)
        # Shares, not pixels: the split stays put from item to item (a wide choice does
        # not push the camera aside) and follows the window when it is resized.
        split.setSizes([2_000, 3_000])
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.verdict)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(split, 1)
        for key, slot in (
            ("P", self.editor.give_pass),
            ("+", self.editor.give_pass),
            ("F", self.editor.give_fail),
            ("-", self.editor.give_fail),
            ("N", self.editor.give_na),
            ("Left", self.go_back),
            ("PgUp", self.go_back),
            ("Right", self.go_next),
            ("PgDown", self.go_next),
            ("Ctrl+Return", self.show_summary),
            ("Ctrl+Enter", self.show_summary),
        ):
            shortcut(self, key, slot)
        for n in range(1, 10):
            shortcut(self, str(n), lambda n=n: self.editor.choose(n - 1))

    # --- loading ---------------------------------------------------------------------------

    def open(self, inspection: Inspection) -> None:
        self.inspection = inspection
        self._captured = {}
        self.steps = steps_of(inspection)
        t = inspection.template
        subject = inspection.serial or (
            self.tr("lot of {0}").format(inspection.lot_size) if inspection.lot_size else ""
        )
        rest = [inspection.sku, subject, t.stage.label, f"{t.name} v{t.version}"]
        self.header.setText(
            " · ".join([f"<b>{inspection.job_ticket}</b>", *(part for part in rest if part)])
        )
        self._refill_list()
        first_open = next(
            (
                i
                for i, (it, pos, _) in enumerate(self.steps)
                if (it.id, pos) not in inspection.answers
            ),
            0,
        )
        self.go_to(first_open)

    def _answer_mark(self, item: ChecklistItem, pos: int | None) -> tuple[str, str | None]:
        assert self.inspection is not None
        answer = self.inspection.answers.get((item.id, pos))
        if answer is None:
            return "○", None
        try:
            outcome = evaluate(item, answer).outcome
        except ValueError:
            return "?", None
        return {
            Outcome.PASS: ("✓", PASS_COLOUR),
            Outcome.FAIL: ("✗", FAIL_COLOUR),
            Outcome.NA: ("–", None),
            Outcome.RECORDED: ("✓", PASS_COLOUR),
        }[outcome]

    def _refill_list(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for item, pos, _ in self.steps:
            entry = QListWidgetItem()
            self.list.addItem(entry)
            self._mark(entry, item, pos)
        self.list.blockSignals(False)
        self._update_progress()

    def _mark(self, entry: QListWidgetItem, item: ChecklistItem, pos: int | None) -> None:
        mark, colour = self._answer_mark(item, pos)
        entry.setText(f"{mark}  {step_label(item, pos)}")
        entry.setForeground(QColor(colour) if colour else self.palette().text().color())

    def _update_progress(self, outcome: AnswerOutcome | None = None) -> None:
        assert self.inspection is not None
        answered, total = self.inspection.progress()
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(answered)
        self.progress.setFormat(self.tr("{0} of {1} answered").format(answered, total))
        verdict = outcome.verdict_so_far if outcome else self.inspection.current_verdict()
        self.verdict.setText(self.tr("So far: {0}").format(verdict.value.replace("_", " ")))

    # --- moving ----------------------------------------------------------------------------

    def go_to(self, index: int) -> None:
        if not self.steps or self.inspection is None:
            return
        self.index = max(0, min(index, len(self.steps) - 1))
        item, pos, section = self.steps[self.index]
        photos = self.photos_for(item.id, pos)
        previous = self.inspection.answers.get((item.id, pos))
        self.editor.show_item(item, pos, section, step_label(item, pos), previous, photos)
        self.list.blockSignals(True)
        self.list.setCurrentRow(self.index)
        self.list.blockSignals(False)
        self.editor.focus_entry()

    def photos_for(self, item_id: str, pos: int | None) -> int:
        assert self.inspection is not None
        answer = self.inspection.answers.get((item_id, pos))
        return max(answer.photos if answer else 0, self._captured.get((item_id, pos), 0))

    def _row_clicked(self, row: int) -> None:
        if row >= 0:
            self.go_to(row)

    def go_back(self) -> None:
        self.go_to(self.index - 1)

    def go_next(self) -> None:
        if self.index >= len(self.steps) - 1:
            self.show_summary()
        else:
            self.go_to(self.index + 1)

    def next_open(self) -> None:
        """After an answer: the next unanswered item after this one, else the summary."""
        assert self.inspection is not None
        for i in list(range(self.index + 1, len(self.steps))) + list(range(self.index)):
            item, pos, _ = self.steps[i]
            if (item.id, pos) not in self.inspection.answers:
                self.go_to(i)
                return
        self.show_summary()

    def show_summary(self) -> None:
        if self.inspection is not None:
            self.summary_requested.emit(self.inspection)

    # --- answering ---------------------------------------------------------------------------

    def on_answered(self, answer: Answer) -> None:
        if self.inspection is None or self.busy:
            return
        self.busy = True
        station, actor, ins_id = self.ctx.station, self.ctx.actor, self.inspection.id
        self.ctx.run(
            lambda: inspections.record_answer(station, actor, ins_id, answer),
            lambda outcome: self._saved(answer, outcome),
            self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.ctx.errors.report(exc)
        self.editor.focus_entry()

    def _saved(self, answer: Answer, outcome: AnswerOutcome) -> None:
        self.busy = False
        assert self.inspection is not None
        item, pos, _ = self.steps[self.index]
        stored = replace(answer, photos=self.photos_for(item.id, pos))
        self.inspection.answers[(answer.item_id, answer.position)] = stored
        self._mark(self.list.item(self.index), item, pos)
        self._update_progress(outcome)
        self.ctx.events.inspection_changed.emit(self.inspection.id)
        needs = item.on_fail.require
        if outcome.evaluation.outcome is Outcome.FAIL and FollowUp.DEFECT in needs:
            self.open_defect_form(item, pos)
        else:
            self.next_open()

    def open_defect_form(self, item: ChecklistItem | None = None, pos: int | None = None) -> None:
        assert self.inspection is not None
        dialog = DefectDialog(self.ctx, self.inspection, item, pos, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.defect_logged.connect(self._defect_logged)
        dialog.finished.connect(self._dialog_closed)
        dialog.open()

    def _dialog_closed(self, _result: int) -> None:
        """Give the keyboard back to the checklist once the form is gone."""
        self.window().activateWindow()
        self.editor.focus_entry()

    def _defect_logged(self, _defect: object) -> None:
        self.reload(then=self.next_open)

    def reload(self, then: Callable[[], None] | None = None) -> None:
        """Fetch the inspection again (defects and photos the dialog stored) and stay put."""
        assert self.inspection is not None
        station, ins_id, index = self.ctx.station, self.inspection.id, self.index

        def done(ins: Inspection) -> None:
            self.inspection = ins
            self._captured = {}
            self._refill_list()
            self.go_to(index)
            if then is not None:
                then()

        self.ctx.run(lambda: inspections.get(station, ins_id), done)

    def photo_attached(self, item_id: str | None, pos: int | None) -> None:
        """The camera stored a photo for this item: count it and refresh what shows."""
        if item_id is None:
            return
        key = (item_id, pos)
        self._captured[key] = self._captured.get(key, 0) + 1
        if self.inspection is not None and key in self.inspection.answers:
            a = self.inspection.answers[key]
            self.inspection.answers[key] = replace(a, photos=a.photos + 1)
        if self.steps and (self.steps[self.index][0].id, self.steps[self.index][1]) == key:
            self.go_to(self.index)

    def current_target(self) -> tuple[str | None, int | None]:
        if not self.steps:
            return None, None
        item, pos, _ = self.steps[self.index]
        return item.id, pos
