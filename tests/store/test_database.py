"""The database as the services rely on it: settings, write locking, schema versions."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from qcstation.services.context import Station, open_station
from qcstation.services.errors import NotInitialised
from qcstation.store import database, schema
from qcstation.store.database import Database, DatabaseBusy, DatabaseError, DatabaseUnavailable
from qcstation.store.models import Base


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'q.db'}")
    with db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == database.BUSY_TIMEOUT_MS
    db.dispose()


def test_write_transactions_take_the_lock_up_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BEGIN IMMEDIATE: a second writer waits at BEGIN, then is told the database is locked."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    url = f"sqlite:///{tmp_path / 'q.db'}"
    first, second = Database(url), Database(url)
    with first.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with first.write(None, "st") as s:  # unaudited: a bare table
            s.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    assert holding.wait(10)
    try:
        with pytest.raises(DatabaseBusy, match="locked by another program"):
            with second.write(None, "st") as s:
                s.execute(text("SELECT count(*) FROM t")).scalar()
        # readers are not blocked by a writer in WAL mode
        with second.read() as s:
            assert s.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        release.set()
        worker.join()
    with second.read() as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 1
    first.dispose()
    second.dispose()


# SQLite's expression index for the dashboard's days (migration 0005) cannot be reflected;
# it lives in the migration only, so autogenerate has nothing to compare it with.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_match_the_models(bare_station: Station) -> None:
    """Every model change has its migration: autogenerate finds nothing left to do."""
    schema.upgrade(bare_station.db.engine)
    with bare_station.db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
    assert schema.state(bare_station.db.engine) == (schema.SchemaState.CURRENT, schema.head())


def test_upgrade_twice_is_harmless(bare_station: Station) -> None:
    assert schema.upgrade(bare_station.db.engine) == (None, schema.head())
    assert schema.upgrade(bare_station.db.engine) == (schema.head(), schema.head())


def test_database_from_a_newer_version_is_refused(station: Station) -> None:
    with station.db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    assert schema.state(station.db.engine)[0] is schema.SchemaState.AHEAD
    with pytest.raises(schema.SchemaTooNew, match="newer qcstation"):
        schema.upgrade(station.db.engine)
    with pytest.raises(DatabaseError, match="newer qcstation"):
        open_station(station.location)


def test_an_empty_database_asks_for_init(bare_station: Station) -> None:
    with pytest.raises(NotInitialised, match="qcstation init"):
        open_station(bare_station.location)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "q.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    db = Database(f"sqlite:///{bad}")
    with pytest.raises(DatabaseUnavailable, match="not a readable qcstation database"):
        with db.read() as s:
            s.execute(text("SELECT 1"))


def test_bad_urls_get_clear_messages() -> None:
    with pytest.raises(DatabaseError, match="not a database URL"):
        Database("not a url")
    with pytest.raises(DatabaseError, match="unsupported database"):
        Database("oracle://x@y/z")


def test_unreachable_server_is_reported_not_raised_raw() -> None:
    db = Database("postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    with pytest.raises(DatabaseUnavailable, match="cannot reach the database server"):
        with db.read() as s:
            s.execute(text("SELECT 1"))
