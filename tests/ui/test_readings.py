"""Readings at the bench, typed by keys: what the screen shows is what is stored.

Each step is checked three ways: the screen (field text, the line under it, the status
line, the item list's mark, "So far"), the database (services.inspections.get) and the
verdict the domain derives from what is stored. The stations run in a comma locale and a
point locale, with the computer's own locale set to German or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from qcstation import config
from qcstation.domain.inspections import Answer, Outcome, Verdict, evaluate
from qcstation.domain.stages import Stage
from qcstation.services import accounts, inspections, specs
from qcstation.services.context import Station
from qcstation.ui import i18n
from qcstation.ui.pages.checklist import ChecklistPage
from qcstation.ui.pages.defect_dialog import DefectDialog

K = Qt.Key
GERMAN = QLocale(QLocale.Language.German, QLocale.Country.Germany)
MARKS = {Outcome.PASS: "✓", Outcome.FAIL: "✗"}


@pytest.fixture
def bench_locale(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """(the station's language setting, the computer's locale), set before the window is
    built; Qt's default locale is put back afterwards."""
    language, system = getattr(request, "param", ("en", "C"))
    before = QLocale()
    monkeypatch.setenv("LANG", system)
    monkeypatch.setenv("LC_ALL", system)
    QLocale.setDefault(GERMAN if system.startswith("de") else QLocale.c())
    folder = tmp_path / "station"
    folder.mkdir(parents=True, exist_ok=True)
    settings, _ = config.load_settings(folder)
    config.save_settings(folder, settings.model_copy(update={"language": language}))
    yield language, system
    QLocale.setDefault(before)


@pytest.fixture
def ui_station(bench_locale: tuple[str, str], ui_station: Station) -> Station:
    """The demo station, with the language written to its settings first."""
    return ui_station


def checklist_at(driver, item_id: str) -> ChecklistPage:  # type: ignore[no-untyped-def]
    page = driver.win.checklist
    assert page.steps[page.index][0].id == item_id, page.steps[page.index][0].id
    return page


def row_of(page: ChecklistPage, item_id: str) -> int:
    return next(i for i, s in enumerate(page.steps) if s[0].id == item_id)


def assert_screen_is_the_record(
    driver,  # type: ignore[no-untyped-def]
    ins_id: str,
    item_id: str,
    readings: tuple[float, ...],
    outcome: Outcome,
) -> None:
    """The stored answer, its derived judgement and verdict, and what the page shows."""
    page: ChecklistPage = driver.win.checklist
    stored = inspections.get(driver.ctx.station, ins_id)
    answer = stored.answers[(item_id, None)]
    item = stored.template.item(item_id)
    assert answer.readings == readings
    assert evaluate(item, answer).outcome is outcome
    assert page.list.item(row_of(page, item_id)).text().startswith(MARKS[outcome])
    verdict = stored.current_verdict()
    assert page.verdict.text() == f"So far: {verdict.value.replace('_', ' ')}"


CASES = [
    # station language, computer's locale, typed weight, typed wall, shown weight, shown wall
    pytest.param(("de", "de_DE.UTF-8"), "1,5", "0,45", "1,50", "0,45", id="de-comma"),
    pytest.param(("de", "de_DE.UTF-8"), "1.5", "0.45", "1,50", "0,45", id="de-point"),
    pytest.param(("en", "C"), "1,5", "0,45", "1.50", "0.45", id="en-comma"),
    pytest.param(("en", "C"), "1.5", "0.45", "1.50", "0.45", id="en-point"),
    pytest.param(("en", "de_DE.UTF-8"), "1,5", "0,45", "1.50", "0.45", id="en-on-german-pc"),
    pytest.param(("en_DE", "C"), "1.5", "0,45", "1,50", "0,45", id="en_DE-mixed"),
]


