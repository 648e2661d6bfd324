"""Attacks on the plant database from a bench, on the real PostgreSQL.

A bench connects as its own station login (services/plant_roles.py): it may insert what
stations insert and update what legitimately changes, nothing else. The attacker uses that
very login with raw SQL, the way anyone who finds the bench's password would: rewrite or
delete the audit trail, change a completed verdict, delete a signature, switch the guards
off. Each is refused by the database with a clear error: by the grants, and by triggers
that hold even for the owner until the owner drops them (migration 0010)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from qcstation import cli, config
from qcstation.domain.signing import Meaning
from qcstation.domain.users import User
from qcstation.services import accounts, audit, plant_roles, signing
from qcstation.services.context import Station, open_station
from qcstation.store import secret_store
from qcstation.store.models import Base

from ..services.conftest import finish

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
PASSWORD = "correct horse battery"


def refused(engine: Engine, sql: str, **params: object) -> str:
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(sql), params)
    return str(caught.value.orig)


@pytest.fixture
def bench(station: Station, station_login: str) -> Station:
    """The plant's station, now connected as its own station login."""
    with station.db.engine.connect() as conn:
        assert conn.scalar(text("SELECT current_user")) == station_login
    return station


@pytest.fixture
def issued(station: Station, admin: User, inspector: User, supervisor: User) -> None:
    from qcstation.services import keys

    keys.issue_pending(station, admin, PASSWORD)


@pytest.fixture
def signed(bench: Station, inspector: User, issued: None) -> str:
    ins = finish(bench, inspector)
    signing.sign(bench, inspector, ins, Meaning.PERFORMED, PASSWORD)
    return ins


# --- what the station login cannot do ---------------------------------------------------------


@pytest.mark.postgres
@on_postgresql
def test_the_station_login_cannot_rewrite_or_remove_the_audit_trail(bench: Station) -> None:
    db = bench.db.engine
    for sql in (
        "UPDATE audit_log SET actor = 'mallory' WHERE id = 2",
        "DELETE FROM audit_log WHERE id > 1",
        "TRUNCATE audit_log",
    ):
        assert "permission denied for table audit_log" in refused(db, sql)
    assert audit.verify(bench).ok


@pytest.mark.postgres
@on_postgresql
def test_the_station_login_cannot_change_a_completed_verdict(bench: Station, signed: str) -> None:
    db = bench.db.engine
    said = refused(db, "UPDATE inspections SET verdict = 'fail' WHERE id = :i", i=signed)
    assert f"inspection {signed} refused: it is completed" in said
    said = refused(db, "UPDATE inspections SET status = 'in_progress' WHERE id = :i", i=signed)
    assert "a completed inspection never changes" in said
    # Columns no service changes are not granted at all.
    said = refused(db, "UPDATE inspections SET inspector_id = 1 WHERE id = :i", i=signed)
    assert "permission denied for table inspections" in said
    said = refused(db, "UPDATE answers SET outcome = 'fail' WHERE inspection_id = :i", i=signed)
    assert "answers, defects and evidence never change" in said
    assert "permission denied" in refused(
        db, "DELETE FROM answers WHERE inspection_id = :i", i=signed
    )
    assert audit.verify(bench).ok


@pytest.mark.postgres
@on_postgresql
def test_the_station_login_cannot_delete_or_change_a_signature(bench: Station, signed: str) -> None:
    db = bench.db.engine
    for sql in (
        "DELETE FROM signatures WHERE inspection_id = :i",
        "UPDATE signatures SET meaning = 'approved' WHERE inspection_id = :i",
    ):
        assert "permission denied for table signatures" in refused(db, sql, i=signed)
    for table in ("documents", "corrections", "sync_receipts", "reviews", "dispositions"):
        assert f"permission denied for table {table}" in refused(db, f"DELETE FROM {table}")


