"""The checklist editor driven by keys, as a supervisor uses it: add an item, move it, see
the validator's own message for a bad limit (Save stays off), fix it, save a version with a
note, compare the versions side by side, activate the new one, and preview it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QLineEdit, QMessageBox, QWidget

from qcstation import content
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import SearchFilter
from qcstation.domain.template_drafts import load
from qcstation.domain.yaml_files import ContentError, load_template
from qcstation.services import inspections, template_editor, templates
from qcstation.ui import layout_check
from qcstation.ui.pages.template_editor import TemplateEditorDialog
from qcstation.ui.pages.template_preview import PreviewDialog
from qcstation.ui.pages.templates import TemplatesPage

from .conftest import WAIT_MS, Driver

K = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier


def open_editor(driver: Driver, template_key: str = "casting") -> TemplateEditorDialog:
    driver.sign_in("sam")
    driver.win.show_page(TemplatesPage)
    driver.settle()
    page = driver.win.area.currentWidget()
    assert isinstance(page, TemplatesPage)
    page.table.setFocus()
    driver.press(K.Key_Home)
    while page.model.row_at(page.table.currentIndex()).template_key != template_key:
        driver.press(K.Key_Down)
    driver.press(K.Key_E, CTRL)
    dialog = page.editor
    assert isinstance(dialog, TemplateEditorDialog)
    driver.qtbot.waitExposed(dialog)
    driver.qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT_MS)
    assert driver.focus() is dialog.tree
    return dialog


def retype(driver: Driver, field: QWidget, text: str) -> None:
    """Replace a field's text by keys, then wait for the check that follows a pause."""
    field.setFocus()
    driver.press(K.Key_A, CTRL)
    driver.type(text)
    dialog = field.window()
    assert isinstance(dialog, TemplateEditorDialog)
    assert dialog.pending and not dialog.save_button.isEnabled()
    driver.qtbot.waitUntil(lambda: not dialog.pending, timeout=WAIT_MS)