@pytest.mark.parametrize(
    ("bench_locale", "weight", "wall", "weight_shown", "wall_shown"),
    CASES,
    indirect=["bench_locale"],
)
def test_a_reading_typed_with_comma_or_point_is_stored_and_judged_as_shown(  # type: ignore[no-untyped-def]
    driver, bench_locale, weight: str, wall: str, weight_shown: str, wall_shown: str
) -> None:
    """Issue 13.1: "0,45" on the thinnest wall (limit >= 0.60 mm) was stored as 45 and
    passed; "1,5" on a ±3 % weight deviation was stored as 15, failed, and showed 1.5e+01."""
    d, win = driver, driver.win
    d.sign_in("ines")
    language, _system = bench_locale
    sep = "," if language != "en" else "."
    assert i18n.decimal_separator() == sep  # the station decides, not the computer
    ins = inspections.start(d.ctx.station, d.ctx.actor, Stage.CASTING, "JT-13", "RG-1", "SN13")
    win.open_inspection(ins)
    d.settle()
    d.type("F-13")
    d.press(K.Key_Return)
    for _ in range(
        9
    ):  # fill, porosity, shrinkage, cracks, distortion, inclusions, sprue, surface, flash
        d.press(K.Key_P)

    # weight deviation, ±3 %: the preview says what Enter will store
    page = checklist_at(d, "weight-deviation")
    field = page.editor.readings[0]
    assert d.focus() is field
    d.type(weight)
    assert page.editor.mean_label.text() == f"{weight_shown} % — within limits"
    assert page.editor.problem is not None and page.editor.problem.text() == ""
    d.press(K.Key_Return)
    assert_screen_is_the_record(d, ins.id, "weight-deviation", (1.5,), Outcome.PASS)

    # thinnest wall, >= 0.60 mm: a thin casting is a FAIL, never a pass
    page = checklist_at(d, "min-wall")
    d.type(wall)
    assert page.editor.mean_label.text() == f"{wall_shown} mm — OUT OF LIMITS"
    d.press(K.Key_Return)
    assert page.editor.readings[0].text() == wall_shown  # rewritten as it is stored
    assert_screen_is_the_record(d, ins.id, "min-wall", (0.45,), Outcome.FAIL)
    assert page.verdict.text() == "So far: fail"
    dialog = win.findChild(DefectDialog)  # a thin wall asks for its defect
    assert dialog is not None and dialog.current() is not None
    assert dialog.current().code == "CST-THIN"
    d.press(K.Key_Return)
    d.qtbot.waitUntil(lambda: win.findChild(DefectDialog) is None)
    assert win.inspect.currentWidget() is win.summary  # everything answered

    # back on the checklist, each reading shows as it is stored, in the station's locale
    d.press(K.Key_Escape)
    assert win.inspect.currentWidget() is page
    assert page.steps[page.index][0].id == "min-wall"
    d.press(K.Key_PageUp)
    assert page.steps[page.index][0].id == "weight-deviation"
    assert page.editor.readings[0].text() == weight_shown
    assert page.editor.status.text() == f"Recorded: {weight_shown} %"
    assert page.editor.mean_label.text() == f"{weight_shown} % — within limits"
    d.press(K.Key_PageDown)
    assert page.steps[page.index][0].id == "min-wall"
    assert page.editor.readings[0].text() == wall_shown
    assert page.editor.status.text() == f"Recorded: {wall_shown} mm"
    assert f"limits ≥ 0{sep}60 mm" in page.editor.detail.text()
    assert_screen_is_the_record(d, ins.id, "min-wall", (0.45,), Outcome.FAIL)

    # completed, the verdict is the one every step showed
    d.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)  # the summary
    d.press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)  # complete
    assert win.summary.done is not None and win.summary.done.verdict is Verdict.FAIL
    assert inspections.get(d.ctx.station, ins.id).verdict is Verdict.FAIL


def answered_up_to_the_wall(station: Station) -> str:
    """A casting inspection with everything but the thinnest wall answered."""
    ines = accounts.login(station, "ines", "ines-demo-pass")
    ins = inspections.start(station, ines, Stage.CASTING, "JT-75", "RG-1", "SN75")
    inspections.record_answer(station, ines, ins.id, Answer("flask-number", value="F-75"))
    for item in (
        "fill",
        "porosity",
        "shrinkage",
        "cracks",
        "distortion",
        "investment-inclusions",
        "sprue-stub",
        "surface",
        "flash",
    ):
        inspections.record_answer(station, ines, ins.id, Answer(item, outcome=Outcome.PASS))
    inspections.record_answer(station, ines, ins.id, Answer("weight-deviation", readings=(0.4,)))
    return ins.id


