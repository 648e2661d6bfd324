"""A model of the checklist, held against the real window after every step.

The machine drives the real main window (the real ChecklistPage, its item editor and
defect form, the real services on a real SQLite station, the still camera) by keys only:
P + F - N, choices by digit, readings typed with a decimal comma or point and Enter, text
and Enter, arrows and page keys, D for the defect form, Esc or Enter in it, the capture
key, the summary and Complete. The worker's results are held back and let go at random
(tests/ui/gated_tasks.py), so keys land while saves are still on their way.

The model keeps what the inspector meant: for every item and position the answer given
on the item the screen showed when the key was pressed, the defects logged and the
photos taken. After every step:

- the screen shows one item: the list's current row is the editor's item;
- every row whose item has nothing on its way shows the mark the stored answer and
  defects give it (○ ✓ – ✗, ✗! while the fail still needs its defect or photo); a row
  marked "…" has a save on its way;
- the database holds, for every item with nothing on its way, exactly the model's answer,
  defects and photos, and no answer anywhere else;
- once nothing is on its way: the page's copy equals the database, the verdict and
  progress shown are the ones the services derive, the status line of the item on screen
  says what is stored and what the fail still needs, no save is awaited, every refused
  answer has had its message naming the item, and no error was a bug.

Used by tests/ui/test_checklist_model.py (a bounded run in the suite) and by
bench/checklist_model.py (long runs).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QWidget
from tests.ui.conftest import StillCamera
from tests.ui.gated_tasks import GatedRunner

from qcstation import config
from qcstation.domain.inspections import Answer, AnswerError, Inspection, Outcome, evaluate
from qcstation.domain.stages import Stage
from qcstation.domain.templates import (
    ChecklistItem,
    ChoiceItem,
    FollowUp,
    MeasurementItem,
    PassFailItem,
    PhotoItem,
    TextItem,
    step_label,
)
from qcstation.services import accounts, demo, inspections, templates
from qcstation.services.context import Station, connect
from qcstation.services.problems import is_known
from qcstation.ui.application import build_window
from qcstation.ui.pages.checklist import ChecklistPage
from qcstation.ui.pages.defect_dialog import DefectDialog

K = Qt.Key
NO_MOD = Qt.KeyboardModifier.NoModifier
Key = tuple[str, int | None]

# Every kind of item and follow-up, in nine rows; the limits keep typed readings plausible.
TEMPLATE = """\
template: model-walk
version: 1
stage: casting
name: Model walk
sections:
  - title: Record
    items:
      - id: flask
        kind: text
        prompt: Flask number
        max_length: 12
  - title: Look
    items:
      - id: fill
        kind: pass_fail
        prompt: Complete fill
        on_fail: {require: [defect, photo], defects: [CST-SHORT]}
      - id: burr
        kind: pass_fail
        prompt: No burr on the sprue stub
        severity: minor
        allow_na: true
        on_fail: {require: []}
      - id: colour
        kind: choice
        prompt: Alloy colour as ordered
        options: [white, yellow, rose]
        acceptable: [white, yellow]
        on_fail: {require: [defect], defects: [CST-FLASH]}
      - id: shot
        kind: photo
        prompt: Photo of the cast
      - id: prong
        kind: pass_fail
        prompt: Prong tip filled
        positions: {label: Prong, default: 2, min: 1, max: 6}
        on_fail: {require: [defect], defects: [CST-SHORT]}
  - title: Measure
    items:
      - id: wall
        kind: measurement
        prompt: Thinnest wall
        unit: mm
        lower: 0.6
        decimals: 2
        on_fail: {require: [defect], defects: [CST-THIN]}
      - id: weight
        kind: measurement
        prompt: Weight deviation
        unit: "%"
        nominal: 0
        lower: -3
        upper: 3
        readings: 2
        on_fail: {require: [defect], defects: [CST-WT]}
