"""Corrective actions (8D): the list, overdue ones red and first, and the form that drives
one from open to a signed-off close. Everything by key: Ctrl+N new, Ctrl+S save,
Ctrl+E next status, Ctrl+B send back, Ctrl+D sign off and close."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QCoreApplication, QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.corrective import (
    CapaStatus,
    CorrectiveAction,
    RootCauseCategory,
)
from qcstation.domain.users import User
from qcstation.services import accounts, templates
from qcstation.services import corrective_actions as capa
from qcstation.services.corrective_actions import CapaEdit, Change, NewFile
from qcstation.ui import theme
from qcstation.ui.context import UiContext
from qcstation.ui.models import Column, ListModel
from qcstation.ui.widgets import button, muted, record_table, shortcut, title

STATUS_LABELS = {
    CapaStatus.OPEN: "open",
    CapaStatus.IN_PROGRESS: "in progress",
    CapaStatus.AWAITING_VERIFICATION: "awaiting verification",
    CapaStatus.CLOSED: "closed",
}


def _due(a: CorrectiveAction) -> str:
    due = min(a.dues(), default=None)
    return f"{due:%Y-%m-%d}" if due else ""


class CapaModel(ListModel[CorrectiveAction]):
    columns: ClassVar[Sequence[Column]] = [
        ("#", lambda a: a.id),
        ("Status", lambda a: STATUS_LABELS[a.status]),
        ("Due", _due),
        ("Owner", lambda a: a.owner),
        ("From", lambda a: f"defect {a.defect_id}" if a.defect_id else f"trend {a.trend_code}"),
        ("Title", lambda a: a.title),
    ]

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.today = date.today()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if index.isValid() and index.row() < len(self.rows):
            action = self.rows[index.row()]
            if action.overdue(self.today):
                if role == Qt.ItemDataRole.ForegroundRole:
                    return QBrush(QColor(theme.FAIL_COLOUR))
                if role == Qt.ItemDataRole.FontRole:
                    font = QFont()
                    font.setBold(True)
                    return font
                if role == Qt.ItemDataRole.DisplayRole and index.column() == 2:
                    return QCoreApplication.translate("CapaModel", "OVERDUE {0}").format(
                        _due(action)
                    )
        return super().data(index, role)


def _date_edit() -> QDateEdit:
    d = QDateEdit()
    d.setCalendarPopup(True)
    d.setDisplayFormat("yyyy-MM-dd")
    d.setSpecialValueText(" ")
    d.setMinimumDate(QDate(2000, 1, 1))
    d.setDate(d.minimumDate())
    return d


def _get_date(edit: QDateEdit) -> date | None:
    if edit.date() == edit.minimumDate():
        return None
    d = edit.date()
    return date(d.year(), d.month(), d.day())


def _set_date(edit: QDateEdit, value: date | None) -> None:
    edit.setDate(QDate(value.year, value.month, value.day) if value else edit.minimumDate())


def _text_box(name: str, height: int = 60) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(name)
    box.setTabChangesFocus(True)  # Tab moves on, as in every other field
    box.setFixedHeight(height)
    return box


class NewCapaDialog(QDialog):
    """Open a corrective action from a defect (its id) or from a trend (code + period)."""

    def __init__(self, ctx: UiContext, defect_id: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("new-capa-dialog")
        self.setWindowTitle(self.tr("New corrective action"))
        self.title = QLineEdit()
        self.title.setObjectName("capa-new-title")
        self.problem = _text_box("capa-new-problem", 80)
        self.defect = QSpinBox()
        self.defect.setRange(0, 2_000_000_000)
        self.defect.setSpecialValueText(self.tr("none: from a trend"))
        self.defect.setValue(defect_id or 0)
        self.code = QComboBox()
        self.code.setObjectName("capa-new-code")
        self.date_from, self.date_to = _date_edit(), _date_edit()
        today = QDate.currentDate()
        self.date_from.setDate(today.addDays(-30))
        self.date_to.setDate(today)
        self.message = muted()
        form = QFormLayout(self)
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Problem"), self.problem)
        form.addRow(self.tr("From defect #"), self.defect)
        form.addRow(self.tr("or trend of code"), self.code)
        form.addRow(self.tr("from"), self.date_from)
        form.addRow(self.tr("to"), self.date_to)
        form.addRow(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.created: CorrectiveAction | None = None
        station = ctx.station
        ctx.run(lambda: templates.catalog_in_use(station), self._codes)

    def title_text(self, text: str) -> None:
        self.title.setText(text)
        self.problem.setFocus()

    def _codes(self, catalog: Any) -> None:
        for entry in catalog.defects if catalog else ():
            self.code.addItem(f"{entry.code}  {entry.name}", entry.code)
        if not self.title.text():
            self.title.setFocus()

    def save(self) -> None:
        station, actor = self.ctx.station, self.ctx.actor
        title, problem = self.title.text(), self.problem.toPlainText()
        defect = self.defect.value() or None
        code = self.code.currentData()
        start, end = _get_date(self.date_from), _get_date(self.date_to)
        trend = None if defect else (code, start, end)
        self.setEnabled(False)
        self.ctx.run(
            lambda: capa.open_action(station, actor, title, problem, defect, trend),  # type: ignore[arg-type]
            self._saved,
            self._failed,
        )

    def _saved(self, action: CorrectiveAction) -> None:
        self.created = action
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.setEnabled(True)
        self.message.setText(str(exc))


class CloseDialog(QDialog):
    """The supervisor's sign-off: evidence that the action worked, and files to keep."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("capa-close-dialog")
        self.setWindowTitle(self.tr("Sign off and close"))
        self.evidence = _text_box("capa-evidence", 100)
        self.files: list[Path] = []
        self.file_list = muted(self.tr("No evidence files"))
        add = button(self.tr("Add evidence file…"))
        add.clicked.connect(self.add_file)
        form = QFormLayout(self)
        form.addRow(muted(self.tr("What shows that the action was effective?")))
        form.addRow(self.tr("Evidence"), self.evidence)
        form.addRow(add, self.file_list)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def add_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Evidence file"))
        if name:
            self.files.append(Path(name))
            self.file_list.setText(", ".join(p.name for p in self.files))


class CorrectiveActionsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("capa-page")
        self.current: CorrectiveAction | None = None
        self.model = CapaModel(self)
        self.table = record_table("capa-table", self.model)

        self.heading = title(self.tr("Corrective action"))
        self.heading.setWordWrap(True)  # a long title must not widen the form
        self.info = muted()
        self.info.setObjectName("capa-info")
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("capa-title")
        self.problem = _text_box("capa-problem")
        self.containment = _text_box("capa-containment")
        self.category = QComboBox()
        self.category.setObjectName("capa-category")
        self.category.addItem(self.tr("— choose —"), None)
        for c in RootCauseCategory:
            self.category.addItem(self.tr(c.value), c.value)
        self.root_cause = QLineEdit()
        self.root_cause.setObjectName("capa-root-cause")
        self.whys = _text_box("capa-whys", 90)
        self.whys.setPlaceholderText(self.tr("One why per line: why 1, why 2, …"))
        self.corrective = _text_box("capa-corrective")
        self.owner = QComboBox()
        self.owner.setObjectName("capa-owner")
        self.due = _date_edit()
        self.due.setObjectName("capa-due")
        self.preventive = _text_box("capa-preventive")
        self.preventive_owner = QComboBox()
        self.preventive_due = _date_edit()
        self.evidence = muted()
        self.evidence.setObjectName("capa-evidence-shown")
        self.message = muted()
        self.message.setObjectName("capa-message")
        self.changes = muted()
        self.changes.setObjectName("capa-history")

        form = QFormLayout()
        form.addRow(self.tr("Title"), self.title_edit)
        form.addRow(self.tr("D2 Problem"), self.problem)
        form.addRow(self.tr("D3 Containment"), self.containment)
        form.addRow(self.tr("D4 Root cause category"), self.category)
        form.addRow(self.tr("D4 Root cause"), self.root_cause)
        form.addRow(self.tr("D4 Why-chain"), self.whys)
        form.addRow(self.tr("D5 Corrective action"), self.corrective)
        owner_row = QHBoxLayout()
        owner_row.addWidget(self.owner, 1)
        owner_row.addWidget(muted(self.tr("due")))
        owner_row.addWidget(self.due)
        form.addRow(self.tr("Owner"), owner_row)
        form.addRow(self.tr("D7 Preventive action"), self.preventive)
        prev_row = QHBoxLayout()
        prev_row.addWidget(self.preventive_owner, 1)
        prev_row.addWidget(muted(self.tr("due")))
        prev_row.addWidget(self.preventive_due)
        form.addRow(self.tr("Owner"), prev_row)
        form.addRow(self.tr("D8 Effectiveness"), self.evidence)
        form.addRow(self.tr("History"), self.changes)

        self.new_button = button(self.tr("New"), "Ctrl+N")
        self.save_button = button(self.tr("Save"), "Ctrl+S")
        self.next_button = button(self.tr("Next status"), "Ctrl+E")
        self.back_button = button(self.tr("Send back"), "Ctrl+B")
        self.close_button = button(self.tr("Sign off and close"), "Ctrl+D")
        actions: list[tuple[QPushButton, str, Any]] = [
            (self.new_button, "Ctrl+N", self.new_action),
            (self.save_button, "Ctrl+S", self.save),
            (self.next_button, "Ctrl+E", self.advance),
            (self.back_button, "Ctrl+B", self.send_back),
            (self.close_button, "Ctrl+D", self.sign_off),
        ]
        buttons = QHBoxLayout()
        for b, key, slot in actions:
            b.clicked.connect(slot)
            shortcut(self, key, slot)
            buttons.addWidget(b)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.addWidget(self.heading)
        detail_layout.addWidget(self.info)
        detail_layout.addLayout(form)
        detail_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(detail)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(title(self.tr("Corrective actions")))
        left_layout.addWidget(muted(self.tr("Overdue ones first, in red; closed ones last.")))
        left_layout.addWidget(self.table, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(scroll)
        split.setSizes([620, 640])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._selected())
        self.table.activated.connect(lambda _i: self.title_edit.setFocus())
        self.notice = ""
        self._form_enabled(False)

    # --- loading ---------------------------------------------------------------------------

    def refresh(self, select_id: int | None = None) -> None:
        station = self.ctx.station
        keep = select_id if select_id is not None else (self.current.id if self.current else None)
        self.ctx.run(
            lambda: (capa.list_actions(station), accounts.list_users(station), station.now()),
            lambda got: self._show(got, keep),
        )

    def _show(self, got: tuple[list[CorrectiveAction], list[User], Any], keep: int | None) -> None:
        rows, users, now = got
        self.model.today = now.date()
        for box in (self.owner, self.preventive_owner):
            box.clear()
            box.addItem(self.tr("— nobody yet —"), "")
            for u in users:
                if u.active:
                    box.addItem(f"{u.full_name} ({u.username})", u.username)
        self.model.set_rows(rows)
        overdue = sum(a.overdue(now.date()) for a in rows)
        counts = self.tr("{0} corrective action(s), {1} overdue").format(len(rows), overdue)
        self.message.setText(f"{self.notice} — {counts}" if self.notice else counts)
        self.notice = ""
        index = next((i for i, a in enumerate(rows) if a.id == keep), 0)
        if rows:
            self.table.selectRow(index)
            self._selected()
        else:
            self.current = None
            self._form_enabled(False)
        self.table.setFocus()

    def _selected(self) -> None:
        a = self.model.row_at(self.table.currentIndex())
        self.current = a
        if a is None:
            return
        self.heading.setText(f"#{a.id} · {a.title} — {self.tr(STATUS_LABELS[a.status])}")
        source = (
            self.tr("from defect {0}").format(a.defect_id)
            if a.defect_id
            else self.tr("from the trend of {0}, {1} to {2}").format(
                a.trend_code, a.trend_from, a.trend_to
            )
        )
        opened = f"{a.opened_at.astimezone():%Y-%m-%d}" if a.opened_at else ""
        info = self.tr("Opened by {0} on {1}, {2}.").format(a.opened_by, opened, source)
        if a.overdue(self.model.today):
            info += " " + self.tr("<b style='color:{0}'>OVERDUE</b>").format(theme.FAIL_COLOUR)
        self.info.setText(info)
        self.title_edit.setText(a.title)
        self.problem.setPlainText(a.problem)
        self.containment.setPlainText(a.containment)
        self.category.setCurrentIndex(
            self.category.findData(a.root_cause_category.value if a.root_cause_category else None)
        )
        self.root_cause.setText(a.root_cause)
        self.whys.setPlainText("\n".join(a.why_chain))
        self.corrective.setPlainText(a.corrective)
        self.owner.setCurrentIndex(max(0, self.owner.findData(a.owner)))
        _set_date(self.due, a.due)
        self.preventive.setPlainText(a.preventive)
        self.preventive_owner.setCurrentIndex(
            max(0, self.preventive_owner.findData(a.preventive_owner))
        )
        _set_date(self.preventive_due, a.preventive_due)
        if a.status is CapaStatus.CLOSED:
            files = ", ".join(f.name for f in a.evidence_files)
            self.evidence.setText(
                self.tr("{0} — signed off by {1}{2}").format(
                    a.effectiveness_evidence,
                    a.verified_by,
                    self.tr("; files: {0}").format(files) if files else "",
                )
            )
        else:
            self.evidence.setText(self.tr("Given when a supervisor signs it off."))
        self._form_enabled(a.status is not CapaStatus.CLOSED)
        station, capa_id = self.ctx.station, a.id
        if capa_id is not None:
            self.ctx.run(
                lambda: capa.history(station, capa_id),
                lambda changes: self._history_loaded(capa_id, changes),
            )

    def _history_loaded(self, capa_id: int, changes: list[Change]) -> None:
        if self.current is None or self.current.id != capa_id:
            return  # another action was chosen meanwhile
        self.changes.setText(
            "<br>".join(
                f"{c.at.astimezone():%Y-%m-%d %H:%M} {c.actor} — "
                f"{self.tr(STATUS_LABELS.get(CapaStatus(c.status), c.status)) if c.status else ''}"
                f"{': ' + c.reason if c.reason and c.reason != f'status {c.status}' else ''}"
                for c in changes
            )
        )

    def _form_enabled(self, editable: bool) -> None:
        status = self.current.status if self.current else None
        for w in (
            self.title_edit,
            self.problem,
            self.containment,
            self.category,
            self.root_cause,
            self.whys,
            self.corrective,
            self.owner,
            self.due,
            self.preventive,
            self.preventive_owner,
            self.preventive_due,
            self.save_button,
        ):
            w.setEnabled(editable)
        self.next_button.setEnabled(status in (CapaStatus.OPEN, CapaStatus.IN_PROGRESS))
        self.back_button.setEnabled(status is CapaStatus.AWAITING_VERIFICATION)
        self.close_button.setEnabled(status is CapaStatus.AWAITING_VERIFICATION)

    # --- changes ---------------------------------------------------------------------------

    def edit(self) -> CapaEdit:
        category = self.category.currentData()
        return CapaEdit(
            title=self.title_edit.text(),
            problem=self.problem.toPlainText(),
            containment=self.containment.toPlainText(),
            root_cause_category=RootCauseCategory(category) if category else None,
            root_cause=self.root_cause.text(),
            why_chain=tuple(self.whys.toPlainText().splitlines()),
            corrective=self.corrective.toPlainText(),
            owner=self.owner.currentData() or "",
            due=_get_date(self.due),
            preventive=self.preventive.toPlainText(),
            preventive_owner=self.preventive_owner.currentData() or "",
            preventive_due=_get_date(self.preventive_due),
        )

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(str(exc))

    def save(self) -> None:
        a = self.current
        if a is None or a.id is None or not self.save_button.isEnabled():
            return
        station, actor, edit, capa_id = self.ctx.station, self.ctx.actor, self.edit(), a.id
        self.ctx.run(
            lambda: capa.update(station, actor, capa_id, edit), self._changed, self._failed
        )

    def advance(self) -> None:
        a = self.current
        if a is None or a.id is None or a.status is CapaStatus.CLOSED:
            return
        to = (
            CapaStatus.IN_PROGRESS
            if a.status is CapaStatus.OPEN
            else CapaStatus.AWAITING_VERIFICATION
        )
        if a.status is CapaStatus.AWAITING_VERIFICATION:
            self.message.setText(
                self.tr("Verify it: sign off and close [Ctrl+D], or send back [Ctrl+B].")
            )
            return
        station, actor, edit, capa_id = self.ctx.station, self.ctx.actor, self.edit(), a.id

        def work() -> CorrectiveAction:
            capa.update(station, actor, capa_id, edit)  # what is on the form counts
            return capa.advance(station, actor, capa_id, to)

        self.ctx.run(work, self._changed, self._failed)

    def send_back(self) -> None:
        a = self.current
        if a is None or a.id is None or a.status is not CapaStatus.AWAITING_VERIFICATION:
            return
        reason, ok = QInputDialog.getText(
            self,
            self.tr("Send back"),
            self.tr("What did verification find lacking? (kept in the audit trail)"),
        )
        if not ok:
            return
        station, actor, capa_id = self.ctx.station, self.ctx.actor, a.id
        self.ctx.run(
            lambda: capa.advance(station, actor, capa_id, CapaStatus.IN_PROGRESS, reason),
            self._changed,
            self._failed,
        )

    def sign_off(self) -> None:
        a = self.current
        if a is None or a.id is None or a.status is not CapaStatus.AWAITING_VERIFICATION:
            return
        dialog = CloseDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.close_with(dialog.evidence.toPlainText(), dialog.files)

    def close_with(self, evidence: str, paths: Sequence[Path]) -> None:
        a = self.current
        if a is None or a.id is None:
            return
        station, actor, capa_id = self.ctx.station, self.ctx.actor, a.id

        def work() -> CorrectiveAction:
            files = [NewFile(p.name, p.read_bytes(), _media_type(p)) for p in paths]
            return capa.close(station, actor, capa_id, evidence, files)

        self.ctx.run(work, self._changed, self._failed)

    def new_action(self, defect_id: int | None = None) -> None:
        dialog = NewCapaDialog(self.ctx, defect_id if isinstance(defect_id, int) else None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.created is not None:
            self._changed(dialog.created)

    def _changed(self, action: CorrectiveAction) -> None:
        self.notice = self.tr("#{0} saved: {1}").format(
            action.id, self.tr(STATUS_LABELS[action.status])
        )
        self.refresh(action.id)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()


def _media_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"
