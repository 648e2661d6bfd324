"""The lot fields of the start page: supplier, inspection level and an AQL per class."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from qcstation.domain import sampling
from qcstation.domain.defects import Severity
from qcstation.domain.lots import SEVERITY_ORDER

# A common jewelry choice (DOMAIN.md: e.g. 0 / 1.0 / 4.0); critical gets the tightest
# practical AQL instead of "0", which is not in the standard's series.
DEFAULT_AQLS = {Severity.CRITICAL: "0.065", Severity.MAJOR: "1.0", Severity.MINOR: "4.0"}


class LotPlanForm(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lot-plan-form")
        self.supplier = QLineEdit()
        self.supplier.setObjectName("lot-supplier")
        self.supplier.setPlaceholderText(self.tr("Receiving: the supplier whose lot this is"))
        self.level = QComboBox()
        self.level.setObjectName("lot-level")
        for level in sampling.InspectionLevel:
            self.level.addItem(level.value, level.value)
        self.level.setCurrentIndex(self.level.findData("II"))
        self.aql: dict[Severity, QComboBox] = {}
        form = self.form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Supplier"), self.supplier)
        form.addRow(self.tr("Inspection level"), self.level)
        names = {
            Severity.CRITICAL: self.tr("AQL critical"),
            Severity.MAJOR: self.tr("AQL major"),
            Severity.MINOR: self.tr("AQL minor"),
        }
        for sev in SEVERITY_ORDER:
            box = QComboBox()
            box.setObjectName(f"lot-aql-{sev.value}")
            box.addItem(self.tr("not inspected"), "")
            for label in sampling.AQL_LABELS:
                box.addItem(label, label)
            box.setCurrentIndex(box.findData(DEFAULT_AQLS[sev]))
            self.aql[sev] = box
            form.addRow(names[sev], box)

    def aqls(self) -> dict[Severity, str | None]:
        return {sev: (box.currentData() or None) for sev, box in self.aql.items()}