def test_edit_save_compare_and_activate_by_keys(driver: Driver, tmp_path: Path) -> None:
    station = driver.ctx.station
    V = load_template(content.templates_dir() / "casting.yaml").version  # shipped
    dialog = open_editor(driver)
    assert dialog.width() <= 1280 and dialog.height() <= 800  # fits a 1280x800 bench screen
    dialog.grab().save(str(tmp_path / "editor.png"))
    assert [str(p) for p in layout_check.problems(dialog)] == []
    # Add a measurement after the first item, then move it above it.
    dialog.kind.setFocus()
    driver.type("m")  # the kind list jumps to "measurement"
    assert dialog.kind.currentText() == "measurement"
    dialog.tree.setFocus()
    driver.press(K.Key_Insert)
    assert [i["id"] for i in dialog.draft.items(0)] == ["flask-number", "new-measurement-1"]
    assert dialog.current == (0, 1)
    driver.press(K.Key_Up, CTRL)
    assert [i["id"] for i in dialog.draft.items(0)] == ["new-measurement-1", "flask-number"]
    assert dialog.tree.currentItem().text(0).startswith("[measurement] new-measurement-1")
    # Enter goes to the item's fields; a limit below the lower one is what validate refuses.
    driver.press(K.Key_Return)
    assert driver.focus() is dialog.field_widgets["kind"]
    retype(driver, dialog.field_widgets["id"], "stub-height")
    retype(driver, dialog.field_widgets["upper"], "-5")
    driver.settle()
    draft_file = tmp_path / "draft.yaml"
    draft_file.write_text(
        dialog.draft.to_yaml().replace(f"version: {V}\n", f"version: {dialog.next_version}\n")
    )
    try:
        templates.validate_files([draft_file], templates.catalog_in_use(station))
        raise AssertionError("the draft should not validate")
    except ContentError as exc:
        said = [(p.field, p.message) for p in exc.problems]
    assert (
        "sections[0].items[0].upper",
        "lower tolerance 0.0 is above upper tolerance -5.0",
    ) in said
    for field, message in said:
        assert f"{field}: {message}" in dialog.report.text()
    note = dialog.note
    note.setFocus()
    driver.type("Sprue stub height checked after cut-off")
    assert not dialog.save_button.isEnabled() and not dialog.preview_button.isEnabled()
    driver.press(K.Key_S, CTRL)
    assert template_editor.versions(station, "casting")[-1].version == V  # nothing saved
    dialog.tree.setFocus()
    driver.press(K.Key_Down)
    driver.press(K.Key_F8)  # back to the field at fault
    assert dialog.current == (0, 0) and driver.focus() is dialog.field_widgets["upper"]
    # Fixed: the check passes, Save comes on, and Ctrl+S stores the next version with its note.
    retype(driver, dialog.field_widgets["upper"], "0.5")
    assert dialog.report.text() == f"casting@{V + 1} (draft): OK"
    assert dialog.save_button.isEnabled()
    # Ctrl+S straight after typing, before the pause's check: what was typed is checked
    # and saved with it.
    dialog.field_widgets["prompt"].setFocus()
    driver.press(K.Key_A, CTRL)
    driver.type("Sprue stub height")
    assert dialog.pending
    driver.press(K.Key_S, CTRL)
    driver.settle()
    saved = template_editor.versions(station, "casting")
    assert [(v.version, v.change_note, v.saved_by, v.active) for v in saved] == [
        (V, None, "ada", True),
        (V + 1, "Sprue stub height checked after cut-off", "sam", False),
    ]
    assert f"Saved as version {V + 1}" in dialog.report.text()
    assert f"saves as version {V + 2}" in dialog.heading.text()
    # Ctrl+D: the shipped version beside the new one, the new item field by field.
    driver.press(K.Key_D, CTRL)
    driver.settle()
    assert dialog.tabs.currentIndex() == 1
    assert "1 added, 0 removed, 0 changed, 0 moved" in dialog.diff_summary.text()
    table = dialog.diff_table
    rows = [
        tuple(table.item(r, c).text() for c in range(table.columnCount()))
        for r in range(table.rowCount())
    ]
    assert ("stub-height (added)", "upper", "", "0.5") in rows
    assert ("stub-height (added)", "prompt", "", "Sprue stub height") in rows
    assert table.horizontalHeaderItem(2).text() == f"Version {V}"
    dialog.grab().save(str(tmp_path / "diff.png"))
    assert [str(p) for p in layout_check.problems(dialog)] == []
    # Activate the new version: the last row of the versions, then Ctrl+Shift+A.
    dialog.versions.setFocus()
    driver.press(K.Key_End, CTRL)
    assert dialog.versions.currentRow() == 1
    driver.press(K.Key_A, CTRL | Qt.KeyboardModifier.ShiftModifier)
    driver.settle()
    _id, active = templates.active_template(station, Stage.CASTING)
    assert active.version == V + 1 and active.item("stub-height").prompt == "Sprue stub height"
    assert dialog.versions.item(1, 1).text() == "active"
    assert f"Version {V + 1} is now the active checklist" in dialog.report.text()


def test_preview_runs_the_checklist_and_stores_nothing(driver: Driver, tmp_path: Path) -> None:
    station = driver.ctx.station
    before = len(inspections.search(station, SearchFilter()))
    dialog = open_editor(driver)
    driver.press(K.Key_P, CTRL)
    preview = dialog.preview
    assert isinstance(preview, PreviewDialog)
    driver.qtbot.waitExposed(preview)
    driver.qtbot.waitUntil(lambda: QApplication.activeWindow() is preview, timeout=WAIT_MS)
    assert isinstance(driver.focus(), QLineEdit)  # the flask number, a text item
    driver.type("F-12")
    driver.press(K.Key_Return)
    assert preview.index == 1 and preview.outcomes[0] == "•"
    driver.press(K.Key_F)  # complete fill: fail
    assert preview.outcomes[1] == "✗"
    assert "asked for: defect, photo" in preview.said.text()
    preview.grab().save(str(tmp_path / "preview.png"))
    assert [str(p) for p in layout_check.problems(preview)] == []
    driver.press(K.Key_Escape)
    assert not preview.isVisible()
    assert len(inspections.search(station, SearchFilter())) == before


