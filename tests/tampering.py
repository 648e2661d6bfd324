"""The attacker who holds the plant database owner's (or a superuser's) credentials.

On PostgreSQL, triggers keep the audit trail, signatures and completed inspections as they
were written, for every role, the owner included (migration 0010); but whoever owns the
tables can switch triggers off. The attack tests that play that person do so first, then
tamper, and assert that `audit verify` and the signature checks still find it. On SQLite
there is nothing to switch off: the bench's account owns the file.

When the station under test connects as a station login (the suite's least-privilege run),
this attacker still comes with the owner's credentials, not the station's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import Engine, make_url


@contextmanager
def as_owner(engine: Engine) -> Iterator[Connection]:
    """A transaction with the database's own guards switched off (PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            yield conn
        return
    with engine.connect() as probe:
        superuser = probe.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
    owner = engine
    if not superuser:  # a station login: the owner's URL, on the same schema
        base = make_url(os.environ["QCSTATION_TEST_DATABASE_URL"])
        owner = create_engine(
            engine.url.set(username=base.username, password=base.password),
        )
    try:
        with owner.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
    finally:
        if owner is not engine:
            owner.dispose()
