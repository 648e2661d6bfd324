"""Unfinished inspections on the bench: the start page's list (held here, parked, held at
another station), and parking or abandoning the open one.

Keys: on the start page Ctrl+U goes to the list, Enter continues, resumes or takes over the
chosen one, Shift+F8 abandons it; with an inspection open, F8 parks it and Shift+F8
abandons it. Taking over and abandoning ask for a reason, which is audited. When another
station took the open inspection over, the next refused change says so and the bench
goes back to the start page, where the list shows where it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.holds import HoldState, Unfinished, check_reason, clock
from qcstation.domain.inspections import Inspection
from qcstation.services import holds
from qcstation.services.holds import NotHeld
from qcstation.ui.widgets import button, muted, shortcut
from qcstation.ui.wrapping_list import WrappingList

if TYPE_CHECKING:
    from qcstation.ui.context import UiContext

PARK_KEY = "F8"
ABANDON_KEY = "Shift+F8"
LIST_KEY = "Ctrl+U"


def what(ins: Inspection | Unfinished) -> str:
    """'JT-26-0012 · RG-SOL-0412 · SN1 · Final QC': the piece, as the bench knows it."""
    if isinstance(ins, Unfinished):
        s = ins.summary
        parts = (s.job_ticket, s.sku, s.serial, s.stage.label)
    else:
        parts = (ins.job_ticket, ins.sku, ins.serial, ins.template.stage.label)
    return " · ".join(p for p in parts if p)


class ReasonDialog(QDialog):
    """A yes-or-no with a reason line: Enter confirms, Esc cancels. A required reason is
    asked for again (with what is missing) instead of closing."""

    def __init__(
        self,
        parent: QWidget | None,
        heading: str,
        text: str,
        action: str,
        required: str | None = None,  # the action word for the message, when a reason is needed
    ):
        super().__init__(parent)
        self.setObjectName("reason-dialog")
        self.setWindowTitle(heading)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.required = required
        self.reason = ""
        self.text = QLabel(text)
        self.text.setObjectName("reason-text")
        self.text.setWordWrap(True)
        self.field = QLineEdit()
        self.field.setObjectName("reason")
        self.field.setPlaceholderText(
            self.tr("Reason (required)") if required else self.tr("Reason (optional)")
        )
        self.problem = muted()
        self.problem.setObjectName("reason-problem")
        ok = button(action, "Enter", "reason-ok")
        cancel = button(self.tr("Cancel"), "Esc")
        for b in (ok, cancel):
            b.setAutoDefault(False)
        ok.clicked.connect(self.confirm)
        cancel.clicked.connect(self.reject)
        self.field.returnPressed.connect(self.confirm)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(ok)
        row.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.field)
        layout.addWidget(self.problem)
        layout.addLayout(row)
        self.setMinimumWidth(520)
        self.field.setFocus()

    def confirm(self) -> None:
        reason = self.field.text().strip()
        if self.required is not None and (why := check_reason(reason, self.required)):
            self.problem.setText(why[:1].upper() + why[1:] + ".")
            self.field.setFocus()
            return
        self.reason = reason
        self.accept()


def ask_reason(
    parent: QWidget,
    heading: str,
    text: str,
    action: str,
    then: Callable[[str], None],
    required: str | None = None,
) -> ReasonDialog:
    dialog = ReasonDialog(parent, heading, text, action, required)
    dialog.accepted.connect(lambda: then(dialog.reason))
    # the keyboard goes back to the bench once the question is gone
    dialog.finished.connect(lambda _result: parent.window().activateWindow())
    dialog.open()
    dialog.field.setFocus()
    return dialog


class UnfinishedList(QWidget):
    """The start page's list of unfinished inspections this user may work on."""

    opened = Signal(object)  # Inspection, now held at this station

    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[Unfinished] = []
        self.list = WrappingList("unfinished")  # a long reason wraps, never hides
        self.list.itemActivated.connect(lambda _row: self.act())
        self.list.currentRowChanged.connect(self._describe_keys)
        self.keys = muted()
        self.keys.setObjectName("unfinished-keys")
        self.note = muted()
        self.note.setObjectName("unfinished-note")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        heading = self.tr("Unfinished inspections ({0} to choose, Enter to continue)")
        layout.addWidget(muted(heading.format(LIST_KEY)))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.keys)
        layout.addWidget(self.note)
        shortcut(self.list, ABANDON_KEY, self.abandon)

    def refresh(self) -> None:
        if self.ctx.user is None:
            return
        station, actor = self.ctx.station, self.ctx.actor
        self.ctx.run(lambda: holds.unfinished(station, actor), self._show)

    def announce(self, text: str) -> None:
        self.note.setText(text)

    def _show(self, rows: list[Unfinished]) -> None:
        self.rows = rows
        self.list.clear()
        now = self.ctx.station.now()
        here = self.ctx.station.name
        for u in rows:
            started = self.tr("started {0}").format(clock(u.summary.started_at, now))
            where = self.tr("held here") if u.hold.held_at(here) else u.hold.describe(now)
            if u.hold.held_at(here) and not u.mine_here:
                where = self.tr("held here by {0}").format(u.hold.user)
            item = QListWidgetItem(f"{what(u)}  ({started})  —  {where}")
            item.setData(Qt.ItemDataRole.UserRole, u.summary.id)
            item.setToolTip(f"{u.summary.inspector}: {u.summary.id}")
            self.list.addItem(item)
        if rows:
            self.list.setCurrentRow(0)
        self._describe_keys(self.list.currentRow())

    def current(self) -> Unfinished | None:
        row = self.list.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _describe_keys(self, _row: int) -> None:
        u = self.current()
        if u is None:
            self.keys.setText("")
            return
        if u.hold.state is HoldState.PARKED:
            enter = self.tr("Enter resumes it here")
        elif u.hold.held_at(self.ctx.station.name):
            enter = self.tr("Enter continues it")
        else:
            enter = self.tr("Enter takes it over to this station (with a reason)")
        self.keys.setText(self.tr("{0}; {1} abandons it").format(enter, ABANDON_KEY))

    def focus_list(self) -> None:
        self.list.setFocus()
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)

    def act(self) -> None:
        """Enter on a row: continue or resume it here, or take it over (asking why)."""
        u = self.current()
        if u is None or self.ctx.user is None:
            return
        station, actor, ins_id = self.ctx.station, self.ctx.actor, u.summary.id
        self.note.setText("")
        if u.hold.held_at(station.name) or u.hold.state is HoldState.PARKED:
            self.ctx.run(lambda: holds.resume(station, actor, ins_id), self._opened, self._failed)
            return
        ask_reason(
            self,
            self.tr("Take over the inspection"),
            self.tr(
                "{0} is {1}.\n\nTake it over to station {2}? Station {3} is told at its next "
                "action, and nothing more is saved there."
            ).format(what(u), u.hold.describe(station.now()), station.name, u.hold.station),
            self.tr("Take over"),
            lambda reason: self.ctx.run(
                lambda: holds.take_over(station, actor, ins_id, reason),
                self._opened,
                self._failed,
            ),
            required="take it over",
        )

    def abandon(self) -> None:
        u = self.current()
        if u is None or self.ctx.user is None:
            return
        station, actor, ins_id = self.ctx.station, self.ctx.actor, u.summary.id
        ask_reason(
            self,
            self.tr("Abandon the inspection"),
            abandon_text(what(u)),
            self.tr("Abandon"),
            lambda reason: self.ctx.run(
                lambda: holds.abandon(station, actor, ins_id, reason),
                lambda _hold: self._abandoned(u),
                self._failed,
            ),
            required="abandon it",
        )

    def _abandoned(self, u: Unfinished) -> None:
        self.announce(self.tr("{0} was abandoned.").format(what(u)))
        self.refresh()

    def _opened(self, ins: Inspection) -> None:
        self.opened.emit(ins)

    def _failed(self, exc: BaseException) -> None:
        self.ctx.errors.report(exc)
        self.refresh()  # it may have moved since the list was read


