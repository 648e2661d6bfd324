"""The attacker who holds the plant database owner's (or a superuser's) credentials.

On PostgreSQL, triggers keep the audit trail, signatures and completed inspections as they
were written, for every role, the owner included (migration 0011); but whoever owns the
tables can switch triggers off. The attack tests that play that person do so first, then
tamper, and assert that `audit verify` and the signature checks still find it. On SQLite
there is nothing to switch off: the bench's account owns the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine


@contextmanager
def as_owner(engine: Engine) -> Iterator[Connection]:
    """A transaction with the database's own guards switched off (PostgreSQL)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        yield conn
