"""F7 at a measurement reads the station's caliper (emulated on a pseudo-terminal) into the
item: screen, database and verdict agree; a failure is said and nothing is recorded."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from qcstation.config import InstrumentSetting
from qcstation.domain.inspections import Inspection
from qcstation.domain.stages import Stage
from qcstation.services import audit, inspections
from qcstation.ui.pages.checklist import ChecklistPage
from qcstation.ui.pages.inspection_view import InspectionDialog

from ..instrument_device import EmulatedDevice, device
from .conftest import WAIT_MS

K = Qt.Key
pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="pseudo-terminals are POSIX")


def open_at(driver, dev: EmulatedDevice, item_id: str) -> tuple[ChecklistPage, Inspection]:  # type: ignore[no-untyped-def]
    caliper = InstrumentSetting(
        name="Caliper", port=dev.port, protocol="mitutoyo", baud=2400, timeout_s=3
    )
    driver.ctx.settings = driver.ctx.settings.model_copy(update={"instruments": [caliper]})
    driver.sign_in("ines")
    ins = inspections.start(driver.ctx.station, driver.ctx.actor, Stage.CASTING, "JT-7", "RG-1")
    driver.win.open_inspection(ins)
    driver.settle()
    page = driver.win.checklist
    page.go_to(next(i for i, (it, _p, _s) in enumerate(page.steps) if it.id == item_id))
    return page, ins


def problem(page: ChecklistPage) -> str:
    assert page.editor.problem is not None
    return page.editor.problem.text()


def test_f7_reads_the_caliper_into_the_item(driver) -> None:  # type: ignore[no-untyped-def]
    with device() as dev:
        page, ins = open_at(driver, dev, "min-wall")
        read = page.editor.findChild(QPushButton, "instrument-read")
        assert read is not None and read.text() == "Read from Caliper  [F7]"
        assert driver.focus() is page.editor.readings[0]  # F7 works from the reading field
        dev.press_when_read(b"01A+000000.85\r")  # the inspector presses DATA on the caliper
        driver.qtbot.keyClick(driver.focus(), K.Key_F7)
        assert problem(page) == "Press DATA on Caliper…"
        driver.qtbot.waitUntil(
            lambda: ("min-wall", None) in page.inspection.answers, timeout=WAIT_MS
        )
        driver.settle()
        stored = inspections.get(driver.ctx.station, ins.id)
        answer = stored.answers[("min-wall", None)]
        assert answer.readings == (0.85,)
        assert answer.instrument == f"Caliper (Mitutoyo Digimatic cable, {dev.port})"
        # the screen says what the database holds, and the verdict so far agrees
        row = page.list.item(page._rows[("min-wall", None)]).text()
        assert row == "✓  Thinnest wall thickness"
        assert page.verdict.text() == "So far: " + stored.current_verdict().value.replace("_", " ")
        page.go_to(page._rows[("min-wall", None)])
        assert page.editor.status.text() == f"Recorded: 0.85 mm, read from {answer.instrument}"
        # the inspection view says it too
        view = InspectionDialog(driver.ctx, ins.id, driver.win)
        driver.qtbot.addWidget(view)
        view.show()
        driver.settle()
        shown = [view.answers.item(r, 2).text() for r in range(view.answers.rowCount())]
        assert f"0.85 mm — read from {answer.instrument}" in shown
        view.close()
    assert audit.verify(driver.ctx.station).ok


@pytest.mark.parametrize(
    ("sent", "words"),
    [
        (b"91 1\r", "no data: is the caliper switched on"),
        (b"01A+00\xff\xfe\r", "unreadable bytes"),
        (None, "was lost during the reading"),
    ],
)
def test_a_failed_reading_is_said_and_nothing_is_recorded(
    driver, sent: bytes | None, words: str
) -> None:  # type: ignore[no-untyped-def]
    with device() as dev:
        page, ins = open_at(driver, dev, "min-wall")
        if sent is None:
            dev.press_when_read(b"01A+0", pull=True)  # the cable comes out mid-line
        else:
            dev.press_when_read(sent)
        driver.qtbot.keyClick(driver.focus(), K.Key_F7)
        driver.qtbot.waitUntil(lambda: words in problem(page), timeout=WAIT_MS)
        assert page.editor.readings[0].text() == ""
        driver.settle()
        assert ("min-wall", None) not in inspections.get(driver.ctx.station, ins.id).answers


def test_an_item_no_instrument_measures(driver) -> None:  # type: ignore[no-untyped-def]
    with device() as dev:
        page, ins = open_at(driver, dev, "weight-deviation")  # in %: no caliper reads that
        assert page.editor.findChild(QPushButton, "instrument-read") is None
        driver.qtbot.keyClick(driver.focus(), K.Key_F7)
        assert "No instrument at this station measures %" in problem(page)
        assert bytes(dev.received) == b""
        driver.settle()
        assert (
            inspections.get(driver.ctx.station, ins.id).answers.get(("weight-deviation", None))
            is None
        )


def test_typing_over_the_instrument_reading_names_no_instrument(driver) -> None:  # type: ignore[no-untyped-def]
    with device() as dev:
        page, ins = open_at(driver, dev, "min-wall")
        page.editor.instrument_reading(0.85, "Caliper (x)")  # would save: see the test above
        driver.qtbot.waitUntil(
            lambda: ("min-wall", None) in page.inspection.answers, timeout=WAIT_MS
        )
        driver.settle()
        page.go_to(page._rows[("min-wall", None)])
        field = page.editor.readings[0]
        field.setFocus()
        field.selectAll()
        driver.type("0.91")
        driver.press(K.Key_Return)
        driver.settle()
        answer = inspections.get(driver.ctx.station, ins.id).answers[("min-wall", None)]
        assert answer.readings == (0.91,) and answer.instrument is None


def test_a_series_of_readings_names_the_instrument_only_if_it_gave_them_all(qtbot) -> None:  # type: ignore[no-untyped-def]
    from qcstation.domain.inspections import Answer
    from qcstation.domain.templates import MeasurementItem
    from qcstation.ui.pages.item_editor import ItemEditor

    item = MeasurementItem(
        kind="measurement", id="gw", prompt="Gross weight", unit="g", lower=1, upper=3,
        readings=3, decimals=3,
    )  # fmt: skip
    editor = ItemEditor()
    qtbot.addWidget(editor)
    editor.instrument_for = lambda unit: "Balance" if unit == "g" else None
    given: list[Answer] = []
    editor.answered.connect(given.append)
    editor.show_item(item, None, "Weight", item.prompt, None, 0)
    assert editor.instrument_button is not None
    assert editor.instrument_button.text() == "Read from Balance  [F7]"
    for value in (2.469, 2.47, 2.4695):
        assert given == []  # kept only once every field is filled
        editor.instrument_reading(value, "Balance (Ohaus, COM3)")
    assert [f.text() for f in editor.readings] == ["2.469", "2.470", "2.4695"]
    assert given == [
        Answer("gw", readings=(2.469, 2.47, 2.4695), instrument="Balance (Ohaus, COM3)")
    ]
    # shown again as recorded, Enter keeps it the instrument's
    editor.show_item(item, None, "Weight", item.prompt, given[-1], 0)
    qtbot.keyClick(editor.readings[2], K.Key_Return)
    assert given[-1] == given[0] and len(given) == 2
    # a fourth reading starts the series again; one field typed over names no instrument
    editor.instrument_reading(2.5, "Balance (Ohaus, COM3)")
    assert [f.text() for f in editor.readings] == ["2.500", "", ""]
    editor.instrument_reading(2.5, "Balance (Ohaus, COM3)")
    qtbot.keyClicks(editor.readings[2], "2.6")
    qtbot.keyClick(editor.readings[2], K.Key_Return)
    assert given[-1] == Answer("gw", readings=(2.5, 2.5, 2.6), instrument=None)


def test_a_reading_that_arrives_after_moving_on_is_dropped(driver) -> None:  # type: ignore[no-untyped-def]
    with device() as dev:
        page, ins = open_at(driver, dev, "min-wall")
        driver.qtbot.keyClick(driver.focus(), K.Key_F7)
        page.go_back()  # the inspector goes back before pressing DATA on the caliper
        assert page.editor.item is not None and page.editor.item.id == "weight-deviation"
        dev.press_when_read(b"01A+000000.85\r")
        driver.qtbot.waitUntil(
            lambda: "came after you moved on" in page.notice.text(), timeout=WAIT_MS
        )
        assert "0.85 mm" in page.notice.text() and page.editor.readings[0].text() == ""
        driver.settle()
        assert inspections.get(driver.ctx.station, ins.id).answers == {}
