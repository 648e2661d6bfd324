"""Each screen on its own: sign-in, lock, resume, measurements, review, templates, users,
settings, errors, translations."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

from qcstation import config, content
from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.stages import Stage
from qcstation.services import accounts, inspections, review
from qcstation.services.errors import InvalidInput
from qcstation.ui import i18n
from qcstation.ui.models import HistoryModel, TemplatesModel, UsersModel
from qcstation.ui.pages.users import NewUserDialog

from ..conftest import unavailable
from .conftest import WAIT_MS, Driver

K = Qt.Key


def test_wrong_password_says_so_and_keeps_the_login(driver) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines", "not-her-password")
    assert driver.ctx.user is None
    assert driver.win.top.currentWidget() is driver.win.login
    assert "wrong password" in driver.win.login.message.text()


def test_roles_decide_what_is_shown(driver) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("sam")
    names = [driver.win.nav.item(i).text() for i in range(driver.win.nav.count())]
    assert names == [
        "Inspect",
        "History",
        "Review",
        "Templates",
        "Nonconformance",
        "Corrective actions",
        "Dashboard",
        "Verify",
    ]
    driver.win.sign_out()
    driver.sign_in("ada")
    assert driver.win.nav.count() == 10


def test_idle_lock_hides_data_and_only_the_owner_or_a_supervisor_unlocks(driver, qtbot) -> None:  # type: ignore[no-untyped-def]
    win = driver.win
    driver.sign_in("ines")
    win.idle.setInterval(150)
    win.idle.start()
    qtbot.waitUntil(lambda: win.top.currentWidget() is win.lock_page, timeout=WAIT_MS)
    assert not win.workspace.isVisible()
    lock = win.lock_page
    lock.username.setText("ivan")
    lock.password.setText("ivan-demo-pass")
    lock.try_unlock()
    driver.settle()
    assert win.top.currentWidget() is lock and "Only ines or a supervisor" in lock.message.text()
    lock.username.setText("sam")
    lock.password.setText("sam-demo-pass")
    lock.try_unlock()
    driver.settle()
    assert win.top.currentWidget() is win.workspace
    assert driver.ctx.user is not None and driver.ctx.user.username == "ines"  # her bench still


def test_an_unfinished_inspection_reopens_where_it_stopped(driver, ui_station) -> None:  # type: ignore[no-untyped-def]
    ines = accounts.login(ui_station, "ines", "ines-demo-pass")
    ins = inspections.start(ui_station, ines, Stage.CASTING, "JT-9", "RG-1", "SN9")
    inspections.record_answer(ui_station, ines, ins.id, Answer("flask-number", value="F-1"))
    inspections.record_answer(ui_station, ines, ins.id, Answer("fill", outcome=Outcome.PASS))
    driver.sign_in("ines")  # as after a crash: sign in again
    page = driver.win.checklist
    assert driver.win.inspect.currentWidget() is page
    assert page.inspection is not None and page.inspection.id == ins.id
    assert page.steps[page.index][0].id == "porosity"  # the first unanswered item
    assert page.progress.value() == 2


def test_measurements_turn_green_or_red_as_typed(driver, ui_station) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    ines = driver.ctx.actor
    ins = inspections.start(ui_station, ines, Stage.CASTING, "JT-10", "RG-1", "SN10")
    driver.win.open_inspection(ins)
    page = driver.win.checklist
    page.go_to(next(i for i, s in enumerate(page.steps) if s[0].id == "weight-deviation"))
    field = page.editor.readings[0]
    field.setText("2.5")
    assert "within limits" in page.editor.mean_label.text()
    field.setText("4.1")
    assert "OUT OF LIMITS" in page.editor.mean_label.text()
    assert "limits -3.00 … 3.00 %" in page.editor.detail.text()


def test_photo_items_cannot_pass_without_an_image(driver, ui_station) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ines")
    ins = inspections.start(ui_station, driver.ctx.actor, Stage.FINAL_QC, "JT-11", "RG-1", "SN11")
    driver.win.open_inspection(ins)
    page = driver.win.checklist
    photo_step = next(i for i, s in enumerate(page.steps) if s[0].kind == "photo")
    page.go_to(photo_step)
    page.editor.give_pass()
    driver.settle()
    assert isinstance(driver.ctx.errors.shown[-1], InvalidInput)
    assert "needs a photo" in str(driver.ctx.errors.shown[-1])
    driver.win.capture()  # the capture key stores the camera's frame for this item
    driver.settle()
    page.editor.give_pass()
    driver.settle()
    item_id = page.steps[photo_step][0].id
    assert inspections.get(ui_station, ins.id).answers[(item_id, None)].outcome is Outcome.PASS


def test_review_queue_accepts_with_a_reason(driver, ui_station, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from qcstation.services import demo

    ivan = accounts.login(ui_station, "ivan", "ivan-demo-pass")
    import random

    rng = random.Random(3)
    # make inspections until one needs review (a minor failure)
    for _ in range(60):
        ins_id = demo.run_inspection(ui_station, ivan, Stage.POLISHING, rng)
        if inspections.get(ui_station, ins_id).verdict and review.queue(ui_station):
            break
    waiting = review.queue(ui_station)
    if not waiting:
        unavailable("the seeded demo produced no needs-review inspection")
    monkeypatch.setattr(
        QInputDialog, "getText", lambda *a, **k: ("within the customer's limit", True)
    )
    driver.sign_in("sam")
    driver.win.go_page(2)
    driver.settle()
    page = driver.win.area.currentWidget()
    assert page.model.rowCount() == len(waiting)
    driver.press(K.Key_A)
    assert len(review.queue(ui_station)) == len(waiting) - 1


def test_template_manager_imports_and_reports_problems(driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("sam")
    driver.win.go_page(3)
    driver.settle()
    page = driver.win.area.currentWidget()
    assert page.model.rowCount() == 8
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (content.templates_dir() / "casting.yaml").read_text().replace("kind: text", "kind: essay")
    )
    page.import_files([bad])
    driver.settle()
    assert (
        "Nothing was imported" in page.report.text()
        and "unknown item kind 'essay'" in page.report.text()
    )
    good = tmp_path / "casting3.yaml"
    good.write_text(
        (content.templates_dir() / "casting.yaml")
        .read_text()
        .replace("version: 2", "version: 3", 1)
    )
    page.import_files([good])
    driver.settle()
    assert "imported casting@3" in page.report.text()
    assert page.model.rowCount() == 9


def test_admin_adds_a_user(driver, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def fill(dialog: NewUserDialog) -> int:
        dialog.username.setText("olga")
        dialog.full_name.setText("Olga Oliveira")
        dialog.role.setCurrentIndex(dialog.role.findData("inspector"))
        dialog.password.setText("olga-password-1")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(NewUserDialog, "exec", fill)
    driver.sign_in("ada")
    driver.win.go_page(4)
    driver.settle()
    page = driver.win.area.currentWidget()
    page.add_user()
    driver.settle()
    assert "olga" in [u.username for u in page.model.rows]


def test_settings_are_saved_and_applied(driver, ui_station) -> None:  # type: ignore[no-untyped-def]
    driver.sign_in("ada")
    driver.win.go_page(5)
    page = driver.win.area.currentWidget()
    page.idle.setValue(9)
    page.theme.setCurrentIndex(page.theme.findData("dark"))
    page.save()
    driver.settle()
    saved, warnings = config.load_settings(ui_station.location.data_dir)
    assert (saved.idle_lock_minutes, saved.theme, warnings) == (9, "dark", [])
    assert driver.win.idle.interval() == 9 * 60_000


def test_known_errors_get_a_message_and_bugs_the_crash_dialog(driver, qtbot) -> None:  # type: ignore[no-untyped-def]
    errors = driver.ctx.errors
    errors.report(InvalidInput("the SKU is missing"))
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, QMessageBox) and w.objectName() == "problem-message" and w.isVisible()
            for w in driver.win.findChildren(QMessageBox)
        )
    )
    errors.report(ZeroDivisionError("a bug"))
    qtbot.waitUntil(
        lambda: any(
            w.objectName() == "crash-dialog" and w.isVisible()
            for w in driver.win.findChildren(QMessageBox)
        )
    )
    crash = next(
        w for w in driver.win.findChildren(QMessageBox) if w.objectName() == "crash-dialog"
    )
    assert "Your inspection is safe" in crash.text()
    assert "ZeroDivisionError" in crash.detailedText()


def test_pseudo_translation_lengthens_every_string() -> None:
    assert i18n.pseudo("Pass") == "[Pàšš ~~]"
    assert i18n.pseudo("Start inspection").startswith("[Štàŕt")


def test_pseudo_language_reaches_the_window(qtbot, ui_station, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from qcstation.ui.application import build_window

    monkeypatch.setenv("QCSTATION_LANGUAGE", "pseudo")
    win, ctx = build_window(ui_station, ui_station.location, None)
    qtbot.addWidget(win)
    try:
        assert win.login.submit.text().startswith("[Šîgñ")
    finally:
        app = win.translator.parent()  # type: ignore[attr-defined]
        app.removeTranslator(win.translator)  # type: ignore[attr-defined]
        win.close()
        ctx.tasks.wait()


@pytest.mark.parametrize("model_class", [TemplatesModel, UsersModel])
def test_table_models_pass_the_model_tester(qtmodeltester, model_class, ui_station) -> None:  # type: ignore[no-untyped-def]
    from qcstation.services import templates

    model = model_class()
    rows = (
        templates.list_templates(ui_station)
        if model_class is TemplatesModel
        else accounts.list_users(ui_station)
    )
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert model.rowCount() == len(rows)


def test_history_model_fetches_pages_lazily(qtmodeltester, ui_station) -> None:  # type: ignore[no-untyped-def]
    from qcstation.domain.summaries import SearchFilter
    from qcstation.services import demo

    ines = accounts.login(ui_station, "ines", "ines-demo-pass")
    import random

    rng = random.Random(5)
    for _ in range(7):
        demo.run_inspection(ui_station, ines, Stage.PACKAGING, rng)
    calls: list[SearchFilter] = []

    def fetch(f, deliver):  # type: ignore[no-untyped-def]
        calls.append(f)
        deliver(inspections.search(ui_station, f))

    model = HistoryModel(fetch)
    model.PAGE = 3
    model.search(SearchFilter())
    assert model.rowCount() == 3 and model.canFetchMore()
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 7 and len(calls) == 3
    assert calls[1].after == (model.rows[2].started_at, model.rows[2].id)
    assert len({r.id for r in model.rows}) == 7
    qtmodeltester.check(model)


def test_the_demo_sign_in_form_says_who_to_sign_in_as(driver: Driver) -> None:
    from qcstation.services import demo

    login = driver.win.login
    assert not login.demo_logins.isVisible()  # a real station shows no logins
    login.show_demo_logins(demo.logins())
    assert login.demo_logins.isVisible()
    assert "ines / ines-demo-pass (inspector)" in login.demo_logins.text()
    driver.sign_in("ines")  # and they work, by keys
    assert driver.ctx.user is not None and driver.ctx.user.username == "ines"
