"""Backup and restore: byte-for-byte, verified before anything is written, over data only
by an administrator of it (the attacks are in tests/security/test_backups.py)."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qcstation import cli, config
from qcstation.domain.users import User
from qcstation.services import audit, backup, backup_verify, inspections, restore
from qcstation.services.backup_archive import BackupError
from qcstation.services.context import Station, open_station
from qcstation.services.errors import Conflict, PermissionDenied
from qcstation.services.restore_authority import Credentials
from qcstation.store.database import sqlite_file

from ..conftest import postgres_url
from .conftest import finish

# The PostgreSQL round trip has its own test (a whole database each, not a schema).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dump_sqlite(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def evidence_hashes(root: Path) -> dict[str, str]:
    return {p.name: sha(p) for p in root.glob("*/*") if not p.name.startswith(".")}


def root_of(station: Station) -> frozenset[str]:
    """The plant root's fingerprint, as `keys public` prints it for a new machine."""
    fp = audit.pin(station)
    assert fp is not None
    return frozenset({fp})


@SQLITE_ONLY
def test_sqlite_backup_restores_byte_for_byte(
    station: Station, admin: User, inspector: User, tmp_path: Path, password: str
) -> None:
    done = finish(station, inspector)
    out = tmp_path / "b" / "station.qcbackup"
    result = backup.backup(station, admin, out)
    assert result.evidence_files > 0 and out.exists()
    assert out.stat().st_mode & 0o077 == 0  # every record, hash and sealed key: owner only
    assert not list(out.parent.glob("*.partial"))
    checked, untrusted = backup_verify.verify_archive(out, station.location)
    assert untrusted is None and checked.signer == "alice" and checked.trusted_as
    manifest = checked.manifest
    target = config.resolve(tmp_path / "restored", None)
    restored = restore.restore(target, out, given=root_of(station))
    assert restored.evidence_files == result.evidence_files
    src_db = sqlite_file(station.db.url)
    dst_db = sqlite_file(target.database_url)
    assert src_db is not None and dst_db is not None
    assert sha(dst_db) == manifest["files"]["database/qcstation.db"]["sha256"]
    assert dump_sqlite(dst_db) == dump_sqlite(src_db)
    assert evidence_hashes(target.evidence_dir) == evidence_hashes(station.location.evidence_dir)
    again = open_station(target)
    try:
        assert audit.verify(again).ok
        assert inspections.get(again, done).status.value == "completed"
    finally:
        again.close()
    # a second restore over it is refused unless told; told, by one of its administrators,
    # it replaces the file, keeping what it replaced
    with pytest.raises(Conflict, match=r"already holds data.*--force"):
        restore.restore(target, out)
    again_result = restore.restore(target, out, True, Credentials("alice", password))
    assert again_result.safety_copy is not None and again_result.safety_copy.is_file()
    assert again_result.recorded_by == "alice"
    again = open_station(target)
    try:
        report = audit.verify(again)
        assert report.ok, report.findings
        assert inspections.get(again, done).status.value == "completed"
    finally:
        again.close()
    with pytest.raises(Conflict, match="exists already"):
        backup.backup(station, admin, out)


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> None:
    """Copy a tar, replacing (or dropping, with None) the named members."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w") as tout:
        for info in tin:
            data = tin.extractfile(info).read()  # type: ignore[union-attr]
            if info.name in change:
                new = change.pop(info.name)
                if new is None:
                    continue
                data = new
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
        for name, data in change.items():
            assert data is not None
            extra = tarfile.TarInfo(name)
            extra.size = len(data)
            tout.addfile(extra, io.BytesIO(data))


@SQLITE_ONLY
def test_a_damaged_backup_is_refused_naming_the_file(
    station: Station, admin: User, inspector: User, tmp_path: Path
) -> None:
    finish(station, inspector)
    good = tmp_path / "good.qcbackup"
    backup.backup(station, admin, good)
    with tarfile.open(good) as tar:
        ev = next(n for n in tar.getnames() if n.startswith("evidence/"))
        data = bytearray(tar.extractfile(ev).read())  # type: ignore[union-attr]
    data[len(data) // 2] ^= 1
    bad = tmp_path / "bad.qcbackup"
    _rewrite(good, bad, {ev: bytes(data)})
    target = config.resolve(tmp_path / "t", None)
    with pytest.raises(BackupError, match=f"{ev} does not match the manifest"):
        restore.restore(target, bad, given=root_of(station))
    assert not (tmp_path / "t" / "qcstation.db").exists()
    assert not list((tmp_path / "t").glob("evidence/*/*"))
    missing = tmp_path / "missing.qcbackup"
    _rewrite(good, missing, {ev: None})
    with pytest.raises(BackupError, match=f"missing {ev}"):
        backup_verify.verify_archive(missing)
    cut = tmp_path / "cut.qcbackup"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(BackupError, match=r"nothing was restored|not a qcstation backup"):
        restore.restore(target, cut, given=root_of(station))


@SQLITE_ONLY
def test_cli_backup_and_restore(
    station: Station,
    inspector: User,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    password: str,
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", password)
    finish(station, inspector)
    out = tmp_path / "x.qcbackup"
    where = ["--data-dir", str(station.location.data_dir), "--database-url", station.db.url]
    assert cli.main(["backup", str(out), "--user", "ines", *where]) == 2
    assert "ines (inspector) may not administer" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(["backup", str(out), "--user", "alice", *where]) == 0
    said = capsys.readouterr().out
    assert "Backed up the sqlite database" in said and "signed by alice" in said
    # checked on the station that pinned the plant root: its signer is judged too
    assert cli.main(["restore", "--check", str(out), *where]) == 0
    assert "every file matches the manifest" in capsys.readouterr().out
    # elsewhere, with no root to judge it by, it says so and what to pass
    assert cli.main(["restore", "--check", str(out), "--data-dir", str(tmp_path / "x")]) == 1
    fp = audit.pin(station)
    assert f"plant root {fp[:4]}:" in capsys.readouterr().out
    assert cli.main(["restore", str(out), *where]) == 2
    assert "already holds data" in capsys.readouterr().err
    new = ["--data-dir", str(tmp_path / "new")]
    assert cli.main(["restore", str(out), *new]) == 2
    assert f"--root-fingerprint {fp}" in capsys.readouterr().err
    assert cli.main(["restore", str(out), *new, "--root-fingerprint", str(fp)]) == 0
    assert "Restored the sqlite database" in capsys.readouterr().out
    assert cli.main(["audit", "verify", *new]) == 0
    # or with the root certificate as `keys public -o` writes it
    pem = tmp_path / "root.pem"
    assert cli.main(["keys", "public", "-o", str(pem), *where]) == 0
    newer = ["--data-dir", str(tmp_path / "newer")]
    assert cli.main(["restore", str(out), *newer, "--trust", str(pem)]) == 0
    assert "Restored the sqlite database" in capsys.readouterr().out


@pytest.fixture
def fresh_databases() -> Iterator[list[str]]:
    """Two new, empty PostgreSQL databases (a whole database each: a dump names schemas)."""
    base = make_url(postgres_url() or "").set(drivername="postgresql+psycopg")
    names = [f"qc_b_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for n in names:
            conn.execute(text(f'CREATE DATABASE "{n}"'))
    try:
        yield [base.set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        with admin.connect() as conn:
            for n in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)'))
        admin.dispose()


def pg_dump_bytes(url: str, path: Path) -> bytes:
    """pg_dump's view of a database (the test's witness; qcstation itself does not use
    pg_dump), less its per-run random \\restrict key (PostgreSQL 15.14+)."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", "--file", str(path), "--dbname", plain],
        check=True,
    )
    lines = path.read_bytes().splitlines(keepends=True)
    return b"".join(x for x in lines if not x.startswith((b"\\restrict", b"\\unrestrict")))


