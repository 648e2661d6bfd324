"""The preview of a checklist being edited: the checklist as an inspector works through it,
with the checklist's own item widget (ui/pages/item_editor.py) and keys, answers judged by the
domain's verdict and forgotten on closing.

Kept apart from ui/pages/template_editor.py because it edits nothing and stores nothing: it
takes a template the editor has validated and knows nothing of drafts, versions or the
station. no_default_button lives here beside it and the editor imports it: both dialogs keep
Enter for the field it is typed in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Answer, AnswerError, Outcome, evaluate, positions_of
from qcstation.domain.templates import ChecklistTemplate, step_label
from qcstation.ui.pages.item_editor import ItemEditor
from qcstation.ui.theme import REVIEW_COLOUR
from qcstation.ui.widgets import VerticalScroll, button, muted, shortcut
from qcstation.ui.wrapping_list import WrappingList


def no_default_button(dialog: QDialog) -> None:
    """Enter belongs to the field it is typed in (an answer, a note), never to a button
    the dialog would press for it (Close, Preview)."""
    for b in dialog.findChildren(QPushButton):
        b.setAutoDefault(False)
        b.setDefault(False)


class PreviewDialog(QDialog):
    """The checklist as an inspector works through it, with the checklist's own item widget
    and keys; answers are judged here and forgotten on closing: nothing is stored."""

    def __init__(self, template: ChecklistTemplate, parent: QWidget | None = None):
        super().__init__(parent)
        self.template = template
        self.setObjectName("template-preview")
        self.setWindowTitle(self.tr("Preview of {0} — nothing is stored").format(template.key))
        self.resize(1000, 700)
        self.steps = [
            (item, pos, section.title)
            for section in template.sections
            for item in section.items
            for pos in positions_of(item, {})
        ]
        self.outcomes: dict[int, str] = {}
        self.index = 0
        self.list = WrappingList("preview-list")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.currentRowChanged.connect(self.go_to)
        self.editor = ItemEditor()
        self.editor.answered.connect(self.on_answered)
        self.said = muted()
        self.said.setObjectName("preview-said")
        banner = QLabel(self.tr("Preview: answers are judged but never stored."))
        banner.setStyleSheet(f"color: {REVIEW_COLOUR}; font-weight: bold;")
        close = button(self.tr("Close"), "Esc")
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(banner)
        body = QHBoxLayout()
        body.addWidget(VerticalScroll(self.editor, "preview-item"), 3)
        body.addWidget(self.list, 2)
        layout.addLayout(body, 1)
        layout.addWidget(self.said)
        layout.addWidget(close)
        for key, slot in (
            ("P", self.editor.give_pass),
            ("+", self.editor.give_pass),
            ("F", self.editor.give_fail),
            ("-", self.editor.give_fail),
            ("N", self.editor.give_na),
            ("Left", lambda: self.go_to(self.index - 1)),
            ("PgUp", lambda: self.go_to(self.index - 1)),
            ("Right", lambda: self.go_to(self.index + 1)),
            ("PgDown", lambda: self.go_to(self.index + 1)),
        ):
            shortcut(self, key, slot)
        for n in range(1, 10):
            shortcut(self, str(n), lambda n=n: self.editor.choose(n - 1))
        no_default_button(self)
        for n, (item, pos, _section) in enumerate(self.steps):
            self.list.addItem(step_label(item, pos))
            self._mark(n)
        self.go_to(0)

    def _mark(self, n: int) -> None:
        row = self.list.item(n)
        item, pos, _section = self.steps[n]
        outcome = self.outcomes.get(n, "")
        row.setText((f"{outcome}  " if outcome else "") + step_label(item, pos))

    def go_to(self, index: int) -> None:
        if not 0 <= index < len(self.steps) or not self.steps:
            return
        self.index = index
        item, pos, section = self.steps[index]
        self.list.blockSignals(True)
        self.list.setCurrentRow(index)
        self.list.blockSignals(False)
        self.editor.show_item(item, pos, section, step_label(item, pos), None, 0)
        self.editor.focus_entry()

    def on_answered(self, answer: Answer) -> None:
        item, pos, _section = self.steps[self.index]
        try:
            ev = evaluate(item, answer)
        except AnswerError as exc:
            self.said.setText(str(exc))
            return
        word = {Outcome.PASS: "✓", Outcome.FAIL: "✗", Outcome.NA: "N/A"}.get(ev.outcome, "•")
        self.outcomes[self.index] = word
        self._mark(self.index)
        follow = ""
        if ev.outcome is Outcome.FAIL:
            asks = ", ".join(f.value for f in item.on_fail.require)
            follow = self.tr(" — the inspector is asked for: {0}").format(asks)
        self.said.setText(
            self.tr("{0}: {1}{2}").format(step_label(item, pos), ev.outcome.value, follow)
        )
        self.go_to(min(self.index + 1, len(self.steps) - 1))