def open_box(driver) -> QMessageBox | None:  # type: ignore[no-untyped-def]
    boxes = [
        b
        for b in driver.win.findChildren(QMessageBox)
        if b.objectName() == "implausible-reading" and b.isVisible()
    ]
    return boxes[0] if boxes else None


def test_a_reading_75_times_the_limit_is_stored_only_once_confirmed(driver, ui_station) -> None:  # type: ignore[no-untyped-def]
    ins_id = answered_up_to_the_wall(ui_station)
    d = driver
    d.sign_in("ines")  # the unfinished inspection reopens at the wall
    page = checklist_at(d, "min-wall")
    d.type("45")  # 0,45 with the separator lost
    assert "45.00 mm is far outside what this item measures" in page.editor.problem.text()
    d.press(K.Key_Return)
    box = open_box(d)
    assert box is not None, "no question asked about 75 times the limit"
    assert box.text() == "45.00 mm is far outside what this item measures (limits ≥ 0.60 mm)."
    assert "Enter keeps 45.00 mm; Esc goes back" in box.informativeText()
    assert ("min-wall", None) not in inspections.get(ui_station, ins_id).answers

    # Esc: back to the field, the text selected to type over; nothing stored
    d.press(K.Key_Escape)
    d.qtbot.waitUntil(lambda: open_box(d) is None)
    field = page.editor.readings[0]
    assert d.focus() is field and field.selectedText() == field.text() == "45.00"
    assert ("min-wall", None) not in inspections.get(ui_station, ins_id).answers
    assert not page.list.item(row_of(page, "min-wall")).text().startswith(("✓", "✗"))

    # Enter again, and Enter on the question: kept as typed, judged, shown
    d.press(K.Key_Return)
    assert open_box(d) is not None
    d.press(K.Key_Return)
    d.qtbot.waitUntil(lambda: open_box(d) is None)
    d.settle()
    assert_screen_is_the_record(d, ins_id, "min-wall", (45.0,), Outcome.PASS)


def test_a_typed_reading_that_could_be_two_numbers_is_refused_by_name(driver, ui_station) -> None:  # type: ignore[no-untyped-def]
    """A thousands separator is never guessed; other slips say what to type; nothing is
    stored and the typed text stays to be corrected."""
    ins_id = answered_up_to_the_wall(ui_station)
    d = driver
    d.sign_in("ines")
    page = checklist_at(d, "min-wall")
    field = page.editor.readings[0]
    problem = page.editor.problem
    assert problem is not None
    for typed, says in (
        (
            "1,234",
            "“1,234” could be a decimal or a thousands separator: type 1.234 for the decimal, "
            "or 1234 for the whole number.",
        ),
        ("1e3", "“1e3” is in exponent notation: type the number in full, 1000."),
        ("0 45", "“0 45” has a space in it: type 045."),
        ("nan", "“nan” is not a number: type digits, with . for decimals."),
        ("0,4,5", "“0,4,5” has more than one separator"),
        ("", "Type a reading."),
    ):
        field.selectAll()
        d.type(typed) if typed else field.clear()
        d.press(K.Key_Return)
        assert problem.text().startswith(says), problem.text()
        assert page.editor.mean_label.text() == ""  # no verdict shown for what is not a number
        assert d.focus() is field and field.text() == typed and field.selectedText() == typed
        assert open_box(d) is None
        assert ("min-wall", None) not in inspections.get(ui_station, ins_id).answers
    d.type("0,62")  # typed over the selection: the slip is gone, the reading goes in
    assert problem.text() == ""
    d.press(K.Key_Return)
    assert_screen_is_the_record(d, ins_id, "min-wall", (0.62,), Outcome.PASS)


