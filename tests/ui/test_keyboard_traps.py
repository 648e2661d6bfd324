"""Keyboard traps at the bench, driven by keys into the real window at 1280x800 in a comma
locale: after each step the screen, the database and the derived verdict agree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QLocale, Qt
from pytestqt.qtbot import QtBot

from qcstation.domain.inspections import Outcome
from qcstation.domain.stages import Stage
from qcstation.services import inspections
from qcstation.services.context import Station
from qcstation.ui.application import build_window

from .conftest import Driver, StillCamera

K = Qt.Key


@pytest.fixture
def bench(qtbot: QtBot, ui_station: Station) -> Iterator[Driver]:
    """The window as a bench has it: 1280x800, German number format."""
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    win, ctx = build_window(ui_station, ui_station.location, StillCamera())
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield Driver(qtbot, win, ctx)
    win.close()
    ctx.tasks.wait()
    QLocale.setDefault(before)


def open_checklist(d: Driver, station: Station, stage: Stage) -> str:
    d.sign_in("ines")
    ins = inspections.start(station, d.ctx.actor, stage, "JT-KEYS-1", "RG-SOL-0412", "SN-K1")
    d.win.open_inspection(ins)
    d.settle()
    return ins.id


def test_enter_in_the_note_gives_the_keys_back_to_the_item(
    bench: Driver, ui_station: Station
) -> None:
    d = bench
    ins_id = open_checklist(d, ui_station, Stage.STONE_SETTING)
    page = d.win.checklist
    item, pos, _ = page.steps[page.index]
    d.press(K.Key_M)
    assert d.focus() is page.editor.note
    d.type("girdle chip seen at 10x, within tolerance")
    d.press(K.Key_Return)
    assert d.focus() is not page.editor.note  # the keys are back with the item
    d.press(K.Key_P)
    stored = inspections.get(ui_station, ins_id)
    answer = stored.answers[(item.id, pos)]
    assert answer.outcome is Outcome.PASS
    assert answer.note == "girdle chip seen at 10x, within tolerance"  # no "P" typed into it
    assert page.list.item(0).text().startswith("✓")  # the screen says what is stored
    assert page.index == 1  # and moved on to the next item, as an answer does
    assert stored.current_verdict() is page.inspection.current_verdict()


def test_a_note_added_to_an_answered_item_is_kept_by_enter(
    bench: Driver, ui_station: Station
) -> None:
    d = bench
    ins_id = open_checklist(d, ui_station, Stage.STONE_SETTING)
    page = d.win.checklist
    item, pos, _ = page.steps[0]
    d.press(K.Key_P)
    d.press(K.Key_Left)  # back to the answered item
    assert page.index == 0
    d.press(K.Key_M)
    d.type("re-checked after cleaning")
    d.press(K.Key_Return)
    answer = inspections.get(ui_station, ins_id).answers[(item.id, pos)]
    assert (answer.outcome, answer.note) == (Outcome.PASS, "re-checked after cleaning")
    assert d.focus() is not page.editor.note


def test_escape_in_the_note_gives_the_keys_back_too(bench: Driver, ui_station: Station) -> None:
    d = bench
    ins_id = open_checklist(d, ui_station, Stage.STONE_SETTING)
    page = d.win.checklist
    item, pos, _ = page.steps[0]
    d.press(K.Key_M)
    d.type("dusty")
    d.press(K.Key_Escape)
    d.press(K.Key_F)  # the defect form opens for a failed item that needs one
    answer = inspections.get(ui_station, ins_id).answers[(item.id, pos)]
    assert (answer.outcome, answer.note) == (Outcome.FAIL, "dusty")


def test_enter_on_the_stage_box_starts_the_inspection(bench: Driver, ui_station: Station) -> None:
    d = bench
    d.sign_in("ines")
    start = d.win.start
    assert d.focus() is start.scan
    d.type("JT-KEYS-2")
    d.press(K.Key_Return)
    d.type("RG-SOL-0412")
    d.press(K.Key_Return)
    d.type("SN-K2")
    start.stage.setFocus()  # Shift+Tab from the serial, or a click
    d.press(K.Key_Home)  # receiving, the first stage
    d.press(K.Key_Down)  # casting
    assert start.stage.currentData() == Stage.CASTING.value
    d.press(K.Key_Return)
    assert d.win.inspect.currentWidget() is d.win.checklist
    ins = d.win.checklist.inspection
    assert ins is not None
    stored = inspections.get(ui_station, ins.id)
    assert (stored.template.stage, stored.job_ticket, stored.sku, stored.serial) == (
        Stage.CASTING,
        "JT-KEYS-2",
        "RG-SOL-0412",
        "SN-K2",
    )


def test_enter_on_the_stage_box_without_a_sku_says_so(bench: Driver) -> None:
    d = bench
    d.sign_in("ines")
    start = d.win.start
    d.type("JT-KEYS-3")
    start.stage.setFocus()
    d.press(K.Key_Return)
    assert d.win.inspect.currentWidget() is start
    assert "SKU" in start.hint.text()
    assert d.focus() is start.sku  # on to the field still missing


def test_history_search_finds_parts_in_any_case_and_keeps_the_keys(
    bench: Driver, ui_station: Station
) -> None:
    d = bench
    d.sign_in("ines")
    ines = d.ctx.actor
    wanted = inspections.start(
        ui_station, ines, Stage.CASTING, "JT-26-004711", "RG-SOL-0412", "SN552901"
    )
    inspections.start(ui_station, ines, Stage.CASTING, "JT-26-009528", "BR-TEN-0930", "SN501424")
    d.press(K.Key_2, Qt.KeyboardModifier.AltModifier)
    history = d.win.area.currentWidget()
    assert history.objectName() == "history-page"
    assert d.focus() is history.text
    d.type("sn5529")  # part of the serial, in lower case, as read off the tag
    d.press(K.Key_Return)
    assert [r.id for r in history.model.rows] == [wanted.id]
    assert d.focus() is history.text  # the keys stay in the box: refine and search again
    d.press(K.Key_A, Qt.KeyboardModifier.ControlModifier)
    d.type("ines")  # the inspector's name finds both
    d.press(K.Key_Return)
    assert history.model.rowCount() == 2
    d.press(K.Key_Down)  # down into the results
    assert d.focus() is history.table
    assert history.model.row_at(history.table.currentIndex()) is not None


def test_disposition_keys_that_cannot_act_say_why(bench: Driver) -> None:
    from qcstation.ui.pages.nonconformance import NonconformancePage

    d = bench
    d.sign_in("sam")
    d.win.show_page(NonconformancePage)
    d.settle()
    page = d.win.findChild(NonconformancePage)
    assert page is not None and page.model.rowCount() == 0
    d.press(K.Key_W)  # rework, with nothing waiting
    assert page.status.text() == "Nothing is waiting for a disposition."
    d.press(K.Key_D)  # the decided ones
    d.press(K.Key_S)  # scrap, on the decided list
    assert "decided already" in page.status.text()
