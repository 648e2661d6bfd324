"""A past inspection, read-only: answers, defects and its evidence photos."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Inspection, evaluate, positions_of
from qcstation.domain.nonconformance import ReworkChain
from qcstation.services import inspections, nonconformance
from qcstation.services.context import Station
from qcstation.services.inspections import EvidenceInfo
from qcstation.ui.context import UiContext
from qcstation.ui.pages.checklist import step_label
from qcstation.ui.widgets import muted, title


class InspectionDialog(QDialog):
    def __init__(self, ctx: UiContext, inspection_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("inspection-dialog")
        self.setWindowTitle(self.tr("Inspection"))
        self.resize(1000, 720)
        self.heading = title(self.tr("Loading…"))
        self.info = muted()
        self.answers = QTableWidget(0, 4)
        self.answers.setObjectName("answers-table")
        self.answers.setHorizontalHeaderLabels(
            [self.tr("Check"), self.tr("Result"), self.tr("Reading / value"), self.tr("Note")]
        )
        self.answers.horizontalHeader().setStretchLastSection(True)
        self.answers.verticalHeader().setVisible(False)
        self.defects = muted()
        self.chain = muted()
        self.chain.setObjectName("rework-chain")
        self.photos = QHBoxLayout()
        strip = QWidget()
        strip.setLayout(self.photos)
        scroll = QScrollArea()
        scroll.setWidget(strip)
        scroll.setWidgetResizable(True)
        scroll.setMaximumHeight(190)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (self.heading, self.info):
            layout.addWidget(w)
        layout.addWidget(self.answers, 1)
        layout.addWidget(self.defects)
        layout.addWidget(self.chain)
        layout.addWidget(scroll)
        layout.addWidget(close)
        station = ctx.station
        ctx.run(
            lambda: (
                inspections.get(station, inspection_id),
                inspections.evidence_of(station, inspection_id),
                nonconformance.chain(station, inspection_id),
            ),
            self._loaded,
        )

    def _loaded(self, loaded: tuple[Inspection, list[EvidenceInfo], ReworkChain]) -> None:
        ins, evidence, chain = loaded
        verdict = (
            ins.verdict.value.replace("_", " ")
            if ins.verdict
            else ins.status.value.replace("_", " ")
        )
        self.heading.setText(f"{ins.job_ticket} · {ins.sku} · {ins.serial} — {verdict.upper()}")
        self.info.setText(
            self.tr("{0}, checklist {1} v{2}; by {3} at {4}; started {5}").format(
                ins.template.stage.label,
                ins.template.template,
                ins.template.version,
                ins.inspector,
                ins.station,
                f"{ins.started_at.astimezone():%Y-%m-%d %H:%M}" if ins.started_at else "",
            )
        )
        rows = [
            (item, pos)
            for item in ins.template.items()
            for pos in positions_of(item, ins.position_counts)
        ]
        self.answers.setRowCount(len(rows))
        for r, (item, pos) in enumerate(rows):
            answer = ins.answers.get((item.id, pos))
            result, value, note = "—", "", ""
            if answer is not None:
                try:
                    ev = evaluate(item, answer)
                    result = ev.outcome.value
                except ValueError:
                    result = "?"
                value = ", ".join(f"{x:g}" for x in answer.readings) or (answer.value or "")
                note = answer.note
            for c, text in enumerate((step_label(item, pos), result, value, note)):
                cell = QTableWidgetItem(text)
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.answers.setItem(r, c, cell)
        self.answers.resizeColumnsToContents()
        # the disposition decided after completion, where there is one
        step = next(s for s in chain.steps if s.inspection_id == ins.id)
        decided = [d for _code, d in step.dispositions] or [d.disposition for d in ins.defects]
        self.defects.setText(
            self.tr("Defects: {0}").format(
                "; ".join(
                    f"{d.code} ({d.severity.value}, {disposition.value.replace('_', ' ')})"
                    for d, disposition in zip(ins.defects, decided, strict=False)
                )
                or self.tr("none")
            )
        )
        self.chain.setText(chain_text(self, chain, ins.id))
        station = self.ctx.station
        for shown in evidence:
            self._load_photo(station, shown.sha256)

    def _load_photo(self, station: Station, sha256: str) -> None:
        self.ctx.run(
            lambda: inspections.read_evidence(station, sha256), self._add_photo, self._photo_failed
        )

    def _add_photo(self, data: bytes) -> None:
        pix = QPixmap()
        pix.loadFromData(data)
        label = QLabel()
        label.setPixmap(pix.scaledToHeight(160, Qt.TransformationMode.SmoothTransformation))
        self.photos.addWidget(label)

    def _photo_failed(self, exc: BaseException) -> None:
        self.photos.addWidget(muted(str(exc)))


def chain_text(widget: QWidget, chain: ReworkChain, inspection_id: str) -> str:
    """'Rework chain, step 2 of 3: fail (CST-POR: rework) → …', or '' for a lone inspection."""
    if len(chain.steps) < 2:
        return ""
    at = next(i for i, s in enumerate(chain.steps) if s.inspection_id == inspection_id) + 1
    return widget.tr("Rework chain, inspection {0} of {1}: {2}").format(
        at, len(chain.steps), chain.describe()
    )
