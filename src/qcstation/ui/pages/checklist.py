"""The checklist of one inspection: every item in a list, the current one large, the camera beside.

Every answer is saved the moment it is given: one service call, committed, on the one
database worker, so saves are stored and come back in the order they were given. The
screen does not wait for a save: it moves to the next open item at once and marks the
answered row "…" until the save returns. Each save carries what it belongs to (this
opening of this inspection, the item, the position); its result is applied to that row,
whatever is on screen by then, and what the list, the status line and the progress say
is what the service reports it stored.

Two answers wait for their save: a fail whose item needs a defect (its defect form opens
for that item when the save returns), and an answer the item will refuse (the message
comes back while the item is still on screen). Until then the checklist holds: a key that
would move on or answer is refused with a beep and a line saying why, never lost unseen.

A recorded fail changes only on purpose: another answer on a failed item asks first
(Enter changes it, the reason going into the audit trail; Esc keeps the fail). A fail
whose defect form was cancelled says so on its row and its status line, and D opens the
form again (from a reading field too: a reading never holds a letter).

F7 (or the item's "Read from <instrument>" button) reads the station's balance or caliper
into the measurement on screen: ui/pages/checklist_instruments.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Answer, Inspection, Outcome, Verdict, positions_of
from qcstation.domain.summaries import AnswerOutcome
from qcstation.domain.templates import ChecklistItem, step_label
from qcstation.services import inspections
from qcstation.services.inspections import EvidenceInfo
from qcstation.services.problems import is_known
from qcstation.ui.context import UiContext
from qcstation.ui.pages import checklist_marks as marks
from qcstation.ui.pages.checklist_instruments import InstrumentReader
from qcstation.ui.pages.defect_dialog import DefectDialog
from qcstation.ui.pages.item_editor import ItemEditor
from qcstation.ui.tasks import Owner
from qcstation.ui.widgets import VerticalScroll, button, muted, shortcut
from qcstation.ui.wrapping_list import WrappingList

Step = tuple[ChecklistItem, int | None, str]  # item, position, section title
Key = tuple[str, int | None]  # item id, position

# The audit trail's words for a deliberate change of a recorded fail (not translated: the
# trail is read by auditors in the plant's one language).
CHANGED_TO = {Outcome.PASS: "pass", Outcome.NA: "not applicable", Outcome.RECORDED: "recorded"}


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
        self._rows: dict[Key, int] = {}
        self._opening = 0  # one per open(): results of an earlier opening are dropped
        self._sending: dict[Key, list[Answer]] = {}  # given, not yet back from the worker
        self._refreshing: list[Key] = []  # items a form changed, being fetched again
        self._photos: dict[Key, int] = {}  # stored photos per item, answered or not
        self._held: Key | None = None  # the item whose save the checklist waits for
        self._holds_for_defect = False  # ... because its defect form comes next
        self._summary_waiting = False
        self.header = QLabel()
        self.header.setObjectName("checklist-header")
        self.header.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.verdict = muted()
        self.notice = QLabel()
        self.notice.setObjectName("checklist-notice")
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.list = WrappingList("item-list")  # every item's whole name, wrapped
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.currentRowChanged.connect(self._row_clicked)
        self.editor = ItemEditor()
        self.editor.answered.connect(self.on_answered)
        self.instruments = InstrumentReader(self, parent=self)
        self.editor.instrument_for = self.instruments.instrument_name
        self.editor.read_requested.connect(self.instruments.read_instrument)
        back = button(self.tr("Back"), "←")
        nxt = button(self.tr("Next"), "→")
        defect = button(self.tr("Defect…"), "D")
        done = button(self.tr("Summary"), "Ctrl+↵")  # Ctrl+Enter; the glyph keeps 1280 px
        back.clicked.connect(self.go_back)
        nxt.clicked.connect(self.go_next)
        defect.clicked.connect(self.log_defect)
        done.clicked.connect(self.show_summary)
        nav = QHBoxLayout()
        for w in (back, nxt, defect, done):
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
        centre_layout.addWidget(self.notice)
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
            ("D", self.log_defect),
            ("Left", self.go_back),
            ("PgUp", self.go_back),
            ("Right", self.go_next),
            ("PgDown", self.go_next),
            ("Ctrl+Return", self.show_summary),
            ("Ctrl+Enter", self.show_summary),
            (ItemEditor.READ_KEY, self.instruments.read_instrument),
        ):
            shortcut(self, key, slot)
        for n in range(1, 10):
            shortcut(self, str(n), lambda n=n: self.editor.choose(n - 1))

    # --- loading ---------------------------------------------------------------------------

    def open(self, inspection: Inspection) -> None:
        self._opening += 1
        self.inspection = inspection
        self._sending, self._refreshing = {}, []
        self._held, self._summary_waiting = None, False
        self._photos = {k: a.photos for k, a in inspection.answers.items()}
        self.steps = steps_of(inspection)
        self._rows = {(item.id, pos): i for i, (item, pos, _) in enumerate(self.steps)}
        self.say("")
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
        # Photos of items not answered yet (a resumed inspection) are not in its answers.
        station, ins_id = self.ctx.station, inspection.id
        self.ctx.run(
            lambda: inspections.evidence_of(station, ins_id),
            self._photos_counted,
            owner=self.owner(),
            applies=self.owns,
        )

    def owns(self, owner: Owner) -> bool:
        """Whether a result still belongs on this page: the same opening of the inspection."""
        return (
            self.inspection is not None
            and owner.inspection_id == self.inspection.id
            and owner.generation == self._opening
        )

    def owner(self, key: Key | None = None) -> Owner:
        assert self.inspection is not None
        item_id, pos = key if key is not None else (None, None)
        return Owner(self.inspection.id, item_id, pos, self._opening)

    def current_owner(self) -> Owner | None:
        """What a capture for the item on screen belongs to (None: no inspection open)."""
        if self.inspection is None or not self.steps:
            return None
        return self.owner(self.key_at(self.index))

    @property
    def held(self) -> Key | None:
        """The item whose save the checklist waits for before it goes on, if any."""
        return self._held

    def key_at(self, index: int) -> Key:
        item, pos, _ = self.steps[index]
        return item.id, pos

    def _step(self, key: Key) -> Step:
        return self.steps[self._rows[key]]

    # --- what the screen shows ---------------------------------------------------------------

    def _refill_list(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for _ in self.steps:
            self.list.addItem(QListWidgetItem())
        self.list.blockSignals(False)
        for key in self._rows:
            self._refresh_row(key)
        self._update_progress()

    def _refresh_row(self, key: Key) -> None:
        assert self.inspection is not None
        item, pos, _ = self._step(key)
        text, colour = marks.row_text(
            item,
            pos,
            self.inspection.answers.get(key),
            self.inspection.defects,
            self._on_its_way(key),
        )
        entry = self.list.item(self._rows[key])
        entry.setText(text)
        entry.setToolTip(text)
        entry.setForeground(QColor(colour) if colour else self.palette().text().color())

    def _status_text(self, key: Key) -> str:
        assert self.inspection is not None
        if self._held == key:
            return self.tr("Saving… (the defect form opens when it is stored)")
        if self._on_its_way(key):
            return self.tr("Saving…")
        item, _pos, _ = self._step(key)
        answer = self.inspection.answers.get(key)
        recorded = self.editor.recorded_text(answer)
        return marks.status_text(item, recorded, answer, self.inspection.defects)

    def _on_its_way(self, key: Key) -> bool:
        return bool(self._sending.get(key)) or key in self._refreshing

    def _refresh_current(self) -> None:
        """The status line and photo count of the item on screen; its fields stay as typed."""
        if self.inspection is None or not self.steps:
            return
        key = self.key_at(self.index)
        self.editor.status.setText(self._status_text(key))
        self.editor.show_photos(self.photos_for(*key))

    def _update_progress(self) -> None:
        assert self.inspection is not None
        answered, total = self.inspection.progress()
        self._show_progress(answered, total, self.inspection.current_verdict())

    def _show_progress(self, answered: int, total: int, verdict: Verdict) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(answered)
        self.progress.setFormat(self.tr("{0} of {1} answered").format(answered, total))
        self.verdict.setText(self.tr("So far: {0}").format(verdict.value.replace("_", " ")))

    def say(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def photos_for(self, item_id: str, pos: int | None) -> int:
        return self._photos.get((item_id, pos), 0)

    # --- moving ----------------------------------------------------------------------------

    def go_to(self, index: int) -> None:
        if not self.steps or self.inspection is None:
            return
        self.index = max(0, min(index, len(self.steps) - 1))
        item, pos, section = self.steps[self.index]
        key = (item.id, pos)
        previous = self.inspection.answers.get(key)
        self.editor.show_item(
            item, pos, section, step_label(item, pos), previous, self.photos_for(*key)
        )
        self.editor.status.setText(self._status_text(key))
        for field in self.editor.readings:
            field.installEventFilter(self)  # D logs a defect from a reading field too
        self.list.blockSignals(True)
        self.list.setCurrentRow(self.index)
        self.list.blockSignals(False)
        self._summary_waiting = False  # moving to an item is a change of mind
        if self._held is None:
            self.say("")
        self.editor.focus_entry()

    def refused(self) -> bool:
        """While a save is awaited, a key that would move on or answer is refused, audibly
        and in words (it is not kept: by the time the save returns it may mean another thing)."""
        if self._held is None:
            return False
        item, pos, _ = self._step(self._held)
        QApplication.beep()
        self.say(
            self.tr("Wait a moment: “{0}” is being saved; {1}").format(
                step_label(item, pos),
                self.tr("its defect form opens next.")
                if self._holds_for_defect
                else self.tr("then you can go on."),
            )
        )
        return True

    def _row_clicked(self, row: int) -> None:
        if row < 0:
            return
        if self.refused():
            self.list.blockSignals(True)
            self.list.setCurrentRow(self.index)
            self.list.blockSignals(False)
            return
        self.go_to(row)

    def go_back(self) -> None:
        if not self.refused():
            self.go_to(self.index - 1)

    def go_next(self) -> None:
        if self.refused():
            return
        if self.index >= len(self.steps) - 1:
            self.show_summary()
        else:
            self.go_to(self.index + 1)

    def next_open(self) -> None:
        """The next item with no answer (given or stored) after this one, else the summary."""
        assert self.inspection is not None
        for i in list(range(self.index + 1, len(self.steps))) + list(range(self.index)):
            key = self.key_at(i)
            if key not in self.inspection.answers and not self._sending.get(key):
                self.go_to(i)
                return
        self.show_summary()

    def show_summary(self) -> None:
        if self.inspection is None or self.refused():
            return
        in_flight = sum(len(v) for v in self._sending.values()) + len(self._refreshing)
        if in_flight:  # the summary shows what is stored: it comes when the saves are back
            self._summary_waiting = True
            self.say(self.tr("Saving {0} answer(s); the summary follows.").format(in_flight))
            return
        self._summary_waiting = False
        self.say("")
        self.summary_requested.emit(self.inspection)

    # --- answering ---------------------------------------------------------------------------

    def on_answered(self, answer: Answer) -> None:
        if self.inspection is None or self.refused():
            return
        key = (answer.item_id, answer.position)
        item, _pos, _ = self._step(key)
        latest = self._latest(key)
        # Asked whatever the photos: one may be on its way, and a fail must not turn into
        # a pass unasked because the page had not heard of it yet.
        photos = max(self.photos_for(*key), 1)
        new = marks.judged(item, replace(answer, photos=photos))
        if marks.judged(item, latest) is Outcome.FAIL and new in CHANGED_TO:
            self._ask_to_change_fail(item, answer, new)
            return
        self._send(item, answer)

    def _latest(self, key: Key) -> Answer | None:
        """The answer last given for an item: on its way, or stored."""
        assert self.inspection is not None
        sending = self._sending.get(key)
        return sending[-1] if sending else self.inspection.answers.get(key)

    def _ask_to_change_fail(self, item: ChecklistItem, answer: Answer, new: Outcome) -> None:
        box, change = marks.change_fail_question(self, step_label(item, answer.position), new)
        owner = self.owner((answer.item_id, answer.position))
        reason = f"a recorded fail changed to {CHANGED_TO[new]} at the bench"

        def decided(_result: int) -> None:
            self._give_back_keyboard()
            if box.clickedButton() is change and self.owns(owner):
                self._send(item, answer, reason)

        box.finished.connect(decided)
        box.open()

    def _send(self, item: ChecklistItem, answer: Answer, reason: str = "") -> None:
        assert self.inspection is not None
        key = (answer.item_id, answer.position)
        predicted = replace(answer, photos=self.photos_for(*key))
        outcome = marks.judged(item, predicted)
        self._holds_for_defect = outcome is Outcome.FAIL and marks.needs_defect(
            item, predicted, self.inspection.defects
        )
        waits = outcome is None or self._holds_for_defect
        self._sending.setdefault(key, []).append(answer)
        owner = self.owner(key)
        station, actor, ins_id = self.ctx.station, self.ctx.actor, self.inspection.id
        self.ctx.run(
            lambda: inspections.record_answer(station, actor, ins_id, answer, reason),
            lambda result: self._saved(owner, result),
            lambda exc: self._not_saved(owner, exc),
            owner=owner,
            applies=self.owns,
        )
        self._refresh_row(key)
        if waits:
            self._held = key
            self._refresh_current()
        else:
            self.next_open()

    def _arrived(self, key: Key) -> bool:
        """A save for ``key`` is back; True when it was the last one on its way for it."""
        sending = self._sending.get(key, [])
        if sending:
            sending.pop(0)
        if not sending:
            self._sending.pop(key, None)
        return not sending

    def _saved(self, owner: Owner, result: AnswerOutcome) -> None:
        assert self.inspection is not None and owner.key is not None and result.answer
        key = owner.key
        last = self._arrived(key)
        self.inspection.answers[key] = result.answer
        self._photos[key] = result.answer.photos
        self._refresh_row(key)
        self._show_progress(result.answered, result.total, result.verdict_so_far)
        self.ctx.events.inspection_changed.emit(self.inspection.id)
        item, _pos, _ = self._step(key)
        was_held = self._held == key and last
        if was_held:
            self._held = None
            self.say("")
        on_screen = self.key_at(self.index) == key
        if on_screen:
            self._refresh_current()
        if last and marks.needs_defect(item, result.answer, self.inspection.defects):
            self._open_form_for(key)
        elif was_held and on_screen:
            self.next_open()
        self._summary_if_waiting()

    def _not_saved(self, owner: Owner, exc: BaseException) -> None:
        assert owner.key is not None
        key = owner.key
        last = self._arrived(key)
        self._refresh_row(key)
        if self._held == key and last:
            self._held = None
        self._summary_waiting = False  # the person reads this first
        self.say("")
        if self.key_at(self.index) == key:
            self._refresh_current()
        item, pos, _ = self._step(key)
        if is_known(exc):  # say which item: the inspector may be two items further by now
            exc.args = (self.tr("“{0}” was not saved: {1}").format(step_label(item, pos), exc),)
        self.ctx.errors.report(exc)

    def _summary_if_waiting(self) -> None:
        if (
            self._summary_waiting
            and not self._sending
            and not self._refreshing
            and self._held is None
        ):
            self.show_summary()

    # --- defects -------------------------------------------------------------------------------

    def log_defect(self) -> None:
        """D: the defect form for the item on screen."""
        if self.inspection is None or not self.steps or self.refused():
            return
        item, pos, _ = self.steps[self.index]
        self.open_defect_form(item, pos)

    def _open_form_for(self, key: Key) -> None:
        """A fail that needs its defect is back: the form opens for that item, which the
        checklist shows first if the inspector had moved on."""
        if self.key_at(self.index) != key:
            self.go_to(self._rows[key])
        item, pos, _ = self._step(key)
        self.open_defect_form(item, pos)

    def open_defect_form(self, item: ChecklistItem | None = None, pos: int | None = None) -> None:
        assert self.inspection is not None
        owner = self.owner((item.id, pos) if item is not None else None)
        dialog = DefectDialog(self.ctx, self.inspection, item, pos, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.defect_logged.connect(lambda defect: self._defect_logged(owner, defect))
        dialog.finished.connect(lambda result: self._dialog_closed(owner, result))
        dialog.open()

    def _defect_logged(self, owner: Owner, _logged: object) -> None:
        """The form stored a defect (and maybe its photo): the item shows "…" until the
        inspection is fetched again, so its row says what the database says."""
        if not self.owns(owner):
            return
        assert self.inspection is not None
        self.ctx.events.inspection_changed.emit(self.inspection.id)
        self._reload(owner.key)

    def _dialog_closed(self, owner: Owner, result: int) -> None:
        if self.owns(owner) and owner.key is not None and self.key_at(self.index) == owner.key:
            assert self.inspection is not None
            if result == QDialog.DialogCode.Accepted and owner.key in self.inspection.answers:
                self.next_open()  # the fail has its defect: on to the next open item
            else:  # cancelled (or a defect on an item not answered yet): the item stays
                self.go_to(self.index)
        self._give_back_keyboard()

    def _give_back_keyboard(self) -> None:
        """Give the keyboard back to the checklist once a form or question is gone: after
        the window is active again and the item's new fields are shown (before that, Qt
        hands it to the window's first button)."""
        QTimer.singleShot(0, self, self._take_keyboard)  # not once self is gone

    def _take_keyboard(self) -> None:
        self.window().activateWindow()
        if self.isVisible():  # not when the answer just given led on to the summary
            self.editor.focus_entry()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_D
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            and watched in self.editor.readings
        ):
            self.log_defect()
            return True
        return super().eventFilter(watched, event)

    # --- refreshing from the database ---------------------------------------------------------

    def _reload(self, key: Key | None = None) -> None:
        """Fetch the inspection again: what a form stored beside the answers (for ``key``)."""
        assert self.inspection is not None
        station, ins_id = self.ctx.station, self.inspection.id
        owner = self.owner(key)
        if key is not None:
            self._refreshing.append(key)
            self._refresh_row(key)
        self.ctx.run(
            lambda: (inspections.get(station, ins_id), inspections.evidence_of(station, ins_id)),
            lambda fetched: self._reloaded(owner, fetched),
            owner=owner,
            applies=self.owns,
        )

    def _reloaded(self, owner: Owner, fetched: tuple[Inspection, list[EvidenceInfo]]) -> None:
        # Results come back in the order the work was committed, so this is everything
        # stored up to now; answers still on their way keep their "…".
        if owner.key in self._refreshing:
            self._refreshing.remove(owner.key)
        self.inspection, evidence = fetched
        self._photos_counted(evidence)
        self._summary_if_waiting()

    def _photos_counted(self, evidence: list[EvidenceInfo]) -> None:
        assert self.inspection is not None
        counts = Counter((e.item_id, e.position) for e in evidence if e.item_id is not None)
        self._photos = {(str(i), p): n for (i, p), n in counts.items()}
        answers = self.inspection.answers
        for key, a in list(answers.items()):
            answers[key] = replace(a, photos=self._photos.get(key, 0))
        for key in self._rows:
            self._refresh_row(key)
        self._update_progress()
        self._refresh_current()

    def photo_attached(self, item_id: str | None, pos: int | None) -> None:
        """The camera stored a photo for this item: count it and refresh what shows."""
        if item_id is None or self.inspection is None:
            return
        key = (item_id, pos)
        if key not in self._rows:
            return
        self._photos[key] = self.photos_for(item_id, pos) + 1
        answer = self.inspection.answers.get(key)
        if answer is not None:
            self.inspection.answers[key] = replace(answer, photos=self._photos[key])
        self._refresh_row(key)
        self._update_progress()
        if self.key_at(self.index) == key:
            self._refresh_current()

    def current_target(self) -> tuple[str | None, int | None]:
        if not self.steps:
            return None, None
        return self.key_at(self.index)