def test_kind_change_delete_and_unsaved_edits_by_keys(driver: Driver, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    dialog = open_editor(driver)
    driver.press(K.Key_Down)  # the first item of "Fill and surface"... after its section
    while dialog.current != (1, 0):
        driver.press(K.Key_Down)
    assert dialog.draft.item(1, 0)["id"] == "fill"
    driver.press(K.Key_Return)
    kind = driver.focus()
    assert kind is dialog.field_widgets["kind"]
    driver.type("c")  # choice
    driver.qtbot.waitUntil(lambda: "options" in dialog.field_widgets)
    assert driver.focus() is dialog.field_widgets["kind"]
    item = dialog.draft.item(1, 0)
    assert item["kind"] == "choice" and item["options"] == ["yes", "no"]
    assert item["on_fail"]["defects"] == ["CST-SHORT"]  # what both kinds have is kept
    photo = dialog.findChild(QCheckBox, "field-on_fail.require-photo")
    assert photo.isChecked()
    photo.setFocus()
    driver.press(K.Key_Space)  # no photo asked for on a fail any more
    assert dialog.draft.item(1, 0)["on_fail"]["require"] == ["defect"]
    driver.press(K.Key_Escape)
    assert driver.focus() is dialog.tree
    driver.press(K.Key_Delete)
    assert "fill" not in dialog.draft.ids() and dialog.current == (1, 0)
    assert dialog.dirty
    asked: list[str] = []
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard])

    def question(_parent, _title, text, *_args):  # type: ignore[no-untyped-def]
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(QMessageBox, "question", question)
    driver.press(K.Key_Escape)  # Cancel: the edits stay on screen
    assert dialog.isVisible() and "drop the edits" in asked[0]
    driver.press(K.Key_Escape)  # Discard
    assert not dialog.isVisible() and len(asked) == 2


def test_a_field_the_form_does_not_edit_is_shown_and_kept(driver: Driver) -> None:
    driver.sign_in("sam")
    source = """\
template: t
version: 1
stage: final_qc
name: T
sections:
  - title: Marks
    items:
      - id: huid
        kind: text
        prompt: HUID
        engraving_font: Gothic
      - id: weight
        kind: measurement
        prompt: Weight
        unit: g
        nominal: {from: spec.weight_g}
        upper: 5
"""
    dialog = TemplateEditorDialog(driver.ctx, "t", 1, source, None, [], driver.win)
    dialog.show()
    dialog.activateWindow()
    try:
        driver.qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT_MS)
        edit_unknown(driver, dialog)
    finally:
        dialog.kept = dialog.draft.data  # close without the question
        dialog.close()


def edit_unknown(driver: Driver, dialog: TemplateEditorDialog) -> None:
    assert "engraving_font: Gothic" in dialog.findChild(QLabel, "kept-fields").text()
    retype(driver, dialog.field_widgets["prompt"], "HUID as engraved")
    dialog.tree.setFocus()
    driver.press(K.Key_Down)
    assert dialog.current == (0, 1)
    nominal = dialog.findChild(QLabel, "field-nominal")
    assert nominal.text() == "{from: spec.weight_g} (kept as it is)"
    retype(driver, dialog.field_widgets["upper"], "6")
    saved = load(dialog.draft.to_yaml())["sections"][0]["items"]
    assert saved[0]["engraving_font"] == "Gothic" and saved[0]["prompt"] == "HUID as engraved"
    assert saved[1]["nominal"] == {"from": "spec.weight_g"} and saved[1]["upper"] == 6
    # The schema does not know the font: the validator says so, by field, and Save stays off.
    assert "sections[0].items[0].engraving_font: unknown field" in dialog.report.text()
    assert not dialog.save_button.isEnabled()
