"""Evidence at the bench belongs to one inspection and one person, by keys at 1280x800 in a
comma locale: the strip and Ctrl+M across inspections, sign-out (with a capture still
saving) and the idle lock; the capture key from every field; a frozen capture recorded and
announced; the defect form's photo with the camera's facts, refused from a lost camera.

After each step the screen is compared with the record: the strip shows exactly the open
inspection's newest images, and nothing of anyone else's.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QLocale, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from qcstation.imaging.calibration import from_two_points
from qcstation.imaging.frames import decode_image
from qcstation.imaging.source import Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.services import accounts, calibration, inspections
from qcstation.services.context import Station
from qcstation.ui.application import build_window
from qcstation.ui.live_camera import GrabberFeed
from qcstation.ui.pages.defect_dialog import DefectDialog
from qcstation.ui.pages.measure_dialog import MeasureDialog
from qcstation.ui.pages.settings import SettingsPage

from .conftest import PASSWORDS, WAIT_MS, Driver

K = Qt.Key
MODE = Mode(320, 240, 30, "MJPG")


@pytest.fixture(autouse=True)
def comma_locale() -> Iterator[None]:
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(before)


@pytest.fixture
def bench(driver: Driver) -> Driver:
    driver.win.resize(1280, 800)
    driver.qtbot.waitUntil(lambda: driver.win.camera.view.frame is not None)
    return driver


@pytest.fixture
def scope(qtbot: QtBot, ui_station: Station) -> Iterator[tuple[Driver, SyntheticCamera]]:
    """The window over a real grabber on the synthetic microscope (a new frame every 33 ms,
    each with its own noise, a cable that can be pulled)."""
    cam = SyntheticCamera(SyntheticConfig(seed=3, mode=MODE, modes=(MODE,)))
    feed = GrabberFeed(cam).start()
    win, ctx = build_window(ui_station, ui_station.location, feed)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    try:
        qtbot.waitUntil(lambda: feed.capabilities() is not None, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: win.camera.view.frame is not None, timeout=WAIT_MS)
        yield Driver(qtbot, win, ctx), cam
    finally:
        win.close()
        ctx.tasks.wait()
        feed.stop()


# --- helpers --------------------------------------------------------------------------------


def start_by_keys(d: Driver, ticket: str, serial: str) -> str:
    """Scan a job ticket on the start page, casting stage, Enter: the checklist opens."""
    win = d.win
    assert d.focus() is win.start.scan
    d.type(f"{ticket}|RG-SOL-0412|{serial}")
    d.press(K.Key_Return)
    win.start.stage.setCurrentIndex(win.start.stage.findData("casting"))
    d.settle()
    win.start.serial.setFocus()
    d.press(K.Key_Return)
    assert win.inspect.currentWidget() is win.checklist
    ins = win.checklist.inspection
    assert ins is not None and ins.serial == serial
    return ins.id


def record(d: Driver, ins_id: str) -> list[int]:
    """The inspection's evidence ids, newest first (as the strip shows them)."""
    return sorted((e.id for e in inspections.evidence_of(d.ctx.station, ins_id)), reverse=True)


def on_screen(d: Driver) -> list[int]:
    strip = d.win.camera.strip
    shown = [int(t.property("evidence_id")) for t in strip.thumbnails()]
    assert shown == strip.shown  # the widgets and the list of ids agree
    return shown


def capture_key(d: Driver) -> None:
    d.press(K.Key_F9)


def go_to(d: Driver, item_id: str) -> None:
    page = d.win.checklist
    page.go_to(next(i for i, s in enumerate(page.steps) if s[0].id == item_id))
    d.settle()


def measure_dialogs(d: Driver) -> list[MeasureDialog]:
    return [m for m in d.win.findChildren(MeasureDialog) if m.isVisible()]


def sign_out_button(d: Driver) -> QPushButton:
    return next(b for b in d.win.findChildren(QPushButton) if b.text() == "Sign out")


# --- the strip and Ctrl+M belong to one inspection ------------------------------------------


