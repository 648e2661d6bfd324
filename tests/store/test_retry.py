"""The one place a lost race with another writer is retried or worded (store/retry.py),
against real PostgreSQL deadlocks, lock timeouts and unique-key races."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from qcstation import config
from qcstation.services import accounts, setup
from qcstation.services.context import Station, connect
from qcstation.services.problems import describe
from qcstation.store import retry
from qcstation.store.models import Station as StationRow
from qcstation.store.types import utcnow


def in_threads(*calls: Callable[[], Any]) -> list[Any]:
    """Each call's result, or the exception it raised."""
    out: list[Any] = [None] * len(calls)

    def one(i: int) -> None:
        try:
            out[i] = calls[i]()
        except Exception as exc:
            out[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_other_errors_pass_through_untouched() -> None:
    calls = []

    def boom() -> None:
        calls.append(1)
        raise ValueError("not a race")

    with pytest.raises(ValueError, match="not a race"):
        retry.run(boom)
    assert calls == [1]


@pytest.fixture
def pg(pg_schema_url: str, tmp_path: Path) -> Iterator[Station]:
    """An initialised station on PostgreSQL, with a two-row scratch table to lock."""
    st = connect(config.resolve(tmp_path / "pg", pg_schema_url))
    setup.init(st, "alice", "long enough pw", "Alice")
    with st.db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (id integer PRIMARY KEY)"))
        conn.execute(text("INSERT INTO scratch VALUES (1), (2)"))
    yield st
    st.close()


@pytest.mark.postgres
def test_a_deadlock_is_run_again_and_both_writers_succeed(pg: Station) -> None:
    both_hold_one = threading.Barrier(2)
    attempts: list[int] = []

    def lock_in_order(first: int, second: int) -> str:
        attempts.append(first)
        with pg.db.write(None, pg.name) as s:  # a scratch table: nothing audited
            s.execute(text("SELECT id FROM scratch WHERE id = :i FOR UPDATE"), {"i": first})
            with contextlib.suppress(threading.BrokenBarrierError):
                both_hold_one.wait(5)  # once: the retry finds the barrier passed or broken
            s.execute(text("SELECT id FROM scratch WHERE id = :i FOR UPDATE"), {"i": second})
        return "done"

    results = in_threads(
        lambda: retry.run(lambda: lock_in_order(1, 2)),
        lambda: retry.run(lambda: lock_in_order(2, 1)),
    )
    assert results == ["done", "done"]
    assert len(attempts) == 3  # PostgreSQL chose one victim; it ran again


@pytest.mark.postgres
def test_a_unique_key_race_is_resolved_by_running_again(pg: Station) -> None:
    """Two writers both see no row and both insert it: the second attempt finds it."""
    both_looked = threading.Barrier(2)

    alice = accounts.login(pg, "alice", "long enough pw")

    def station_named(name: str) -> int:
        with pg.db.write(alice, pg.name) as s:
            found = s.scalar(select(StationRow.id).where(StationRow.name == name))
            if found is not None:
                return found
            with contextlib.suppress(threading.BrokenBarrierError):
                both_looked.wait(5)
            row = StationRow(name=name, created_at=utcnow())
            s.add(row)
            s.flush()
            return row.id

    results = in_threads(*(lambda: retry.run(lambda: station_named("bench 9")),) * 2)
    assert results[0] == results[1] and isinstance(results[0], int)
    with pg.db.read() as s:
        count = s.scalar(select(func.count()).where(StationRow.name == "bench 9"))
    assert count == 1


@pytest.mark.postgres
def test_a_unique_violation_a_retry_does_not_cure_stays_loud(pg: Station) -> None:
    """Inserting a name that exists is a bug, not a race: not hidden as 'try again'."""
    calls = []
    alice = accounts.login(pg, "alice", "long enough pw")

    def duplicate() -> None:
        calls.append(1)
        with pg.db.write(alice, pg.name) as s:
            s.add(StationRow(name=pg.name, created_at=utcnow()))

    with pytest.raises(IntegrityError):
        retry.run(duplicate)
    assert len(calls) == retry.UNIQUE_ATTEMPTS


@pytest.mark.postgres
def test_a_writer_that_keeps_losing_is_told_to_try_again(pg: Station) -> None:
    """Another transaction keeps the row locked; every attempt times out on it."""
    other = pg.db.engine.connect()
    tx = other.begin()
    other.execute(text("SELECT id FROM scratch WHERE id = 1 FOR UPDATE"))
    calls = []

    def wants_the_row() -> None:
        calls.append(1)
        with pg.db.write(None, pg.name) as s:
            s.execute(text("SET LOCAL lock_timeout = '50ms'"))
            s.execute(text("SELECT id FROM scratch WHERE id = 1 FOR UPDATE"))

    try:
        with pytest.raises(retry.WriteConflict) as caught:
            retry.run(wants_the_row)
    finally:
        tx.rollback()
        other.close()
    assert len(calls) == retry.ATTEMPTS
    text_shown = describe(caught.value, pg.db.url)
    assert text_shown is not None and "nothing of this change was saved: try again" in text_shown
    assert "lock not available" in text_shown
