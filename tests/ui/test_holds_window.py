"""Parking, resuming, abandoning and taking over in the real window, by keys, in a comma
locale at 1280x800; after each step the screen, the database and the derived verdict agree.

Two windows on one SQLite file stand for two benches with the same inspector signed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from tests.ui.conftest import Driver, StillCamera

from qcstation import config
from qcstation.domain.holds import HoldState
from qcstation.domain.inspections import Status
from qcstation.services import audit, holds, inspections
from qcstation.services.context import Station, connect
from qcstation.services.holds import NotHeld
from qcstation.store.models import AuditEntry
from qcstation.ui.application import build_window
from qcstation.ui.pages.inspection_view import InspectionDialog
from qcstation.ui.pages.unfinished import ReasonDialog

K = Qt.Key
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(autouse=True)
def comma_locale() -> Iterator[None]:
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(before)


def bench(qtbot: QtBot, station: Station) -> Driver:
    win, ctx = build_window(station, station.location, StillCamera())
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    return Driver(qtbot, win, ctx)


def use(d: Driver) -> Driver:
    """Bring this bench's window to the front: keys go where a person looks."""
    d.win.activateWindow()
    d.qtbot.waitUntil(lambda: QApplication.activeWindow() is d.win)
    return d


def reason_dialog(d: Driver) -> ReasonDialog:
    d.qtbot.waitUntil(lambda: d.win.findChild(ReasonDialog) is not None)
    dialog = d.win.findChild(ReasonDialog)
    assert dialog is not None
    d.qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.field)
    return dialog


def screen_matches_database(d: Driver, inspection_id: str) -> None:
    """What the checklist shows is what is stored, and the verdict is the one derived."""
    page = d.win.checklist
    stored = inspections.get(d.ctx.station, inspection_id)
    assert page.inspection is not None and page.inspection.id == inspection_id
    answered, total = stored.progress()
    assert (page.progress.value(), page.progress.maximum()) == (answered, total)
    assert set(page.inspection.answers) == set(stored.answers)
    assert stored.current_verdict().value.replace("_", " ") in page.verdict.text()


def start_by_keys(d: Driver) -> str:
    win = d.win
    assert d.focus() is win.start.scan
    d.type("JT-26-004242|RG-SOL-0412|SN4242")
    d.press(K.Key_Return)
    win.start.stage.setCurrentIndex(win.start.stage.findData("casting"))
    d.settle()
    win.start.serial.setFocus()
    d.press(K.Key_Return)
    assert win.inspect.currentWidget() is win.checklist and win.checklist.inspection
    return win.checklist.inspection.id


def test_park_resume_and_abandon_by_keys(qtbot: QtBot, ui_station: Station) -> None:
    d = use(bench(qtbot, ui_station))
    d.sign_in("ines")
    ins_id = start_by_keys(d)
    hold_bar = d.win.holding.bar
    assert hold_bar.isVisible() and "[F8]" in d.win.holding.park_button.text()
    d.type("F-12")  # flask number
    d.press(K.Key_Return)
    screen_matches_database(d, ins_id)
    # P, then F8 at once: the pass is still being saved when the park is asked for
    d.qtbot.keyClick(d.focus(), K.Key_P)
    d.qtbot.keyClick(d.focus(), K.Key_F8)
    dialog = reason_dialog(d)
    assert "waits in the list of every station" in dialog.text.text()
    d.type("Fassung fehlt, 0,5 ct Stein")  # a comma in the reason, as typed here
    d.press(K.Key_Return)
    # stored in order: the answer, then the park; the bench is back at the start page
    stored = inspections.get(ui_station, ins_id)
    assert set(stored.answers) == {("flask-number", None), ("fill", None)}
    hold = holds.hold_of(ui_station, ins_id)
    assert hold.state is HoldState.PARKED and hold.reason == "Fassung fehlt, 0,5 ct Stein"
    assert d.win.inspect.currentWidget() is d.win.start and d.win.checklist.inspection is None
    assert not hold_bar.isVisible()
    listing = d.win.start.unfinished
    assert listing.list.count() == 1
    row = listing.list.item(0).text()
    assert "JT-26-004242" in row and "parked by ines at station" in row
    assert "(Fassung fehlt, 0,5 ct Stein)" in row
    assert "is parked by ines" in listing.note.text()
    d.win.capture()  # the capture key with nothing open stores nothing
    d.settle()
    assert inspections.evidence_of(ui_station, ins_id) == []
    # Ctrl+U, Enter: resumed here, at the first open item, answers as stored
    d.press(K.Key_U, CTRL)
    assert d.focus() is listing.list
    assert "Enter resumes it here" in listing.keys.text()
    d.press(K.Key_Return)
    assert d.win.inspect.currentWidget() is d.win.checklist
    screen_matches_database(d, ins_id)
    assert d.win.checklist.steps[d.win.checklist.index][0].id == "porosity"
    assert holds.hold_of(ui_station, ins_id).held_by(ui_station.name, "ines")
    assert hold_bar.isVisible()
    # Shift+F8: a reason is required; too short is said, and nothing changes
    d.press(K.Key_F8, SHIFT)
    dialog = reason_dialog(d)
    d.type("no")
    d.press(K.Key_Return)
    assert dialog.isVisible() and "at least 3 characters" in dialog.problem.text()
    assert inspections.get(ui_station, ins_id).status is Status.IN_PROGRESS
    dialog.field.clear()
    d.type("Riss im Guss, 1,2 mm")
    d.press(K.Key_Return)
    stored = inspections.get(ui_station, ins_id)
    assert stored.status is Status.ABANDONED and stored.verdict is None
    assert d.win.inspect.currentWidget() is d.win.start
    assert listing.list.count() == 0 and "was abandoned" in listing.note.text()
    assert inspections.unfinished(ui_station, d.ctx.actor) == []
    # History finds it as abandoned; its view says by whom, where and why
    d.press(K.Key_2, Qt.KeyboardModifier.AltModifier)
    history = d.win.area.currentWidget()
    d.type("SN4242")
    d.press(K.Key_Return)
    assert [r.id for r in history.model.rows] == [ins_id]
    assert history.model.index(0, 0).isValid()
    assert "ABANDONED" in [
        history.model.data(history.model.index(0, c)) for c in range(history.model.columnCount())
    ]
    view = InspectionDialog(d.ctx, ins_id, d.win)
    qtbot.addWidget(view)
    d.settle()
    assert "ABANDONED" in view.heading.text()
    assert "abandoned by ines at station" in view.info.text()
    assert "(Riss im Guss, 1,2 mm)" in view.info.text()
    assert audit.verify(ui_station).ok
    d.win.close()
    d.ctx.tasks.wait()