def test_the_next_inspection_starts_with_an_empty_strip_and_ctrl_m_opens_only_its_own(
    bench: Driver,
) -> None:
    d, win = bench, bench.win
    d.sign_in("ines")
    first = start_by_keys(d, "JT-1", "SN1")
    capture_key(d)
    capture_key(d)
    assert len(record(d, first)) == 2 and on_screen(d) == record(d, first)
    win.next_piece()
    d.settle()
    second = start_by_keys(d, "JT-2", "SN2")
    assert on_screen(d) == record(d, second) == []
    d.press(K.Key_M, Qt.KeyboardModifier.ControlModifier)  # Ctrl+M: nothing of the first
    assert measure_dialogs(d) == []
    assert "Nothing captured" in win.camera.notice.text()
    capture_key(d)
    assert on_screen(d) == record(d, second) and len(record(d, second)) == 1
    d.press(K.Key_M, Qt.KeyboardModifier.ControlModifier)
    [editor] = measure_dialogs(d)
    assert editor.opened.evidence_id == record(d, second)[0]
    assert editor.opened.inspection_id == second
    editor.reject()
    d.settle()
    # reopening the first (after a restart, or from the unfinished list) shows its own
    win.resume(first)
    d.settle()
    assert win.checklist.inspection is not None and win.checklist.inspection.id == first
    assert on_screen(d) == record(d, first)