"""

READINGS = {"wall": (0.1, 1.5), "weight": (-5.0, 5.0)}  # within ten tolerance bands
MARKS = {Outcome.PASS: "✓", Outcome.RECORDED: "✓", Outcome.NA: "–", Outcome.FAIL: "✗"}


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Let the event loop run until ``condition`` holds (a liveness bound, not a timing)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        QTest.qWait(2)


def parse_shown(text: str) -> float:
    """What a reading field shows, read as a person reads it: a comma or a point before
    the decimals (the model types no thousands separators)."""
    return float(text.strip().replace(",", "."))


def judged(item: ChecklistItem, answer: Answer | None) -> Outcome | None:
    if answer is None:
        return None
    try:
        return evaluate(item, answer).outcome
    except AnswerError:
        return None


def same(stored: Answer | None, given: Answer | None) -> bool:
    """Whether the stored answer is the one given (the database adds the judgement)."""
    if stored is None or given is None:
        return stored is given
    if given.outcome is Outcome.NA:
        return stored.outcome is Outcome.NA
    if given.readings:
        return stored.readings == given.readings
    if given.value is not None:
        return stored.value == given.value
    return stored.outcome is given.outcome


GERMAN = QLocale(QLocale.Language.German, QLocale.Country.Germany)
ENGLISH = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)


class Bench:
    """One station and one window for many walks (each walk a new inspection), in one
    locale, typing readings with the given decimal separators."""

    def __init__(self, root: Path, locale: QLocale = GERMAN, separators: str = ","):
        self._locale = QLocale()
        QLocale.setDefault(locale)
        self.separators = list(separators)
        self.station: Station = connect(config.resolve(root / "station"))
        demo.ensure_demo_users(self.station)
        ada = accounts.login(self.station, "ada", "ada-demo-pass")
        path = root / "model-walk.yaml"
        path.write_text(TEMPLATE, encoding="utf-8")
        templates.import_files(self.station, ada, [path])
        self.win, self.ctx = build_window(self.station, self.station.location, StillCamera())
        self.win.resize(1280, 800)
        self.win.show()
        QTest.qWaitForWindowExposed(self.win)
        self.win.activateWindow()
        wait_until(lambda: QApplication.activeWindow() is self.win, "the window to be active")
        self.ctx.tasks.wait()
        self.runner = GatedRunner(self.ctx.errors.report)
        self.ctx.tasks = self.runner
        self.win.login.username.setFocus()
        QTest.keyClicks(self.focus(), "ines")
        self.press(K.Key_Return)
        QTest.keyClicks(self.focus(), "ines-demo-pass")
        self.press(K.Key_Return)
        self.settle()
        wait_until(lambda: self.ctx.user is not None, "ines to be signed in")
        assert self.ctx.user is not None and self.ctx.user.username == "ines"
        wait_until(lambda: self.win.camera.current_frame() is not None, "a camera frame")
        seq = QKeySequence(self.ctx.settings.capture_key)[0]
        self.capture_key = (seq.key(), seq.keyboardModifiers())
        self.walks = 0
        self.seen: Counter[str] = Counter()  # what the walks did, for the bench's table
        self.timings: list[tuple[float, int]] = []  # per walk: seconds, steps

    @property
    def page(self) -> ChecklistPage:
        return self.win.checklist

    def focus(self) -> QWidget:
        return (
            QApplication.focusWidget()
            or QApplication.activeModalWidget()
            or QApplication.activeWindow()
            or self.win
        )

    def press(self, key: Qt.Key | int, modifier: Qt.KeyboardModifier = NO_MOD) -> None:
        QTest.keyClick(self.focus(), key, modifier)  # type: ignore[call-overload]

    def settle(self) -> None:
        """Let every result arrive that is not held back, and what it sets off."""
        wait_until(self.runner.quiet, "the worker's results")
        QApplication.processEvents()
        wait_until(self.runner.quiet, "the worker's results")

    def start(self) -> Inspection:
        self.walks += 1
        ines = self.ctx.actor
        ins = inspections.start(
            self.station, ines, Stage.CASTING, f"JT-M{self.walks}", "RG-1", f"SN-M{self.walks}"
        )
        self.win.activateWindow()
        wait_until(lambda: QApplication.activeWindow() is self.win, "the window to be active")
        self.win.open_inspection(ins)
        self.settle()
        return ins

    def clear(self) -> None:
        """After a walk: let everything arrive and close what is still open."""
        self.runner.release_all()
        self.settle()
        for _ in range(20):
            open_now = [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, (QMessageBox, DefectDialog)) and w.isVisible()
            ]
            if not open_now:
                break
            for w in open_now:
                w.setEnabled(True)
                w.reject() if isinstance(w, DefectDialog) else w.done(0)
            self.settle()
        self.ctx.errors.shown.clear()

    def close(self) -> None:
        self.runner.release_all()
        self.runner.wait()
        self.win.close()
        self.ctx.tasks.wait()
        self.station.close()
        QLocale.setDefault(self._locale)


class ChecklistModel(RuleBasedStateMachine):
    bench: Bench  # set by the runner before the machine is built

    def __init__(self) -> None:
        super().__init__()
        b = self.bench
        b.clear()
        self.ins = b.start()
        self.items = {i.id: i for i in self.ins.template.items()}
        self.stored: dict[Key, Answer] = {}  # what the database must hold, once back
        self.defects: Counter[Key] = Counter()
        self.photos: Counter[Key] = Counter()
        self.refusals: Counter[Key] = Counter()  # refused answers whose message is due
        self.incomplete_due: list[str] = []  # a refused completion must name these
        self.done = False
        self.emitted: list[Answer] = []
        b.page.editor.answered.connect(self.emitted.append)
        self.steps = 0
        self.started = time.perf_counter()

    def teardown(self) -> None:
        self.bench.timings.append((time.perf_counter() - self.started, self.steps))
        self.bench.page.editor.answered.disconnect(self.emitted.append)
        self.bench.clear()

    # --- what is on screen ------------------------------------------------------------------

    @property
    def page(self) -> ChecklistPage:
        return self.bench.page

    def on_checklist(self) -> bool:
        b = self.bench
        return (
            not self.done
            and b.win.inspect.currentWidget() is b.page
            and b.page.inspection is not None
            and QApplication.activeModalWidget() is None
            and self.dialog() is None
        )

    def on_summary(self) -> bool:
        b = self.bench
        return (
            not self.done
            and b.win.inspect.currentWidget() is b.win.summary
            and QApplication.activeModalWidget() is None
        )

    def current(self) -> Key:
        page = self.page
        item, pos, _ = page.steps[page.list.currentRow()]
        assert page.editor.item is not None
        assert (page.editor.item.id, page.editor.position) == (item.id, pos), (
            "the list and the editor show different items"
        )
        return item.id, pos

    def dialog(self) -> DefectDialog | None:
        found = [d for d in self.bench.win.findChildren(DefectDialog) if d.isVisible()]
        assert len(found) <= 1, "two defect forms at once"
        return found[0] if found else None

    def in_flight(self) -> tuple[set[Key], bool]:
        owners = self.bench.runner.in_flight()
        return {o.key for o in owners if o.key is not None}, any(o.key is None for o in owners)

    def owned_by(self, key: Key) -> int:
        return sum(o.key == key for o in self.bench.runner.in_flight())

    def label(self, key: Key) -> str:
        return step_label(self.items[key[0]], key[1])

    def typing_field(self) -> bool:
        """Whether the item on screen takes typing (its field has the keyboard, checked
        after every step), read from the screen's item, so a walk replays the same."""
        item = self.items[self.current()[0]]
        return isinstance(item, (TextItem, MeasurementItem))

    def needs_defect(self, key: Key, answer: Answer) -> bool:
        item = self.items[key[0]]
        return (
            judged(item, replace(answer, photos=self.photos[key])) is Outcome.FAIL
            and FollowUp.DEFECT in item.on_fail.require
            and self.defects[key] == 0
        )

    # --- steps ------------------------------------------------------------------------------

    def finish_step(self) -> None:
        """Let the results that are not held arrive, then read the messages they brought."""
        self.bench.settle()
        for _ in range(10):
            boxes = [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.objectName() == "problem-message"
            ]
            boxes = [w for w in boxes if w.isVisible()]
            if not boxes:
                break
            for box in boxes:
                self.read_message(box.text())
                QTest.keyClick(box, K.Key_Return)  # OK, as a person closes it
            self.bench.settle()
        self.steps += 1

    def read_message(self, text: str) -> None:
        if self.incomplete_due and "cannot be completed" in text:
            for label in self.incomplete_due[:20]:  # each named as the checklist names it
                assert label in text, (label, text)
            self.incomplete_due = []
            self.bench.seen["completion refused, items named"] += 1
            return
        for key, due in self.refusals.items():
            if due and f"“{self.label(key)}” was not saved" in text:
                self.refusals[key] -= 1
                self.bench.seen["answer refused, item named"] += 1
                return
        raise AssertionError(f"a message no step asked for: {text!r}")

    # Answering is most of the work at a bench: three rules, so it is drawn more often.
    @precondition(lambda self: self.on_checklist())
    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        self.give_answer(data)

    @precondition(lambda self: self.on_checklist())
    @rule(data=st.data())
    def answer_the_next(self, data: st.DataObject) -> None:
        self.give_answer(data)

    @precondition(lambda self: self.on_checklist())
    @rule(data=st.data())
    def answer_again(self, data: st.DataObject) -> None:
        self.give_answer(data)

    def give_answer(self, data: st.DataObject) -> None:
        """The key that answers the item on screen, as its kind takes it."""
        page = self.page
        key = self.current()
        item = self.items[key[0]]
        held = page.held
        flights, whole = self.in_flight()
        clear = key not in flights and not whole  # nothing of this item on its way
        self.emitted.clear()
        owned = self.owned_by(key)
        shown: list[str] = []
        if isinstance(item, (PassFailItem, PhotoItem)):
            k = data.draw(st.sampled_from([K.Key_P, K.Key_Plus, K.Key_F, K.Key_Minus, K.Key_N]))
            self.bench.press(k)
        elif isinstance(item, ChoiceItem):
            n = data.draw(st.integers(1, len(item.options)))
            self.bench.press(getattr(K, f"Key_{n}"))
        elif isinstance(item, MeasurementItem):
            lo, hi = READINGS[item.id]
            fields = page.editor.readings
            for i in range(item.readings):
                value = data.draw(st.floats(lo, hi).map(lambda v: round(v, 2)))
                text = f"{value:.{data.draw(st.sampled_from([1, 2]))}f}"
                text = text.replace(".", data.draw(st.sampled_from(self.bench.separators)))
                fields[i].setFocus()
                fields[i].selectAll()
                QTest.keyClicks(fields[i], text)
                shown = [f.text() for f in fields]  # before Enter: the page may move on
                self.bench.press(K.Key_Return)
                if self.emitted:
                    break
        else:
            assert isinstance(item, TextItem) and page.editor.text_field is not None
            text = data.draw(st.text(alphabet="ABCLM-0123456789", min_size=1, max_size=6))
            page.editor.text_field.setFocus()
            QTest.keyClicks(page.editor.text_field, text)
            self.bench.press(K.Key_Return)
        if not self.emitted:
            self.finish_step()
            return
        given = self.emitted[-1]
        assert (given.item_id, given.position) == key, "an answer for an item not on screen"
        if given.readings:  # what the fields showed is what is given
            assert list(given.readings) == [parse_shown(t) for t in shown], (given, shown)
        if held is not None:  # refused, with a word naming the item awaited
            self.bench.seen["key refused while a fail is saved"] += 1
            assert page.held == held and page.notice.isVisible()
            assert self.label(held) in page.notice.text()
            assert self.in_flight()[0] <= flights | {held}
            self.finish_step()
            return
        box = self.change_fail_box()
        previous = self.stored.get(key)
        would_be = judged(item, replace(given, photos=max(self.photos[key], 1)))
        if clear:
            asks = judged(item, previous) is Outcome.FAIL and would_be in (
                Outcome.PASS,
                Outcome.NA,
                Outcome.RECORDED,
            )
            assert (box is not None) == asks, f"the question on a recorded fail: {asks}"
        if box is not None:
            assert f"“{self.label(key)}”" in box.text()
            self.bench.seen["asked before changing a fail"] += 1
            if not data.draw(st.booleans()):
                QTest.keyClick(box, K.Key_Escape)  # keep the fail
                assert not box.isVisible()
                self.finish_step()
                return
            QTest.keyClick(box, K.Key_Return)  # change it
            assert not box.isVisible()
        assert self.owned_by(key) == owned + 1, "no save on its way for the item shown"
        valid = judged(item, replace(given, photos=self.photos[key])) is not None
        self.bench.seen["answers saved"] += 1
        if self.bench.runner.held:
            self.bench.seen["answers given while results were late"] += 1
        if valid:
            self.stored[key] = given
        else:
            self.refusals[key] += 1
        if clear and not whole:
            waits = not valid or self.needs_defect(key, given)
            assert (page.held == key) == waits, f"held {page.held}, expected to wait: {waits}"
            if not waits:
                b = self.bench
                assert (
                    self.current() != key
                    or b.win.inspect.currentWidget() is b.win.summary
                    or "summary follows" in page.notice.text()
                ), "the checklist did not move on after a clean answer"
        self.finish_step()

    def change_fail_box(self) -> QMessageBox | None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.objectName() == "change-fail" and w.isVisible():
                return w
        return None

    @precondition(lambda self: self.on_checklist())
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        page = self.page
        keys = [K.Key_PageUp, K.Key_PageDown, K.Key_Enter]  # Enter: with Ctrl, the summary
        if not self.typing_field():  # a field keeps ← and → for its cursor
            keys += [K.Key_Left, K.Key_Right]
        k = data.draw(st.sampled_from(keys))
        before, held = page.list.currentRow(), page.held
        if k == K.Key_Enter:
            self.bench.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)
            b = self.bench
            assert (
                held is not None
                or b.win.inspect.currentWidget() is b.win.summary
                or "summary follows" in page.notice.text()
            ), "Ctrl+Enter neither showed the summary nor said why not"
            self.finish_step()
            return
        self.bench.press(k)
        if held is not None:
            assert page.list.currentRow() == before and page.notice.isVisible()
        else:
            step = -1 if k in (K.Key_PageUp, K.Key_Left) else 1
            last = len(page.steps) - 1
            moved = page.list.currentRow() == max(0, min(before + step, last))
            assert moved or (step == 1 and before == last), "the arrow went elsewhere"
        self.finish_step()

    @precondition(lambda self: self.on_checklist() and not self.typing_field())
    @rule()
    def capture(self) -> None:
        key = self.current()
        owned = self.owned_by(key)
        self.bench.press(*self.bench.capture_key)
        self.photos[key] += 1
        self.bench.seen["captures"] += 1
        assert self.owned_by(key) == owned + 1, "no capture on its way for the item shown"
        self.finish_step()

    @precondition(
        lambda self: (
            self.on_checklist() and not isinstance(self.items[self.current()[0]], TextItem)
        )  # D is a letter there
    )
    @rule()
    def press_d(self) -> None:
        key, held = self.current(), self.page.held
        self.bench.press(K.Key_D)
        dialog = self.dialog()
        if held is not None:
            assert dialog is None and self.page.notice.isVisible()
        else:
            assert dialog is not None and dialog.item is not None
            assert (dialog.item.id, dialog.position) == key
        self.finish_step()

    def form(self) -> DefectDialog | None:
        d = self.dialog()
        return d if d is not None and d.isEnabled() else None

    @precondition(lambda self: self.form() is not None)
    @rule()
    def cancel_form(self) -> None:
        self.bench.press(K.Key_Escape)
        assert self.dialog() is None
        self.bench.seen["defect forms cancelled"] += 1
        self.finish_step()

    @precondition(lambda self: (f := self.form()) is not None and f.codes.count() > 0)
    @rule()
    def save_form(self) -> None:
        dialog = self.form()
        assert dialog is not None and dialog.item is not None
        key = (dialog.item.id, dialog.position_box.value() or None)
        photo = dialog.photo.isChecked() and self.bench.win.camera.current_frame() is not None
        dialog.filter.setFocus()
        self.bench.press(K.Key_Return)
        self.defects[key] += 1
        self.bench.seen["defects logged"] += 1
        if photo:
            self.photos[key] += 1
        self.finish_step()

    @rule(data=st.data())
    def delay(self, data: st.DataObject) -> None:
        """The worker: from now on hold results back, or stop holding, or let some go."""
        runner = self.bench.runner
        what = data.draw(st.sampled_from(["hold", "flow", "release"]))
        if what == "release" and runner.held:
            n = data.draw(st.integers(1, 4))
            self.bench.seen["late results let go"] += min(n, runner.held)
            runner.release(n)
        else:
            runner.holding = what == "hold"
        self.finish_step()

    @precondition(lambda self: self.on_summary())
    @rule(data=st.data())
    def on_the_summary(self, data: st.DataObject) -> None:
        if data.draw(st.booleans()):
            self.bench.press(K.Key_Escape)  # back to the checklist
            b = self.bench
            assert b.win.inspect.currentWidget() is b.page, "Esc on the summary went nowhere"
            self.finish_step()
        else:
            self.complete()

    def complete(self) -> None:
        b = self.bench
        b.runner.release_all()
        b.settle()
        stored = inspections.get(b.station, self.ins.id)
        missing = stored.missing()
        self.incomplete_due = [
            step_label(stored.template.item(m.item_id), m.position) for m in missing
        ]
        self.bench.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)
        self.finish_step()
        assert not self.incomplete_due, "completing with something missing said nothing"
        stored = inspections.get(b.station, self.ins.id)
        self.done = not missing
        self.bench.seen["inspections completed"] += int(self.done)
        assert (stored.verdict is not None) == self.done
        if self.done:
            shown = b.win.summary.verdict.text()
            assert stored.verdict is not None
            assert shown.replace(" ", "_").lower() == stored.verdict.value, shown

    # --- after every step ------------------------------------------------------------------

    @invariant()
    def screen_equals_database(self) -> None:
        b, page = self.bench, self.page
        assert all(is_known(e) for e in self.bench.ctx.errors.shown), "a bug reached the screen"
        if self.done or page.inspection is None:
            return
        if self.on_summary():
            summary = b.win.summary
            assert summary.isAncestorOf(QApplication.focusWidget()), "the keyboard is elsewhere"
            if not b.runner.pending and summary.done is None:  # it says what is stored
                now = inspections.get(b.station, self.ins.id)
                lines = [summary.missing.item(i).text() for i in range(summary.missing.count())]
                assert lines == [
                    f"{step_label(now.template.item(m.item_id), m.position)} — {m.reason}"
                    for m in now.missing()
                ], lines
                verdict = now.current_verdict().value.replace("_", " ").upper()
                assert summary.verdict.text() == f"If completed now: {verdict}"
        if self.on_checklist():  # the keyboard is where the item on screen takes it
            focus = QApplication.focusWidget()
            editor = page.editor
            fields = [*editor.readings, editor.text_field]
            if self.typing_field():
                assert focus in fields, (
                    f"{self.current()}: the keyboard is on {focus} {getattr(focus, 'text', lambda: '')()} {focus.window()} {focus.parent()}"
                )
            else:
                assert not isinstance(focus, QLineEdit), f"{self.current()}: typing into {focus}"
        db = inspections.get(b.station, self.ins.id)
        flights, whole = self.in_flight()
        dialog = self.dialog()
        if dialog is not None and dialog.item is not None:
            shown = (dialog.item.id, dialog.position)
            assert shown == self.current(), "a defect form for an item not on screen"
            flights.add((dialog.item.id, dialog.position_box.value() or None))
        needs = {(m.item_id, m.position, m.reason) for m in db.missing()}
        photos = Counter(
            (e.item_id, e.position)
            for e in inspections.evidence_of(b.station, self.ins.id)
            if e.item_id is not None
        )
        defects = Counter((d.item_id, d.position) for d in db.defects)
        for i, (item, pos, _) in enumerate(page.steps):
            key = (item.id, pos)
            mark = page.list.item(i).text().split()[0]
            if mark == "…":
                assert key in flights, f"{key} says saving with nothing on its way"
                continue
            if key in flights or whole:
                continue
            assert same(db.answers.get(key), self.stored.get(key)), (
                f"{key}: stored {db.answers.get(key)}, given {self.stored.get(key)}"
            )
            assert defects[key] == self.defects[key], key
            assert photos[key] == self.photos[key], key
            assert mark == self.expected_mark(item, key, db, needs), (key, mark)
        if flights or whole or b.runner.pending or dialog is not None:
            return
        # Nothing on its way: everything the page shows is what is stored.
        assert set(db.answers) == set(self.stored), "an answer stored for an item not answered"
        assert page.inspection.answers == db.answers
        assert page.inspection.defects == db.defects
        assert page.held is None
        assert sum(self.refusals.values()) == 0, f"messages never shown: {self.refusals}"
        answered, total = db.progress()
        assert page.progress.value() == answered and page.progress.maximum() == total
        verdict = db.current_verdict().value.replace("_", " ")
        assert page.verdict.text() == f"So far: {verdict}"
        for item, pos, _ in page.steps:
            assert page.photos_for(item.id, pos) == photos[(item.id, pos)], (item.id, pos)
        if b.win.inspect.currentWidget() is page and QApplication.activeModalWidget() is None:
            self.check_status(self.current(), db, needs)

    def expected_mark(
        self, item: ChecklistItem, key: Key, db: Inspection, needs: set[tuple[str, int | None, str]]
    ) -> str:
        answer = db.answers.get(key)
        if answer is None:
            return "○"
        outcome = evaluate(item, answer).outcome
        open_follow_up = any((n[0], n[1]) == key and n[2].startswith("failed") for n in needs)
        return MARKS[outcome] + ("!" if open_follow_up else "")

    def check_status(
        self, key: Key, db: Inspection, needs: set[tuple[str, int | None, str]]
    ) -> None:
        status = self.page.editor.status.text()
        answer = db.answers.get(key)
        if answer is None:
            assert status == "Not answered yet", status
            return
        assert status.startswith("Recorded: "), status
        item = self.items[key[0]]
        if evaluate(item, answer).outcome is Outcome.FAIL and not answer.readings:
            assert "fail" in status, status  # a reading's fail is on its mean line
        here = {n[2] for n in needs if (n[0], n[1]) == key}
        assert ("defect still to log (D)" in status) == ("failed: log a defect" in here), status
        assert ("photo still to attach" in status) == ("failed: attach a photo" in here), status


def machine_for(bench: Bench) -> type[ChecklistModel]:
    return type("ChecklistWalk", (ChecklistModel,), {"bench": bench})
