"""Attacks through backups, on real SQLite files and the real PostgreSQL server.

Each test is written as the attack: a backup edited and its manifest recomputed, its
signature taken out, a manifest re-signed with an inspector's own key (opened with her own
password by the project's own code), a backup from another plant, SQL appended to a
PostgreSQL archive, a trigger smuggled into a SQLite file, `restore --force` with no
credentials, an older backup put back over newer work. Each asserts the refusal's words
and that nothing was written, or that the rollback is recorded and reported as the
administrator's restore. docs/security.md lists them as rows B1-B10.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qcstation import cli, config
from qcstation.domain.records import canonical_json
from qcstation.domain.users import User
from qcstation.services import (
    _keyring,
    accounts,
    audit,
    backup_verify,
    inspections,
    keys,
    restore,
    setup,
)
from qcstation.services import backup as making
from qcstation.services.backup_archive import BackupError, Signer, given_roots, signed_manifest
from qcstation.services.context import Station, connect, open_station
from qcstation.services.errors import Conflict, LoginFailed, PermissionDenied
from qcstation.services.restore_authority import Credentials
from qcstation.store import anchors
from qcstation.store import audit as chain
from qcstation.store.database import sqlite_file
from qcstation.store.models import UserRow

from ..conftest import postgres_url
from ..services.conftest import finish
from ..tampering import append_entry, as_owner, cut_after

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


# --- the places a backup goes ----------------------------------------------------------------


@pytest.fixture
def other_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind: a new SQLite file, or another schema."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'target' / 'qcstation.db'}"
        return
    base = make_url(postgres_url() or "").set(drivername="postgresql+psycopg")
    name = f"t_{uuid.uuid4().hex[:12]}"
    owner = create_engine(base)
    with owner.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False
        )
    finally:
        with owner.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        owner.dispose()


@pytest.fixture
def target(other_url: str, tmp_path: Path) -> config.Location:
    """A new machine: an empty data directory (and, for a plant, an empty database)."""
    return config.resolve(tmp_path / "target", other_url)


def root_of(station: Station) -> frozenset[str]:
    fp = audit.pin(station)
    assert fp is not None
    return frozenset({fp})


def nothing_written(loc: config.Location) -> None:
    """No database, no evidence, no settings, no anchor: the target is as it was."""
    if loc.is_sqlite:
        db = sqlite_file(loc.database_url)
        assert db is not None and not db.exists(), "a database was written"
    else:
        engine = create_engine(make_url(loc.database_url))
        try:
            with engine.connect() as conn:
                n = conn.execute(
                    text(
                        "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema = current_schema()"
                    )
                ).scalar_one()
        finally:
            engine.dispose()
        assert n == 0, f"{n} tables were written"
    assert not list(loc.evidence_dir.glob("*/*")), "evidence was written"
    assert not (loc.data_dir / config.SETTINGS_FILE).exists()
    assert not (loc.data_dir / anchors.FILE).exists()


def state_of(station: Station) -> tuple[Any, ...]:
    """What a station holds, seen by raw SQL: the trail's head and the records."""
    with station.db.engine.connect() as conn:
        head = tuple(conn.execute(text(chain.HEAD_SQL)).one())[1:]
        rows = conn.execute(text("SELECT count(*) FROM inspections")).scalar_one()
    db = sqlite_file(station.db.url)
    digest = hashlib.sha256(db.read_bytes()).hexdigest() if db else ""
    return tuple(head), rows, digest


# --- taking a backup apart ---------------------------------------------------------------


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {i.name: tar.extractfile(i).read() for i in tar}  # type: ignore[union-attr]


