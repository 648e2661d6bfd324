"""Checking the audit trail: the chain, and every audited row against its latest entry."""

from __future__ import annotations

from qcstation.services.context import Station
from qcstation.store import audit
from qcstation.store.audit import Finding, VerifyReport

__all__ = ["Finding", "VerifyReport", "verify"]


def verify(station: Station) -> VerifyReport:
    """Verify one consistent snapshot: other stations may go on writing meanwhile.

    SQLite's read transaction is a snapshot already (WAL); on PostgreSQL the default
    READ COMMITTED would let the chain, the head and the rows be read at different
    moments, and a write committed in between would look like tampering.
    """
    with station.db.read() as s:
        if station.db.dialect == "postgresql":
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return audit.verify(s)
