"""Report and certificate numbers that stay unique when many stations share one database.

The rule: a number is ``PREFIX-Lnnnnnn`` where L is R (report) or C (certificate) and
nnnnnn counts that station's documents of that kind. PREFIX is the station's name in
capitals with anything but letters and digits turned into '-', cut to 16 characters.
Two station names can give the same PREFIX ("line 1" and "LINE-1", or two long names
that differ after 16 characters); the station registered first keeps the bare PREFIX
and every later one gets ``PREFIX-S<id>`` (its row id, which never changes). So the
PREFIX alone tells stations apart and the counter only has to be unique per station.

The counter is the highest sequence so far plus one, read while holding the audit
chain's head row (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite):
every write to an audited table takes that lock anyway, so two transactions can never
both read the same maximum. The unique constraints on (kind, station, sequence) and on
the number are the backstop should that ever change.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcstation.store import audit
from qcstation.store.models import DocumentRow
from qcstation.store.models import Station as StationRow

LETTERS = {"report": "R", "certificate": "C"}


def base_prefix(station_name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", station_name.upper()).strip("-")[:16] or "QC"


def prefix(session: Session, station: StationRow) -> str:
    """The station's number prefix: its base prefix, made unique by its id when an
    earlier station has the same one."""
    mine = base_prefix(station.name)
    for other_name in session.scalars(select(StationRow.name).where(StationRow.id < station.id)):
        if base_prefix(other_name) == mine:
            return f"{mine}-S{station.id}"
    return mine


def lock(session: Session) -> None:
    """Hold number allocation (and every other write) until this transaction ends."""
    audit.lock_chain(session)


def next_number(session: Session, station: StationRow, kind: str) -> tuple[str, int]:
    """The next (number, sequence) of this kind for this station, allocated atomically."""
    lock(session)
    seq = (
        session.scalar(
            select(func.max(DocumentRow.sequence)).where(
                DocumentRow.kind == kind, DocumentRow.station_id == station.id
            )
        )
        or 0
    ) + 1
    return f"{prefix(session, station)}-{LETTERS[kind]}{seq:06d}", seq