def test_sign_out_with_a_capture_still_saving_leaves_nothing_for_the_next_person(
    bench: Driver,
) -> None:
    d, win = bench, bench.win
    d.sign_in("ines")
    ins_id = start_by_keys(d, "JT-3", "SN3")
    capture_key(d)
    assert on_screen(d) == record(d, ins_id) and len(on_screen(d)) == 1
    # a capture and Ctrl+M still on the worker when she signs out
    d.qtbot.keyClick(d.focus(), K.Key_F9)
    d.qtbot.keyClick(d.focus(), K.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert d.ctx.tasks.pending > 0
    d.qtbot.mouseClick(sign_out_button(d), Qt.MouseButton.LeftButton)
    assert on_screen(d) == [] and win.camera.notice.text() == ""
    d.settle()
    assert on_screen(d) == [] and measure_dialogs(d) == []
    assert len(record(d, ins_id)) == 2  # the capture went to its inspection, not the screen
    d.sign_in("sam")
    assert on_screen(d) == [] and measure_dialogs(d) == []
    d.press(K.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert measure_dialogs(d) == []
    d.qtbot.mouseClick(sign_out_button(d), Qt.MouseButton.LeftButton)
    d.sign_in("ines")  # her unfinished inspection reopens, with its own images from the record
    d.settle()
    assert win.checklist.inspection is not None and win.checklist.inspection.id == ins_id
    assert on_screen(d) == record(d, ins_id)


def test_the_idle_lock_hides_evidence_and_unlocking_brings_it_back(bench: Driver) -> None:
    d, win = bench, bench.win
    d.sign_in("ines")
    ins_id = start_by_keys(d, "JT-4", "SN4")
    capture_key(d)
    d.press(K.Key_M, Qt.KeyboardModifier.ControlModifier)
    [editor] = measure_dialogs(d)
    win.idle.setInterval(50)  # the idle lock, with the measuring editor open over the window
    win.idle.start()
    d.qtbot.waitUntil(lambda: win.top.currentWidget() is win.lock_page)
    win.idle.setInterval(5 * 60_000)
    assert not editor.isVisible() and measure_dialogs(d) == []
    assert on_screen(d) == []
    win.activateWindow()
    d.qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    win.lock_page.password.setFocus()
    capture_key(d)  # locked: the key captures nothing and types nothing
    d.press(K.Key_Space)
    assert len(record(d, ins_id)) == 1 and on_screen(d) == []
    win.lock_page.password.clear()
    d.press(K.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert measure_dialogs(d) == []
    d.type(PASSWORDS["ines"])
    d.press(K.Key_Return)
    assert win.top.currentWidget() is win.workspace
    assert editor.isVisible()  # as it was, for the same person
    assert on_screen(d) == record(d, ins_id)


# --- the capture key from every field -------------------------------------------------------


def test_the_capture_key_works_from_a_text_answer_a_note_and_a_reading(bench: Driver) -> None:
    d, win = bench, bench.win
    page = win.checklist
    d.sign_in("ines")
    ins_id = start_by_keys(d, "JT-5", "SN5")
    assert "[F9]" in win.camera.capture.text()
    # a text answer (flask number): F9 captures and types nothing; Space types a space
    text = page.editor.text_field
    assert text is not None and d.focus() is text
    d.type("F-12")
    capture_key(d)
    assert text.text() == "F-12" and len(record(d, ins_id)) == 1
    d.press(K.Key_Space)
    assert text.text() == "F-12 " and len(record(d, ins_id)) == 1
    d.press(K.Key_Return)
    assert page.inspection is not None
    assert page.inspection.answers[("flask-number", None)].value == "F-12"
    # the note of a pass/fail item
    assert page.current_target() == ("fill", None)
    d.press(K.Key_M)
    assert d.focus() is page.editor.note
    d.type("kleine Pore")
    capture_key(d)
    assert page.editor.note.text() == "kleine Pore" and len(record(d, ins_id)) == 2
    d.press(K.Key_Space)
    assert page.editor.note.text() == "kleine Pore " and len(record(d, ins_id)) == 2
    # a reading, typed with a decimal comma
    go_to(d, "min-wall")
    reading = page.editor.readings[0]
    assert d.focus() is reading
    d.type("0,85")
    capture_key(d)
    assert reading.text() == "0,85" and len(record(d, ins_id)) == 3
    for _ in range(3):  # a pedal held down repeats its key: still one picture
        held = QKeyEvent(QEvent.Type.KeyPress, K.Key_F9, Qt.KeyboardModifier.NoModifier, "", True)
        QApplication.sendEvent(reading, held)
    d.settle()
    assert reading.text() == "0,85" and len(record(d, ins_id)) == 3
    # Space outside a text field still captures (the keyboard's capture key before F9)
    go_to(d, "porosity")
    page.editor.setFocus()
    d.press(K.Key_Space)
    assert len(record(d, ins_id)) == 4
    stored = inspections.evidence_of(d.ctx.station, ins_id)
    assert [(e.item_id, e.position) for e in stored] == [
        ("flask-number", None),
        ("fill", None),
        ("min-wall", None),
        ("porosity", None),
    ]
    assert on_screen(d) == record(d, ins_id)
    assert page.photos_for("porosity", None) == 1


def test_a_pedal_key_set_in_settings_captures_from_a_reading(bench: Driver) -> None:
    d, win = bench, bench.win
    d.sign_in("ada")
    win.show_page(SettingsPage)
    settings = win.area.currentWidget()
    assert isinstance(settings, SettingsPage)
    hint = settings.capture_key_hint.text()
    assert "F9" in hint and "Pause" in hint and "Space" in hint
    settings.capture_key.setFocus()
    d.press(K.Key_P)  # the pass key: refused with the reason, nothing saved
    settings.station_name.setFocus()
    d.press(K.Key_S, Qt.KeyboardModifier.ControlModifier)  # the Save button clicks itself
    d.qtbot.waitUntil(lambda: settings.status.text() != "")
    assert "P already does something" in settings.status.text()
    assert d.ctx.settings.capture_key == "F9"
    settings.capture_key.setFocus()
    d.press(K.Key_Pause)
    settings.status.clear()
    settings.station_name.setFocus()
    d.press(K.Key_S, Qt.KeyboardModifier.ControlModifier)
    d.qtbot.waitUntil(lambda: settings.status.text() != "")
    d.settle()
    assert settings.status.text() == "Saved." and d.ctx.settings.capture_key == "Pause"
    assert "[Pause]" in win.camera.capture.text()
    d.qtbot.mouseClick(sign_out_button(d), Qt.MouseButton.LeftButton)
    d.sign_in("ines")
    ins_id = start_by_keys(d, "JT-6", "SN6")
    go_to(d, "weight-deviation")
    d.type("1,5")
    d.press(K.Key_Pause)
    assert win.checklist.editor.readings[0].text() == "1,5"
    assert [e.item_id for e in inspections.evidence_of(d.ctx.station, ins_id)] == [
        "weight-deviation"
    ]


# --- frozen, and the defect form's photo ----------------------------------------------------


def test_a_frozen_capture_is_recorded_as_frozen_and_announced(
    scope: tuple[Driver, SyntheticCamera],
) -> None:
    d, _cam = scope
    win, station = d.win, d.ctx.station
    d.sign_in("ines")
    ins_id = start_by_keys(d, "JT-7", "SN7")
    go_to(d, "porosity")
    d.qtbot.mouseClick(win.camera.freeze, Qt.MouseButton.LeftButton)
    frozen = win.camera.shown
    assert frozen is not None and win.camera.frozen
    feed = win.camera.source
    d.qtbot.waitUntil(lambda: feed.newest().seq > frozen.seq + 2)  # live moved on
    win.checklist.editor.setFocus()
    capture_key(d)
    [first] = inspections.evidence_of(station, ins_id)
    notice = win.camera.notice
    assert "frozen picture" in notice.text() and f"frame {frozen.seq}" in notice.text()
    assert "b00020" in notice.styleSheet()  # in red: nobody takes it for the live one
    meta = meta_of(station, first.id)
    assert meta["frozen"] is True and meta["frame_seq"] == frozen.seq
    stored = decode_image(inspections.read_evidence(station, first.sha256))
    assert np.array_equal(stored, frozen.image)  # exactly the picture on screen
    d.qtbot.mouseClick(win.camera.freeze, Qt.MouseButton.LeftButton)
    win.checklist.editor.setFocus()
    capture_key(d)
    second = inspections.evidence_of(station, ins_id)[-1]
    assert meta_of(station, second.id)["frozen"] is False
    assert meta_of(station, second.id)["frame_seq"] > frozen.seq
    assert notice.text().startswith("Captured frame") and "b00020" not in notice.styleSheet()
    assert on_screen(d) == record(d, ins_id)


def meta_of(station: Station, evidence_id: int) -> dict[str, object]:
    from qcstation.store.models import EvidenceRow

    with station.db.read() as s:
        row = s.get(EvidenceRow, evidence_id)
        assert row is not None
        return dict(row.meta)


def test_the_defect_photo_carries_the_camera_and_calibration_and_waits_for_a_lost_camera(
    scope: tuple[Driver, SyntheticCamera],
) -> None:
    d, cam = scope
    win, station = d.win, d.ctx.station
    feed = win.camera.source
    camera_id = feed.capabilities().camera_id
    sam = accounts.login(station, "sam", PASSWORDS["sam"])
    saved = calibration.save(
        station,
        sam,
        from_two_points(
            (10.0, 50.0),
            (210.0, 50.0),
            50,
            0.01,
            camera_id=camera_id,
            magnification="1.0x",
            image_size=(320, 240),
        ),
    )
    d.sign_in("ines")
    ins_id = start_by_keys(d, "JT-8", "SN8")
    go_to(d, "porosity")
    d.press(K.Key_F)  # porosity fails: the defect form opens, the photo ticked
    dialog = win.findChild(DefectDialog)
    assert dialog is not None and dialog.isVisible() and dialog.photo.isChecked()
    d.press(K.Key_Return)
    d.qtbot.waitUntil(lambda: win.findChild(DefectDialog) is None)
    ins = inspections.get(station, ins_id)
    [defect] = ins.defects
    [photo] = inspections.evidence_of(station, ins_id)
    meta = meta_of(station, photo.id)
    assert meta["defect_id"] == defect.id and photo.item_id == "porosity"
    assert meta["camera_id"] == camera_id and meta["mode"] == str(MODE)
    assert meta["calibration"]["mm_per_px"] == pytest.approx(saved.calibration.mm_per_px)
    assert meta["calibration_status"] == "valid" and meta["magnification"] == "1.0x"
    assert isinstance(meta["frame_seq"], int) and meta["taken_at"]
    assert meta["frozen"] is False
    assert on_screen(d) == record(d, ins_id)
    # the camera is pulled out: the next defect form keeps what was typed and logs nothing
    cam.unplug()
    d.qtbot.waitUntil(lambda: feed.problem() is not None, timeout=WAIT_MS)
    go_to(d, "cracks")
    d.press(K.Key_F)
    dialog = win.findChild(DefectDialog)
    assert dialog is not None and dialog.photo.isChecked()
    dialog.note.setFocus()
    d.type("Haarriss am Schaft")
    dialog.filter.setFocus()
    d.press(K.Key_Return)
    assert dialog.isVisible() and "Nothing was saved" in dialog.message.text()
    assert "not sending pictures" in dialog.message.text()
    assert dialog.note.text() == "Haarriss am Schaft"
    assert len(inspections.get(station, ins_id).defects) == 1
    assert len(inspections.evidence_of(station, ins_id)) == 1
    cam.replug()
    d.qtbot.waitUntil(lambda: feed.problem() is None, timeout=WAIT_MS)
    dialog.filter.setFocus()
    d.press(K.Key_Return)
    d.qtbot.waitUntil(lambda: win.findChild(DefectDialog) is None)
    ins = inspections.get(station, ins_id)
    assert [x.code for x in ins.defects] == ["CST-POR", "CST-CRACK"]
    assert ins.defects[1].note == "Haarriss am Schaft"
    assert [e.item_id for e in inspections.evidence_of(station, ins_id)] == ["porosity", "cracks"]
    assert on_screen(d) == record(d, ins_id)
