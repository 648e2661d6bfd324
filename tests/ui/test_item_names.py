"""People see items by the names they read on the checklist, never by internal ids
("min-wall", "prong #2"): summary, messages, nonconformance, the inspection view."""

from __future__ import annotations

import re

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLabel, QLineEdit, QWidget

from qcstation.domain.defects import Disposition, Severity
from qcstation.domain.inspections import Answer, Outcome, positions_of
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import accounts, inspections
from qcstation.services.context import Station
from qcstation.services.demo_answers import passing_answer
from qcstation.services.inspections import Incomplete
from qcstation.ui.pages.inspection_view import InspectionDialog
from qcstation.ui.pages.nonconformance import NonconformancePage

from .conftest import Driver

PRONG_2 = "Prong 2: Prong intact and even in shape, tip rounded"


def shown_text(root: QWidget) -> str:
    """Every text a person can read in root now: labels, buttons, fields, lists, tables."""
    parts: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible():
            continue
        if isinstance(w, (QLabel, QAbstractButton, QLineEdit)):
            parts.append(w.text())
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            m = w.model()
            try:
                columns = m.columnCount(QModelIndex())
            except TypeError:  # a list's model keeps its one column private
                columns = 1
            for r in range(m.rowCount()):
                for c in range(columns):
                    parts.append(str(m.index(r, c).data(Qt.ItemDataRole.DisplayRole) or ""))
    return "\n".join(parts)


def ids_in(text: str, station: Station, inspection_id: str) -> list[str]:
    """The checklist's item ids that show in text (ids with a hyphen are never words)."""
    tpl = inspections.get(station, inspection_id).template
    ids = [i.id for i in tpl.items() if "-" in i.id] + ["prong #"]
    return [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]


def failed_setting(station: Station, ines: User, with_defect: bool) -> str:
    """A stone setting answered all-pass but prong 2, which failed (with its defect)."""
    ins = inspections.start(station, ines, Stage.STONE_SETTING, "JT-NAMES", "RG-SOL-0412", "SN-N1")
    for item in ins.template.items():
        for pos in positions_of(item, ins.position_counts):
            answer = passing_answer(item, pos)
            if (item.id, pos) == ("prong", 2):
                photo = encode_png(render_piece(2, 64, 48))
                inspections.attach_evidence(station, ines, ins.id, photo, "image/png", "prong", 2)
                answer = Answer("prong", 2, Outcome.FAIL, note="bent tip")
            inspections.record_answer(station, ines, ins.id, answer)
    if with_defect:
        inspections.raise_defect(
            station, ines, ins.id, "SET-PRONG", "prong", 2, Severity.MAJOR,
            Disposition.PENDING, "tip bent inward",
        )  # fmt: skip
    return ins.id


def test_summary_and_messages_name_items(driver: Driver, ui_station: Station) -> None:
    driver.sign_in("ines")
    ines = driver.ctx.actor
    ins_id = failed_setting(ui_station, ines, with_defect=False)
    try:
        inspections.complete(ui_station, ines, ins_id)
    except Incomplete as exc:
        message = str(exc)
    assert f"{PRONG_2} — failed: log a defect" in message
    assert ids_in(message, ui_station, ins_id) == []
    inspections.raise_defect(
        ui_station, ines, ins_id, "SET-PRONG", "prong", 2, Severity.MAJOR, Disposition.PENDING,
        "tip bent inward",
    )  # fmt: skip
    win = driver.win
    win.resume(ins_id)
    driver.settle()
    win.show_summary(win.checklist.inspection)
    driver.settle()
    text = shown_text(win.summary)
    assert f"SET-PRONG (major, pending) — {PRONG_2}: tip bent inward" in text
    assert ids_in(text, ui_station, ins_id) == []


def test_a_refused_answer_names_the_item(driver: Driver, ui_station: Station) -> None:
    driver.sign_in("ines")
    ins = inspections.start(ui_station, driver.ctx.actor, Stage.FINAL_QC, "JT-N2", "RG-1", "SN-N2")
    driver.win.open_inspection(ins)
    page = driver.win.checklist
    page.go_to(next(i for i, s in enumerate(page.steps) if s[0].id == "finished-photo"))
    driver.press(Qt.Key.Key_P)  # no photo yet: refused, with the reason
    said = str(driver.ctx.errors.shown[-1])
    assert "“Photo of the finished piece, front view” needs a photo" in said
    assert "finished-photo" not in said


def test_nonconformance_and_the_inspection_view_name_items(
    driver: Driver, ui_station: Station
) -> None:
    ines = accounts.login(ui_station, "ines", "ines-demo-pass")
    ins_id = failed_setting(ui_station, ines, with_defect=True)
    inspections.complete(ui_station, ines, ins_id)
    driver.sign_in("sam")
    win = driver.win
    win.show_page(NonconformancePage)
    driver.settle()
    page = win.findChild(NonconformancePage)
    assert page is not None
    text = shown_text(page)
    assert PRONG_2 in text  # the Where column and the detail below the table
    assert "Checklist item: " + PRONG_2 in page.detail.text()
    assert ids_in(text, ui_station, ins_id) == []
    view = InspectionDialog(driver.ctx, ins_id, win)
    driver.qtbot.addWidget(view)
    view.show()
    driver.settle()
    text = shown_text(view)
    assert PRONG_2 in text
    assert ids_in(text, ui_station, ins_id) == []
    view.close()
