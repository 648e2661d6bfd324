"""How the checklist words an item's state: its mark in the list, its status line, and the
question before a recorded fail is changed.

Both are read from the answer as stored (and the defects logged), never from what is on
screen, so the list says what the database holds: ○ not answered, ✓ passed or recorded,
– not applicable, ✗ failed, ✗! failed and still needing its defect, photo or note (named
after the item), … a save on its way.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from qcstation.domain.defects import Defect
from qcstation.domain.inspections import Answer, Outcome, evaluate, open_follow_ups
from qcstation.domain.templates import ChecklistItem, FollowUp, step_label
from qcstation.ui.theme import FAIL_COLOUR, PASS_COLOUR

SAVING = "…"
NEEDS = "!"  # beside a fail's mark: it still needs a defect, photo or note
MARKS: dict[Outcome | None, tuple[str, str | None]] = {
    None: ("○", None),
    Outcome.PASS: ("✓", PASS_COLOUR),
    Outcome.RECORDED: ("✓", PASS_COLOUR),
    Outcome.NA: ("–", None),
    Outcome.FAIL: ("✗", FAIL_COLOUR),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("checklist", text)


def judged(item: ChecklistItem, answer: Answer | None) -> Outcome | None:
    """The outcome the rules give an answer; None for no answer or one the item refuses."""
    if answer is None:
        return None
    try:
        return evaluate(item, answer).outcome
    except ValueError:
        return None


def still_needed(item: ChecklistItem, answer: Answer, defects: Sequence[Defect]) -> list[FollowUp]:
    try:
        return open_follow_ups(item, answer, defects)
    except ValueError:
        return []


def needs_defect(item: ChecklistItem, answer: Answer, defects: Sequence[Defect]) -> bool:
    return FollowUp.DEFECT in still_needed(item, answer, defects)


def row_text(
    item: ChecklistItem,
    position: int | None,
    answer: Answer | None,
    defects: Sequence[Defect],
    saving: bool,
) -> tuple[str, str | None]:
    """The list line of one item at one position, and its colour (None: the text colour)."""
    label = step_label(item, position)
    if saving:
        return f"{SAVING}  {label}", None
    if answer is None:
        return f"{MARKS[None][0]}  {label}", None
    outcome = judged(item, answer)
    if outcome is None:
        return f"?  {label}", None
    mark, colour = MARKS[outcome]
    todo = [_LIST_WORDS[f]() for f in still_needed(item, answer, defects)]
    if not todo:
        return f"{mark}  {label}", colour
    # "!" beside the mark, where a narrow list still shows it; the words after the label
    return f"{mark}{NEEDS}  {label} — {', '.join(todo)}", colour


def status_text(
    item: ChecklistItem, recorded: str, answer: Answer | None, defects: Sequence[Defect]
) -> str:
    """The editor's status line: what is recorded (``recorded``, worded by the editor),
    that a chosen option failed (a pass/fail says so itself, a reading's mean line says OUT
    OF LIMITS), and what the fail still needs."""
    if answer is None:
        return recorded
    text = recorded
    if judged(item, answer) is Outcome.FAIL and answer.value is not None:
        text += _tr(" (fail)")
    todo = [_STATUS_WORDS[f]() for f in still_needed(item, answer, defects)]
    return text + (f" — {', '.join(todo)}" if todo else "")


_LIST_WORDS = {
    FollowUp.DEFECT: lambda: _tr("defect to log (D)"),
    FollowUp.PHOTO: lambda: _tr("photo to attach"),
    FollowUp.NOTE: lambda: _tr("note to add"),
}
_STATUS_WORDS = {
    FollowUp.DEFECT: lambda: _tr("defect still to log (D)"),
    FollowUp.PHOTO: lambda: _tr("photo still to attach"),
    FollowUp.NOTE: lambda: _tr("note still to add (M)"),
}
OUTCOME_WORDS = {
    Outcome.PASS: lambda: _tr("pass"),
    Outcome.NA: lambda: _tr("not applicable"),
    Outcome.RECORDED: lambda: _tr("recorded"),
    Outcome.FAIL: lambda: _tr("fail"),
}


def change_fail_question(
    parent: QWidget, label: str, new: Outcome
) -> tuple[QMessageBox, QAbstractButton]:
    """ "Change a recorded fail?": Enter changes it, Esc keeps it; with the change button."""
    word = OUTCOME_WORDS[new]()
    box = QMessageBox(
        QMessageBox.Icon.Question,
        _tr("Change a recorded fail?"),
        _tr("“{0}” is recorded as a fail. Change it to {1}?").format(label, word),
        parent=parent,
    )
    box.setObjectName("change-fail")
    box.setInformativeText(
        _tr(
            "The change and why are kept in the audit trail; a defect already logged "
            "for it stays logged."
        )
    )
    change = box.addButton(
        _tr("Change to {0}  [Enter]").format(word), QMessageBox.ButtonRole.AcceptRole
    )
    keep = box.addButton(_tr("Keep the fail  [Esc]"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(change)
    box.setEscapeButton(keep)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box, change