@pytest.mark.postgres
@on_postgresql
def test_the_station_login_cannot_switch_the_guards_off(bench: Station) -> None:
    db = bench.db.engine
    assert "permission denied to set parameter" in refused(
        db, "SET session_replication_role = replica"
    )
    assert "must be owner of table audit_log" in refused(
        db, "ALTER TABLE audit_log DISABLE TRIGGER USER"
    )
    assert "must be owner of relation audit_log" in refused(
        db, "DROP TRIGGER qc_append_only ON audit_log"
    )
    assert "permission denied for schema" in refused(db, "CREATE TABLE mine (x int)")
    with db.begin() as conn:  # a grant by a non-owner is a warning, and grants nothing
        conn.execute(text("GRANT UPDATE, DELETE ON audit_log TO PUBLIC"))
        can = conn.scalar(
            text("SELECT has_table_privilege(current_user, 'audit_log', 'UPDATE, DELETE')")
        )
    assert can is False


@pytest.mark.postgres
@on_postgresql
def test_what_the_station_login_may_do_is_still_found_when_abused(
    bench: Station, signed: str
) -> None:
    """The chain's tip must stay updatable and entries insertable: a moved head and an
    entry written behind the app's back are what `audit verify` names."""
    db = bench.db.engine
    chain = {"c": bench.name}
    with db.begin() as conn:
        last = conn.scalar(text("SELECT last_seq FROM audit_chains WHERE chain = :c"), chain)
        conn.execute(
            text("UPDATE audit_chains SET last_seq = :n, last_hash = 'x' WHERE chain = :c"),
            {**chain, "n": int(last) - 3},
        )
    found = [str(f) for f in audit.verify(bench).findings]
    assert any(
        f"station {bench.name!r}'s chain does not end where its tip says" in f for f in found
    ), found
    with db.begin() as conn:
        conn.execute(
            text(
                "UPDATE audit_chains SET last_seq = :n, last_hash = "
                "(SELECT hash FROM audit_log WHERE chain = :c AND seq = :n) WHERE chain = :c"
            ),
            {**chain, "n": last},
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (id, at, actor, station, entity, entity_id, action, old, "
                "new, reason, prev_hash, hash, chain, seq) SELECT (SELECT max(id) + 1 FROM "
                "audit_log), now(), 'sam', station, 'inspections', :i, 'update', NULL, '{}', "
                "'forged', hash, repeat('0', 64), chain, seq + 1 "
                "FROM audit_log WHERE chain = :c AND seq = :n"
            ),
            {**chain, "i": signed, "n": last},
        )
    found = [str(f) for f in audit.verify(bench).findings]
    assert any("carry no signature" in f or "altered" in f for f in found), found


@pytest.mark.postgres
@on_postgresql
def test_the_application_works_as_the_station_login(
    bench: Station, inspector: User, supervisor: User, admin: User, issued: None
) -> None:
    """Record, complete, sign as inspector and supervisor, count a wrong password, change a
    password, request a key: all under the station's least privilege."""
    from qcstation.services import keys
    from qcstation.services.errors import LoginFailed

    ins = finish(bench, inspector)
    signing.sign(bench, inspector, ins, Meaning.PERFORMED, PASSWORD)
    signing.sign(bench, supervisor, ins, Meaning.APPROVED, PASSWORD)
    with pytest.raises(LoginFailed):
        accounts.login(bench, "ines", "not her password")
    with pytest.raises(LoginFailed):
        accounts.login(bench, "nobody", "not a password")
    accounts.change_password(bench, inspector, PASSWORD, "a new one, longer")
    again = accounts.login(bench, "ines", "a new one, longer")
    keys.request_key(bench, again, "a new one, longer")
    keys.issue_pending(bench, admin, PASSWORD)
    report = audit.verify(bench)
    assert report.ok, [str(f) for f in report.findings]


