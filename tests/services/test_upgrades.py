"""Upgrading a station's database: a SQLite file is copied to backups/ first and written
back when the migration fails; PostgreSQL rolls a failed upgrade back by itself.

The failing (and the extra passing) migration is a real Alembic file added after this
version's head, in a copy of the shipped migrations folder used in its place.
"""

from __future__ import annotations

import base64
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from qcstation import app, cli, config
from qcstation.domain.defects import Disposition
from qcstation.domain.users import User
from qcstation.services import audit, nonconformance, setup, upgrades
from qcstation.services.context import Station, connect, open_station
from qcstation.services.errors import NotInitialised
from qcstation.store import schema
from qcstation.store.database import sqlite_file

from .conftest import finish
from .test_nonconformance import failed

MIGRATIONS = Path(schema.__file__).parent / "migrations"

INJECTED = '''"""Injected by the test.

Revision ID: 9999
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("upgrade_probe", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO upgrade_probe (id) VALUES (1)")
{more}


def downgrade():
    op.drop_table("upgrade_probe")
'''

FAILING = """    op.execute("UPDATE users SET full_name = 'damaged by a half-done upgrade'")
    raise RuntimeError("injected failure in migration 9999")"""


def inject(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, more: str = "") -> str:
    """Use the shipped migrations plus one more after their head; return the old head."""
    old_head = schema.head()
    scripts = tmp_path / "migrations-under-test"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_injected.py").write_text(
        INJECTED.format(head=old_head, more=more or "    pass"), encoding="utf-8"
    )
    real = schema._config

    def patched(connection=None):  # type: ignore[no-untyped-def]
        cfg = real(connection)
        cfg.set_main_option("script_location", str(scripts))
        return cfg

    monkeypatch.setattr(schema, "_config", patched)
    assert schema.head() == "9999"
    return old_head


def scalar(station: Station, sql: str) -> object:
    with station.db.engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def tables(station: Station) -> set[str]:
    with station.db.engine.connect() as conn:
        return set(conn.dialect.get_table_names(conn))


def file_revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_an_older_sqlite_schema_is_backed_up_then_migrated(tmp_path: Path) -> None:
    location = config.resolve(tmp_path / "data")
    station = connect(location)
    with station.db.engine.begin() as conn:  # a database made by the version before
        command.upgrade(schema._config(conn), "0002")
    result = upgrades.upgrade(station)
    assert (result.before, result.after) == ("0002", schema.head())
    assert result.backup is not None and result.backup.parent == location.data_dir / "backups"
    assert result.backup.name.startswith("qcstation-") and "schema-0002" in result.backup.name
    assert file_revision(result.backup) == "0002"
    assert scalar(station, "SELECT version_num FROM alembic_version") == schema.head()
    assert "kept in" in result.describe() and str(result.backup) in result.describe()
    setup.init(station, "alice", "a long enough password")  # the upgraded schema works
    station.close()
    # a second upgrade is a no-op and copies nothing
    again = connect(location)
    try:
        assert upgrades.upgrade(again).backup is None
    finally:
        again.close()
    assert len(list((location.data_dir / "backups").iterdir())) == 1


