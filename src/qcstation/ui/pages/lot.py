"""A lot on ISO 2859-1: the plan per class, the pieces to pull, the counts and the verdict."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.defects import Severity
from qcstation.domain.lots import LotVerdict
from qcstation.domain.users import Permission
from qcstation.services import lots
from qcstation.ui.context import UiContext
from qcstation.ui.widgets import button, muted, shortcut, title


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
        row = QHBoxLayout()
        row.addWidget(self.record)
        row.addWidget(self.next)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.subtitle)
        layout.addLayout(self.grid)
        layout.addWidget(muted(self.tr("Pieces to pull (numbered 1 to the lot size):")))
        layout.addWidget(self.pieces)
        options = QHBoxLayout()
        options.addWidget(self.steady)
        options.addWidget(self.approve_reduced)
        options.addStretch(1)
        layout.addLayout(options)
        layout.addWidget(self.verdict)
        layout.addWidget(self.switching)
        layout.addStretch(1)
        layout.addLayout(row)
        shortcut(self, "Ctrl+Return", self.on_record)
        shortcut(self, "Ctrl+N", self.next_requested.emit)

    def show_lot(self, lot: lots.LotInfo) -> None:
        self.lot = lot
        self.heading.setText(self.tr("Lot {0} — {1}").format(lot.job_ticket, lot.stream.label()))
        sub = self.tr("Lot size {0}, inspection level {1}, sample {2}").format(
            lot.lot_size, lot.level, lot.sample_size
        )
        if lot.hundred_percent:
            sub += " — " + self.tr("100 % inspection: the plan's sample reaches the lot size")
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
