"""Balances and calipers in Settings: for each, a name, the serial port, the protocol and the
baud rate, and a Test button that takes one reading (services/instruments.py).

A measurement item reads from the first instrument here that measures its unit (a balance
for g and ct, a caliper for mm); a row left without a port is no instrument. Keyboard-wedge
devices need no row: they type into the field like a keyboard.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from qcstation.config import InstrumentSetting, Settings
from qcstation.domain.instruments import BAUD_RATES, PROTOCOL_NAMES, PROTOCOLS
from qcstation.services import instruments
from qcstation.services.problems import is_known
from qcstation.ui.context import UiContext
from qcstation.ui.widgets import muted

ROWS = 2  # a balance and a caliper; settings.yaml may name up to four


class InstrumentRow:
    def __init__(self, index: int, ports: list[str]):
        self.name = QLineEdit()
        self.name.setObjectName(f"instrument-{index}-name")
        self.name.setPlaceholderText("Balance" if index == 1 else "Caliper")
        self.name.setMaxLength(40)
        self.port = QComboBox()
        self.port.setObjectName(f"instrument-{index}-port")
        self.port.setEditable(True)
        self.port.addItem("")
        self.port.addItems(ports)
        self.port.setMinimumWidth(150)
        self.protocol = QComboBox()
        self.protocol.setObjectName(f"instrument-{index}-protocol")
        for name in PROTOCOL_NAMES:
            self.protocol.addItem(PROTOCOLS[name].label, name)
        self.baud = QComboBox()
        self.baud.setObjectName(f"instrument-{index}-baud")
        for rate in BAUD_RATES:
            self.baud.addItem(str(rate), rate)
        self.protocol.currentIndexChanged.connect(self._usual_baud)
        self._usual_baud()
        self.test = QPushButton()
        self.test.setObjectName(f"instrument-{index}-test")
        self.result = muted()
        self.result.setObjectName(f"instrument-{index}-result")
        self.result.setWordWrap(True)
        self._timeout = 5.0

    def _usual_baud(self) -> None:
        usual = PROTOCOLS[self.protocol.currentData()].default_baud
        self.baud.setCurrentIndex(max(0, self.baud.findData(usual)))

    def load(self, s: InstrumentSetting | None) -> None:
        self.result.setText("")
        if s is None:
            self.name.setText("")
            self.port.setCurrentText("")
            self._usual_baud()
            return
        self.name.setText(s.name)
        self.port.setCurrentText(s.port)
        self.protocol.setCurrentIndex(max(0, self.protocol.findData(s.protocol)))
        self.baud.setCurrentIndex(max(0, self.baud.findData(s.baud)))
        self._timeout = s.timeout_s

    def setting(self) -> InstrumentSetting | None:
        """The row as a setting; None when it has no port. ValueError says what is missing."""
        port = self.port.currentText().strip()
        if not port:
            return None
        name = self.name.text().strip() or self.name.placeholderText()
        return InstrumentSetting(
            name=name,
            port=port,
            protocol=self.protocol.currentData(),
            baud=self.baud.currentData(),
            timeout_s=self._timeout,
        )


class InstrumentSettings(QGroupBox):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setTitle(self.tr("Instruments (balance, caliper)"))
        self.setObjectName("instrument-settings")
        self.grid = QGridLayout(self)
        for c, text in enumerate(
            (self.tr("Name"), self.tr("Serial port"), self.tr("Protocol"), self.tr("Baud"))
        ):
            self.grid.addWidget(QLabel(text), 0, c)
        self.rows: list[InstrumentRow] = []
        self.hint = muted(
            self.tr(
                "A measurement reads (F7) from the first instrument that measures its unit: "
                "a balance for g and ct, a caliper for mm. Keyboard-wedge devices need "
                "nothing here: they type into the reading field. docs/instruments.md "
                "tells how to set each instrument up."
            )
        )
        self.hint.setWordWrap(True)
        self._ports = instruments.ports()
        self._add_rows(ROWS)

    def _add_rows(self, count: int) -> None:
        while len(self.rows) < count:
            i = len(self.rows) + 1
            row = InstrumentRow(i, self._ports)
            row.test.setText(self.tr("Test"))
            row.test.clicked.connect(lambda _=False, r=row: self.test(r))
            line = 2 * i - 1
            for c, w in enumerate((row.name, row.port, row.protocol, row.baud, row.test)):
                self.grid.addWidget(w, line, c)
            self.grid.addWidget(row.result, line + 1, 0, 1, 5)
            self.rows.append(row)
        self.grid.addWidget(self.hint, 2 * len(self.rows) + 1, 0, 1, 5)

    def load(self, s: Settings) -> None:
        self._add_rows(len(s.instruments))
        for i, row in enumerate(self.rows):
            row.load(s.instruments[i] if i < len(s.instruments) else None)
        if not s.instruments:  # a new station: the second row is the caliper
            self.rows[1].protocol.setCurrentIndex(self.rows[1].protocol.findData("mitutoyo"))

    def problem(self) -> str | None:
        """What keeps the rows from being saved (said at the row), or None."""
        for i, row in enumerate(self.rows, 1):
            try:
                row.setting()
            except ValueError as exc:
                text = self.tr("Instrument {0}: {1}").format(i, _first(exc))
                row.result.setText(text)
                row.port.setFocus()
                return text
        try:  # together: no two on one port, no two of one name
            Settings(instruments=self.collected()["instruments"])
        except ValueError as exc:
            text = self.tr("Instruments: {0}").format(_first(exc).removeprefix("instruments: "))
            self.rows[-1].result.setText(text)
            return text
        return None

    def collected(self) -> dict[str, Any]:
        found = [row.setting() for row in self.rows]
        return {"instruments": [s for s in found if s is not None]}

    def test(self, row: InstrumentRow) -> None:
        """One reading from the row as it stands (saved or not), shown beside it."""
        try:
            setting = row.setting()
        except ValueError as exc:
            row.result.setText(_first(exc))
            return
        if setting is None:
            row.result.setText(self.tr("Choose or type the serial port first."))
            return
        row.result.setText(self.tr("Reading from {0}…").format(setting.name))

        def done(reading: Any) -> None:
            row.result.setText(self.tr("Read {0} ({1!r})").format(reading, reading.line.strip()))

        def failed(exc: BaseException) -> None:
            if is_known(exc):
                row.result.setText(str(exc))
            else:
                self.ctx.errors.report(exc)

        self.ctx.run_read(
            lambda: instruments.read(
                setting.port, setting.protocol, setting.baud, setting.timeout_s
            ),
            done,
            failed,
        )


def _first(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            where = ".".join(str(p) for p in found[0].get("loc", ()))
            said = str(found[0].get("msg", exc)).removeprefix("Value error, ")
            return f"{where}: {said}" if where else said
    return str(exc)
