"""The window says so when the audit trail was cut short or put back, and the Verify page
checks the whole trail by key while the bench goes on saving."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.stages import Stage
from qcstation.services import accounts, inspections
from qcstation.services.context import Station
from qcstation.ui.pages.verify import VerifyPage

from ..tampering import as_owner, cut_after
from .conftest import WAIT_MS, Driver


def _reads_done(d: Driver) -> None:
    reads = d.ctx.work
    assert reads is not None
    d.qtbot.waitUntil(lambda: reads.pending == 0, timeout=WAIT_MS)
    d.qtbot.wait(30)


def test_a_trail_cut_short_is_shown_at_the_next_sign_in(
    driver: Driver, ui_station: Station
) -> None:
    d = driver
    ines = accounts.login(ui_station, "ines", "ines-demo-pass")
    ins = inspections.start(ui_station, ines, Stage.CASTING, "JT-A", "RG-1", "SN-A")
    inspections.record_answer(ui_station, ines, ins.id, Answer("fill", outcome=Outcome.PASS))
    d.sign_in("ines")
    _reads_done(d)
    assert not d.win.audit_alert.isVisible()
    d.win.sign_out()
    # Behind the app's back: the last entries and what they made, gone; the head moved back.
    with as_owner(ui_station.db.engine) as conn:
        last = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        conn.execute(text("DELETE FROM answers"))
        cut_after(conn, last - 2)
    d.sign_in("ines")
    _reads_done(d)
    alert = d.win.audit_alert
    assert alert.isVisible()
    assert "chain ends at its entry #" in alert.text()
    assert f"but this station saw entry #{last}" in alert.text()
    assert "Do not issue reports or certificates" in alert.text()


def test_the_whole_trail_is_checked_by_key_on_the_verify_page(
    driver: Driver, ui_station: Station
) -> None:
    d = driver
    d.sign_in("sam")
    d.win.show_page(VerifyPage)
    page = d.win.area.currentWidget()
    assert isinstance(page, VerifyPage)
    page.setFocus()
    d.qtbot.keyClick(page, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    _reads_done(d)
    assert page.verdict.text() == "AUDIT TRAIL INTACT"
    assert "signatures" in page.subject.text()
    assert not d.win.audit_alert.isVisible()
    # A row changed behind the app's back: the check names it, and the window shows it.
    with as_owner(ui_station.db.engine) as conn:
        conn.execute(text("UPDATE users SET role = 'admin' WHERE username = 'ines'"))
    d.qtbot.keyClick(page, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    _reads_done(d)
    assert page.verdict.text() == "THE AUDIT TRAIL SHOWS PROBLEMS"
    shown = [page.lines.item(i).text() for i in range(page.lines.count())]
    assert any("users" in line and "role is 'admin'" in line for line in shown), shown
    assert d.win.audit_alert.isVisible()


def test_the_trail_check_shows_progress_and_cancel_stops_it_writing_nothing(
    driver: Driver, ui_station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qcstation.services import audit
    from qcstation.store import audit_verify

    d = driver
    d.sign_in("sam")
    _reads_done(d)
    held, counted = threading.Event(), audit_verify._steps

    def steps_after_the_cancel(s: Any) -> int:  # the check is held at its start
        assert held.wait(30)
        return counted(s)

    monkeypatch.setattr(audit_verify, "_steps", steps_after_the_cancel)
    anchor = audit.anchor_path(ui_station)
    written = anchor.stat().st_mtime_ns
    d.win.show_page(VerifyPage)
    page = d.win.area.currentWidget()
    assert isinstance(page, VerifyPage)
    page.setFocus()
    d.qtbot.keyClick(page, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    d.qtbot.waitUntil(d.win.busy.isVisible, timeout=WAIT_MS)
    assert "Checking the audit trail" in d.win.busy.label.text()
    assert not page.trail_button.isEnabled()
    d.qtbot.mouseClick(d.win.busy.cancel_button, Qt.MouseButton.LeftButton)
    held.set()
    _reads_done(d)
    assert page.verdict.text() == "Check of the audit trail cancelled"
    assert page.trail_button.isEnabled()
    assert d.ctx.errors.shown == []  # a cancel is not a problem
    assert anchor.stat().st_mtime_ns == written  # the anchor learnt nothing from it
    # And the next check runs to its end with the bar counting every entry and row.
    monkeypatch.setattr(audit_verify, "_steps", counted)
    monkeypatch.setattr(audit_verify, "PROGRESS_EVERY", 5)
    bars: list[int] = []
    d.win.busy.bar.valueChanged.connect(bars.append)
    page.setFocus()  # the click on Cancel took it to the top bar
    d.qtbot.keyClick(page, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    _reads_done(d)
    assert page.verdict.text() == "AUDIT TRAIL INTACT"
    assert bars, "the bar never moved"
