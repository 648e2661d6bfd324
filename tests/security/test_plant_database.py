"""Attacks on the plant database by someone at a bench, on the real PostgreSQL.

The bench connects as its station role (services/plant_roles.py): it may insert what
stations insert and update what legitimately changes, nothing else. The attacker uses that
very login with raw SQL: rewrite or delete the audit trail, change a completed verdict,
delete a signature. Each is refused by the database with a clear error, by the grants and
by triggers that hold even for the owner until the owner drops them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from qcstation import config
from qcstation.domain.users import User
from qcstation.services.context import Station

from ..services.conftest import finish

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_station(pg_schema_url: str, tmp_path: Path) -> Iterator[Station]:
    from qcstation.services import setup
    from qcstation.services.context import connect

    st = connect(config.resolve(tmp_path / "data", pg_schema_url))
    setup.init(st, "alice", "correct horse battery", "Alice Admin")
    yield st
    st.close()


def refused(engine: Engine, sql: str, **params: object) -> str:
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(sql), params)
    return str(caught.value.orig)


# --- the owner's own statements meet the triggers ----------------------------------------------


def test_the_audit_trail_is_append_only_even_for_the_owner(pg_station: Station) -> None:
    owner = pg_station.db.engine
    said = refused(owner, "UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    assert "UPDATE on" in said and "audit trail is append-only" in said
    said = refused(owner, "DELETE FROM audit_log WHERE id > 1")
    assert "DELETE on" in said and "never changed or removed" in said
    said = refused(owner, "TRUNCATE audit_log")
    assert "TRUNCATE on" in said


def test_a_completed_inspection_never_changes_even_for_the_owner(
    pg_station: Station, inspector_on: User
) -> None:
    ins = finish(pg_station, inspector_on)
    owner = pg_station.db.engine
    said = refused(owner, "UPDATE inspections SET verdict = 'fail' WHERE id = :i", i=ins)
    assert f"inspection {ins} refused: it is completed" in said
    said = refused(owner, "UPDATE answers SET note = 'x' WHERE inspection_id = :i", i=ins)
    assert "answers, defects and evidence never change" in said
    said = refused(owner, "DELETE FROM evidence WHERE inspection_id = :i", i=ins)
    assert "DELETE on" in said
    said = refused(
        owner,
        "INSERT INTO defects (inspection_id, position, code, severity, disposition, note, "
        "created_at, created_by_id) SELECT :i, 0, code, 'critical', 'scrap', '', now(), 1 "
        "FROM defect_codes LIMIT 1",
        i=ins,
    )
    assert "INSERT on" in said


@pytest.fixture
def inspector_on(pg_station: Station) -> User:
    from qcstation.domain.users import Role
    from qcstation.services import accounts, keys

    admin = accounts.login(pg_station, "alice", "correct horse battery")
    accounts.create_user(pg_station, admin, "ines", "correct horse battery", Role.INSPECTOR)
    keys.issue_pending(pg_station, admin, "correct horse battery")
    return accounts.login(pg_station, "ines", "correct horse battery")