def test_a_mean_of_readings_is_shown_on_the_side_of_the_limit_it_is_on(driver, ui_station) -> None:  # type: ignore[no-untyped-def]
    """Rhodium, three readings within 0.10-0.50 µm (two decimals): a mean of 0.5003 is
    not shown as "0.50" beside OUT OF LIMITS; Enter in one field moves to the next empty one."""
    d = driver
    d.sign_in("ines")
    ins = inspections.start(ui_station, d.ctx.actor, Stage.PLATING, "JT-RS", "RG-1", "SN-RS")
    d.win.open_inspection(ins)
    page = d.win.checklist
    page.go_to(row_of(page, "rhodium-thickness"))
    editor = page.editor
    assert len(editor.readings) == 3
    editor.focus_entry()
    d.type("0,5")
    d.press(K.Key_Return)
    assert d.focus() is editor.readings[1]  # the next one to fill
    d.type("0,5")
    d.press(K.Key_Return)
    d.type("0,501")
    assert editor.mean_label.text() == "Mean 0.5003 µm — OUT OF LIMITS"
    d.press(K.Key_Return)
    stored = inspections.get(ui_station, ins.id).answers[("rhodium-thickness", None)]
    assert stored.readings == (0.5, 0.5, 0.501)
    assert [f.text() for f in editor.readings] == ["0.50", "0.50", "0.501"]
    item = inspections.get(ui_station, ins.id).template.item("rhodium-thickness")
    assert evaluate(item, stored).outcome is Outcome.FAIL


SPEC_CASES = [
    pytest.param(("de", "de_DE.UTF-8"), "5,312", "5,312", ",", id="de-comma"),
    pytest.param(("en_DE", "C"), "5,349", "5,349", ",", id="en_DE-comma"),
    pytest.param(("en", "C"), "5.36", "5.360", ".", id="en-point-over"),
]


@pytest.mark.parametrize(
    ("bench_locale", "typed", "shown", "sep"), SPEC_CASES, indirect=["bench_locale"]
)
def test_a_weight_judged_against_the_skus_specification_by_keys(  # type: ignore[no-untyped-def]
    driver, ui_station, bench_locale, typed: str, shown: str, sep: str, tmp_path
) -> None:
    """Gross weight against SKU RG-1's specification (5.200 g −0.100/+0.150, a 0.001 g
    balance): the limits on screen are the specification's, named with its revision;
    what is typed is what is stored and judged; a later revision changes none of it."""
    sam = accounts.login(ui_station, "sam", "sam-demo-pass")
    erp = tmp_path / "erp.csv"
    header = "sku,product_type,weight_g,weight_tol_minus_g,weight_tol_plus_g,weight_resolution_g"
    erp.write_text(f"{header}\nRG-1,ring,5.2,0.1,0.15,0.001\n")
    specs.import_file(ui_station, sam, erp)
    d = driver
    d.sign_in("ines")
    ins = inspections.start(ui_station, d.ctx.actor, Stage.FINAL_QC, "JT-W", "RG-1", "SN-W")
    d.win.open_inspection(ins)
    page = d.win.checklist
    page.go_to(row_of(page, "weight-to-spec"))
    detail = page.editor.detail.text()
    assert f"nominal 5{sep}200 g, limits 5{sep}100 … 5{sep}350 g" in detail
    assert "(from SKU RG-1 spec, rev 1)" in detail
    page.editor.focus_entry()
    d.type(typed)
    passed = float(shown.replace(",", ".")) <= 5.35
    judged = "within limits" if passed else "OUT OF LIMITS"
    assert page.editor.mean_label.text() == f"{shown} g — {judged}"
    d.press(K.Key_Return)
    outcome = Outcome.PASS if passed else Outcome.FAIL
    value = float(shown.replace(",", "."))
    assert_screen_is_the_record(d, ins.id, "weight-to-spec", (value,), outcome)
    page.go_to(row_of(page, "weight-to-spec"))
    assert page.editor.readings[0].text() == shown

    # the specification is tightened (5.200 +0.050 g): this inspection keeps revision 1
    erp.write_text(f"{header}\nRG-1,ring,5.2,0.1,0.05,0.001\n")
    specs.import_file(ui_station, sam, erp)
    d.win.open_inspection(inspections.get(ui_station, ins.id))
    page.go_to(row_of(page, "weight-to-spec"))
    assert "(from SKU RG-1 spec, rev 1)" in page.editor.detail.text()
    assert_screen_is_the_record(d, ins.id, "weight-to-spec", (value,), outcome)


