"""A past inspection, read-only: answers, defects and its evidence photos."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.inspections import Inspection, evaluate, positions_of
from qcstation.services import annotation_layers, inspections
from qcstation.services.context import Station
from qcstation.services.inspections import EvidenceInfo
from qcstation.ui.context import UiContext
from qcstation.ui.pages.checklist import step_label
from qcstation.ui.pages.measure_dialog import MeasureDialog
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
        layout.addWidget(scroll)
        layout.addWidget(close)
        station = ctx.station
        ctx.run(
            lambda: (
                inspections.get(station, inspection_id),
                inspections.evidence_of(station, inspection_id),
            ),
            self._loaded,
        )

    def _loaded(self, loaded: tuple[Inspection, list[EvidenceInfo]]) -> None:
        ins, evidence = loaded
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
        self.defects.setText(
            self.tr("Defects: {0}").format(
                "; ".join(
                    f"{d.code} ({d.severity.value}, {d.disposition.value})" for d in ins.defects
                )
                or self.tr("none")
            )
        )
        station = self.ctx.station
        for shown in evidence:
            self._load_photo(station, shown)

    def _load_photo(self, station: Station, shown: EvidenceInfo) -> None:
        self.ctx.run(
            lambda: inspections.read_evidence(station, shown.sha256),
            lambda data: self._add_photo(data, shown),
            self._photo_failed,
        )

    def _add_photo(self, data: bytes, shown: EvidenceInfo | None = None) -> None:
        pix = QPixmap()
        pix.loadFromData(data)
        thumb = QToolButton()
        thumb.setObjectName("evidence-thumbnail")
        small = pix.scaledToHeight(160, Qt.TransformationMode.SmoothTransformation)
        thumb.setIcon(QIcon(small))
        thumb.setIconSize(small.size())
        thumb.setAutoRaise(True)
        if shown is not None and shown.media_type.startswith("image/"):
            thumb.setToolTip(self.tr("Open: measurements, export, golden sample"))
            thumb.clicked.connect(lambda: self.open_image(shown.id))
        self.photos.addWidget(thumb)

    def open_image(self, evidence_id: int) -> None:
        """The measuring editor, view-only for a closed inspection (export, compare, and a
        supervisor may make the image the golden sample)."""
        station = self.ctx.station
        self.ctx.run(
            lambda: annotation_layers.open_image(station, evidence_id),
            lambda opened: MeasureDialog(self.ctx, opened, None, self).open(),
        )

    def _photo_failed(self, exc: BaseException) -> None:
        self.photos.addWidget(muted(str(exc)))