def pack(path: Path, parts: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in parts.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def recompute(parts: dict[str, bytes], signer: Signer | None = None) -> dict[str, bytes]:
    """The manifest's hashes recomputed for the members as they are now; with a signer,
    the manifest re-signed with that key too (else the old signature stays)."""
    manifest = json.loads(parts["manifest.json"])
    for name in manifest["files"]:
        data = parts[name]
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    if signer is None:
        parts["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode()
        return parts
    for k in ("format", "format_version", "signer", "plant_root"):
        manifest.pop(k)
    parts["manifest.json"], parts["manifest.sig"] = signed_manifest(manifest, signer)
    return parts


def edit_db(parts: dict[str, bytes], tmp: Path, *sql: str) -> None:
    """Change the SQLite file inside a backup with plain SQL."""
    path = tmp / f"edit-{uuid.uuid4().hex[:6]}.db"
    path.write_bytes(parts["database/qcstation.db"])
    con = sqlite3.connect(path)
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()
    parts["database/qcstation.db"] = path.read_bytes()


def make_ines_admin(parts: dict[str, bytes], tmp: Path) -> None:
    """The inspector's own row, made an administrator's, in the backed-up data."""
    if "database/qcstation.db" in parts:
        edit_db(parts, tmp, "UPDATE users SET role = 'admin' WHERE username = 'ines'")
    else:
        lines = parts["database/tables/users.csv"].decode().splitlines(keepends=True)
        parts["database/tables/users.csv"] = "".join(
            x.replace(",inspector,", ",admin,") if ",ines," in x else x for x in lines
        ).encode()


def signer(station: Station, user: User) -> Signer:
    with station.db.read() as s:
        return making.signer_for(s, user)


@pytest.fixture
def made(station: Station, admin: User, inspector: User, tmp_path: Path) -> Path:
    """An administrator's backup of a station with one finished inspection."""
    finish(station, inspector)
    out = tmp_path / "station.qcbackup"
    making.backup(station, admin, out)
    return out


# --- B1: edit a member, recompute the manifest ----------------------------------------------


def test_b1_an_edited_member_with_a_recomputed_manifest_is_refused(
    station: Station, made: Path, target: config.Location, tmp_path: Path
) -> None:
    parts = members(made)
    make_ines_admin(parts, tmp_path)
    forged = pack(tmp_path / "forged.qcbackup", recompute(parts))
    # The old check ("every file matches the manifest") would now pass; the signature does not.
    with pytest.raises(
        BackupError,
        match="signature does not match the manifest: the backup was altered after alice signed it",
    ):
        restore.restore(target, forged, given=root_of(station))
    nothing_written(target)
    with pytest.raises(BackupError, match="signature does not match"):
        backup_verify.verify_archive(forged)


# --- B2: take the signature out, or bring an unsigned backup ---------------------------------


def test_b2_an_unsigned_backup_is_refused(
    station: Station, made: Path, target: config.Location, tmp_path: Path
) -> None:
    parts = members(made)
    del parts["manifest.sig"]
    unsigned = pack(tmp_path / "unsigned.qcbackup", parts)
    with pytest.raises(BackupError, match=r"is not signed .*nothing proves who made it"):
        restore.restore(target, unsigned, given=root_of(station))
    manifest = json.loads(parts["manifest.json"])
    manifest["format_version"] = 1  # what qcstation wrote before backups were signed
    parts["manifest.json"] = json.dumps(manifest).encode()
    old = pack(tmp_path / "old.qcbackup", parts)
    with pytest.raises(BackupError, match="is not signed"):
        restore.restore(target, old, given=root_of(station))
    nothing_written(target)


# --- B3: re-sign with an inspector's own key -------------------------------------------------


def test_b3_a_manifest_re_signed_with_an_inspectors_own_key_is_refused(
    station: Station,
    admin: User,
    inspector: User,
    password: str,
    made: Path,
    target: config.Location,
    tmp_path: Path,
) -> None:
    keys.issue_pending(station, admin, password)  # her key is the plant's: certified by the root
    with station.db.read() as s:
        her_key = _keyring.open_session_key(s, s.get_one(UserRow, inspector.id), password)
    assert her_key is not None
    her = signer(station, accounts.login(station, "ines", password))
    assert her.credential.key_id == her_key.key_id
    parts = members(made)
    resigned = pack(tmp_path / "ines.qcbackup", recompute(parts, her))
    with pytest.raises(
        BackupError,
        match="signed by ines, who is an inspector in the backed-up database, not an administrator",
    ):
        restore.restore(target, resigned, given=root_of(station))
    nothing_written(target)
    # She also makes herself an administrator in the backed-up data: the trail disagrees.
    make_ines_admin(parts, tmp_path)
    promoted = pack(tmp_path / "ines-admin.qcbackup", recompute(parts, her))
    with pytest.raises(
        BackupError,
        match=r"audit trail it holds does not verify .*users 2: changed outside the application: role is 'admin'",
    ):
        restore.restore(target, promoted, given=root_of(station))
    nothing_written(target)


def test_b3_an_inspector_who_signs_her_own_promotion_cannot_back_up_for_the_plant(
    station: Station,
    admin: User,
    inspector: User,
    password: str,
    target: config.Location,
    tmp_path: Path,
) -> None:
    """The live database: a raw UPDATE of her role and an entry signed with her own key (the
    project's own functions). The services then take her for an administrator, and she
    signs a backup; verify names the promotion, and no station restores her backup."""
    keys.issue_pending(station, admin, password)
    with station.db.read() as s:
        her_key = _keyring.open_session_key(s, s.get_one(UserRow, inspector.id), password)
    assert her_key is not None
    with as_owner(station.db.engine) as conn:
        row = conn.execute(
            text(
                "SELECT new FROM audit_log WHERE entity = 'users' AND entity_id = :i "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"i": str(inspector.id)},
        ).scalar_one()
        new = json.loads(row)
        new["role"] = "admin"
        fields = {
            "at": "2026-12-05T10:00:00.000000+00:00",
            "actor": "ines",
            "station": station.name,
            "entity": "users",
            "entity_id": str(inspector.id),
            "action": "update",
            "old": row,
            "new": canonical_json(new),
            "reason": "",
        }
        append_entry(conn, station.name, fields, her_key)
        conn.execute(text("UPDATE users SET role = 'admin' WHERE username = 'ines'"))
    found = [str(f) for f in audit.verify(station).findings]
    assert any(
        "ines (inspector) made ines admin, which only an administrator may" in f for f in found
    ), found
    out = tmp_path / "by-ines.qcbackup"
    making.backup(station, accounts.login(station, "ines", password), out)
    with pytest.raises(BackupError, match="ines \\(inspector\\) made ines admin"):
        restore.restore(target, out, given=root_of(station))
    nothing_written(target)


# --- B4: a backup from another plant ---------------------------------------------------------


def test_b4_a_backup_from_another_plant_is_refused(
    station: Station,
    admin: User,
    password: str,
    other_url: str,
    tmp_path: Path,
) -> None:
    theirs_url = None if other_url.startswith("sqlite") else other_url
    other = connect(config.resolve(tmp_path / "plant-b", theirs_url))
    try:
        setup.init(other, "bob", password)
        theirs = tmp_path / "plant-b.qcbackup"
        making.backup(other, accounts.login(other, "bob", password), theirs)
        their_root = root_of(other)
    finally:
        other.close()
    before = state_of(station)
    with pytest.raises(BackupError, match="belongs to another plant: it is signed under the root"):
        restore.restore(station.location, theirs, True, Credentials("alice", password))
    assert state_of(station) == before
    # On a new machine, with no root to judge it by: it shows the root and asks.
    fresh = config.resolve(tmp_path / "new", None)
    fp = next(iter(their_root))
    with pytest.raises(BackupError, match=f"no plant root pinned yet .*--root-fingerprint {fp}"):
        restore.restore(fresh, theirs)
    # ... and given our plant's root (as `keys public` writes it), theirs is refused.
    pem = tmp_path / "plant-a.pem"
    pem.write_text(keys.plant_certificates(station), "ascii")
    ours = given_roots([], [pem])
    assert ours == root_of(station)
    with pytest.raises(BackupError, match="belongs to another plant"):
        restore.restore(fresh, theirs, given=ours)
    assert not (tmp_path / "new" / "qcstation.db").exists()


# --- B5: SQL appended to a PostgreSQL archive -------------------------------------------------


def _pwned(tag: str) -> tuple[str, Path]:
    marker = Path(f"/tmp/qcstation-pwned-{tag}")
    sql = (
        f"CREATE TABLE public.pwned_{tag} (x int);\nCOPY (SELECT 1) TO PROGRAM 'touch {marker}';\n"
    )
    return sql, marker


def _pwned_table(url: str, tag: str) -> bool:
    engine = create_engine(make_url(url))
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text(f"SELECT to_regclass('public.pwned_{tag}')")).scalar())
    finally:
        engine.dispose()