def test_a_passing_migration_keeps_every_record(
    station: Station, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old_head = inject(monkeypatch, tmp_path)
    result = upgrades.upgrade(station)
    assert (result.before, result.after) == (old_head, "9999")
    assert scalar(station, "SELECT count(*) FROM upgrade_probe") == 1
    assert scalar(station, "SELECT full_name FROM users WHERE username = 'alice'") == "Alice Admin"
    if station.location.is_sqlite:
        assert result.backup is not None and file_revision(result.backup) == old_head
    else:
        assert result.backup is None  # the plant's DBA backs PostgreSQL up


def test_a_failing_migration_is_rolled_back_or_restored(
    station: Station, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old_head = inject(monkeypatch, tmp_path, FAILING)
    entries = audit.verify(station).entries
    with pytest.raises(upgrades.UpgradeFailed) as caught:
        upgrades.upgrade(station)
    message = str(caught.value)
    assert "injected failure in migration 9999" in message and "support" in message
    if station.location.is_sqlite:
        backups = list((station.location.data_dir / "backups").iterdir())
        assert len(backups) == 1
        assert f"restored from the backup made just before ({backups[0]})" in message
        assert "nothing is lost" in message and "Reinstall the previous qcstation" in message
        db_file = sqlite_file(station.db.url)
        assert db_file is not None
        with sqlite3.connect(db_file) as conn:  # still a WAL database after the write-back
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    else:
        assert "rolled the upgrade back" in message
    # exactly as before: old schema, no half-made table, the record undamaged, chain intact
    assert scalar(station, "SELECT version_num FROM alembic_version") == old_head
    assert "upgrade_probe" not in tables(station)
    assert scalar(station, "SELECT full_name FROM users WHERE username = 'alice'") == "Alice Admin"
    monkeypatch.undo()  # back to the shipped migrations: the station opens as before
    reopened = open_station(station.location)
    try:
        report = audit.verify(reopened)
        assert report.ok and report.entries == entries
    finally:
        reopened.close()


def test_a_backup_that_cannot_be_written_leaves_the_database_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    location = config.resolve(tmp_path / "data")
    station = connect(location)
    setup.init(station, "alice", "a long enough password")
    old_head = inject(monkeypatch, tmp_path)
    (location.data_dir / "backups").write_text("a file where the folder should be")
    with pytest.raises(upgrades.UpgradeFailed) as caught:
        upgrades.upgrade(station)
    assert "could not be backed up" in str(caught.value) and "left as it is" in str(caught.value)
    assert scalar(station, "SELECT version_num FROM alembic_version") == old_head
    station.close()


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def go(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return go


def test_db_upgrade_and_window_start_back_up_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "station"
    monkeypatch.setenv("QCSTATION_PASSWORD", "a long enough password")
    assert run("init", "--admin", "alice", "--data-dir", str(data))[0] == 0
    inject(monkeypatch, tmp_path)
    # what the window does on its first start after an upgrade
    opened = app.open_upgrading(config.resolve(data))
    opened.close()
    err = capsys.readouterr().err
    assert "Upgraded the database from schema" in err and "to 9999" in err
    assert "backups" in err
    code, out, _ = run("db", "upgrade", "--data-dir", str(data))
    assert code == 0 and "already at the newest schema (9999)" in out


def test_db_upgrade_says_who_backs_a_plant_database_up(
    station: Station, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run: Run
) -> None:
    """`db upgrade` on an older PostgreSQL schema says first that the plant's DBA backs it
    up (qcstation makes no copy); a station's SQLite file is copied, so no such note."""
    assert not upgrades.is_behind(station)
    inject(monkeypatch, tmp_path)
    assert upgrades.is_behind(station)
    where = ("--data-dir", str(station.location.data_dir))
    where += ("--database-url", station.location.database_url)
    code, out, _ = run("db", "upgrade", *where)
    assert code == 0 and "to 9999" in out
    plant_note = "qcstation makes no copy of a plant database; back it up first"
    assert (plant_note in out) is not station.location.is_sqlite
    assert not upgrades.is_behind(station)
    code, out, _ = run("db", "upgrade", *where)  # nothing to do: no note either way
    assert code == 0 and plant_note not in out


def test_a_failed_upgrade_at_start_says_what_happened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    data = tmp_path / "station"
    monkeypatch.setenv("QCSTATION_PASSWORD", "a long enough password")
    assert run("init", "--admin", "alice", "--data-dir", str(data))[0] == 0
    old_head = inject(monkeypatch, tmp_path, FAILING)
    with pytest.raises(upgrades.UpgradeFailed, match="restored from the backup"):
        app.open_upgrading(config.resolve(data))
    code, _, err = run("db", "upgrade", "--data-dir", str(data))
    assert code == 2 and "restored from the backup" in err and "nothing is lost" in err
    assert file_revision(data / "qcstation.db") == old_head
    assert len(list((data / "backups").iterdir())) == 2  # one copy per attempt


def test_other_commands_on_an_older_schema_say_how_to_upgrade(
    station: Station, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    inject(monkeypatch, tmp_path)
    with pytest.raises(NotInitialised) as caught:
        open_station(station.location)
    message = str(caught.value)
    assert "run `qcstation db upgrade`" in message
    if station.location.is_sqlite:
        assert "copies the database to backups/ first" in message
    else:
        assert "DBA has backed the database up" in message
        # and the window does not upgrade a plant database by itself
        with pytest.raises(NotInitialised):
            app.open_upgrading(station.location)
        assert scalar(station, "SELECT version_num FROM alembic_version") != "9999"


def test_a_trail_made_before_entries_were_signed_still_verifies(tmp_path: Path) -> None:
    """A station of the version before signed entries (schema 0007) upgrades; its unsigned
    entries verify as made before signing, the next signed entry covers them, and a change
    to one of them is still found."""
    from datetime import datetime, timezone

    from qcstation.domain.records import canonical_json
    from qcstation.services import accounts
    from qcstation.store import audit as chain

    location = config.resolve(tmp_path / "data")
    station = connect(location)
    with station.db.engine.begin() as conn:
        command.upgrade(schema._config(conn), "0007")
    when = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
    row = {"id": 1, "name": "bench-old", "created_at": when}
    fields = {
        "id": 1,
        "at": when,
        "actor": "alice",
        "station": "bench-old",
        "entity": "stations",
        "entity_id": "1",
        "action": "create",
        "old": None,
        "new": canonical_json(row),
        "reason": "register station",
    }
    digest = chain.entry_hash(fields, chain.GENESIS)
    with station.db.engine.begin() as conn:  # what the old version wrote, unsigned
        conn.execute(
            text("INSERT INTO stations (id, name, created_at) VALUES (1, 'bench-old', :t)"),
            {"t": "2026-06-01 08:00:00.000000"},
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (id, at, actor, station, entity, entity_id, action, old, "
                "new, reason, prev_hash, hash) VALUES (1, :at, 'alice', 'bench-old', "
                "'stations', '1', 'create', NULL, :new, 'register station', :prev, :h)"
            ),
            {
                "at": "2026-06-01 08:00:00.000000",
                "new": fields["new"],
                "prev": chain.GENESIS,
                "h": digest,
            },
        )
        conn.execute(text("UPDATE audit_head SET last_id = 1, last_hash = :h"), {"h": digest})
    upgrades.upgrade(station)
    setup.init(station, "alice", "a long enough password")  # signed entries from here on
    report = audit.verify(station)
    assert report.ok, report.findings
    assert any("1 entries were made before audit entries were signed" in n for n in report.notes)
    with station.db.engine.begin() as conn:  # the old entry rewritten, its hash recomputed
        conn.execute(text("UPDATE stations SET name = 'bench-new' WHERE id = 1"))
        new = fields["new"].replace("bench-old", "bench-new")
        forged = chain.entry_hash({**fields, "new": new}, chain.GENESIS)
        conn.execute(
            text("UPDATE audit_log SET new = :n, hash = :h WHERE id = 1"), {"n": new, "h": forged}
        )
        conn.execute(text("UPDATE audit_log SET prev_hash = :h WHERE id = 2"), {"h": forged})
    report = audit.verify(station)
    assert not report.ok
    assert any("altered" in f.message or "signature" in f.message for f in report.findings)
    accounts.login(station, "alice", "a long enough password")
    station.close()


def _as_written_before_0012(station: Station, password: str) -> int:
    """Make the station's trail what qcstation wrote before migration 0012: one plant
    chain of format 1, every seal made again, by the same person's own key, over the format
    1 message; the schema taken back to 0011 and the anchor file as it then was. Returns
    the number of entries."""
    from qcstation.services import _keyring
    from qcstation.store import anchors
    from qcstation.store import audit as chain
    from qcstation.store.models import AuditEntry, UserRow

    from ..tampering import as_owner

    with station.db.read() as s:
        signers: dict[str, _keyring.SessionKey] = {}
        for user in s.query(UserRow).all():
            key = _keyring.open_session_key(s, user, password)
            if key is not None:
                signers[key.key_id] = key
        root = _keyring.plant_row(s, _keyring.ROOT)
        assert root is not None
        signers[root.key_id] = _keyring.SessionKey(
            root.key_id, _keyring._open_plant_key(root, password)
        )
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    engine = station.db.engine
    with as_owner(engine) as conn:
        chain_id = conn.execute(text("SELECT chain_id FROM audit_head")).scalar_one()
        rows = entries  # read through the ORM: ``at`` as the datetime that was hashed
        assert [e.id for e in rows] == list(range(1, len(rows) + 1))
        prev, last = chain.GENESIS, None
        for e in rows:
            fields = {k: getattr(e, k) for k in chain.HASHED_1}
            digest = chain.entry_hash(fields, prev)
            values = {"p": prev, "h": digest, "i": e.id, "s": None}
            if e.signature is not None:
                raw = signers[e.key_id].sign(chain.seal_message(chain_id, e.id, digest))
                values["s"] = base64.b64encode(raw).decode()
                last = anchors.Head(e.id, digest, e.key_id, values["s"], "2026-01-01T00:00:00")
            conn.execute(
                text(
                    "UPDATE audit_log SET chain = NULL, seq = NULL, prev_hash = :p, hash = :h, "
                    "signature = coalesce(:s, signature) WHERE id = :i"
                ),
                values,
            )
            prev = digest
        conn.execute(
            text("UPDATE audit_head SET last_id = :i, last_hash = :h"), {"i": len(rows), "h": prev}
        )
        conn.execute(text("DELETE FROM audit_chains"))
    with engine.begin() as conn:
        command.downgrade(schema._config(conn), "0011")
    path = station.location.data_dir / anchors.FILE
    saved = anchors.load(path)
    kept = saved.chains[chain_id]
    kept.stations, kept.head = {}, last
    anchors.save(saved)
    return len(rows)


def test_a_signed_single_chain_trail_still_verifies_after_station_chains(
    station: Station, admin: User, inspector: User, supervisor: User, password: str
) -> None:
    """Migration 0012 keeps an existing trail as the plant chain of format 1; new entries
    go to the station's chain, which starts where that one ends; both stay protected."""
    _ins, defect_id = failed(station, inspector)
    nonconformance.decide(station, supervisor, defect_id, Disposition.SCRAP, "porous shank")
    n = _as_written_before_0012(station, password)
    upgrades.upgrade(station)
    report = audit.verify(station)
    assert report.ok, report.findings
    assert report.entries == n and report.tips == {}
    assert any(f"agrees with what this station saw up to entry #{n}" in x for x in report.notes)
    # new work goes to this station's own chain, from the plant chain's last hash on
    finish(station, inspector, serial="SN-after")
    report = audit.verify(station)
    assert report.ok, report.findings
    assert set(report.tips) == {station.name}
    with station.db.engine.connect() as conn:
        legacy_tip = conn.execute(text("SELECT last_hash FROM audit_head")).scalar_one()
        first = conn.execute(
            text("SELECT seq, prev_hash FROM audit_log WHERE chain IS NOT NULL ORDER BY id")
        ).first()
    assert first is not None and tuple(first) == (1, legacy_tip)
    # the format 1 part is still guarded: its signed verdict changed, hashes recomputed
    from ..tampering import as_owner, rehash_from

    with as_owner(station.db.engine) as conn:
        target = conn.execute(
            text(
                "SELECT max(id) FROM audit_log WHERE entity = 'inspections' AND id <= :n "
                'AND new LIKE \'%"verdict":"fail"%\''
            ),
            {"n": n},
        ).scalar_one()
        conn.execute(
            text("UPDATE audit_log SET new = replace(new, '\"fail\"', '\"pass\"') WHERE id = :i"),
            {"i": target},
        )
        rehash_from(conn, target)
    found = [str(f) for f in audit.verify(station).findings]
    assert any("signature does not match the entry" in f for f in found), found