@pytest.fixture
def bench_b_station(ui_station: Station, tmp_path: Path) -> Iterator[Station]:
    """A second station on the same SQLite file."""
    loc = ui_station.location
    settings = loc.settings.model_copy(update={"station_name": "bench-B"})
    other = connect(config.Location(tmp_path / "b", loc.database_url, settings))
    yield other
    other.close()


def close(d: Driver) -> None:
    for box in d.win.findChildren(QMessageBox):
        box.close()
    d.win.close()
    d.ctx.tasks.wait()


def test_the_second_bench_takes_over_explicitly_and_the_first_is_told(
    qtbot: QtBot, ui_station: Station, bench_b_station: Station
) -> None:
    a = use(bench(qtbot, ui_station))
    a.sign_in("ines")
    ins_id = start_by_keys(a)
    a.type("F-7")
    a.press(K.Key_Return)
    b = use(bench(qtbot, bench_b_station))
    b.sign_in("ines")
    # bench B does not reopen it: it lists it, held at bench A
    assert b.win.inspect.currentWidget() is b.win.start
    assert b.win.checklist.inspection is None
    listing = b.win.start.unfinished
    row = listing.list.item(0).text()
    assert f"held by ines at station {ui_station.name} since" in row
    assert "Enter takes it over to this station (with a reason)" in listing.keys.text()
    b.press(K.Key_U, CTRL)
    b.press(K.Key_Return)
    dialog = reason_dialog(b)
    b.press(K.Key_Return)  # no reason: asked again, nothing taken
    assert dialog.isVisible() and "reason to take it over" in dialog.problem.text()
    assert holds.hold_of(ui_station, ins_id).station == ui_station.name
    b.type("Mikroskop an Platz A defekt")
    b.press(K.Key_Return)
    assert b.win.inspect.currentWidget() is b.win.checklist
    screen_matches_database(b, ins_id)
    b.press(K.Key_P)  # fill, at bench B
    screen_matches_database(b, ins_id)
    # bench A still shows the checklist; its next answer is refused, and it says why
    use(a)
    assert a.win.inspect.currentWidget() is a.win.checklist
    a.win.checklist.editor.focus_entry()
    a.press(K.Key_F)
    refusal = a.ctx.errors.shown[-1]
    assert isinstance(refusal, NotHeld)
    assert "this inspection was taken over by ines at station bench-B at" in str(refusal)
    assert "(Mikroskop an Platz A defekt), so nothing more is saved here" in str(refusal)
    boxes = [m for m in a.win.findChildren(QMessageBox) if m.objectName() == "problem-message"]
    assert boxes and "was taken over by ines at station bench-B" in boxes[-1].text()
    stored = inspections.get(ui_station, ins_id)
    assert stored.answers[("fill", None)].outcome.value == "pass"  # B's pass, not A's fail
    assert a.win.inspect.currentWidget() is a.win.start and a.win.checklist.inspection is None
    a.settle()
    assert "held by ines at station bench-B since" in a.win.start.unfinished.list.item(0).text()
    # the hand-over is audited with where, who and why
    with ui_station.db.read() as s:
        took = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "inspection_holds",
                AuditEntry.entity_id == ins_id,
                AuditEntry.reason.startswith("take over"),
            )
        ).one()
    assert (took.station, took.actor) == ("bench-B", "ines")
    assert took.reason == "take over: Mikroskop an Platz A defekt"
    assert audit.verify(ui_station).ok
    close(b)
    close(a)
