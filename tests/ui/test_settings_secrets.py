"""A plant database password typed into the Settings page goes to the secret store, never to
settings.yaml; the field shows what was kept. With no store chosen on a computer without a
keyring, the page says what to do and keeps nothing. Typed by keys, in a German locale,
at 1280x800."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QLocale, Qt

from qcstation import config
from qcstation.store import secret_store

URL = "postgresql://qc_bench@plant-db.example/plant"
SECRET = "w4ter-Proof-gold"
TYPED = URL.replace("qc_bench@", f"qc_bench:{SECRET}@")


@pytest.fixture(autouse=True)
def german() -> Iterator[None]:
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(before)


def type_url_and_save(driver, text: str):  # type: ignore[no-untyped-def]
    driver.win.resize(1280, 800)
    driver.sign_in("ada")
    driver.win.go_page(5)
    driver.settle()
    page = driver.win.area.currentWidget()
    page.database_url.setFocus()
    page.database_url.selectAll()
    driver.type(text)
    driver.press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    driver.settle()
    return page


def files_holding(folder: Path, text: str) -> list[str]:
    return sorted(
        p.name for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()
    )


def test_a_typed_password_goes_to_the_store_and_the_field_shows_the_url_without_it(
    driver, ui_station
) -> None:  # type: ignore[no-untyped-def]
    page = type_url_and_save(driver, TYPED)
    data = ui_station.location.data_dir
    assert page.status.text().startswith("Saved. The database password is kept in this station")
    assert page.database_url.text() == "postgresql://qc_bench@plant-db.example/plant"
    saved, _ = config.load_settings(data)
    assert saved.database_url == page.database_url.text() == driver.ctx.settings.database_url
    assert files_holding(data, SECRET) == [secret_store.FILE_NAME]
    assert config.resolve(data).database_password == SECRET
    shot = data / "settings-page.png"
    driver.win.grab().save(str(shot))
    assert shot.stat().st_size > 0


def test_with_nowhere_to_keep_it_the_page_says_so_and_keeps_nothing(
    driver, ui_station, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(secret_store.ENV_SECRET_STORE, raising=False)
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        page = type_url_and_save(driver, TYPED)
    finally:
        keyring.set_keyring(before)
    data = ui_station.location.data_dir
    assert "qcstation secrets use file" in page.status.text()
    assert "never written to a file in plain text" in page.status.text()
    assert page.database_url.text() == TYPED  # what was typed stays, to be saved later
    assert files_holding(data, SECRET) == []
    assert config.load_settings(data)[0].database_url is None