@pytest.mark.postgres
def test_postgresql_backup_restores_byte_for_byte(
    fresh_databases: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qcstation.services import accounts, setup
    from qcstation.services.context import connect

    src_url, dst_url = fresh_databases
    station = connect(config.resolve(tmp_path / "src", src_url))
    try:
        setup.init(station, "alice", "correct horse battery")
        admin = accounts.login(station, "alice", "correct horse battery")
        from qcstation.domain.users import Role

        accounts.create_user(station, admin, "ines", "correct horse battery", Role.INSPECTOR)
        done = finish(station, accounts.login(station, "ines", "correct horse battery"))
        out = tmp_path / "plant.qcbackup"
        root = root_of(station)
        # data through the driver: no PostgreSQL client tools needed on the bench
        with monkeypatch.context() as m:
            m.setenv("PATH", str(tmp_path))
            result = backup.backup(station, admin, out)
        assert result.database == "postgresql" and result.evidence_files > 0
    finally:
        station.close()
    target = config.resolve(tmp_path / "dst", dst_url)
    with monkeypatch.context() as m:
        m.setenv("PATH", str(tmp_path))
        restore.restore(target, out, given=root)
    assert os.environ["PATH"] != str(tmp_path)
    assert pg_dump_bytes(dst_url, tmp_path / "d.sql") == pg_dump_bytes(src_url, tmp_path / "s.sql")
    assert evidence_hashes(target.evidence_dir) == evidence_hashes(tmp_path / "src" / "evidence")
    again = open_station(target)
    try:
        assert audit.verify(again).ok
        assert inspections.get(again, done).verdict is not None
    finally:
        again.close()
    with pytest.raises(PermissionDenied, match="needs an administrator of the database"):
        restore.restore(target, out, force=True)