@pytest.mark.postgres
@on_postgresql
def test_the_station_login_records_and_replaces_a_reading_from_an_instrument(
    bench: Station, inspector: User
) -> None:
    """answers.instrument (0015) is in the station login's grant: inserted and updated."""
    from qcstation.domain.inspections import Answer
    from qcstation.domain.stages import Stage
    from qcstation.services import inspections

    ins = inspections.start(bench, inspector, Stage.CASTING, "JT-I", "RG-1")
    for instrument in ("Caliper (Mitutoyo Digimatic cable, COM4)", None, "Caliper (x)"):
        out = inspections.record_answer(
            bench, inspector, ins.id, Answer("min-wall", readings=(0.7,), instrument=instrument)
        )
        assert out.answer is not None and out.answer.instrument == instrument
    assert audit.verify(bench).ok


# --- the owner's own statements meet the triggers ---------------------------------------------


@pytest.mark.postgres
@on_postgresql
def test_the_triggers_hold_even_for_the_owner(
    station: Station, location: config.Location, signed_by_owner: str
) -> None:
    owner = create_engine(make_url(location.database_url))
    try:
        said = refused(owner, "UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
        assert "UPDATE on" in said and "audit trail is append-only" in said
        assert "TRUNCATE on" in refused(owner, "TRUNCATE audit_log")
        said = refused(owner, "DELETE FROM signatures WHERE inspection_id = :i", i=signed_by_owner)
        assert "an electronic signature is never changed or removed" in said
        said = refused(
            owner, "UPDATE inspections SET verdict = 'pass' WHERE id = :i", i=signed_by_owner
        )
        assert f"inspection {signed_by_owner} refused: it is completed" in said
        said = refused(owner, "DELETE FROM evidence WHERE inspection_id = :i", i=signed_by_owner)
        assert "answers, defects and evidence never change" in said
        said = refused(
            owner,
            "INSERT INTO defects (inspection_id, position, code, severity, disposition, note, "
            "created_at, created_by_id) SELECT :i, 0, code, 'critical', 'scrap', '', now(), 1 "
            "FROM defect_codes LIMIT 1",
            i=signed_by_owner,
        )
        assert "INSERT on" in said and "never change" in said
    finally:
        owner.dispose()


@pytest.fixture
def signed_by_owner(station: Station, inspector: User, issued: None) -> str:
    ins = finish(station, inspector)
    signing.sign(station, inspector, ins, Meaning.PERFORMED, PASSWORD)
    return ins


# --- setting the roles up ---------------------------------------------------------------------


def test_every_table_has_a_decided_grant() -> None:
    """A new table must be given its rights on purpose (else `db roles` lets stations only
    read it, and says so)."""
    tables = set(Base.metadata.tables) | {"alembic_version"}
    assert tables == set(plant_roles.GRANTS), tables ^ set(plant_roles.GRANTS)
    for name, rule in plant_roles.GRANTS.items():
        if name in Base.metadata.tables:
            columns = set(Base.metadata.tables[name].columns.keys())
            assert set(rule.update) <= columns, (name, set(rule.update) - columns)
    for append_only in ("audit_log", "signatures", "documents", "corrections", "sync_receipts"):
        assert plant_roles.GRANTS[append_only].update == ()


@pytest.mark.postgres
def test_db_roles_sets_a_bench_up_with_its_own_login(
    pg_schema_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    data = tmp_path / "bench"
    owner_url = make_url(pg_schema_url).set(password="owner-secret")
    owner_text = owner_url.render_as_string(hide_password=False)
    argv = ["--data-dir", str(data), "--database-url", owner_text]
    assert cli.main(["init", "--admin", "alice", "--station", "bench-1", *argv]) == 0
    group = f"qcg_{uuid.uuid4().hex[:12]}"
    try:
        assert cli.main(["db", "roles", "--group", group, "--station", "bench-1", *argv]) == 0
        out = capsys.readouterr().out
        role = plant_roles.login_role("bench-1")
        assert f"This station ('bench-1') now connects as {role}" in out
        loc = config.resolve(data)
        assert make_url(loc.database_url).username == role
        kept = json.loads((data / secret_store.FILE_NAME).read_text())["secrets"]
        assert "owner-secret" not in json.dumps(kept)  # the owner's password is forgotten
        assert loc.database_password is not None and loc.database_password in kept.values()
        station = open_station(loc)
        try:
            with station.db.engine.connect() as conn:
                assert conn.scalar(text("SELECT current_user")) == role
            assert audit.verify(station).ok
        finally:
            station.close()
        # db check shows where the secrets are and that the data directory is private.
        assert cli.main(["db", "check", "--data-dir", str(data)]) == 0
        out = capsys.readouterr().out
        assert "secrets: kept in the file" in out and "readable by this account only" in out
        assert "holds database-password:" in out and loc.database_password not in out
        # The station's own login cannot hand itself more rights.
        assert cli.main(["db", "roles", "--group", group, "--data-dir", str(data)]) == 2
        assert "only the owner" in capsys.readouterr().err
        # Another station's password is shown only when asked for.
        assert cli.main(["db", "roles", "--group", group, "--station", "bench-2", *argv]) == 2
        assert "--show-password" in capsys.readouterr().err
        # A stolen bench is shut out by dropping its login.
        owner = open_station(config.resolve(tmp_path / "dba", owner_text))
        try:
            assert plant_roles.drop_login(owner.db, "bench-1")
        finally:
            owner.close()
        with pytest.raises(DBAPIError, match="does not exist"):
            create_engine(make_url(loc.database_url).set(password=loc.database_password)).connect()
    finally:
        admin = create_engine(make_url(pg_schema_url))
        with admin.begin() as conn:
            for name in (plant_roles.login_role("bench-1"), group):
                if conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}):
                    conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
                    conn.exec_driver_sql(f'DROP ROLE "{name}"')
        admin.dispose()


