"""The plant database password is never in a file anyone can read, nor silently in plain
text: it lives in the OS keyring or, chosen explicitly, in a file only the station's
account reads; an older settings.yaml that holds it gives it up at the next start.

The keyring path runs on a keyring backend of the test's own (an in-memory KeyringBackend,
set with keyring.set_keyring): this machine has none. The file path is the real file."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest
import yaml
from keyring.backends import fail
from sqlalchemy import select

from qcstation import cli, config
from qcstation.domain.users import User
from qcstation.services import settings as settings_service
from qcstation.services import station_secrets
from qcstation.services.context import Station, connect
from qcstation.store import secret_store
from qcstation.store.models import AuditEntry
from qcstation.store.secret_store import SecretStoreError

URL = "postgresql+psycopg://qc_bench@plant-db.example:5432/plant"
SECRET = "Tr0ub4dor&3-plant"
ESCAPED = SECRET.replace("&", "%26")  # as it stands in a URL
WITH_PASSWORD = URL.replace("qc_bench@", f"qc_bench:{ESCAPED}@")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that keeps what it is given in memory, as an OS keyring would keep it
    outside the data directory."""

    priority = -1  # never chosen by keyring itself: only where a test sets it

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.kept.pop((service, username), None)


@pytest.fixture
def os_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv(secret_store.ENV_SECRET_STORE, raising=False)
    before = keyring.get_keyring()
    kept = MemoryKeyring()
    keyring.set_keyring(kept)
    try:
        yield kept
    finally:
        keyring.set_keyring(before)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A headless computer: no OS keyring, and nothing chosen."""
    monkeypatch.delenv(secret_store.ENV_SECRET_STORE, raising=False)
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


def anywhere_in(folder: Path, text: str) -> list[Path]:
    """Every file under ``folder`` holding the password, as it is or as a URL spells it."""
    forms = {text.encode(), text.replace("&", "%26").encode()}
    return [p for p in folder.rglob("*") if p.is_file() and any(f in p.read_bytes() for f in forms)]


def old_settings(data: Path, url: str = WITH_PASSWORD) -> Path:
    data.mkdir(parents=True)
    path = data / config.SETTINGS_FILE
    path.write_text(yaml.safe_dump({"database_url": url, "station_name": "bench-3"}))
    path.chmod(0o644)  # as an older qcstation left it
    return path


def test_with_no_keyring_and_nothing_chosen_a_password_is_not_kept_anywhere(
    tmp_path: Path, no_keyring: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bench"
    argv = ["init", "--admin", "alice", "--data-dir", str(data), "--database-url", WITH_PASSWORD]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "this computer has no OS keyring" in err
    assert "qcstation secrets use file" in err and "never written to a file in plain text" in err
    assert anywhere_in(tmp_path, SECRET) == []
    assert not (data / config.SETTINGS_FILE).exists()


def test_an_older_settings_file_keeps_its_password_only_until_a_store_is_chosen(
    tmp_path: Path, no_keyring: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bench"
    settings_file = old_settings(data)
    loc = config.resolve(data)
    (warning,) = [w for w in loc.warnings if "plain text" in w]
    assert "qcstation secrets use file" in warning
    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600  # narrowed meanwhile
    assert loc.database_password == SECRET and SECRET not in loc.database_url

    assert cli.main(["secrets", "use", "file", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "secrets.json" in out and "moved the database password, out of settings.yaml" in out
    loc = config.resolve(data)
    assert anywhere_in(settings_file.parent, SECRET) == [data / secret_store.FILE_NAME]
    assert yaml.safe_load(settings_file.read_text())["database_url"] == URL
    assert loc.database_password == SECRET
    secrets_file = data / secret_store.FILE_NAME
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert anywhere_in(tmp_path, SECRET) == [secrets_file]
    again = config.resolve(data)
    assert not [w for w in again.warnings if "was moved" in w or "plain text" in w]
    assert again.database_password == SECRET


def test_the_os_keyring_holds_it_when_there_is_one(
    tmp_path: Path, os_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "bench"
    old_settings(data)
    with caplog.at_level("INFO", logger="qcstation.secrets"):
        loc = config.resolve(data)
    assert "OS keyring" in caplog.text  # the choice is logged
    assert [w for w in loc.warnings if "was moved" in w and "OS keyring" in w]
    assert anywhere_in(tmp_path, SECRET) == []  # in no file at all
    assert list(os_keyring.kept.values()) == [SECRET]
    ((service, name),) = os_keyring.kept
    assert (
        service == f"qcstation:{data}"
        and name == "database-password:qc_bench@plant-db.example:5432"
    )
    assert config.resolve(data).database_password == SECRET
    status = station_secrets.status(config.resolve(data))
    assert status.kind == "keyring" and "MemoryKeyring" in status.where
    assert status.kept == [name] and SECRET not in "\n".join(status.lines())


def test_moving_from_the_keyring_to_the_file_moves_what_is_kept(
    tmp_path: Path, os_keyring: MemoryKeyring
) -> None:
    data = tmp_path / "bench"
    old_settings(data)
    config.resolve(data)
    assert os_keyring.kept
    _settings, moved = station_secrets.use(config.resolve(data), "file")
    assert moved == ["database-password:qc_bench@plant-db.example:5432"]
    assert os_keyring.kept == {}
    assert config.resolve(data).database_password == SECRET
    kept = json.loads((data / secret_store.FILE_NAME).read_text())
    assert list(kept["secrets"].values()) == [SECRET]


def test_a_keyring_that_keeps_passwords_in_plain_text_is_not_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(secret_store.ENV_SECRET_STORE, raising=False)

    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"  # what keyrings.alt would install
    before = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        assert secret_store.choice(None).kind is None
        with pytest.raises(SecretStoreError, match="keeps secrets unprotected"):
            secret_store.choice("keyring")
    finally:
        keyring.set_keyring(before)


def test_a_password_typed_into_the_settings_page_goes_to_the_store(
    tmp_path: Path, station: Station, admin: User
) -> None:
    saved = settings_service.save(
        station, admin, station.location.settings.model_copy(update={"database_url": WITH_PASSWORD})
    )
    data = station.location.data_dir
    assert saved.database_url == URL
    # Not in the settings file, nor in the database and its audit trail (the URL without it).
    assert anywhere_in(tmp_path, SECRET) == [data / secret_store.FILE_NAME]
    assert config.resolve(data).database_password == SECRET
    with station.db.read() as s:
        [entry] = s.scalars(
            select(AuditEntry.new).where(AuditEntry.entity_id == "settings/database_url")
        )
    assert json.loads(entry)["new"] == URL and SECRET not in entry and ESCAPED not in entry


def test_the_typed_password_is_refused_when_nothing_can_keep_it(
    tmp_path: Path, station: Station, admin: User, no_keyring: None
) -> None:
    before = (station.location.data_dir / config.SETTINGS_FILE).exists()
    with pytest.raises(SecretStoreError, match="nothing is chosen"):
        settings_service.save(
            station,
            admin,
            station.location.settings.model_copy(update={"database_url": WITH_PASSWORD}),
        )
    assert anywhere_in(tmp_path, SECRET) == []
    assert (station.location.data_dir / config.SETTINGS_FILE).exists() == before


def test_the_stored_password_reaches_the_connection_and_no_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bench"
    data.mkdir()
    config.save_settings(data, config.Settings(database_url=URL))
    monkeypatch.setenv("QCSTATION_DATABASE_PASSWORD", SECRET)
    assert cli.main(["secrets", "set-db-password", "--data-dir", str(data)]) == 0
    assert "secrets.json" in capsys.readouterr().out
    loc = config.resolve(data)
    station = connect(loc)
    try:
        assert station.db.engine.url.password == SECRET
        assert SECRET not in repr(loc) and ESCAPED not in station.db.url
    finally:
        station.close()
    assert cli.main(["secrets", "status", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "readable by this account only" in out and "database-password:qc_bench@" in out
    assert SECRET not in out


def test_the_secrets_file_is_narrowed_back_if_someone_widens_it(tmp_path: Path) -> None:
    store = secret_store.FileStore(tmp_path)
    store.set("x", "y")
    os.chmod(store.path, 0o644)
    assert store.get("x") == "y"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_a_settings_change_outside_the_trail_is_logged_without_its_password(
    tmp_path: Path, os_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    """Set-up commands write settings.yaml with the OS account's power, outside the audit
    trail (docs/security.md X2): each change still leaves a log line with the old and new
    value and what wrote it, and never the password."""
    data = tmp_path / "bench"
    old_settings(data)
    with caplog.at_level("INFO", logger="qcstation.settings"):
        config.resolve(data)  # the start moves the password out of the file
        station_secrets.use(config.resolve(data), "file")
    lines = [r.getMessage() for r in caplog.records if r.name == "qcstation.settings"]
    moved = [line for line in lines if "database_url changed by the start" in line]
    assert len(moved) == 1 and "(password changed)" in moved[0]
    assert "qc_bench:(hidden)@plant-db.example" in moved[0]
    chose = [
        line for line in lines if "secret_store changed by `qcstation secrets use file`" in line
    ]
    assert len(chose) == 1 and "-> 'file'" in chose[0]
    assert all(SECRET not in line and ESCAPED not in line for line in lines)
