"""The checklist editor (supervisors): edit a template's sections and items, see at once what
`qcstation template validate` says of it, preview it as an inspector (the preview is
ui/pages/template_preview.py), save it as a new version with a change note, compare versions
side by side and activate one.

Keys, in the checklist tree: Insert adds an item of the kind chosen beside it after the current
one, Ctrl+Insert a section, Ctrl+Up / Ctrl+Down move the current item or section, Delete removes
it, Enter goes to its first field (Esc comes back). Ctrl+P previews, Ctrl+S saves, F8 goes to
the first field the check finds at fault.

What the form edits is the table domain.template_drafts.ITEM_FIELDS; every other field of an item
is kept as it is, and shown so. The check is services.templates.validate_text, the command's.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.defects import DefectCatalog
from qcstation.domain.template_diff import TemplateDiff
from qcstation.domain.template_drafts import (
    ITEM_FIELDS,
    Draft,
    FieldSpec,
    dump,
    fits,
    get,
    parse_typed,
    shown,
    unknown_fields,
)
from qcstation.domain.templates import ITEM_KINDS, ChecklistTemplate, FollowUp
from qcstation.domain.yaml_files import ContentError, Problem
from qcstation.services import template_editor, templates
from qcstation.services.problems import is_known
from qcstation.services.template_editor import TemplateVersion
from qcstation.ui.context import UiContext
from qcstation.ui.pages.template_preview import PreviewDialog, no_default_button
from qcstation.ui.theme import FAIL_COLOUR, PASS_COLOUR, REVIEW_COLOUR
from qcstation.ui.widgets import VerticalScroll, button, muted, shortcut, title

CHECK_PAUSE_MS = 250  # the check runs once typing pauses this long
Node = tuple[int, int | None]  # section, item (None: the section itself)
ITEM_AT = re.compile(r"^sections\[(\d+)\](?:\.items\[(\d+)\])?")
# Values a field has when the file leaves it out (the schema's defaults), to show them.
DEFAULTS: dict[str, Any] = {
    "required": True,
    "allow_na": False,
    "photo_required": False,
    "severity": "major",
    "on_fail.require": [FollowUp.DEFECT.value],
}


def node_of(problem: Problem) -> Node | None:
    """The section or item a validation problem is about, from its field path."""
    m = ITEM_AT.match(problem.field)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)) if m.group(2) is not None else None


class TemplateEditorDialog(QDialog):
    """Edits one template, starting from one of its versions."""

    def __init__(
        self,
        ctx: UiContext,
        key: str,
        version: int,
        source: str,
        catalog: DefectCatalog | None,
        history: list[TemplateVersion],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ctx, self.key, self.base, self.catalog = ctx, key, version, catalog
        self.history = history
        self.setObjectName("template-editor")
        self.setWindowTitle(self.tr("Edit checklist {0}").format(key))
        self.resize(1240, 760)
        self.draft = Draft.from_yaml(source)
        self.kept = copy.deepcopy(self.draft.data)  # as last loaded or saved
        self.problems: list[Problem] = []
        self.valid: ChecklistTemplate | None = None
        self.current: Node | None = None
        self.field_widgets: dict[str, QWidget] = {}
        self.preview: PreviewDialog | None = None
        self.pending = False  # typed into since the last check
        self.checking = QTimer(self)
        self.checking.setSingleShot(True)
        self.checking.setInterval(CHECK_PAUSE_MS)
        self.checking.timeout.connect(self.validate)

        # --- the checklist tab ----------------------------------------------------------
        self.tree = QTreeWidget()
        self.tree.setObjectName("editor-tree")
        self.tree.setHeaderHidden(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.currentItemChanged.connect(self._selected)
        self.tree.installEventFilter(self)
        self.kind = QComboBox()
        self.kind.setObjectName("new-item-kind")
        self.kind.addItems(list(ITEM_KINDS))
        add = button(self.tr("Add item"), "Ins", "add-item")
        add_section = button(self.tr("Add section"), "Ctrl+Ins")
        up = button(self.tr("Up"), "Ctrl+↑")
        down = button(self.tr("Down"), "Ctrl+↓")
        delete = button(self.tr("Delete"), "Del")
        add.clicked.connect(self.add_item)
        add_section.clicked.connect(self.add_section)
        up.clicked.connect(lambda: self.move_current(-1))
        down.clicked.connect(lambda: self.move_current(+1))
        delete.clicked.connect(self.delete)
        tools = QGridLayout()
        tools.addWidget(self.kind, 0, 0)
        tools.addWidget(add, 0, 1)
        tools.addWidget(add_section, 0, 2)
        tools.addWidget(up, 1, 0)
        tools.addWidget(down, 1, 1)
        tools.addWidget(delete, 1, 2)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tree, 1)
        left_layout.addLayout(tools)
        self.form_holder = QWidget()
        self.form_holder.setObjectName("editor-form")
        self.form = QFormLayout(self.form_holder)
        form_scroll = VerticalScroll(self.form_holder, "editor-form-scroll")
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(form_scroll)
        split.setSizes([1_000, 1_000])
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        checklist = QWidget()
        QVBoxLayout(checklist).addWidget(split)

        # --- the versions tab -----------------------------------------------------------
        self.versions = QTableWidget(0, 6)
        self.versions.setObjectName("versions-table")
        self.versions.setHorizontalHeaderLabels(
            [
                self.tr("Version"),
                self.tr("Active"),
                self.tr("Used by"),
                self.tr("Saved"),
                self.tr("By"),
                self.tr("Note"),
            ]
        )
        self.versions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.versions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.versions.verticalHeader().setVisible(False)
        self.versions.horizontalHeader().setStretchLastSection(True)
        self.old_version = QComboBox()
        self.old_version.setObjectName("diff-old")
        self.new_version = QComboBox()
        self.new_version.setObjectName("diff-new")
        compare = button(self.tr("Compare"), "Ctrl+D", "compare")
        compare.clicked.connect(self.compare)
        activate = button(self.tr("Activate selected version"), "Ctrl+Shift+A", "activate-version")
        activate.clicked.connect(self.activate_selected)
        pick = QHBoxLayout()
        pick.addWidget(QLabel(self.tr("Compare version")))
        pick.addWidget(self.old_version)
        pick.addWidget(QLabel(self.tr("with")))
        pick.addWidget(self.new_version)
        pick.addWidget(compare)
        pick.addStretch(1)
        pick.addWidget(activate)
        self.diff_table = QTableWidget(0, 4)
        self.diff_table.setObjectName("diff-table")
        self.diff_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.diff_table.verticalHeader().setVisible(False)
        self.diff_table.horizontalHeader().setStretchLastSection(True)
        self.diff_summary = muted()
        self.diff_summary.setObjectName("diff-summary")
        history_tab = QWidget()
        h = QVBoxLayout(history_tab)
        h.addWidget(self.versions, 2)
        h.addLayout(pick)
        h.addWidget(self.diff_summary)
        h.addWidget(self.diff_table, 3)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("editor-tabs")
        self.tabs.addTab(checklist, self.tr("Checklist"))
        self.tabs.addTab(history_tab, self.tr("Versions"))

        # --- the foot: problems, note, save ---------------------------------------------
        self.heading = title("")
        self.report = QLabel()
        self.report.setObjectName("editor-problems")
        self.report.setWordWrap(True)
        self.report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLineEdit()
        self.note.setObjectName("change-note")
        self.note.setPlaceholderText(self.tr("Change note: what changed and why (required)"))
        self.note.textChanged.connect(self._update_save)
        self.preview_button = button(self.tr("Preview"), "Ctrl+P", "preview")
        self.preview_button.clicked.connect(self.open_preview)
        self.save_button = button(self.tr("Save as new version"), "Ctrl+S", "save-version")
        self.save_button.clicked.connect(self.save)
        close = button(self.tr("Close"), "Esc")
        close.clicked.connect(self.reject)
        foot = QHBoxLayout()
        foot.addWidget(self.note, 1)
        foot.addWidget(self.preview_button)
        foot.addWidget(self.save_button)
        foot.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.report)
        layout.addLayout(foot)

        for keys, slot in (
            ("Ctrl+S", self.save),
            ("Ctrl+P", self.open_preview),
            ("Ctrl+D", self.compare),
            ("Ctrl+Shift+A", self.activate_selected),
            ("Ctrl+Ins", self.add_section),
            ("F8", self.go_to_problem),
        ):
            shortcut(self, keys, slot)
        no_default_button(self)
        self._show_history(history)
        self._refill_tree()
        self.validate()
        self.tree.setFocus()

    # --- the tree ----------------------------------------------------------------------

    @property
    def next_version(self) -> int:
        return max((v.version for v in self.history), default=self.base) + 1

    def _label(self, item: dict[str, Any]) -> str:
        extra = ""
        if isinstance(item.get("positions"), dict):
            extra = f"  ×{get(item, ('positions', 'label'))}"
        return f"[{item.get('kind')}] {item.get('id')} — {item.get('prompt')}{extra}"

    def _refill_tree(self, select: Node | None = None) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        for s, section in enumerate(self.draft.sections):
            top = QTreeWidgetItem([str(section.get("title", ""))])
            top.setData(0, Qt.ItemDataRole.UserRole, (s, None))
            self.tree.addTopLevelItem(top)
            for i, item in enumerate(section.get("items") or []):
                child = QTreeWidgetItem([self._label(item)])
                child.setToolTip(0, self._label(item))  # the whole of a long prompt
                child.setData(0, Qt.ItemDataRole.UserRole, (s, i))
                top.addChild(child)
        self.tree.expandAll()
        self.tree.blockSignals(False)
        self._select(select or self.current or ((0, 0) if self.draft.sections else None))
        self._mark_problems()

    def _tree_item(self, node: Node) -> QTreeWidgetItem | None:
        s, i = node
        if not 0 <= s < self.tree.topLevelItemCount():
            return None
        top = self.tree.topLevelItem(s)
        if i is None:
            return top
        return top.child(i) if top is not None and 0 <= i < top.childCount() else top

    def _select(self, node: Node | None) -> None:
        found = self._tree_item(node) if node is not None else None
        if found is not None:
            before = self.tree.currentItem()
            self.tree.setCurrentItem(found)  # its signal builds the form
            if before is found:
                self._selected(found, None)
        else:
            self.current = None
            self._build_form()

    def _selected(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        s, i = item.data(0, Qt.ItemDataRole.UserRole)
        self.current = (s, i)
        self._build_form()

    def _mark_problems(self) -> None:
        bad = {node_of(p) for p in self.problems}
        for s in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(s)
            if top is None:
                continue
            nodes = [(top, (s, None))] + [(top.child(i), (s, i)) for i in range(top.childCount())]
            for w, node in nodes:
                if w is None:
                    continue
                colour = QColor(FAIL_COLOUR) if node in bad else self.palette().text().color()
                w.setForeground(0, QBrush(colour))

    # --- editing -----------------------------------------------------------------------

    def add_item(self) -> None:
        if not self.draft.sections:
            self.draft.add_section(self.tr("New section"))
        s, i = self.current or (0, None)
        at = None if i is None else i + 1
        node = self.draft.add_item(s, self.kind.currentText(), at)
        self._changed(node)

    def add_section(self) -> None:
        s = self.current[0] + 1 if self.current else None
        at = self.draft.add_section(self.tr("New section"), s)
        self._changed((at, None))

    def move_current(self, by: int) -> None:
        if self.current is None:
            return
        s, i = self.current
        if i is None:
            self._changed((self.draft.move_section(s, by), None))
        else:
            self._changed(self.draft.move_item(s, i, by))

    def delete(self) -> None:
        if self.current is None:
            return
        s, i = self.current
        if i is None:
            self.draft.delete_section(s)
            self._changed((max(0, s - 1), None))
        else:
            self.draft.delete_item(s, i)
            left = len(self.draft.items(s))
            self._changed((s, min(i, left - 1)) if left else (s, None))

    def _changed(self, select: Node | None = None) -> None:
        """A structural edit: the tree again, the form of what is selected, the check."""
        self.current = select
        self.validate()
        self._refill_tree(select)

    def _field_edited(self) -> None:
        """A field typed into: relabel at once, keeping the form (and the focus); check again
        once typing pauses (a check reads the whole checklist: not on every key)."""
        self.pending = True
        self.save_button.setEnabled(False)
        self.checking.start()
        if self.current is not None:
            found = self._tree_item(self.current)
            s, i = self.current
            if found is not None:
                if i is None:
                    found.setText(0, str(self.draft.sections[s].get("title", "")))
                else:
                    found.setText(0, self._label(self.draft.item(s, i)))
        self._mark_problems()

    # --- the form ----------------------------------------------------------------------

    def _clear_form(self) -> None:
        self.field_widgets = {}
        while self.form.rowCount():
            self.form.removeRow(0)

    def _build_form(self) -> None:
        self._clear_form()
        if self.current is None:
            return
        s, i = self.current
        if i is None:
            self._build_section_form(s)
            return
        item = self.draft.item(s, i)
        kind = QComboBox()
        kind.setObjectName("field-kind")
        kind.addItems(list(ITEM_KINDS))
        kind.setCurrentText(str(item.get("kind")))
        kind.currentTextChanged.connect(lambda k: self._set_kind(s, i, k))
        self._add_row(self.tr("Kind"), kind, "kind")
        for spec in ITEM_FIELDS:
            if spec.applies_to(str(item.get("kind"))):
                self._add_field(s, i, spec, item)
        others = unknown_fields(item)
        if others:
            kept = muted(
                self.tr("Kept as they are: {0}").format(
                    "; ".join(f"{k}: {shown(v)}" for k, v in others.items())
                )
            )
            kept.setObjectName("kept-fields")
            self.form.addRow(kept)

    def _build_section_form(self, s: int) -> None:
        edit = QLineEdit(str(self.draft.sections[s].get("title", "")))
        edit.setObjectName("field-title")

        def typed(text: str) -> None:
            self.draft.set_section_title(s, text)
            self._field_edited()

        edit.textEdited.connect(typed)
        self._add_row(self.tr("Section title"), edit, "title")
        for name, label in (("name", self.tr("Checklist name")), ("description", "")):
            top = QLineEdit(shown(self.draft.data.get(name)))
            top.setObjectName(f"field-template-{name}")

            def typed_top(text: str, name: str = name) -> None:
                self.draft.set_top(name, text if text.strip() or name == "name" else None)
                self._field_edited()

            top.textEdited.connect(typed_top)
            self._add_row(label or self.tr("Description"), top, f"template.{name}")

    def _add_row(self, label: str, widget: QWidget, name: str) -> None:
        self.field_widgets[name] = widget
        widget.installEventFilter(self)
        self.form.addRow(label, widget)

    def _add_field(self, s: int, i: int, spec: FieldSpec, item: dict[str, Any]) -> None:
        value = get(item, spec.path)
        name = f"field-{spec.name}"
        if not fits(spec, value):
            # A value of a shape this form does not edit (a nominal from the SKU's
            # specification): shown, kept, never typed over.
            kept = QLabel(self.tr("{0} (kept as it is)").format(shown(value)))
            kept.setObjectName(name)
            self.form.addRow(self.tr(spec.label), kept)
            return

        def store(v: Any) -> None:
            self.draft.set_field(s, i, spec.path, v)
            self._field_edited()

        widget: QWidget
        if spec.type == "bool":
            box = QCheckBox()
            box.setChecked(bool(DEFAULTS.get(spec.name, False) if value is None else value))
            box.toggled.connect(store)
            widget = box
        elif spec.type == "choice":
            combo = QComboBox()
            # A field with a default shows it; one without offers "" (not set) first.
            combo.addItems(list(spec.choices) if spec.name in DEFAULTS else ["", *spec.choices])
            combo.setCurrentText(str(DEFAULTS.get(spec.name, "") if value is None else value))
            combo.currentTextChanged.connect(lambda t: store(t or None))
            widget = combo
        elif spec.type == "flags":
            widget = QWidget()
            row = QHBoxLayout(widget)
            row.setContentsMargins(0, 0, 0, 0)
            current = DEFAULTS.get(spec.name, []) if value is None else value
            boxes: list[QCheckBox] = []
            for choice in spec.choices:
                box = QCheckBox(choice)
                box.setObjectName(f"{name}-{choice}")
                box.setChecked(choice in current)
                box.installEventFilter(self)  # Esc from a box goes back to the list too
                boxes.append(box)
                row.addWidget(box)

            def flags(_on: bool, boxes: list[QCheckBox] = boxes) -> None:
                store([b.text() for b in boxes if b.isChecked()])

            for box in boxes:
                box.toggled.connect(flags)
        else:
            edit = QLineEdit(shown(value))
            if value is None and spec.name in DEFAULTS:
                edit.setPlaceholderText(shown(DEFAULTS[spec.name]))
            edit.textEdited.connect(lambda t: store(parse_typed(spec, t)))
            widget = edit
        widget.setObjectName(name)
        self._add_row(self.tr(spec.label), widget, spec.name)

    def _set_kind(self, s: int, i: int, kind: str) -> None:
        self.draft.set_kind(s, i, kind)
        # The form is built again for the new kind once the list that sent this is done
        # (it goes with the old form), and the keyboard stays on the kind.
        QTimer.singleShot(0, lambda: self._kind_changed((s, i)))

    def _kind_changed(self, node: Node) -> None:
        self._changed(node)
        kind = self.field_widgets.get("kind")
        if kind is not None:
            kind.setFocus()

    def focus_form(self) -> None:
        first = next(iter(self.field_widgets.values()), None)
        if first is not None:
            first.setFocus()

    def _in_form(self, watched: QObject) -> bool:
        return any(
            watched is w or (isinstance(watched, QWidget) and w.isAncestorOf(watched))
            for w in self.field_widgets.values()
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key, mods = event.key(), event.modifiers()
            ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
            if watched is self.tree:
                actions: dict[tuple[int, bool], Callable[[], None]] = {
                    (Qt.Key.Key_Insert, False): self.add_item,
                    (Qt.Key.Key_Insert, True): self.add_section,
                    (Qt.Key.Key_Up, True): lambda: self.move_current(-1),
                    (Qt.Key.Key_Down, True): lambda: self.move_current(+1),
                    (Qt.Key.Key_Delete, False): self.delete,
                    (Qt.Key.Key_Return, False): self.focus_form,
                    (Qt.Key.Key_Enter, False): self.focus_form,
                }
                action = actions.get((key, ctrl))
                if action is not None:
                    action()
                    return True
            elif key == Qt.Key.Key_Escape and self._in_form(watched):
                self.tree.setFocus()  # Esc leaves the field as typed, back to the list
                return True
        return super().eventFilter(watched, event)

    # --- checking and saving -----------------------------------------------------------

    def validate(self) -> None:
        """The draft through the one validator `qcstation template validate` uses."""
        self.checking.stop()
        self.pending = False
        text = dump({**self.draft.data, "version": self.next_version})
        name = f"{self.key}@{self.next_version} (draft)"
        try:
            _source, self.valid = templates.validate_text(text, name, self.catalog)
            self.problems = []
        except ContentError as exc:
            self.valid, self.problems = None, exc.problems
        if self.problems:
            self.report.setStyleSheet(f"color: {FAIL_COLOUR};")
            said = [str(p) for p in self.problems[:8]]
            self.report.setText("\n".join([*said, self.tr("(F8: go to the first)")]))
        else:
            self.report.setStyleSheet(f"color: {PASS_COLOUR};")
            self.report.setText(self.tr("{0}: OK").format(name))
        self.heading.setText(
            self.tr("{0} — editing from version {1}; saves as version {2}").format(
                self.draft.data.get("name", self.key), self.base, self.next_version
            )
        )
        self._mark_problems()
        self._update_save()

    def go_to_problem(self) -> None:
        """F8: the first item the check finds at fault, and the field named, in the form."""
        if self.pending:
            self.validate()
        for problem in self.problems:
            node = node_of(problem)
            if node is None:
                continue
            self.tabs.setCurrentIndex(0)
            self._select(node)
            field = re.sub(r"\[\d+\]$", "", ITEM_AT.sub("", problem.field).lstrip("."))
            (self.field_widgets.get(field) or self.tree).setFocus()
            return

    def _update_save(self) -> None:
        ready = not self.pending and self.valid is not None and bool(self.note.text().strip())
        self.save_button.setEnabled(ready)
        self.preview_button.setEnabled(self.valid is not None)

    def save(self) -> None:
        if self.pending:
            self.validate()  # Ctrl+S straight after typing: what was typed is checked first
        if not self.save_button.isEnabled():
            return
        station, actor, key = self.ctx.station, self.ctx.actor, self.key
        # A copy: the worker writes it while the supervisor may already edit on.
        data, note = copy.deepcopy(self.draft.data), self.note.text()
        self.save_button.setEnabled(False)

        def saved(version: TemplateVersion) -> None:
            self.kept = copy.deepcopy(data)
            self.note.clear()
            self.base = version.version
            self.report.setStyleSheet(f"color: {PASS_COLOUR};")
            self.ctx.events.templates_changed.emit()
            self._reload_history(
                lambda: self.report.setText(
                    self.tr("Saved as version {0} (not active yet).").format(version.version)
                )
            )

        self.ctx.run(
            lambda: template_editor.save_version(station, actor, key, data, note),
            saved,
            self._refused,
        )

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, ContentError):
            self.report.setText("\n".join(str(p) for p in exc.problems))
        elif is_known(exc):
            self.report.setStyleSheet(f"color: {FAIL_COLOUR};")
            self.report.setText(str(exc))
        else:
            self.ctx.errors.report(exc)
        self._update_save()

    @property
    def dirty(self) -> bool:
        """Edits not saved as a version yet."""
        return self.draft.data != self.kept

    def reject(self) -> None:
        """Close; with edits not saved, only once the supervisor says to drop them."""
        if self.dirty:
            asked = QMessageBox.question(
                self,
                self.tr("Unsaved edits"),
                self.tr("Close the editor and drop the edits not saved as a version?"),
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if asked != QMessageBox.StandardButton.Discard:
                return
        super().reject()

    # --- versions, diff, activation ---------------------------------------------------

    def _reload_history(self, then: Callable[[], None] | None = None) -> None:
        station, key = self.ctx.station, self.key

        def shown_history(history: list[TemplateVersion]) -> None:
            self._show_history(history)
            self.validate()
            if then is not None:
                then()

        self.ctx.run(lambda: template_editor.versions(station, key), shown_history)

    def _show_history(self, history: list[TemplateVersion]) -> None:
        self.history = history
        self.versions.setRowCount(len(history))
        for row, v in enumerate(history):
            cells = (
                str(v.version),
                self.tr("active") if v.active else "",
                self.tr("{0} inspections").format(v.inspections),
                f"{v.saved_at.astimezone():%Y-%m-%d %H:%M}",
                v.saved_by,
                v.change_note if v.change_note is not None else self.tr("(imported from a file)"),
            )
            for col, text in enumerate(cells):
                self.versions.setItem(row, col, QTableWidgetItem(text))
        self.versions.resizeColumnsToContents()
        numbers = [str(v.version) for v in history]
        for combo, pick in ((self.old_version, -2), (self.new_version, -1)):
            combo.clear()
            combo.addItems(numbers)
            if numbers:
                combo.setCurrentIndex(max(0, len(numbers) + pick))

    def compare(self) -> None:
        if not self.old_version.currentText() or not self.new_version.currentText():
            return
        station, key = self.ctx.station, self.key
        old, new = int(self.old_version.currentText()), int(self.new_version.currentText())
        self.tabs.setCurrentIndex(1)
        self.ctx.run(
            lambda: template_editor.diff_versions(station, key, old, new),
            self.show_diff,
            self._refused,
        )

    def show_diff(self, found: TemplateDiff) -> None:
        """Side by side: each changed field with the older version's value on the left."""
        rows: list[tuple[str, str, str, str, str]] = []
        for c in found.header + found.sections:
            rows.append(("changed", self.tr("(checklist)"), c.field, shown(c.old), shown(c.new)))
        for item in found.items:
            if item.change == "moved" and not item.fields:
                rows.append((item.change, item.item_id, self.tr("(place)"), "", ""))
            for f in item.fields:
                rows.append((item.change, item.item_id, f.field, shown(f.old), shown(f.new)))
        self.diff_table.setColumnCount(4)
        self.diff_table.setHorizontalHeaderLabels(
            [
                self.tr("Item"),
                self.tr("Field"),
                self.tr("Version {0}").format(found.old_version),
                self.tr("Version {0}").format(found.new_version),
            ]
        )
        colours = {"added": PASS_COLOUR, "removed": FAIL_COLOUR, "moved": REVIEW_COLOUR}
        self.diff_table.setRowCount(len(rows))
        for r, (change, item_id, field, old, new) in enumerate(rows):
            for col, text in enumerate((f"{item_id} ({change})", field, old, new)):
                cell = QTableWidgetItem(text)
                if change in colours:
                    cell.setForeground(QBrush(QColor(colours[change])))
                self.diff_table.setItem(r, col, cell)
        self.diff_table.resizeColumnsToContents()
        counts = {k: sum(1 for i in found.items if i.change == k) for k in colours | {"changed": 0}}
        self.diff_summary.setText(
            self.tr("Version {0} → {1}: {2} added, {3} removed, {4} changed, {5} moved").format(
                found.old_version,
                found.new_version,
                counts["added"],
                counts["removed"],
                counts["changed"],
                counts["moved"],
            )
            if not found.empty
            else self.tr("Versions {0} and {1} are the same.").format(
                found.old_version, found.new_version
            )
        )

    def activate_selected(self) -> None:
        row = self.versions.currentRow()
        if not 0 <= row < len(self.history):
            self.tabs.setCurrentIndex(1)
            self.versions.setFocus()
            return
        version = self.history[row].version
        station, actor, key = self.ctx.station, self.ctx.actor, self.key

        def done(_info: object) -> None:
            self.ctx.events.templates_changed.emit()
            self._reload_history(
                lambda: self.report.setText(
                    self.tr("Version {0} is now the active checklist.").format(version)
                )
            )

        self.ctx.run(lambda: templates.activate(station, actor, key, version), done, self._refused)

    # --- preview -----------------------------------------------------------------------

    def open_preview(self) -> None:
        if self.pending:
            self.validate()
        if self.valid is None:
            return
        self.preview = PreviewDialog(self.valid, self)
        self.preview.open()
