"""The window fits the bench screens (1280x800, 1366x768) with nothing drawn over anything.

Each main page is shown in the real window at each size, on demo data, and the widget tree
is walked (qcstation.ui.layout_check): no two shown siblings overlap, nothing sticks out
of its parent, no label or button is narrower than its text, no table column narrower
than its contents. A PNG of each page is kept in the test's temporary directory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.exceptions import TimeoutError as QtBotTimeout
from pytestqt.qtbot import QtBot

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.services import demo, inspections
from qcstation.services.context import Station, connect
from qcstation.ui import layout_check
from qcstation.ui.application import build_window
from qcstation.ui.main_window import MainWindow

from .conftest import PASSWORDS, WAIT_MS, Driver, StillCamera

SIZES = [(1280, 800), (1366, 768)]
MAXIMISED_768 = 700  # 768 less a task bar (~40) and a window title (~28)


@pytest.fixture(scope="module")
def demo_station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    """A station with a few weeks of demo records (the pages are only looked at)."""
    loc = config.resolve(tmp_path_factory.mktemp("layout") / "station")
    station = connect(loc)
    demo.fill(station, count=16)
    yield station
    station.close()


@pytest.fixture
def bench(
    qtbot: QtBot, demo_station: Station, request: pytest.FixtureRequest
) -> Iterator[tuple[Driver, tuple[int, int]]]:
    size: tuple[int, int] = request.param
    win, ctx = build_window(demo_station, demo_station.location, StillCamera())
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    driver = Driver(qtbot, win, ctx)
    yield driver, size
    win.close()
    ctx.tasks.wait()


def check(driver: Driver, size: tuple[int, int], name: str, shots: Path) -> list[str]:
    """Problems of the window as it is now, each prefixed with the screen's name."""
    driver.settle()
    win = driver.win
    settled(driver, win)
    shots.mkdir(parents=True, exist_ok=True)
    win.grab().save(str(shots / f"{size[0]}x{size[1]}-{name}.png"))
    found = [f"{name}: {p}" for p in layout_check.problems(win)]
    if (win.width(), win.height()) != size:
        found.append(f"{name}: the window is {win.width()}x{win.height()}, not {size}")
    return found


def settled(driver: Driver, root: QWidget) -> None:
    """Let a change of item or page finish laying out (it passes through a few posted
    layout requests, slower on a busy machine); what is still wrong after that is real."""
    with contextlib.suppress(QtBotTimeout):  # the caller reports what is still wrong
        driver.qtbot.waitUntil(lambda: not layout_check.problems(root), timeout=WAIT_MS)


def pages_of(win: MainWindow) -> list[tuple[str, QWidget]]:
    return list(win.visible_pages)