def abandon_text(subject: str) -> str:
    return QCoreApplication.translate(
        "unfinished",
        "Abandon {0}?\n\nIt will never be completed, signed or certified, and it leaves "
        "every yield figure; what was recorded stays in History with your reason.",
    ).format(subject)


class HoldActions(QObject):
    """Park and abandon for the inspection open on the bench, and leaving it when another
    station has taken it over."""

    released = Signal(str)  # inspection id: parked, abandoned or taken elsewhere

    def __init__(
        self,
        ctx: UiContext,
        checklist: QWidget,
        summary: QWidget,
        inspect: QStackedWidget,
        listing: UnfinishedList,
    ):
        super().__init__(checklist)
        self.ctx, self.checklist, self.summary = ctx, checklist, summary
        self.inspect, self.listing = inspect, listing
        self.bar = QWidget()
        self.bar.setObjectName("hold-bar")
        self.park_button = button(self.tr("Park"), PARK_KEY, "park-button")
        self.abandon_button = button(self.tr("Abandon…"), ABANDON_KEY, "abandon-button")
        self.park_button.clicked.connect(self.park)
        self.abandon_button.clicked.connect(self.abandon)
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.park_button)
        row.addWidget(self.abandon_button)
        for page in (checklist, summary):
            shortcut(page, PARK_KEY, self.park)
            shortcut(page, ABANDON_KEY, self.abandon)
        # after the slot that switched pages has opened the inspection in the new one
        inspect.currentChanged.connect(lambda _i: QTimer.singleShot(0, self, self.update_bar))
        ctx.events.inspection_completed.connect(lambda _id: self.update_bar())
        ctx.errors.error_raised.connect(self._on_error)
        self.update_bar()

    def current(self) -> Inspection | None:
        """The unfinished inspection open on the bench, if any."""
        page = self.inspect.currentWidget()
        if self.ctx.user is None:
            return None
        if page is self.checklist:
            return getattr(self.checklist, "inspection", None)
        if page is self.summary and getattr(self.summary, "done", None) is None:
            return getattr(self.summary, "inspection", None)
        return None

    def update_bar(self) -> None:
        self.bar.setVisible(self.current() is not None)

    def park(self) -> None:
        ins = self.current()
        if ins is None or self.ctx.user is None:
            return
        station, actor = self.ctx.station, self.ctx.actor
        ask_reason(
            self.checklist,
            self.tr("Park the inspection"),
            self.tr(
                "Park {0}?\n\nIt waits in the list of every station until you or a "
                "supervisor resume it there; nothing recorded is lost."
            ).format(what(ins)),
            self.tr("Park"),
            lambda reason: self.ctx.run(
                lambda: holds.park(station, actor, ins.id, reason),
                lambda hold: self._released(
                    ins.id, self.tr("{0} is {1}.").format(what(ins), hold.describe(station.now()))
                ),
            ),
        )

    def abandon(self) -> None:
        ins = self.current()
        if ins is None or self.ctx.user is None:
            return
        station, actor = self.ctx.station, self.ctx.actor
        ask_reason(
            self.checklist,
            self.tr("Abandon the inspection"),
            abandon_text(what(ins)),
            self.tr("Abandon"),
            lambda reason: self.ctx.run(
                lambda: holds.abandon(station, actor, ins.id, reason),
                lambda _hold: self._released(
                    ins.id, self.tr("{0} was abandoned.").format(what(ins))
                ),
            ),
            required="abandon it",
        )

    def _released(self, inspection_id: str, note: str) -> None:
        for page in (self.checklist, self.summary):
            open_one = getattr(page, "inspection", None)
            if open_one is not None and open_one.id == inspection_id:
                page.inspection = None  # type: ignore[attr-defined]  # both pages have one
        self.released.emit(inspection_id)
        self.listing.announce(note)
        self.update_bar()

    def _on_error(self, exc: BaseException, _details: str) -> None:
        """Another station holds the open inspection now: leave it (the message says where)."""
        ins = self.current()
        if isinstance(exc, NotHeld) and ins is not None and exc.inspection_id == ins.id:
            self._released(ins.id, f"{what(ins)}: {exc}.")