def test_an_item_without_its_specification_says_so_and_takes_na(driver, ui_station) -> None:  # type: ignore[no-untyped-def]
    """A SKU with no specification: the weight item names the missing specification (it
    once crashed the window working out how far a reading might plausibly lie) and N
    records it not applicable."""
    d = driver
    d.sign_in("ines")
    ins = inspections.start(ui_station, d.ctx.actor, Stage.FINAL_QC, "JT-N", "RG-NONE", "SN-N")
    d.win.open_inspection(ins)
    page = d.win.checklist
    page.go_to(row_of(page, "weight-to-spec"))
    assert page.editor.detail.text() == (
        "no specification for SKU RG-NONE — answer N/A if it does not apply"
    )
    na = next(b for b in page.editor.findChildren(QPushButton) if b.text().startswith("Not app"))
    d.qtbot.mouseClick(na, Qt.MouseButton.LeftButton)
    d.settle()
    stored = inspections.get(ui_station, ins.id).answers[("weight-to-spec", None)]
    assert stored.outcome is Outcome.NA


def test_no_reading_is_shown_in_exponent_notation(driver, ui_station, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """15.0 % once showed as 1.5e+01; 0.00001 mm as 1e-05 (and as 0.00 in the report)."""
    from qcstation.ui.pages.inspection_view import InspectionDialog

    ines = accounts.login(ui_station, "ines", "ines-demo-pass")
    ins = inspections.start(ui_station, ines, Stage.CASTING, "JT-E", "RG-1", "SN-E")
    inspections.record_answer(
        ui_station, ines, ins.id, Answer("weight-deviation", readings=(15.0,))
    )
    inspections.record_answer(ui_station, ines, ins.id, Answer("min-wall", readings=(1e-05,)))
    d = driver
    d.sign_in("ines")
    page = d.win.checklist
    page.go_to(row_of(page, "weight-deviation"))
    assert page.editor.readings[0].text() == "15.00"
    assert page.editor.status.text() == "Recorded: 15.00 % — defect still to log (D)"
    page.go_to(row_of(page, "min-wall"))
    assert page.editor.readings[0].text() == "0.00001"
    assert page.editor.status.text() == "Recorded: 0.00001 mm — defect still to log (D)"
    assert page.editor.mean_label.text() == "0.00001 mm — OUT OF LIMITS"

    dialog = InspectionDialog(d.ctx, ins.id, d.win)
    d.qtbot.addWidget(dialog)
    d.settle()
    values = [
        dialog.answers.item(r, 2).text()
        for r in range(dialog.answers.rowCount())
        if dialog.answers.item(r, 2) is not None
    ]
    assert "15.00 %" in values and "0.00001 mm" in values
    assert not [v for v in values if "e+" in v.lower() or "e-" in v.lower()]
    dialog.close()


def test_the_language_setting_decides_the_number_locale() -> None:
    before = QLocale()
    try:
        assert i18n.number_locale("en").decimalPoint() == "."
        assert i18n.number_locale("en_DE").decimalPoint() == ","
        assert i18n.number_locale("de").decimalPoint() == ","
        assert i18n.number_locale("pseudo").decimalPoint() == "."
        assert i18n.number_locale("xx").decimalPoint() == "."
        app = QApplication.instance()
        assert app is not None
        QLocale.setDefault(GERMAN)  # the computer's locale
        assert i18n.install(app, "en") is None
        assert i18n.decimal_separator() == "."
        assert i18n.install(app, "en_DE") is None  # English words, German numbers
        assert i18n.decimal_separator() == ","
        assert "en_DE" in i18n.available()
    finally:
        QLocale.setDefault(before)


def test_settings_keep_a_locale_set_in_the_settings_file(driver, ui_station) -> None:  # type: ignore[no-untyped-def]
    d = driver
    d.sign_in("ada")
    d.ctx.settings = d.ctx.settings.model_copy(update={"language": "de_CH"})
    d.win.go_page(5)
    page = d.win.area.currentWidget()
    page.load(d.ctx.settings)
    assert page.language.currentData() == "de_CH"
    assert page.collected().language == "de_CH"  # saving other settings does not drop it