@POSTGRES_ONLY
def test_b5_sql_appended_to_a_postgresql_archive_runs_nothing(
    station: Station,
    admin: User,
    made: Path,
    target: config.Location,
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    sql, marker = _pwned(tag)
    roots = root_of(station)
    # The issue's attack: an archive of SQL text with a COPY ... TO PROGRAM appended. Such an
    # archive (what qcstation wrote before) is refused unread.
    old_manifest = {
        "format": "qcstation-backup",
        "format_version": 1,
        "database": "postgresql",
        "files": {"database/qcstation.sql": {}},
    }
    dump = b"CREATE TABLE users (id int);\n" + sql.encode()
    legacy = pack(
        tmp_path / "legacy.qcbackup",
        {
            "database/qcstation.sql": dump,
            "manifest.json": json.dumps(old_manifest).encode(),
        },
    )
    with pytest.raises(BackupError, match=r"as SQL statements .*refused"):
        restore.restore(target, legacy, given=roots)
    # Today's archive holds rows: SQL appended to a data member breaks the signature...
    parts = members(made)
    parts["database/tables/users.csv"] += sql.encode()
    unsigned = pack(tmp_path / "appended.qcbackup", recompute(dict(parts)))
    with pytest.raises(BackupError, match="signature does not match"):
        restore.restore(target, unsigned, given=roots)
    # ... and even re-signed with a real administrator's key, COPY takes it as data.
    resigned = pack(tmp_path / "resigned.qcbackup", recompute(dict(parts), signer(station, admin)))
    with pytest.raises(BackupError, match="the rows of users do not load"):
        restore.restore(target, resigned, given=roots)
    # The end-of-data marker does not end the data and start statements either.
    parts = members(made)
    parts["database/tables/users.csv"] += b"\\.\n" + sql.encode()
    marked = pack(tmp_path / "marked.qcbackup", recompute(parts, signer(station, admin)))
    with pytest.raises(BackupError, match=r"the rows of users hold an end-of-data marker"):
        restore.restore(target, marked, given=roots)
    assert not marker.exists(), "a program ran on the server"
    for url in (station.db.url, target.database_url):
        assert not _pwned_table(url, tag), "SQL from the archive ran"
    nothing_written(target)


@POSTGRES_ONLY
def test_b5_a_tampered_data_member_writes_nothing(
    station: Station, made: Path, target: config.Location, tmp_path: Path
) -> None:
    parts = members(made)
    name = "database/tables/inspections.csv"
    parts[name] = parts[name].replace(b",pass,", b",fail,")
    with pytest.raises(BackupError, match=f"{name} does not match the manifest"):
        restore.restore(target, pack(tmp_path / "t.qcbackup", parts), given=root_of(station))
    nothing_written(target)


# --- B6: restore --force without credentials ---------------------------------------------------


def _where(loc: config.Location) -> list[str]:
    args = ["--data-dir", str(loc.data_dir)]
    if not loc.is_sqlite:
        args += ["--database-url", loc.database_url]
    return args


def test_b6_restore_force_needs_an_administrator_of_the_data_it_replaces(
    station: Station,
    inspector: User,
    password: str,
    made: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finish(station, inspector, serial="SN2")  # newer work than the backup holds
    before = state_of(station)
    loc = station.location
    with pytest.raises(
        PermissionDenied, match="needs an administrator of the database being replaced"
    ):
        restore.restore(loc, made, force=True)
    assert cli.main(["restore", str(made), "--force", *_where(loc)]) == 2
    assert "needs an administrator of the database being replaced" in capsys.readouterr().err
    with pytest.raises(
        PermissionDenied, match="ines is not an administrator of the database being replaced"
    ):
        restore.restore(loc, made, True, Credentials("ines", password))
    with pytest.raises(LoginFailed, match="unknown user or wrong password"):
        restore.restore(loc, made, True, Credentials("alice", "not her password"))
    monkeypatch.setenv("QCSTATION_PASSWORD", password)
    assert cli.main(["restore", str(made), "--force", "--user", "ines", *_where(loc)]) == 2
    assert "ines is not an administrator" in capsys.readouterr().err
    assert state_of(station) == before
    assert not (loc.data_dir / "backups").exists(), "a safety copy for nothing"
    with pytest.raises(Conflict, match=r"already holds data .*--force with --user NAME"):
        restore.restore(loc, made)


# --- B7: an older backup over newer work --------------------------------------------------------


def test_b7_an_older_backup_over_newer_work_is_recorded_reported_and_kept(
    station: Station,
    admin: User,
    inspector: User,
    password: str,
    made: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    newer = finish(station, inspector, serial="SN2")
    (old_head, _), _, _ = state_of(station)
    backed = backup_verify.verify_archive(made, station.location)[0].head[0]
    monkeypatch.setenv("QCSTATION_PASSWORD", password)
    loc = station.location
    assert cli.main(["restore", str(made), "--force", "--user", "alice", *_where(loc)]) == 0
    said = capsys.readouterr().out
    assert f"The audit trail went from entry #{old_head} back to the backup's" in said
    assert "signed by alice" in said
    safety = Path(said.split("What it replaced is kept in ")[1].split(" (")[0])
    assert safety.is_file() and safety.stat().st_mode & 0o077 == 0
    assert safety.parent.stat().st_mode & 0o077 == 0  # backups/: this account's only
    # The newer inspection is gone from the station, and the station says why.
    with pytest.raises(Exception, match=newer):
        inspections.get(station, newer)
    report = audit.verify(station)
    assert report.ok, report.findings
    assert any(
        "restored by alice at" in n
        and f"from entry #{old_head} back to #{backed}" in n
        and str(safety) in n
        for n in report.notes
    ), report.notes
    with station.db.engine.connect() as conn:
        event = conn.execute(
            text(
                "SELECT actor, key_id, signature, new FROM audit_log WHERE entity = 'event' "
                "AND action = 'restore'"
            )
        ).one()
    assert event.actor == "alice" and event.key_id == admin.credential.key_id and event.signature
    assert json.loads(event.new)["replaced_head"]["id"] == old_head
    saved = anchors.load(loc.data_dir / anchors.FILE)
    (recorded,) = [r for c in saved.chains.values() for r in c.restores]
    assert recorded.by == "alice" and recorded.safety_copy == str(safety)
    # The safety copy is a signed backup of what was replaced: restoring it undoes the restore.
    checked, _ = backup_verify.verify_archive(safety, loc)
    assert checked.signer == "alice" and checked.head[0] == old_head
    back = restore.restore(loc, safety, True, Credentials("alice", password))
    assert back.warnings == []  # the evidence it left in place is still there
    assert inspections.get(station, newer).serial == "SN2"
    assert audit.verify(station).ok


def test_b7_a_rollback_by_copying_files_after_a_restore_is_still_reported(
    station: Station, admin: User, inspector: User, password: str, made: Path, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a file copy is the SQLite form; test_b9 is the plant database's")
    finish(station, inspector, serial="SN2")
    restore.restore(station.location, made, True, Credentials("alice", password))
    db = sqlite_file(station.db.url)
    assert db is not None
    station.db.engine.dispose()
    restored = db.with_name("restored-copy.db")
    shutil.copy(db, restored)
    finish(station, inspector, serial="SN3")  # work after the restore, then put the copy back
    station.db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    shutil.copy(restored, db)
    found = [str(f) for f in audit.verify(station).findings]
    assert any("but this station saw entry" in f for f in found), found


# --- B8: a SQLite file with something smuggled into its schema --------------------------------

SMUGGLED = {
    "trigger": (
        "CREATE TRIGGER pass_all AFTER INSERT ON audit_log BEGIN "
        "UPDATE inspections SET verdict = 'pass'; END",
        "its trigger 'pass_all' on audit_log is not one qcstation's migrations make",
    ),
    "view": ("CREATE VIEW v AS SELECT * FROM users", "its view 'v' is not one"),
    "table": ("CREATE TABLE extra (x)", "its table 'extra' is not one"),
    "index": ("DROP INDEX ix_inspections_serial", "its index 'ix_inspections_serial' is missing"),
}


@SQLITE_ONLY
@pytest.mark.parametrize("what", sorted(SMUGGLED))
def test_b8_a_sqlite_file_with_a_smuggled_schema_object_is_refused(
    station: Station, admin: User, made: Path, target: config.Location, tmp_path: Path, what: str
) -> None:
    """Even signed with a real administrator's key: the file must be our schema, exactly."""
    statement, words = SMUGGLED[what]
    parts = members(made)
    edit_db(parts, tmp_path, statement)
    forged = pack(tmp_path / "smuggled.qcbackup", recompute(parts, signer(station, admin)))
    with pytest.raises(BackupError, match=f"not the schema qcstation makes at .*{words}"):
        restore.restore(target, forged, given=root_of(station))
    nothing_written(target)


# --- B9: a plant database restored from one station, checked from another ----------------------


@POSTGRES_ONLY
def test_b9_other_stations_learn_the_restore_from_the_trail_but_not_a_later_rollback(
    station: Station,
    admin: User,
    inspector: User,
    password: str,
    made: Path,
    tmp_path: Path,
) -> None:
    other_loc = config.resolve(tmp_path / "bench-2", station.location.database_url)
    bench2 = connect(other_loc)
    try:
        audit.pin(bench2)
        finish(bench2, accounts.login(bench2, "ines", password), serial="SN2")
        assert audit.verify(bench2).ok  # bench 2 anchors what it saw
        restore.restore(station.location, made, True, Credentials("alice", password))
        report = audit.verify(bench2)
        assert report.ok, report.findings
        assert any(
            "restored by alice" in n and "which that restore replaced" in n for n in report.notes
        )
        # Bench 2 works on after the restore; then someone with the server's credentials
        # cuts the trail back to the restore: that rollback nobody announced is reported.
        (restored_head, _), _, _ = state_of(bench2)
        finish(bench2, accounts.login(bench2, "ines", password), serial="SN3")
        assert audit.verify(bench2).ok
        with as_owner(bench2.db.engine) as conn:
            for table in ("answers", "evidence", "defects", "signatures"):
                conn.execute(
                    text(
                        f"DELETE FROM {table} WHERE inspection_id IN "
                        "(SELECT id FROM inspections WHERE serial = 'SN3')"
                    )
                )
            conn.execute(text("DELETE FROM inspections WHERE serial = 'SN3'"))
            cut_after(conn, restored_head)
        found = [str(f) for f in audit.verify(bench2).findings]
        assert any("but this station saw entry" in f for f in found), found
    finally:
        bench2.close()


# --- B10: a damaged station database, replaced with the plant root passphrase -------------------


@SQLITE_ONLY
def test_b10_an_unreadable_database_is_replaced_only_with_the_root_passphrase(
    station: Station, password: str, made: Path
) -> None:
    db = sqlite_file(station.db.url)
    assert db is not None
    station.close()
    garbage = b"not a database any more" * 100
    db.write_bytes(garbage)
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    loc = station.location
    with pytest.raises(PermissionDenied, match=r"cannot be read .*--root-passphrase"):
        restore.restore(loc, made, True, Credentials("alice", password))
    with pytest.raises(Exception, match="wrong root passphrase"):
        restore.restore(loc, made, True, Credentials(root_passphrase="not the passphrase"))
    assert db.read_bytes() == garbage and not (loc.data_dir / "backups").exists()
    result = restore.restore(loc, made, True, Credentials(root_passphrase=password))
    assert result.recorded_by == "plant-root" and result.safety_copy is not None
    assert (result.safety_copy / db.name).read_bytes() == garbage  # kept byte for byte
    again = open_station(loc)
    try:
        report = audit.verify(again)
        assert report.ok, report.findings
        assert any("restored by plant-root" in n for n in report.notes), report.notes
    finally:
        again.close()


@SQLITE_ONLY
def test_b10_a_deleted_database_is_not_a_new_machine_when_the_anchor_remembers(
    station: Station, inspector: User, password: str, made: Path
) -> None:
    """Deleting the database first does not make an older backup a fresh start: this
    station's anchor saw further, so the rollback still needs the root, and is recorded."""
    finish(station, inspector, serial="SN2")
    db = sqlite_file(station.db.url)
    assert db is not None
    station.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    loc = station.location
    with pytest.raises(Conflict, match="this station saw the audit trail up to entry #"):
        restore.restore(loc, made)
    with pytest.raises(PermissionDenied, match=r"cannot be read .*--root-passphrase"):
        restore.restore(loc, made, True, Credentials("alice", password))
    assert not db.exists()
    result = restore.restore(loc, made, True, Credentials(root_passphrase=password))
    assert result.recorded_by == "plant-root" and result.safety_copy is None
    again = open_station(loc)
    try:
        report = audit.verify(again)
        assert report.ok, report.findings
        assert any("restored by plant-root" in n for n in report.notes), report.notes
    finally:
        again.close()