@pytest.mark.postgres
def test_a_new_bench_is_set_up_with_its_own_login_then_joins_with_it(
    pg_schema_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/security.md's steps: the DBA gives a fresh bench its login (the owner's
    URL typed there, not kept), then the bench joins the plant as that login."""
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    office = ["--data-dir", str(tmp_path / "office"), "--database-url", pg_schema_url]
    assert cli.main(["init", "--admin", "alice", "--station", "office", *office]) == 0
    group = f"qcg_{uuid.uuid4().hex[:12]}"
    bench = tmp_path / "bench"
    try:
        argv = ["--group", group, "--station", "bench-2", "--data-dir", str(bench)]
        assert cli.main(["db", "roles", *argv, "--database-url", pg_schema_url]) == 0
        capsys.readouterr()
        assert cli.main(["init", "--admin", "alice", "--data-dir", str(bench)]) == 0
        out = capsys.readouterr().out
        assert "Station 'bench-2' registered on the plant database" in out
        assert "certified by the plant root" in out
        loc = config.resolve(bench)
        assert make_url(loc.database_url).username == plant_roles.login_role("bench-2")
        station = open_station(loc)
        try:
            assert audit.verify(station).ok
        finally:
            station.close()
    finally:
        admin = create_engine(make_url(pg_schema_url))
        with admin.begin() as conn:
            for name in (plant_roles.login_role("bench-2"), group):
                if conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}):
                    conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
                    conn.exec_driver_sql(f'DROP ROLE "{name}"')
        admin.dispose()


@pytest.mark.postgres
@on_postgresql
def test_a_station_login_cannot_upgrade_the_schema_and_says_who_can(
    bench: Station, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from qcstation.services import upgrades

    from ..services.test_upgrades import inject

    inject(monkeypatch, tmp_path)
    with pytest.raises(upgrades.UpgradeFailed) as caught:
        upgrades.upgrade(bench)
    said = str(caught.value)
    assert "this station's login may not change the schema" in said
    assert "qcstation db upgrade --database-url OWNER_URL" in said and "nothing was changed" in said
    with bench.db.engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) != "9999"
