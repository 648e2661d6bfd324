"""Checking the audit trail: the chain, and every audited row against its latest entry."""

from __future__ import annotations

from qcstation.services.context import Station
from qcstation.store import audit
from qcstation.store.audit import Finding, VerifyReport

__all__ = ["Finding", "VerifyReport", "verify"]


def verify(station: Station) -> VerifyReport:
    with station.db.read() as s:
        return audit.verify(s)
