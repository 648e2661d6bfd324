"""Logging a defect: the stage's catalog (the item's suggested codes first), severity
prefilled from the catalog, position, disposition, note and the camera's picture.

The photo is the camera panel's shot at Save (the one capture path: the grabber's frame
or the frozen one, with the camera's facts); services.microscope.log_defect encodes it on
the worker and commits the defect and its photo together. A lost camera refuses both, and
the form stays open with everything typed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from qcstation.domain.defects import CatalogEntry, Disposition, Severity
from qcstation.domain.inspections import Inspection
from qcstation.domain.templates import ChecklistItem, FollowUp
from qcstation.domain.users import Permission
from qcstation.imaging.frames import thumbnail
from qcstation.services import microscope, templates
from qcstation.services.inspections import LoggedDefect
from qcstation.ui.context import UiContext
from qcstation.ui.evidence_strip import EvidenceOwner, StoredCapture
from qcstation.ui.tasks import Once, Owner
from qcstation.ui.widgets import muted

DISPOSITION_LABELS = {
    Disposition.PENDING: "Decide later",
    Disposition.REWORK: "Rework",
    Disposition.SCRAP: "Scrap",
    Disposition.RETURN_TO_SUPPLIER: "Return to supplier",
    Disposition.USE_AS_IS: "Use as is (supervisor)",
}


class DefectDialog(QDialog):
    defect_logged = Signal(object)  # Defect

    def __init__(
        self,
        ctx: UiContext,
        inspection: Inspection,
        item: ChecklistItem | None,
        position: int | None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ctx, self.inspection, self.item, self.position = ctx, inspection, item, position
        self.setObjectName("defect-dialog")
        self.setWindowTitle(self.tr("Log a defect"))
        self.setMinimumSize(640, 600)
        self.entries: list[CatalogEntry] = []
        self.filter = QLineEdit()
        self.filter.setObjectName("defect-filter")
        self.filter.setPlaceholderText(self.tr("Type to filter codes"))
        self.codes = QListWidget()
        self.codes.setObjectName("defect-codes")
        self.severity = QComboBox()
        for s in Severity:
            self.severity.addItem(s.value, s.value)
        self.disposition = QComboBox()
        for d, label in DISPOSITION_LABELS.items():
            if d is Disposition.USE_AS_IS and not ctx.can(Permission.REVIEW):
                continue
            self.disposition.addItem(self.tr(label), d.value)
        self.position_box = QSpinBox()
        self.position_box.setRange(0, 500)
        self.position_box.setSpecialValueText(self.tr("whole piece"))
        self.position_box.setValue(position or 0)
        self.note = QLineEdit()
        self.note.setObjectName("defect-note")
        camera = ctx.camera if getattr(ctx.camera, "source", None) is not None else None
        frozen = bool(getattr(camera, "frozen", False))
        self.photo = QCheckBox(
            self.tr("Attach the frozen picture (not the live one)")
            if frozen
            else self.tr("Attach the camera's picture")
        )
        self.photo.setObjectName("defect-photo")
        self.photo.setChecked(
            item is not None and FollowUp.PHOTO in item.on_fail.require and camera is not None
        )
        self.photo.setEnabled(camera is not None)
        self.message = muted()
        form = QFormLayout()
        form.addRow(self.tr("Severity"), self.severity)
        form.addRow(self.tr("Position"), self.position_box)
        form.addRow(self.tr("Disposition"), self.disposition)
        form.addRow(self.tr("Note"), self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        where = item.prompt if item else self.tr("the piece")
        layout.addWidget(muted(self.tr("Defect on: {0}").format(where)))
        layout.addWidget(self.filter)
        layout.addWidget(self.codes, 1)
        layout.addLayout(form)
        layout.addWidget(self.photo)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._fill)
        self.filter.returnPressed.connect(self.save)
        self.codes.currentRowChanged.connect(self._code_chosen)
        self.codes.itemActivated.connect(lambda _i: self.save())
        stage = inspection.template.stage
        station = ctx.station
        ctx.run(
            lambda: templates.defects_for_stage(station, stage),
            self._loaded,
            owner=Owner(inspection.id, item.id if item else None, position),
            applies=lambda _owner: isValid(self) and self.isVisible(),  # not closed meanwhile
        )

    def _loaded(self, entries: list[CatalogEntry]) -> None:
        suggested = list(self.item.on_fail.defects) if self.item else []
        rank = {code: i for i, code in enumerate(suggested)}
        self.entries = sorted(entries, key=lambda e: (rank.get(e.code, len(rank)), e.code))
        self._fill()
        self.filter.setFocus()

    def _fill(self) -> None:
        text = self.filter.text().strip().lower()
        self.codes.clear()
        for e in self.entries:
            if text and text not in f"{e.code} {e.name}".lower():
                continue
            row = QListWidgetItem(f"{e.code}   {e.name}   ({e.severity.value})")
            row.setData(Qt.ItemDataRole.UserRole, e)
            self.codes.addItem(row)
        if self.codes.count():
            self.codes.setCurrentRow(0)

    def _code_chosen(self, row: int) -> None:
        entry = self.current()
        if entry is not None:
            self.severity.setCurrentIndex(self.severity.findData(entry.severity.value))

    def current(self) -> CatalogEntry | None:
        row = self.codes.currentItem()
        return row.data(Qt.ItemDataRole.UserRole) if row else None

    def save(self) -> None:
        entry = self.current()
        if entry is None:
            self.message.setText(self.tr("Choose a defect code."))
            return
        ctx, ins_id = self.ctx, self.inspection.id
        station, actor = ctx.station, ctx.actor
        item_id = self.item.id if self.item else None
        position = self.position_box.value() or None
        severity = Severity(self.severity.currentData())
        disposition = Disposition(self.disposition.currentData())
        note = self.note.text().strip()
        shot = ctx.camera.shot() if self.photo.isChecked() and ctx.camera is not None else None
        owner = EvidenceOwner(ins_id, actor.id)
        # The photo's PNG encoding starts on the work lane; the defect keeps its place on
        # the database lane and takes the encoded photo in its turn (ui/tasks.Once).
        made = Once(lambda: microscope.prepare_shot(station, shot)[0]) if shot is not None else None
        if made is not None and ctx.work is not None:
            ctx.work.run(made.get, on_error=lambda _e: None)  # the save reports it

        def work() -> tuple[LoggedDefect, object]:
            logged = microscope.log_defect(
                station,
                actor,
                ins_id,
                entry.code,
                item_id,
                position,
                severity,
                disposition,
                note,
                photo=made.get() if made is not None else None,
            )
            small = None
            if shot is not None and shot.frame is not None and logged.photo is not None:
                small = thumbnail(shot.frame.image, microscope.THUMBNAIL_SIDE)
            return logged, small

        self.setEnabled(False)
        ctx.run(work, lambda done: self._saved(owner, shot, *done), self._failed)

    def _saved(
        self, owner: EvidenceOwner, shot: microscope.Shot | None, logged: LoggedDefect, small: Any
    ) -> None:
        photo = logged.photo
        if photo is not None and shot is not None and shot.frame is not None:
            self.ctx.events.evidence_captured.emit(
                StoredCapture(
                    owner,
                    photo.id,
                    photo.item_id,
                    photo.position,
                    small,
                    shot.frozen,
                    shot.frame.seq,
                )
            )
        self.defect_logged.emit(logged.defect)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.setEnabled(True)
        if isinstance(exc, microscope.CameraUnavailable):  # the defect and its photo go together
            text = self.tr(
                "Nothing was saved: {0}. Save again when the picture is back, or untick the "
                "photo to log the defect without one."
            ).format(exc.reason)
        else:
            text = str(exc)[:1].upper() + str(exc)[1:]
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020; font-weight: bold;")