@pytest.mark.parametrize("bench", SIZES, indirect=True, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_fits(bench: tuple[Driver, tuple[int, int]], tmp_path: Path) -> None:
    driver, size = bench
    driver.sign_in("ada")  # the administrator sees every page, and the widest navigation
    win = driver.win
    least = win.minimumSizeHint()
    found: list[str] = []
    if least.width() > size[0] or least.height() > size[1]:
        found.append(f"the window cannot be smaller than {least.width()}x{least.height()}")
    if least.height() > MAXIMISED_768:
        found.append(
            f"the window needs {least.height()} px of height: maximised on a 1366x768 "
            f"laptop, with a task bar and a title bar, it gets about {MAXIMISED_768}"
        )
    for label, page in pages_of(win):
        win.show_page(type(page))
        if page is win.inspect:
            win.inspect.setCurrentWidget(win.start)
            found += check(driver, size, "start", tmp_path)
            win.start.lot.setChecked(True)  # the lot's sampling fields make it taller
            found += check(driver, size, "start-lot", tmp_path)
            win.start.piece.setChecked(True)
            continue
        found += check(driver, size, label.lower().replace(" ", "-"), tmp_path)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("bench", SIZES, indirect=True, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("stage", [Stage.STONE_SETTING, Stage.PLATING, Stage.FINAL_QC])
def test_every_checklist_item_fits_beside_the_camera(
    bench: tuple[Driver, tuple[int, int]], demo_station: Station, stage: Stage, tmp_path: Path
) -> None:
    """Every item of the checklists with the longest prompts, the widest choices and three
    readings, with the camera's thumbnails full and its calibration warning showing."""
    driver, size = bench
    driver.sign_in("ines")
    win = driver.win
    ines = driver.ctx.actor
    ins = inspections.start(demo_station, ines, stage, f"JT-FIT-{stage.value}", "RG-SOL-0412")
    found: list[str] = []
    win.next_piece()  # the start page, with her unfinished inspections listed
    driver.settle()
    assert win.start.unfinished.list.count() >= 1
    found += check(driver, size, f"{stage.value}-start", tmp_path)
    win.open_inspection(ins)
    driver.settle()
    for _ in range(8):  # more than the strip keeps
        win.capture()
        driver.settle()
    page = win.checklist
    for i in range(len(page.steps)):
        page.go_to(i)
        found += check(driver, size, f"{stage.value}-{i + 1}", tmp_path)
        cut = layout_check.elided_rows(page.list)
        found += [f"{stage.value}: item list cuts {text!r}" for text in cut]
    win.show_summary(page.inspection)
    found += check(driver, size, f"{stage.value}-summary", tmp_path)
    assert found == [], "\n".join(found)


def test_the_sign_in_and_lock_screens_fit(
    qtbot: QtBot, demo_station: Station, tmp_path: Path
) -> None:
    win, ctx = build_window(demo_station, demo_station.location, StillCamera())
    qtbot.addWidget(win)
    driver = Driver(qtbot, win, ctx)
    try:
        found: list[str] = []
        for size in SIZES:
            win.resize(*size)
            win.show()
            qtbot.waitExposed(win)
            found += check(driver, size, "sign-in", tmp_path)
            driver.sign_in("ines", "not-her-password")  # the refusal wraps onto lines
            found += check(driver, size, "sign-in-refused", tmp_path)
            win.login.username.clear()
            driver.sign_in("ines", PASSWORDS["ines"])
            win.lock_now()
            found += check(driver, size, "locked", tmp_path)
            win.lock_page.username.setText("ivan")  # not hers to unlock: it says so
            win.lock_page.password.setText(PASSWORDS["ivan"])
            win.lock_page.try_unlock()
            found += check(driver, size, "locked-refused", tmp_path)
            win.lock_page.username.setText("ines")
            win.lock_page.password.setText(PASSWORDS["ines"])
            win.lock_page.try_unlock()
            driver.settle()
            win.sign_out()
        assert found == [], "\n".join(found)
    finally:
        win.close()
        ctx.tasks.wait()


def dialog_problems(driver: Driver, dialog: QWidget, name: str, shots: Path) -> list[str]:
    driver.settle()
    settled(driver, dialog)
    shots.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(shots / f"{name}.png"))
    found = [f"{name}: {p}" for p in layout_check.problems(dialog)]
    if dialog.width() > SIZES[0][0] or dialog.height() > SIZES[0][1]:
        found.append(f"{name}: {dialog.width()}x{dialog.height()} is larger than the screen")
    return found


@pytest.mark.parametrize("bench", SIZES[:1], indirect=True, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_inspection_signing_and_defect_dialogs_fit(
    bench: tuple[Driver, tuple[int, int]], demo_station: Station, tmp_path: Path
) -> None:
    from qcstation.domain.summaries import SearchFilter
    from qcstation.services import signing
    from qcstation.ui.pages.defect_dialog import DefectDialog
    from qcstation.ui.pages.inspection_view import InspectionDialog

    driver, _size = bench
    found: list[str] = []
    driver.sign_in("sam")
    done = inspections.search(demo_station, SearchFilter(status="completed", limit=200))
    ins_id = next(
        r.id
        for r in done
        if {s.manifest.username for s in signing.signatures(demo_station, r.id)} == {r.inspector}
    )
    view = InspectionDialog(driver.ctx, ins_id, driver.win)
    driver.qtbot.addWidget(view)
    view.show()
    found += dialog_problems(driver, view, "inspection", tmp_path)
    view.sign()  # approve, with the report and the certificate offered beside it
    assert view.docs.dialog is not None
    found += dialog_problems(driver, view.docs.dialog, "sign", tmp_path)
    view.docs.dialog.reject()
    view.close()
    driver.win.sign_out()
    driver.win.activateWindow()
    driver.qtbot.waitUntil(lambda: QApplication.activeWindow() is driver.win)
    driver.sign_in("ines")
    ins = inspections.start(demo_station, driver.ctx.actor, Stage.STONE_SETTING, "JT-D", "RG-1")
    driver.win.open_inspection(ins)
    driver.settle()
    driver.press(Qt.Key.Key_F)  # stone secure fails: its defect form
    form = driver.win.findChild(DefectDialog)
    assert form is not None and form.isVisible()
    found += dialog_problems(driver, form, "defect", tmp_path)
    form.reject()
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("bench", SIZES[:1], indirect=True, ids=lambda s: f"{s[0]}x{s[1]}")
def test_history_columns_are_as_wide_as_what_they_show(
    bench: tuple[Driver, tuple[int, int]],
) -> None:
    """After a search that found nothing, the next one's rows arrived from the worker into
    a laid-out table: its columns kept their titles' width, "2026-…", until the window
    was resized."""
    from qcstation.ui.pages.history import HistoryPage

    driver, _size = bench
    driver.sign_in("ines")
    driver.press(Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    page = driver.win.findChild(HistoryPage)
    assert page is not None and page.model.rowCount() > 0
    for text in ("no such piece", ""):  # nothing found, then everything again
        page.text.setText(text)
        page.search()
        driver.settle()
    assert page.model.rowCount() > 0
    table, header = page.table, page.table.horizontalHeader()
    fm = table.fontMetrics()
    for column in range(page.model.columnCount()):
        widest = max(
            fm.horizontalAdvance(str(page.model.index(r, column).data() or ""))
            for r in range(page.model.rowCount())
        )
        assert header.sectionSize(column) > widest, page.model.headerData(
            column, Qt.Orientation.Horizontal
        )
