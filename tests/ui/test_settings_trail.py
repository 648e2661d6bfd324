"""A save on the Settings page is the administrator's, in the audit trail, by keys: each
changed setting with its old and new value, and `audit verify` still passes (docs/security.md,
X1)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import select

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.services import audit
from qcstation.services import settings as settings_service
from qcstation.services.context import Station
from qcstation.store.models import AuditEntry
from qcstation.ui.pages.settings import SettingsPage

from .conftest import WAIT_MS

K = Qt.Key


def setting_entries(station: Station) -> list[tuple[str, str, Any, Any]]:
    with station.db.read() as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "event", AuditEntry.action == settings_service.EVENT)
            .order_by(AuditEntry.id)
        ).all()
        out = []
        for e in rows:
            detail = json.loads(e.new)
            out.append((e.actor, detail["setting"], detail["old"], detail["new"]))
        return out


def test_the_settings_page_save_is_in_the_trail_with_old_and_new_value(
    driver: Any, ui_station: Station
) -> None:
    assert setting_entries(ui_station) == []
    driver.sign_in("ada")
    driver.win.show_page(SettingsPage)
    page = driver.win.area.currentWidget()
    assert isinstance(page, SettingsPage)
    page.idle.setFocus()
    driver.press(K.Key_A, Qt.KeyboardModifier.ControlModifier)
    driver.type("12")
    page.certificate_stages[Stage.PACKAGING].setFocus()
    driver.press(K.Key_Space)  # final QC only
    driver.press(K.Key_S, Qt.KeyboardModifier.ControlModifier)
    driver.qtbot.waitUntil(lambda: page.status.text() == "Saved.")
    driver.settle()
    saved = config.load_settings(ui_station.location.data_dir)[0]
    assert saved.idle_lock_minutes == 12 and saved.certificate_stages == [Stage.FINAL_QC]
    assert setting_entries(ui_station) == [
        ("ada", "idle_lock_minutes", 5, 12),
        ("ada", "certificate_stages", ["final_qc", "packaging"], ["final_qc"]),
    ]
    assert audit.verify(ui_station).ok
    # Saved again unchanged: nothing new in the trail.
    driver.press(K.Key_S, Qt.KeyboardModifier.ControlModifier)
    driver.settle()
    assert len(setting_entries(ui_station)) == 2


def test_an_instrument_is_set_up_tested_and_saved_in_the_trail(
    driver: Any, ui_station: Station
) -> None:
    from ..instrument_device import device, mt_sics

    driver.sign_in("ada")
    driver.win.show_page(SettingsPage)
    page = driver.win.area.currentWidget()
    assert isinstance(page, SettingsPage)
    balance = page.instrument_settings.rows[0]
    with device(mt_sics(b"S S      12.345 g")) as dev:
        balance.port.setCurrentText(dev.port)
        balance.name.setText("Balance XS205")
        assert balance.protocol.currentData() == "mt-sics" and balance.baud.currentData() == 9600
        balance.test.click()
        driver.qtbot.waitUntil(lambda: balance.result.text().startswith("Read "), timeout=WAIT_MS)
        assert balance.result.text() == "Read 12.345 g ('S S      12.345 g')"
    balance.baud.setCurrentIndex(balance.baud.findData(19200))
    page.idle.setFocus()
    driver.press(K.Key_S, Qt.KeyboardModifier.ControlModifier)
    driver.qtbot.waitUntil(lambda: page.status.text() == "Saved.")
    driver.settle()
    saved = config.load_settings(ui_station.location.data_dir)[0]
    assert saved.instruments == [
        config.InstrumentSetting(
            name="Balance XS205", port=dev.port, protocol="mt-sics", baud=19200
        )
    ]
    new = [
        {
            "name": "Balance XS205",
            "port": dev.port,
            "protocol": "mt-sics",
            "baud": 19200,
            "timeout_s": 5.0,
        }
    ]
    assert setting_entries(ui_station) == [("ada", "instruments", [], new)]
    assert audit.verify(ui_station).ok
    # the checklist offers it from now on: the page reads the station's settings
    assert driver.ctx.settings.instruments == saved.instruments


def test_two_instruments_on_one_port_are_said_and_not_saved(
    driver: Any, ui_station: Station
) -> None:
    driver.sign_in("ada")
    driver.win.show_page(SettingsPage)
    page = driver.win.area.currentWidget()
    assert isinstance(page, SettingsPage)
    for row in page.instrument_settings.rows:
        row.port.setCurrentText("/dev/ttyUSB0")
    page.idle.setFocus()
    driver.press(K.Key_S, Qt.KeyboardModifier.ControlModifier)
    driver.settle()
    assert page.status.text() == ("Instruments: two instruments have the port '/dev/ttyUSB0'")
    assert config.load_settings(ui_station.location.data_dir)[0].instruments == []
    assert setting_entries(ui_station) == []
