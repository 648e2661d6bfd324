"""The current checklist item, large and clear, with the editor its kind needs.

Keys (shown on the buttons): P or + pass, F or - fail, N not applicable, 1-9 choose an
option, digits and Enter for readings, F7 a reading from the station's balance or caliper.
Measurement fields turn green or red as the value is typed, against the item's limits.

A reading from an instrument goes into the next empty field as the instrument gave it;
once every field is filled it is kept as Enter keeps typed ones, naming the instrument. A
field typed over (or filled from the microscope) no longer counts as the instrument's:
the answer then names no instrument.

A reading goes through one parser (qcstation.domain.numbers) for the preview, for Enter
and for the answer stored, in the station's decimal separator: what the preview says is
what is stored and what is shown afterwards. Text that is not a reading says why and what
to type (in the words of ui/pages/measurement_texts.py), and is never stored; a reading far
outside the item's plausible band is stored only once the inspector confirms it (Enter keeps
it, Esc goes back to the field).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.numbers import (
    Problem,
    ReadingError,
    format_judged,
    format_reading,
    format_readings,
    parse_reading,
)
from qcstation.domain.templates import (
    ChecklistItem,
    ChoiceItem,
    MeasurementItem,
    PassFailItem,
    PhotoItem,
    TextItem,
)
from qcstation.ui import i18n
from qcstation.ui.pages.measurement_texts import explain, limits_text
from qcstation.ui.theme import FAIL_COLOUR, PASS_COLOUR, REVIEW_COLOUR
from qcstation.ui.widgets import button, muted

CHOICE_ROW = 420  # pixels a row of choice buttons may take (the editor beside the camera)


Read = float | ReadingError | None  # a field: its reading, why it is none, or empty


class ItemEditor(QWidget):
    """Shows one item at one position and emits the answer the inspector gives."""

    answered = Signal(object)  # Answer
    read_requested = Signal()  # "Read from <instrument>" was pressed
    READ_KEY = "F7"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("item-editor")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # pass/fail keys land here
        self.item: ChecklistItem | None = None
        self.previous: Answer | None = None
        self.position: int | None = None
        self.photos = 0
        self.section = muted()
        self.prompt = QLabel()
        self.prompt.setObjectName("item-prompt")
        self.prompt.setWordWrap(True)
        self.instructions = muted()
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 8, 0, 8)
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText(self.tr("Note (M to type; Enter to keep it)"))
        self.note.returnPressed.connect(self._note_entered)
        self.note.installEventFilter(self)
        self.status = muted()
        self.status.setObjectName("item-status")
        layout = QVBoxLayout(self)
        for w in (self.section, self.prompt, self.instructions, self.detail, self.body):
            layout.addWidget(w)
        layout.addWidget(self.note)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.readings: list[QLineEdit] = []
        self.mean_label: QLabel | None = None
        self.problem: QLabel | None = None
        self.text_field: QLineEdit | None = None
        self.options: list[str] = []
        self.decimal = i18n.decimal_separator()
        self.confirmation: QMessageBox | None = None  # open while an odd reading is asked about
        # The name of the station's instrument that measures a unit (None: none does);
        # the checklist sets it from the station's settings.
        self.instrument_for: Callable[[str], str | None] = lambda _unit: None
        self.instrument_button: QPushButton | None = None
        self._from_instrument: dict[int, tuple[str, str]] = {}  # field: (text, instrument)

    # --- showing ------------------------------------------------------------------------

    def show_item(
        self,
        item: ChecklistItem,
        position: int | None,
        section: str,
        label: str,
        previous: Answer | None,
        photos: int,
    ) -> None:
        self.item, self.position, self.photos = item, position, photos
        self.decimal = i18n.decimal_separator()
        if self.confirmation is not None:  # asked about another item: that question is moot
            self.confirmation.done(QMessageBox.StandardButton.Cancel)
        self.previous = previous
        focused = QApplication.focusWidget()
        if focused is not None and self.body.isAncestorOf(focused):
            self.setFocus()  # the focused field is about to go: keep the keyboard here
        self.section.setText(section)
        self.prompt.setText(label)
        self.instructions.setText(item.instructions)
        self.instructions.setVisible(bool(item.instructions))
        self.note.setText(previous.note if previous else "")
        self.readings, self.mean_label, self.text_field, self.options = [], None, None, []
        self.problem, self.instrument_button, self._from_instrument = None, None, {}
        while self.body_layout.count():
            taken = self.body_layout.takeAt(0)
            gone = taken.widget() if taken is not None else None
            if gone is not None:
                gone.hide()  # not drawn under the new item until it is deleted
                gone.deleteLater()
        if isinstance(item, MeasurementItem):
            self._build_measurement(item, previous)
        elif isinstance(item, ChoiceItem):
            self._build_choice(item)
        elif isinstance(item, TextItem):
            self._build_text(item, previous)
        else:
            self._build_pass_fail(item)
        self._show_detail()
        self.status.setStyleSheet("")  # a refusal said on the item before is not this one's
        self.status.setText(self._previous_text(previous))

    def show_photos(self, photos: int) -> None:
        """A photo was stored for the item on screen: count it, and keep what is being typed
        (a capture from a reading, an answer or the note must not clear the field)."""
        self.photos = photos
        self._show_detail()

    def _show_detail(self) -> None:
        item, detail = self.item, []
        if isinstance(item, MeasurementItem):
            detail.append(limits_text(item, self.decimal))
        elif isinstance(item, ChoiceItem):
            detail.append(self.tr("Acceptable: {0}").format(", ".join(item.acceptable)))
        elif isinstance(item, TextItem) and item.pattern is not None:
            detail.append(self.tr("Expected: {0}").format(item.pattern_message))
        if item is not None and (item.photo_required or isinstance(item, PhotoItem)):
            detail.append(self.tr("Photo required: {0} attached").format(self.photos))
        self.detail.setText("   ".join(detail))
        self.detail.setVisible(bool(detail))

    def recorded_text(self, answer: Answer | None) -> str:
        """The status line for an answer as stored; the checklist adds what it still needs."""
        return self._previous_text(answer)

    def _previous_text(self, previous: Answer | None) -> str:
        if previous is None:
            return self.tr("Not answered yet")
        if previous.readings and isinstance(self.item, MeasurementItem):
            shown = format_readings(previous.readings, self.item.decimals, self.decimal)
            if previous.instrument:
                return self.tr("Recorded: {0} {1}, read from {2}").format(
                    shown, self.item.unit, previous.instrument
                )
            return self.tr("Recorded: {0} {1}").format(shown, self.item.unit)
        if previous.value:
            return self.tr("Recorded: {0}").format(previous.value)
        return self.tr("Recorded: {0}").format(previous.outcome.value if previous.outcome else "")

    def _build_pass_fail(self, item: ChecklistItem) -> None:
        row = QHBoxLayout()
        holder = QWidget()
        holder.setLayout(row)
        ok = button(self.tr("Pass"), "P", "pass-button")
        bad = button(self.tr("Fail"), "F", "fail-button")
        ok.clicked.connect(self.give_pass)
        bad.clicked.connect(self.give_fail)
        row.addWidget(ok)
        row.addWidget(bad)
        if item.allow_na:
            na = button(self.tr("Not applicable"), "N")
            na.clicked.connect(self.give_na)
            row.addWidget(na)
        self.body_layout.addWidget(holder)

    def _build_measurement(self, item: MeasurementItem, previous: Answer | None) -> None:
        grid = QGridLayout()
        holder = QWidget()
        holder.setLayout(grid)
        example = format_reading(
            item.nominal or item.lower or item.upper or 0.0, item.decimals, self.decimal
        )
        for i in range(item.readings):
            field = QLineEdit()
            field.setObjectName(f"reading-{i + 1}")
            field.setMaxLength(32)
            field.setPlaceholderText(
                self.tr("Reading {0} ({1}), e.g. {2}").format(i + 1, item.unit, example)
                if item.readings > 1
                else self.tr("Reading ({0}), e.g. {1}").format(item.unit, example)
            )
            if previous and i < len(previous.readings):
                field.setText(format_reading(previous.readings[i], item.decimals, self.decimal))
                if previous.instrument:  # Enter on it unchanged keeps whose reading it is
                    self._from_instrument[i] = (field.text(), previous.instrument)
            field.textChanged.connect(self._recolour)
            field.textEdited.connect(lambda _text, i=i: self._from_instrument.pop(i, None))
            field.returnPressed.connect(lambda i=i: self._reading_entered(i))
            grid.addWidget(field, i // 3, i % 3)
            self.readings.append(field)
        row = (item.readings - 1) // 3 + 1
        self.mean_label = QLabel()
        self.mean_label.setObjectName("mean")
        grid.addWidget(self.mean_label, row, 0, 1, 3)
        self.problem = QLabel()
        self.problem.setObjectName("reading-problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {REVIEW_COLOUR}; font-weight: bold;")
        grid.addWidget(self.problem, row + 1, 0, 1, 3)
        self.body_layout.addWidget(holder)
        name = self.instrument_for(item.unit)
        if name is not None:
            self.instrument_button = button(
                self.tr("Read from {0}").format(name), self.READ_KEY, "instrument-read"
            )
            self.instrument_button.clicked.connect(self.read_requested)
            self.body_layout.addWidget(self.instrument_button)
        if item.allow_na:
            na = button(self.tr("Not applicable"), "N")
            na.clicked.connect(self.give_na)
            self.body_layout.addWidget(na)
        self._recolour()

    def _build_choice(self, item: ChoiceItem) -> None:
        grid = QGridLayout()
        holder = QWidget()
        holder.setLayout(grid)
        self.options = list(item.options)
        buttons = []
        for i, option in enumerate(item.options):
            b = button(option, str(i + 1) if i < 9 else None)
            b.setObjectName("pass-button" if option in item.acceptable else "")
            b.clicked.connect(lambda _=False, i=i: self.choose(i))
            buttons.append(b)
        # As many columns as fit the narrow editor beside the camera: long options
        # ("slight difference within customer tolerance") take a row each.
        widest = max((b.sizeHint().width() for b in buttons), default=1)
        columns = max(1, min(3, CHOICE_ROW // widest))
        for i, b in enumerate(buttons):
            grid.addWidget(b, i // columns, i % columns)
        self.body_layout.addWidget(holder)

    def _build_text(self, item: TextItem, previous: Answer | None) -> None:
        self.text_field = QLineEdit()
        self.text_field.setObjectName("text-answer")
        if item.example:
            self.text_field.setPlaceholderText(self.tr("e.g. {0}").format(item.example))
        if previous and previous.value:
            self.text_field.setText(previous.value)
        self.text_field.returnPressed.connect(self._text_entered)
        self.body_layout.addWidget(self.text_field)

    def focus_entry(self) -> None:
        """Put the keyboard where typing goes: the first empty reading or the text field."""
        if self.readings:
            empty = next((f for f in self.readings if not f.text()), self.readings[-1])
            empty.setFocus()
            empty.selectAll()
        elif self.text_field is not None:
            self.text_field.setFocus()
        else:
            self.setFocus()

    # --- answering -----------------------------------------------------------------------

    def _answer(
        self,
        outcome: Outcome | None = None,
        readings: tuple[float, ...] = (),
        value: str | None = None,
        instrument: str | None = None,
    ) -> None:
        assert self.item is not None
        note = self.note.text().strip()
        self.answered.emit(
            Answer(
                self.item.id, self.position, outcome, readings, value, note, self.photos, instrument
            )
        )

    def give_pass(self) -> None:
        if isinstance(self.item, (PassFailItem, PhotoItem)):
            self._answer(outcome=Outcome.PASS)

    def give_fail(self) -> None:
        if isinstance(self.item, (PassFailItem, PhotoItem)):
            self._answer(outcome=Outcome.FAIL)

    def give_na(self) -> None:
        if self.item is not None and self.item.allow_na:
            self._answer(outcome=Outcome.NA)

    def choose(self, index: int) -> None:
        if isinstance(self.item, ChoiceItem) and 0 <= index < len(self.options):
            self._answer(value=self.options[index])

    def _text_entered(self) -> None:
        if self.text_field is not None and self.text_field.text().strip():
            text = self.text_field.text().strip()
            if isinstance(self.item, TextItem) and not self.item.fits(text):
                # Said here, the text kept to correct: the record would refuse it anyway.
                self.status.setText(
                    self.tr("“{0}” is not {1}").format(text, self.item.pattern_message)
                )
                self.status.setStyleSheet(f"color: {REVIEW_COLOUR}; font-weight: bold;")
                return
            self._answer(value=text)

    def _read(self) -> list[Read]:
        """Each field through the one parser: its reading, why it is none, or None if empty."""
        out: list[Read] = []
        for f in self.readings:
            if not f.text().strip():
                out.append(None)
                continue
            try:
                out.append(parse_reading(f.text(), self.decimal))
            except ReadingError as err:
                out.append(err)
        return out

    def _reading_entered(self, index: int) -> None:
        item = self.item
        if not isinstance(item, MeasurementItem) or self.confirmation is not None:
            return
        read = self._read()
        here = read[index]
        if not isinstance(here, float):  # empty or not a reading: say so, keep the text
            self._show_problem(here or ReadingError(Problem.EMPTY, "", self.decimal))
            self._select(index)
            return
        for i, r in enumerate(read):
            if not isinstance(r, float):  # the next field still to fill (or to correct)
                self._select(i)
                return
        values = tuple(r for r in read if isinstance(r, float))
        for field, v in zip(self.readings, values, strict=True):
            field.setText(format_reading(v, item.decimals, self.decimal))  # as it is stored
        instrument = self._instrument_of()
        band = item.plausible_band()
        odd = [i for i, v in enumerate(values) if not band.holds(v)]
        if odd:
            self._confirm(item, values, odd[0], instrument)
        else:
            self._answer(readings=values, instrument=instrument)

    def _select(self, index: int) -> None:
        field = self.readings[index]
        field.setFocus()
        field.selectAll()

    def _confirm(
        self,
        item: MeasurementItem,
        values: tuple[float, ...],
        index: int,
        instrument: str | None = None,
    ) -> None:
        """Ask before storing a reading beyond the plausible band: Enter keeps it, Esc goes
        back to the field with the text selected."""
        shown = f"{format_reading(values[index], item.decimals, self.decimal)} {item.unit}"
        box = QMessageBox(self)
        box.setObjectName("implausible-reading")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Check this reading"))
        box.setText(
            self.tr("{0} is far outside what this item measures ({1}).").format(
                shown, limits_text(item, self.decimal)
            )
        )
        box.setInformativeText(
            self.tr(
                "A lost separator or an extra digit? Enter keeps {0}; Esc goes back to correct it."
            ).format(shown)
        )
        keep = box.addButton(
            self.tr("Keep {0}  [Enter]").format(shown), QMessageBox.ButtonRole.AcceptRole
        )
        back = box.addButton(self.tr("Correct it  [Esc]"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(back)
        target = (item.id, self.position)

        def answered(_result: int) -> None:
            self.confirmation = None
            box.deleteLater()
            self.window().activateWindow()  # the keyboard comes back from the question
            if (self.item.id if self.item else None, self.position) != target:
                return  # the editor moved on meanwhile: nothing is stored
            if box.clickedButton() is keep:
                self._answer(readings=values, instrument=instrument)
            else:
                self._select(index)

        box.finished.connect(answered)
        self.confirmation = box
        box.open()

    def _show_problem(self, err: ReadingError | None, text: str = "") -> None:
        if self.problem is not None:
            self.problem.setText(explain(self, err) if err is not None else text)
            self.problem.setVisible(bool(self.problem.text()))

    def _recolour(self) -> None:
        item = self.item
        if not isinstance(item, MeasurementItem) or self.mean_label is None:
            return
        read = self._read()
        band = item.plausible_band()
        for field, r in zip(self.readings, read, strict=True):
            if isinstance(r, float):
                colour = PASS_COLOUR if item.within(r) else FAIL_COLOUR
                field.setStyleSheet(f"border: 3px solid {colour};")
            elif isinstance(r, ReadingError):
                field.setStyleSheet(f"border: 3px dashed {REVIEW_COLOUR};")
            else:
                field.setStyleSheet("")
        wrong = next((r for r in read if isinstance(r, ReadingError)), None)
        given = [r for r in read if isinstance(r, float)]
        odd = next((v for v in given if not band.holds(v)), None)
        if wrong is not None:
            self._show_problem(wrong)
        elif odd is not None:
            self._show_problem(
                None,
                self.tr(
                    "{0} {1} is far outside what this item measures: Enter asks before keeping it."
                ).format(format_reading(odd, item.decimals, self.decimal), item.unit),
            )
        else:
            self._show_problem(None)
        self.mean_label.setVisible(wrong is None and bool(given))  # no verdict on no number
        if wrong is not None or not given:
            self.mean_label.setText("")
            return
        mean = statistics.fmean(given)  # as the verdict takes it (domain.inspections)
        if len(self.readings) == 1:
            figure = format_reading(given[0], item.decimals, self.decimal)
        else:
            figure = self.tr("Mean {0}").format(
                format_judged(mean, item.decimals, (item.lower, item.upper), self.decimal)
            )
        ok = item.within(mean)
        self.mean_label.setText(
            self.tr("{0} {1} — {2}").format(
                figure, item.unit, self.tr("within limits") if ok else self.tr("OUT OF LIMITS")
            )
        )
        self.mean_label.setStyleSheet(
            f"color: {PASS_COLOUR if ok else FAIL_COLOUR}; font-size: 16pt; font-weight: bold;"
        )

    def measurement_unit(self) -> str | None:
        """The unit of the current item if it takes measured readings, else None."""
        return self.item.unit if isinstance(self.item, MeasurementItem) else None

    def fill_reading(self, value: float) -> bool:
        """Put a value measured on an image into the first empty reading (or the last);
        the inspector still confirms it with Enter, as a typed reading."""
        item = self.item
        if not isinstance(item, MeasurementItem) or not self.readings:
            return False
        field = next((f for f in self.readings if not f.text()), self.readings[-1])
        self._from_instrument.pop(self.readings.index(field), None)
        field.setText(format_reading(round(value, item.decimals), item.decimals, self.decimal))
        field.setFocus()
        return True

    # --- readings from an instrument -----------------------------------------------------------

    def _instrument_of(self) -> str | None:
        """The instrument that gave every reading as it stands in its field, else None."""
        names = set()
        for i, field in enumerate(self.readings):
            given = self._from_instrument.get(i)
            if given is None or given[0] != field.text():
                return None
            names.add(given[1])
        return names.pop() if len(names) == 1 else None

    def instrument_reading(self, value: float, instrument: str) -> bool:
        """Put an instrument's reading into the next empty field (all full: start the series
        again) exactly as given; once every field holds a reading, keep the answer as Enter
        does, naming the instrument. False when the item takes no readings."""
        item = self.item
        if not isinstance(item, MeasurementItem) or not self.readings:
            return False
        empty = [i for i, f in enumerate(self.readings) if not f.text().strip()]
        if not empty:
            for f in self.readings:
                f.clear()
            self._from_instrument.clear()
            empty = list(range(len(self.readings)))
        index = empty[0]
        text = format_reading(value, item.decimals, self.decimal)
        self.readings[index].setText(text)
        self._from_instrument[index] = (text, instrument)
        self._show_problem(None)
        if len(empty) > 1:
            self._select(empty[1])
        else:
            self._reading_entered(index)
        return True

    def say_problem(self, text: str) -> None:
        """Why no reading came (from an instrument): shown under the fields."""
        self._show_problem(None, text[:1].upper() + text[1:])

    def _note_entered(self) -> None:
        """Enter keeps the note and gives the keys back to the item, so the next P answers
        instead of being typed into the note. On an item answered before, the answer is
        kept again with the note: a typed note is never dropped by moving on."""
        note = self.note.text().strip()
        if self.previous is not None and note != self.previous.note:
            self.answered.emit(replace(self.previous, note=note, photos=self.photos))
        self.focus_entry()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.note
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            self.focus_entry()  # Esc leaves the note as typed, for the answer to take
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_M and self.note.isVisible():
            self.note.setFocus()
            return
        super().keyPressEvent(event)
