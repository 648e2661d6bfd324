"""The current checklist item, large and clear, with the editor its kind needs.

Keys (shown on the buttons): P or + pass, F or - fail, N not applicable, 1-9 choose an
option, digits and Enter for readings. Measurement fields turn green or red as the value
is typed, against the item's limits.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QDoubleValidator, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.templates import (
    ChecklistItem,
    ChoiceItem,
    MeasurementItem,
    PassFailItem,
    PhotoItem,
    TextItem,
)
from qcstation.ui.theme import FAIL_COLOUR, PASS_COLOUR
from qcstation.ui.widgets import button, muted

CHOICE_ROW = 420  # pixels a row of choice buttons may take (the editor beside the camera)


def limits_text(item: MeasurementItem) -> str:
    unit = item.unit
    fmt = f"{{:.{item.decimals}f}}"
    if item.lower is not None and item.upper is not None:
        span = f"{fmt.format(item.lower)} … {fmt.format(item.upper)} {unit}"
    elif item.lower is not None:
        span = f"≥ {fmt.format(item.lower)} {unit}"
    else:
        span = f"≤ {fmt.format(item.upper)} {unit}"
    nominal = f"nominal {fmt.format(item.nominal)} {unit}, " if item.nominal is not None else ""
    return nominal + "limits " + span


def parse_reading(text: str) -> float | None:
    try:
        return float(text.replace(",", ".").strip())
    except ValueError:
        return None


class ItemEditor(QWidget):
    """Shows one item at one position and emits the answer the inspector gives."""

    answered = Signal(object)  # Answer

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
        self.text_field: QLineEdit | None = None
        self.options: list[str] = []

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
        while self.body_layout.count():
            taken = self.body_layout.takeAt(0)
            gone = taken.widget() if taken is not None else None
            if gone is not None:
                gone.hide()  # not drawn under the new item until it is deleted
                gone.deleteLater()
        detail = []
        if isinstance(item, MeasurementItem):
            detail.append(limits_text(item))
            self._build_measurement(item, previous)
        elif isinstance(item, ChoiceItem):
            detail.append(self.tr("Acceptable: {0}").format(", ".join(item.acceptable)))
            self._build_choice(item)
        elif isinstance(item, TextItem):
            self._build_text(previous)
        else:
            self._build_pass_fail(item)
        if item.photo_required or isinstance(item, PhotoItem):
            detail.append(self.tr("Photo required: {0} attached").format(photos))
        self.detail.setText("   ".join(detail))
        self.detail.setVisible(bool(detail))
        self.status.setText(self._previous_text(previous))

    def _previous_text(self, previous: Answer | None) -> str:
        if previous is None:
            return self.tr("Not answered yet")
        if previous.readings:
            return self.tr("Recorded: {0}").format(", ".join(f"{r:g}" for r in previous.readings))
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
        for i in range(item.readings):
            field = QLineEdit()
            field.setObjectName(f"reading-{i + 1}")
            field.setValidator(QDoubleValidator(field))
            field.setPlaceholderText(self.tr("Reading {0} ({1})").format(i + 1, item.unit))
            if previous and i < len(previous.readings):
                field.setText(f"{previous.readings[i]:g}")
            field.textChanged.connect(self._recolour)
            field.returnPressed.connect(lambda i=i: self._reading_entered(i))
            grid.addWidget(field, i // 3, i % 3)
            self.readings.append(field)
        self.mean_label = QLabel()
        self.mean_label.setObjectName("mean")
        grid.addWidget(self.mean_label, (item.readings - 1) // 3 + 1, 0, 1, 3)
        self.body_layout.addWidget(holder)
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

    def _build_text(self, previous: Answer | None) -> None:
        self.text_field = QLineEdit()
        self.text_field.setObjectName("text-answer")
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
    ) -> None:
        assert self.item is not None
        note = self.note.text().strip()
        self.answered.emit(
            Answer(self.item.id, self.position, outcome, readings, value, note, self.photos)
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
            self._answer(value=self.text_field.text().strip())

    def _values(self) -> list[float | None]:
        return [parse_reading(f.text()) for f in self.readings]

    def _reading_entered(self, index: int) -> None:
        values = self._values()
        if values[index] is None:
            return
        missing = [i for i, v in enumerate(values) if v is None]
        if missing:
            self.readings[missing[0]].setFocus()
            return
        self._answer(readings=tuple(v for v in values if v is not None))

    def _recolour(self) -> None:
        item = self.item
        if not isinstance(item, MeasurementItem) or self.mean_label is None:
            return
        values = self._values()
        for field, v in zip(self.readings, values, strict=True):
            colour = "" if v is None else (PASS_COLOUR if item.within(v) else FAIL_COLOUR)
            field.setStyleSheet(f"border: 3px solid {colour};" if colour else "")
        given = [v for v in values if v is not None]
        if not given:
            self.mean_label.setText("")
            return
        mean = sum(given) / len(given)
        ok = item.within(mean)
        self.mean_label.setText(
            self.tr("Mean {0} {1} — {2}").format(
                f"{mean:.{item.decimals}f}",
                item.unit,
                self.tr("within limits") if ok else self.tr("OUT OF LIMITS"),
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
        field.setText(f"{value:.{item.decimals}f}")
        field.setFocus()
        return True

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
