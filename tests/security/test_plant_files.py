"""Another user of the bench's computer reads nothing of the station: the data directory is
0700 and every file qcstation makes is 0600, whatever umask the process was started with;
what an older qcstation left world-readable is narrowed at the next start, and said."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from qcstation import cli, config
from qcstation.domain.users import User
from qcstation.services import accounts, backup, offline_copy, setup, upgrades
from qcstation.services.context import connect
from qcstation.store import anchors, private
from qcstation.store.database import sqlite_file

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
PASSWORD = "correct horse battery"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask most desktops start programs with: files 0644, folders 0755."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_every_file_a_station_makes_is_its_accounts_only(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "bench"
    loc = config.resolve(data)
    station = connect(loc)
    try:
        setup.init(station, "alice", PASSWORD)
        alice: User = accounts.login(station, "alice", PASSWORD)
        db = sqlite_file(loc.database_url)
        assert db is not None
        config.save_settings(data, loc.settings)
        out = backup.backup(station, alice, tmp_path / "out" / "plant.qcbackup").path
        copy = upgrades.backup_path(data, "0008")
        upgrades.copy_sqlite(db, copy)
        local = offline_copy.open_local(loc)
        local.close()
        wal = Path(f"{db}-wal")  # SQLite removes it when the last connection closes
        assert wal.exists() and mode(wal) == 0o600
    finally:
        station.close()
    assert mode(data) == 0o700
    made = [
        db,
        data / config.SETTINGS_FILE,
        data / anchors.FILE,
        data / offline_copy.OFFLINE_DB,
        copy,
        out,
    ]
    for path in made:
        assert path.exists(), path
        assert mode(path) == 0o600, f"{path.name} is {oct(mode(path))}"
    assert mode(copy.parent) == 0o700


def test_an_older_data_directory_is_narrowed_at_the_next_start(
    tmp_path: Path, loose_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / config.SETTINGS_FILE).write_text("station_name: bench-2\n")
    (data / "qcstation.db").write_bytes(b"")
    (data / "backups").mkdir()
    (data / "backups" / "qcstation-20260101-schema-0007.db").write_bytes(b"")
    for p in [data / config.SETTINGS_FILE, data / "qcstation.db"]:
        p.chmod(0o644)
    with caplog.at_level("WARNING", logger="qcstation.files"):
        config.resolve(data)
    assert "settings.yaml" in caplog.text and "qcstation.db" in caplog.text
    assert mode(data) == 0o700
    assert mode(data / config.SETTINGS_FILE) == 0o600
    assert mode(data / "qcstation.db") == 0o600
    assert mode(data / "backups") == 0o700
    assert mode(data / "backups" / "qcstation-20260101-schema-0007.db") == 0o600
    assert private.tighten(data) == []  # nothing left to narrow


def test_commands_run_with_a_private_umask(
    tmp_path: Path, loose_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a command creates without naming a mode (an exported file, a folder) is private
    too: the command line runs every command under umask 077, then gives the umask back."""
    data = tmp_path / "demo"
    assert cli.main(["demo-data", "--inspections", "2", "--data-dir", str(data)]) == 0
    monkeypatch.setenv("QCSTATION_PASSWORD", "sam-demo-pass")
    out = tmp_path / "pareto.csv"
    argv = ["dashboard", "export", "-o", str(out), "--user", "sam", "--data-dir", str(data)]
    assert cli.main(argv) == 0
    assert mode(out) == 0o600
    assert os.umask(0o022) == 0o022  # the caller's umask is given back


def test_private_helpers_narrow_what_exists(tmp_path: Path, loose_umask: None) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    f.chmod(0o644)
    private.create_file(f)
    assert mode(f) == 0o600 and f.read_text() == "x"  # content untouched
    with private.open_new(f) as fh:
        fh.write("y")
    assert mode(f) == 0o600 and f.read_text() == "y"
    d = tmp_path / "d"
    d.mkdir(mode=0o755)
    d.chmod(0o755)
    private.make_dir(d)
    assert mode(d) == 0o700
