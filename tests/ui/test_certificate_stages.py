"""An administrator chooses, by keys in Settings, which stages' inspections get certificates;
the service follows at once and says which stages it certifies (issue 13, item 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from qcstation import config
from qcstation.domain.signing import Meaning
from qcstation.domain.stages import Stage
from qcstation.services import accounts, documents, signing
from qcstation.services.context import Station
from qcstation.services.errors import Conflict
from qcstation.ui.pages.settings import SettingsPage

from ..services.conftest import finish
from .conftest import PASSWORDS


def test_settings_choose_the_certified_stages_and_the_certificate_follows(
    driver: Any, ui_station: Station, tmp_path: Path
) -> None:
    ines = accounts.login(ui_station, "ines", PASSWORDS["ines"])
    sam = accounts.login(ui_station, "sam", PASSWORDS["sam"])
    ins = finish(ui_station, ines, serial="SN-STAGES")
    signing.sign(ui_station, ines, ins, Meaning.PERFORMED, PASSWORDS["ines"])
    signing.sign(ui_station, sam, ins, Meaning.APPROVED, PASSWORDS["sam"])

    driver.sign_in("ada")
    driver.win.show_page(SettingsPage)
    page = driver.win.area.currentWidget()
    assert isinstance(page, SettingsPage)
    boxes = page.certificate_stages
    assert [s for s, b in boxes.items() if b.isChecked()] == [Stage.FINAL_QC, Stage.PACKAGING]
    for stage in (Stage.FINAL_QC, Stage.PACKAGING):  # untick both: refused, nothing saved
        boxes[stage].setFocus()
        driver.press(Qt.Key.Key_Space)
    driver.press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    driver.qtbot.waitUntil(lambda: page.status.text() != "")
    assert "at least one stage" in page.status.text()
    assert config.load_settings(ui_station.location.data_dir)[0].certificate_stages == [
        Stage.FINAL_QC,
        Stage.PACKAGING,
    ]
    boxes[Stage.PACKAGING].setFocus()
    driver.press(Qt.Key.Key_Space)  # packaging only
    page.status.clear()
    driver.press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    driver.qtbot.waitUntil(lambda: page.status.text() == "Saved.")
    driver.settle()
    saved = config.load_settings(ui_station.location.data_dir)[0]
    assert saved.certificate_stages == [Stage.PACKAGING]
    with pytest.raises(Conflict, match=r"issued for Packaging inspections .* not for Final QC"):
        documents.export_certificate(ui_station, sam, PASSWORDS["sam"], ins, tmp_path / "c.pdf")
    assert not (tmp_path / "c.pdf").exists()
