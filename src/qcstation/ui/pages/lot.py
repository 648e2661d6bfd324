"""A lot on ISO 2859-1: the plan per class, the pieces to pull, the counts and the verdict."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.defects import Severity
from qcstation.domain.lots import LotVerdict
from qcstation.domain.users import Permission
from qcstation.services import lot_streams, lots
from qcstation.ui.context import UiContext
from qcstation.ui.widgets import VerticalScroll, button, muted, shortcut, title


class LotPage(QWidget):
    next_requested = Signal()

    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("lot-page")
        self.lot: lots.LotInfo | None = None
        self.heading = title("")
        self.subtitle = muted()
        self.grid = QGridLayout()
        self.pieces = QPlainTextEdit()
        self.pieces.setObjectName("lot-pieces")
        self.pieces.setReadOnly(True)
        self.pieces.setMaximumHeight(220)
        self.counts: dict[Severity, QSpinBox] = {}
        self.verdict = QLabel()
        self.verdict.setObjectName("lot-verdict")
        self.switching = muted()
        self.switching.setObjectName("lot-switching")
        self.approve_reduced = QCheckBox(
            self.tr("Approve reduced inspection when the switching score allows it")
        )
        self.approve_reduced.setObjectName("lot-approve-reduced")
        self.steady = QCheckBox(self.tr("Production is steady"))
        self.steady.setObjectName("lot-steady")
        self.steady.setChecked(True)
        self.record = button(self.tr("Record verdict"), "Ctrl+Enter", "lot-record")
        self.record.clicked.connect(self.on_record)
        self.next = button(self.tr("Next lot"), "Ctrl+N", "lot-next")
        self.next.clicked.connect(self.next_requested.emit)
        # What the plans are, exactly (README "Lots"): the tables and the switching score.
        self.tables_note = muted(
            self.tr(
                "Plans from ANSI/ASQ Z1.4's tables (Table I and II-A/B/C, as in MIL-STD-105E); "
                "normal to reduced by ISO 2859-1:1999's switching score."
            )
        )
        self.tables_note.setObjectName("lot-tables")
        # A rejected lot comes back, sorted or reworked (ISO 2859-1 7.6): planned on tightened
        # inspection unless a supervisor decides on normal; not counted in switching.
        self.resubmit = button(self.tr("Resubmit lot"), "Ctrl+R", "lot-resubmit")
        self.resubmit.clicked.connect(self.on_resubmit)
        self.resubmit_size = QSpinBox()
        self.resubmit_size.setObjectName("lot-resubmit-size")
        self.resubmit_size.setPrefix(self.tr("items resubmitted: "))
        self.resubmit_normal = QCheckBox(self.tr("On normal inspection (responsible authority)"))
        self.resubmit_normal.setObjectName("lot-resubmit-normal")
        # A supervisor's decisions on the stream (clause 9.1, 9.3, 9.4), with a reason.
        self.decision_class = QComboBox()
        self.decision_class.setObjectName("lot-decision-class")
        self.decision_reason = QLineEdit()
        self.decision_reason.setObjectName("lot-decision-reason")
        self.decision_reason.setPlaceholderText(self.tr("Reason (kept in the audit trail)"))
        self.reinstate = button(self.tr("Reinstate normal"), "Ctrl+Shift+N", "lot-reinstate")
        self.reinstate.clicked.connect(self.on_reinstate)
        self.tighten = button(self.tr("Start on tightened"), "Ctrl+Shift+T", "lot-tighten")
        self.tighten.clicked.connect(self.on_tighten)
        self.history = QPlainTextEdit()
        self.history.setObjectName("lot-history")
        self.history.setReadOnly(True)
        self.history.setMaximumHeight(150)
        row = QHBoxLayout()
        row.addWidget(self.record)
        row.addWidget(self.next)
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.heading)
        inner.addWidget(self.subtitle)
        inner.addWidget(self.tables_note)
        inner.addLayout(self.grid)
        inner.addWidget(muted(self.tr("Pieces to pull (numbered 1 to the lot size):")))
        inner.addWidget(self.pieces)
        options = QHBoxLayout()
        options.addWidget(self.steady)
        options.addWidget(self.approve_reduced)
        options.addStretch(1)
        inner.addLayout(options)
        inner.addWidget(self.verdict)
        inner.addWidget(self.switching)
        self.resubmit_row = QWidget()
        again = QHBoxLayout(self.resubmit_row)
        again.setContentsMargins(0, 0, 0, 0)
        again.addWidget(self.resubmit)
        again.addWidget(self.resubmit_size)
        again.addWidget(self.resubmit_normal)
        again.addStretch(1)
        inner.addWidget(self.resubmit_row)
        self.decisions = QWidget()
        self.decisions.setObjectName("lot-decisions")
        decide = QHBoxLayout(self.decisions)
        decide.setContentsMargins(0, 0, 0, 0)
        decide.addWidget(QLabel(self.tr("Stream, class:")))
        decide.addWidget(self.decision_class)
        decide.addWidget(self.decision_reason, 1)
        decide.addWidget(self.reinstate)
        decide.addWidget(self.tighten)
        inner.addWidget(self.decisions)
        inner.addWidget(muted(self.tr("History of this stream (newest last):")))
        inner.addWidget(self.history)
        inner.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(VerticalScroll(content, "lot-scroll"), 1)
        layout.addLayout(row)
        shortcut(self, "Ctrl+Return", self.on_record)
        shortcut(self, "Ctrl+N", self.next_requested.emit)
        shortcut(self, "Ctrl+R", self.on_resubmit)
        shortcut(self, "Ctrl+Shift+N", self.on_reinstate)
        shortcut(self, "Ctrl+Shift+T", self.on_tighten)

    def show_lot(self, lot: lots.LotInfo) -> None:
        self.lot = lot
        self.heading.setText(self.tr("Lot {0} — {1}").format(lot.job_ticket, lot.stream.label()))
        sub = self.tr("Lot size {0}, inspection level {1}, sample {2}").format(
            lot.lot_size, lot.level, lot.sample_size
        )
        if lot.hundred_percent:
            sub += " — " + self.tr("100 % inspection: the plan's sample reaches the lot size")
        if not lot.original:
            sub += " — " + self.tr(
                "resubmission of rejected lot {0}: not counted in the switching rules"
            ).format((lot.resubmission_of or "")[:8])
        self.subtitle.setText(sub)
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        heads = (
            self.tr("Class"),
            self.tr("AQL"),
            self.tr("Inspection"),
            self.tr("Code letter"),
            self.tr("Sample n"),
            self.tr("Ac"),
            self.tr("Re"),
            self.tr("Nonconforming found"),
        )
        for col, text in enumerate(heads):
            head = QLabel(f"<b>{text}</b>")
            self.grid.addWidget(head, 0, col)
        self.counts = {}
        decided = lot.status == "decided"
        for r, p in enumerate(lot.plans, start=1):
            letter = p.code_letter + (
                f" → {p.plan_letter}" if p.plan_letter != p.code_letter else ""
            )
            cells = (
                self.tr(p.severity.value.capitalize()),
                p.aql,
                self.tr(p.mode.value),
                letter,
                str(p.sample_size),
                str(p.accept),
                str(p.reject),
            )
            for col, text in enumerate(cells):
                self.grid.addWidget(QLabel(text), r, col)
            spin = QSpinBox()
            spin.setObjectName(f"lot-count-{p.severity.value}")
            spin.setRange(0, 100_000)
            spin.setValue(p.count or 0)
            spin.setEnabled(not decided)
            self.counts[p.severity] = spin
            self.grid.addWidget(spin, r, len(cells))
        self.pieces.setPlainText(self._pieces_text(lot))
        self.record.setEnabled(not decided)
        # Clause 9.3.3: reduced inspection needs the responsible authority's approval.
        self.approve_reduced.setVisible(self.ctx.can(Permission.REVIEW))
        self.approve_reduced.setChecked(False)
        for box in (self.approve_reduced, self.steady):
            box.setEnabled(not decided)
        self._show_verdict(lot)
        supervisor = self.ctx.can(Permission.REVIEW)
        self.resubmit_row.setVisible(lot.verdict is LotVerdict.REJECTED)
        self.resubmit.setEnabled(lot.can_resubmit)
        self.resubmit_size.setRange(2, lot.lot_size)
        self.resubmit_size.setValue(lot.lot_size)
        self.resubmit_size.setEnabled(lot.can_resubmit)
        self.resubmit_normal.setVisible(supervisor)
        self.resubmit_normal.setChecked(False)
        self.decisions.setVisible(supervisor)
        self.decision_class.clear()
        for p in lot.plans:
            self.decision_class.addItem(self.tr(p.severity.value.capitalize()), p.severity.value)
        self._load_history(lot)
        if not decided and lot.plans:
            self.counts[lot.plans[0].severity].setFocus()
            self.counts[lot.plans[0].severity].selectAll()

    def _pieces_text(self, lot: lots.LotInfo) -> str:
        if lot.hundred_percent:
            return self.tr("Every piece of the lot (1–{0}).").format(lot.lot_size)
        lines = []
        biggest = max(p.sample_size for p in lot.plans)
        for p in lot.plans:
            if p.sample_size < biggest:
                lines.append(
                    self.tr("{0} is judged on {1} of them: {2}").format(
                        p.severity.value.capitalize(), p.sample_size, ", ".join(map(str, p.pieces))
                    )
                )
        all_pieces = ", ".join(str(n) for n in sorted(lot.sample))
        lines.insert(0, self.tr("Pull these {0}: {1}").format(len(lot.sample), all_pieces))
        lines.append(
            self.tr("Draw seed {0} (the same seed draws the same pieces).").format(lot.seed)
        )
        return "\n".join(lines)

    def _show_verdict(self, lot: lots.LotInfo) -> None:
        if lot.verdict is None:
            self.verdict.setText(self.tr("Count the nonconforming pieces per class, then record."))
        elif lot.verdict is LotVerdict.ACCEPTED:
            self.verdict.setText("<b>" + self.tr("Lot accepted") + "</b>")
        else:
            failed = [p.severity.value for p in lot.plans if p.accepted is False]
            self.verdict.setText("<b>" + self.tr("Lot rejected") + "</b> — " + ", ".join(failed))
        self.verdict.setProperty("verdict", lot.verdict.value if lot.verdict else "")
        parts = []
        for st in lot.switching:
            state = self.tr("discontinued") if st.discontinued else self.tr(st.mode.value)
            parts.append(
                self.tr("{0}: {1}, switching score {2}, {3} accepted in a row").format(
                    st.severity.value, state, st.switching_score, st.consecutive_accepted
                )
            )
        label = self.tr("Switching state of {0}: ").format(lot.stream.label())
        self.switching.setText(label + "; ".join(parts))

    def on_record(self) -> None:
        lot = self.lot
        if lot is None or lot.status != "planned" or not self.record.isEnabled():
            return
        counts = {sev: spin.value() for sev, spin in self.counts.items()}
        station, actor = self.ctx.station, self.ctx.actor
        steady = self.steady.isChecked()
        approve = self.approve_reduced.isVisible() and self.approve_reduced.isChecked()
        self.record.setEnabled(False)
        self.ctx.run(
            lambda: lots.record_result(
                station,
                actor,
                lot.id,
                counts,
                production_steady=steady,
                approve_reduced=approve,
            ),
            self._recorded,
            self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.record.setEnabled(True)
        self.ctx.errors.report(exc)

    def _recorded(self, lot: lots.LotInfo) -> None:
        self.show_lot(lot)
        self.next.setFocus()

    # --- the stream: history, resubmission, a supervisor's decisions -------------------------

    def _load_history(self, lot: lots.LotInfo) -> None:
        station, stream = self.ctx.station, lot.stream
        self.ctx.run(
            lambda: lot_streams.stream_history(station, stream, limit=30),
            lambda events: self._history_loaded(lot.id, events),
            self.ctx.errors.report,
        )

    def _history_loaded(self, lot_id: str, events: list[lot_streams.StreamEvent]) -> None:
        if self.lot is None or self.lot.id != lot_id:
            return  # another lot is shown by now
        lines = []
        for e in events:
            line = f"{e.at:%Y-%m-%d %H:%M}  {e.actor}  {e.text}"
            if e.kind == "decision" and e.severity is not None and e.mode is not None:
                line += "  " + self.tr("({0}: now {1})").format(
                    e.severity.value, self.tr(e.mode.value)
                )
            lines.append(line)
        self.history.setPlainText("\n".join(lines) or self.tr("No lot decided yet."))

    def on_resubmit(self) -> None:
        lot = self.lot
        if lot is None or not lot.can_resubmit or not self.resubmit.isEnabled():
            return
        station, actor = self.ctx.station, self.ctx.actor
        size = self.resubmit_size.value()
        normal = self.resubmit_normal.isVisible() and self.resubmit_normal.isChecked()
        self.resubmit.setEnabled(False)
        self.ctx.run(
            lambda: lots.resubmit(
                station, actor, lot.id, mode="normal" if normal else None, lot_size=size
            ),
            self.show_lot,
            self._resubmit_failed,
        )

    def _resubmit_failed(self, exc: BaseException) -> None:
        self.resubmit.setEnabled(self.lot is not None and self.lot.can_resubmit)
        self.ctx.errors.report(exc)

    def on_reinstate(self) -> None:
        self._decide(lot_streams.reinstate_normal)

    def on_tighten(self) -> None:
        self._decide(lot_streams.start_tightened)

    def _decide(self, decision: Callable[..., lot_streams.StreamState]) -> None:
        lot = self.lot
        if lot is None or not self.decisions.isVisible() or not self.decision_class.count():
            return
        station, actor = self.ctx.station, self.ctx.actor
        severity = Severity(self.decision_class.currentData())
        reason = self.decision_reason.text()

        def work() -> lots.LotInfo:
            decision(station, actor, lot.stream, severity, reason)
            return lots.get(station, lot.id)

        self.ctx.run(work, self._decided, self.ctx.errors.report)

    def _decided(self, lot: lots.LotInfo) -> None:
        self.decision_reason.clear()
        self.lot = lot
        self._show_verdict(lot)
        self._load_history(lot)
